package bot

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"collabbot/bot/chat"
	"collabbot/rules"
	"collabbot/store"
)

// groupView is one group's state as the engine reads it in a transaction:
// what the rules need and what the renderer needs.
type groupView struct {
	group  *store.Group
	set    Effective
	policy rules.GroupPolicy
	tasks  []*store.Task // every task, id order
	states []rules.TaskState
	byID   map[int64]*store.Task
	users  map[string]store.User
}

// loadGroup reads g's tasks and builds the rules' view of them.
func (b *Bot) loadGroup(tx *store.Tx, g *store.Group) (*groupView, error) {
	set := b.effective(g)
	v := &groupView{group: g, set: set, policy: policyOf(g, set), byID: map[int64]*store.Task{}, users: map[string]store.User{}}
	if set.Lead != nil {
		v.users[set.Lead.ID] = *set.Lead
	}
	err := tx.Tasks(g.Key, func(t *store.Task) error {
		v.add(t)
		return nil
	})
	return v, err
}

// add puts t in the view (tasks come in id order).
func (v *groupView) add(t *store.Task) {
	v.tasks = append(v.tasks, t)
	v.states = append(v.states, TaskState(t))
	v.byID[t.ID] = t
	for _, u := range []store.User{t.Owner, t.Initiator} {
		v.users[u.ID] = u
	}
	for _, h := range t.Help {
		v.users[h.Helper.ID] = h.Helper
	}
}

// policyOf is the group's reminder policy for the rules.
func policyOf(g *store.Group, set Effective) rules.GroupPolicy {
	p := rules.GroupPolicy{
		Key: g.Key.String(), Loc: set.Location, Since: g.CreatedAt,
		WorkdayStart: set.WorkdayStart, WorkdayEnd: set.WorkdayEnd,
		NudgeEnabled: set.NudgeEnabled, NudgeAt: set.DailyNudge,
		WeeklyDay: set.WeeklyDay, WeeklyAt: set.WeeklyAt,
		AckWindow: set.AckWindow, UrgentAck: set.UrgentAck, ImportantAck: set.ImportantAck,
		HelpReping: set.HelpReping, WarnWorkdays: set.WarnWorkdays,
		LadderStep: set.LadderStep, ReviewWindow: set.ReviewWindow, NudgeScope: set.NudgeScope,
	}
	for _, l := range g.Settings.Leaves {
		p.Leaves = append(p.Leaves, rules.Leave{User: l.User.ID, Delegate: l.Delegate.ID, From: l.From, To: l.To})
	}
	if set.Lead != nil {
		p.Lead = set.Lead.ID
	}
	return p
}

// TaskState converts a stored task to the reminder rules' input: only the
// owner's own updates count as progress, and any /risk or /delay request
// stops the overdue ladder.
func TaskState(t *store.Task) rules.TaskState {
	s := rules.TaskState{
		ID: t.ID, Created: t.CreatedAt, Assigned: t.AssignedAt, Due: t.Due, Owner: t.Owner.ID, Initiator: t.Initiator.ID,
		Urgency: rules.Urgency(t.Urgency), DoneAt: t.DoneAt, SnoozedUntil: t.SnoozedUntil,
	}
	if i := t.PendingDelay(); i >= 0 {
		d := t.Delays[i]
		origin := d.OldDue
		if origin.IsZero() {
			origin = t.Due
		}
		s.Delay = &rules.DelayState{At: d.At, By: d.By.ID, OriginDue: origin}
	}
	for _, e := range t.Escalations {
		switch {
		case e.Kind == string(rules.RemindOverdue) && e.Ref == t.Due.Unix():
			s.Ladder = append(s.Ladder, e.At)
		case e.Kind == string(rules.RemindReview) && e.Ref == t.DoneAt.Unix():
			s.Review = append(s.Review, e.At)
		case e.Kind == string(rules.RemindApproval) && s.Delay != nil && e.Ref == s.Delay.At.Unix():
			s.Delay.Sent = append(s.Delay.Sent, e.At)
		}
	}
	switch {
	case t.Status == store.StatusOpen:
		s.Status = rules.TaskOpen
	case t.Status == store.StatusDone:
		s.Status = rules.TaskDone
	default:
		s.Status = rules.TaskClosed
	}
	switch {
	case t.AckedAt.IsZero():
		s.Ack = rules.AckNone
	case t.AckDefaulted:
		s.Ack = rules.AckDefaulted
	default:
		s.Ack = rules.AckExplicit
	}
	for _, u := range t.Updates {
		if u.By.ID == t.Owner.ID && u.At.After(s.LastOwnerUpdate) {
			s.LastOwnerUpdate = u.At
		}
	}
	for _, r := range t.Risks {
		if r.At.After(s.LastRiskOrDelay) {
			s.LastRiskOrDelay = r.At
		}
	}
	for _, d := range t.Delays {
		if d.At.After(s.LastRiskOrDelay) {
			s.LastRiskOrDelay = d.At
		}
	}
	for i, h := range t.Help {
		if h.Open() {
			s.Help = append(s.Help, rules.HelpState{Index: i, At: h.At, Helper: h.Helper.ID})
		}
	}
	unownedState(t, &s) // intake.go: a declined task owes its empty owner nothing
	return s
}

