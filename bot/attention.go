package bot

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"collabbot/bot/chat"
	"collabbot/rules"
	"collabbot/store"
)

// nudgeEvery bounds 催办 per task: a reminder an hour is a push, more is
// harassment.
const nudgeEvery = time.Hour

// cmdNudge is 催办: "/nudge #12" reminds the owner now, with the task's
// state; "/nudge @张三" does it for every open task of that person that the
// sender may chase. The initiator, the lead and admins may.
func (b *Bot) cmdNudge(r *request, args string) ([]chat.Reply, error) {
	const usage = "/nudge #3"
	if !strings.HasPrefix(strings.TrimSpace(args), "#") && !strings.HasPrefix(strings.TrimSpace(args), "＃") && len(r.msg.Mentions) > 0 {
		return b.nudgePerson(r, r.msg.Mentions[0])
	}
	t, _, rep, err := b.findTask(r, args, usage)
	if t == nil {
		return rep, err
	}
	if d := r.deny(t, roleInitiator|roleLead|roleAdmin, "/nudge"); d != nil {
		return d, nil
	}
	if t.Status != store.StatusOpen {
		return []chat.Reply{r.reply(tr(r.lang, msgTaskClosed, t.ID, statusWord(r.lang, t.Status)))}, nil
	}
	if t.Unowned() {
		return r.unownedReply(t), nil // intake.go: nobody to chase
	}
	if next := t.NudgedAt.Add(nudgeEvery); r.now.Before(next) {
		return []chat.Reply{r.reply(tr(r.lang, msgNudgeTooSoon, t.ID, fmtTime(r.lang, t.NudgedAt, r.set.Location, r.now), fmtTime(r.lang, next, r.set.Location, r.now)))}, nil
	}
	to := b.standIn(r, t.Owner)
	t.NudgedAt = r.now
	if err := r.tx.PutTask(t); err != nil {
		return nil, err
	}
	if err := r.history(t, "nudge", ""); err != nil {
		return nil, err
	}
	text := tr(r.lang, msgNudged, chat.Escape(r.sender().Name), mention(to)) + "\n" + b.listLine(r.lang, r.set, t, r.now)
	if to.ID != t.Owner.ID {
		text += "\n" + tr(r.lang, msgOwnerAway, chat.Escape(t.Owner.Name))
	}
	return []chat.Reply{r.reply(text+"\n"+tr(r.lang, msgNudgeHow, t.ID), to)}, nil
}

