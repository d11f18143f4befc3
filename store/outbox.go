package store

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
)

// The outbox holds every outgoing message. Whoever decides a message (a
// command's reply, a reminder) records it as pending in the same
// transaction as the state change it comes from; the send stage then
// sends it and marks it sent (or failed). A crash between the two leaves a
// pending entry, which is sent again after the restart under the same key
// (adapters pass the key to the platform, e.g. Lark's uuid, so a send that
// did go through is not posted twice). A key once recorded is never decided
// again.
//
// Layout, inside the top-level "outbox" bucket:
//
//	entries/<key>                  → OutboxEntry JSON
//	queue/<group>\x00<seq u64>     → key: the entries still to send, by
//	                                 group in decision order
//
// Schema 1 had pending/<key> instead of queue/; migrate rebuilds it.

var (
	bucketOutboxEntries = []byte("entries")
	bucketOutboxQueue   = []byte("queue")
	bucketOutboxPending = []byte("pending") // schema 1 only
)

// OutboxState is where an outbox entry stands.
type OutboxState string

const (
	OutboxPending OutboxState = "pending" // decided, not yet sent
	// OutboxSending: a send on a route without an idempotency key was
	// started and its outcome is not known yet. Found after a crash, it may
	// or may not have been posted (see OutboxEntry.AtMostOnce).
	OutboxSending OutboxState = "sending"
	OutboxSent    OutboxState = "sent"
	OutboxFailed  OutboxState = "failed" // given up: Reason says why
	OutboxMerged  OutboxState = "merged" // sent as part of the entry named by Into
)

// OutboxEntry is one owed message.
type OutboxEntry struct {
	Key    string   `json:"key"`
	Seq    uint64   `json:"seq"` // decision order, assigned by AddOutbox
	Group  GroupKey `json:"group"`
	Kind   string   `json:"kind"`
	TaskID int64    `json:"task_id,omitempty"`
	Step   int      `json:"step,omitempty"`
	Urgent bool     `json:"urgent,omitempty"`
	// AtMostOnce: when a send's outcome is unknown (a crash or a timeout
	// during a call on a route without an idempotency key), give the
	// message up rather than risk posting it twice. Scheduled reminders
	// set it; replies do not (a missing answer is worse than a repeat).
	AtMostOnce bool        `json:"at_most_once,omitempty"`
	Route      string      `json:"route,omitempty"` // the route of the last attempt
	State      OutboxState `json:"state"`
	Occasion   time.Time   `json:"occasion"`
	DecidedAt  time.Time   `json:"decided_at"`
	SentAt     time.Time   `json:"sent_at,omitzero"`
	Attempts   int         `json:"attempts,omitempty"`
	Reason     string      `json:"reason,omitempty"` // failure class (bot.Reason) when State is failed
	Error      string      `json:"error,omitempty"`  // last error, never with secrets
	Into       string      `json:"into,omitempty"`   // the digest key, when State is merged
	// Message is the rendered message, opaque to the store, so that a
	// retry after a restart posts exactly what was decided.
	Message json.RawMessage `json:"message,omitempty"`
}

func (t *Tx) outbox(name []byte) (kvBucket, error) {
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

// PutOutbox saves e and keeps the send queue in step with its state: an
// entry is queued while it is pending or sending.
func (t *Tx) PutOutbox(e *OutboxEntry) error {
	eb, err := t.outbox(bucketOutboxEntries)
	if err != nil {
		return err
	}
	qb, err := t.outbox(bucketOutboxQueue)
	if err != nil {
		return err
	}
	qk := queueKey(e.Group, e.Seq)
	if e.State == OutboxPending || e.State == OutboxSending {
		err = qb.Put(qk, []byte(e.Key))
	} else {
		err = qb.Delete(qk)
	}
	if err != nil {
		return err
	}
	return putJSON(eb, []byte(e.Key), e)
}

func queueKey(g GroupKey, seq uint64) []byte {
	return append(append(g.bytes(), 0), u64(seq)...)
}

// PendingOutbox calls fn for every queued entry (pending or sending),
// grouped by group and in decision order within a group.
func (t *Tx) PendingOutbox(fn func(e *OutboxEntry) error) error {
	return t.queued(nil, fn)
}

// PendingOutboxGroup calls fn for the group's queued entries in decision
// order.
func (t *Tx) PendingOutboxGroup(g GroupKey, fn func(e *OutboxEntry) error) error {
	return t.queued(append(g.bytes(), 0), fn)
}

func (t *Tx) queued(prefix []byte, fn func(e *OutboxEntry) error) error {
	ob := t.tx.Bucket(bucketOutbox)
	qb, eb := ob.Bucket(bucketOutboxQueue), ob.Bucket(bucketOutboxEntries)
	if qb == nil || eb == nil {
		return nil
	}
	c := qb.Cursor()
	k, key := c.First()
	if prefix != nil {
		k, key = c.Seek(prefix)
	}
	for ; k != nil && bytes.HasPrefix(k, prefix); k, key = c.Next() {
		v := eb.Get(key)
		if v == nil {
			continue
		}
		var e OutboxEntry
		if err := json.Unmarshal(v, &e); err != nil {
			return fmt.Errorf("outbox %q: %w", key, err)
		}
		if err := fn(&e); err != nil {
			return err
		}
	}
	return nil
}

// PendingGroups returns the groups with queued entries.
func (t *Tx) PendingGroups() []GroupKey {
	qb := t.tx.Bucket(bucketOutbox).Bucket(bucketOutboxQueue)
	if qb == nil {
		return nil
	}
	var out []GroupKey
	c := qb.Cursor()
	for k, _ := c.First(); k != nil; {
		if len(k) < 9 {
			k, _ = c.Next()
			continue
		}
		g := k[:len(k)-9]
		out = append(out, parseGroupKey(g))
		// Skip the rest of this group: seek past its prefix.
		k, _ = c.Seek(append(append([]byte(nil), g...), 1))
	}
	return out
}

// PendingOutboxCount is the number of entries waiting to be sent.
func (t *Tx) PendingOutboxCount() int {
	qb := t.tx.Bucket(bucketOutbox).Bucket(bucketOutboxQueue)
	if qb == nil {
		return 0
	}
	// Stats is not current inside a write transaction; the queue is
	// small, so count it.
	n := 0
	c := qb.Cursor()
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
		if e.State != OutboxPending && e.State != OutboxSending && e.DecidedAt.Before(cutoff) {
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

// migrate brings an older layout up to SchemaVersion inside the open
// write transaction.
func migrate(tx kvTx, from uint64) error {
	if from == 0 || from >= 2 {
		return nil
	}
	// 1 → 2: the send queue is keyed by group and sequence.
	ob := tx.Bucket(bucketOutbox)
	if ob.Bucket(bucketOutboxPending) != nil {
		if err := ob.DeleteBucket(bucketOutboxPending); err != nil {
			return err
		}
	}
	eb := ob.Bucket(bucketOutboxEntries)
	if eb == nil {
		return nil
	}
	qb, err := ob.CreateBucketIfNotExists(bucketOutboxQueue)
	if err != nil {
		return err
	}
	return eb.ForEach(func(k, v []byte) error {
		var e OutboxEntry
		if err := json.Unmarshal(v, &e); err != nil {
			return fmt.Errorf("outbox %q: %w", k, err)
		}
		if e.State != OutboxPending {
			return nil
		}
		return qb.Put(queueKey(e.Group, e.Seq), append([]byte(nil), k...))
	})
}
