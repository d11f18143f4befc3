package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// These tests are about the etcd backend itself; they run in the suite's
// etcd pass (see backend_test.go).

func needEtcd(t *testing.T) {
	t.Helper()
	if testEtcd == nil {
		t.Skip("etcd pass only")
	}
}

func openEtcdPrefix(t *testing.T, prefix string, opt EtcdOptions) *DB {
	t.Helper()
	opt.Prefix = prefix
	db, err := OpenEtcd(testEtcd, &opt)
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// Two handles on one prefix stand for two replicas: their increments of
// one counter interleave, and none is lost.
func TestEtcdWritersAreSerialised(t *testing.T) {
	needEtcd(t)
	pfx := fmt.Sprintf("/test/ser/%d", testPrefixes.Add(1))
	dbs := []*DB{openEtcdPrefix(t, pfx, EtcdOptions{}), openEtcdPrefix(t, pfx, EtcdOptions{})}
	const each = 25
	var wg sync.WaitGroup
	for _, db := range dbs {
		wg.Go(func() {
			for range each {
				err := db.Update(func(tx *Tx) error {
					_, err := tx.tx.Bucket(bucketInbox).NextSequence()
					return err
				})
				if err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	var got uint64
	dbs[0].View(func(tx *Tx) error { got = tx.tx.Bucket(bucketInbox).Sequence(); return nil })
	if got != 2*each {
		t.Errorf("sequence after %d increments from two handles: %d", 2*each, got)
	}
}

func TestEtcdFence(t *testing.T) {
	needEtcd(t)
	ctx := context.Background()
	db := openEtcdPrefix(t, fmt.Sprintf("/test/fence/%d", testPrefixes.Add(1)), EtcdOptions{})
	key := fmt.Sprintf("/test/fence-key/%d", testPrefixes.Add(1))
	put, err := testEtcd.Put(ctx, key, "me")
	if err != nil {
		t.Fatal(err)
	}
	fencedCalls := make(chan struct{}, 4)
	db.SetFence(key, put.Header.Revision, func() { fencedCalls <- struct{}{} })
	write := func(id string) error {
		return db.Update(func(tx *Tx) error { return tx.AddInbox(&InboxEntry{Platform: "lark", ChatID: "c", MessageID: id}) })
	}
	if err := write("a"); err != nil {
		t.Fatalf("commit while holding the fence: %v", err)
	}
	if err := db.CheckFence(ctx); err != nil {
		t.Fatalf("CheckFence while holding it: %v", err)
	}
	// Another process leads now: the key is gone (and made again by
	// someone else, with a new create revision).
	if _, err := testEtcd.Delete(ctx, key); err != nil {
		t.Fatal(err)
	}
	if _, err := testEtcd.Put(ctx, key, "other"); err != nil {
		t.Fatal(err)
	}
	if err := write("b"); !errors.Is(err, ErrFenced) {
		t.Fatalf("commit after losing the fence: %v, want ErrFenced", err)
	}
	if err := db.CheckFence(ctx); !errors.Is(err, ErrFenced) {
		t.Fatalf("CheckFence after losing it: %v, want ErrFenced", err)
	}
	select {
	case <-fencedCalls:
	case <-time.After(5 * time.Second):
		t.Error("onFenced was not called")
	}
	var n int
	db.View(func(tx *Tx) error { n = tx.InboxLen(); return nil })
	if n != 1 {
		t.Errorf("inbox holds %d entries, want 1 (the fenced commit wrote nothing)", n)
	}
	db.ClearFence()
	if err := write("c"); err != nil {
		t.Errorf("commit without a fence: %v", err)
	}
}

func TestEtcdTxTooLarge(t *testing.T) {
	needEtcd(t)
	db := openEtcdPrefix(t, fmt.Sprintf("/test/large/%d", testPrefixes.Add(1)), EtcdOptions{MaxTxnOps: 16})
	err := db.Update(func(tx *Tx) error {
		for i := range 20 {
			if err := tx.AddInbox(&InboxEntry{Platform: "lark", ChatID: "c", MessageID: fmt.Sprint(i)}); err != nil {
				return err
			}
		}
		return nil
	})
	if !errors.Is(err, ErrTxTooLarge) {
		t.Errorf("20 writes with MaxTxnOps 16: %v, want ErrTxTooLarge", err)
	}
}

// A store copied bbolt → etcd → bbolt keeps every key, value and sequence;
// copying again changes nothing; a target with other data is refused.
func TestCopyBetweenBackends(t *testing.T) {
	needEtcd(t)
	src, err := Open(filepath.Join(t.TempDir(), "src.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	for i := range 30 {
		newTaskIn(t, src, fmt.Sprintf("o%d", i))
	}
	src.Update(func(tx *Tx) error {
		return tx.AddInbox(&InboxEntry{Platform: "lark", ChatID: "c", MessageID: "m"})
	})
	mid := openEtcdPrefix(t, fmt.Sprintf("/test/copy/%d", testPrefixes.Add(1)), EtcdOptions{MaxTxnOps: 64})
	rep, err := Copy(mid, src, false)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Already || rep.Commits < 2 {
		t.Errorf("first copy: %+v; want parts under MaxTxnOps", rep)
	}
	if err := mid.Check(); err != nil {
		t.Error(err)
	}
	again, err := Copy(mid, src, false)
	if err != nil || !again.Already {
		t.Errorf("second copy: %+v, %v; want Already", again, err)
	}
	back, err := Open(filepath.Join(t.TempDir(), "back.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer back.Close()
	if _, err := Copy(back, mid, false); err != nil {
		t.Fatal(err)
	}
	a, _ := src.Sums()
	b, _ := back.Sums()
	if !sumsEqual(a, b) {
		t.Errorf("round trip sums:\n%+v\n%+v", a, b)
	}
	other, err := Open(filepath.Join(t.TempDir(), "other.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	newTaskIn(t, other, "x")
	if _, err := Copy(other, src, false); !errors.Is(err, ErrTargetNotEmpty) {
		t.Errorf("copy onto other data: %v, want ErrTargetNotEmpty", err)
	}
	if _, err := Copy(other, src, true); err != nil {
		t.Errorf("copy with replace: %v", err)
	}
}

func newTaskIn(t *testing.T, db *DB, owner string) {
	t.Helper()
	err := db.Update(func(tx *Tx) error {
		if _, err := tx.EnsureGroup(gk, t0); err != nil {
			return err
		}
		return tx.NewTask(&Task{Group: gk, Topic: "T", Owner: User{ID: owner}, Status: StatusOpen, CreatedAt: t0})
	})
	if err != nil {
		t.Fatal(err)
	}
}
