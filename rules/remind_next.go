package rules

import (
	"slices"
	"time"
)

// The reminder engine need not ask Due about every task every minute: it
// keeps, per task, the earliest time the task could owe something (NextAt)
// and asks only about the tasks whose time has come. NextAt walks the very
// occasions Due decides (taskDue's emitter, GroupPolicy.owes, nudges), so
// the two cannot drift apart. Being early is safe (the engine asks, Due
// says nothing, the engine asks NextAt again); being late would lose a
// message, so wherever the answer is uncertain NextAt errs early.

// NextAtVersion names the timing rules NextAt answers under. Change it
// with any change to Due, DueNudge or NextAt that can move an answer:
// engines that store answers (the bot's due index) rebuild them when it
// changes.
const NextAtVersion = 1

// lookAhead bounds NextAt's walks over days and leaves; past it, NextAt
// returns the time it got to, which is early and therefore safe.
const lookAhead = 64

// NextAt returns the earliest time at or after now at which Due could owe
// a message about t (a task-level one, or t's line in the daily nudge),
// assuming t, p and the calendar stay as they are; zero means never.
// done reports the keys already decided (the engine's outbox), which are
// never owed again; nil means none. It is the earlier of NextTaskAt and
// NextNudgeAt; the weekly summary is the group's, see NextWeeklyAt.
func NextAt(p GroupPolicy, t TaskState, cal Calendar, now time.Time, done func(key string) bool) time.Time {
	return earliest(NextTaskAt(p, t, cal, now, done), NextNudgeAt(p, t, cal, now, done))
}

// NextTaskAt is NextAt for t's own messages only (what DueTasks says).
func NextTaskAt(p GroupPolicy, t TaskState, cal Calendar, now time.Time, done func(key string) bool) time.Time {
	now = now.In(p.loc())
	var next time.Time
	taskDue(p, &t, cal, time.Time{}, func(o Owed, from, until time.Time) {
		if done != nil && done(o.Key) {
			return
		}
		o.GroupKey = p.Key
		o.Deliver = DeliverAt(p, cal, o.Occasion, o.Urgent)
		at := now
		if at.Before(from) {
			at = from
		}
		next = earliest(next, p.firstOwed(cal, o, at, until))
	})
	return next
}

// NextNudgeAt is the earliest time at or after now at which t would put
// its owner in a daily nudge whose key is not done (zero: never). The
// nudge is the group's message, but whether it is owed depends on each
// task, so each task answers for itself and the group's next nudge is the
// earliest answer.
func NextNudgeAt(p GroupPolicy, t TaskState, cal Calendar, now time.Time, done func(key string) bool) time.Time {
	return nextNudge(p, &t, cal, now.In(p.loc()), done)
}

// earliest is the earlier of two times, zero meaning never.
func earliest(a, b time.Time) time.Time {
	if a.IsZero() || !b.IsZero() && b.Before(a) {
		return b
	}
	return a
}

// firstOwed is the earliest time at or after at, and before until (zero:
// no end), at which o is owed; zero when never.
func (p GroupPolicy) firstOwed(cal Calendar, o Owed, at, until time.Time) time.Time {
	if o.Occasion.Before(p.Since) {
		return time.Time{}
	}
	if at.Before(o.Deliver) {
		at = o.Deliver
	}
	for range lookAhead {
		if !until.IsZero() && !at.Before(until) || o.TaskID != 0 && at.Sub(o.Occasion) > MaxLate {
			return time.Time{}
		}
		working := WorkingTime(p, cal, at)
		if !o.Urgent && !working {
			at = NextWorkingStart(p, cal, at)
			continue
		}
		if _, ok := p.owes(&o, at, working); ok {
			return at
		}
		// Everyone it would reach is away: try again when one is back.
		back := p.backFrom(o.Mentions, at)
		if back.IsZero() {
			return time.Time{}
		}
		at = back
	}
	return at
}

// backFrom is the next time after at when whether (or to whom) one of
// ids is away may change: the start or end of one of their leaves.
// Overlapping leaves make the first one listed count, so a leave that
// starts can bring a stand-in as much as one that ends; zero when none of
// them has a leave after at.
func (p GroupPolicy) backFrom(ids []string, at time.Time) time.Time {
	var back time.Time
	for _, l := range p.Leaves {
		if !slices.Contains(ids, l.User) {
			continue
		}
		for _, b := range [2]time.Time{l.From, l.To} {
			if b.After(at) {
				back = earliest(back, b)
			}
		}
	}
	return back
}

