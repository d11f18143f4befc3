package bot

import (
	"bytes"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"collabbot/rules"
	"collabbot/store"
)

// The due index (store/due.go) holds, per task, the earliest time the
// rules could owe a message of the task's own (rules.NextTaskAt), and per
// group the earliest time of its own messages: the weekly summary
// (rules.NextWeeklyAt) or the daily nudge, which is owed as soon as one
// task would be in it (the earliest rules.NextNudgeAt of its tasks). A
// tick reads only the entries up to now, so a minute in which nothing is
// due costs next to nothing, and the 17:00 nudge reads the groups that
// have one. The index is kept current by store write hooks that New
// registers, which run inside every transaction that writes a task or a
// group, whatever the code path:
//
//   - a task write recomputes that task's entry, and brings its group's
//     forward when the task may join a nudge sooner;
//   - a group write whose timing settings changed (the policy stamp: a
//     /config timing, the lead, a leave) recomputes every entry of the
//     group;
//   - a tick rewrites the entries it read, after recording what was owed
//     (the recorded keys are what moves most entries on).
//
// What else the times depend on (this code's and the rules' version, the
// defaults, the calendar) is summed up in the index's stamp; an index with
// another stamp, or none (a file from before the index: the schema 3
// migration), is rebuilt before the first tick. Entries are never late,
// only early: a tick that finds nothing owed for an entry moves it on.

// dueVersion changes whenever this file or TaskState/policyOf change in a
// way that moves times (the rules' own changes bump rules.NextAtVersion),
// so files indexed by an older binary are reindexed.
const dueVersion = 1

// dueBatch bounds the tasks one write transaction of a tick or rebuild
// handles, which bounds the memory a transaction holds.
const dueBatch = 5000

// dueState is the bot's side of the index.
type dueState struct {
	mu    sync.Mutex // one rebuild or tick at a time
	ready bool
	// maxLB is the latest lower bound (Unix ns) any entry was computed
	// from: an entry computed from lb is right for ticks at or after lb
	// only, so a clock that goes back past it rebuilds the index.
	maxLB atomic.Int64
	// scanAll (tests only) decides every group in full at every tick, as
	// before the index, to compare against.
	scanAll bool
	// quiet counts ticks since the store's mapped pages were last
	// released (DecideDue).
	quiet atomic.Int64
}

// registerDueHooks is called once by New.
func (b *Bot) registerDueHooks() {
	b.db.OnTaskWrite(b.indexTaskWrite)
	b.db.OnGroupWrite(b.indexGroupWrite)
}

// hookLB is the lower bound for entries computed in a write hook: a
// minute back, so a tick already under way with an earlier now is not
// missed.
func (b *Bot) hookLB() time.Time {
	lb := b.now().Add(-time.Minute)
	b.noteLB(lb)
	return lb
}

func (b *Bot) noteLB(lb time.Time) {
	n := lb.UnixNano()
	for {
		cur := b.due.maxLB.Load()
		if n <= cur || b.due.maxLB.CompareAndSwap(cur, n) {
			return
		}
	}
}

func (b *Bot) indexTaskWrite(tx *store.Tx, t *store.Task) error {
	g, err := tx.Group(t.Group)
	if err != nil {
		return err
	}
	set := b.effective(g)
	p := policyOf(g, set)
	lb := b.hookLB()
	if tx.GroupDueStamp(g.Key) != policyStamp(p, set) {
		return b.reindexGroup(tx, g, lb)
	}
	return b.indexTask(tx, p, set, t, lb)
}

func (b *Bot) indexGroupWrite(tx *store.Tx, g *store.Group) error {
	set := b.effective(g)
	if tx.GroupDueStamp(g.Key) == policyStamp(policyOf(g, set), set) {
		return nil
	}
	return b.reindexGroup(tx, g, b.hookLB())
}