// rendered is one owed message ready for the outbox.
type rendered struct {
	kind     rules.RemindKind
	text     string
	mentions []store.User
	card     *chat.Card
}

func (v *groupView) who(ids []string) []store.User {
	var out []store.User
	for _, id := range ids {
		if u, ok := v.users[id]; ok && !u.IsZero() {
			out = append(out, u)
		} else if id != "" {
			out = append(out, store.User{ID: id, Name: id})
		}
	}
	return out
}

// render writes the message for o in the group's language.
func (b *Bot) render(v *groupView, o rules.Owed, now time.Time) rendered {
	lang, set := v.set.Lang, v.set
	whom := v.who(o.Mentions)
	at := func(t time.Time) string { return fmtTime(lang, t, set.Location, now) }
	switch o.Kind {
	case rules.RemindNudge:
		// One line per owner: how many tasks, and the one due first. A
		// busy group gets a short message, not a wall of every task.
		var sb strings.Builder
		sb.WriteString(tr(lang, rmNudge))
		byOwner := map[string][]*store.Task{}
		for _, id := range o.Tasks {
			if t := v.byID[id]; t != nil {
				byOwner[t.Owner.ID] = append(byOwner[t.Owner.ID], t)
			}
		}
		for _, u := range whom {
			ts := byOwner[u.ID]
			if len(ts) == 0 {
				continue
			}
			sortByDue(ts)
			first := ts[0]
			sb.WriteString("\n" + tr(lang, rmNudgeLine, mention(u), len(ts), first.ID, chat.Escape(taskTitle(first)), at(first.Due)))
		}
		sb.WriteString("\n" + tr(lang, rmNudgeMore))
		b.writeOpenHelp(&sb, v, now)
		text := sb.String()
		return rendered{kind: o.Kind, text: text, mentions: whom, card: &chat.Card{Title: tr(lang, rmNudgeTitle), Template: "orange", Body: text}}
	case rules.RemindWeekly:
		text := b.WeeklySummary(lang, set, v.tasks, now)
		return rendered{kind: o.Kind, text: text, card: &chat.Card{Title: tr(lang, rmWeekly), Template: "blue", Body: text}}
	}
	t := v.byID[o.TaskID]
	if t == nil { // the rules only name tasks they were given
		return rendered{kind: o.Kind, text: fmt.Sprintf("#%d", o.TaskID)}
	}
	title := chat.Escape(taskTitle(t))
	var text string
	switch o.Kind {
	case rules.RemindWarn:
		left := rules.WorkdaysBetween(b.cal, now.In(set.Location), t.Due.In(set.Location))
		text = tr(lang, rmWarn, t.ID, title, at(t.Due), left, mentions(whom))
	case rules.RemindAckDefault:
		text = tr(lang, rmAckDefault, t.ID, title, mentions(whom), humanDuration(lang, set.AckWindow), at(t.Due))
	case rules.RemindOverdue:
		late := overdueFor(lang, b.lateBy(set, t, now))
		switch o.Step {
		case rules.StepOverdue:
			text = tr(lang, rmOverdue1, t.ID, title, at(t.Due), mentions(whom))
		case rules.StepRiskDue:
			text = tr(lang, rmOverdue2, t.ID, title, late, mentions(whom))
		default:
			// The owner is @-ed by name; the rest are asked to step in.
			owner, others := chat.Escape(t.Owner.Name), whom
			if len(whom) > 0 && whom[0].ID == t.Owner.ID {
				owner, others = mention(whom[0]), whom[1:]
			}
			text = tr(lang, rmOverdue3, t.ID, title, late, owner, mentions(others))
		}
	case rules.RemindReview:
		waited := overdueFor(lang, rules.WorkingDuration(b.cal, set.Location, t.DoneAt, now))
		key := rmReview
		if o.Step == rules.StepReviewLead {
			key = rmReviewLead
		}
		text = tr(lang, key, t.ID, title, chat.Escape(t.Owner.Name), waited, mentions(whom))
	case rules.RemindApproval:
		if i := t.PendingDelay(); i >= 0 {
			d := t.Delays[i]
			key := rmApproval
			if o.Step > 1 {
				key = rmApprovalLead
			}
			text = tr(lang, key, t.ID, title, chat.Escape(d.By.Name), at(d.NewDue), at(t.Due), chat.Escape(d.Reason), mentions(whom))
		} else {
			text = fmt.Sprintf("#%d", t.ID)
		}
	case rules.RemindUrgent:
		text = tr(lang, rmUrgent, t.ID, title, humanDuration(lang, set.UrgentAck), chat.Escape(t.Owner.Name), mentions(whom))
	case rules.RemindImportant:
		text = tr(lang, rmImportant, t.ID, title, humanDuration(lang, set.ImportantAck), mentions(whom))
	case rules.RemindHelp:
		h := t.Help[o.Step]
		text = tr(lang, rmHelp, t.ID, title, humanDuration(lang, set.HelpReping), chat.Escape(h.Text), mentions(whom))
	default:
		text = string(o.Kind)
	}
	return rendered{kind: o.Kind, text: text, mentions: whom, card: b.taskCard(lang, set, t, now, text)}
}

