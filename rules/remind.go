package rules

import (
	"slices"
	"strconv"
	"strings"
	"time"
)

// This file is the pure half of the reminder engine: given a group's
// policy, its tasks as plain states, the working calendar and the time,
// Due says which scheduled or triggered messages are owed. It keeps no
// memory: the engine records what was sent under each Owed.Key and asks
// again every minute, so the same answer twice is harmless. NextAt
// (remind_next.go) says when to ask next about each task; it walks the
// same per-kind functions, but a change here that moves when something
// is owed must bump NextAtVersion.

// RemindKind names a scheduled or triggered message. The values double as
// metrics labels and as the first part of idempotency keys.
type RemindKind string

const (
	RemindNudge      RemindKind = "nudge"         // daily progress nudge
	RemindWeekly     RemindKind = "weekly"        // weekly summary
	RemindWarn       RemindKind = "warn"          // N working days before due
	RemindAckDefault RemindKind = "ack_default"   // no /ack in the window: accepted by default
	RemindOverdue    RemindKind = "overdue"       // overdue ladder, Step 1..3
	RemindUrgent     RemindKind = "urgent_ack"    // 【紧急】 not acknowledged: @lead
	RemindImportant  RemindKind = "important_ack" // 【重要】 not acknowledged: @owner again
	RemindHelp       RemindKind = "help"          // help flag still open: @helper and lead
	RemindReview     RemindKind = "review"        // done, not reviewed: @initiator, again, then the lead
	RemindApproval   RemindKind = "approval"      // delay request not decided: @approver, then the lead
)

// RemindKinds lists every kind in the order Due sorts them within a
// minute (group-level messages last, so a digest reads task by task).
var RemindKinds = []RemindKind{RemindUrgent, RemindOverdue, RemindApproval, RemindReview, RemindAckDefault, RemindImportant,
	RemindWarn, RemindHelp, RemindNudge, RemindWeekly}

func kindRank(k RemindKind) int { return slices.Index(RemindKinds, k) }

// Overdue ladder steps. Each step comes one LadderStep of working time
// after the previous one was sent, never before it: after a holiday the
// ladder resumes at the first step not yet sent, owner first.
const (
	StepOverdue  = 1 // at due: @owner 已逾期
	StepRiskDue  = 2 // +24 h, no /risk or /delay since due: @owner @initiator 需发起风险预警
	StepEscalate = 3 // +48 h, still nothing: @owner and the group lead
)

// Review ladder steps: done but neither accepted nor sent back.
const (
	StepReview      = 1 // ReviewWindow after /done: @initiator
	StepReviewAgain = 2 // a LadderStep later: @initiator again
	StepReviewLead  = 3 // a LadderStep later: @initiator and the lead
)

// Default working-time intervals.
const (
	DefaultLadderStep   = 24 * time.Hour
	DefaultReviewWindow = 24 * time.Hour
	// approvalMargin: an undecided delay request is chased at the latest
	// this long before the original due time, while deciding still helps.
	approvalMargin = 2 * time.Hour
)

// MaxLate bounds how late a task-level message may still go out: after a
// month of downtime nobody wants last month's reminders. It also lets the
// engine forget outbox records older than that.
const MaxLate = 30 * 24 * time.Hour

// TaskStatus is where a task stands, as the rules need it.
type TaskStatus uint8

const (
	TaskOpen   TaskStatus = iota // being worked on
	TaskDone                     // done, awaiting acceptance: no nudges, no ladder
	TaskClosed                   // accepted or cancelled
)

// AckState says whether the owner acknowledged the task.
type AckState uint8

const (
	AckNone      AckState = iota
	AckDefaulted          // silence counted as acceptance
	AckExplicit           // /ack, a card click, or an update by the owner
)

// HelpState is one open help-needed flag.
type HelpState struct {
	Index  int       // position among the task's flags; stable, part of the key
	At     time.Time // when it was raised
	Helper string    // user id of the named helper; "" = none
}

