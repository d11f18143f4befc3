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
	"io/fs"
	"os"
	"time"

	bolt "go.etcd.io/bbolt"
)

// SchemaVersion is the layout this code reads and writes. Open refuses a
// file written by a newer version rather than misreading it.
const SchemaVersion = 3

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
	// ErrCorrupt: the file is damaged (bad pages, cut short, not a bbolt
	// file). Open and CheckFile return it wrapped in a *CorruptError that
	// names the file, the problems and the remedy; the file is not written.
	ErrCorrupt = errors.New("store: database file is damaged")
	// ErrEmpty: the file exists but is 0 bytes long, and Options.Create
	// was not set.
	ErrEmpty = errors.New("store: database file is empty")
	// ErrUnavailable: the store could not be reached (etcd: no quorum,
	// network); the transaction committed nothing, or, for a commit whose
	// answer was lost, may have: callers try again and find out.
	ErrUnavailable = errors.New("store: unavailable")
)

// Top-level buckets. Per-group data lives in nested buckets under
// bucketGroups/<group key>.
var (
	bucketMeta    = []byte("meta")
	bucketGroups  = []byte("groups")
	bucketEvents  = []byte("events")
	bucketOutbox  = []byte("outbox")
	bucketInbox   = []byte("inbox")
	keySchema     = []byte("schema")
	keyGroupInfo  = []byte("info")
	bucketTasks   = []byte("tasks")
	bucketHistory = []byte("history")
	bucketThreads = []byte("threads")
)

// DB is an open store.
type DB struct {
	bolt   *bolt.DB // one of bolt and etcd is set
	etcd   *etcdDB
	path   string
	report *Report
	// taskHooks run inside the transaction of every task write (NewTask,
	// PutTask), so what is derived from a task (the mirror queue, due
	// indexes) cannot fall behind it: a hook's error aborts the write.
	taskHooks []TaskHook
	// groupHooks run likewise on every group write (see OnGroupWrite).
	groupHooks []GroupHook
}

// TaskHook is called with each task written, inside the writing
// transaction. Register hooks with OnTaskWrite before the first write.
type TaskHook func(tx *Tx, task *Task) error

// OnTaskWrite adds h to the hooks run on every task write. It is not safe
// to call concurrently with transactions: register at start-up.
func (db *DB) OnTaskWrite(h TaskHook) { db.taskHooks = append(db.taskHooks, h) }

// GroupHook is called with each group written (created by EnsureGroup or
// saved by PutGroup, NewTask included), inside the writing transaction.
type GroupHook func(tx *Tx, g *Group) error

// OnGroupWrite adds h to the hooks run on every group write; register at
// start-up, like OnTaskWrite.
func (db *DB) OnGroupWrite(h GroupHook) { db.groupHooks = append(db.groupHooks, h) }

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
	// Create says the caller is deliberately making a new store, so an
	// existing 0-byte file may be initialised. Without it a 0-byte file is
	// ErrEmpty: an emptied store must not quietly become a new, empty one.
	// (A missing file is always created, unless ReadOnly.) Create never
	// overrides ErrCorrupt.
	Create bool
	// VerifyBudget bounds the check of a file bigger than FullCheckSize
	// (zero: DefaultVerifyBudget; negative: only the essential part, see
	// FullCheckSize). Smaller files are always checked completely.
	VerifyBudget time.Duration
}