// reindexGroup recomputes every entry of the group from lb on.
func (b *Bot) reindexGroup(tx *store.Tx, g *store.Group, lb time.Time) error {
	set := b.effective(g)
	p := policyOf(g, set)
	var tasks []*store.Task
	err := tx.Tasks(g.Key, func(t *store.Task) error {
		tasks = append(tasks, t)
		return b.setTaskDue(tx, p, set, t, lb)
	})
	if err != nil {
		return err
	}
	if err := tx.SetDueAt(g.Key, 0, b.groupDue(tx, p, set, tasks, lb)); err != nil {
		return err
	}
	return tx.SetGroupDueStamp(g.Key, policyStamp(p, set))
}

// groupDue is when the group's own messages may next be owed: the weekly
// summary (for a group with tasks) or the daily nudge, which is owed when
// any task would be in it (rules.NextNudgeAt).
func (b *Bot) groupDue(tx *store.Tx, p rules.GroupPolicy, set Effective, tasks []*store.Task, lb time.Time) time.Time {
	if len(tasks) == 0 {
		return time.Time{}
	}
	at := rules.NextWeeklyAt(p, b.cal, lb, tx.OutboxHas)
	for _, t := range tasks {
		if n := b.nudgeDue(tx, p, set, t, lb); !n.IsZero() && n.Before(at) {
			at = n
		}
	}
	return at
}

func (b *Bot) nudgeDue(tx *store.Tx, p rules.GroupPolicy, set Effective, t *store.Task, lb time.Time) time.Time {
	if t.Status != store.StatusOpen || !p.NudgeEnabled {
		return time.Time{}
	}
	return rules.NextNudgeAt(p, TaskState(t), b.cal, lb, decided(tx, set, t.Owner.ID))
}

// indexTask records when t may next owe a message of its own, and brings
// the group's entry forward when t may put its owner in a nudge before
// then (or t is the group's first task, which starts the weekly summary).
func (b *Bot) indexTask(tx *store.Tx, p rules.GroupPolicy, set Effective, t *store.Task, lb time.Time) error {
	if err := b.setTaskDue(tx, p, set, t, lb); err != nil {
		return err
	}
	cur := tx.DueAt(t.Group, 0)
	at := b.nudgeDue(tx, p, set, t, lb)
	if cur.IsZero() {
		at = b.groupDue(tx, p, set, []*store.Task{t}, lb)
	}
	if at.IsZero() || !cur.IsZero() && !at.Before(cur) {
		return nil
	}
	return tx.SetDueAt(t.Group, 0, at)
}

func (b *Bot) setTaskDue(tx *store.Tx, p rules.GroupPolicy, set Effective, t *store.Task, lb time.Time) error {
	var at time.Time
	if !t.Status.Closed() {
		at = rules.NextTaskAt(p, TaskState(t), b.cal, lb, decided(tx, set, t.Owner.ID))
	}
	return tx.SetDueAt(t.Group, t.ID, at)
}

// decided reports the keys already in the outbox. A nudge sent by direct
// message is recorded under one key per owner (personal.go), so for the
// owner's task the owner's own key counts.
func decided(tx *store.Tx, set Effective, owner string) func(string) bool {
	return func(k string) bool {
		if tx.OutboxHas(k) {
			return true
		}
		return set.NudgeDM && strings.HasPrefix(k, string(rules.RemindNudge)+":") && tx.OutboxHas(k+":dm:"+owner)
	}
}

// policyStamp sums up a group's timing settings: when it changes, every
// time of the group may move.
func policyStamp(p rules.GroupPolicy, set Effective) uint64 {
	h := fnv.New64a()
	fmt.Fprintf(h, "%+v|%v", p, set.NudgeDM)
	if s := h.Sum64(); s != 0 {
		return s
	}
	return 1
}

