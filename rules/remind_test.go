package rules

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// ts reads "2026-09-28 17:00" in Asia/Shanghai.
func ts(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, shanghai)
	if err != nil {
		panic(err)
	}
	return t
}

func testPolicy() GroupPolicy {
	return GroupPolicy{
		Key: "console:g1", Loc: shanghai, Since: ts("2026-09-01 09:00"),
		WorkdayStart: Clock{9, 0}, WorkdayEnd: Clock{18, 0},
		NudgeEnabled: true, NudgeAt: Clock{17, 0}, WeeklyDay: time.Monday, WeeklyAt: Clock{10, 0},
		AckWindow: 24 * time.Hour, UrgentAck: 15 * time.Minute, ImportantAck: 48 * time.Hour,
		HelpReping: 24 * time.Hour, WarnWorkdays: 2, Lead: "lead",
	}
}

// task is an acknowledged routine task of "own", initiated by "ini",
// created long ago and due far ahead, with an update every day: it owes
// nothing unless a case changes it.
func task(id int64, own string, edit ...func(*TaskState)) TaskState {
	t := TaskState{ID: id, Owner: own, Initiator: "ini", Urgency: Routine, Ack: AckExplicit,
		Created: ts("2026-09-01 10:00"), Due: ts("2026-12-31 18:00"), LastOwnerUpdate: ts("2026-12-31 09:00")}
	for _, e := range edit {
		e(&t)
	}
	return t
}

func created(s string) func(*TaskState) { return func(t *TaskState) { t.Created = ts(s) } }
func due(s string) func(*TaskState)     { return func(t *TaskState) { t.Due = ts(s) } }
func updated(s string) func(*TaskState) { return func(t *TaskState) { t.LastOwnerUpdate = ts(s) } }
func riskAt(s string) func(*TaskState)  { return func(t *TaskState) { t.LastRiskOrDelay = ts(s) } }
func ack(a AckState) func(*TaskState)   { return func(t *TaskState) { t.Ack = a } }
func tier(u Urgency) func(*TaskState)   { return func(t *TaskState) { t.Urgency = u } }
func status(s TaskStatus) func(*TaskState) {
	return func(t *TaskState) { t.Status = s }
}
func sent(at ...string) func(*TaskState) {
	return func(t *TaskState) {
		for _, a := range at {
			t.Ladder = append(t.Ladder, ts(a))
		}
	}
}
func doneAt(at string, reviews ...string) func(*TaskState) {
	return func(t *TaskState) {
		t.Status, t.DoneAt = TaskDone, ts(at)
		for _, r := range reviews {
			t.Review = append(t.Review, ts(r))
		}
	}
}
func delayAsked(at, by string, sentAt ...string) func(*TaskState) {
	return func(t *TaskState) {
		t.Delay = &DelayState{At: ts(at), By: by, OriginDue: t.Due}
		for _, s := range sentAt {
			t.Delay.Sent = append(t.Delay.Sent, ts(s))
		}
	}
}
func snooze(until string) func(*TaskState) { return func(t *TaskState) { t.SnoozedUntil = ts(until) } }
func help(at, helper string) func(*TaskState) {
	return func(t *TaskState) { t.Help = append(t.Help, HelpState{Index: len(t.Help), At: ts(at), Helper: helper}) }
}

// stale is a task of own with no update since it was created long ago.
func stale(id int64, own string, edit ...func(*TaskState)) TaskState {
	return task(id, own, append([]func(*TaskState){updated("2026-09-01 10:00")}, edit...)...)
}

// show writes an Owed as "kind #task/step [mentions] deliver-time (deferred) (urgent) key".
func show(o Owed) string {
	s := string(o.Kind)
	if o.TaskID != 0 {
		s += fmt.Sprintf(" #%d/%d", o.TaskID, o.Step)
	}
	s += " [" + strings.Join(o.Mentions, " ") + "] " + o.Deliver.In(shanghai).Format("01-02 15:04")
	if o.Deferred() {
		s += " deferred"
	}
	if o.Urgent {
		s += " urgent"
	}
	return s + " " + o.Key
}

