package bot

import (
	"fmt"
	"strings"
	"time"

	"collabbot/bot/chat"
	"collabbot/rules"
	"collabbot/store"
)

// createFromText handles "/task 【…】".
func (b *Bot) createFromText(r *request, args string) ([]chat.Reply, error) {
	if strings.TrimSpace(args) == "" {
		return []chat.Reply{r.reply(tr(r.lang, msgTaskUsage, rules.Example(rules.Result{Kind: rules.KindTask}, r.lang)))}, nil
	}
	res := rules.Parse(args, r.set.parseOptions(r.now, b.cal))
	if res.Kind != rules.KindTask && res.Kind != rules.KindNearMiss {
		return []chat.Reply{r.reply(tr(r.lang, msgTaskUsage, rules.Example(rules.Result{Kind: rules.KindTask}, r.lang)))}, nil
	}
	return b.createFromResult(r, res)
}

// createFromResult creates the task, or answers with every problem found
// and a corrected example. Nothing is stored for a malformed request.
func (b *Bot) createFromResult(r *request, res rules.Result) ([]chat.Reply, error) {
	if len(res.Errors) > 0 || res.Task == nil {
		return []chat.Reply{r.reply(formatErrors(r.lang, res))}, nil
	}
	p := res.Task
	owner := r.sender()
	ownerFromMention := false
	var collab []store.User
	for i, u := range r.msg.Mentions {
		if i == 0 {
			owner = toStore(u)
			ownerFromMention = true
			continue
		}
		su := toStore(u)
		if su.ID != owner.ID && !containsUser(collab, su.ID) {
			collab = append(collab, su)
		}
	}
	urg := string(p.Urgency)
	if urg == "" {
		urg = string(rules.Routine)
	}
	t := &store.Task{
		Group: r.key(), Topic: p.Topic, Item: p.Item, Request: p.Request, Deadline: p.Deadline,
		Due: p.Due, Urgency: urg, Owner: owner, Collaborators: collab, Initiator: r.sender(),
		Status: store.StatusOpen, CreatedAt: r.now, MessageID: r.msg.MessageID,
	}
	t.AssignedAt = r.now
	if t.Owner.ID == t.Initiator.ID {
		// Nobody needs to confirm receipt of their own request.
		t.AckedAt = r.now
	}
	if err := r.tx.NewTask(t); err != nil {
		return nil, err
	}
	if res.Tags.Assist {
		helper := b.helperFor(r, t, nil)
		t.Help = append(t.Help, store.HelpFlag{At: r.now, By: r.sender(), Text: res.Rest, Helper: helper})
		if err := r.tx.PutTask(t); err != nil {
			return nil, err
		}
		if err := r.history(t, "assist", res.Rest); err != nil {
			return nil, err
		}
	}
	text := b.createdText(r, t, ownerFromMention)
	rep := r.reply(text, append([]store.User{t.Owner}, t.Collaborators...)...)
	// The card's title already names the task; its body starts after the
	// "created" line.
	_, body, _ := strings.Cut(text, "\n")
	rep.Card = b.taskCard(r.lang, r.set, t, r.now, body)
	return []chat.Reply{rep}, nil
}

func containsUser(us []store.User, id string) bool {
	for _, u := range us {
		if u.ID == id {
			return true
		}
	}
	return false
}

func (b *Bot) createdText(r *request, t *store.Task, ownerFromMention bool) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, tr(r.lang, msgCreated), t.ID, chat.Escape(taskTitle(t)))
	sb.WriteString("\n")
	b.writeTaskFacts(&sb, r.lang, r.set, t, r.now, true)
	if !ownerFromMention {
		sb.WriteString("\n" + tr(r.lang, msgOwnerIsSender))
	}
	if len(t.Help) > 0 {
		sb.WriteString("\n" + tr(r.lang, msgHelpRaisedInline))
	}
	if note := b.holidayNote(r, t); note != "" {
		sb.WriteString("\n" + note)
	}
	if !t.AckedAt.IsZero() {
		return sb.String()
	}
	sb.WriteString("\n" + b.askAck(r, t))
	return sb.String()
}

