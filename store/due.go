package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"time"
)

// The due index lets the reminder engine read only what may be owed: for
// each task (and each group, for its group-level messages) the earliest
// time it could owe a message, in time order, so a tick seeks to the start
// and stops at now. The store only keeps it; what the times are is the
// bot's business (it computes them with the rules, which the store must
// not import). The bot keeps it current through the write hooks
// (OnTaskWrite, OnGroupWrite), which run in the writing transaction, so no
// code path that writes a task or a group can leave it behind.
//
// Layout:
//
//	due/<at u64><entry>       → empty   (at: Unix nanoseconds, big-endian)
//	duekey/<entry>            → <at u64> (the reverse, to move an entry)
//	duekey/<group>\x02        → the group's policy stamp (see DueStamp)
//	meta/due_stamp            → the whole index's stamp
//
// where <entry> is <group>\x01<id u64>; id 0 is the group itself.
var (
	bucketDue    = []byte("due")
	bucketDueKey = []byte("duekey")
	keyDueStamp  = []byte("due_stamp")
)

func dueEntry(k GroupKey, id int64) []byte {
	b := append(k.bytes(), 1)
	return binary.BigEndian.AppendUint64(b, uint64(id))
}

func parseDueEntry(b []byte) (GroupKey, int64, error) {
	if len(b) < 10 || b[len(b)-9] != 1 {
		return GroupKey{}, 0, fmt.Errorf("due entry %q: %w", b, ErrCorrupt)
	}
	return parseGroupKey(b[:len(b)-9]), int64(binary.BigEndian.Uint64(b[len(b)-8:])), nil
}

// dueTime encodes at for the index; times before 1970 sort first.
func dueTime(at time.Time) []byte {
	n := at.UnixNano()
	if n < 0 || at.Year() < 1970 {
		n = 0
	}
	return u64(uint64(n))
}

func (t *Tx) dueBuckets() (idx, rev kvBucket, err error) {
	idx, rev = t.tx.Bucket(bucketDue), t.tx.Bucket(bucketDueKey)
	if idx != nil && rev != nil || !t.tx.Writable() {
		return idx, rev, nil
	}
	if idx, err = t.tx.CreateBucketIfNotExists(bucketDue); err != nil {
		return nil, nil, err
	}
	rev, err = t.tx.CreateBucketIfNotExists(bucketDueKey)
	return idx, rev, err
}

// SetDueAt records that task id of group k (id 0: the group itself) may
// owe something from at on, replacing what was recorded; a zero at removes
// the entry (never).
func (t *Tx) SetDueAt(k GroupKey, id int64, at time.Time) error {
	idx, rev, err := t.dueBuckets()
	if err != nil {
		return err
	}
	e := dueEntry(k, id)
	var want []byte
	if !at.IsZero() {
		want = dueTime(at)
	}
	old := rev.Get(e)
	if old != nil && want != nil && bytes.Equal(old, want) {
		return nil
	}
	if old != nil {
		if err := idx.Delete(append(append([]byte{}, old...), e...)); err != nil {
			return err
		}
		if want == nil {
			return rev.Delete(e)
		}
	}
	if want == nil {
		return nil
	}
	if err := idx.Put(append(append([]byte{}, want...), e...), nil); err != nil {
		return err
	}
	return rev.Put(e, want)
}

// DueAt returns what SetDueAt recorded for the entry (zero: nothing).
func (t *Tx) DueAt(k GroupKey, id int64) time.Time {
	_, rev, _ := t.dueBuckets()
	if rev == nil {
		return time.Time{}
	}
	v := rev.Get(dueEntry(k, id))
	if len(v) != 8 {
		return time.Time{}
	}
	return time.Unix(0, int64(binary.BigEndian.Uint64(v)))
}

// DueUntil calls fn for every entry at or before upTo, earliest first (id
// 0: the group's own entry). fn must not change the index: collect, then
// write.
func (t *Tx) DueUntil(upTo time.Time, fn func(k GroupKey, id int64, at time.Time) error) error {
	idx, _, _ := t.dueBuckets()
	if idx == nil {
		return nil
	}
	limit := dueTime(upTo)
	c := idx.Cursor()
	for key, _ := c.First(); key != nil && len(key) > 8 && bytes.Compare(key[:8], limit) <= 0; key, _ = c.Next() {
		k, id, err := parseDueEntry(key[8:])
		if err != nil {
			return err
		}
		if err := fn(k, id, time.Unix(0, int64(binary.BigEndian.Uint64(key[:8])))); err != nil {
			return err
		}
	}
	return nil
}

// DueLen is the number of entries in the index.
func (t *Tx) DueLen() int {
	idx, _, _ := t.dueBuckets()
	if idx == nil {
		return 0
	}
	n := 0
	_ = idx.ForEach(func(_, v []byte) error {
		if v != nil {
			n++
		}
		return nil
	})
	return n
}

// DueStamp is what SetDueStamp recorded for the whole index: the bot's
// summary of everything its times depend on beyond the tasks and groups
// (rules version, calendar, defaults), so a new binary or configuration
// rebuilds an index computed under other rules. Nil: never built.
func (t *Tx) DueStamp() []byte {
	m := t.tx.Bucket(bucketMeta)
	if m == nil {
		return nil
	}
	return append([]byte(nil), m.Get(keyDueStamp)...)
}

// ResetDue empties the index and records stamp for the index about to be
// built; the caller rebuilds it, in as many transactions as it likes,
// then calls SetDueStamp(stamp, true).
func (t *Tx) ResetDue() error {
	for _, name := range [][]byte{bucketDue, bucketDueKey} {
		if t.tx.Bucket(name) != nil {
			if err := t.tx.DeleteBucket(name); err != nil {
				return err
			}
		}
	}
	if m := t.tx.Bucket(bucketMeta); m != nil {
		if err := m.Delete(keyDueStamp); err != nil {
			return err
		}
	}
	_, _, err := t.dueBuckets()
	return err
}

// SetDueStamp records the stamp of a complete index.
func (t *Tx) SetDueStamp(stamp []byte) error {
	m, err := t.tx.CreateBucketIfNotExists(bucketMeta)
	if err != nil {
		return err
	}
	return m.Put(keyDueStamp, stamp)
}

// GroupDueStamp is the stamp SetGroupDueStamp recorded for the group's
// entries (the bot's summary of the group's timing settings), so a
// settings change that moves its times is noticed and the group
// reindexed. Zero: none.
func (t *Tx) GroupDueStamp(k GroupKey) uint64 {
	_, rev, _ := t.dueBuckets()
	if rev == nil {
		return 0
	}
	v := rev.Get(append(k.bytes(), 2))
	if len(v) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(v)
}

// SetGroupDueStamp records the group's stamp.
func (t *Tx) SetGroupDueStamp(k GroupKey, stamp uint64) error {
	_, rev, err := t.dueBuckets()
	if err != nil {
		return err
	}
	return rev.Put(append(k.bytes(), 2), u64(stamp))
}

// GroupKeys calls fn for every group's key, in key order, without reading
// the groups.
func (t *Tx) GroupKeys(fn func(k GroupKey) error) error {
	return t.tx.Bucket(bucketGroups).ForEachBucket(func(k []byte) error { return fn(parseGroupKey(k)) })
}
