package bot

// Request intake (seed 003 步骤二, 004 第一步): the owner of a new task
// confirms within the acknowledgement window whether they take it.
//
//   - /ack #12 takes it (tasks.go); silence counts as accepted (the
//     acknowledgement reminders in rules/remind.go).
//   - /decline #12 原因 替代方案 (/无法承接, /拒绝承接) says they cannot: the
//     reason and the suggested alternative are stored on the task and in its
//     history, the initiator is @-ed, and the task is left without an owner
//     (store.Task.Owner is the zero User) until /assign #12 @someone.
//   - /needinfo #12 问题 (/需补充) asks the initiator a question, recorded in
//     the history; the answer is a reply in the task's thread or /update.
//
// Decisions:
//   - Only the owner declines, and only an open task they have not
//     acknowledged: once acknowledged (explicitly, by an update, or by
//     silence past the window, as seed 002 says) the task is theirs, and
//     /risk or a reassignment by the initiator is the way out.
//   - Both a reason and an alternative are required (seed 003: 说明原因及
//     建议替代方案). They are read from labels (原因：… 替代方案：…, also
//     理由/建议; English reason: … alternative: …), else the text is split
//     at the first ；/; or space.
//   - An unowned task owes no owner reminders: its reminder state counts
//     as closed (unownedState), so nobody is nudged, warned, asked to
//     acknowledge or escalated to, and /nudge explains instead. Its
//     initiator (or whoever stands in while they are on leave) gets one
//     message a working day, at the start of the working day, listing the
//     group's unowned tasks declined before that day (dueReassign; key
//     reassign:<group>:<date>, so exactly once a day). /done refuses an
//     unowned task.
//   - /needinfo may come from the owner or a collaborator while the task is
//     open; it does not count as the acknowledgement, which the reply
//     reminds the owner of.

import (
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"collabbot/bot/chat"
	"collabbot/rules"
	"collabbot/store"
)

// Bounds of what users type into these commands (runes).
const (
	maxDeclineField = 300
	maxQuestion     = 500
)

// kindReassign is the outbox kind of the daily reassign prompt.
const kindReassign = "reassign"

func init() {
	decline := func(b *Bot, r *request, args string) ([]chat.Reply, error) { return b.cmdDecline(r, args) }
	needinfo := func(b *Bot, r *request, args string) ([]chat.Reply, error) { return b.cmdNeedInfo(r, args) }
	registerFeature(feature{
		names: map[string]func(*Bot, *request, string) ([]chat.Reply, error){
			"decline": decline, "无法承接": decline, "拒绝承接": decline, "不承接": decline,
			"needinfo": needinfo, "需补充": needinfo, "补充信息": needinfo, "需补充信息": needinfo,
		},
		due: func(b *Bot, now time.Time) ([]store.GroupKey, error) { return b.dueReassign(now) },
	})
	historyWords["decline"] = [2]string{"拒绝承接", "declined"}
	historyWords["needinfo"] = [2]string{"请求补充信息", "asked for information"}
	historyWords["rectify_due"] = [2]string{"整改截止", "fix due"}
}

// unownedState is the reminder rules' view of a task nobody owns: nothing
// is owed about it (no nudge, warning, acknowledgement or overdue step
// would reach anyone but the empty owner); dueReassign asks its initiator
// to reassign it instead. Called from TaskState.
func unownedState(t *store.Task, s *rules.TaskState) {
	if t.Unowned() {
		s.Status = rules.TaskClosed
	}
}

// ownerName is the owner's name for a reply or list, or the word for none.
func ownerName(lang string, t *store.Task) string {
	if t.Unowned() {
		return tr(lang, iaNoOwner)
	}
	return chat.Escape(t.Owner.Name)
}

// unownedReply refuses an action that needs an owner.
func (r *request) unownedReply(t *store.Task) []chat.Reply {
	by := ""
	if d := t.LastDecline(); d != nil {
		by = chat.Escape(d.By.Name)
	}
	return []chat.Reply{r.reply(tr(r.lang, iaUnowned, t.ID, by))}
}

// tooLong checks a typed field's length; the reply names the field.
func (r *request) tooLong(field, value string, limit int) []chat.Reply {
	if n := utf8.RuneCountInString(value); n > limit {
		return []chat.Reply{r.reply(tr(r.lang, iaTooLong, tr(r.lang, field), limit, n))}
	}
	return nil
}

var (
	reDeclineLabel = regexp.MustCompile(`(?i)(原因|理由|\breason\b|替代方案|替代|建议方案|建议|\balternatives?\b|\binstead\b)\s*[:：]`)
	reFirstSplit   = regexp.MustCompile(`[；;]|\s+`)
)

