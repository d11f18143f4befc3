package store

import (
	bolt "go.etcd.io/bbolt"
)

// The store's files see a backend through kvTx, kvBucket and kvCursor:
// exactly the part of bbolt's Tx, Bucket and Cursor API they use, with the
// same meaning (nested buckets; keys in byte order; a nested bucket shows
// in ForEach and cursors as a key with a nil value; Get's result is valid
// for the transaction only; a nil kvBucket means "no such bucket"). bbolt
// implements it with thin wrappers, etcd with etcd.go's flat keyspace.

type kvTx interface {
	Bucket(name []byte) kvBucket
	CreateBucket(name []byte) (kvBucket, error)
	CreateBucketIfNotExists(name []byte) (kvBucket, error)
	DeleteBucket(name []byte) error
	// ForEachBucket calls fn with the name of every top-level bucket.
	ForEachBucket(fn func(name []byte) error) error
	Writable() bool
	// OnCommit runs fn once the transaction has committed.
	OnCommit(fn func())
}

type kvBucket interface {
	Get(key []byte) []byte
	Put(key, value []byte) error
	Delete(key []byte) error
	Bucket(name []byte) kvBucket
	CreateBucket(name []byte) (kvBucket, error)
	CreateBucketIfNotExists(name []byte) (kvBucket, error)
	DeleteBucket(name []byte) error
	ForEach(fn func(k, v []byte) error) error
	ForEachBucket(fn func(k []byte) error) error
	Cursor() kvCursor
	NextSequence() (uint64, error)
	Sequence() uint64
	SetSequence(v uint64) error
	Writable() bool
}

type kvCursor interface {
	First() (key, value []byte)
	Next() (key, value []byte)
	Seek(seek []byte) (key, value []byte)
}

// boltTx is a *bolt.Tx seen as a kvTx.
type boltTx struct{ tx *bolt.Tx }

// boltBucket turns bbolt's nil *Bucket into a nil interface, so that
// "b == nil" keeps meaning "no such bucket".
func boltBucket(b *bolt.Bucket) kvBucket {
	if b == nil {
		return nil
	}
	return boltB{b}
}

func boltBucketErr(b *bolt.Bucket, err error) (kvBucket, error) {
	if err != nil {
		return nil, err
	}
	return boltBucket(b), nil
}

func (t boltTx) Bucket(name []byte) kvBucket { return boltBucket(t.tx.Bucket(name)) }
func (t boltTx) CreateBucket(name []byte) (kvBucket, error) {
	return boltBucketErr(t.tx.CreateBucket(name))
}
func (t boltTx) CreateBucketIfNotExists(name []byte) (kvBucket, error) {
	return boltBucketErr(t.tx.CreateBucketIfNotExists(name))
}
func (t boltTx) DeleteBucket(name []byte) error { return t.tx.DeleteBucket(name) }
func (t boltTx) ForEachBucket(fn func(name []byte) error) error {
	return t.tx.ForEach(func(name []byte, _ *bolt.Bucket) error { return fn(name) })
}
func (t boltTx) Writable() bool     { return t.tx.Writable() }
func (t boltTx) OnCommit(fn func()) { t.tx.OnCommit(fn) }

type boltB struct{ b *bolt.Bucket }

func (b boltB) Get(key []byte) []byte          { return b.b.Get(key) }
func (b boltB) Put(key, value []byte) error    { return b.b.Put(key, value) }
func (b boltB) Delete(key []byte) error        { return b.b.Delete(key) }
func (b boltB) Bucket(name []byte) kvBucket    { return boltBucket(b.b.Bucket(name)) }
func (b boltB) DeleteBucket(name []byte) error { return b.b.DeleteBucket(name) }
func (b boltB) CreateBucket(name []byte) (kvBucket, error) {
	return boltBucketErr(b.b.CreateBucket(name))
}
func (b boltB) CreateBucketIfNotExists(name []byte) (kvBucket, error) {
	return boltBucketErr(b.b.CreateBucketIfNotExists(name))
}
func (b boltB) ForEach(fn func(k, v []byte) error) error    { return b.b.ForEach(fn) }
func (b boltB) ForEachBucket(fn func(k []byte) error) error { return b.b.ForEachBucket(fn) }
func (b boltB) Cursor() kvCursor                            { return b.b.Cursor() }
func (b boltB) NextSequence() (uint64, error)               { return b.b.NextSequence() }
func (b boltB) Sequence() uint64                            { return b.b.Sequence() }
func (b boltB) SetSequence(v uint64) error                  { return b.b.SetSequence(v) }
func (b boltB) Writable() bool                              { return b.b.Writable() }
