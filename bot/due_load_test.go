package bot_test

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"syscall"
	"testing"
	"time"

	"collabbot/bot"
	"collabbot/store"
)

var (
	dueLoad     = flag.Int("due.load", 0, "tasks for TestDueLoad, in groups of 100 (0: skipped, or 1,000,000 with COLLABBOT_LONG_TESTS=1)")
	dueLoadFile = flag.String("due.file", "", "TestDueLoad's store file: kept, and reused (with its index) when it exists")
)

// TestDueLoad measures the reminder tick on a big store: -due.load=100000
// takes about a minute; COLLABBOT_LONG_TESTS=1 runs 1,000,000 tasks in
// 10,000 groups. The file is built through the store (no bot, so no
// index: it stands for a file from before the index), then opened by a
// bot, which indexes it before its first tick (the migration); then
// reopened, as at a restart, and ticked: an idle minute, a minute at
// which 1% of the tasks fall overdue, and the 17:00 nudge of every group.
// CPU is the process's user+system time (getrusage), RSS from
// /proc/self/status. The goal: an idle tick under 10 ms of CPU, the 1%
// tick in proportion, RSS under 200 MB.
func TestDueLoad(t *testing.T) {
	n := *dueLoad
	if n == 0 && os.Getenv("COLLABBOT_LONG_TESTS") == "1" {
		n = 1_000_000
	}
	if n == 0 {
		t.Skip("set -due.load=N or COLLABBOT_LONG_TESTS=1")
	}
	const perGroup = 100
	groups := max(n/perGroup, 1)
	path := *dueLoadFile
	if path == "" {
		path = filepath.Join(t.TempDir(), "load.db")
	}
	_, err := os.Stat(path)
	reuse := err == nil
	day := time.Date(2026, 3, 10, 0, 0, 0, 0, cst) // Tuesday
	at := func(d int, hh, mm int) time.Time {
		return day.AddDate(0, 0, d).Add(time.Duration(hh)*time.Hour + time.Duration(mm)*time.Minute)
	}
	report := func(what string, format string, args ...any) {
		t.Logf("%-34s "+format, append([]any{what}, args...)...)
	}

	idle := at(1, 10, 30) // Wednesday 10:30: nothing due
	if !reuse {
		start := time.Now()
		buildStore(t, path, groups, perGroup, at)
		st, _ := os.Stat(path)
		report("build (store only, no index)", "%s, file %d MB", time.Since(start).Round(time.Millisecond), st.Size()>>20)
		freeMemory()

		// First open by a bot: the index is built before the first tick.
		b, db, open := openLoadBot(t, path, idle)
		report("open (verify)", "%s", open.Round(time.Millisecond))
		cpu, wall := cpuWall(func() { loadTick(t, b, idle) })
		var entries int
		db.View(func(tx *store.Tx) error { entries = tx.DueLen(); return nil })
		report("index build (migration)", "wall %s, CPU %s, %d entries", wall.Round(time.Millisecond), cpu.Round(time.Millisecond), entries)
		report("  memory after", "%s", memory())
		db.Close()
		freeMemory()
		if *dueLoadFile != "" {
			// Keep a copy with nothing decided, to rerun the ticks on.
			if err := copyFile(path, path+".fresh"); err != nil {
				t.Fatal(err)
			}
		}
	} else if _, err := os.Stat(path + ".fresh"); err == nil {
		if err := copyFile(path+".fresh", path); err != nil {
			t.Fatal(err)
		}
	}

	// Restart on the indexed file.
	b, db, open := openLoadBot(t, path, idle)
	report("restart: open (verify)", "%s", open.Round(time.Millisecond))
	report("  memory", "%s", memory())
	freeMemory()
	report("  memory after GC", "%s", memory())
	cpu, wall := cpuWall(func() { loadTick(t, b, idle) })
	report("restart: first tick", "wall %s, CPU %s", wall.Round(time.Microsecond), cpu.Round(time.Microsecond))
	report("  memory", "%s", memory())

	const ticks = 20
	cpu, wall = cpuWall(func() {
		for i := range ticks {
			loadTick(t, b, idle.Add(time.Duration(i)*time.Second))
		}
	})
	report("idle tick", "wall %s, CPU %s (mean of %d)", (wall / ticks).Round(time.Microsecond), (cpu / ticks).Round(time.Microsecond), ticks)
	report("  memory", "%s", memory())

	before := outboxLen(db)
	owedAt := at(1, 11, 0)
	cpu, wall = cpuWall(func() { loadTick(t, b, owedAt) })
	// Memory first: counting the outbox here maps its pages, which the
	// bot itself would only touch while sending.
	mem := memory()
	got := outboxLen(db) - before
	report("tick with 1% owed", "wall %s, CPU %s, %d messages decided", wall.Round(time.Millisecond), cpu.Round(time.Millisecond), got)
	if got != groups {
		t.Errorf("the 1%% tick decided %d messages, want %d", got, groups)
	}
	report("  memory", "%s", mem)
	cpu, wall = cpuWall(func() { loadTick(t, b, owedAt.Add(time.Minute)) })
	report("next idle tick", "wall %s, CPU %s", wall.Round(time.Microsecond), cpu.Round(time.Microsecond))
	report("  memory", "%s", memory())

	before = outboxLen(db)
	cpu, wall = cpuWall(func() { loadTick(t, b, at(1, 17, 0)) })
	mem = memory()
	report("17:00 tick (every group's nudge)", "wall %s, CPU %s, %d messages decided", wall.Round(time.Millisecond), cpu.Round(time.Millisecond), outboxLen(db)-before)
	report("  memory", "%s", mem)
	cpu, wall = cpuWall(func() { loadTick(t, b, at(1, 17, 1)) })
	report("17:01 tick", "wall %s, CPU %s", wall.Round(time.Microsecond), cpu.Round(time.Microsecond))
	db.Close()
}

