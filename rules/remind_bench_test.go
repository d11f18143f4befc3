package rules

import (
	"fmt"
	"runtime"
	"testing"
	"time"
	"unsafe"
)

// benchGroups makes groups×perGroup open tasks: ten owners a group, half
// of the tasks updated today, created 2 to 21 days ago, due dates spread
// over the next 60 days (or, with soon, all due tomorrow evening, inside
// the warning window) with overduePct percent of the tasks 1 to 10 days
// overdue, and helpPct percent with an open help flag raised 30 h ago.
func benchGroups(groups, perGroup, overduePct, helpPct int, soon bool, now time.Time) ([]GroupPolicy, [][]TaskState) {
	owners := make([]string, 10)
	for i := range owners {
		owners[i] = fmt.Sprintf("ou_%08d", i)
	}
	pols := make([]GroupPolicy, groups)
	states := make([][]TaskState, groups)
	base := testPolicy()
	for g := range groups {
		p := base
		p.Key = fmt.Sprintf("lark:oc_%08d", g)
		pols[g] = p
		ts := make([]TaskState, perGroup)
		for i := range ts {
			n := g*perGroup + i
			t := TaskState{ID: int64(i + 1), Owner: owners[(n*7)%10], Initiator: owners[(n*3+1)%10], Urgency: Routine,
				Ack: AckExplicit, Created: now.Add(-time.Duration(n%20+2) * 24 * time.Hour),
				Due: now.Add(time.Duration(n%60+1) * 24 * time.Hour)}
			if soon {
				t.Due = now.Add(25 * time.Hour)
			}
			if (n/2*37)%100 < overduePct { // 37: spread over every group
				t.Due = now.Add(-time.Duration(n%10+1) * 24 * time.Hour)
			}
			if n%2 == 0 {
				t.LastOwnerUpdate = now.Add(-2 * time.Hour)
			}
			if (n/3)%100 < helpPct {
				t.Help = []HelpState{{At: now.Add(-30 * time.Hour), Helper: owners[(n+5)%10]}}
			}
			ts[i] = t
		}
		states[g] = ts
	}
	return pols, states
}

// BenchmarkDue17 decides everything owed at 17:00 on a working day for
// 1,000,000 open tasks in 10,000 groups: the daily nudges, and on the way
// the ladder, warnings and help re-pings. The baseline is a plain loop
// over the same states doing the nudge's own test and nothing else, so
// ratio says what the rules cost over merely touching the data.
// "typical" has 5% of tasks overdue and 2% asking for help; "stressed"
// has half the tasks overdue, the other half due tomorrow (owing the
// warning) and 10% asking for help, so that every task owes a message.
// (Not every task overdue: a task escalated today has no nudge line, so
// a group whose every task escalates gets no nudge at all.)
func BenchmarkDue17(b *testing.B) {
	b.Run("typical", func(b *testing.B) { benchDue17(b, 5, 2, false) })
	b.Run("stressed", func(b *testing.B) { benchDue17(b, 50, 10, true) })
}

func benchDue17(b *testing.B, overduePct, helpPct int, soon bool) {
	const groups, perGroup = 10_000, 100
	cal := NewCalendar(nil)
	now := ts("2026-09-29 17:00")
	pols, states := benchGroups(groups, perGroup, overduePct, helpPct, soon, now)
	tasks := float64(groups * perGroup)
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	inputHeap := ms.HeapAlloc

	dayStart := ts("2026-09-29 00:00")
	var sink int
	baseline := func() {
		for _, g := range states {
			for i := range g {
				if g[i].Status == TaskOpen && g[i].LastOwnerUpdate.Before(dayStart) {
					sink += len(g[i].Owner)
				}
			}
		}
	}
	const baseRuns = 5
	start := time.Now()
	for range baseRuns {
		baseline()
	}
	baseNs := float64(time.Since(start).Nanoseconds()) / baseRuns

	var owed, nudges int
	runtime.ReadMemStats(&ms)
	startAlloc := ms.TotalAlloc
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		owed, nudges = 0, 0
		for g := range states {
			for _, o := range Due(pols[g], states[g], cal, now) {
				owed++
				if o.Kind == RemindNudge {
					nudges++
				}
			}
		}
	}
	b.StopTimer()
	runtime.ReadMemStats(&ms)
	if nudges != groups {
		b.Fatalf("nudges = %d, want %d", nudges, groups)
	}
	perOp := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	b.ReportMetric(perOp/tasks, "ns/task")
	b.ReportMetric(baseNs/tasks, "baseline-ns/task")
	b.ReportMetric(perOp/baseNs, "ratio")
	b.ReportMetric(float64(unsafe.Sizeof(TaskState{})), "state-B/task")
	b.ReportMetric(float64(inputHeap)/tasks, "input-heap-B/task")
	b.ReportMetric(float64(owed), "owed/op")
	b.ReportMetric(float64(ms.TotalAlloc-startAlloc)/float64(b.N)/tasks, "alloc-B/task")
	_ = sink
}

// BenchmarkDueNudge17 is the nudge decision alone over the same states.
func BenchmarkDueNudge17(b *testing.B) {
	const groups, perGroup = 10_000, 100
	cal := NewCalendar(nil)
	now := ts("2026-09-29 17:00")
	pols, states := benchGroups(groups, perGroup, 5, 2, false, now)
	b.ReportAllocs()
	for b.Loop() {
		for g := range states {
			if _, ok := DueNudge(pols[g], states[g], cal, now); !ok {
				b.Fatal("no nudge")
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/(groups*perGroup), "ns/task")
}