func (b *Bot) nudgePerson(r *request, who chat.User) ([]chat.Reply, error) {
	var mine, skipped []*store.Task
	err := r.tx.Tasks(r.key(), func(t *store.Task) error {
		if t.Status != store.StatusOpen || t.Owner.ID != who.ID {
			return nil
		}
		if r.roles(t)&(roleInitiator|roleLead|roleAdmin) == 0 || r.now.Before(t.NudgedAt.Add(nudgeEvery)) {
			skipped = append(skipped, t)
			return nil
		}
		mine = append(mine, t)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(mine) == 0 {
		return []chat.Reply{r.reply(tr(r.lang, msgNudgeNone, chat.Escape(displayName(who)), len(skipped)))}, nil
	}
	sortByDue(mine)
	owner := toStore(who)
	to := b.standIn(r, owner)
	var sb strings.Builder
	sb.WriteString(tr(r.lang, msgNudgedMany, chat.Escape(r.sender().Name), mention(to), len(mine)))
	for _, t := range mine {
		t.NudgedAt = r.now
		if err := r.tx.PutTask(t); err != nil {
			return nil, err
		}
		if err := r.history(t, "nudge", ""); err != nil {
			return nil, err
		}
		sb.WriteString("\n" + b.listLine(r.lang, r.set, t, r.now))
	}
	if len(skipped) > 0 {
		sb.WriteString("\n" + tr(r.lang, msgNudgeSkipped, len(skipped)))
	}
	if to.ID != owner.ID {
		sb.WriteString("\n" + tr(r.lang, msgOwnerAway, chat.Escape(owner.Name)))
	}
	return []chat.Reply{r.reply(sb.String(), to)}, nil
}

// standIn is who gets what would reach u now: u, or while u is on leave
// their delegate, else the lead.
func (b *Bot) standIn(r *request, u store.User) store.User {
	for _, l := range r.group.Settings.Leaves {
		if l.User.ID == u.ID && !r.now.Before(l.From) && r.now.Before(l.To) {
			if !l.Delegate.IsZero() {
				return l.Delegate
			}
			if lead := r.lead(); !lead.IsZero() && lead.ID != u.ID {
				return lead
			}
		}
	}
	return u
}

var (
	reLeaveDays  = regexp.MustCompile(`^([0-9０-９一二两三四五六七八九十]+)\s*(?:天|days?|d)$`)
	reLeaveRange = regexp.MustCompile(`^(.+?)\s*(?:-|－|—|–|~|～|至|到|to)\s*(.+)$`)
)

// cmdLeave records time away: "/leave @张三 12月3日-12月5日 代理 @李四",
// "/leave 3天" for oneself. No nudge or escalation reaches the person in
// that range; the delegate (else the lead) gets what would have. The person
// themselves, the lead or admins may; "/leave list", "/leave cancel @张三".
func (b *Bot) cmdLeave(r *request, args string) ([]chat.Reply, error) {
	f := strings.Fields(args)
	if len(f) > 0 {
		switch strings.ToLower(f[0]) {
		case "list", "列表":
			return b.leaveList(r)
		case "cancel", "取消":
			return b.leaveCancel(r)
		}
	}
	who := r.sender()
	var delegate store.User
	ms := r.msg.Mentions
	hasDelegate := strings.Contains(args, "代理") || strings.Contains(strings.ToLower(args), "delegate")
	if hasDelegate && len(ms) > 0 {
		delegate, ms = toStore(ms[len(ms)-1]), ms[:len(ms)-1]
	}
	if len(ms) > 0 {
		who = toStore(ms[0])
	}
	if who.ID != r.msg.Sender.ID && !r.admin && r.lead().ID != r.msg.Sender.ID {
		return []chat.Reply{r.reply(tr(r.lang, msgLeaveNotAllowed))}, nil
	}
	// The words between the mentions and "代理" are the range.
	var span []string
	for _, w := range f {
		lw := strings.ToLower(w)
		if strings.HasPrefix(w, "@") {
			continue
		}
		if lw == "代理" || lw == "delegate" {
			break
		}
		span = append(span, w)
	}
	from, to, ok := b.leaveRange(r, strings.Join(span, " "))
	if !ok {
		return []chat.Reply{r.reply(tr(r.lang, msgLeaveUsage))}, nil
	}
	if delegate.ID == who.ID {
		delegate = store.User{}
	}
	g := r.group
	var keep []store.Leave
	for _, l := range g.Settings.Leaves {
		if l.To.After(r.now) && !(l.User.ID == who.ID && l.From.Equal(from)) {
			keep = append(keep, l) // past leaves are forgotten
		}
	}
	g.Settings.Leaves = append(keep, store.Leave{User: who, Delegate: delegate, From: from, To: to, By: r.sender()})
	if err := r.tx.PutGroup(g); err != nil {
		return nil, err
	}
	stand := delegate
	if stand.IsZero() {
		stand = r.lead()
	}
	standText := tr(r.lang, wordLeadUnset)
	var notify []store.User
	if !stand.IsZero() {
		standText = mention(stand)
		notify = r.notify(stand)
	}
	last := to.Add(-time.Minute)
	return []chat.Reply{r.reply(tr(r.lang, msgLeaveSet, chat.Escape(who.Name), fmtDate(r.lang, from, r.set.Location), fmtDate(r.lang, last, r.set.Location), standText), notify...)}, nil
}

// leaveRange reads "12月3日-12月5日", "12月3日", "3天" (from today), each
// day whole, in the group's zone.
func (b *Bot) leaveRange(r *request, s string) (from, to time.Time, ok bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return
	}
	loc := r.set.Location
	today := dayStartIn(r.now, loc)
	if m := reLeaveDays.FindStringSubmatch(s); m != nil {
		n, err := strconv.Atoi(toHalfWidth(m[1]))
		if err != nil {
			n = chineseSmall(m[1])
		}
		if n < 1 || n > 90 {
			return
		}
		return today, today.AddDate(0, 0, n), true
	}
	day := func(text string) (time.Time, bool) {
		// A leave may start today: resolve against the start of the day.
		opt := r.set.parseOptions(today, b.cal)
		raw, due, rest, err := rules.DeadlinePrefix(text, opt)
		if err != nil || strings.TrimSpace(rest) != "" || raw == "" {
			return time.Time{}, false
		}
		return dayStartIn(due, loc), true
	}
	if m := reLeaveRange.FindStringSubmatch(s); m != nil {
		a, ok1 := day(m[1])
		z, ok2 := day(m[2])
		if ok1 && ok2 && !z.Before(a) && z.Sub(a) <= 90*24*time.Hour {
			return a, z.AddDate(0, 0, 1), true
		}
		return
	}
	if d, ok1 := day(s); ok1 {
		return d, d.AddDate(0, 0, 1), true
	}
	return
}

func dayStartIn(t time.Time, loc *time.Location) time.Time {
	t = t.In(loc)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
}

// chineseSmall reads 一…九十九; 0 when it cannot.
func chineseSmall(s string) int {
	digits := map[rune]int{'一': 1, '二': 2, '两': 2, '三': 3, '四': 4, '五': 5, '六': 6, '七': 7, '八': 8, '九': 9}
	rs := []rune(s)
	switch {
	case len(rs) == 1 && rs[0] == '十':
		return 10
	case len(rs) == 1:
		return digits[rs[0]]
	case len(rs) == 2 && rs[0] == '十':
		return 10 + digits[rs[1]]
	case len(rs) == 2 && rs[1] == '十':
		return digits[rs[0]] * 10
	case len(rs) == 3 && rs[1] == '十':
		return digits[rs[0]]*10 + digits[rs[2]]
	}
	return 0
}

func fmtDate(lang string, t time.Time, loc *time.Location) string {
	t = t.In(loc)
	if lang == "en" {
		return t.Format("Jan 2")
	}
	return fmt.Sprintf("%d月%d日", int(t.Month()), t.Day())
}

func (b *Bot) leaveList(r *request) ([]chat.Reply, error) {
	var lines []string
	for _, l := range r.group.Settings.Leaves {
		if !l.To.After(r.now) {
			continue
		}
		stand := l.Delegate.Name
		if stand == "" {
			stand = tr(r.lang, wordLead)
		}
		lines = append(lines, fmt.Sprintf("%s %s–%s → %s", chat.Escape(l.User.Name), fmtDate(r.lang, l.From, r.set.Location),
			fmtDate(r.lang, l.To.Add(-time.Minute), r.set.Location), chat.Escape(stand)))
	}
	if len(lines) == 0 {
		return []chat.Reply{r.reply(tr(r.lang, msgLeaveNone))}, nil
	}
	return []chat.Reply{r.reply(tr(r.lang, msgLeaveListTitle) + "\n" + strings.Join(lines, "\n"))}, nil
}

func (b *Bot) leaveCancel(r *request) ([]chat.Reply, error) {
	who := r.sender()
	if len(r.msg.Mentions) > 0 {
		who = toStore(r.msg.Mentions[0])
	}
	if who.ID != r.msg.Sender.ID && !r.admin && r.lead().ID != r.msg.Sender.ID {
		return []chat.Reply{r.reply(tr(r.lang, msgLeaveNotAllowed))}, nil
	}
	g := r.group
	var keep []store.Leave
	n := 0
	for _, l := range g.Settings.Leaves {
		if l.User.ID == who.ID && l.To.After(r.now) {
			n++
			continue
		}
		keep = append(keep, l)
	}
	if n == 0 {
		return []chat.Reply{r.reply(tr(r.lang, msgLeaveNone))}, nil
	}
	g.Settings.Leaves = keep
	if err := r.tx.PutGroup(g); err != nil {
		return nil, err
	}
	return []chat.Reply{r.reply(tr(r.lang, msgLeaveCancelled, chat.Escape(who.Name)))}, nil
}

// onLeave is the leave covering u at t, if any.
func onLeave(g *store.Group, id string, t time.Time) (store.Leave, bool) {
	for _, l := range g.Settings.Leaves {
		if l.User.ID == id && !t.Before(l.From) && t.Before(l.To) {
			return l, true
		}
	}
	return store.Leave{}, false
}

// cmdSnooze quiets a task's nudges and warnings: "/snooze #12 明天". The
// owner may, once a day per task, and never past the due time: a snooze
// must not hide a deadline.
func (b *Bot) cmdSnooze(r *request, args string) ([]chat.Reply, error) {
	t, rest, rep, err := b.findTask(r, args, "/snooze #3 明天")
	if t == nil {
		return rep, err
	}
	if d := r.deny(t, roleOwner, "/snooze"); d != nil {
		return d, nil
	}
	if t.Status != store.StatusOpen {
		return []chat.Reply{r.reply(tr(r.lang, msgTaskClosed, t.ID, statusWord(r.lang, t.Status)))}, nil
	}
	if strings.TrimSpace(rest) == "" {
		return []chat.Reply{r.reply(tr(r.lang, msgSnoozeUsage, t.ID))}, nil
	}
	if !t.SnoozedAt.IsZero() && dayStartIn(t.SnoozedAt, r.set.Location).Equal(dayStartIn(r.now, r.set.Location)) {
		return []chat.Reply{r.reply(tr(r.lang, msgSnoozeOncePerDay, t.ID))}, nil
	}
	raw, until, extra, perr := rules.DeadlinePrefix(rest, r.set.parseOptions(r.now, b.cal))
	if perr != nil || strings.TrimSpace(extra) != "" || raw == "" {
		return []chat.Reply{r.reply(tr(r.lang, msgSnoozeUsage, t.ID))}, nil
	}
	capped := ""
	if until.After(t.Due) {
		until = t.Due
		capped = tr(r.lang, msgSnoozeCapped)
	}
	if !until.After(r.now) {
		return []chat.Reply{r.reply(tr(r.lang, msgSnoozePastDue, t.ID))}, nil
	}
	t.SnoozedUntil, t.SnoozedAt = until, r.now
	if err := r.tx.PutTask(t); err != nil {
		return nil, err
	}
	if err := r.history(t, "snooze", raw); err != nil {
		return nil, err
	}
	return []chat.Reply{r.reply(tr(r.lang, msgSnoozed, t.ID, fmtTime(r.lang, until, r.set.Location, r.now), fmtTime(r.lang, t.Due, r.set.Location, r.now)) + capped)}, nil
}