// Open opens or creates the store at path.
//
// An existing file is checked before anything may write to it (see
// verify.go): it is opened read-only, its pages are checked, and only a
// clean file is reopened for writing. A damaged file gives an error
// wrapping ErrCorrupt that names the first problems and the remedy, and
// the file is left as it was.
func Open(path string, opt *Options) (*DB, error) {
	if opt == nil {
		opt = &Options{}
	}
	timeout := opt.Timeout
	if timeout == 0 {
		// bbolt's zero means wait forever; a second process must not hang.
		timeout = 50 * time.Millisecond
	}
	var rep *Report
	st, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if opt.ReadOnly {
			return nil, fmt.Errorf("open %s: %w", path, err)
		}
	case err != nil:
		return nil, fmt.Errorf("open %s: %w", path, err)
	case st.Size() == 0:
		if !opt.Create || opt.ReadOnly {
			return nil, emptyFileError(path)
		}
	default:
		var ro *bolt.DB
		rep, ro, err = verify(path, st.Size(), timeout, false, opt.VerifyBudget)
		if err != nil {
			return nil, err
		}
		if opt.ReadOnly {
			db := &DB{bolt: ro, path: path, report: rep}
			if err := db.checkSchema(); err != nil {
				ro.Close()
				return nil, err
			}
			return db, nil
		}
		if err := ro.Close(); err != nil {
			return nil, fmt.Errorf("open %s: %w", path, err)
		}
	}
	bdb, err := boltOpen(path, &bolt.Options{Timeout: timeout, NoSync: opt.NoSync, ReadOnly: opt.ReadOnly})
	if err != nil {
		if errors.Is(err, ErrLocked) || errors.Is(err, ErrCorrupt) {
			return nil, err
		}
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	// bbolt's default 10 ms wait for more callers is most of a single
	// message's latency; 2 ms still coalesces a burst into one fsync.
	bdb.MaxBatchDelay = 2 * time.Millisecond
	db := &DB{bolt: bdb, path: path, report: rep}
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

// Verified is what Open's check of the file found: nil when Open created
// the file. Report.Complete is false when only part of a big file was
// checked in the time budget (CheckFile checks it all).
func (db *DB) Verified() *Report { return db.report }

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

func schemaOf(v []byte) uint64 {
	if len(v) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(v)
}

func (db *DB) init() error {
	return db.Update(func(t *Tx) error {
		tx := t.tx
		for _, b := range [][]byte{bucketMeta, bucketGroups, bucketEvents, bucketOutbox, bucketInbox} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		m := tx.Bucket(bucketMeta)
		if err := schemaOK(m.Get(keySchema)); err != nil {
			return err
		}
		if err := migrate(tx, schemaOf(m.Get(keySchema))); err != nil {
			return err
		}
		if from := schemaOf(m.Get(keySchema)); from != 0 && from < 3 {
			if err := migrateFeatureGroups(tx); err != nil {
				return err
			}
		}
		return m.Put(keySchema, u64(SchemaVersion))
	})
}

// Close closes the file (on etcd: nothing; the client is the caller's).
func (db *DB) Close() error {
	if db.etcd != nil {
		return nil
	}
	return db.bolt.Close()
}

// Path is the file's path ("etcd:<prefix>/" on etcd).
func (db *DB) Path() string { return db.path }

// Backend is "bbolt" or "etcd".
func (db *DB) Backend() string {
	if db.etcd != nil {
		return "etcd"
	}
	return "bbolt"
}

// View runs fn in a read-only transaction.
func (db *DB) View(fn func(tx *Tx) error) error {
	if db.etcd != nil {
		return db.etcd.view(db, fn)
	}
	return db.bolt.View(func(btx *bolt.Tx) error { return fn(&Tx{tx: boltTx{btx}, db: db}) })
}

// Update runs fn in a read-write transaction committed durably on return.
// On etcd fn may run more than once (see etcd.go), as with Batch.
func (db *DB) Update(fn func(tx *Tx) error) error {
	if db.etcd != nil {
		return db.etcd.update(db, fn)
	}
	return db.bolt.Update(func(btx *bolt.Tx) error { return fn(&Tx{tx: boltTx{btx}, db: db}) })
}

// Batch is Update for concurrent callers: bbolt coalesces them into one
// durable commit. fn may run more than once, so it must only change state
// through tx and must reset anything it computes outside tx.
func (db *DB) Batch(fn func(tx *Tx) error) error {
	if db.etcd != nil {
		return db.etcd.batch(db, fn)
	}
	return db.bolt.Batch(func(btx *bolt.Tx) error { return fn(&Tx{tx: boltTx{btx}, db: db}) })
}

// Backup writes a consistent copy of the whole database to w while it stays
// in use (one read transaction; writers are not blocked). On etcd the copy
// is a bbolt file too, the same as collabbot migrate -to bbolt:FILE makes.
func (db *DB) Backup(w io.Writer) (int64, error) {
	if db.etcd != nil {
		return db.backupEtcd(w)
	}
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

// Check runs bbolt's consistency check and returns every problem found
// (on etcd: the keyspace's own invariants, see etcdDB.check).
func (db *DB) Check() error {
	if db.etcd != nil {
		return db.etcd.check()
	}
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
	tx kvTx
	db *DB
}

// OnCommit runs fn after the transaction committed (never if it rolls
// back): the place to wake whoever reads what it wrote.
func (t *Tx) OnCommit(fn func()) { t.tx.OnCommit(fn) }

// Writable reports whether the transaction may write.
func (t *Tx) Writable() bool { return t.tx.Writable() }

func (t *Tx) taskWritten(task *Task) error {
	if err := t.markTask(task); err != nil {
		return err
	}
	if t.db == nil {
		return nil
	}
	for _, h := range t.db.taskHooks {
		if err := h(t, task); err != nil {
			return err
		}
	}
	return nil
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

func putJSON(b kvBucket, k []byte, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(k, data)
}

func (t *Tx) groupWritten(g *Group) error {
	if t.db == nil {
		return nil
	}
	for _, h := range t.db.groupHooks {
		if err := h(t, g); err != nil {
			return err
		}
	}
	return nil
}
