package store

import (
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// Sequenced records: a group's meetings, incidents and recurrences are JSON
// values keyed by their bucket's sequence. label is the record's name in
// errors, a format with the id ("meeting M%d"); noun names an undecodable
// one by key. A nil bucket on write means a read-only transaction (see
// groupSub).

func newSeqRecord(b kvBucket, g GroupKey, label string, setID func(int64), v any) error {
	if b == nil {
		return bolt.ErrTxNotWritable
	}
	seq, err := b.NextSequence()
	if err != nil {
		return err
	}
	setID(int64(seq))
	if b.Get(u64(seq)) != nil {
		return fmt.Errorf(label+" in %s: %w", int64(seq), g, ErrConflict)
	}
	return putJSON(b, u64(seq), v)
}

func getSeqRecord[T any](b kvBucket, label string, id int64) (*T, error) {
	var v []byte
	if b != nil && id > 0 {
		v = b.Get(u64(uint64(id)))
	}
	if v == nil {
		return nil, fmt.Errorf(label+": %w", id, ErrNotFound)
	}
	var r T
	if err := json.Unmarshal(v, &r); err != nil {
		return nil, fmt.Errorf(label+": %w", id, err)
	}
	return &r, nil
}

func putSeqRecord(b kvBucket, label string, id int64, v any) error {
	if b == nil {
		return bolt.ErrTxNotWritable
	}
	if id <= 0 || b.Get(u64(uint64(id))) == nil {
		return fmt.Errorf(label+": %w", id, ErrNotFound)
	}
	return putJSON(b, u64(uint64(id)), v)
}

func eachSeqRecord[T any](b kvBucket, noun string, fn func(*T) error) error {
	if b == nil {
		return nil
	}
	return b.ForEach(func(key, v []byte) error {
		var r T
		if err := json.Unmarshal(v, &r); err != nil {
			return fmt.Errorf("%s %x: %w", noun, key, err)
		}
		return fn(&r)
	})
}