// dueStamp sums up what every time depends on besides tasks and groups:
// the code's version, the defaults and the calendar (the working days
// from last year to two years ahead, so a calendar update reindexes).
func (b *Bot) dueStamp(now time.Time) []byte {
	h := fnv.New64a()
	fmt.Fprintf(h, "%d|%d|%+v|", dueVersion, rules.NextAtVersion, b.def)
	y := now.In(b.def.Location).Year()
	for d := time.Date(y-1, 1, 1, 12, 0, 0, 0, b.def.Location); d.Year() <= y+2; d = d.AddDate(0, 0, 1) {
		if b.cal.IsWorkday(d) {
			h.Write([]byte{1})
		} else {
			h.Write([]byte{0})
		}
	}
	return fmt.Appendf(nil, "v%d.%d:%x", dueVersion, rules.NextAtVersion, h.Sum64())
}

// ensureDueIndex makes the index usable for a tick at now: built under
// the current stamp, and computed from times not after now. The caller
// holds b.due.mu.
func (b *Bot) ensureDueIndex(now time.Time) error {
	if b.due.ready && now.UnixNano() >= b.due.maxLB.Load()-int64(time.Minute) {
		return nil
	}
	stamp := b.dueStamp(now)
	if !b.due.ready {
		var cur []byte
		if err := b.db.View(func(tx *store.Tx) error { cur = tx.DueStamp(); return nil }); err != nil {
			return err
		}
		if bytes.Equal(cur, stamp) {
			b.due.ready = true
			b.noteLB(now)
			return nil
		}
	}
	start := time.Now()
	n, err := b.RebuildDueIndex(now)
	if err != nil {
		return fmt.Errorf("due index: rebuild: %w", err)
	}
	b.due.ready = true
	b.log.Info("due index rebuilt", "entries", n, "took", time.Since(start).Round(time.Millisecond).String())
	return nil
}

// RebuildDueIndex recomputes the whole index from now on, in batches of
// groups (a crash half-way leaves no stamp, so the next start rebuilds
// again). Writes meanwhile keep their entries current through the hooks.
// It returns the number of entries.
func (b *Bot) RebuildDueIndex(now time.Time) (int, error) {
	stamp := b.dueStamp(now)
	var keys []store.GroupKey
	err := b.db.Update(func(tx *store.Tx) error {
		if err := tx.ResetDue(); err != nil {
			return err
		}
		return tx.GroupKeys(func(k store.GroupKey) error { keys = append(keys, k); return nil })
	})
	if err != nil {
		return 0, err
	}
	b.noteLB(now)
	for len(keys) > 0 {
		err := b.db.Update(func(tx *store.Tx) error {
			done := 0
			for len(keys) > 0 && done < dueBatch {
				g, err := tx.Group(keys[0])
				if err != nil {
					return err
				}
				if err := b.reindexGroup(tx, g, now); err != nil {
					return fmt.Errorf("group %s: %w", g.Key, err)
				}
				done += int(g.NextID)
				keys = keys[1:]
			}
			return nil
		})
		if err != nil {
			return 0, err
		}
	}
	var n int
	err = b.db.Update(func(tx *store.Tx) error {
		n = tx.DueLen()
		return tx.SetDueStamp(stamp)
	})
	return n, err
}

// dueGroup is what a tick found due in one group.
type dueGroup struct {
	key store.GroupKey
	own bool    // the group's own entry (weekly summary, nudge)
	ids []int64 // tasks
	// read is how many tasks deciding it read, which sizes transactions.
	read int
}

// dueNow reads the index up to now, grouped by group in order of first
// appearance.
func (b *Bot) dueNow(now time.Time) ([]*dueGroup, error) {
	var out []*dueGroup
	byKey := map[store.GroupKey]*dueGroup{}
	if b.due.scanAll {
		err := b.db.View(func(tx *store.Tx) error {
			return tx.GroupKeys(func(k store.GroupKey) error {
				out = append(out, &dueGroup{key: k, own: true})
				return nil
			})
		})
		return out, err
	}
	err := b.db.View(func(tx *store.Tx) error {
		return tx.DueUntil(now, func(k store.GroupKey, id int64, _ time.Time) error {
			d := byKey[k]
			if d == nil {
				d = &dueGroup{key: k}
				byKey[k] = d
				out = append(out, d)
			}
			if id == 0 {
				d.own = true
			} else {
				d.ids = append(d.ids, id)
			}
			return nil
		})
	})
	return out, err
}

