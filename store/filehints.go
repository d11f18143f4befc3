package store

import (
	"time"

	bolt "go.etcd.io/bbolt"
)

// File-name hints (the seeds' 项目名称-日期-类型 and version rule) are
// given once per file and at most once a day per person. Layout, inside
// the group's bucket: filehints/<"f:"+file name> and
// filehints/<"u:"+user id+":"+date> → the time the hint was recorded.

var bucketFileHints = []byte("filehints")

func (t *Tx) fileHints(k GroupKey) (kvBucket, error) { return t.groupSub(k, bucketFileHints) }

// FileHinted reports whether the file, or the person on that date
// (YYYY-MM-DD), was already given a hint.
func (t *Tx) FileHinted(k GroupKey, file, user, date string) (bool, error) {
	b, err := t.fileHints(k)
	if err != nil || b == nil {
		return false, err
	}
	return b.Get([]byte("f:"+file)) != nil || b.Get([]byte("u:"+user+":"+date)) != nil, nil
}

// MarkFileHinted records a hint for the file and the person on date.
func (t *Tx) MarkFileHinted(k GroupKey, file, user, date string, now time.Time) error {
	b, err := t.fileHints(k)
	if err != nil {
		return err
	}
	if b == nil {
		return bolt.ErrTxNotWritable
	}
	v := u64(uint64(now.UnixNano()))
	if err := b.Put([]byte("f:"+file), v); err != nil {
		return err
	}
	return b.Put([]byte("u:"+user+":"+date), v)
}
