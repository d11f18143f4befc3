package store

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// The etcd backend keeps the same nested buckets in a flat keyspace under
// a prefix P (so that several deployments can share a cluster):
//
//	P/v                                 the write version: every commit puts it
//	P/d|<hex name>                      a top-level bucket's marker
//	P/d/<hex b1>|<hex key>              an entry of bucket b1 (a value, or a nested bucket's marker)
//	P/d/<hex b1>/<hex b2>|<hex key>     an entry of b1/b2, and so on
//
// Hex keeps byte order, so a bucket's entries list in bbolt's order, and a
// bucket's own entries ("|") never mix with its sub-buckets' ("/").
// Values carry a tag byte: 'v' and the value, or 'b' and the bucket's
// 8-byte sequence (NextSequence).
//
// Transactions are optimistic and serialisable: a transaction reads at the
// revision its first read (a linearizable read of P/v) saw, buffers its
// writes in an overlay that its own reads and cursors see, and commits as
// one etcd Txn that compares P/v's mod revision with that revision. Every
// commit writes P/v, so a commit fails if anything committed in between,
// and the transaction runs again on a fresh snapshot: writers are
// serialised across replicas as bbolt serialises them in one process (and
// Update's function, like Batch's, may run more than once). In one process
// writers take a lock, so only other replicas cause such re-runs.
//
// A leader also sets a fence (SetFence): the election key's create
// revision, compared in the same Txn, so a process that lost leadership
// (a long pause, a partition) commits nothing once another may lead.

const (
	tagValue  = 'v'
	tagBucket = 'b'
	// maxConflictRuns bounds the re-runs of one transaction after other
	// replicas' commits.
	maxConflictRuns = 64
)

var (
	// ErrFenced: the commit carried a leader's fence and another process
	// may lead now; nothing was written. The caller must stop acting as
	// leader.
	ErrFenced = errors.New("store: fenced: this process is no longer the leader")
	// ErrTxTooLarge: the transaction writes more keys, or more bytes, than
	// one etcd Txn may carry (see EtcdOptions.MaxTxnOps); nothing was
	// written. A caller that batches can retry in smaller parts.
	ErrTxTooLarge = errors.New("store: transaction too large for one etcd Txn")
	errConflict   = errors.New("store: etcd commit conflict")
)

// EtcdOptions tune OpenEtcd.
type EtcdOptions struct {
	// Prefix is the root of this deployment's keys ("/collabbot" when
	// empty).
	Prefix string
	// Timeout bounds each request to etcd (zero: 5 s).
	Timeout time.Duration
	// MaxTxnOps is the cluster's --max-txn-ops (zero: etcd's default,
	// 128); MaxRequestBytes its --max-request-bytes (zero: 1.5 MiB). A
	// commit over either fails with ErrTxTooLarge before it is sent.
	MaxTxnOps       int
	MaxRequestBytes int
	// BeforeCommit, when set, runs before each commit that carries a
	// fence. Tests use it to hold a leader as a long GC pause would.
	BeforeCommit func()
}

type fence struct {
	key string
	rev int64
}

type etcdDB struct {
	cli      *clientv3.Client
	pfx      string // ends in "/"
	opt      EtcdOptions
	wmu      sync.Mutex // one writer per process
	fence    atomic.Pointer[fence]
	onFenced atomic.Pointer[func()]
	cache    readCache

	bmu     sync.Mutex
	pending []*batchCall
	btimer  *time.Timer
}

// Batch on etcd, as bbolt's: calls that arrive within batchDelay of each
// other commit as one Txn (one raft round and one fsync for all), up to
// batchMax calls. A call that fails is run again alone, in its caller's
// goroutine, and gets its own result; so does every call of a batch too
// large for one Txn.
const (
	batchDelay = 2 * time.Millisecond
	batchMax   = 32
)

type batchCall struct {
	fn  func(*Tx) error
	err chan error
}

var errTrySolo = errors.New("store: batch call must run alone")

