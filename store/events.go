package store

import (
	"encoding/binary"
	"time"
)

// EventRetention is how long a processed event id is remembered. Lark
// redelivers up to 6 h after the first attempt; the spec asks for at least
// 8 h, and a day leaves room for clock skew and long outages.
const EventRetention = 24 * time.Hour

func eventKey(platform, id string) []byte { return []byte(platform + "\x00" + id) }

// SeenEvent reports whether the platform event id was already processed.
func (t *Tx) SeenEvent(platform, id string) bool {
	return t.tx.Bucket(bucketEvents).Get(eventKey(platform, id)) != nil
}

// MarkEvent records the event id as processed at now. It returns false if
// it was already recorded, so the caller can stop: marking and the changes
// the event causes belong in the same transaction, which makes a
// redelivered event a no-op even across a crash.
func (t *Tx) MarkEvent(platform, id string, now time.Time) (bool, error) {
	b := t.tx.Bucket(bucketEvents)
	k := eventKey(platform, id)
	if b.Get(k) != nil {
		return false, nil
	}
	return true, b.Put(k, u64(uint64(now.UnixNano())))
}

// PruneEvents forgets event ids processed before now-EventRetention and
// returns how many it removed.
func (t *Tx) PruneEvents(now time.Time) (int, error) {
	cutoff := now.Add(-EventRetention).UnixNano()
	b := t.tx.Bucket(bucketEvents)
	var old [][]byte
	err := b.ForEach(func(k, v []byte) error {
		if len(v) == 8 && int64(binary.BigEndian.Uint64(v)) < cutoff {
			old = append(old, append([]byte(nil), k...))
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	for _, k := range old {
		if err := b.Delete(k); err != nil {
			return 0, err
		}
	}
	return len(old), nil
}