// buildStore writes the groups and tasks: ten owners a group, every task
// acknowledged, created on Tuesday at 09:30, due 20 to 60 days later,
// except each group's first task, due on Wednesday at 11:00.
func buildStore(t *testing.T, path string, groups, perGroup int, at func(d, hh, mm int) time.Time) {
	db, err := store.Open(path, &store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	const groupsPerTx = 50
	for g0 := 0; g0 < groups; g0 += groupsPerTx {
		err := db.Update(func(tx *store.Tx) error {
			for g := g0; g < min(g0+groupsPerTx, groups); g++ {
				k := store.GroupKey{Platform: "lark", ChatID: fmt.Sprintf("oc_%032d", g)}
				if _, err := tx.EnsureGroup(k, at(0, 9, 0)); err != nil {
					return err
				}
				for i := range perGroup {
					owner := store.User{ID: fmt.Sprintf("ou_%028d", (g*7+i)%10), Name: fmt.Sprintf("员工%d", i%10)}
					due := at(20+i%40, 18, 0)
					if i == 0 {
						due = at(1, 11, 0)
					}
					task := &store.Task{Group: k, Topic: "产品研发", Item: fmt.Sprintf("需求确认%d", i), Request: "提供技术评估方案并与相关方确认",
						Deadline: due.Format("1月2日 15:04前"), Due: due, Urgency: "routine", Owner: owner,
						Initiator: store.User{ID: "ou_initiator", Name: "李四"}, Status: store.StatusOpen,
						CreatedAt: at(0, 9, 30), MessageID: fmt.Sprintf("om_%d_%d", g, i), AckedAt: at(0, 9, 35)}
					if err := tx.NewTask(task); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

func openLoadBot(t *testing.T, path string, now time.Time) (*bot.Bot, *store.DB, time.Duration) {
	start := time.Now()
	db, err := store.Open(path, &store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	open := time.Since(start)
	b, err := bot.New(bot.Config{Store: db, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	return b, db, open
}

func loadTick(t *testing.T, b *bot.Bot, now time.Time) {
	if _, err := b.DecideDue(now); err != nil {
		t.Fatal(err)
	}
}

func outboxLen(db *store.DB) int {
	n := 0
	db.View(func(tx *store.Tx) error {
		return tx.OutboxEntries(func(*store.OutboxEntry) error { n++; return nil })
	})
	return n
}

// cpuWall returns the process CPU time and the wall time fn took.
func cpuWall(fn func()) (cpu, wall time.Duration) {
	var a, b syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &a)
	start := time.Now()
	fn()
	wall = time.Since(start)
	syscall.Getrusage(syscall.RUSAGE_SELF, &b)
	used := func(r syscall.Rusage) time.Duration {
		return time.Duration(r.Utime.Nano() + r.Stime.Nano())
	}
	return used(b) - used(a), wall
}

func freeMemory() {
	runtime.GC()
	debug.FreeOSMemory()
}

// memory is the process's resident memory (VmRSS, and its anonymous and
// file-mapped parts: bbolt's pages are file-mapped) and the Go heap.
func memory() string {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return "n/a"
	}
	defer f.Close()
	var parts []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		for _, k := range []string{"VmRSS:", "RssAnon:", "RssFile:"} {
			if v, ok := strings.CutPrefix(sc.Text(), k); ok {
				parts = append(parts, strings.TrimSuffix(k, ":")+" "+strings.Join(strings.Fields(v), " "))
			}
		}
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return fmt.Sprintf("%s, Go heap in use %d MB", strings.Join(parts, ", "), ms.HeapInuse>>20)
}

// copyFile streams: reading a 2 GB store into memory would show up as the
// next step's memory.
func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