// TaskState is a task as the reminder rules see it. Users are ids; the
// engine knows the names. Kept small: the engine may hold many.
type TaskState struct {
	ID      int64
	Created time.Time
	// Assigned is when the current owner got the task (creation or
	// /assign): the acknowledgement timers count from it. Zero = Created.
	Assigned        time.Time
	Due             time.Time
	LastOwnerUpdate time.Time // latest progress update posted by the owner
	LastRiskOrDelay time.Time // latest /risk or /delay request
	Owner           string
	Initiator       string
	Urgency         Urgency
	Help            []HelpState // open flags only
	Status          TaskStatus
	Ack             AckState
	// Ladder holds when each overdue step for the current Due was decided.
	Ladder []time.Time
	// DoneAt is when a TaskDone task was marked done; Review holds when
	// each review reminder since then was decided.
	DoneAt time.Time
	Review []time.Time
	// Delay is the pending delay request, if any.
	Delay *DelayState
	// SnoozedUntil: the owner asked for quiet until then (never past Due).
	SnoozedUntil time.Time
}

// DelayState is a pending delay request.
type DelayState struct {
	At        time.Time   // when it was asked
	By        string      // who asked
	OriginDue time.Time   // the due time it would move
	Sent      []time.Time // approval reminders decided so far
}

// Leave is a person away: no nudge and no escalation reaches them in
// [From, To); what would, goes to Delegate, else the group lead.
type Leave struct {
	User     string
	Delegate string
	From, To time.Time
}

// GroupPolicy is a group's effective reminder settings.
type GroupPolicy struct {
	Key string         // group key, part of every idempotency key
	Loc *time.Location // nil = Asia/Shanghai
	// Since is when the bot joined the group: no occasion before it is owed.
	Since        time.Time
	WorkdayStart Clock
	WorkdayEnd   Clock
	NudgeEnabled bool
	NudgeAt      Clock
	WeeklyDay    time.Weekday
	WeeklyAt     Clock
	AckWindow    time.Duration
	UrgentAck    time.Duration
	ImportantAck time.Duration
	HelpReping   time.Duration
	WarnWorkdays int
	Lead         string // user id; "" = no lead
	// LadderStep is the working time between escalation steps (zero =
	// DefaultLadderStep); ReviewWindow the working time a reviewer has
	// after /done (zero = DefaultReviewWindow).
	LadderStep   time.Duration
	ReviewWindow time.Duration
	// NudgeScope, when positive, limits the daily nudge to tasks due
	// within that many working days or overdue; zero nudges about every
	// open task, as the seeds ask.
	NudgeScope int
	Leaves     []Leave
}

func (p GroupPolicy) ladderStep() time.Duration {
	if p.LadderStep > 0 {
		return p.LadderStep
	}
	return DefaultLadderStep
}

func (p GroupPolicy) reviewWindow() time.Duration {
	if p.ReviewWindow > 0 {
		return p.ReviewWindow
	}
	return DefaultReviewWindow
}

// Away reports whether user is on leave at t, and who stands in.
func (p GroupPolicy) Away(user string, t time.Time) (bool, string) {
	for _, l := range p.Leaves {
		if l.User == user && !t.Before(l.From) && t.Before(l.To) {
			stand := l.Delegate
			if stand == "" || stand == user {
				stand = p.Lead
			}
			if stand == user {
				stand = ""
			}
			return true, stand
		}
	}
	return false, ""
}