// askAck asks the owner to acknowledge, saying the one rule of the task's
// tier (seed 000: 紧急 15 分钟内响应): a routine task is accepted by
// default, an important one is asked again, an urgent one goes to the lead.
func (b *Bot) askAck(r *request, t *store.Task) string {
	switch t.Urgency {
	case string(rules.Urgent):
		return tr(r.lang, msgAskAckUrgent, mention(t.Owner), t.ID, humanDuration(r.lang, r.set.UrgentAck))
	case string(rules.Important):
		return tr(r.lang, msgAskAckImportant, mention(t.Owner), t.ID, humanDuration(r.lang, r.set.ImportantAck))
	}
	return tr(r.lang, msgAskAck, mention(t.Owner), t.ID, humanDuration(r.lang, r.set.AckWindow))
}

// holidayNote: a deadline on a day off is accepted, with the day's name
// and the working day before it to move to (/edit by the initiator,
// /delay by the owner), since "9月30日" meant in the office is the usual
// intent and a deadline nobody works on is rarely wanted.
func (b *Bot) holidayNote(r *request, t *store.Task) string {
	due := t.Due.In(r.set.Location)
	if b.cal.IsWorkday(due) {
		return ""
	}
	name := b.cal.DayName(due)
	if name == "" {
		name = tr(r.lang, wordWeekend)
	}
	prev := r.set.WorkdayEnd.On(rules.AddWorkdays(b.cal, due, -1))
	if prev.Before(r.now) {
		return tr(r.lang, msgDueOnHolidayNoEarlier, fmtTime(r.lang, due, r.set.Location, r.now), name)
	}
	return tr(r.lang, msgDueOnHoliday, fmtTime(r.lang, due, r.set.Location, r.now), name, fmtTime(r.lang, prev, r.set.Location, r.now), t.ID, dateArg(r.lang, prev))
}

// dateArg writes a date the deadline parser reads back: "9月30日 18:00"
// or "2026-09-30 18:00".
func dateArg(lang string, t time.Time) string {
	return fmt.Sprintf("%d月%d日%02d:%02d", int(t.Month()), t.Day(), t.Hour(), t.Minute())
}

func (b *Bot) cmdAck(r *request, args string) ([]chat.Reply, error) {
	t, _, rep, err := b.findTask(r, args, "/ack #3")
	if t == nil {
		return rep, err
	}
	if d := r.deny(t, roleOwner, "/ack"); d != nil {
		return d, nil
	}
	if t.Status.Closed() {
		return []chat.Reply{r.reply(tr(r.lang, msgTaskClosed, t.ID, statusWord(r.lang, t.Status)))}, nil
	}
	if !t.AckedAt.IsZero() && !t.AckDefaulted {
		return []chat.Reply{r.reply(tr(r.lang, msgAlreadyAcked, t.ID, fmtTime(r.lang, t.AckedAt, r.set.Location, r.now)))}, nil
	}
	t.AckedAt, t.AckDefaulted = r.now, false
	if err := r.tx.PutTask(t); err != nil {
		return nil, err
	}
	if err := r.history(t, "ack", ""); err != nil {
		return nil, err
	}
	return []chat.Reply{r.reply(tr(r.lang, msgAcked, t.ID, mention(t.Initiator), fmtTime(r.lang, t.Due, r.set.Location, r.now)), t.Initiator)}, nil
}

func (b *Bot) cmdUpdate(r *request, args string) ([]chat.Reply, error) {
	t, rest, rep, err := b.findTask(r, args, "/update #3 80% 已完成接口联调")
	if t == nil {
		return rep, err
	}
	if strings.TrimSpace(rest) == "" {
		return []chat.Reply{r.reply(tr(r.lang, msgUpdateUsage, t.ID))}, nil
	}
	return b.recordUpdate(r, t, rest, false)
}

