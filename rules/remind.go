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
// again every minute, so the same answer twice is harmless.

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
)

// RemindKinds lists every kind in the order Due sorts them within a
// minute (group-level messages last, so a digest reads task by task).
var RemindKinds = []RemindKind{RemindUrgent, RemindOverdue, RemindAckDefault, RemindImportant,
	RemindWarn, RemindHelp, RemindNudge, RemindWeekly}

func kindRank(k RemindKind) int { return slices.Index(RemindKinds, k) }

// Overdue ladder steps.
const (
	StepOverdue  = 1 // at due: @owner 已逾期
	StepRiskDue  = 2 // +24 h, no /risk or /delay since due: @owner @initiator 需发起风险预警
	StepEscalate = 3 // +48 h, still nothing: @group lead
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
	ID              int64
	Created         time.Time
	Due             time.Time
	LastOwnerUpdate time.Time // latest progress update posted by the owner
	LastRiskOrDelay time.Time // latest /risk or /delay request
	Owner           string
	Initiator       string
	Urgency         Urgency
	Help            []HelpState // open flags only
	Status          TaskStatus
	Ack             AckState
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
	now = now.In(p.loc())
	working := WorkingTime(p, cal, now)
	var out []Owed
	add := func(o Owed) {
		o.GroupKey = p.Key
		o.Deliver = DeliverAt(p, cal, o.Occasion, o.Urgent)
		if o.Deliver.After(now) || !o.Urgent && !working || o.Occasion.Before(p.Since) {
			return
		}
		if o.TaskID != 0 && now.Sub(o.Occasion) > MaxLate {
			return
		}
		out = append(out, o)
	}
	for i := range tasks {
		taskDue(p, &tasks[i], cal, now, add)
	}
	if working {
		if o, ok := DueNudge(p, tasks, cal, now); ok {
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

// taskDue calls add for each task-level message the task owes at now.
func taskDue(p GroupPolicy, t *TaskState, cal Calendar, now time.Time, add func(Owed)) {
	if t.Status != TaskOpen {
		return
	}
	if t.Ack == AckNone && p.AckWindow > 0 {
		if occ := t.Created.Add(p.AckWindow); !occ.After(now) {
			add(Owed{Kind: RemindAckDefault, Key: taskKey(RemindAckDefault, p, t), TaskID: t.ID,
				Mentions: people(t.Owner), Occasion: occ})
		}
	}
	if t.Ack != AckExplicit {
		switch {
		case t.Urgency == Urgent && p.UrgentAck > 0:
			if occ := t.Created.Add(p.UrgentAck); !occ.After(now) {
				add(Owed{Kind: RemindUrgent, Key: taskKey(RemindUrgent, p, t), TaskID: t.ID,
					Mentions: people(orElse(p.Lead, t.Initiator)), Urgent: true, Occasion: occ})
			}
		case t.Urgency == Important && p.ImportantAck > 0:
			if occ := t.Created.Add(p.ImportantAck); !occ.After(now) {
				add(Owed{Kind: RemindImportant, Key: taskKey(RemindImportant, p, t), TaskID: t.ID,
					Mentions: people(t.Owner), Occasion: occ})
			}
		}
	}
	if now.Before(t.Due) {
		// N working days back never span more than 2N+14 calendar days
		// (weekends plus the longest holiday), so far-off tasks skip the
		// calendar walk.
		if p.WarnWorkdays > 0 && t.Due.Sub(now) <= time.Duration(2*p.WarnWorkdays+14)*24*time.Hour {
			occ := p.WorkdayStart.On(AddWorkdays(cal, t.Due.In(p.loc()), -p.WarnWorkdays))
			if t.Created.Before(occ) && !occ.After(now) {
				add(Owed{Kind: RemindWarn, Key: taskKey(RemindWarn, p, t, t.Due.Unix()), TaskID: t.ID,
					Mentions: people(t.Owner), Occasion: occ})
			}
		}
	} else {
		overdue(p, t, cal, now, add)
	}
	for _, h := range t.Help {
		if p.HelpReping <= 0 {
			break
		}
		if occ := h.At.Add(p.HelpReping); !occ.After(now) {
			add(Owed{Kind: RemindHelp, Key: taskKey(RemindHelp, p, t, int64(h.Index)), TaskID: t.ID, Step: h.Index,
				Mentions: people(orElse(h.Helper, t.Initiator), p.Lead), Occasion: occ})
		}
	}
}

// overdue adds the highest ladder step owed at now. Steps 2 and 3 need
// silence: a /risk or /delay at or after the due time stops the ladder.
// A step whose delivery was pushed to the morning is overtaken by a
// higher step deliverable at the same time, so the ladder collapses.
func overdue(p GroupPolicy, t *TaskState, cal Calendar, now time.Time, add func(Owed)) {
	silent := t.LastRiskOrDelay.Before(t.Due)
	// Anything that fell due before this working morning may go out now
	// (Due only asks for non-urgent messages in working time); only later
	// occasions need the calendar.
	morning := p.WorkdayStart.On(now)
	best := 0
	for step := StepOverdue; step <= StepEscalate; step++ {
		if step > StepOverdue && !silent {
			break
		}
		occ := t.Due.Add(time.Duration(step-1) * 24 * time.Hour)
		if occ.After(morning) && DeliverAt(p, cal, occ, false).After(now) {
			break
		}
		best = step
	}
	if best == 0 {
		return
	}
	var who []string
	switch best {
	case StepOverdue:
		who = people(t.Owner)
	case StepRiskDue:
		who = people(t.Owner, t.Initiator)
	default:
		who = people(orElse(p.Lead, t.Initiator))
	}
	add(Owed{Kind: RemindOverdue, Key: taskKey(RemindOverdue, p, t, t.Due.Unix(), int64(best)), TaskID: t.ID, Step: best,
		Mentions: who, Occasion: t.Due.Add(time.Duration(best-1) * 24 * time.Hour)})
}

func dateKey10(t time.Time) string { return t.Format(time.DateOnly) }

// DueNudge returns the daily nudge owed at now, if any: on a working day
// at the group's nudge time (or the next working morning when that time is
// outside working hours), @-mentioning every owner of an open task created
// before that day with no update by the owner on that day. The nudge is
// relevant only on the day it is delivered: a bot down across 17:00 sends
// today's nudge late, never yesterday's.
func DueNudge(p GroupPolicy, tasks []TaskState, cal Calendar, now time.Time) (Owed, bool) {
	if !p.NudgeEnabled {
		return Owed{}, false
	}
	loc := p.loc()
	now = now.In(loc)
	if !WorkingTime(p, cal, now) {
		return Owed{}, false
	}
	// Today's occasion, else the previous working day's, deferred to
	// this morning because its time was after working hours.
	var occ, deliver time.Time
	found := false
	for _, day := range [2]time.Time{now, AddWorkdays(cal, now, -1)} {
		if !cal.IsWorkday(day) {
			continue
		}
		o := p.NudgeAt.On(day)
		d := DeliverAt(p, cal, o, false)
		if !d.After(now) && sameDate(d, now) && !o.Before(p.Since) {
			occ, deliver, found = o, d, true
			break
		}
	}
	if !found {
		return Owed{}, false
	}
	dayStart := time.Date(occ.Year(), occ.Month(), occ.Day(), 0, 0, 0, 0, loc)
	var owners []string
	var ids []int64
	var seen map[string]struct{}
	for i := range tasks {
		t := &tasks[i]
		if t.Status != TaskOpen || !t.Created.Before(dayStart) || !t.LastOwnerUpdate.Before(dayStart) {
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
	return Owed{Kind: RemindNudge, Key: string(RemindNudge) + ":" + p.Key + ":" + dateKey10(occ), GroupKey: p.Key,
		Mentions: owners, Tasks: ids, Occasion: occ, Deliver: deliver}, true
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
		return Owed{Kind: RemindWeekly, Key: string(RemindWeekly) + ":" + p.Key + ":" + dateKey10(m), GroupKey: p.Key,
			Occasion: occ, Deliver: d}, true
	}
	return Owed{}, false
}
