package store

import (
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The outbox makes scheduled messages exactly-once. The engine decides a
// message and records it as pending in the same transaction that reads the
// state it was decided from; it then sends, and marks the entry sent (or
// failed). A crash between the two leaves a pending entry, which is sent
// again after the restart under the same key (adapters pass the key to the
// platform, e.g. Lark's uuid, so a send that did go through is not posted
// twice). A key once recorded is never decided again.
//
// Layout, inside the top-level "outbox" bucket:
//
//	entries/<key>  → OutboxEntry JSON
//	pending/<key>  → empty: the keys still to send

var (
	bucketOutboxEntries = []byte("entries")
	bucketOutboxPending = []byte("pending")
)

// OutboxState is where an outbox entry stands.
type OutboxState string

const (
	OutboxPending OutboxState = "pending" // decided, not yet sent
	OutboxSent    OutboxState = "sent"
	OutboxFailed  OutboxState = "failed" // given up: Reason says why
	OutboxMerged  OutboxState = "merged" // sent as part of the entry named by Into
)

// OutboxEntry is one owed message.
type OutboxEntry struct {
	Key       string      `json:"key"`
	Seq       uint64      `json:"seq"` // decision order, assigned by AddOutbox
	Group     GroupKey    `json:"group"`
	Kind      string      `json:"kind"`
	TaskID    int64       `json:"task_id,omitempty"`
	Step      int         `json:"step,omitempty"`
	Urgent    bool        `json:"urgent,omitempty"`
	State     OutboxState `json:"state"`
	Occasion  time.Time   `json:"occasion"`
	DecidedAt time.Time   `json:"decided_at"`
	SentAt    time.Time   `json:"sent_at,omitzero"`
	Attempts  int         `json:"attempts,omitempty"`
	Reason    string      `json:"reason,omitempty"` // failure class (bot.Reason) when State is failed
	Error     string      `json:"error,omitempty"`  // last error, never with secrets
	Into      string      `json:"into,omitempty"`   // the digest key, when State is merged
	// Message is the rendered message, opaque to the store, so that a
	// retry after a restart posts exactly what was decided.
	Message json.RawMessage `json:"message,omitempty"`
}

func (t *Tx) outbox(name []byte) (*bolt.Bucket, error) {
	ob := t.tx.Bucket(bucketOutbox)
	if b := ob.Bucket(name); b != nil || !t.tx.Writable() {
		return b, nil
	}
	return ob.CreateBucket(name)
}

// Outbox returns the entry recorded under key, or ErrNotFound.
func (t *Tx) Outbox(key string) (*OutboxEntry, error) {
	b, err := t.outbox(bucketOutboxEntries)
	if err != nil {
		return nil, err
	}
	var v []byte
	if b != nil {
		v = b.Get([]byte(key))
	}
	if v == nil {
		return nil, fmt.Errorf("outbox %q: %w", key, ErrNotFound)
	}
	var e OutboxEntry
	if err := json.Unmarshal(v, &e); err != nil {
		return nil, fmt.Errorf("outbox %q: %w", key, err)
	}
	return &e, nil
}

// OutboxHas reports whether key was ever recorded, in any state.
func (t *Tx) OutboxHas(key string) bool {
	b := t.tx.Bucket(bucketOutbox).Bucket(bucketOutboxEntries)
	return b != nil && b.Get([]byte(key)) != nil
}

// AddOutbox records a new entry. It returns false, changing nothing, when
// the key is already recorded: that message was decided before.
func (t *Tx) AddOutbox(e *OutboxEntry) (bool, error) {
	if e.Key == "" {
		return false, fmt.Errorf("outbox: empty key: %w", ErrConflict)
	}
	if t.OutboxHas(e.Key) {
		return false, nil
	}
	eb, err := t.outbox(bucketOutboxEntries)
	if err != nil {
		return false, err
	}
	if e.Seq, err = eb.NextSequence(); err != nil {
		return false, err
	}
	return true, t.PutOutbox(e)
}

// PutOutbox saves e and keeps the pending index in step with its state.
func (t *Tx) PutOutbox(e *OutboxEntry) error {
	eb, err := t.outbox(bucketOutboxEntries)
	if err != nil {
		return err
	}
	pb, err := t.outbox(bucketOutboxPending)
	if err != nil {
		return err
	}
	k := []byte(e.Key)
	if e.State == OutboxPending {
		err = pb.Put(k, nil)
	} else {
		err = pb.Delete(k)
	}
	if err != nil {
		return err
	}
	return putJSON(eb, k, e)
}

// PendingOutbox calls fn for every pending entry, in key order (sort by
// Seq for decision order).
func (t *Tx) PendingOutbox(fn func(e *OutboxEntry) error) error {
	ob := t.tx.Bucket(bucketOutbox)
	pb, eb := ob.Bucket(bucketOutboxPending), ob.Bucket(bucketOutboxEntries)
	if pb == nil || eb == nil {
		return nil
	}
	return pb.ForEach(func(k, _ []byte) error {
		v := eb.Get(k)
		if v == nil {
			return nil
		}
		var e OutboxEntry
		if err := json.Unmarshal(v, &e); err != nil {
			return fmt.Errorf("outbox %q: %w", k, err)
		}
		return fn(&e)
	})
}

// PendingOutboxCount is the number of entries waiting to be sent.
func (t *Tx) PendingOutboxCount() int {
	pb := t.tx.Bucket(bucketOutbox).Bucket(bucketOutboxPending)
	if pb == nil {
		return 0
	}
	// Stats is not current inside a write transaction; the pending set is
	// small, so count it.
	n := 0
	c := pb.Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		n++
	}
	return n
}

// OutboxEntries calls fn for every entry, in key order (tests, audits).
func (t *Tx) OutboxEntries(fn func(e *OutboxEntry) error) error {
	eb := t.tx.Bucket(bucketOutbox).Bucket(bucketOutboxEntries)
	if eb == nil {
		return nil
	}
	return eb.ForEach(func(k, v []byte) error {
		var e OutboxEntry
		if err := json.Unmarshal(v, &e); err != nil {
			return fmt.Errorf("outbox %q: %w", k, err)
		}
		return fn(&e)
	})
}

// PruneOutbox forgets finished entries decided before cutoff and returns
// how many it removed. Pending entries are kept. Callers pick a cutoff
// older than any occasion the rules may still owe, so a forgotten key is
// never decided again.
func (t *Tx) PruneOutbox(cutoff time.Time) (int, error) {
	eb := t.tx.Bucket(bucketOutbox).Bucket(bucketOutboxEntries)
	if eb == nil {
		return 0, nil
	}
	var old [][]byte
	err := eb.ForEach(func(k, v []byte) error {
		var e OutboxEntry
		if err := json.Unmarshal(v, &e); err != nil {
			return err
		}
		if e.State != OutboxPending && e.DecidedAt.Before(cutoff) {
			old = append(old, append([]byte(nil), k...))
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	for _, k := range old {
		if err := eb.Delete(k); err != nil {
			return 0, err
		}
	}
	return len(old), nil
}