func TestDue(t *testing.T) {
	cal := NewCalendar(nil)
	noNudge := func(p *GroupPolicy) { p.NudgeEnabled = false }
	noWarn := func(p *GroupPolicy) { p.WarnWorkdays = 0 }
	for _, tc := range []struct {
		name   string
		policy func(*GroupPolicy)
		tasks  []TaskState
		now    string
		want   []string
	}{
		// Daily nudge.
		{"nudge: owners without an update today, once each", nil, []TaskState{
			stale(1, "a"), stale(2, "b", updated("2026-09-29 16:59")), stale(3, "a"), stale(4, "c"),
			stale(5, "d", created("2026-09-29 09:30")), stale(6, "e", status(TaskDone)),
			stale(7, "f", updated("2026-09-28 17:30")),
		}, "2026-09-29 17:00", []string{"nudge [a c f] 09-29 17:00 nudge:console:g1:2026-09-29"}},
		{"nudge: not before its time", nil, []TaskState{stale(1, "a")}, "2026-09-29 16:59", nil},
		{"nudge: late after downtime, same key", nil, []TaskState{stale(1, "a")}, "2026-09-29 17:20",
			[]string{"nudge [a] 09-29 17:00 nudge:console:g1:2026-09-29"}},
		{"nudge: not after working hours", nil, []TaskState{stale(1, "a")}, "2026-09-29 18:01", nil},
		{"nudge: yesterday's is stale the next morning", nil, []TaskState{stale(1, "a")}, "2026-09-30 09:00", nil},
		{"nudge: 调休 Saturday is a working day", nil, []TaskState{stale(1, "a")}, "2026-10-10 17:00",
			[]string{"nudge [a] 10-10 17:00 nudge:console:g1:2026-10-10"}},
		{"nudge: holiday Monday is not", nil, []TaskState{stale(1, "a")}, "2026-10-05 17:00", nil},
		{"nudge: ordinary Sunday is not", nil, []TaskState{stale(1, "a")}, "2026-10-11 17:00", nil},
		{"nudge: disabled", noNudge, []TaskState{stale(1, "a")}, "2026-09-29 17:00", nil},
		{"nudge: everyone updated", nil, []TaskState{task(1, "a"), task(2, "b")}, "2026-09-29 17:00", nil},
		{"nudge: no tasks", nil, nil, "2026-09-29 17:00", nil},
		{"nudge: group time 17:30 honoured", func(p *GroupPolicy) { p.NudgeAt = Clock{17, 30} },
			[]TaskState{stale(1, "a")}, "2026-09-29 17:29", nil},
		{"nudge: time after hours goes out the next working morning", func(p *GroupPolicy) { p.NudgeAt = Clock{19, 0} },
			[]TaskState{stale(1, "a")}, "2026-10-08 09:00",
			[]string{"nudge [a] 10-08 09:00 deferred nudge:console:g1:2026-09-30"}},

		// Pre-deadline warning.
		{"warn: two working days before due, at workday start", nil,
			[]TaskState{task(1, "a", due("2026-09-30 18:00"))}, "2026-09-28 09:00",
			[]string{"warn #1/0 [a] 09-28 09:00 warn:console:g1:#1:1790762400"}},
		{"warn: counts over the holiday", nil,
			[]TaskState{task(1, "a", due("2026-10-08 18:00"))}, "2026-09-29 09:00",
			[]string{"warn #1/0 [a] 09-29 09:00 warn:console:g1:#1:1791453600"}},
		{"warn: not for a task created after the warning time", nil,
			[]TaskState{task(1, "a", due("2026-09-30 18:00"), created("2026-09-28 11:00"))}, "2026-09-29 10:00", nil},
		{"warn: off", func(p *GroupPolicy) { p.WarnWorkdays = 0 },
			[]TaskState{task(1, "a", due("2026-09-30 18:00"))}, "2026-09-28 09:00", nil},

		// Acknowledgement window.
		{"ack: 24 h of silence", nil, []TaskState{task(1, "a", ack(AckNone), created("2026-09-28 10:00"))}, "2026-09-29 10:00",
			[]string{"ack_default #1/0 [a] 09-29 10:00 ack_default:console:g1:#1"}},
		{"ack: not before", nil, []TaskState{task(1, "a", ack(AckNone), created("2026-09-28 10:00"))}, "2026-09-29 09:59", nil},
		{"ack: the holiday does not count: 14 h before it, 10 h after", nil,
			[]TaskState{task(1, "a", ack(AckNone), created("2026-09-30 10:00"))}, "2026-10-08 10:00",
			[]string{"ack_default #1/0 [a] 10-08 10:00 ack_default:console:g1:#1"}},
		{"ack: not on the first morning after it", nil,
			[]TaskState{task(1, "a", ack(AckNone), created("2026-09-30 10:00"))}, "2026-10-08 09:59", nil},
		{"ack: quiet on the holiday itself", nil,
			[]TaskState{task(1, "a", ack(AckNone), created("2026-09-30 10:00"))}, "2026-10-01 10:00", nil},
		{"ack: counts from the handover, not the creation", nil,
			[]TaskState{task(1, "a", ack(AckNone), created("2026-09-28 10:00"), func(t *TaskState) { t.Assigned = ts("2026-09-29 11:00") })},
			"2026-09-30 10:59", nil},
		{"ack: a handover starts a fresh timer under a fresh key", nil,
			[]TaskState{task(1, "a", ack(AckNone), created("2026-09-28 10:00"), func(t *TaskState) { t.Assigned = ts("2026-09-29 11:00") })},
			"2026-09-30 11:00", []string{"ack_default #1/0 [a] 09-30 11:00 ack_default:console:g1:#1:1790650800"}},

		// Tier response: one rule per tier.
		{"urgent: 15 min → @owner and @lead, even after hours", nil,
			[]TaskState{task(1, "a", ack(AckNone), tier(Urgent), created("2026-09-30 17:50"))}, "2026-09-30 18:05",
			[]string{"urgent_ack #1/0 [a lead] 09-30 18:05 urgent urgent_ack:console:g1:#1"}},
		{"urgent: on a holiday too (real time), initiator when no lead", func(p *GroupPolicy) { p.Lead = "" },
			[]TaskState{task(1, "a", ack(AckNone), tier(Urgent), created("2026-10-03 08:00"))}, "2026-10-03 08:15",
			[]string{"urgent_ack #1/0 [a ini] 10-03 08:15 urgent urgent_ack:console:g1:#1"}},
		{"urgent: never accepted by default", nil,
			[]TaskState{task(1, "a", ack(AckNone), tier(Urgent), created("2026-09-28 10:00"), due("2026-12-31 18:00"))}, "2026-09-29 10:30",
			[]string{"urgent_ack #1/0 [a lead] 09-28 10:15 urgent urgent_ack:console:g1:#1"}},
		{"urgent: acknowledged", nil,
			[]TaskState{task(1, "a", tier(Urgent), created("2026-09-30 17:50"))}, "2026-09-30 18:05", nil},
		{"important: 48 working hours → @owner again, no default acceptance", nil,
			[]TaskState{task(1, "a", ack(AckNone), tier(Important), created("2026-09-28 10:00"))}, "2026-09-30 10:00",
			[]string{"important_ack #1/0 [a] 09-30 10:00 important_ack:console:g1:#1"}},

		// Overdue ladder: one step at a time, in working time.
		{"overdue: at due, 18:00 is still working time", nil,
			[]TaskState{task(1, "a", due("2026-09-29 18:00"))}, "2026-09-29 18:00",
			[]string{"overdue #1/1 [a] 09-29 18:00 overdue:console:g1:#1:1790676000:1"}},
		{"overdue: step 1 never sent: it comes first, however late", nil,
			[]TaskState{task(1, "a", due("2026-09-28 18:00"))}, "2026-09-30 17:00",
			[]string{"overdue #1/1 [a] 09-28 18:00 overdue:console:g1:#1:1790589600:1"}},
		{"overdue: +24 h after step 1, silent → owner and initiator", nil,
			[]TaskState{task(1, "a", due("2026-09-28 18:00"), sent("2026-09-28 18:00"))}, "2026-09-29 18:00",
			[]string{"overdue #1/2 [a ini] 09-29 18:00 overdue:console:g1:#1:1790589600:2"}},
		{"overdue: not before", nil,
			[]TaskState{task(1, "a", due("2026-09-28 18:00"), sent("2026-09-28 18:00"))}, "2026-09-29 17:59", nil},
		{"overdue: a risk warning after due stops the ladder", nil,
			[]TaskState{task(1, "a", due("2026-09-28 18:00"), sent("2026-09-28 18:00"), riskAt("2026-09-29 09:00"))}, "2026-09-30 18:00", nil},
		{"overdue: a delay request before due does not", nil,
			[]TaskState{task(1, "a", due("2026-09-28 18:00"), riskAt("2026-09-28 09:00"), sent("2026-09-28 18:00"))}, "2026-09-29 18:00",
			[]string{"overdue #1/2 [a ini] 09-29 18:00 overdue:console:g1:#1:1790589600:2"}},
		{"overdue: +24 h after step 2 → owner and lead", nil,
			[]TaskState{task(1, "a", due("2026-09-28 17:00"), sent("2026-09-28 17:00", "2026-09-29 17:00"))}, "2026-09-30 17:00",
			[]string{"overdue #1/3 [a lead] 09-30 17:00 overdue:console:g1:#1:1790586000:3"}},
		{"overdue: the holiday is not overdue time: step 2 one working day after step 1", nil,
			[]TaskState{task(1, "a", due("2026-09-30 18:00"), sent("2026-09-30 18:00"))}, "2026-10-08 17:59", nil},
		{"overdue: … which is 10-08 18:00, owner first again", nil,
			[]TaskState{task(1, "a", due("2026-09-30 18:00"), sent("2026-09-30 18:00"))}, "2026-10-08 18:00",
			[]string{"overdue #1/2 [a ini] 10-08 18:00 overdue:console:g1:#1:1790762400:2"}},
		{"overdue: due on a holiday: step 1 the first working morning", nil,
			[]TaskState{task(1, "a", due("2026-10-03 18:00"))}, "2026-10-08 09:00",
			[]string{"overdue #1/1 [a] 10-08 09:00 deferred overdue:console:g1:#1:1791021600:1"}},
		{"overdue: no more after step 3", nil,
			[]TaskState{task(1, "a", due("2026-09-28 17:00"), sent("2026-09-28 17:00", "2026-09-29 17:00", "2026-09-30 17:00"))}, "2026-10-09 17:00", nil},
		{"overdue: nothing for a done task", nil,
			[]TaskState{task(1, "a", due("2026-09-28 18:00"), status(TaskDone))}, "2026-09-29 18:00", nil},
		{"overdue: a month late is too late", nil,
			[]TaskState{task(1, "a", due("2026-08-20 18:00"))}, "2026-09-29 10:00", nil},

		// Review and approval reminders.
		{"review: 24 working hours after /done → @initiator", nil,
			[]TaskState{task(1, "a", doneAt("2026-09-28 11:00"))}, "2026-09-29 11:00",
			[]string{"review #1/1 [ini] 09-29 11:00 review:console:g1:#1:1790564400:1"}},
		{"review: again a day later, then with the lead", nil,
			[]TaskState{task(1, "a", doneAt("2026-09-28 11:00", "2026-09-29 11:00", "2026-09-30 11:00"))}, "2026-10-08 11:00",
			[]string{"review #1/3 [ini lead] 10-08 11:00 review:console:g1:#1:1790564400:3"}},
		{"review: the owner's own request goes to the lead", nil,
			[]TaskState{task(1, "ini", doneAt("2026-09-28 11:00"))}, "2026-09-29 11:00",
			[]string{"review #1/1 [lead] 09-29 11:00 review:console:g1:#1:1790564400:1"}},
		{"approval: within its window → @initiator", noWarn,
			[]TaskState{task(1, "a", due("2026-10-09 18:00"), delayAsked("2026-09-28 10:00", "a"))}, "2026-09-29 10:00",
			[]string{"approval #1/1 [ini] 09-29 10:00 approval:console:g1:#1:1790560800:1"}},
		{"approval: and before the original due time at the latest", noWarn,
			[]TaskState{task(1, "a", due("2026-09-28 18:00"), delayAsked("2026-09-28 10:00", "a"))}, "2026-09-28 16:00",
			[]string{"approval #1/1 [ini] 09-28 16:00 approval:console:g1:#1:1790560800:1"}},
		{"approval: then the lead", noWarn,
			[]TaskState{task(1, "a", due("2026-10-09 18:00"), delayAsked("2026-09-28 10:00", "a", "2026-09-29 10:00"))}, "2026-09-30 10:00",
			[]string{"approval #1/2 [ini lead] 09-30 10:00 approval:console:g1:#1:1790560800:2"}},

		// Leave and snooze.
		{"leave: the owner's escalation goes to the delegate", func(p *GroupPolicy) {
			p.Leaves = []Leave{{User: "a", Delegate: "d", From: ts("2026-09-29 00:00"), To: ts("2026-10-01 00:00")}}
		}, []TaskState{task(1, "a", due("2026-09-28 18:00"), sent("2026-09-28 18:00"))}, "2026-09-29 18:00",
			[]string{"overdue #1/2 [d ini] 09-29 18:00 overdue:console:g1:#1:1790589600:2"}},
		{"leave: no delegate → the lead; no nudge for the owner", func(p *GroupPolicy) {
			p.Leaves = []Leave{{User: "a", From: ts("2026-09-29 00:00"), To: ts("2026-10-01 00:00")}}
		}, []TaskState{stale(1, "a", due("2026-09-29 18:00")), stale(2, "b")}, "2026-09-29 18:00",
			[]string{"nudge [b] 09-29 17:00 nudge:console:g1:2026-09-29", "overdue #1/1 [lead] 09-29 18:00 overdue:console:g1:#1:1790676000:1"}},
		{"snooze: no nudge, no warning until then", nil,
			[]TaskState{stale(1, "a", due("2026-09-30 18:00"), snooze("2026-09-29 18:00"))}, "2026-09-29 17:00", nil},

		// Nudge scope and escalations.
		{"nudge: scope 2 working days (9-30, 10-08): 10-09 is left out", func(p *GroupPolicy) { p.NudgeScope, p.WarnWorkdays = 2, 0 },
			[]TaskState{stale(1, "a", due("2026-10-09 18:00")), stale(2, "b", due("2026-10-08 18:00"))}, "2026-09-29 17:00",
			[]string{"nudge [b] 09-29 17:00 nudge:console:g1:2026-09-29"}},
		{"nudge: a task escalated today gets no nudge line", nil,
			[]TaskState{stale(1, "a", due("2026-09-29 17:00")), stale(2, "b")}, "2026-09-29 17:00",
			[]string{"overdue #1/1 [a] 09-29 17:00 overdue:console:g1:#1:1790672400:1", "nudge [b] 09-29 17:00 nudge:console:g1:2026-09-29"}},

		// Help flags.
		{"help: open 24 h → helper and lead", nil,
			[]TaskState{task(1, "a", help("2026-09-29 10:30", "h"))}, "2026-09-30 10:30",
			[]string{"help #1/0 [h lead] 09-30 10:30 help:console:g1:#1:0"}},
		{"help: no helper named → initiator and lead", nil,
			[]TaskState{task(1, "a", help("2026-09-28 10:30", "h"), help("2026-09-29 10:30", ""))}, "2026-09-30 10:30",
			[]string{"help #1/0 [h lead] 09-29 10:30 help:console:g1:#1:0", "help #1/1 [ini lead] 09-30 10:30 help:console:g1:#1:1"}},

		// Weekly summary.
		{"weekly: Monday 10:00", nil, []TaskState{task(1, "a")}, "2026-09-28 10:00",
			[]string{"weekly [] 09-28 10:00 weekly:console:g1:2026-09-28"}},
		{"weekly: not before", nil, []TaskState{task(1, "a")}, "2026-09-28 09:59", nil},
		{"weekly: holiday Monday, nothing that day", nil, []TaskState{task(1, "a")}, "2026-10-05 10:00", nil},
		{"weekly: holiday Monday → next working morning", nil, []TaskState{task(1, "a")}, "2026-10-08 09:00",
			[]string{"weekly [] 10-08 09:00 weekly:console:g1:2026-10-05"}},
		{"weekly: late in the same week, same key", nil, []TaskState{task(1, "a")}, "2026-10-09 11:00",
			[]string{"weekly [] 10-08 09:00 weekly:console:g1:2026-10-05"}},
		{"weekly: last week's is stale", nil, []TaskState{task(1, "a")}, "2026-10-12 09:30", nil},
		{"weekly: group without tasks", nil, nil, "2026-09-28 10:00", nil},
		{"weekly: group joined after the occasion", func(p *GroupPolicy) { p.Since = ts("2026-09-28 10:30") },
			[]TaskState{task(1, "a")}, "2026-09-29 10:00", nil},

		// Quiet hours and ordering.
		{"quiet: evening", nil, []TaskState{stale(1, "a", due("2026-09-29 18:00"), ack(AckNone), created("2026-09-28 19:00"))},
			"2026-09-29 20:00", nil},
		{"quiet: the morning gets everything, sorted", nil, []TaskState{
			stale(2, "b", due("2026-09-29 18:00")),
			stale(1, "a", ack(AckNone), created("2026-09-28 19:00")),
		}, "2026-09-30 09:00", []string{
			"overdue #2/1 [b] 09-29 18:00 overdue:console:g1:#2:1790676000:1",
			"ack_default #1/0 [a] 09-30 09:00 deferred ack_default:console:g1:#1",
		}},
	} {
		p := testPolicy()
		if tc.policy != nil {
			tc.policy(&p)
		}
		var got []string
		for _, o := range Due(p, tc.tasks, cal, ts(tc.now)) {
			// The week's summary is owed all week; only its own cases look.
			if o.Kind == RemindWeekly && !strings.HasPrefix(tc.name, "weekly") {
				continue
			}
			got = append(got, show(o))
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: Due(%v):\n\tgot  %v\n\twant %v", tc.name, tc.now, strings.Join(got, "\n\t     "), strings.Join(tc.want, "\n\t     "))
		}
	}
}