func (b *Bot) writeLines(sb *strings.Builder, lang string, set Effective, ts []*store.Task, now time.Time) {
	for i, t := range ts {
		if i == maxListLines {
			sb.WriteString("\n" + tr(lang, msgListMore, len(ts)-maxListLines))
			break
		}
		sb.WriteString("\n" + b.listLine(lang, set, t, now))
	}
}

// writeOpenHelp lists the group's open help flags: every digest carries
// them (rules.md).
func (b *Bot) writeOpenHelp(sb *strings.Builder, v *groupView, now time.Time) {
	var lines []string
	for _, t := range v.tasks {
		if t.Status.Closed() {
			continue
		}
		for _, h := range t.OpenHelp() {
			who := chat.Escape(h.Helper.Name)
			if who == "" {
				who = "-"
			}
			lines = append(lines, fmt.Sprintf("#%d %s · %s → %s：%s", t.ID, chat.Escape(taskTitle(t)), chat.Escape(h.By.Name), who, chat.Escape(h.Text)))
		}
	}
	if len(lines) == 0 {
		return
	}
	sb.WriteString("\n\n" + tr(v.set.Lang, rmOpenHelp, len(lines)))
	for i, l := range lines {
		if i == maxListLines {
			sb.WriteString("\n" + tr(v.set.Lang, msgListMore, len(lines)-maxListLines))
			break
		}
		sb.WriteString("\n" + l)
	}
}

// digest merges the messages that fell due in quiet hours into one morning
// message: their texts in order, the mentions merged.
func (b *Bot) digest(v *groupView, parts []rendered, now time.Time) rendered {
	lang := v.set.Lang
	var sb strings.Builder
	sb.WriteString(tr(lang, rmDigest))
	var who []store.User
	hasNudge := false
	for i, p := range parts {
		hasNudge = hasNudge || p.kind == rules.RemindNudge
		fmt.Fprintf(&sb, "\n\n%d. %s", i+1, p.text)
		for _, u := range p.mentions {
			if !slices.ContainsFunc(who, func(x store.User) bool { return x.ID == u.ID }) {
				who = append(who, u)
			}
		}
	}
	if !hasNudge {
		b.writeOpenHelp(&sb, v, now)
	}
	text := sb.String()
	return rendered{kind: kindDigest, text: text, mentions: who, card: &chat.Card{Title: tr(lang, rmDigestHead), Template: "orange", Body: text}}
}