// recordUpdate stores a progress update; fromThread marks a plain reply in
// the task's thread, which anyone involved may post.
func (b *Bot) recordUpdate(r *request, t *store.Task, text string, fromThread bool) ([]chat.Reply, error) {
	if d := r.deny(t, roleOwner|roleCollaborator|roleInitiator|roleLead|roleAdmin, "/update"); d != nil {
		if fromThread {
			return nil, nil
		}
		return d, nil
	}
	if t.Status.Closed() {
		return []chat.Reply{r.reply(tr(r.lang, msgTaskClosed, t.ID, statusWord(r.lang, t.Status)))}, nil
	}
	pct, bad := parsePercent(text)
	if bad != "" {
		return []chat.Reply{r.reply(tr(r.lang, msgBadPercent, chat.Escape(bad), t.ID))}, nil
	}
	t.Updates = append(t.Updates, store.Update{At: r.now, By: r.sender(), Text: text, Percent: pct})
	if pct >= 0 {
		t.Percent = pct
	}
	if t.Owner.ID == r.msg.Sender.ID || containsUser(t.Collaborators, r.msg.Sender.ID) {
		t.LastUpdateAt = r.now
	}
	// An update from the owner shows they have the task: it counts as the
	// acknowledgement they may have forgotten to send.
	if t.Owner.ID == r.msg.Sender.ID && t.AckedAt.IsZero() {
		t.AckedAt = r.now
	}
	if err := r.tx.PutTask(t); err != nil {
		return nil, err
	}
	if err := r.history(t, "update", text); err != nil {
		return nil, err
	}
	msg := tr(r.lang, msgUpdated, t.ID, t.Percent)
	if pct >= 100 {
		msg += "\n" + tr(r.lang, msgHintDone, t.ID)
	}
	return []chat.Reply{r.reply(msg)}, nil
}

func (b *Bot) cmdDone(r *request, args string) ([]chat.Reply, error) {
	t, rest, rep, err := b.findTask(r, args, "/done #3")
	if t == nil {
		return rep, err
	}
	if t.Unowned() && !t.Status.Closed() {
		return r.unownedReply(t), nil
	}
	if d := r.deny(t, roleOwner|roleLead|roleAdmin, "/done"); d != nil {
		return d, nil
	}
	switch t.Status {
	case store.StatusDone:
		return []chat.Reply{r.reply(tr(r.lang, msgAlreadyDone, t.ID, mention(t.Initiator)), t.Initiator)}, nil
	case store.StatusAccepted, store.StatusCancelled:
		return []chat.Reply{r.reply(tr(r.lang, msgTaskClosed, t.ID, statusWord(r.lang, t.Status)))}, nil
	}
	// The 《成果交付说明》: whatever follows the id.
	note, bad := r.parseDelivery(rest)
	if bad != nil {
		return bad, nil
	}
	if note != nil {
		t.Deliveries = append(t.Deliveries, *note)
	}
	t.DoneAt, t.Percent = r.now, 100
	selfReview := t.Initiator.ID == t.Owner.ID
	if r.set.RequireAcceptance && !selfReview {
		t.Status = store.StatusDone
	} else {
		t.Status, t.AcceptedAt = store.StatusAccepted, r.now
	}
	if err := r.tx.PutTask(t); err != nil {
		return nil, err
	}
	if err := r.history(t, "done", rest); err != nil {
		return nil, err
	}
	var text string
	var notify []store.User
	if t.Status == store.StatusDone {
		text, notify = tr(r.lang, msgDoneAwaitAccept, t.ID, mention(t.Initiator), t.ID, t.ID), []store.User{t.Initiator}
	} else {
		text = tr(r.lang, msgDoneClosed, t.ID)
	}
	if note != nil {
		text += "\n" + deliveryText(r.lang, note)
	}
	return []chat.Reply{r.reply(text, notify...)}, nil
}

