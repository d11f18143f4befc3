package store

import (
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// A schema-1 file (the send queue was pending/<key>) opens as schema 2: the
// queue is rebuilt by group and decision order from the pending entries,
// finished entries stay out of it, and the old bucket is gone.
func TestMigrateFromSchema1(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v1.db")
	raw, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	g := GroupKey{Platform: "lark", ChatID: "oc_1"}
	at := time.Date(2026, 9, 29, 17, 0, 0, 0, time.UTC)
	err = raw.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketMeta, bucketGroups, bucketEvents, bucketOutbox} {
			if _, err := tx.CreateBucket(b); err != nil {
				return err
			}
		}
		if err := tx.Bucket(bucketMeta).Put(keySchema, u64(1)); err != nil {
			return err
		}
		ob := tx.Bucket(bucketOutbox)
		eb, _ := ob.CreateBucket(bucketOutboxEntries)
		pb, _ := ob.CreateBucket(bucketOutboxPending)
		for i, e := range []OutboxEntry{
			{Key: "nudge:b", Seq: 2, Group: g, State: OutboxPending, DecidedAt: at},
			{Key: "nudge:a", Seq: 1, Group: g, State: OutboxPending, DecidedAt: at},
			{Key: "weekly:c", Seq: 3, Group: g, State: OutboxSent, DecidedAt: at},
		} {
			v, _ := json.Marshal(e)
			if err := eb.Put([]byte(e.Key), v); err != nil {
				return err
			}
			if i < 2 {
				if err := pb.Put([]byte(e.Key), nil); err != nil {
					return err
				}
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
	t.Cleanup(func() {
		if err := db.Check(); err != nil {
			t.Error(err)
		}
		db.Close()
	})
	err = db.View(func(tx *Tx) error {
		var keys []string
		if err := tx.PendingOutboxGroup(g, func(e *OutboxEntry) error { keys = append(keys, e.Key); return nil }); err != nil {
			return err
		}
		if len(keys) != 2 || keys[0] != "nudge:a" || keys[1] != "nudge:b" {
			t.Errorf("queue after migration %v, want [nudge:a nudge:b]", keys)
		}
		if tx.tx.Bucket(bucketOutbox).Bucket(bucketOutboxPending) != nil {
			t.Error("the schema-1 pending bucket is still there")
		}
		if v := schemaOf(tx.tx.Bucket(bucketMeta).Get(keySchema)); v != SchemaVersion {
			t.Errorf("schema %d, want %d", v, SchemaVersion)
		}
		if tx.InboxLen() != 0 {
			t.Error("inbox not created empty")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
