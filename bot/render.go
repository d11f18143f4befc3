package bot

import (
	"fmt"
	"strings"
	"time"

	"collabbot/bot/chat"
	"collabbot/rules"
	"collabbot/store"
)

var timeZero time.Time

func taskTitle(t *store.Task) string { return t.Topic + "-" + t.Item }

var zhWeekdays = [...]string{"周日", "周一", "周二", "周三", "周四", "周五", "周六"}

// FmtTime renders an instant the way replies do: "9月15日(周二) 18:00" /
// "Tue Sep 15 18:00", with the year only when it differs from now's. The
// web board uses it too, so a time reads the same everywhere.
func FmtTime(lang string, t time.Time, loc *time.Location, now time.Time) string {
	return fmtTime(lang, t, loc, now)
}

func fmtTime(lang string, t time.Time, loc *time.Location, now time.Time) string {
	t = t.In(loc)
	sameYear := t.Year() == now.In(loc).Year()
	if lang == "en" {
		if sameYear {
			return t.Format("Mon Jan 2 15:04")
		}
		return t.Format("Mon Jan 2 2006 15:04")
	}
	s := fmt.Sprintf("%d月%d日(%s) %02d:%02d", t.Month(), t.Day(), zhWeekdays[t.Weekday()], t.Hour(), t.Minute())
	if !sameYear {
		s = fmt.Sprintf("%d年", t.Year()) + s
	}
	return s
}

// humanDuration: "24小时", "15分钟", "2天" / "24 hours".
func humanDuration(lang string, d time.Duration) string {
	type unit struct {
		d      time.Duration
		zh, en string
	}
	for _, u := range []unit{{24 * time.Hour, "天", "day"}, {time.Hour, "小时", "hour"}, {time.Minute, "分钟", "minute"}} {
		if d >= u.d && d%u.d == 0 && !(u.d == 24*time.Hour && d < 72*time.Hour) {
			n := int64(d / u.d)
			if lang == "en" {
				if n == 1 {
					return fmt.Sprintf("1 %s", u.en)
				}
				return fmt.Sprintf("%d %ss", n, u.en)
			}
			return fmt.Sprintf("%d%s", n, u.zh)
		}
	}
	return d.String()
}

// lateBy is how overdue t is in working time: weekends and holidays are
// nobody's fault, so they do not count.
func (b *Bot) lateBy(set Effective, t *store.Task, now time.Time) time.Duration {
	return rules.WorkingDuration(b.cal, set.Location, t.Due, now)
}

// OverdueFor writes a lateness: "2天3小时" / "2d 3h". The web board uses
// it too.
func OverdueFor(lang string, d time.Duration) string { return overdueFor(lang, d) }

func overdueFor(lang string, d time.Duration) string {
	days := int(d / (24 * time.Hour))
	hours := int((d % (24 * time.Hour)) / time.Hour)
	mins := int((d % time.Hour) / time.Minute)
	if lang == "en" {
		switch {
		case days > 0:
			return fmt.Sprintf("%dd %dh", days, hours)
		case hours > 0:
			return fmt.Sprintf("%dh %dm", hours, mins)
		}
		return fmt.Sprintf("%dm", mins)
	}
	switch {
	case days > 0:
		return fmt.Sprintf("%d天%d小时", days, hours)
	case hours > 0:
		return fmt.Sprintf("%d小时%d分钟", hours, mins)
	}
	return fmt.Sprintf("%d分钟", mins)
}

func statusWord(lang string, s store.Status) string {
	switch s {
	case store.StatusOpen:
		return tr(lang, wordStatusOpen)
	case store.StatusDone:
		return tr(lang, wordStatusDone)
	case store.StatusAccepted:
		return tr(lang, wordStatusAccepted)
	case store.StatusCancelled:
		return tr(lang, wordStatusCancelled)
	}
	return string(s)
}