func (e *etcdDB) batch(db *DB, fn func(*Tx) error) error {
	c := &batchCall{fn: fn, err: make(chan error, 1)}
	e.bmu.Lock()
	e.pending = append(e.pending, c)
	switch {
	case len(e.pending) >= batchMax:
		calls := e.pending
		e.pending = nil
		if e.btimer != nil {
			e.btimer.Stop()
			e.btimer = nil
		}
		go e.runBatch(db, calls)
	case e.btimer == nil:
		e.btimer = time.AfterFunc(batchDelay, func() {
			e.bmu.Lock()
			calls := e.pending
			e.pending, e.btimer = nil, nil
			e.bmu.Unlock()
			e.runBatch(db, calls)
		})
	}
	e.bmu.Unlock()
	err := <-c.err
	if errors.Is(err, errTrySolo) {
		return e.update(db, fn)
	}
	return err
}

func (e *etcdDB) runBatch(db *DB, calls []*batchCall) {
	for len(calls) > 0 {
		failed := -1
		err := e.update(db, func(tx *Tx) error {
			failed = -1
			for i, c := range calls {
				if err := safeCall(c.fn, tx); err != nil {
					failed = i
					return err
				}
			}
			return nil
		})
		switch {
		case err == nil:
			for _, c := range calls {
				c.err <- nil
			}
			return
		case failed >= 0 && !errors.Is(err, ErrUnavailable):
			// One call's own failure: it learns its result alone.
			calls[failed].err <- errTrySolo
			calls = append(calls[:failed:failed], calls[failed+1:]...)
		case errors.Is(err, ErrTxTooLarge):
			for _, c := range calls {
				c.err <- errTrySolo
			}
			return
		default:
			for _, c := range calls {
				c.err <- err
			}
			return
		}
	}
}

// safeCall turns a panic into an error, so that the call is run again
// alone and panics in its own goroutine.
func safeCall(fn func(*Tx) error, tx *Tx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	return fn(tx)
}

// readCache keeps what transactions read, valid while P/v's mod revision
// is ver: every commit moves it, so an unchanged ver means an unchanged
// keyspace, and a transaction then needs no round trip but its first read
// and its commit. This process's own commits update it in place.
type readCache struct {
	mu    sync.Mutex
	ver   int64
	kv    map[string][]byte // nil: known absent
	lists map[string][]kvPair
}

const maxCached = 100000

// at makes the cache valid for ver, if ver is newer than what it holds.
func (c *readCache) at(ver int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if ver > c.ver || c.kv == nil {
		c.ver, c.kv, c.lists = ver, map[string][]byte{}, map[string][]kvPair{}
	}
}

func (c *readCache) get(ver int64, key string) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ver != ver || c.kv == nil {
		return nil, false
	}
	v, ok := c.kv[key]
	return v, ok
}

func (c *readCache) put(ver int64, key string, v []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ver == ver && c.kv != nil && len(c.kv) < maxCached {
		c.kv[key] = v
	}
}

func (c *readCache) list(ver int64, base string) ([]kvPair, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ver != ver || c.lists == nil {
		return nil, false
	}
	l, ok := c.lists[base]
	return l, ok
}

func (c *readCache) putList(ver int64, base string, l []kvPair) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ver == ver && c.lists != nil && len(l) < 10000 {
		c.lists[base] = l
	}
}

// committed moves the cache from ver to the commit's revision rev, which
// wrote over.
func (c *readCache) committed(ver, rev int64, over map[string][]byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ver != ver || c.kv == nil || len(c.kv) >= maxCached {
		c.kv, c.lists = map[string][]byte{}, map[string][]kvPair{}
	}
	c.ver = rev
	for k, v := range over {
		c.kv[k] = v
		if i := strings.LastIndexByte(k, '|'); i >= 0 {
			delete(c.lists, k[:i])
		}
	}
}

func (c *readCache) reset() {
	c.mu.Lock()
	c.ver, c.kv, c.lists = 0, nil, nil
	c.mu.Unlock()
}