// labelled splits s at "label：" markers: the text before the first, and
// the text after each marker keyed by kind(label). Repeated kinds join.
func labelled(s string, re *regexp.Regexp, kind func(label string) string) (lead string, parts map[string]string) {
	parts = map[string]string{}
	locs := re.FindAllStringSubmatchIndex(s, -1)
	if len(locs) == 0 {
		return strings.TrimSpace(s), parts
	}
	lead = trimSeps(s[:locs[0][0]])
	for i, l := range locs {
		end := len(s)
		if i+1 < len(locs) {
			end = locs[i+1][0]
		}
		k := kind(strings.ToLower(s[l[2]:l[3]]))
		v := trimSeps(s[l[1]:end])
		if old := parts[k]; old != "" && v != "" {
			v = old + "；" + v
		} else if v == "" {
			v = old
		}
		parts[k] = v
	}
	return lead, parts
}

// trimSeps trims spaces and the punctuation people put between labelled
// parts.
func trimSeps(s string) string {
	return strings.Trim(s, " \t\n\u3000，,；;。、")
}

// parseDecline reads the reason and the alternative.
func parseDecline(s string) (reason, alt string) {
	lead, parts := labelled(s, reDeclineLabel, func(l string) string {
		switch l {
		case "原因", "理由", "reason":
			return "reason"
		}
		return "alt"
	})
	if len(parts) > 0 {
		reason, alt = parts["reason"], parts["alt"]
		switch {
		case reason == "":
			reason = lead
		case alt == "":
			alt = lead
		case lead != "":
			reason = lead + " " + reason
		}
		return reason, alt
	}
	if loc := reFirstSplit.FindStringIndex(lead); loc != nil {
		return trimSeps(lead[:loc[0]]), trimSeps(lead[loc[1]:])
	}
	return lead, ""
}

func (b *Bot) cmdDecline(r *request, args string) ([]chat.Reply, error) {
	const usage = "/decline #3 原因：本周排满 替代方案：建议由李四承接"
	t, rest, rep, err := b.findTask(r, args, usage)
	if t == nil {
		return rep, err
	}
	if t.Unowned() {
		return r.unownedReply(t), nil
	}
	if d := r.deny(t, roleOwner, "/decline"); d != nil {
		return d, nil
	}
	if t.Status != store.StatusOpen {
		return []chat.Reply{r.reply(tr(r.lang, msgTaskClosed, t.ID, statusWord(r.lang, t.Status)))}, nil
	}
	if !t.AckedAt.IsZero() {
		return []chat.Reply{r.reply(tr(r.lang, iaDeclineAcked, t.ID, fmtTime(r.lang, t.AckedAt, r.set.Location, r.now)))}, nil
	}
	reason, alt := parseDecline(rest)
	if reason == "" || alt == "" {
		return []chat.Reply{r.reply(tr(r.lang, iaDeclineUsage, t.ID))}, nil
	}
	if d := r.tooLong(iaWordReason, reason, maxDeclineField); d != nil {
		return d, nil
	}
	if d := r.tooLong(iaWordAlternative, alt, maxDeclineField); d != nil {
		return d, nil
	}
	old := t.Owner
	t.Declines = append(t.Declines, store.Decline{At: r.now, By: old, Reason: reason, Alternative: alt})
	t.Owner = store.User{}
	t.AckedAt, t.AckDefaulted, t.SnoozedUntil = timeZero, false, timeZero
	if err := r.tx.PutTask(t); err != nil {
		return nil, err
	}
	colon, _ := sep(r.lang)
	semi := "；"
	if r.lang == "en" {
		semi = "; "
	}
	if err := r.history(t, "decline", tr(r.lang, iaWordReason)+colon+reason+semi+tr(r.lang, iaWordAlternative)+colon+alt); err != nil {
		return nil, err
	}
	notify := r.notify(t.Initiator)
	who := mentions(notify)
	if who == "" {
		who = tr(r.lang, wordInitiatorOrLead)
	}
	return []chat.Reply{r.reply(tr(r.lang, iaDeclined, chat.Escape(old.Name), t.ID, chat.Escape(taskTitle(t)),
		chat.Escape(reason), chat.Escape(alt), who), notify...)}, nil
}

func (b *Bot) cmdNeedInfo(r *request, args string) ([]chat.Reply, error) {
	t, rest, rep, err := b.findTask(r, args, "/needinfo #3 请提供接口文档和测试账号")
	if t == nil {
		return rep, err
	}
	if d := r.deny(t, roleOwner|roleCollaborator, "/needinfo"); d != nil {
		return d, nil
	}
	if t.Status != store.StatusOpen {
		return []chat.Reply{r.reply(tr(r.lang, msgTaskClosed, t.ID, statusWord(r.lang, t.Status)))}, nil
	}
	q := trimSeps(rest)
	if q == "" {
		return []chat.Reply{r.reply(tr(r.lang, iaNeedInfoUsage, t.ID))}, nil
	}
	if d := r.tooLong(iaWordQuestion, q, maxQuestion); d != nil {
		return d, nil
	}
	if err := r.history(t, "needinfo", q); err != nil {
		return nil, err
	}
	notify := r.notify(t.Initiator)
	who := mentions(notify)
	if who == "" {
		who = tr(r.lang, wordInitiator)
	}
	text := tr(r.lang, iaNeedInfo, t.ID, chat.Escape(taskTitle(t)), chat.Escape(r.sender().Name), chat.Escape(q), who)
	if t.AckedAt.IsZero() && t.Owner.ID == r.msg.Sender.ID {
		text += "\n" + tr(r.lang, iaNeedInfoAck, t.ID, t.ID)
	}
	return []chat.Reply{r.reply(text, notify...)}, nil
}

