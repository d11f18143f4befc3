package rules

import (
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"testing"
	"time"
)

// randomCase makes a policy and a task around the 2026 National Day
// holidays, with every feature the rules know turned on or off at random.
func randomCase(r *rand.Rand) (GroupPolicy, TaskState, time.Time) {
	base := ts("2026-09-21 00:00")
	at := func(days int) time.Time {
		return base.Add(time.Duration(r.IntN(days*24*60)) * time.Minute)
	}
	pick := func(ds ...time.Duration) time.Duration { return ds[r.IntN(len(ds))] }
	p := testPolicy()
	p.Since = at(5)
	p.NudgeEnabled = r.IntN(4) > 0
	p.NudgeAt = []Clock{{17, 0}, {19, 30}, {8, 0}, {9, 0}, {18, 0}}[r.IntN(5)]
	p.WeeklyDay = time.Weekday(r.IntN(7))
	p.NudgeScope = []int{0, 0, 1, 3}[r.IntN(4)]
	p.WarnWorkdays = r.IntN(3)
	p.AckWindow = pick(0, 24*time.Hour, 4*time.Hour)
	p.UrgentAck = pick(0, 15*time.Minute, 2*time.Hour)
	p.ImportantAck = pick(0, 48*time.Hour, 30*time.Minute)
	p.HelpReping = pick(0, 24*time.Hour, 3*time.Hour)
	p.LadderStep = pick(0, 4*time.Hour, 48*time.Hour)
	p.ReviewWindow = pick(0, 2*time.Hour)
	p.Lead = []string{"lead", "", "own"}[r.IntN(3)]
	for range r.IntN(3) {
		from := at(30)
		p.Leaves = append(p.Leaves, Leave{User: []string{"own", "ini", "lead", "help"}[r.IntN(4)],
			Delegate: []string{"", "dlg", "lead"}[r.IntN(3)], From: from, To: from.Add(time.Duration(1+r.IntN(96)) * time.Hour)})
	}
	t := TaskState{ID: int64(1 + r.IntN(9)), Owner: "own", Initiator: []string{"ini", "own"}[r.IntN(2)],
		Urgency: []Urgency{Routine, Important, Urgent}[r.IntN(3)], Created: at(10)}
	if r.IntN(3) == 0 {
		t.Assigned = t.Created.Add(time.Duration(r.IntN(48)) * time.Hour)
	}
	t.Due = t.Created.Add(time.Duration(r.IntN(20*24)) * time.Hour)
	t.Ack = AckState(r.IntN(3))
	if r.IntN(2) == 0 {
		t.LastOwnerUpdate = at(30)
	}
	if r.IntN(4) == 0 {
		t.LastRiskOrDelay = at(30)
	}
	if r.IntN(4) == 0 {
		t.SnoozedUntil = at(30)
	}
	for i := range r.IntN(3) {
		t.Help = append(t.Help, HelpState{Index: i, At: at(25), Helper: []string{"", "help"}[r.IntN(2)]})
	}
	switch r.IntN(6) {
	case 0:
		t.Status = TaskDone
		t.DoneAt = at(25)
		for range r.IntN(3) {
			t.Review = append(t.Review, t.DoneAt.Add(time.Duration(r.IntN(72))*time.Hour))
		}
	case 1:
		t.Status = TaskClosed
	default:
		for range r.IntN(3) {
			t.Ladder = append(t.Ladder, t.Due.Add(time.Duration(r.IntN(72))*time.Hour))
		}
	}
	if t.Status == TaskOpen && r.IntN(4) == 0 {
		d := at(25)
		t.Delay = &DelayState{At: d, By: []string{"own", "ini"}[r.IntN(2)], OriginDue: t.Due}
		if r.IntN(2) == 0 {
			t.Delay.Sent = []time.Time{d.Add(time.Duration(r.IntN(48)) * time.Hour)}
		}
	}
	return p, t, at(35)
}

// undecided is what Due owes about t at now, leaving out the group's
// weekly summary (NextWeeklyAt's) and the keys in done.
func undecided(p GroupPolicy, t TaskState, cal Calendar, now time.Time, done map[string]bool) []Owed {
	var out []Owed
	for _, o := range Due(p, []TaskState{t}, cal, now) {
		if o.Kind != RemindWeekly && !done[o.Key] {
			out = append(out, o)
		}
	}
	return out
}

