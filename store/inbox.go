package store

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"
)

// The inbox holds platform events that were acknowledged but not yet
// processed. An adapter acknowledges an event only after AddInbox has
// committed, so a crash at any point after the ack leaves the event here,
// and start-up processes it. Processing removes the entry in the same
// transaction as the changes and outgoing messages it causes.
//
// Layout: inbox/<seq u64> → InboxEntry JSON, in arrival order.

// InboxEntry is one accepted event.
type InboxEntry struct {
	Seq       uint64    `json:"seq"`
	Platform  string    `json:"platform"`
	ChatID    string    `json:"chat_id"`
	MessageID string    `json:"message_id"`
	Received  time.Time `json:"received"`
	// Message is the neutral message, opaque to the store.
	Message json.RawMessage `json:"message"`
}

// Group is the group the event belongs to.
func (e *InboxEntry) Group() GroupKey { return GroupKey{Platform: e.Platform, ChatID: e.ChatID} }

// AddInbox records e under the next sequence number, which it sets.
func (t *Tx) AddInbox(e *InboxEntry) error {
	b := t.tx.Bucket(bucketInbox)
	seq, err := b.NextSequence()
	if err != nil {
		return err
	}
	e.Seq = seq
	return putJSON(b, u64(seq), e)
}

// Inbox returns the entry with sequence number seq, or ErrNotFound (it was
// processed already).
func (t *Tx) Inbox(seq uint64) (*InboxEntry, error) {
	v := t.tx.Bucket(bucketInbox).Get(u64(seq))
	if v == nil {
		return nil, fmt.Errorf("inbox %d: %w", seq, ErrNotFound)
	}
	var e InboxEntry
	if err := json.Unmarshal(v, &e); err != nil {
		return nil, fmt.Errorf("inbox %d: %w", seq, err)
	}
	return &e, nil
}

// DeleteInbox removes the entry; removing one that is gone is no error.
func (t *Tx) DeleteInbox(seq uint64) error { return t.tx.Bucket(bucketInbox).Delete(u64(seq)) }

// InboxEntries calls fn for every entry in arrival order.
func (t *Tx) InboxEntries(fn func(e *InboxEntry) error) error {
	return t.tx.Bucket(bucketInbox).ForEach(func(k, v []byte) error {
		var e InboxEntry
		if err := json.Unmarshal(v, &e); err != nil {
			return fmt.Errorf("inbox %d: %w", binary.BigEndian.Uint64(k), err)
		}
		return fn(&e)
	})
}

// InboxLen is the number of entries waiting.
func (t *Tx) InboxLen() int {
	n := 0
	c := t.tx.Bucket(bucketInbox).Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		n++
	}
	return n
}