func (b *Bot) cmdAccept(r *request, args string) ([]chat.Reply, error) {
	t, rest, rep, err := b.findTask(r, args, "/accept #3")
	if t == nil {
		return rep, err
	}
	if d := r.deny(t, roleInitiator|roleLead|roleAdmin, "/accept"); d != nil {
		return d, nil
	}
	if rep := r.notAwaitingReview(t); rep != nil {
		return rep, nil
	}
	// The 《协作成果确认表》 entry: 标准：… 结果：…
	entry, _ := parseAcceptance(rest)
	if entry != nil {
		if d := r.tooLong(iaWordStandard, entry.Standard, maxReviewField); d != nil {
			return d, nil
		}
		if d := r.tooLong(iaWordResult, entry.Result, maxReviewField); d != nil {
			return d, nil
		}
		entry.At, entry.By = r.now, r.sender()
		t.Acceptances = append(t.Acceptances, *entry)
	}
	t.Status, t.AcceptedAt = store.StatusAccepted, r.now
	t.Reviews = append(t.Reviews, store.Review{At: r.now, By: r.sender(), Accepted: true, Comment: rest})
	if err := r.tx.PutTask(t); err != nil {
		return nil, err
	}
	if err := r.history(t, "accept", rest); err != nil {
		return nil, err
	}
	text := tr(r.lang, msgAccepted, t.ID, mention(t.Owner))
	if entry != nil {
		text += "\n" + acceptanceText(r.lang, *entry, func(a store.Acceptance) string { return fmtTime(r.lang, a.At, r.set.Location, r.now) })
	}
	return []chat.Reply{r.reply(text, t.Owner)}, nil
}

func (b *Bot) cmdReject(r *request, args string) ([]chat.Reply, error) {
	t, rest, rep, err := b.findTask(r, args, "/reject #3 登录页在 iOS 上错位")
	if t == nil {
		return rep, err
	}
	if d := r.deny(t, roleInitiator|roleLead|roleAdmin, "/reject"); d != nil {
		return d, nil
	}
	if rep := r.notAwaitingReview(t); rep != nil {
		return rep, nil
	}
	if strings.TrimSpace(rest) == "" {
		return []chat.Reply{r.reply(tr(r.lang, msgRejectNeedsReason, t.ID))}, nil
	}
	// 问题整改: 整改项：… 新截止：…
	items, deadline, structured := parseRectification(rest)
	if structured && items == "" {
		return []chat.Reply{r.reply(tr(r.lang, iaRejectNeedsItems, t.ID))}, nil
	}
	if d := r.tooLong(iaWordItems, items, maxReviewField); d != nil {
		return d, nil
	}
	var fix *store.Rectification
	if structured {
		fix = &store.Rectification{At: r.now, By: r.sender(), Items: items}
		if deadline != "" {
			raw, due, extra, perr := rules.DeadlinePrefix(deadline, r.set.parseOptions(r.now, b.cal))
			switch {
			case perr != nil:
				return []chat.Reply{r.reply(tr(r.lang, iaRejectBadDue, deadlineProblem(r.lang, perr), t.ID))}, nil
			case strings.TrimSpace(extra) != "":
				return []chat.Reply{r.reply(tr(r.lang, iaRejectBadDue, tr(r.lang, iaDueExtra, chat.Escape(clip(extra, 40))), t.ID))}, nil
			case !due.After(r.now):
				return []chat.Reply{r.reply(tr(r.lang, iaRejectBadDue, tr(r.lang, iaDuePast, chat.Escape(raw)), t.ID))}, nil
			}
			fix.Deadline, fix.NewDue, fix.OldDue = raw, due, t.Due
		}
		t.Rectifications = append(t.Rectifications, *fix)
		if !fix.NewDue.IsZero() {
			t.Due, t.Deadline = fix.NewDue, fix.Deadline
		}
	}
	t.Status = store.StatusOpen
	if t.Percent >= 100 {
		t.Percent = 90
	}
	t.Reviews = append(t.Reviews, store.Review{At: r.now, By: r.sender(), Accepted: false, Comment: rest})
	if err := r.tx.PutTask(t); err != nil {
		return nil, err
	}
	if err := r.history(t, "reject", rest); err != nil {
		return nil, err
	}
	if fix == nil {
		return []chat.Reply{r.reply(tr(r.lang, msgRejected, t.ID, mention(t.Owner), chat.Escape(rest)), t.Owner)}, nil
	}
	due := ""
	if !fix.NewDue.IsZero() {
		if err := r.history(t, "rectify_due", r.rectifyDueHistory(*fix)); err != nil {
			return nil, err
		}
		due = "\n" + tr(r.lang, iaNewDue, fmtTime(r.lang, fix.NewDue, r.set.Location, r.now), fmtTime(r.lang, fix.OldDue, r.set.Location, r.now))
	}
	return []chat.Reply{r.reply(tr(r.lang, iaRejectedFix, t.ID, mention(t.Owner), chat.Escape(fix.Items), due), t.Owner)}, nil
}

