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
	"collabbot/bot/chat"
	"collabbot/store"
)

// benchParallelism: chat events arrive from many goroutines at once (the
// Lark SDK runs one per frame); bbolt's Batch turns them into few fsyncs.
const benchParallelism = 16

var benchWorkers = 8

// BenchmarkPipelineVsRawBatch measures, in one run, the whole path of a
// task-creating message as adapters drive it: Accept (the durable inbox
// commit the platform's ack waits for) from many goroutines across 50
// chats, then the inbox workers (parse, permission, task, history, reply
// recorded in the outbox, inbox entry removed), until every message is
// processed; against a raw bbolt Batch put of the same task record, both
// with durable commits. The ratio metric is raw ns/op ÷ pipeline ns/op:
// 1.0 means the bot adds nothing over the bare write; the goal is ≥ 0.9.
//
// The disk's fsync latency drifts during a run, so the two alternate in
// rounds and each side's total is compared, not one long stretch of each.
func BenchmarkPipelineVsRawBatch(b *testing.B) {
	const rounds = 8
	rawOp := rawBatchPut(b)
	pipe := pipeline(b)
	var raw, e2e, acc time.Duration
	var next int64
	per := max(b.N/rounds, 1)
	for r := 0; r < rounds; r++ {
		raw += measure(per, next, rawOp)
		start := time.Now()
		acc += measure(per, next, pipe.accept)
		pipe.wait(b)
		e2e += time.Since(start) / time.Duration(per)
		next += int64(per)
	}
	raw /= rounds
	e2e /= rounds
	b.ReportMetric(float64(raw.Nanoseconds()), "raw-ns/op")
	b.ReportMetric(float64(e2e.Nanoseconds()), "pipeline-ns/op")
	b.ReportMetric(float64(acc.Nanoseconds())/rounds, "accept-ns/op")
	b.ReportMetric(float64(raw)/float64(e2e), "ratio")
}

type benchPipeline struct {
	bt *bot.Bot
	db *store.DB
}

func pipeline(b *testing.B) *benchPipeline {
	db, err := store.Open(filepath.Join(b.TempDir(), "pipe.db"), nil)
	if err != nil {
		b.Fatal(err)
	}
	bt, err := bot.New(bot.Config{Store: db, Now: func() time.Time { return t0 }, Workers: benchWorkers})
	if err != nil {
		b.Fatal(err)
	}
	if err := bt.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { bt.Close(); db.Close() })
	return &benchPipeline{bt: bt, db: db}
}

func (p *benchPipeline) accept(i int64) {
	err := p.bt.Accept(context.Background(), chat.Message{Platform: "console", ChatID: fmt.Sprintf("g%d", i%50),
		MessageID: fmt.Sprintf("m%d", i), Sender: chat.User{ID: "ls", Name: "李四"},
		Text: "@张三 【产品研发-需求确认-需前端提供技术评估方案-9月15日前】", Mentions: []chat.User{{ID: "zs", Name: "张三"}}, Time: t0})
	if err != nil {
		panic(err)
	}
}

// wait returns once the inbox is empty: every accepted message applied.
func (p *benchPipeline) wait(b *testing.B) {
	for {
		n := 0
		p.db.View(func(tx *store.Tx) error { n = tx.InboxLen(); return nil })
		if n == 0 {
			return
		}
		time.Sleep(200 * time.Microsecond)
	}
}

// BenchmarkHandleVsRawBatch is the synchronous path tests use
// (HandleMessage: accept and apply in the caller, two commits in a row per
// message) against the same raw put; it bounds the latency of one message
// rather than the throughput of many.
func BenchmarkHandleVsRawBatch(b *testing.B) {
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
	zs := chat.User{ID: "zs", Name: "张三"}
	return func(i int64) {
		r := bt.HandleMessage(context.Background(), chat.Message{Platform: "console", ChatID: "g", MessageID: fmt.Sprintf("m%d", i),
			Sender: chat.User{ID: "ls", Name: "李四"}, Text: "@张三 【产品研发-需求确认-需前端提供技术评估方案-9月15日前】",
			Mentions: []chat.User{zs}, Time: t0})
		if len(r) != 1 || r[0].Card == nil {
			b.Errorf("no task card: %+v", r)
		}
	}
}
