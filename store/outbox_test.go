package store_test

import (
	"errors"
	"path/filepath"
	"testing"
	"time"

	"collabbot/store"
)

func TestOutbox(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	db, err := store.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	g := store.GroupKey{Platform: "console", ChatID: "g1"}
	t0 := time.Date(2026, 9, 29, 17, 0, 0, 0, time.UTC)
	// A read transaction on a fresh file sees an empty outbox.
	err = db.View(func(tx *store.Tx) error {
		if tx.OutboxHas("x") || tx.PendingOutboxCount() != 0 {
			t.Error("fresh outbox is not empty")
		}
		if _, err := tx.Outbox("x"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Outbox(x) = %v, want ErrNotFound", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *store.Tx) error {
		for _, k := range []string{"b", "a", "b"} {
			if _, err := tx.AddOutbox(&store.OutboxEntry{Key: k, Group: g, State: store.OutboxPending, DecidedAt: t0}); err != nil {
				return err
			}
		}
		_, err := tx.AddOutbox(&store.OutboxEntry{Key: "old", Group: g, State: store.OutboxSent, DecidedAt: t0.AddDate(0, -3, 0)})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	// Reopened, as after a restart: two queued, in decision order.
	db, err = store.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(tx *store.Tx) error {
		var keys []string
		var seqs []uint64
		err := tx.PendingOutbox(func(e *store.OutboxEntry) error {
			keys, seqs = append(keys, e.Key), append(seqs, e.Seq)
			return nil
		})
		if err != nil {
			return err
		}
		if len(keys) != 2 || tx.PendingOutboxCount() != 2 || keys[0] != "b" || seqs[0] != 1 || seqs[1] != 2 {
			t.Errorf("pending %v seq %v count %d, want [b a] [1 2] 2", keys, seqs, tx.PendingOutboxCount())
		}
		e, err := tx.Outbox("a")
		if err != nil {
			return err
		}
		e.State, e.SentAt = store.OutboxSent, t0
		if err := tx.PutOutbox(e); err != nil {
			return err
		}
		if n := tx.PendingOutboxCount(); n != 1 {
			t.Errorf("after sending a: %d pending, want 1", n)
		}
		if fresh, err := tx.AddOutbox(&store.OutboxEntry{Key: "a", Group: g, State: store.OutboxPending}); fresh || err != nil {
			t.Errorf("AddOutbox(a) again = %v, %v; want false, nil", fresh, err)
		}
		n, err := tx.PruneOutbox(t0.AddDate(0, -1, 0))
		if n != 1 || err != nil || tx.OutboxHas("old") || !tx.OutboxHas("b") {
			t.Errorf("PruneOutbox = %d, %v; want the one old sent entry gone", n, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
