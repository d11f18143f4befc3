package store

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func newRecurrence(t *testing.T, db *DB, k GroupKey, spec string) *Recurrence {
	t.Helper()
	r := &Recurrence{Group: k, Schedule: spec, Phrase: "每周五", Text: "【周报-本周进展-各组长提交周报-17:00前】",
		Owner: User{ID: "zs", Name: "张三"}, OwnerMention: true, Initiator: User{ID: "ls", Name: "李四"}, CreatedAt: t0}
	err := db.Update(func(tx *Tx) error {
		if _, err := tx.EnsureGroup(k, t0); err != nil {
			return err
		}
		return tx.NewRecurrence(r)
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestRecurrencesCreateListStop(t *testing.T) {
	db := openTest(t)
	// A group that never had a recurrence has no bucket: reading is fine.
	err := db.Update(func(tx *Tx) error {
		_, err := tx.EnsureGroup(gk, t0)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.View(func(tx *Tx) error {
		n := 0
		if err := tx.Recurrences(gk, func(*Recurrence) error { n++; return nil }); err != nil {
			return err
		}
		if n != 0 {
			t.Errorf("new group has %d recurrences", n)
		}
		if _, err := tx.Recurrence(gk, 1); !errors.Is(err, ErrNotFound) {
			t.Errorf("Recurrence(1) on an empty group: %v", err)
		}
		if tx.OccurrenceDone(gk, 1, "2026-03-06") {
			t.Error("OccurrenceDone on an empty group")
		}
		// Unknown groups are empty, not errors, for listing.
		return tx.Recurrences(GroupKey{Platform: "x", ChatID: "y"}, func(*Recurrence) error { return errors.New("called") })
	})
	if err != nil {
		t.Fatal(err)
	}

	a := newRecurrence(t, db, gk, "weekly:5")
	b := newRecurrence(t, db, gk, "workday")
	other := GroupKey{Platform: "dingtalk", ChatID: "cid"}
	c := newRecurrence(t, db, other, "month-last-workday")
	if a.ID != 1 || b.ID != 2 || c.ID != 1 {
		t.Fatalf("ids: %d %d %d; want 1 2 1 (per group)", a.ID, b.ID, c.ID)
	}

	stopAt := t0.Add(time.Hour)
	err = db.Update(func(tx *Tx) error {
		r, changed, err := tx.StopRecurrence(gk, 1, User{ID: "ls", Name: "李四"}, stopAt)
		if err != nil || !changed || r.Active() {
			t.Errorf("StopRecurrence: %+v, %v, %v", r, changed, err)
		}
		if _, changed, err := tx.StopRecurrence(gk, 1, User{ID: "x"}, stopAt.Add(time.Hour)); err != nil || changed {
			t.Errorf("second StopRecurrence: changed=%v err=%v", changed, err)
		}
		if _, _, err := tx.StopRecurrence(gk, 9, User{}, stopAt); !errors.Is(err, ErrNotFound) {
			t.Errorf("StopRecurrence(9): %v", err)
		}
		if err := tx.PutRecurrence(&Recurrence{ID: 7, Group: gk}); !errors.Is(err, ErrNotFound) {
			t.Errorf("PutRecurrence of an unknown id: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.View(func(tx *Tx) error {
		var got []string
		err := tx.Recurrences(gk, func(r *Recurrence) error {
			got = append(got, r.Schedule+":"+map[bool]string{true: "active", false: "stopped"}[r.Active()])
			return nil
		})
		if strings.Join(got, " ") != "weekly:5:stopped workday:active" {
			t.Errorf("recurrences: %v", got)
		}
		r, err := tx.Recurrence(gk, 1)
		if err != nil {
			return err
		}
		if !r.StoppedAt.Equal(stopAt) || r.StoppedBy.ID != "ls" || r.Owner.Name != "张三" || !r.OwnerMention {
			t.Errorf("stopped recurrence: %+v", r)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestOccurrenceTaskIsOnce(t *testing.T) {
	db := openTest(t)
	r := newRecurrence(t, db, gk, "weekly:5")
	occ := time.Date(2026, 3, 6, 9, 0, 0, 0, t0.Location())
	mk := func() *Task {
		return &Task{Group: gk, Topic: "周报", Item: "本周进展", Request: "各组长提交周报", Deadline: "17:00前",
			Due: occ.Add(8 * time.Hour), Urgency: "routine", Owner: r.Owner, Initiator: r.Initiator,
			Status: StatusOpen, CreatedAt: occ}
	}
	for i, want := range []bool{true, false} {
		task := mk()
		err := db.Update(func(tx *Tx) error {
			created, err := tx.NewOccurrenceTask(task, r.ID, "2026-03-06")
			if created != want {
				t.Errorf("call %d: created = %v, want %v", i+1, created, want)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	err := db.Update(func(tx *Tx) error {
		// A failing transaction leaves neither task nor marker.
		task := mk()
		if _, err := tx.NewOccurrenceTask(task, r.ID, "2026-03-13"); err != nil {
			return err
		}
		return errors.New("rollback")
	})
	if err == nil || err.Error() != "rollback" {
		t.Fatalf("rollback: %v", err)
	}
	err = db.Update(func(tx *Tx) error {
		if _, err := tx.NewOccurrenceTask(mk(), 99, "2026-03-06"); !errors.Is(err, ErrNotFound) {
			t.Errorf("occurrence of an unknown recurrence: %v", err)
		}
		fresh, err := tx.SkipOccurrence(gk, r.ID, "2026-03-20", "late", occ)
		if err != nil || !fresh {
			t.Errorf("SkipOccurrence: %v %v", fresh, err)
		}
		if fresh, err := tx.SkipOccurrence(gk, r.ID, "2026-03-06", "late", occ); err != nil || fresh {
			t.Errorf("SkipOccurrence of a created date: %v %v", fresh, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.View(func(tx *Tx) error {
		n := 0
		if err := tx.Tasks(gk, func(*Task) error { n++; return nil }); err != nil {
			return err
		}
		if n != 1 {
			t.Errorf("%d tasks, want 1", n)
		}
		if tx.OccurrenceDone(gk, r.ID, "2026-03-13") {
			t.Error("the rolled-back occurrence is marked")
		}
		o, err := tx.Occurrence(gk, r.ID, "2026-03-06")
		if err != nil || o.TaskID != 1 || o.Skipped != "" {
			t.Errorf("occurrence 03-06: %+v, %v", o, err)
		}
		o, err = tx.Occurrence(gk, r.ID, "2026-03-20")
		if err != nil || o.TaskID != 0 || o.Skipped != "late" {
			t.Errorf("occurrence 03-20: %+v, %v", o, err)
		}
		got, err := tx.Recurrence(gk, r.ID)
		if err != nil {
			return err
		}
		if got.Count != 1 || got.LastTask != 1 || got.LastDate != "2026-03-20" {
			t.Errorf("recurrence progress: count %d, last task %d, last date %s", got.Count, got.LastTask, got.LastDate)
		}
		h, err := tx.History(gk, 1)
		if err != nil {
			return err
		}
		if len(h) != 1 || h[0].Action != "created" || !strings.HasSuffix(h[0].Detail, " recurrence=R1 occurrence=1 date=2026-03-06") ||
			!strings.HasPrefix(h[0].Detail, "【周报-本周进展-各组长提交周报-17:00前】") {
			t.Errorf("history: %+v", h)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestPruneOccurrences(t *testing.T) {
	db := openTest(t)
	r := newRecurrence(t, db, gk, "workday")
	err := db.Update(func(tx *Tx) error {
		if n, err := tx.PruneOccurrences(GroupKey{Platform: "none"}, "2026-03-01"); n != 0 || err != nil {
			t.Errorf("prune of an unknown group: %d %v", n, err)
		}
		for _, d := range []string{"2026-02-27", "2026-03-02", "2026-03-03"} {
			if _, err := tx.SkipOccurrence(gk, r.ID, d, "late", t0); err != nil {
				return err
			}
		}
		n, err := tx.PruneOccurrences(gk, "2026-03-02")
		if n != 1 || err != nil {
			t.Errorf("pruned %d, %v; want 1", n, err)
		}
		if tx.OccurrenceDone(gk, r.ID, "2026-02-27") || !tx.OccurrenceDone(gk, r.ID, "2026-03-02") {
			t.Error("prune removed the wrong markers")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