func urgencyWord(lang, u string) string {
	switch u {
	case "urgent":
		return tr(lang, wordUrgent)
	case "important":
		return tr(lang, wordImportant)
	}
	return tr(lang, wordRoutine)
}

// writeTaskFacts writes the lines every task view shares. withMentions
// puts the owner as a mention token (creation replies notify the owner);
// lists use plain names so a /list does not ping the whole group.
func (b *Bot) writeTaskFacts(sb *strings.Builder, lang string, set Effective, t *store.Task, now time.Time, withMentions bool) {
	owner := ownerName(lang, t)
	if withMentions && !t.Unowned() {
		owner = mention(t.Owner)
	}
	colon, gap := sep(lang)
	fmt.Fprintf(sb, "%s%s%s\n", tr(lang, wordRequest), colon, chat.Escape(t.Request))
	fmt.Fprintf(sb, "%s%s%s", tr(lang, wordOwner), colon, owner)
	if len(t.Collaborators) > 0 {
		var cs []string
		for _, c := range t.Collaborators {
			if withMentions {
				cs = append(cs, mention(c))
			} else {
				cs = append(cs, chat.Escape(c.Name))
			}
		}
		fmt.Fprintf(sb, "%s%s%s%s", gap, tr(lang, wordCollaborators), colon, strings.Join(cs, " "))
	}
	fmt.Fprintf(sb, "\n%s%s%s", tr(lang, wordDue), colon, fmtTime(lang, t.Due, set.Location, now))
	if t.Urgency != "routine" && t.Urgency != "" {
		fmt.Fprintf(sb, "%s%s%s%s", gap, tr(lang, wordTier), colon, urgencyWord(lang, t.Urgency))
	}
}

// listLine is one task in a list: "#3 【紧急】产品研发-需求确认 · 张三 · 截止 … · 80% · 已逾期 2天".
func (b *Bot) listLine(lang string, set Effective, t *store.Task, now time.Time) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "#%d ", t.ID)
	if t.Urgency == "urgent" || t.Urgency == "important" {
		sb.WriteString("【" + urgencyWord(lang, t.Urgency) + "】")
	}
	fmt.Fprintf(&sb, "%s · %s · %s %s · %d%%", chat.Escape(taskTitle(t)), ownerName(lang, t), tr(lang, wordDue), fmtTime(lang, t.Due, set.Location, now), t.Percent)
	if t.Status == store.StatusDone {
		sb.WriteString(" · " + tr(lang, wordStatusDone))
	}
	if t.Overdue(now) {
		sb.WriteString(" · " + tr(lang, wordOverdueBy, overdueFor(lang, b.lateBy(set, t, now))))
	}
	if len(t.OpenHelp()) > 0 {
		sb.WriteString(" · " + tr(lang, wordNeedsHelp))
	}
	late := b.waiting(set, t, now)
	if t.PendingDelay() >= 0 && len(late) == 0 {
		sb.WriteString(" · " + tr(lang, wordDelayPending))
	}
	if t.Status == store.StatusOpen && t.AckedAt.IsZero() && !t.Unowned() {
		sb.WriteString(" · " + tr(lang, wordNotAcked))
	}
	for _, w := range late {
		sb.WriteString(" · " + w)
	}
	for _, l := range set.Leaves {
		if l.User.ID == t.Owner.ID && !now.Before(l.From) && now.Before(l.To) && !t.Status.Closed() {
			sb.WriteString(" · " + tr(lang, wordOnLeave, fmtDate(lang, l.To.Add(-time.Minute), set.Location)))
		}
	}
	return sb.String()
}

// waiting names the decisions a task waits for past their window: a
// review after /done, an approval of a delay request. They count as risks
// and as overdue, like the work itself would.
func (b *Bot) waiting(set Effective, t *store.Task, now time.Time) []string {
	var out []string
	w := b.Waits(set, t, now)
	if w.ReviewLate {
		out = append(out, tr(set.Lang, wordReviewLate, overdueFor(set.Lang, w.Review)))
	}
	if w.ApprovalLate {
		out = append(out, tr(set.Lang, wordApprovalLate, overdueFor(set.Lang, w.Approval)))
	}
	return out
}