// OpenEtcd opens the store kept in etcd under opt.Prefix, creating its
// buckets if they are missing. The client stays the caller's: Close does
// not close it.
func OpenEtcd(cli *clientv3.Client, opt *EtcdOptions) (*DB, error) {
	if cli == nil {
		return nil, errors.New("store: OpenEtcd needs a client")
	}
	o := EtcdOptions{}
	if opt != nil {
		o = *opt
	}
	if o.Prefix == "" {
		o.Prefix = "/collabbot"
	}
	if o.Timeout <= 0 {
		o.Timeout = 5 * time.Second
	}
	if o.MaxTxnOps <= 0 {
		o.MaxTxnOps = 128
	}
	if o.MaxRequestBytes <= 0 {
		o.MaxRequestBytes = 1536 * 1024
	}
	e := &etcdDB{cli: cli, pfx: strings.TrimRight(o.Prefix, "/") + "/", opt: o}
	db := &DB{etcd: e, path: "etcd:" + e.pfx}
	if err := db.init(); err != nil {
		return nil, err
	}
	return db, nil
}

// SetFence makes every later commit of this process conditional on key
// still having create revision rev (an election key: concurrency.Election
// Key and Rev). onFenced, if set, is called (in its own goroutine) when a
// commit is refused for that reason. No-op on bbolt.
func (db *DB) SetFence(key string, rev int64, onFenced func()) {
	if db.etcd == nil {
		return
	}
	db.etcd.onFenced.Store(&onFenced)
	db.etcd.fence.Store(&fence{key: key, rev: rev})
}

// ClearFence ends SetFence: later commits are unconditional (a follower's
// intake).
func (db *DB) ClearFence() {
	if db.etcd != nil {
		db.etcd.fence.Store(nil)
	}
}

// CheckFence reports ErrFenced when a fence is set and etcd no longer
// holds it (a linearizable read): the send stage asks right before each
// platform call. Nil without a fence and on bbolt.
func (db *DB) CheckFence(ctx context.Context) error {
	if db.etcd == nil {
		return nil
	}
	f := db.etcd.fence.Load()
	if f == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, db.etcd.opt.Timeout)
	defer cancel()
	resp, err := db.etcd.cli.Get(ctx, f.key)
	if err != nil {
		return err
	}
	if len(resp.Kvs) == 0 || resp.Kvs[0].CreateRevision != f.rev {
		db.etcd.fenced()
		return ErrFenced
	}
	return nil
}

func (e *etcdDB) fenced() {
	if cb := e.onFenced.Load(); cb != nil && *cb != nil {
		go (*cb)()
	}
}

func (e *etcdDB) versionKey() string { return e.pfx + "v" }
func (e *etcdDB) rootBase() string   { return e.pfx + "d" }

func (e *etcdDB) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), e.opt.Timeout)
}

func (e *etcdDB) begin(writable bool) (*etcdTx, error) {
	ctx, cancel := e.ctx()
	defer cancel()
	// Linearizable: the snapshot includes every commit acknowledged
	// before, whichever member answers.
	resp, err := e.cli.Get(ctx, e.versionKey())
	if err != nil {
		return nil, fmt.Errorf("%w: etcd: %w", ErrUnavailable, err)
	}
	var mv int64
	if len(resp.Kvs) > 0 {
		mv = resp.Kvs[0].ModRevision
	}
	e.cache.at(mv)
	return &etcdTx{e: e, writable: writable, rev: resp.Header.Revision, ver: mv,
		snap: map[string][]byte{}, over: map[string][]byte{}, listed: map[string][]kvPair{}}, nil
}

func (e *etcdDB) view(db *DB, fn func(*Tx) error) error {
	t, err := e.begin(false)
	if err != nil {
		return err
	}
	return t.run(db, fn)
}

func (e *etcdDB) update(db *DB, fn func(*Tx) error) error {
	e.wmu.Lock()
	defer e.wmu.Unlock()
	for run := 1; ; run++ {
		t, err := e.begin(true)
		if err != nil {
			return err
		}
		if err := t.run(db, fn); err != nil {
			return err
		}
		err = t.commit()
		if !errors.Is(err, errConflict) {
			return err
		}
		if run >= maxConflictRuns {
			return fmt.Errorf("store: etcd: %d commits in a row lost to other writers: %w", run, ErrConflict)
		}
		time.Sleep(time.Duration(rand.Int64N(int64(run)*int64(2*time.Millisecond))) + time.Millisecond)
	}
}

// kvPair is one entry of a bucket listing: the full etcd key and the
// tagged value.
type kvPair struct {
	key string
	val []byte
}