// notAwaitingReview explains why a review command does not apply: the
// task is still being worked on, or already closed.
func (r *request) notAwaitingReview(t *store.Task) []chat.Reply {
	switch t.Status {
	case store.StatusDone:
		return nil
	case store.StatusAccepted:
		return []chat.Reply{r.reply(tr(r.lang, msgAlreadyAccepted, t.ID, fmtTime(r.lang, t.AcceptedAt, r.set.Location, r.now)))}
	case store.StatusCancelled:
		return []chat.Reply{r.reply(tr(r.lang, msgTaskClosed, t.ID, statusWord(r.lang, t.Status)))}
	}
	return []chat.Reply{r.reply(tr(r.lang, msgNotAwaitingAccept, t.ID, statusWord(r.lang, t.Status)))}
}

// helperFor picks who a help flag calls: the first person mentioned in the
// message who is not the sender, else the group lead, else the initiator.
func (b *Bot) helperFor(r *request, t *store.Task, mentions []chat.User) store.User {
	for _, u := range mentions {
		if u.ID != r.msg.Sender.ID {
			return toStore(u)
		}
	}
	if lead := r.lead(); !lead.IsZero() {
		return lead
	}
	if t.Initiator.ID != r.msg.Sender.ID {
		return t.Initiator
	}
	return store.User{}
}

func (b *Bot) cmdAssist(r *request, args string) ([]chat.Reply, error) {
	t, rest, rep, err := b.findTask(r, args, "【需协助】#3 需要法务确认合同条款 @李四")
	if t == nil {
		return rep, err
	}
	if d := r.deny(t, roleOwner|roleCollaborator|roleInitiator|roleLead|roleAdmin, "/assist"); d != nil {
		return d, nil
	}
	if t.Status.Closed() {
		return []chat.Reply{r.reply(tr(r.lang, msgTaskClosed, t.ID, statusWord(r.lang, t.Status)))}, nil
	}
	rest = strings.TrimSpace(rest)
	if rest == "" {
		return []chat.Reply{r.reply(tr(r.lang, msgAssistUsage, t.ID))}, nil
	}
	helper := b.helperFor(r, t, r.msg.Mentions)
	t.Help = append(t.Help, store.HelpFlag{At: r.now, By: r.sender(), Text: rest, Helper: helper})
	if err := r.tx.PutTask(t); err != nil {
		return nil, err
	}
	if err := r.history(t, "assist", rest); err != nil {
		return nil, err
	}
	if helper.IsZero() {
		return []chat.Reply{r.reply(tr(r.lang, msgAssistNoHelper, t.ID, chat.Escape(rest)))}, nil
	}
	return []chat.Reply{r.reply(tr(r.lang, msgAssistRaised, t.ID, mention(helper), chat.Escape(taskTitle(t)), chat.Escape(rest), t.ID), helper)}, nil
}