// Wait says, in working time, how long a task has waited for a decision
// past its window: a review after /done, an approval of a delay request
// (also late once the original due time has passed). The chat lists, the
// weekly summary and the web board all use it.
type Wait struct {
	ReviewLate, ApprovalLate bool
	Review, Approval         time.Duration // how long it has waited
}

// Waits is the one rule for late reviews and approvals.
func (b *Bot) Waits(set Effective, t *store.Task, now time.Time) Wait {
	var w Wait
	if t.Status == store.StatusDone && !t.DoneAt.IsZero() {
		w.Review = rules.WorkingDuration(b.cal, set.Location, t.DoneAt, now)
		w.ReviewLate = w.Review > set.ReviewWindow
	}
	if i := t.PendingDelay(); i >= 0 && t.Status == store.StatusOpen {
		w.Approval = rules.WorkingDuration(b.cal, set.Location, t.Delays[i].At, now)
		w.ApprovalLate = w.Approval > set.ReviewWindow || now.After(t.Due)
	}
	return w
}

// taskCard is the interactive face of a task; text is the same content for
// platforms without cards.
func (b *Bot) taskCard(lang string, set Effective, t *store.Task, now time.Time, text string) *chat.Card {
	tmpl := "blue"
	switch {
	case t.Status.Closed():
		tmpl = "grey"
	case t.Status == store.StatusDone:
		tmpl = "green"
	case t.Overdue(now) || t.Urgency == "urgent":
		tmpl = "red"
	case len(t.OpenHelp()) > 0 || t.Urgency == "important":
		tmpl = "orange"
	}
	c := &chat.Card{
		Title:    fmt.Sprintf("#%d %s", t.ID, chat.Escape(taskTitle(t))),
		Template: tmpl,
		Body:     text,
	}
	if t.Status == store.StatusOpen && !t.Unowned() { // intake.go: an unowned task waits for /assign
		if t.AckedAt.IsZero() {
			c.Buttons = append(c.Buttons, chat.Button{Label: tr(lang, btnAck), Action: chat.ActionAck, TaskID: t.ID, Primary: true})
		}
		c.Buttons = append(c.Buttons,
			chat.Button{Label: tr(lang, btnProgress), Action: chat.ActionProgress, TaskID: t.ID},
			chat.Button{Label: tr(lang, btnDone), Action: chat.ActionDone, TaskID: t.ID},
			chat.Button{Label: tr(lang, btnAssist), Action: chat.ActionAssist, TaskID: t.ID})
	}
	return c
}

// cardText is the body of a task card after a button click.
func (b *Bot) cardText(lang string, set Effective, t *store.Task, now time.Time) string {
	var sb strings.Builder
	b.writeTaskFacts(&sb, lang, set, t, now, false)
	colon, _ := sep(lang)
	fmt.Fprintf(&sb, "\n%s%s%s · %d%%", tr(lang, wordStatus), colon, statusWord(lang, t.Status), t.Percent)
	if t.Overdue(now) {
		sb.WriteString(" · " + tr(lang, wordOverdueBy, overdueFor(lang, b.lateBy(set, t, now))))
	}
	if len(t.OpenHelp()) > 0 && !t.Status.Closed() {
		sb.WriteString(" · " + tr(lang, wordNeedsHelp))
	}
	if !t.AckedAt.IsZero() && t.Status == store.StatusOpen {
		sb.WriteString(" · " + tr(lang, wordAcked))
	}
	return sb.String()
}

// sep returns the label colon and the gap between facts on one line:
// full-width in Chinese, ASCII in English.
func sep(lang string) (colon, gap string) {
	if lang == "en" {
		return ": ", "   "
	}
	return "：", "　"
}