// reassignOccasion is today's reassign prompt time, when it may go out at
// now: on a working day, from the start of the working day to its end.
func (b *Bot) reassignOccasion(set Effective, now time.Time) (time.Time, bool) {
	n := now.In(set.Location)
	if !b.cal.IsWorkday(n) {
		return time.Time{}, false
	}
	occ := set.WorkdayStart.On(n)
	end := set.WorkdayEnd.On(n)
	if set.WorkdayEnd.IsZero() {
		end = rules.DefaultEndOfDay.On(n)
	}
	if n.Before(occ) || n.After(end) {
		return time.Time{}, false
	}
	return occ, true
}

func reassignKey(g store.GroupKey, occ time.Time) string {
	return kindReassign + ":" + g.String() + ":" + occ.Format(time.DateOnly)
}

// unownedBefore lists the group's open unowned tasks declined before day.
func unownedBefore(tx *store.Tx, g store.GroupKey, day time.Time) ([]*store.Task, error) {
	var out []*store.Task
	err := tx.Tasks(g, func(t *store.Task) error {
		if t.Status == store.StatusOpen && t.Unowned() {
			if d := t.LastDecline(); d != nil && d.At.Before(day) {
				out = append(out, t)
			}
		}
		return nil
	})
	return out, err
}

// dueReassign records, once a working day per group, the prompt asking the
// initiators of unowned tasks to reassign them.
func (b *Bot) dueReassign(now time.Time) ([]store.GroupKey, error) {
	owes := func(tx *store.Tx, g *store.Group) (bool, error) {
		occ, ok := b.reassignOccasion(b.effective(g), now)
		if !ok || tx.OutboxHas(reassignKey(g.Key, occ)) {
			return false, nil
		}
		ts, err := unownedBefore(tx, g.Key, dayStart(occ))
		return len(ts) > 0, err
	}
	return b.dueByGroup("reassign prompt", store.FeatureUnowned, owes, func(tx *store.Tx, g *store.Group) (bool, error) {
		set := b.effective(g)
		occ, ok := b.reassignOccasion(set, now)
		if !ok {
			return false, nil
		}
		ts, err := unownedBefore(tx, g.Key, dayStart(occ))
		if err != nil || len(ts) == 0 {
			return false, err
		}
		rep := b.reassignPrompt(set, ts, now)
		return b.recordScheduled(tx, g.Key, kindReassign, reassignKey(g.Key, occ), rep, false, occ, now)
	})
}

func dayStart(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, t.Location())
}

// reassignPrompt is the daily message: one line per unowned task, its
// initiator (or their stand-in on leave) @-ed.
func (b *Bot) reassignPrompt(set Effective, ts []*store.Task, now time.Time) chat.Reply {
	lang := set.Lang
	var sb strings.Builder
	sb.WriteString(tr(lang, iaReassignHead))
	var who []store.User
	for i, t := range ts {
		if i == maxListLines {
			sb.WriteString("\n" + tr(lang, msgListMore, len(ts)-maxListLines))
			break
		}
		to := standInAt(set, t.Initiator, now)
		name := chat.Escape(t.Initiator.Name)
		if !to.IsZero() {
			name = mention(to)
			if !containsUser(who, to.ID) {
				who = append(who, to)
			}
		}
		d := t.LastDecline()
		sb.WriteString("\n" + tr(lang, iaReassignLine, name, t.ID, chat.Escape(taskTitle(t)), chat.Escape(d.By.Name),
			fmtTime(lang, d.At, set.Location, now), chat.Escape(d.Reason), chat.Escape(d.Alternative)))
	}
	sb.WriteString("\n" + tr(lang, iaReassignHow))
	text := sb.String()
	return chat.Reply{Text: text, Mentions: fromStoreUsers(who),
		Card: &chat.Card{Title: tr(lang, iaReassignTitle), Template: "orange", Body: text}}
}

// standInAt is u, or whoever stands in for u on leave at now (the
// delegate, else the lead); zero when nobody does.
func standInAt(set Effective, u store.User, now time.Time) store.User {
	for _, l := range set.Leaves {
		if l.User.ID != u.ID || now.Before(l.From) || !now.Before(l.To) {
			continue
		}
		if !l.Delegate.IsZero() && l.Delegate.ID != u.ID {
			return l.Delegate
		}
		if set.Lead != nil && set.Lead.ID != u.ID {
			return *set.Lead
		}
		return store.User{}
	}
	return u
}
