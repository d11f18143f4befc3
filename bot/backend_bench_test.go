package bot_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"collabbot/bot"
	"collabbot/bot/chat"
	"collabbot/store"
	"collabbot/store/etcdtest"
)

// BenchmarkTaskCommandsByBackend: task-creating commands (HandleMessage:
// the inbox commit, then the task, its history, the reply in the outbox
// and the inbox entry's removal in a second commit) per second on each
// backend, against raw writes of the same task record to the same backend
// in the same run (bbolt: a Batch put; etcd: a plain Put to the same
// one-member embedded cluster), both from benchParallelism*2 goroutines.
// ratio = commands/s ÷ raw writes/s.
func BenchmarkTaskCommandsByBackend(b *testing.B) {
	b.Run("bbolt", func(b *testing.B) {
		db, err := store.Open(filepath.Join(b.TempDir(), "cmd.db"), nil)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { db.Close() })
		compareRaw(b, rawBatchPut(b), commandOn(b, db))
	})
	b.Run("etcd", func(b *testing.B) {
		c := etcdtest.New(b, 1)
		cli := c.Client(b)
		db, err := store.OpenEtcd(cli, &store.EtcdOptions{Prefix: "/bench", MaxTxnOps: etcdtest.MaxTxnOps})
		if err != nil {
			b.Fatal(err)
		}
		compareRaw(b, rawEtcdPut(b, cli), commandOn(b, db))
	})
}

func compareRaw(b *testing.B, rawOp, cmdOp func(int64)) {
	const rounds = 4
	var raw, cmd time.Duration
	var next int64
	per := max(b.N/rounds, 1)
	for range rounds {
		raw += measure(per, next, rawOp)
		cmd += measure(per, next, cmdOp)
		next += int64(per)
	}
	raw /= rounds
	cmd /= rounds
	b.ReportMetric(float64(time.Second)/float64(cmd), "commands/s")
	b.ReportMetric(float64(time.Second)/float64(raw), "raw-writes/s")
	b.ReportMetric(float64(raw)/float64(cmd), "ratio")
}

func rawEtcdPut(b *testing.B, cli *clientv3.Client) func(int64) {
	return func(i int64) {
		data, _ := json.Marshal(benchTask(i))
		if _, err := cli.Put(context.Background(), fmt.Sprintf("/raw/tasks/%016x", i), string(data)); err != nil {
			b.Error(err)
		}
	}
}

func commandOn(b *testing.B, db *store.DB) func(int64) {
	bt, err := bot.New(bot.Config{Store: db, Now: func() time.Time { return t0 }})
	if err != nil {
		b.Fatal(err)
	}
	zs := chat.User{ID: "zs", Name: "张三"}
	return func(i int64) {
		r := bt.HandleMessage(context.Background(), chat.Message{Platform: "console", ChatID: fmt.Sprintf("g%d", i%50), MessageID: fmt.Sprintf("m%d", i),
			Sender: chat.User{ID: "ls", Name: "李四"}, Text: "@张三 【产品研发-需求确认-需前端提供技术评估方案-9月15日前】",
			Mentions: []chat.User{zs}, Time: t0})
		if len(r) != 1 || r[0].Card == nil {
			b.Errorf("no task card: %+v", r)
		}
	}
}