func (b *Bot) cmdResolve(r *request, args string) ([]chat.Reply, error) {
	t, rest, rep, err := b.findTask(r, args, "/resolve #3")
	if t == nil {
		return rep, err
	}
	n := 0
	for i := range t.Help {
		if t.Help[i].Open() {
			n++
		}
	}
	if n == 0 {
		return []chat.Reply{r.reply(tr(r.lang, msgNoOpenHelp, t.ID))}, nil
	}
	allowed := r.roles(t)&(roleOwner|roleInitiator|roleLead|roleAdmin) != 0
	for _, h := range t.Help {
		if h.Open() && (h.By.ID == r.msg.Sender.ID || h.Helper.ID == r.msg.Sender.ID) {
			allowed = true
		}
	}
	if !allowed {
		return r.deny(t, roleOwner|roleInitiator|roleLead|roleAdmin, "/resolve"), nil
	}
	for i := range t.Help {
		if t.Help[i].Open() {
			t.Help[i].ResolvedAt, t.Help[i].ResolvedBy = r.now, r.sender()
		}
	}
	if err := r.tx.PutTask(t); err != nil {
		return nil, err
	}
	if err := r.history(t, "resolve", rest); err != nil {
		return nil, err
	}
	return []chat.Reply{r.reply(tr(r.lang, msgResolved, t.ID, n))}, nil
}

func (b *Bot) cmdRisk(r *request, args string) ([]chat.Reply, error) {
	t, rest, rep, err := b.findTask(r, args, "/risk #3 第三方接口文档未到，计划周三前改用备用方案")
	if t == nil {
		return rep, err
	}
	if d := r.deny(t, roleOwner|roleCollaborator|roleInitiator|roleLead|roleAdmin, "/risk"); d != nil {
		return d, nil
	}
	if t.Status.Closed() {
		return []chat.Reply{r.reply(tr(r.lang, msgTaskClosed, t.ID, statusWord(r.lang, t.Status)))}, nil
	}
	rest = strings.TrimSpace(rest)
	if rest == "" {
		return []chat.Reply{r.reply(tr(r.lang, msgRiskUsage, t.ID))}, nil
	}
	t.Risks = append(t.Risks, store.Risk{At: r.now, By: r.sender(), Text: rest})
	if err := r.tx.PutTask(t); err != nil {
		return nil, err
	}
	if err := r.history(t, "risk", rest); err != nil {
		return nil, err
	}
	notify := r.notify(t.Initiator, r.lead())
	goal, also := riskGoalNotice(r, t, rest) // incident.go: 000 第三步, a risk to the overall goal
	return []chat.Reply{r.reply(tr(r.lang, msgRiskRecorded, t.ID, chat.Escape(taskTitle(t)), chat.Escape(rest), mentions(notify))+goal, append(notify, also...)...)}, nil
}

// notify returns the distinct users to notify, without the sender and
// without nobody (an unset lead is the zero User).
func (r *request) notify(users ...store.User) []store.User {
	var out []store.User
	for _, u := range users {
		if u.IsZero() || u.ID == r.msg.Sender.ID || containsUser(out, u.ID) {
			continue
		}
		out = append(out, u)
	}
	return out
}

// lead is the group lead, or the zero User when none is set.
func (r *request) lead() store.User {
	if r.set.Lead == nil {
		return store.User{}
	}
	return *r.set.Lead
}

func mentions(us []store.User) string {
	var parts []string
	for _, u := range us {
		parts = append(parts, mention(u))
	}
	return strings.Join(parts, " ")
}

