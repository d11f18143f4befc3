// Package rules is the pure core of collabbot: the 【主题-事项-需求-截止时间】
// task format, deadline expressions and the mainland-China working-day
// calendar. Nothing here does I/O or reads the clock; the send time and
// the group's zone come in through Options, so every result is
// reproducible in tests and in the reminder engine's replays.
package rules

import "time"

// Clock is a time of day in the group's zone.
type Clock struct{ Hour, Minute int }

// IsZero reports whether c is 00:00, which Options treats as "unset".
func (c Clock) IsZero() bool { return c.Hour == 0 && c.Minute == 0 }

// On returns c on t's civil date, in t's Location.
func (c Clock) On(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, c.Hour, c.Minute, 0, 0, t.Location())
}

// Options carries everything Parse needs to know about the message's
// context.
type Options struct {
	Now      time.Time      // message send time
	Loc      *time.Location // group zone (nil = Asia/Shanghai)
	EndOfDay Clock          // zero value (00:00) = 18:00; "明天下班前", dates without a time, 3天内 resolve to it
	Calendar Calendar       // nil = NewCalendar(nil)
}

// DefaultEndOfDay is the end of workday when Options leaves it unset.
// Read it; never assign it.
var DefaultEndOfDay = Clock{Hour: 18}

// shanghai is China Standard Time. The zone has had no DST since 1991, so
// a fixed offset is exact for any date the bot will see and works on hosts
// without tzdata.
var shanghai = func() *time.Location {
	if l, err := time.LoadLocation("Asia/Shanghai"); err == nil {
		return l
	}
	return time.FixedZone("CST", 8*3600)
}()

// withDefaults fills the zero values and moves Now into the group zone, so
// that "today" means the group's today.
func (o Options) withDefaults() Options {
	if o.Loc == nil {
		o.Loc = shanghai
	}
	if o.EndOfDay.IsZero() {
		o.EndOfDay = DefaultEndOfDay
	}
	if o.Calendar == nil {
		o.Calendar = NewCalendar(nil)
	}
	o.Now = o.Now.In(o.Loc)
	return o
}

// Urgency is a task's response tier, set by 【紧急】 or 【重要】.
type Urgency string

const (
	Routine   Urgency = "routine"
	Important Urgency = "important"
	Urgent    Urgency = "urgent"
)

// Tags are the bracketed flags a message carries.
type Tags struct{ Urgent, Important, Assist, Risk, Delay bool }

// Urgency is the tier the tags select; 【紧急】 wins over 【重要】.
func (t Tags) Urgency() Urgency {
	switch {
	case t.Urgent:
		return Urgent
	case t.Important:
		return Important
	}
	return Routine
}

// Kind says what a message is to the bot.
type Kind int

const (
	KindChat     Kind = iota // not for the bot: no leading 【 or [
	KindTask                 // a 【…-…】 task request, maybe malformed
	KindNearMiss             // [a-b-c-d]: the right shape in the wrong brackets
	KindTagged               // only tags, e.g. 【需协助】#12 text, 【风险】#3 原因
)

func (k Kind) String() string {
	switch k {
	case KindChat:
		return "chat"
	case KindTask:
		return "task"
	case KindNearMiss:
		return "near-miss"
	case KindTagged:
		return "tagged"
	}
	return "kind?"
}

// Task is a well-formed task request.
type Task struct {
	Topic, Item, Request string
	Deadline             string    // the deadline as written, e.g. "9月15日前"
	Due                  time.Time // in Options.Loc
	Urgency              Urgency
}

// Result is what Parse makes of a message.
type Result struct {
	Kind   Kind
	Tags   Tags
	Task   *Task     // set when Kind==KindTask and Errors is empty
	Ref    int64     // "#12" (or ＃12) right after the tags/task, 0 if none
	Rest   string    // text after the tags, task and ref, trimmed
	Errors ErrorList // every problem at once, for KindTask and KindNearMiss

	// fields keeps what the user wrote, even when malformed, so Example
	// can reuse the good parts.
	fields [4]string
	bad    [4]bool
}
