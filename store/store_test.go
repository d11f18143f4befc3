package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

var t0 = time.Date(2026, 3, 5, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))

// openTest opens a store in a temp dir and checks its consistency when the
// test ends.
func openTest(t *testing.T) *DB {
	t.Helper()
	db, err := openTestDB(t)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Check(); err != nil {
			t.Errorf("tx.Check: %v", err)
		}
		db.Close()
	})
	return db
}

var gk = GroupKey{Platform: "lark", ChatID: "oc_1"}

func newTask(t *testing.T, db *DB, owner string) *Task {
	t.Helper()
	task := &Task{Group: gk, Topic: "产品研发", Item: "需求确认", Request: "提供方案", Deadline: "9月15日前",
		Due: t0.Add(48 * time.Hour), Urgency: "routine", Owner: User{ID: owner, Name: owner},
		Initiator: User{ID: "init", Name: "李四"}, Status: StatusOpen, CreatedAt: t0, MessageID: "m-" + owner}
	err := db.Update(func(tx *Tx) error {
		if _, err := tx.EnsureGroup(gk, t0); err != nil {
			return err
		}
		return tx.NewTask(task)
	})
	if err != nil {
		t.Fatal(err)
	}
	return task
}

func TestTaskIDsArePerGroupAndSequential(t *testing.T) {
	db := openTest(t)
	a := newTask(t, db, "zs")
	b := newTask(t, db, "ww")
	if a.ID != 1 || b.ID != 2 {
		t.Fatalf("ids: got %d, %d; want 1, 2", a.ID, b.ID)
	}
	other := GroupKey{Platform: "dingtalk", ChatID: "cid"}
	err := db.Update(func(tx *Tx) error {
		if _, err := tx.EnsureGroup(other, t0); err != nil {
			return err
		}
		task := &Task{Group: other, Owner: User{ID: "x"}, Status: StatusOpen, CreatedAt: t0}
		if err := tx.NewTask(task); err != nil {
			return err
		}
		if task.ID != 1 {
			t.Errorf("other group's first id = %d, want 1", task.ID)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestTaskRoundTripAndHistory(t *testing.T) {
	db := openTest(t)
	task := newTask(t, db, "zs")
	err := db.Update(func(tx *Tx) error {
		got, err := tx.Task(gk, task.ID)
		if err != nil {
			return err
		}
		got.Percent = 80
		got.Updates = append(got.Updates, Update{At: t0, By: got.Owner, Text: "80%", Percent: 80})
		got.Help = append(got.Help, HelpFlag{At: t0, By: got.Owner, Text: "需要法务"})
		got.Delays = append(got.Delays, Delay{At: t0, By: got.Owner, NewDue: t0.Add(96 * time.Hour), State: DelayPending})
		if err := tx.PutTask(got); err != nil {
			return err
		}
		return tx.AppendHistory(gk, task.ID, HistoryEntry{At: t0, By: got.Owner, Action: "update", Detail: "80%"})
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.View(func(tx *Tx) error {
		got, err := tx.Task(gk, task.ID)
		if err != nil {
			return err
		}
		if got.Percent != 80 || len(got.Updates) != 1 || len(got.OpenHelp()) != 1 || got.PendingDelay() != 0 {
			t.Errorf("task after update: %+v", got)
		}
		if !got.Due.Equal(task.Due) || !got.OriginalDue.Equal(task.Due) {
			t.Errorf("due: got %v (original %v), want %v", got.Due, got.OriginalDue, task.Due)
		}
		h, err := tx.History(gk, task.ID)
		if err != nil {
			return err
		}
		if len(h) != 2 || h[0].Action != "created" || h[1].Action != "update" || h[0].Seq != 1 || h[1].Seq != 2 {
			t.Errorf("history: %+v", h)
		}
		if id := tx.ThreadTask(gk, "m-zs"); id != task.ID {
			t.Errorf("ThreadTask(m-zs) = %d, want %d", id, task.ID)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestNotFound(t *testing.T) {
	db := openTest(t)
	err := db.View(func(tx *Tx) error {
		if _, err := tx.Task(gk, 7); !errors.Is(err, ErrNotFound) {
			t.Errorf("Task in a missing group: %v, want ErrNotFound", err)
		}
		if _, err := tx.Group(gk); !errors.Is(err, ErrNotFound) {
			t.Errorf("Group: %v, want ErrNotFound", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *Tx) error {
		return tx.PutTask(&Task{Group: gk, ID: 3})
	})
	if !errors.Is(err, ErrNotFound) {
		t.Errorf("PutTask of a task never created: %v, want ErrNotFound", err)
	}
}

// A failed closure leaves nothing behind: no half-written task, no id used.
func TestFailedTransactionWritesNothing(t *testing.T) {
	db := openTest(t)
	newTask(t, db, "zs")
	boom := errors.New("boom")
	err := db.Update(func(tx *Tx) error {
		if err := tx.NewTask(&Task{Group: gk, Owner: User{ID: "x"}, CreatedAt: t0}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update: %v", err)
	}
	next := newTask(t, db, "ww")
	if next.ID != 2 {
		t.Errorf("id after a rolled-back create = %d, want 2", next.ID)
	}
}

func TestEventsDedupeAndPrune(t *testing.T) {
	db := openTest(t)
	mark := func(id string, at time.Time) bool {
		var fresh bool
		err := db.Update(func(tx *Tx) error {
			var err error
			fresh, err = tx.MarkEvent("lark", id, at)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return fresh
	}
	if !mark("om_1", t0) {
		t.Error("first MarkEvent(om_1) = false, want true")
	}
	if mark("om_1", t0.Add(6*time.Hour)) {
		t.Error("second MarkEvent(om_1) = true, want false (redelivery)")
	}
	if !mark("om_2", t0.Add(20*time.Hour)) {
		t.Error("MarkEvent(om_2) = false")
	}
	// At t0+9h nothing may be forgotten: the promise is at least 8 hours.
	var n int
	db.Update(func(tx *Tx) error { n, _ = tx.PruneEvents(t0.Add(9 * time.Hour)); return nil })
	if n != 0 {
		t.Errorf("PruneEvents at +9h removed %d, want 0", n)
	}
	db.Update(func(tx *Tx) error { n, _ = tx.PruneEvents(t0.Add(EventRetention + time.Hour)); return nil })
	if n != 1 {
		t.Errorf("PruneEvents after retention removed %d, want 1", n)
	}
	db.View(func(tx *Tx) error {
		if tx.SeenEvent("lark", "om_1") || !tx.SeenEvent("lark", "om_2") {
			t.Error("after prune: om_1 should be gone, om_2 kept")
		}
		return nil
	})
}

func TestReopenKeepsStateAndSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	db, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *Tx) error {
		if _, err := tx.EnsureGroup(gk, t0); err != nil {
			return err
		}
		return tx.NewTask(&Task{Group: gk, Topic: "A", Owner: User{ID: "o"}, CreatedAt: t0, Status: StatusOpen})
	})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	db, err = Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.View(func(tx *Tx) error {
		task, err := tx.Task(gk, 1)
		if err != nil || task.Topic != "A" {
			t.Errorf("after reopen: %v, %v", task, err)
		}
		return nil
	})
	if err := db.Check(); err != nil {
		t.Error(err)
	}
}

func TestSchemaTooNewRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	bdb, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	bdb.Update(func(tx *bolt.Tx) error {
		b, _ := tx.CreateBucketIfNotExists(bucketMeta)
		v := make([]byte, 8)
		binary.BigEndian.PutUint64(v, SchemaVersion+1)
		return b.Put(keySchema, v)
	})
	bdb.Close()
	if _, err := Open(path, nil); !errors.Is(err, ErrSchemaTooNew) {
		t.Errorf("Open of a newer schema: %v, want ErrSchemaTooNew", err)
	}
	db, err := Open(path, &Options{ReadOnly: true})
	if !errors.Is(err, ErrSchemaTooNew) || db != nil {
		t.Errorf("read-only Open of a newer schema: %v, %v; want nil, ErrSchemaTooNew", db, err)
	}
	// The refused opens released the file: a writer can take it.
	if w, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 100 * time.Millisecond}); err != nil {
		t.Errorf("file still locked after refused opens: %v", err)
	} else {
		w.Close()
	}
}

func TestSecondOpenIsLocked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	db, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := Open(path, nil); !errors.Is(err, ErrLocked) {
		t.Errorf("second Open: %v, want ErrLocked", err)
	}
}

// Backup is consistent while writers keep going: the copy opens, passes
// the check and holds every task committed before it started.
func TestBackupWhileWriting(t *testing.T) {
	db := openTest(t)
	for range 20 {
		newTask(t, db, "zs")
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			db.Update(func(tx *Tx) error {
				return tx.NewTask(&Task{Group: gk, Owner: User{ID: "w"}, CreatedAt: t0, Status: StatusOpen})
			})
		}
	}()
	out := filepath.Join(t.TempDir(), "backup.db")
	n, err := db.BackupFile(out)
	close(stop)
	wg.Wait()
	if err != nil || n == 0 {
		t.Fatalf("BackupFile: %d bytes, %v", n, err)
	}
	cp, err := Open(out, &Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer cp.Close()
	if err := cp.Check(); err != nil {
		t.Errorf("backup check: %v", err)
	}
	count := 0
	cp.View(func(tx *Tx) error {
		return tx.Tasks(gk, func(*Task) error { count++; return nil })
	})
	if count < 20 {
		t.Errorf("backup holds %d tasks, want at least 20", count)
	}
	var buf bytes.Buffer
	if _, err := db.Backup(&buf); err != nil || buf.Len() == 0 {
		t.Errorf("Backup to a writer: %d bytes, %v", buf.Len(), err)
	}
}

func TestBatchConcurrentCreates(t *testing.T) {
	db := openTest(t)
	newTask(t, db, "zs")
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := db.Batch(func(tx *Tx) error {
				return tx.NewTask(&Task{Group: gk, Owner: User{ID: "b"}, CreatedAt: t0, Status: StatusOpen})
			})
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	ids := map[int64]bool{}
	db.View(func(tx *Tx) error {
		return tx.Tasks(gk, func(task *Task) error { ids[task.ID] = true; return nil })
	})
	if len(ids) != 51 {
		t.Errorf("%d distinct tasks, want 51", len(ids))
	}
	for i := int64(1); i <= 51; i++ {
		if !ids[i] {
			t.Errorf("id %d missing: ids must be dense", i)
		}
	}
}

func TestGroupsWalk(t *testing.T) {
	db := openTest(t)
	keys := []GroupKey{{"lark", "b"}, {"dingtalk", "a"}, {"console", "c"}}
	db.Update(func(tx *Tx) error {
		for _, k := range keys {
			g, _ := tx.EnsureGroup(k, t0)
			g.Settings.Lang = "en"
			tx.PutGroup(g)
		}
		return nil
	})
	var got []GroupKey
	db.View(func(tx *Tx) error {
		return tx.Groups(func(g *Group) error {
			if g.Settings.Lang != "en" {
				t.Errorf("group %s settings lost", g.Key)
			}
			got = append(got, g.Key)
			return nil
		})
	})
	if len(got) != 3 {
		t.Errorf("Groups walked %v", got)
	}
}
