package bot_test

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"collabbot/bot"
	"collabbot/store"
)

// benchParallelism: chat events arrive from many goroutines at once (the
// Lark SDK runs one per frame); bbolt's Batch turns them into few fsyncs.
const benchParallelism = 16

// BenchmarkCommandVsRawBatch measures, in one run, a task-creating message
// handled end to end (parse, permission, dedupe record, task, history,
// reply) against a raw bbolt Batch put of the same task record, both with
// durable commits. The ratio metric is raw ns/op ÷ end-to-end ns/op: 1.0
// means the bot adds nothing over the bare write; the goal is ≥ 0.5.
//
// The disk's fsync latency drifts during a run, so the two alternate in
// rounds and each side's total is compared, not one long stretch of each.
func BenchmarkCommandVsRawBatch(b *testing.B) {
	const rounds = 8
	rawOp, e2eOp := rawBatchPut(b), commandE2E(b)
	var raw, e2e time.Duration
	var next int64
	per := max(b.N/rounds, 1)
	for r := 0; r < rounds; r++ {
		raw += measure(per, next, rawOp)
		e2e += measure(per, next, e2eOp)
		next += int64(per)
	}
	raw /= rounds
	e2e /= rounds
	b.ReportMetric(float64(raw.Nanoseconds()), "raw-ns/op")
	b.ReportMetric(float64(e2e.Nanoseconds()), "e2e-ns/op")
	b.ReportMetric(float64(raw)/float64(e2e), "ratio")
}

// measure runs op count times across concurrent goroutines, with ids from
// base+1, and returns the wall time per op.
func measure(count int, base int64, op func(i int64)) time.Duration {
	var n atomic.Int64
	n.Store(base)
	limit := base + int64(count)
	start := time.Now()
	done := make(chan struct{})
	workers := benchParallelism * 2
	var remaining atomic.Int64
	remaining.Store(int64(workers))
	for range workers {
		go func() {
			for {
				i := n.Add(1)
				if i > limit {
					break
				}
				op(i)
			}
			if remaining.Add(-1) == 0 {
				close(done)
			}
		}()
	}
	<-done
	return time.Since(start) / time.Duration(count)
}

func benchTask(i int64) *store.Task {
	return &store.Task{ID: i, Group: store.GroupKey{Platform: "console", ChatID: "g"}, Topic: "产品研发", Item: "需求确认",
		Request: "需前端提供技术评估方案", Deadline: "9月15日前", Due: t0.Add(48 * time.Hour), Urgency: "routine",
		Owner: store.User{ID: "zs", Name: "张三"}, Initiator: store.User{ID: "ls", Name: "李四"}, Status: store.StatusOpen,
		CreatedAt: t0, MessageID: fmt.Sprintf("m%d", i)}
}

func rawBatchPut(b *testing.B) func(i int64) {
	db, err := bolt.Open(filepath.Join(b.TempDir(), "raw.db"), 0o600, nil)
	if err != nil {
		b.Fatal(err)
	}
	db.MaxBatchDelay = 2 * time.Millisecond // the same setting store.Open uses
	b.Cleanup(func() { db.Close() })
	db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucketIfNotExists([]byte("tasks")); return err })
	return func(i int64) {
		data, _ := json.Marshal(benchTask(i))
		k := make([]byte, 8)
		binary.BigEndian.PutUint64(k, uint64(i))
		if err := db.Batch(func(tx *bolt.Tx) error { return tx.Bucket([]byte("tasks")).Put(k, data) }); err != nil {
			b.Error(err)
		}
	}
}

func commandE2E(b *testing.B) func(i int64) {
	db, err := store.Open(filepath.Join(b.TempDir(), "e2e.db"), nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	bt, err := bot.New(bot.Config{Store: db, Now: func() time.Time { return t0 }})
	if err != nil {
		b.Fatal(err)
	}
	zs := bot.User{ID: "zs", Name: "张三"}
	return func(i int64) {
		r := bt.HandleMessage(context.Background(), bot.Message{Platform: "console", ChatID: "g", MessageID: fmt.Sprintf("m%d", i),
			Sender: bot.User{ID: "ls", Name: "李四"}, Text: "@张三 【产品研发-需求确认-需前端提供技术评估方案-9月15日前】",
			Mentions: []bot.User{zs}, Time: t0})
		if len(r) != 1 || r[0].Card == nil {
			b.Errorf("no task card: %+v", r)
		}
	}
}