// TestNextAtNeverLate: for random tasks and times, nothing is owed between
// now and NextAt, and (outside the look-ahead cap) something is owed at
// NextAt. The task then lives on: what is owed at NextAt is decided the
// way the engine does (its key recorded, the ladder step noted), and the
// next NextAt must again be neither late nor, mostly, early.
func TestNextAtNeverLate(t *testing.T) {
	cal := NewCalendar(nil)
	r := rand.New(rand.NewPCG(1, 2))
	early := 0
	cases := 1500
	if os.Getenv("COLLABBOT_LONG_TESTS") == "1" {
		cases = 30000
	}
	for c := range cases {
		p, task, now := randomCase(r)
		done := map[string]bool{}
		for step := 0; step < 12; step++ {
			next := NextAt(p, task, cal, now, func(k string) bool { return done[k] })
			label := fmt.Sprintf("case %d step %d: %+v\npolicy %+v\nnow %s next %s", c, step, task, p, now, next)
			end := next
			if end.IsZero() {
				end = now.Add(60 * 24 * time.Hour)
			}
			if end.Before(now) {
				t.Fatalf("%s: NextAt before now", label)
			}
			// Every minute boundary up to a day, then samples, and the
			// instants just before the answer.
			var probes []time.Time
			for m := time.Duration(0); m < 8*time.Hour && now.Add(m).Before(end); m += 11 * time.Minute {
				probes = append(probes, now.Add(m))
			}
			for range 40 {
				probes = append(probes, now.Add(time.Duration(r.Int64N(int64(end.Sub(now))+1))))
			}
			probes = append(probes, end.Add(-time.Second), end.Add(-time.Minute), end.Add(-time.Nanosecond))
			for _, at := range probes {
				if at.Before(now) || !at.Before(end) {
					continue
				}
				if got := undecided(p, task, cal, at, done); len(got) > 0 {
					t.Fatalf("%s: owed at %s before NextAt: %+v", label, at, got[0])
				}
			}
			if next.IsZero() {
				break
			}
			owed := undecided(p, task, cal, next, done)
			if len(owed) == 0 {
				early++
				now = next
				continue
			}
			// Decide them as the engine does.
			for _, o := range owed {
				done[o.Key] = true
				switch o.Kind {
				case RemindOverdue:
					task.Ladder = append(task.Ladder, next)
				case RemindReview:
					task.Review = append(task.Review, next)
				case RemindApproval:
					task.Delay.Sent = append(task.Delay.Sent, next)
				case RemindAckDefault:
					task.Ack = AckDefaulted
				}
			}
			now = next.Add(time.Duration(r.IntN(3)) * time.Minute)
		}
	}
	// Early answers only come from the look-ahead caps.
	if early > cases/50 {
		t.Errorf("%d early answers in %d cases", early, cases)
	}
}

// NextWeeklyAt: the weekly summary is not owed before it and is at it.
func TestNextWeeklyAt(t *testing.T) {
	cal := NewCalendar(nil)
	r := rand.New(rand.NewPCG(3, 4))
	one := []TaskState{task(1, "a")}
	for c := range 800 {
		p, _, now := randomCase(r)
		done := map[string]bool{}
		for step := range 4 {
			next := NextWeeklyAt(p, cal, now, func(k string) bool { return done[k] })
			label := fmt.Sprintf("case %d step %d: policy %+v now %s next %s", c, step, p, now, next)
			if next.Before(now) || next.IsZero() {
				t.Fatalf("%s: bad answer", label)
			}
			weekly := func(at time.Time) *Owed {
				if !WorkingTime(p, cal, at) {
					return nil
				}
				if o, ok := dueWeekly(p, one, cal, at); ok && !done[o.Key] {
					return &o
				}
				return nil
			}
			for m := time.Duration(0); now.Add(m).Before(next); m += 29 * time.Minute {
				if o := weekly(now.Add(m)); o != nil {
					t.Fatalf("%s: owed at %s: %+v", label, now.Add(m), o)
				}
			}
			o := weekly(next)
			if o == nil {
				t.Fatalf("%s: nothing owed at NextWeeklyAt", label)
			}
			done[o.Key] = true
			now = next.Add(time.Duration(r.IntN(600)) * time.Minute)
		}
	}
}

// A few cases spelled out, so a reader sees what NextAt answers.
func TestNextAtExamples(t *testing.T) {
	cal := NewCalendar(nil)
	p := testPolicy()
	p.NudgeEnabled = false
	for _, c := range []struct {
		name string
		t    TaskState
		now  string
		want string // "" = never
	}{
		{"acknowledged, due far ahead: the warning", task(1, "a", due("2026-10-13 18:00")), "2026-09-29 10:00", "2026-10-10 09:00"}, // 10-10 is a 调休 Saturday
		{"warned already is decided: the due time", task(1, "a", due("2026-09-30 18:00")), "2026-09-29 10:00", "2026-09-30 18:00"},
		{"due in the night: the ladder waits for the morning", task(1, "a", due("2026-09-29 23:00")), "2026-09-29 19:00", "2026-09-30 09:00"},
		{"closed: never", task(1, "a", func(t *TaskState) { t.Status = TaskClosed }), "2026-09-29 10:00", ""},
		{"urgent, not acknowledged: real time, quiet hours too", task(1, "a", func(t *TaskState) {
			t.Urgency, t.Ack, t.Created = Urgent, AckNone, ts("2026-09-29 23:00")
		}), "2026-09-29 23:00", "2026-09-29 23:15"},
		{"snoozed: the warning waits", task(1, "a", due("2026-09-30 18:00"), func(t *TaskState) { t.SnoozedUntil = ts("2026-09-29 15:00") }), "2026-09-29 10:00", "2026-09-29 15:00"},
	} {
		done := func(k string) bool {
			return c.name[:6] == "warned" && k == taskKey(RemindWarn, p, &c.t, c.t.Due.Unix())
		}
		got := NextAt(p, c.t, cal, ts(c.now), done)
		want := time.Time{}
		if c.want != "" {
			want = ts(c.want)
		}
		if !got.Equal(want) {
			t.Errorf("%s: NextAt = %s, want %s", c.name, got, want)
		}
	}
}

func TestDueTasksIsDueWithoutGroupMessages(t *testing.T) {
	cal := NewCalendar(nil)
	r := rand.New(rand.NewPCG(5, 6))
	for range 500 {
		p, a, now := randomCase(r)
		_, b, _ := randomCase(r)
		b.ID = a.ID + 10
		all := []TaskState{a, b}
		var want []Owed
		for _, o := range Due(p, all, cal, now) {
			if o.Kind != RemindNudge && o.Kind != RemindWeekly {
				want = append(want, o)
			}
		}
		got := DueTasks(p, all, cal, now)
		if !slices.EqualFunc(got, want, func(x, y Owed) bool { return x.Key == y.Key }) {
			t.Fatalf("DueTasks %+v, Due's task messages %+v", got, want)
		}
	}
}