// reroute replaces people on leave at t by whoever stands in for them.
func (p GroupPolicy) reroute(ids []string, t time.Time) []string {
	if len(p.Leaves) == 0 {
		return ids
	}
	var out []string
	for _, id := range ids {
		if away, stand := p.Away(id, t); away {
			id = stand
		}
		if id != "" && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// Owed is one message the rules say is owed now.
type Owed struct {
	Kind RemindKind
	// Key is the idempotency key: the same Key is the same message, sent
	// once. It names the group, the kind and the occasion (date, or task,
	// due time and step).
	Key      string
	GroupKey string
	TaskID   int64 // 0 for group-level messages
	Step     int   // overdue ladder step; help flag index
	Mentions []string
	// Tasks lists the tasks a group-level message is about (the nudge's
	// tasks without an update today).
	Tasks  []int64
	Urgent bool // may be posted in quiet hours
	// Occasion is when the message fell due; Deliver is when it may go
	// out: Occasion, or the next working morning when Occasion fell in
	// quiet hours.
	Occasion time.Time
	Deliver  time.Time
}

// Deferred reports whether the occasion fell in quiet hours, so the
// message waited for the working morning (and is merged into the group's
// morning digest).
func (o Owed) Deferred() bool { return !o.Deliver.Equal(o.Occasion) }

func (p GroupPolicy) loc() *time.Location {
	if p.Loc == nil {
		return shanghai
	}
	return p.Loc
}

func (p GroupPolicy) end() Clock {
	if p.WorkdayEnd.IsZero() {
		return DefaultEndOfDay
	}
	return p.WorkdayEnd
}

func minutes(c Clock) int { return c.Hour*60 + c.Minute }

// WorkingTime reports whether t falls on a working day between the
// group's start and end of workday (both included: 18:00 is still a
// working minute, so a task due at the end of the day is called overdue
// then, not the next morning).
func WorkingTime(p GroupPolicy, cal Calendar, t time.Time) bool {
	t = t.In(p.loc())
	m := t.Hour()*60 + t.Minute()
	if m < minutes(p.WorkdayStart) || m > minutes(p.end()) || m == minutes(p.end()) && (t.Second() > 0 || t.Nanosecond() > 0) {
		return false
	}
	return cal.IsWorkday(t)
}

// NextWorkingStart returns the first start of a working day at or after t.
func NextWorkingStart(p GroupPolicy, cal Calendar, t time.Time) time.Time {
	t = t.In(p.loc())
	s := p.WorkdayStart.On(t)
	if !t.After(s) && cal.IsWorkday(t) {
		return s
	}
	return p.WorkdayStart.On(NextWorkday(cal, t))
}

// DeliverAt is when a message that fell due at occ may go out: at once if
// it is urgent or occ is working time, else at the next working morning.
func DeliverAt(p GroupPolicy, cal Calendar, occ time.Time, urgent bool) time.Time {
	if urgent || WorkingTime(p, cal, occ) {
		return occ
	}
	return NextWorkingStart(p, cal, occ)
}

// Due returns every message owed to the group at now, sorted by delivery
// time, kind and task. Only the latest occasion of each series is
// considered (today's nudge, this week's summary, the highest ladder step),
// so a bot that was down never floods a group with stale reminders. Outside
// working time only urgent messages are returned; the rest come back at the
// next working morning with Deferred() true.
func Due(p GroupPolicy, tasks []TaskState, cal Calendar, now time.Time) []Owed {
	return decide(p, tasks, cal, now, true)
}

// DueTasks is Due without the group-level messages (nudge, weekly
// summary): what the given tasks owe on their own, so an engine may ask
// about only the tasks its index says are due.
func DueTasks(p GroupPolicy, tasks []TaskState, cal Calendar, now time.Time) []Owed {
	return decide(p, tasks, cal, now, false)
}

func decide(p GroupPolicy, tasks []TaskState, cal Calendar, now time.Time, group bool) []Owed {
	now = now.In(p.loc())
	working := WorkingTime(p, cal, now)
	var out []Owed
	add := func(o Owed, from, until time.Time) {
		if o.Occasion.After(now) || now.Before(from) || !until.IsZero() && !now.Before(until) {
			return
		}
		o.GroupKey = p.Key
		o.Deliver = DeliverAt(p, cal, o.Occasion, o.Urgent)
		who, ok := p.owes(&o, now, working)
		if !ok {
			return
		}
		o.Mentions = who
		out = append(out, o)
	}
	for i := range tasks {
		taskDue(p, &tasks[i], cal, now, add)
	}
	if working && group {
		// A task escalated today needs no nudge line on top of it.
		escalated := map[int64]bool{}
		for _, o := range out {
			if o.Kind == RemindOverdue || o.Kind == RemindReview {
				escalated[o.TaskID] = true
			}
		}
		if o, ok := dueNudge(p, tasks, cal, now, escalated); ok {
			out = append(out, o)
		}
		if o, ok := dueWeekly(p, tasks, cal, now); ok {
			out = append(out, o)
		}
	}
	slices.SortFunc(out, func(a, b Owed) int {
		if c := a.Deliver.Compare(b.Deliver); c != 0 {
			return c
		}
		if c := kindRank(a.Kind) - kindRank(b.Kind); c != 0 {
			return c
		}
		if a.TaskID != b.TaskID {
			if a.TaskID < b.TaskID {
				return -1
			}
			return 1
		}
		if a.Step != b.Step {
			return a.Step - b.Step
		}
		return strings.Compare(a.Key, b.Key)
	})
	return out
}

// owes is the part of Due's decision common to every task-level message:
// given that its own conditions hold at now, is o owed then, and whom does
// it reach. Due and NextAt both ask it, so they cannot disagree.
func (p GroupPolicy) owes(o *Owed, now time.Time, working bool) ([]string, bool) {
	if o.Deliver.After(now) || !o.Urgent && !working || o.Occasion.Before(p.Since) {
		return nil, false
	}
	if o.TaskID != 0 && now.Sub(o.Occasion) > MaxLate {
		return nil, false
	}
	who := p.reroute(o.Mentions, now)
	if len(who) == 0 && o.Kind != RemindAckDefault {
		return nil, false // everyone it would reach is away and nobody stands in
	}
	return who, true
}

// taskKey is "kind:group:#id" plus the parts given, e.g. the due time, so
// a delay that moves the due time starts a fresh series.
func taskKey(k RemindKind, p GroupPolicy, t *TaskState, parts ...int64) string {
	b := make([]byte, 0, 64)
	b = append(b, k...)
	b = append(b, ':')
	b = append(b, p.Key...)
	b = append(b, ":#"...)
	b = strconv.AppendInt(b, t.ID, 10)
	for _, x := range parts {
		b = append(b, ':')
		b = strconv.AppendInt(b, x, 10)
	}
	return string(b)
}

func people(ids ...string) []string {
	var out []string
	for _, id := range ids {
		if id != "" && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

func orElse(id, fallback string) string {
	if id != "" {
		return id
	}
	return fallback
}

// emitter receives each message a task may owe, now or later: o is owed
// at any time t with from <= t < until (zero until: no end) at which
// GroupPolicy.owes also holds. Due asks about now; NextAt about the
// earliest such t.
type emitter func(o Owed, from, until time.Time)

// taskDue calls add for each task-level message the task may owe. upTo,
// when not zero, lets it skip messages that cannot be owed by then (Due
// passes now); the messages are the same either way.
// One acknowledgement rule per tier, said once: a routine task is
// accepted by default after AckWindow; an important one is asked again
// after ImportantAck; an urgent one goes to the lead after UrgentAck.
// Windows are working time, except 【紧急】's, which is real time. A
// snoozed task owes no acknowledgement and no warning until the snooze
// ends.
func taskDue(p GroupPolicy, t *TaskState, cal Calendar, upTo time.Time, add emitter) {
	switch t.Status {
	case TaskDone:
		reviewDue(p, t, cal, add)
		return
	case TaskOpen:
	default:
		return
	}
	if t.Delay != nil {
		approvalDue(p, t, cal, add)
	}
	assigned := t.Assigned
	if assigned.IsZero() {
		assigned = t.Created
	}
	// A reassigned task starts fresh timers under fresh keys; the first
	// owner's keep the keys they always had.
	var since []int64
	if !assigned.Equal(t.Created) {
		since = []int64{assigned.Unix()}
	}
	if t.Ack == AckNone {
		switch {
		case t.Urgency == Urgent && p.UrgentAck > 0:
			add(Owed{Kind: RemindUrgent, Key: taskKey(RemindUrgent, p, t, since...), TaskID: t.ID,
				Mentions: people(t.Owner, orElse(p.Lead, t.Initiator)), Urgent: true, Occasion: assigned.Add(p.UrgentAck)},
				t.SnoozedUntil, time.Time{})
		case t.Urgency == Important && p.ImportantAck > 0:
			add(Owed{Kind: RemindImportant, Key: taskKey(RemindImportant, p, t, since...), TaskID: t.ID,
				Mentions: people(t.Owner), Occasion: AddWorkingTime(cal, p.loc(), assigned, p.ImportantAck)},
				t.SnoozedUntil, time.Time{})
		case t.Urgency != Urgent && t.Urgency != Important && p.AckWindow > 0:
			add(Owed{Kind: RemindAckDefault, Key: taskKey(RemindAckDefault, p, t, since...), TaskID: t.ID,
				Mentions: people(t.Owner), Occasion: AddWorkingTime(cal, p.loc(), assigned, p.AckWindow)},
				t.SnoozedUntil, time.Time{})
		}
	}
	// The warning is owed only before the due time, the ladder only from
	// it on. N working days back never span more than 2N+14 calendar days
	// (weekends plus the longest holiday), so far-off tasks skip the
	// calendar walk when only upTo matters.
	if p.WarnWorkdays > 0 && (upTo.IsZero() || upTo.Before(t.Due) && t.Due.Sub(upTo) <= time.Duration(2*p.WarnWorkdays+14)*24*time.Hour) {
		occ := p.WorkdayStart.On(AddWorkdays(cal, t.Due.In(p.loc()), -p.WarnWorkdays))
		if t.Created.Before(occ) {
			add(Owed{Kind: RemindWarn, Key: taskKey(RemindWarn, p, t, t.Due.Unix()), TaskID: t.ID,
				Mentions: people(t.Owner), Occasion: occ}, t.SnoozedUntil, t.Due)
		}
	}
	if upTo.IsZero() || !upTo.Before(t.Due) {
		overdue(p, t, cal, add)
	}
	for _, h := range t.Help {
		if p.HelpReping <= 0 {
			break
		}
		add(Owed{Kind: RemindHelp, Key: taskKey(RemindHelp, p, t, int64(h.Index)), TaskID: t.ID, Step: h.Index,
			Mentions: people(orElse(h.Helper, t.Initiator), p.Lead), Occasion: AddWorkingTime(cal, p.loc(), h.At, p.HelpReping)},
			time.Time{}, time.Time{})
	}
}

// reviewDue chases the reviewer of a task marked done: the initiator after
// ReviewWindow, again a LadderStep later, then with the lead. The seeds ask
// for acceptance feedback within 24 h.
func reviewDue(p GroupPolicy, t *TaskState, cal Calendar, add emitter) {
	k := len(t.Review)
	if k >= StepReviewLead || t.DoneAt.IsZero() {
		return
	}
	occ := AddWorkingTime(cal, p.loc(), t.DoneAt, p.reviewWindow())
	if k > 0 {
		occ = AddWorkingTime(cal, p.loc(), t.Review[k-1], p.ladderStep())
	}
	reviewer := t.Initiator
	if reviewer == t.Owner { // nobody reviews their own work
		reviewer = p.Lead
	}
	who := people(reviewer)
	if k+1 == StepReviewLead {
		who = people(reviewer, p.Lead)
	}
	if len(who) == 0 {
		return
	}
	add(Owed{Kind: RemindReview, Key: taskKey(RemindReview, p, t, t.DoneAt.Unix(), int64(k+1)), TaskID: t.ID, Step: k + 1,
		Mentions: who, Occasion: occ}, time.Time{}, time.Time{})
}

// approvalDue chases an undecided delay request: the approver (the
// initiator, or the lead when the initiator asked) once its window has
// passed, and in any case a little before the original due time, while a
// decision still helps; then the lead a LadderStep later.
func approvalDue(p GroupPolicy, t *TaskState, cal Calendar, add emitter) {
	d := t.Delay
	k := len(d.Sent)
	if k >= 2 {
		return
	}
	occ := AddWorkingTime(cal, p.loc(), d.At, p.reviewWindow())
	if last := d.OriginDue.Add(-approvalMargin); last.Before(occ) {
		occ = last
	}
	if occ.Before(d.At) {
		occ = d.At
	}
	if k > 0 {
		occ = AddWorkingTime(cal, p.loc(), d.Sent[0], p.ladderStep())
	}
	approver := t.Initiator
	if approver == d.By {
		approver = p.Lead
	}
	who := people(approver)
	if k == 1 {
		who = people(approver, p.Lead)
	}
	if len(who) == 0 {
		return
	}
	add(Owed{Kind: RemindApproval, Key: taskKey(RemindApproval, p, t, d.At.Unix(), int64(k+1)), TaskID: t.ID, Step: k + 1,
		Mentions: who, Occasion: occ}, time.Time{}, time.Time{})
}

// overdue adds the next ladder step not yet sent: step 1 at the due time,
// each later one a LadderStep of working time after the previous step was
// sent, so no step is skipped however long nobody could be reached. Steps
// 2 and 3 need silence: a /risk or /delay at or after the due time stops
// the ladder. Every step @-mentions the owner too.
func overdue(p GroupPolicy, t *TaskState, cal Calendar, add emitter) {
	k := len(t.Ladder)
	if k >= StepEscalate {
		return
	}
	step := k + 1
	if step > StepOverdue && !t.LastRiskOrDelay.Before(t.Due) {
		return
	}
	occ := t.Due
	if k > 0 {
		occ = AddWorkingTime(cal, p.loc(), t.Ladder[k-1], p.ladderStep())
	}
	var who []string
	switch step {
	case StepOverdue:
		who = people(t.Owner)
	case StepRiskDue:
		who = people(t.Owner, t.Initiator)
	default:
		who = people(t.Owner, orElse(p.Lead, t.Initiator))
	}
	add(Owed{Kind: RemindOverdue, Key: taskKey(RemindOverdue, p, t, t.Due.Unix(), int64(step)), TaskID: t.ID, Step: step,
		Mentions: who, Occasion: occ}, t.Due, time.Time{})
}

func dateKey10(t time.Time) string { return t.Format(time.DateOnly) }

// DueNudge returns the daily nudge owed at now, if any: on a working day
// at the group's nudge time (or the next working morning when that time is
// outside working hours), @-mentioning every owner of an open task created
// before that day with no update by the owner on that day. The nudge is
// relevant only on the day it is delivered: a bot down across 17:00 sends
// today's nudge late, never yesterday's.
func DueNudge(p GroupPolicy, tasks []TaskState, cal Calendar, now time.Time) (Owed, bool) {
	return dueNudge(p, tasks, cal, now, nil)
}

// dueNudge is DueNudge without the tasks in skip (escalated today), the
// tasks out of the group's nudge scope, snoozed tasks and owners on leave.
func dueNudge(p GroupPolicy, tasks []TaskState, cal Calendar, now time.Time, skip map[int64]bool) (Owed, bool) {
	if !p.NudgeEnabled {
		return Owed{}, false
	}
	now = now.In(p.loc())
	if !WorkingTime(p, cal, now) {
		return Owed{}, false
	}
	occ, deliver, found := nudgeOccasion(p, cal, now)
	if !found {
		return Owed{}, false
	}
	dayStart := time.Date(occ.Year(), occ.Month(), occ.Day(), 0, 0, 0, 0, p.loc())
	horizon := nudgeHorizon(p, cal, now)
	var owners []string
	var ids []int64
	var seen map[string]struct{}
	for i := range tasks {
		t := &tasks[i]
		if !nudges(p, t, now, dayStart, horizon, skip) {
			continue
		}
		ids = append(ids, t.ID)
		if seen == nil && len(owners) >= 16 {
			seen = make(map[string]struct{}, 2*len(owners))
			for _, o := range owners {
				seen[o] = struct{}{}
			}
		}
		if seen != nil {
			if _, dup := seen[t.Owner]; dup {
				continue
			}
			seen[t.Owner] = struct{}{}
		} else if slices.Contains(owners, t.Owner) {
			continue
		}
		owners = append(owners, t.Owner)
	}
	if len(owners) == 0 {
		return Owed{}, false
	}
	return Owed{Kind: RemindNudge, Key: nudgeKey(p, occ), GroupKey: p.Key,
		Mentions: owners, Tasks: ids, Occasion: occ, Deliver: deliver}, true
}

func nudgeKey(p GroupPolicy, occ time.Time) string {
	return string(RemindNudge) + ":" + p.Key + ":" + dateKey10(occ)
}

// nudgeOccasion is the nudge occasion delivered on now's date, by now:
// today's, else the previous working day's, deferred to this morning
// because its time was after working hours.
func nudgeOccasion(p GroupPolicy, cal Calendar, now time.Time) (occ, deliver time.Time, ok bool) {
	for _, day := range [2]time.Time{now, AddWorkdays(cal, now, -1)} {
		if !cal.IsWorkday(day) {
			continue
		}
		o := p.NudgeAt.On(day)
		d := DeliverAt(p, cal, o, false)
		if !d.After(now) && sameDate(d, now) && !o.Before(p.Since) {
			return o, d, true
		}
	}
	return time.Time{}, time.Time{}, false
}

// nudgeHorizon is the latest due time the nudge at now covers (zero: any).
func nudgeHorizon(p GroupPolicy, cal Calendar, now time.Time) time.Time {
	if p.NudgeScope <= 0 {
		return time.Time{}
	}
	return p.end().On(AddWorkdays(cal, now, p.NudgeScope))
}

// nudges reports whether t puts its owner in the nudge at now for the
// occasion of the day starting at dayStart: open, older than that day, no
// update by the owner that day, not escalated that day, not snoozed, in
// scope, and the owner not away.
func nudges(p GroupPolicy, t *TaskState, now, dayStart, horizon time.Time, skip map[int64]bool) bool {
	if t.Status != TaskOpen || !t.Created.Before(dayStart) || !t.LastOwnerUpdate.Before(dayStart) ||
		skip[t.ID] || now.Before(t.SnoozedUntil) || !horizon.IsZero() && t.Due.After(horizon) || escalatedOn(t, dayStart) {
		return false
	}
	if len(p.Leaves) > 0 {
		if away, _ := p.Away(t.Owner, now); away {
			return false
		}
	}
	return true
}

func sameDate(a, b time.Time) bool {
	ay, am, ad := a.Date()
	by, bm, bd := b.Date()
	return ay == by && am == bm && ad == bd
}

// mondayOf returns 00:00 on the Monday of t's week.
func mondayOf(t time.Time) time.Time {
	off := (int(t.Weekday()) + 6) % 7
	return time.Date(t.Year(), t.Month(), t.Day()-off, 0, 0, 0, 0, t.Location())
}

// WeeklyOccasion is when the summary for the week starting on monday falls
// due: the group's weekly day and time, or, when that day is not a working
// day, the start of the next working day.
func WeeklyOccasion(p GroupPolicy, cal Calendar, monday time.Time) time.Time {
	day := monday.AddDate(0, 0, (int(p.WeeklyDay)+6)%7)
	if cal.IsWorkday(day) {
		return p.WeeklyAt.On(day)
	}
	return p.WorkdayStart.On(NextWorkday(cal, day))
}

// dueWeekly: this week's summary (or last week's, pushed into this week by
// holidays), once delivered, relevant for the rest of the week it was
// delivered in. A group without tasks gets no summary.
func dueWeekly(p GroupPolicy, tasks []TaskState, cal Calendar, now time.Time) (Owed, bool) {
	if len(tasks) == 0 {
		return Owed{}, false
	}
	mon := mondayOf(now)
	for _, m := range [2]time.Time{mon, mon.AddDate(0, 0, -7)} {
		occ := WeeklyOccasion(p, cal, m)
		d := DeliverAt(p, cal, occ, false)
		if d.After(now) || !mondayOf(d).Equal(mon) {
			continue
		}
		if occ.Before(p.Since) {
			return Owed{}, false
		}
		return Owed{Kind: RemindWeekly, Key: weeklyKey(p, m), GroupKey: p.Key,
			Occasion: occ, Deliver: d}, true
	}
	return Owed{}, false
}

func weeklyKey(p GroupPolicy, monday time.Time) string {
	return string(RemindWeekly) + ":" + p.Key + ":" + dateKey10(monday)
}

// escalatedOn reports whether the task got an escalation step on the day
// starting at day.
func escalatedOn(t *TaskState, day time.Time) bool {
	for _, at := range t.Ladder {
		if !at.Before(day) {
			return true
		}
	}
	return false
}
