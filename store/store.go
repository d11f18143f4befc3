// Package store keeps collabbot's state in a bbolt file: groups, tasks with
// their append-only history, the processed-event log that makes redelivered
// platform events no-ops, and the outbox of scheduled messages.
//
// All access goes through closure transactions (DB.View, DB.Update,
// DB.Batch); a *Tx is valid only inside its closure.
package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	bolt "go.etcd.io/bbolt"
)

// SchemaVersion is the layout this code reads and writes. Open refuses a
// file written by a newer version rather than misreading it.
const SchemaVersion = 1

// Errors returned by the store. Callers compare with errors.Is.
var (
	// ErrNotFound: the group, task or record does not exist.
	ErrNotFound = errors.New("store: not found")
	// ErrSchemaTooNew: the file was written by a newer collabbot.
	ErrSchemaTooNew = errors.New("store: database schema is newer than this binary")
	// ErrConflict: the record changed in a way the caller did not expect
	// (e.g. creating a task whose id is taken).
	ErrConflict = errors.New("store: conflict")
	// ErrLocked: another process holds the database file.
	ErrLocked = errors.New("store: database is locked by another process")
)

// Top-level buckets. Per-group data lives in nested buckets under
// bucketGroups/<group key>.
var (
	bucketMeta    = []byte("meta")
	bucketGroups  = []byte("groups")
	bucketEvents  = []byte("events")
	bucketOutbox  = []byte("outbox")
	keySchema     = []byte("schema")
	keyGroupInfo  = []byte("info")
	bucketTasks   = []byte("tasks")
	bucketHistory = []byte("history")
	bucketThreads = []byte("threads")
)

// DB is an open store.
type DB struct {
	bolt *bolt.DB
	path string
}

// Options tune Open.
type Options struct {
	// Timeout waits this long for the file lock; zero fails at once with
	// ErrLocked when another process has the file open.
	Timeout time.Duration
	// NoSync trades durability for speed; only benchmarks and tests that
	// measure something else should set it.
	NoSync bool
	// ReadOnly opens without write access.
	ReadOnly bool
}

// Open opens or creates the store at path.
func Open(path string, opt *Options) (*DB, error) {
	if opt == nil {
		opt = &Options{}
	}
	timeout := opt.Timeout
	if timeout == 0 {
		// bbolt's zero means wait forever; a second process must not hang.
		timeout = 50 * time.Millisecond
	}
	bdb, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: timeout, NoSync: opt.NoSync, ReadOnly: opt.ReadOnly})
	if err != nil {
		if errors.Is(err, bolt.ErrTimeout) {
			return nil, fmt.Errorf("open %s: %w", path, ErrLocked)
		}
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	// bbolt's default 10 ms wait for more callers is most of a single
	// message's latency; 2 ms still coalesces a burst into one fsync.
	bdb.MaxBatchDelay = 2 * time.Millisecond
	db := &DB{bolt: bdb, path: path}
	if opt.ReadOnly {
		if err := db.checkSchema(); err != nil {
			bdb.Close()
			return nil, err
		}
		return db, nil
	}
	if err := db.init(); err != nil {
		bdb.Close()
		return nil, err
	}
	return db, nil
}

func (db *DB) checkSchema() error {
	return db.bolt.View(func(tx *bolt.Tx) error {
		m := tx.Bucket(bucketMeta)
		if m == nil {
			return nil
		}
		return schemaOK(m.Get(keySchema))
	})
}

func schemaOK(v []byte) error {
	if len(v) != 8 {
		return nil
	}
	if n := binary.BigEndian.Uint64(v); n > SchemaVersion {
		return fmt.Errorf("%w (file %d, binary %d)", ErrSchemaTooNew, n, SchemaVersion)
	}
	return nil
}

func (db *DB) init() error {
	return db.bolt.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketMeta, bucketGroups, bucketEvents, bucketOutbox} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		m := tx.Bucket(bucketMeta)
		if err := schemaOK(m.Get(keySchema)); err != nil {
			return err
		}
		// Version 1 is the first layout: there is nothing to migrate yet,
		// only the version to record.
		return m.Put(keySchema, u64(SchemaVersion))
	})
}

// Close closes the file.
func (db *DB) Close() error { return db.bolt.Close() }

// Path is the file's path.
func (db *DB) Path() string { return db.path }

// View runs fn in a read-only transaction.
func (db *DB) View(fn func(tx *Tx) error) error {
	return db.bolt.View(func(btx *bolt.Tx) error { return fn(&Tx{tx: btx}) })
}

// Update runs fn in a read-write transaction committed durably on return.
func (db *DB) Update(fn func(tx *Tx) error) error {
	return db.bolt.Update(func(btx *bolt.Tx) error { return fn(&Tx{tx: btx}) })
}

// Batch is Update for concurrent callers: bbolt coalesces them into one
// durable commit. fn may run more than once, so it must only change state
// through tx and must reset anything it computes outside tx.
func (db *DB) Batch(fn func(tx *Tx) error) error {
	return db.bolt.Batch(func(btx *bolt.Tx) error { return fn(&Tx{tx: btx}) })
}

// Backup writes a consistent copy of the whole database to w while it stays
// in use (one read transaction; writers are not blocked).
func (db *DB) Backup(w io.Writer) (int64, error) {
	var n int64
	err := db.bolt.View(func(tx *bolt.Tx) error {
		var err error
		n, err = tx.WriteTo(w)
		return err
	})
	return n, err
}

// BackupFile writes a consistent copy to path, via a temporary file renamed
// into place, so a crash never leaves a half-written backup under path.
func (db *DB) BackupFile(path string) (int64, error) {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return 0, err
	}
	n, err := db.Backup(f)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return 0, err
	}
	return n, nil
}

// Check runs bbolt's consistency check and returns every problem found.
func (db *DB) Check() error {
	return db.bolt.View(func(tx *bolt.Tx) error {
		var errs []error
		for err := range tx.Check() {
			errs = append(errs, err)
		}
		return errors.Join(errs...)
	})
}

// Tx is a transaction handle, valid only inside its closure.
type Tx struct {
	tx *bolt.Tx
}

// GroupKey identifies a group across platforms.
type GroupKey struct {
	Platform string
	ChatID   string
}

func (k GroupKey) bytes() []byte { return []byte(k.Platform + "\x00" + k.ChatID) }

func (k GroupKey) String() string { return k.Platform + ":" + k.ChatID }

func parseGroupKey(b []byte) GroupKey {
	i := bytes.IndexByte(b, 0)
	if i < 0 {
		return GroupKey{ChatID: string(b)}
	}
	return GroupKey{Platform: string(b[:i]), ChatID: string(b[i+1:])}
}

func u64(n uint64) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint64(b, n)
	return b
}

func putJSON(b *bolt.Bucket, k []byte, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(k, data)
}