func TestWorkingTime(t *testing.T) {
	cal := NewCalendar(nil)
	p := testPolicy()
	for _, tc := range []struct {
		at   string
		want bool
	}{
		{"2026-09-29 09:00", true}, {"2026-09-29 08:59", false}, {"2026-09-29 18:00", true}, {"2026-09-29 18:01", false},
		{"2026-10-10 10:00", true}, {"2026-10-05 10:00", false}, {"2026-10-11 10:00", false}, {"2026-09-20 10:00", true},
	} {
		if got := WorkingTime(p, cal, ts(tc.at)); got != tc.want {
			t.Errorf("WorkingTime(%v):\n\tgot  %v\n\twant %v", tc.at, got, tc.want)
		}
	}
	if got := WorkingTime(p, cal, ts("2026-09-29 18:00").Add(30*time.Second)); got {
		t.Errorf("WorkingTime(18:00:30) = true, want false")
	}
	for _, tc := range []struct{ at, want string }{
		{"2026-09-29 08:00", "2026-09-29 09:00"}, {"2026-09-29 09:00", "2026-09-29 09:00"},
		{"2026-09-30 18:30", "2026-10-08 09:00"}, {"2026-10-09 19:00", "2026-10-10 09:00"},
	} {
		if got := NextWorkingStart(p, cal, ts(tc.at)); !got.Equal(ts(tc.want)) {
			t.Errorf("NextWorkingStart(%v):\n\tgot  %v\n\twant %v", tc.at, got, tc.want)
		}
	}
}

func TestWeeklyOccasion(t *testing.T) {
	cal := NewCalendar(nil)
	p := testPolicy()
	for _, tc := range []struct{ monday, want string }{
		{"2026-09-28 00:00", "2026-09-28 10:00"},
		{"2026-10-05 00:00", "2026-10-08 09:00"}, // National Day: the first working morning
		{"2026-10-12 00:00", "2026-10-12 10:00"},
	} {
		if got := WeeklyOccasion(p, cal, ts(tc.monday)); !got.Equal(ts(tc.want)) {
			t.Errorf("WeeklyOccasion(%v):\n\tgot  %v\n\twant %v", tc.monday, got, tc.want)
		}
	}
}
