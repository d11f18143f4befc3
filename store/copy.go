package store

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"

	bolt "go.etcd.io/bbolt"
)

// Moving a store between backends (collabbot migrate) copies every bucket,
// key, value and bucket sequence, in parts small enough for one etcd Txn,
// and proves the copy with a count and a checksum per top-level bucket
// that do not depend on the backend.

// BucketSum describes one top-level bucket: its values, its nested
// buckets, and a SHA-256 over every path, key, value and sequence in key
// order.
type BucketSum struct {
	Name    string
	Keys    int
	Buckets int
	Sum     string
}

// Sums describes every top-level bucket, in name order, from one
// consistent read.
func (db *DB) Sums() ([]BucketSum, error) {
	var sm summer
	err := db.View(func(t *Tx) error {
		return t.tx.ForEachBucket(func(name []byte) error {
			return walk(t.tx.Bucket(name), [][]byte{name}, sm.add)
		})
	})
	return sm.done(), err
}

// summer computes the BucketSums of a walk.
type summer struct {
	out []BucketSum
	h   hash.Hash
}

func (s *summer) add(path [][]byte, k, v []byte, seq uint64, bucket bool) error {
	if len(s.out) == 0 || s.out[len(s.out)-1].Name != string(path[0]) || (len(path) == 1 && k == nil) {
		s.finish()
		s.out = append(s.out, BucketSum{Name: string(path[0])})
		s.h = sha256.New()
	}
	cur := &s.out[len(s.out)-1]
	if bucket && k != nil {
		cur.Buckets++
	} else if !bucket {
		cur.Keys++
	}
	for _, p := range path {
		writeLen(s.h, p)
	}
	writeLen(s.h, k)
	if bucket {
		s.h.Write([]byte{1})
		binary.Write(s.h, binary.BigEndian, seq)
	} else {
		s.h.Write([]byte{0})
		writeLen(s.h, v)
	}
	return nil
}

func (s *summer) finish() {
	if s.h != nil {
		s.out[len(s.out)-1].Sum = hex.EncodeToString(s.h.Sum(nil))
		s.h = nil
	}
}

func (s *summer) done() []BucketSum {
	s.finish()
	return s.out
}

func writeLen(w io.Writer, b []byte) {
	binary.Write(w, binary.BigEndian, uint32(len(b)))
	w.Write(b)
}

// walk visits every entry under b (path names b itself) depth first, in
// key order: a nested bucket (bucket true, with its sequence) before its
// own entries. The top-level bucket's sequence is visited first, as an
// entry with a nil key.
func walk(b kvBucket, path [][]byte, fn func(path [][]byte, k, v []byte, seq uint64, bucket bool) error) error {
	if len(path) == 1 {
		if err := fn(path, nil, nil, b.Sequence(), true); err != nil {
			return err
		}
	}
	return b.ForEach(func(k, v []byte) error {
		if v != nil {
			return fn(path, k, v, 0, false)
		}
		sub := b.Bucket(k)
		if err := fn(path, k, nil, sub.Sequence(), true); err != nil {
			return err
		}
		return walk(sub, append(path[:len(path):len(path)], k), fn)
	})
}

// CopyReport is what Copy did.
type CopyReport struct {
	// Already: the target held exactly the source's data; nothing was
	// written.
	Already bool
	Keys    int
	Buckets int
	Commits int
	Sums    []BucketSum
}

// ErrTargetNotEmpty: Copy's target holds data other than the source's.
var ErrTargetNotEmpty = errors.New("store: the target store already holds other data")