// etcdTx is one transaction. snap caches what was read at rev (nil: the
// key does not exist); over holds the writes (nil: deleted).
type etcdTx struct {
	e        *etcdDB
	writable bool
	rev      int64
	ver      int64 // P/v's mod revision at rev: the cache's key
	snap     map[string][]byte
	over     map[string][]byte
	listed   map[string][]kvPair // a bucket's entries at rev, by base
	err      error               // the first failed read: the transaction fails
	onCommit []func()            // run once committed (Tx.OnCommit)
}

func (t *etcdTx) committed() {
	for _, fn := range t.onCommit {
		fn()
	}
}

func (t *etcdTx) fail(err error) {
	if t.err == nil {
		t.err = fmt.Errorf("%w: etcd: %w", ErrUnavailable, err)
	}
}

// run calls fn. A read that failed returned nil to fn, which may then
// have failed or panicked on a bucket it expected: the read's error is
// the transaction's.
func (t *etcdTx) run(db *DB, fn func(*Tx) error) (err error) {
	defer func() {
		if t.err == nil {
			return
		}
		recover()
		err = t.err
	}()
	return fn(&Tx{tx: t.root(), db: db})
}

// read fetches at the snapshot's revision. A serializable read is enough
// at a fixed revision, unless the member answering has not applied it yet.
func (t *etcdTx) read(key string, opts ...clientv3.OpOption) (*clientv3.GetResponse, error) {
	ctx, cancel := t.e.ctx()
	defer cancel()
	opts = append(opts, clientv3.WithRev(t.rev))
	resp, err := t.e.cli.Get(ctx, key, append(opts, clientv3.WithSerializable())...)
	if errors.Is(err, rpctypes.ErrFutureRev) {
		resp, err = t.e.cli.Get(ctx, key, opts...)
	}
	return resp, err
}

func (t *etcdTx) get(key string) []byte {
	if v, ok := t.over[key]; ok {
		return v
	}
	if v, ok := t.snap[key]; ok {
		return v
	}
	if v, ok := t.e.cache.get(t.ver, key); ok {
		t.snap[key] = v
		return v
	}
	if t.err != nil {
		return nil
	}
	resp, err := t.read(key)
	if err != nil {
		t.fail(err)
		return nil
	}
	var v []byte
	if len(resp.Kvs) > 0 {
		v = resp.Kvs[0].Value
	}
	t.snap[key] = v
	t.e.cache.put(t.ver, key, v)
	return v
}

// list returns a bucket's entries in key order, the overlay applied.
func (t *etcdTx) list(base string) []kvPair {
	from, to := base+"|", base+"}"
	snap, ok := t.listed[base]
	if !ok {
		snap, ok = t.e.cache.list(t.ver, base)
		if ok {
			t.listed[base] = snap
		}
	}
	if !ok && t.err == nil {
		key := from
		for {
			resp, err := t.read(key, clientv3.WithRange(to), clientv3.WithLimit(1000))
			if err != nil {
				t.fail(err)
				return nil
			}
			for _, kv := range resp.Kvs {
				snap = append(snap, kvPair{string(kv.Key), kv.Value})
				if _, seen := t.snap[string(kv.Key)]; !seen {
					t.snap[string(kv.Key)] = kv.Value
					t.e.cache.put(t.ver, string(kv.Key), kv.Value)
				}
			}
			if !resp.More || len(resp.Kvs) == 0 {
				break
			}
			key = string(resp.Kvs[len(resp.Kvs)-1].Key) + "\x00"
		}
		t.listed[base] = snap
		t.e.cache.putList(t.ver, base, snap)
	}
	var changed bool
	for k := range t.over {
		if k >= from && k < to {
			changed = true
			break
		}
	}
	if !changed {
		return snap
	}
	m := make(map[string][]byte, len(snap))
	for _, p := range snap {
		m[p.key] = p.val
	}
	for k, v := range t.over {
		if k >= from && k < to {
			m[k] = v
		}
	}
	out := make([]kvPair, 0, len(m))
	for k, v := range m {
		if v != nil {
			out = append(out, kvPair{k, v})
		}
	}
	slices.SortFunc(out, func(a, b kvPair) int { return strings.Compare(a.key, b.key) })
	return out
}