func nextNudge(p GroupPolicy, t *TaskState, cal Calendar, now time.Time, done func(string) bool) time.Time {
	if !p.NudgeEnabled || t.Status != TaskOpen {
		return time.Time{}
	}
	loc := p.loc()
	// The first day t could count: after the days it was created, updated
	// by its owner or escalated, from the snooze's end, when its due time
	// comes into scope, and not before the bot joined. Each is a necessary
	// condition, so starting there is never late.
	day := dayStart(now)
	later := func(d time.Time) {
		if d.After(day) {
			day = d
		}
	}
	later(dayStart(t.Created.In(loc)).AddDate(0, 0, 1))
	if !t.LastOwnerUpdate.IsZero() {
		later(dayStart(t.LastOwnerUpdate.In(loc)).AddDate(0, 0, 1))
	}
	for _, at := range t.Ladder {
		later(dayStart(at.In(loc)).AddDate(0, 0, 1))
	}
	if !t.SnoozedUntil.IsZero() {
		later(dayStart(t.SnoozedUntil.In(loc)))
	}
	if p.NudgeScope > 0 {
		later(dayStart(AddWorkdays(cal, t.Due.In(loc), -p.NudgeScope)))
	}
	later(dayStart(p.Since.In(loc)))
	for range lookAhead {
		if !cal.IsWorkday(day) {
			day = day.AddDate(0, 0, 1)
			continue
		}
		end := p.end().On(day)
		if occ, deliver, ok := nudgeOccasion(p, cal, end); ok && (done == nil || !done(nudgeKey(p, occ))) {
			occDay := dayStart(occ)
			horizon := nudgeHorizon(p, cal, end)
			at := deliver
			if at.Before(now) {
				at = now
			}
			for range lookAhead {
				if at.After(end) {
					break
				}
				if at.Before(t.SnoozedUntil) {
					at = t.SnoozedUntil
					continue
				}
				if nudges(p, t, at, occDay, horizon, nil) {
					return at
				}
				back := p.backFrom([]string{t.Owner}, at)
				if back.IsZero() {
					break
				}
				at = back
			}
		}
		day = day.AddDate(0, 0, 1)
	}
	return day
}

// NextWeeklyAt returns the earliest time at or after now at which Due
// could owe the group's weekly summary, for a group with tasks (a group
// without any is owed none); zero means never. done is as for NextAt.
func NextWeeklyAt(p GroupPolicy, cal Calendar, now time.Time, done func(key string) bool) time.Time {
	now = now.In(p.loc())
	// dueWeekly's answer changes only at a delivery time or a week's
	// start; between them only working time matters. So it is asked at
	// now and at each such moment after it (moved to working time), in
	// order, and the first owed, undecided answer is the next.
	monday := mondayOf(now)
	at := now
	var cands []time.Time
	for i := -1; i < 8; i++ {
		m := monday.AddDate(0, 0, 7*i)
		if d := DeliverAt(p, cal, WeeklyOccasion(p, cal, m), false); d.After(now) {
			cands = append(cands, d)
		}
		if i > 0 {
			cands = append(cands, m)
		}
	}
	one := []TaskState{{}}
	try := func(t time.Time) bool {
		if !WorkingTime(p, cal, t) {
			t = NextWorkingStart(p, cal, t)
		}
		o, ok := dueWeekly(p, one, cal, t)
		if ok && (done == nil || !done(o.Key)) {
			at = t
			return true
		}
		return false
	}
	if try(now) {
		return at
	}
	// Ascending, so the first hit is the earliest.
	sortTimes(cands)
	for _, c := range cands {
		if try(c) {
			return at
		}
	}
	return cands[len(cands)-1]
}

func sortTimes(ts []time.Time) {
	for i := 1; i < len(ts); i++ {
		for j := i; j > 0 && ts[j].Before(ts[j-1]); j-- {
			ts[j], ts[j-1] = ts[j-1], ts[j]
		}
	}
}