// decideGroup records what group d.key owes at now and moves its due
// entries on. Only the tasks due are read, unless the group's own
// messages may be owed (weekly summary, nudge), a digest of the night's
// messages is to be written, someone is on leave (the stand-in's name may
// come from any task), or most tasks are due anyway: then the whole group
// is, as before the index.
func (b *Bot) decideGroup(tx *store.Tx, d *dueGroup, now time.Time) (posted bool, err error) {
	defer func() {
		// A panic in one group's rules or rendering is that group's error.
		if r := recover(); r != nil {
			posted, err = false, fmt.Errorf("panic: %v", r)
		}
	}()
	g, err := tx.Group(d.key)
	if errors.Is(err, store.ErrNotFound) {
		for _, id := range append(d.ids, 0) {
			if err := tx.SetDueAt(d.key, id, time.Time{}); err != nil {
				return false, err
			}
		}
		return false, nil
	}
	if err != nil {
		return false, err
	}
	set := b.effective(g)
	p := policyOf(g, set)
	full := d.own || len(p.Leaves) > 0 || 2*len(d.ids) >= int(g.NextID-1)
	var v *groupView
	var owed []rules.Owed
	if !full {
		if v, err = b.loadTasks(tx, g, set, p, d.ids); err != nil {
			return false, err
		}
		owed = rules.DueTasks(p, v.states, b.cal, now)
		for _, o := range owed {
			full = full || o.Deferred() && !o.Urgent && !tx.OutboxHas(o.Key)
		}
		if o, ok := rules.DueNudge(p, v.states, b.cal, now); ok && !tx.OutboxHas(o.Key) {
			full = true
		}
	}
	if full {
		if v, err = b.loadGroup(tx, g); err != nil {
			return false, err
		}
		owed = rules.Due(p, v.states, b.cal, now)
	}
	d.read = len(v.tasks)
	if posted, err = b.recordOwedSafely(tx, v, owed, now); err != nil {
		return false, err
	}
	// The tasks read, and any the rules named (were the index early or
	// late), move on from now; recording changed what they owe next.
	seen := map[int64]bool{}
	for _, id := range d.ids {
		seen[id] = true
	}
	for _, o := range owed {
		if o.TaskID != 0 && !seen[o.TaskID] {
			seen[o.TaskID] = true
			d.ids = append(d.ids, o.TaskID)
		}
	}
	for _, id := range d.ids {
		t := v.byID[id]
		if t == nil {
			if t, err = tx.Task(g.Key, id); errors.Is(err, store.ErrNotFound) {
				if err := tx.SetDueAt(g.Key, id, time.Time{}); err != nil {
					return false, err
				}
				continue
			} else if err != nil {
				return false, err
			}
		}
		if err := b.indexTask(tx, p, set, t, now); err != nil {
			return false, err
		}
	}
	if full {
		// Last: indexTask may have brought it forward meanwhile.
		if err := tx.SetDueAt(g.Key, 0, b.groupDue(tx, p, set, v.tasks, now)); err != nil {
			return false, err
		}
	}
	return posted, nil
}

// loadTasks is loadGroup for the given tasks only.
func (b *Bot) loadTasks(tx *store.Tx, g *store.Group, set Effective, p rules.GroupPolicy, ids []int64) (*groupView, error) {
	v := &groupView{group: g, set: set, policy: p, byID: map[int64]*store.Task{}, users: map[string]store.User{}}
	if set.Lead != nil {
		v.users[set.Lead.ID] = *set.Lead
	}
	sorted := append([]int64(nil), ids...)
	slices.Sort(sorted)
	for _, id := range sorted {
		t, err := tx.Task(g.Key, id)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		v.add(t)
	}
	return v, nil
}