// under lists every key at or below a bucket (its entries and every
// nested bucket's), at the snapshot, keys only.
func (t *etcdTx) under(prefix string) []string {
	var keys []string
	key := prefix
	for t.err == nil {
		resp, err := t.read(key, clientv3.WithRange(clientv3.GetPrefixRangeEnd(prefix)), clientv3.WithKeysOnly(), clientv3.WithLimit(1000))
		if err != nil {
			t.fail(err)
			return nil
		}
		for _, kv := range resp.Kvs {
			keys = append(keys, string(kv.Key))
		}
		if !resp.More || len(resp.Kvs) == 0 {
			break
		}
		key = string(resp.Kvs[len(resp.Kvs)-1].Key) + "\x00"
	}
	return keys
}

func (t *etcdTx) put(key string, v []byte) {
	t.over[key] = v
}

func (t *etcdTx) root() kvTx { return etcdRoot{&etcdBucket{t: t, base: t.e.rootBase()}} }

func (t *etcdTx) commit() error {
	if len(t.over) == 0 {
		t.committed()
		return nil
	}
	keys := make([]string, 0, len(t.over))
	for k := range t.over {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	ops := make([]clientv3.Op, 0, len(keys)+1)
	size := 0
	for _, k := range keys {
		if v := t.over[k]; v != nil {
			ops = append(ops, clientv3.OpPut(k, string(v)))
			size += len(k) + len(v) + 16
		} else {
			ops = append(ops, clientv3.OpDelete(k))
			size += len(k) + 16
		}
	}
	ops = append(ops, clientv3.OpPut(t.e.versionKey(), ""))
	if len(ops) > t.e.opt.MaxTxnOps || size > t.e.opt.MaxRequestBytes-4096 {
		return fmt.Errorf("%w: %d writes, %d bytes (limits %d, %d)", ErrTxTooLarge, len(ops), size, t.e.opt.MaxTxnOps, t.e.opt.MaxRequestBytes)
	}
	cmps := []clientv3.Cmp{clientv3.Compare(clientv3.ModRevision(t.e.versionKey()), "<", t.rev+1)}
	var orElse []clientv3.Op
	f := t.e.fence.Load()
	if f != nil {
		cmps = append(cmps, clientv3.Compare(clientv3.CreateRevision(f.key), "=", f.rev))
		orElse = append(orElse, clientv3.OpGet(f.key))
		if h := t.e.opt.BeforeCommit; h != nil {
			h()
		}
	}
	ctx, cancel := t.e.ctx()
	defer cancel()
	resp, err := t.e.cli.Txn(ctx).If(cmps...).Then(ops...).Else(orElse...).Commit()
	switch {
	case errors.Is(err, rpctypes.ErrTooManyOps), errors.Is(err, rpctypes.ErrRequestTooLarge):
		return fmt.Errorf("%w: %v", ErrTxTooLarge, err)
	case err != nil:
		return fmt.Errorf("%w: etcd commit: %w", ErrUnavailable, err)
	case resp.Succeeded:
		t.e.cache.committed(t.ver, resp.Header.Revision, t.over)
		t.committed()
		return nil
	}
	if f != nil {
		rr := resp.Responses[0].GetResponseRange()
		if len(rr.Kvs) == 0 || rr.Kvs[0].CreateRevision != f.rev {
			t.e.fenced()
			return ErrFenced
		}
	}
	return errConflict
}

// etcdBucket is a bucket at base; marker is its marker's key ("" for the
// root, which has no sequence).
type etcdBucket struct {
	t      *etcdTx
	base   string
	marker string
}

// etcdRoot is the transaction as a kvTx: the root bucket.
type etcdRoot struct{ *etcdBucket }

func (r etcdRoot) OnCommit(fn func()) { r.t.onCommit = append(r.t.onCommit, fn) }

func (r etcdRoot) ForEachBucket(fn func(name []byte) error) error {
	return r.etcdBucket.ForEachBucket(fn)
}

func (b *etcdBucket) child(key []byte) string { return b.base + "|" + hex.EncodeToString(key) }

func (b *etcdBucket) sub(name []byte, marker string) *etcdBucket {
	return &etcdBucket{t: b.t, base: b.base + "/" + hex.EncodeToString(name), marker: marker}
}

func (b *etcdBucket) keyOf(full string) []byte {
	k, err := hex.DecodeString(full[len(b.base)+1:])
	if err != nil {
		b.t.fail(fmt.Errorf("key %q is not hex", full))
	}
	return k
}

func (b *etcdBucket) Writable() bool { return b.t.writable }

func (b *etcdBucket) Get(key []byte) []byte {
	v := b.t.get(b.child(key))
	if len(v) == 0 || v[0] != tagValue {
		return nil
	}
	return v[1:]
}

func (b *etcdBucket) checkWrite(key []byte) error {
	switch {
	case !b.t.writable:
		return bolt.ErrTxNotWritable
	case len(key) == 0:
		return bolt.ErrKeyRequired
	case len(key) > bolt.MaxKeySize:
		return bolt.ErrKeyTooLarge
	}
	return nil
}

func (b *etcdBucket) Put(key, value []byte) error {
	if err := b.checkWrite(key); err != nil {
		return err
	}
	if int64(len(value)) > bolt.MaxValueSize {
		return bolt.ErrValueTooLarge
	}
	k := b.child(key)
	if v := b.t.get(k); len(v) > 0 && v[0] == tagBucket {
		return bolt.ErrIncompatibleValue
	}
	b.t.put(k, append([]byte{tagValue}, value...))
	return nil
}

func (b *etcdBucket) Delete(key []byte) error {
	if !b.t.writable {
		return bolt.ErrTxNotWritable
	}
	k := b.child(key)
	if v := b.t.get(k); len(v) > 0 && v[0] == tagBucket {
		return bolt.ErrIncompatibleValue
	}
	b.t.put(k, nil)
	return nil
}

func (b *etcdBucket) Bucket(name []byte) kvBucket {
	k := b.child(name)
	if v := b.t.get(k); len(v) > 0 && v[0] == tagBucket {
		return b.sub(name, k)
	}
	return nil
}

func (b *etcdBucket) CreateBucket(name []byte) (kvBucket, error) {
	if err := b.checkWrite(name); err != nil {
		if errors.Is(err, bolt.ErrKeyRequired) {
			return nil, bolt.ErrBucketNameRequired
		}
		return nil, err
	}
	k := b.child(name)
	if v := b.t.get(k); len(v) > 0 {
		if v[0] == tagBucket {
			return nil, bolt.ErrBucketExists
		}
		return nil, bolt.ErrIncompatibleValue
	}
	b.t.put(k, append([]byte{tagBucket}, u64(0)...))
	return b.sub(name, k), nil
}

func (b *etcdBucket) CreateBucketIfNotExists(name []byte) (kvBucket, error) {
	if c := b.Bucket(name); c != nil {
		return c, nil
	}
	return b.CreateBucket(name)
}

func (b *etcdBucket) DeleteBucket(name []byte) error {
	if !b.t.writable {
		return bolt.ErrTxNotWritable
	}
	k := b.child(name)
	v := b.t.get(k)
	switch {
	case len(v) == 0:
		return bolt.ErrBucketNotFound
	case v[0] != tagBucket:
		return bolt.ErrIncompatibleValue
	}
	sub := b.sub(name, k)
	var gone []string
	for _, p := range []string{sub.base + "|", sub.base + "/"} {
		gone = append(gone, b.t.under(p)...)
		for ok := range b.t.over {
			if strings.HasPrefix(ok, p) {
				gone = append(gone, ok)
			}
		}
	}
	for _, g := range gone {
		b.t.put(g, nil)
	}
	b.t.put(k, nil)
	return nil
}

func (b *etcdBucket) ForEach(fn func(k, v []byte) error) error {
	for _, p := range b.t.list(b.base) {
		var v []byte
		if p.val[0] == tagValue {
			v = p.val[1:]
		}
		if err := fn(b.keyOf(p.key), v); err != nil {
			return err
		}
	}
	return b.t.err
}

func (b *etcdBucket) ForEachBucket(fn func(k []byte) error) error {
	for _, p := range b.t.list(b.base) {
		if p.val[0] != tagBucket {
			continue
		}
		if err := fn(b.keyOf(p.key)); err != nil {
			return err
		}
	}
	return b.t.err
}

func (b *etcdBucket) Cursor() kvCursor { return &etcdCursor{b: b, i: -1} }

func (b *etcdBucket) Sequence() uint64 {
	if b.marker == "" {
		return 0
	}
	v := b.t.get(b.marker)
	if len(v) != 9 {
		return 0
	}
	return binary.BigEndian.Uint64(v[1:])
}

func (b *etcdBucket) SetSequence(n uint64) error {
	if !b.t.writable {
		return bolt.ErrTxNotWritable
	}
	if b.marker == "" {
		return errors.New("store: the root has no sequence")
	}
	b.t.put(b.marker, append([]byte{tagBucket}, u64(n)...))
	return nil
}

func (b *etcdBucket) NextSequence() (uint64, error) {
	n := b.Sequence() + 1
	if err := b.SetSequence(n); err != nil {
		return 0, err
	}
	return n, nil
}

// etcdCursor walks a listing taken at its first move; like bbolt's, it is
// not meant to see writes made while it walks.
type etcdCursor struct {
	b     *etcdBucket
	items []kvPair
	i     int
	done  bool
}

func (c *etcdCursor) load() {
	if !c.done {
		c.items, c.done = c.b.t.list(c.b.base), true
	}
}

func (c *etcdCursor) at() ([]byte, []byte) {
	if c.i < 0 || c.i >= len(c.items) {
		return nil, nil
	}
	p := c.items[c.i]
	var v []byte
	if p.val[0] == tagValue {
		v = p.val[1:]
	}
	return c.b.keyOf(p.key), v
}

func (c *etcdCursor) First() ([]byte, []byte) {
	c.load()
	c.i = 0
	return c.at()
}

func (c *etcdCursor) Next() ([]byte, []byte) {
	c.load()
	if c.i < len(c.items) {
		c.i++
	}
	return c.at()
}

func (c *etcdCursor) Seek(seek []byte) ([]byte, []byte) {
	c.load()
	k := c.b.child(seek)
	c.i, _ = slices.BinarySearchFunc(c.items, k, func(p kvPair, k string) int { return strings.Compare(p.key, k) })
	return c.at()
}

// etcdWipe deletes every key of the deployment (migrate -replace).
func (e *etcdDB) wipe() error {
	e.wmu.Lock()
	defer e.wmu.Unlock()
	ctx, cancel := e.ctx()
	defer cancel()
	_, err := e.cli.Delete(ctx, e.pfx, clientv3.WithPrefix())
	e.cache.reset()
	return err
}

// check verifies the keyspace's own invariants: every entry sits in a
// bucket whose marker exists, and every value carries a known tag.
func (e *etcdDB) check() error {
	t, err := e.begin(false)
	if err != nil {
		return err
	}
	keys := map[string][]byte{}
	var order []string
	from := e.rootBase()
	for key := from; ; {
		resp, err := t.read(key, clientv3.WithRange(clientv3.GetPrefixRangeEnd(from)), clientv3.WithLimit(1000))
		if err != nil {
			return err
		}
		for _, kv := range resp.Kvs {
			keys[string(kv.Key)] = kv.Value
			order = append(order, string(kv.Key))
		}
		if !resp.More || len(resp.Kvs) == 0 {
			break
		}
		key = string(resp.Kvs[len(resp.Kvs)-1].Key) + "\x00"
	}
	var errs []error
	for _, k := range order {
		v := keys[k]
		if len(v) == 0 || (v[0] != tagValue && v[0] != tagBucket) || (v[0] == tagBucket && len(v) != 9) {
			errs = append(errs, fmt.Errorf("etcd key %q: bad value tag", k))
			continue
		}
		i := strings.LastIndexByte(k, '|')
		if i < 0 {
			errs = append(errs, fmt.Errorf("etcd key %q: not an entry key", k))
			continue
		}
		base := k[:i]
		if base == from {
			continue
		}
		j := strings.LastIndexByte(base, '/')
		parent := base[:j] + "|" + base[j+1:]
		if m := keys[parent]; len(m) == 0 || m[0] != tagBucket {
			errs = append(errs, fmt.Errorf("etcd key %q: its bucket has no marker", k))
		}
		if _, err := hex.DecodeString(k[i+1:]); err != nil {
			errs = append(errs, fmt.Errorf("etcd key %q: key is not hex", k))
		}
	}
	return errors.Join(errs...)
}