func (b *Bot) cmdDelay(r *request, args string) ([]chat.Reply, error) {
	const usage = "/delay #3 9月20日 等待第三方接口文档"
	t, rest, rep, err := b.findTask(r, args, usage)
	if t == nil {
		return rep, err
	}
	if d := r.deny(t, roleOwner|roleLead|roleAdmin, "/delay"); d != nil {
		return d, nil
	}
	if t.Status.Closed() {
		return []chat.Reply{r.reply(tr(r.lang, msgTaskClosed, t.ID, statusWord(r.lang, t.Status)))}, nil
	}
	if t.PendingDelay() >= 0 {
		return []chat.Reply{r.reply(tr(r.lang, msgDelayPending, t.ID, t.ID, t.ID))}, nil
	}
	if strings.TrimSpace(rest) == "" {
		return []chat.Reply{r.reply(tr(r.lang, msgDelayUsage, t.ID))}, nil
	}
	raw, due, reason, perr := rules.DeadlinePrefix(rest, r.set.parseOptions(r.now, b.cal))
	if perr != nil {
		text := tr(r.lang, msgDelayBadDeadline, deadlineProblem(r.lang, perr), t.ID)
		if forms := rules.AcceptedDeadlines(r.lang); !strings.Contains(text, forms) {
			text += "\n" + tr(r.lang, msgDeadlineForms, forms)
		}
		return []chat.Reply{r.reply(text)}, nil
	}
	reason = strings.TrimSpace(reason)
	var problems []string
	if !due.After(t.Due) {
		problems = append(problems, tr(r.lang, msgDelayNotLater, chat.Escape(raw), fmtTime(r.lang, t.Due, r.set.Location, r.now)))
	}
	if reason == "" {
		problems = append(problems, tr(r.lang, msgDelayNeedsReason))
	}
	if len(problems) > 0 {
		return []chat.Reply{r.reply(numbered(problems) + "\n" + tr(r.lang, msgExample, fmt.Sprintf("/delay #%d %s", t.ID, "9月20日 等待第三方接口文档")))}, nil
	}
	t.Delays = append(t.Delays, store.Delay{At: r.now, By: r.sender(), NewDue: due, Deadline: raw, Reason: reason, State: store.DelayPending, OldDue: t.Due})
	if err := r.tx.PutTask(t); err != nil {
		return nil, err
	}
	if err := r.history(t, "delay", raw+" "+reason); err != nil {
		return nil, err
	}
	notify := r.notify(t.Initiator, r.lead())
	who := mentions(notify)
	if who == "" {
		who = tr(r.lang, wordInitiatorOrLead)
	}
	return []chat.Reply{r.reply(tr(r.lang, msgDelayRequested, t.ID, fmtTime(r.lang, t.Due, r.set.Location, r.now),
		fmtTime(r.lang, due, r.set.Location, r.now), chat.Escape(reason), who, t.ID, t.ID), notify...)}, nil
}

func (b *Bot) cmdDecideDelay(r *request, args string, approve bool) ([]chat.Reply, error) {
	verb := "/deny"
	if approve {
		verb = "/approve"
	}
	t, rest, rep, err := b.findTask(r, args, verb+" #3")
	if t == nil {
		return rep, err
	}
	if d := r.deny(t, roleInitiator|roleLead|roleAdmin, verb); d != nil {
		return d, nil
	}
	i := t.PendingDelay()
	if i < 0 {
		return []chat.Reply{r.reply(tr(r.lang, msgNoPendingDelay, t.ID))}, nil
	}
	d := &t.Delays[i]
	d.DecidedBy, d.DecidedAt = r.sender(), r.now
	action := "deny"
	if approve {
		d.State = store.DelayApproved
		d.OldDue = t.Due
		t.Due, t.Deadline = d.NewDue, d.Deadline
		action = "approve"
	} else {
		d.State = store.DelayDenied
	}
	if err := r.tx.PutTask(t); err != nil {
		return nil, err
	}
	if err := r.history(t, action, rest); err != nil {
		return nil, err
	}
	if approve {
		return []chat.Reply{r.reply(tr(r.lang, msgDelayApproved, t.ID, mention(t.Owner), fmtTime(r.lang, d.OldDue, r.set.Location, r.now), fmtTime(r.lang, t.Due, r.set.Location, r.now)), t.Owner)}, nil
	}
	return []chat.Reply{r.reply(tr(r.lang, msgDelayDenied, t.ID, mention(t.Owner), fmtTime(r.lang, t.Due, r.set.Location, r.now), chat.Escape(rest)), t.Owner)}, nil
}