// Copy copies every bucket of src into dst and checks the result with
// Sums. It is idempotent: a target that already matches is left as it is.
// A target holding other data is refused with ErrTargetNotEmpty unless
// replace is set, which first deletes everything the target holds.
func Copy(dst, src *DB, replace bool) (*CopyReport, error) {
	want, err := src.Sums()
	if err != nil {
		return nil, fmt.Errorf("read the source: %w", err)
	}
	have, err := dst.Sums()
	if err != nil {
		return nil, fmt.Errorf("read the target: %w", err)
	}
	rep := &CopyReport{Sums: want}
	if sumsEqual(have, want) {
		rep.Already = true
		return rep, nil
	}
	if !fresh(have) {
		if !replace {
			return nil, ErrTargetNotEmpty
		}
		if err := dst.wipe(); err != nil {
			return nil, fmt.Errorf("empty the target: %w", err)
		}
	}
	// One part per commit: under etcd's limits on operations and bytes.
	maxOps, maxBytes := 10000, 64<<20
	if dst.etcd != nil {
		maxOps, maxBytes = min(dst.etcd.opt.MaxTxnOps, 1024)-8, dst.etcd.opt.MaxRequestBytes/2
	}
	type item struct {
		path   [][]byte
		k, v   []byte
		seq    uint64
		bucket bool
	}
	var part []item
	ops, size := 0, 0
	flush := func() error {
		if len(part) == 0 {
			return nil
		}
		err := dst.Update(func(t *Tx) error {
			for _, it := range part {
				b, err := t.tx.CreateBucketIfNotExists(it.path[0])
				if err != nil {
					return err
				}
				for _, p := range it.path[1:] {
					if b, err = b.CreateBucketIfNotExists(p); err != nil {
						return err
					}
				}
				switch {
				case it.bucket && it.k == nil:
					err = b.SetSequence(it.seq)
				case it.bucket:
					var sub kvBucket
					if sub, err = b.CreateBucketIfNotExists(it.k); err == nil {
						err = sub.SetSequence(it.seq)
					}
				default:
					err = b.Put(it.k, it.v)
				}
				if err != nil {
					return err
				}
			}
			return nil
		})
		part, ops, size = part[:0], 0, 0
		rep.Commits++
		return err
	}
	// The copy's own read is the snapshot the target must match: the
	// source may have changed since the sums above (a hot backup).
	var sm summer
	err = src.View(func(t *Tx) error {
		return t.tx.ForEachBucket(func(name []byte) error {
			return walk(t.tx.Bucket(name), [][]byte{append([]byte(nil), name...)}, func(path [][]byte, k, v []byte, seq uint64, bucket bool) error {
				sm.add(path, k, v, seq, bucket)
				n := len(k) + len(v) + 64
				// A part also writes the markers of the buckets on the
				// path, when they are new.
				if ops+len(path)+2 > maxOps || size+n > maxBytes {
					if err := flush(); err != nil {
						return err
					}
				}
				it := item{path: clonePath(path), k: clone(k), v: clone(v), seq: seq, bucket: bucket}
				part = append(part, it)
				ops += len(path) + 2
				size += n
				if bucket && k != nil {
					rep.Buckets++
				} else if !bucket {
					rep.Keys++
				}
				return nil
			})
		})
	})
	if err == nil {
		err = flush()
	}
	if err != nil {
		return nil, fmt.Errorf("copy: %w", err)
	}
	rep.Sums = sm.done()
	got, err := dst.Sums()
	if err != nil {
		return nil, fmt.Errorf("verify the target: %w", err)
	}
	if !sumsEqual(got, rep.Sums) {
		return nil, fmt.Errorf("verify the target: its counts or checksums differ from the source's (written while the source changed? stop the bot first)")
	}
	return rep, nil
}

func clone(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append([]byte{}, b...)
}

func clonePath(p [][]byte) [][]byte {
	out := make([][]byte, len(p))
	for i := range p {
		out[i] = clone(p[i])
	}
	return out
}

func sumsEqual(a, b []BucketSum) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// fresh reports whether a store holds only what Open writes (the schema
// version in meta, empty top-level buckets).
func fresh(sums []BucketSum) bool {
	for _, s := range sums {
		if s.Buckets != 0 || (s.Name != string(bucketMeta) && s.Keys != 0) || (s.Name == string(bucketMeta) && s.Keys > 1) {
			return false
		}
	}
	return true
}

// wipe deletes everything and lays out an empty store again.
func (db *DB) wipe() error {
	if db.etcd != nil {
		if err := db.etcd.wipe(); err != nil {
			return err
		}
	} else {
		err := db.bolt.Update(func(btx *bolt.Tx) error {
			var names [][]byte
			btx.ForEach(func(n []byte, _ *bolt.Bucket) error {
				names = append(names, clone(n))
				return nil
			})
			for _, n := range names {
				if err := btx.DeleteBucket(n); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return db.init()
}

// backupEtcd writes a bbolt file holding a consistent copy of the etcd
// store to w: the same format a bbolt store's backup has.
func (db *DB) backupEtcd(w io.Writer) (int64, error) {
	dir, err := os.MkdirTemp("", "collabbot-backup-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "backup.db")
	cp, err := Open(path, &Options{NoSync: true})
	if err != nil {
		return 0, err
	}
	if _, err := Copy(cp, db, false); err != nil {
		cp.Close()
		return 0, err
	}
	n, err := cp.Backup(w)
	if cerr := cp.Close(); err == nil {
		err = cerr
	}
	return n, err
}
