package store

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

type dueRow struct {
	g  GroupKey
	id int64
	at time.Time
}

func dueRows(t *testing.T, db *DB, upTo time.Time) []dueRow {
	t.Helper()
	var out []dueRow
	err := db.View(func(tx *Tx) error {
		return tx.DueUntil(upTo, func(k GroupKey, id int64, at time.Time) error {
			out = append(out, dueRow{k, id, at})
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// The index reads in time order up to a bound, moves an entry when it is
// set again, and forgets it when set to zero.
func TestDueIndex(t *testing.T) {
	db := openTest(t)
	other := GroupKey{Platform: "dingtalk", ChatID: "cid\x00x"}
	at := func(h int) time.Time { return t0.Add(time.Duration(h) * time.Hour) }
	err := db.Update(func(tx *Tx) error {
		for _, r := range []dueRow{{gk, 1, at(3)}, {gk, 2, at(1)}, {other, 1, at(2)}, {gk, 0, at(5)}, {gk, 3, at(1)}} {
			if err := tx.SetDueAt(r.g, r.id, r.at); err != nil {
				return err
			}
		}
		// Moved later, then removed.
		if err := tx.SetDueAt(gk, 2, at(9)); err != nil {
			return err
		}
		if err := tx.SetDueAt(gk, 3, time.Time{}); err != nil {
			return err
		}
		return tx.SetDueAt(gk, 4, time.Time{}) // never there: no error
	})
	if err != nil {
		t.Fatal(err)
	}
	got := dueRows(t, db, at(5))
	want := []dueRow{{other, 1, at(2)}, {gk, 1, at(3)}, {gk, 0, at(5)}}
	if !slices.EqualFunc(got, want, func(a, b dueRow) bool { return a.g == b.g && a.id == b.id && a.at.Equal(b.at) }) {
		t.Errorf("DueUntil = %v, want %v", got, want)
	}
	err = db.View(func(tx *Tx) error {
		if n := tx.DueLen(); n != 4 {
			t.Errorf("DueLen = %d, want 4", n)
		}
		if got := tx.DueAt(gk, 2); !got.Equal(at(9)) {
			t.Errorf("DueAt(#2) = %v", got)
		}
		if got := tx.DueAt(gk, 3); !got.IsZero() {
			t.Errorf("DueAt(#3) = %v, want zero", got)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *Tx) error {
		if err := tx.SetGroupDueStamp(gk, 42); err != nil {
			return err
		}
		if err := tx.SetDueStamp([]byte("v1")); err != nil {
			return err
		}
		if s := tx.GroupDueStamp(gk); s != 42 {
			t.Errorf("group stamp %d", s)
		}
		if string(tx.DueStamp()) != "v1" {
			t.Errorf("stamp %q", tx.DueStamp())
		}
		if err := tx.ResetDue(); err != nil {
			return err
		}
		if tx.DueLen() != 0 || tx.DueStamp() != nil || tx.GroupDueStamp(gk) != 0 {
			t.Error("ResetDue left something")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Hooks see every task and group write in its transaction, and an error
// from one aborts the write.
func TestWriteHooks(t *testing.T) {
	db := openTest(t)
	var tasks []int64
	var groups int
	db.OnTaskWrite(func(tx *Tx, task *Task) error {
		tasks = append(tasks, task.ID)
		return tx.SetDueAt(task.Group, task.ID, task.Due)
	})
	db.OnGroupWrite(func(tx *Tx, g *Group) error {
		groups++
		if g.Name == "refuse" {
			return fmt.Errorf("no")
		}
		return nil
	})
	task := newTask(t, db, "zs") // EnsureGroup, then NewTask's PutGroup
	if groups != 2 || !slices.Equal(tasks, []int64{1}) {
		t.Fatalf("hooks saw %d group writes, tasks %v", groups, tasks)
	}
	err := db.Update(func(tx *Tx) error {
		g, err := tx.Group(gk)
		if err != nil {
			return err
		}
		g.Name = "refuse"
		return tx.PutGroup(g)
	})
	if err == nil {
		t.Fatal("a hook's error did not abort PutGroup")
	}
	if rows := dueRows(t, db, task.Due); len(rows) != 1 || rows[0].id != 1 {
		t.Errorf("index after NewTask: %v", rows)
	}
}

func groupsWith(t *testing.T, db *DB, feature string) []string {
	t.Helper()
	var out []string
	err := db.View(func(tx *Tx) error {
		return tx.GroupsWith(feature, func(g *Group) error {
			out = append(out, g.Key.String())
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// A group joins a feature when its sub-bucket is made; an open task
// without an owner marks its group until it is owned or closed.
func TestGroupsWith(t *testing.T) {
	db := openTest(t)
	task := newTask(t, db, "zs")
	other := GroupKey{Platform: "dingtalk", ChatID: "cid"}
	err := db.Update(func(tx *Tx) error {
		if _, err := tx.EnsureGroup(other, t0); err != nil {
			return err
		}
		if _, err := tx.meetings(other); err != nil {
			return err
		}
		task.Owner = User{}
		if err := tx.PutTask(task); err != nil {
			return err
		}
		// A second unowned task in the same group lists it once.
		return tx.NewTask(&Task{Group: gk, Status: StatusOpen, CreatedAt: t0})
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := groupsWith(t, db, FeatureMeetings); !slices.Equal(got, []string{"dingtalk:cid"}) {
		t.Errorf("meetings in %v", got)
	}
	if got := groupsWith(t, db, FeatureUnowned); !slices.Equal(got, []string{"lark:oc_1"}) {
		t.Errorf("unowned in %v", got)
	}
	if got := groupsWith(t, db, FeatureIncidents); got != nil {
		t.Errorf("incidents in %v", got)
	}
	err = db.Update(func(tx *Tx) error {
		for id := int64(1); id <= 2; id++ {
			task, err := tx.Task(gk, id)
			if err != nil {
				return err
			}
			task.Owner = User{ID: "ww"}
			if id == 2 {
				task.Owner, task.Status = User{}, StatusCancelled
			}
			if err := tx.PutTask(task); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := groupsWith(t, db, FeatureUnowned); got != nil {
		t.Errorf("unowned after owning and cancelling: %v", got)
	}
}

// A schema-2 file opens as schema 3 with its groups' features and unowned
// tasks registered.
func TestMigrateFromSchema2(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v2.db")
	raw, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = raw.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketMeta, bucketGroups, bucketEvents, bucketOutbox, bucketInbox} {
			if _, err := tx.CreateBucket(b); err != nil {
				return err
			}
		}
		if err := tx.Bucket(bucketMeta).Put(keySchema, u64(2)); err != nil {
			return err
		}
		for i, k := range []GroupKey{gk, {Platform: "dingtalk", ChatID: "cid"}} {
			gb, _ := tx.Bucket(bucketGroups).CreateBucket(k.bytes())
			for _, name := range [][]byte{bucketTasks, bucketHistory, bucketThreads} {
				gb.CreateBucket(name)
			}
			v, _ := json.Marshal(Group{Key: k, NextID: 3, CreatedAt: t0})
			gb.Put(keyGroupInfo, v)
			if i == 0 {
				gb.CreateBucket(bucketProject)
				continue
			}
			gb.CreateBucket(bucketRecur)
			for id, owner := range []string{"", "zs"} {
				v, _ := json.Marshal(Task{ID: int64(id + 1), Group: k, Owner: User{ID: owner}, Status: StatusOpen})
				gb.Bucket(bucketTasks).Put(taskKey(int64(id+1)), v)
			}
		}
		return nil
	})
	raw.Close()
	if err != nil {
		t.Fatal(err)
	}
	db, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, c := range []struct {
		feature string
		want    []string
	}{
		{FeatureProject, []string{"lark:oc_1"}},
		{FeatureRecurring, []string{"dingtalk:cid"}},
		{FeatureUnowned, []string{"dingtalk:cid"}},
		{FeatureMeetings, nil},
	} {
		if got := groupsWith(t, db, c.feature); !slices.Equal(got, c.want) {
			t.Errorf("%s: %v, want %v", c.feature, got, c.want)
		}
	}
	if err := db.Check(); err != nil {
		t.Error(err)
	}
}

func TestReleaseMappedKeepsData(t *testing.T) {
	db := openTest(t)
	k := GroupKey{Platform: "console", ChatID: "g"}
	err := db.Update(func(tx *Tx) error {
		if _, err := tx.EnsureGroup(k, time.Now()); err != nil {
			return err
		}
		return tx.NewTask(&Task{Group: k, Topic: "t", Item: "i", Due: time.Now()})
	})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if err := db.ReleaseMapped(); err != nil {
			t.Fatalf("ReleaseMapped: %v", err)
		}
		err := db.View(func(tx *Tx) error {
			task, err := tx.Task(k, 1)
			if err == nil && task.Topic != "t" {
				t.Errorf("topic after release = %q", task.Topic)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}