func (b *Bot) cmdAssign(r *request, args string) ([]chat.Reply, error) {
	t, _, rep, err := b.findTask(r, args, "/assign #3 @李四")
	if t == nil {
		return rep, err
	}
	if d := r.deny(t, roleOwner|roleInitiator|roleLead|roleAdmin, "/assign"); d != nil {
		return d, nil
	}
	if t.Status.Closed() {
		return []chat.Reply{r.reply(tr(r.lang, msgTaskClosed, t.ID, statusWord(r.lang, t.Status)))}, nil
	}
	if len(r.msg.Mentions) == 0 {
		return []chat.Reply{r.reply(tr(r.lang, msgAssignUsage, t.ID))}, nil
	}
	if r.msg.Mentions[0].ID == t.Owner.ID {
		return []chat.Reply{r.reply(tr(r.lang, msgAlreadyOwner, t.ID, chat.Escape(t.Owner.Name)))}, nil
	}
	old := t.Owner
	t.Owner = toStore(r.msg.Mentions[0])
	t.AssignedAt = r.now // the new owner's acknowledgement window starts now
	t.AckedAt, t.AckDefaulted = timeZero, false
	if err := r.tx.PutTask(t); err != nil {
		return nil, err
	}
	from := old.Name
	if old.IsZero() {
		from = "-" // declined: nobody owned it
	}
	if err := r.history(t, "assign", from+" → "+t.Owner.Name); err != nil {
		return nil, err
	}
	return []chat.Reply{r.reply(tr(r.lang, msgAssigned, t.ID, ownerName(r.lang, &store.Task{Owner: old}), mention(t.Owner), t.ID), t.Owner)}, nil
}

func (b *Bot) cmdCancel(r *request, args string) ([]chat.Reply, error) {
	t, rest, rep, err := b.findTask(r, args, "/cancel #3 需求取消")
	if t == nil {
		return rep, err
	}
	if d := r.deny(t, roleInitiator|roleLead|roleAdmin, "/cancel"); d != nil {
		return d, nil
	}
	if t.Status.Closed() {
		return []chat.Reply{r.reply(tr(r.lang, msgTaskClosed, t.ID, statusWord(r.lang, t.Status)))}, nil
	}
	t.Status = store.StatusCancelled
	if err := r.tx.PutTask(t); err != nil {
		return nil, err
	}
	if err := r.history(t, "cancel", rest); err != nil {
		return nil, err
	}
	notify := r.notify(t.Owner)
	text := tr(r.lang, msgCancelled, t.ID, mentions(notify))
	if reason := strings.TrimSpace(rest); reason != "" {
		colon, _ := sep(r.lang)
		text += "\n" + tr(r.lang, wordReason) + colon + chat.Escape(reason)
	}
	return []chat.Reply{r.reply(text, notify...)}, nil
}

func numbered(lines []string) string {
	if len(lines) == 1 {
		return lines[0]
	}
	var sb strings.Builder
	for i, l := range lines {
		if i > 0 {
			sb.WriteString("\n")
		}
		fmt.Fprintf(&sb, "%d. %s", i+1, l)
	}
	return sb.String()
}

// formatErrors renders every parse problem and a corrected example.
func formatErrors(lang string, res rules.Result) string {
	msgs := res.Errors.Messages(lang)
	var sb strings.Builder
	if res.Kind == rules.KindNearMiss {
		sb.WriteString(tr(lang, msgNearMiss))
	} else {
		sb.WriteString(tr(lang, msgMalformed))
	}
	sb.WriteString("\n")
	for i, m := range msgs {
		fmt.Fprintf(&sb, "%d. %s\n", i+1, chat.Escape(m))
	}
	sb.WriteString(tr(lang, msgExample, chat.Escape(rules.Example(res, lang))))
	return sb.String()
}

func deadlineProblem(lang string, err error) string {
	if e, ok := err.(rules.Error); ok {
		return chat.Escape(e.Message(lang))
	}
	if e, ok := err.(*rules.Error); ok {
		return chat.Escape(e.Message(lang))
	}
	return chat.Escape(err.Error())
}
