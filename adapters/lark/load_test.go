package lark

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"collabbot/adapters/lark/larkfake"
	"collabbot/adapters/platform"
	"collabbot/bot/bottest"
	"collabbot/bot/chat"
	"collabbot/store"
)

// loadEnv is a real pipeline sending through the real SDK to a fake that
// keeps Lark's documented allowances (larkfake.LarkLimits).
type loadEnv struct {
	fake *larkfake.Server
	p    *bottest.Pipeline
}

func newLoadEnv(tb testing.TB, opts larkfake.Options) *loadEnv {
	tb.Helper()
	n := appSeq.Add(1)
	opts.AppID, opts.AppSecret, opts.BotOpenID = fmt.Sprintf("cli_load%d", n), "LoadTestAppSecret", "ou_bot"
	lim := larkfake.LarkLimits
	opts.Limits = &lim
	fake := larkfake.New(opts)
	tb.Cleanup(fake.Close)
	ad, err := New(Config{AppID: fake.AppID(), AppSecret: platform.Secret(fake.AppSecret()), BaseURL: fake.URL,
		StartTimeout: 5 * time.Second}, slog.New(slog.DiscardHandler), nil)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { ad.Close() })
	return &loadEnv{fake: fake, p: bottest.Start(tb, bottest.Options{}, ad)}
}

// BenchmarkIntakeWhileRepliesBackUp measures what an event costs the
// platform's ack while the replies cannot keep up: the fake answers every
// send after 200 ms, on top of Lark's 50/s, so the outbox grows all along.
// Task messages are Accepted from 32 goroutines across 50 chats; in the
// same run, alternating in rounds (the disk's fsync latency drifts), the
// same messages are put into a bare bbolt file with db.Batch. The ratio is
// raw ns/op ÷ accept ns/op (goal ≥ 0.9). Afterwards every reply must reach
// the fake exactly once. b.N is the message count; the replies drain at
// Lark's 50/s, so run it with -benchtime=1000x (about 20 s).
func BenchmarkIntakeWhileRepliesBackUp(b *testing.B) {
	const rounds = 8
	e := newLoadEnv(b, larkfake.Options{SendDelay: 200 * time.Millisecond})
	for c := range 50 {
		e.fake.SetChat(loadChat(c), larkfake.Chat{OwnerID: "ou_li"})
	}
	raw := rawBatch(b)
	var refused atomic.Int64
	accept := func(i int64) {
		if err := e.p.Bot.Accept(context.Background(), loadMessage(i)); err != nil {
			refused.Add(1)
		}
	}
	b.ResetTimer()
	var rawT, accT time.Duration
	var next int64
	per := max(b.N/rounds, 1)
	for range rounds {
		// The bare puts run once the bot has applied the last round, so
		// that its processing does not slow them: what is compared is
		// the ack path against the bare write, both with the replies
		// backing up.
		e.waitInbox(b)
		rawT += spread(per, next, func(i int64) { raw(i, loadMessage(i)) })
		accT += spread(per, next, accept)
		next += int64(per)
	}
	b.StopTimer()
	b.ReportMetric(float64(rawT.Nanoseconds())/rounds, "raw-ns/op")
	b.ReportMetric(float64(accT.Nanoseconds())/rounds, "accept-ns/op")
	b.ReportMetric(float64(rawT)/float64(accT), "ratio")
	b.ReportMetric(float64(refused.Load()), "refused")
	queued := 0
	_ = e.p.DB.View(func(tx *store.Tx) error { queued = tx.PendingOutboxCount() + tx.InboxLen(); return nil })
	b.ReportMetric(float64(queued), "backlog-at-end")
	if refused.Load() > 0 {
		b.Errorf("%d of %d messages refused", refused.Load(), next)
	}
	// Every reply goes out, once.
	deadline := time.Now().Add(time.Duration(next)*30*time.Millisecond + 30*time.Second)
	for {
		got := map[string]int{}
		for _, s := range e.fake.Sent() {
			got[s.ReplyTo]++
		}
		n, dup := 0, 0
		for i := range next {
			switch got[loadID(i+1)] {
			case 0:
			case 1:
				n++
			default:
				dup++
			}
		}
		if dup > 0 {
			b.Fatalf("%d messages answered more than once", dup)
		}
		if n == int(next) {
			break
		}
		if time.Now().After(deadline) {
			b.Fatalf("%d of %d replies arrived", n, next)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if th := e.fake.ThrottledSends(); len(th) > 0 {
		b.Errorf("the fake throttled %d sends, first %+v", len(th), th[0])
	}
}

// waitInbox returns once the bot has applied every accepted message.
func (e *loadEnv) waitInbox(tb testing.TB) {
	deadline := time.Now().Add(time.Minute)
	for {
		n := 0
		_ = e.p.DB.View(func(tx *store.Tx) error { n = tx.InboxLen(); return nil })
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("%d messages still in the inbox", n)
		}
		time.Sleep(time.Millisecond)
	}
}

func loadChat(c int) string { return fmt.Sprintf("oc_load%02d", c) }
func loadID(i int64) string { return fmt.Sprintf("om_load%07d", i) }

// loadMessage is the i-th task message, as the adapter hands it over.
func loadMessage(i int64) chat.Message {
	return chat.Message{Platform: chat.PlatformLark, ChatID: loadChat(int(i % 50)), MessageID: loadID(i),
		Sender: chat.User{ID: "ou_li", Name: "李四"}, Text: "@张三 【产品研发-需求确认-需前端提供技术评估方案-2099-09-15】",
		Mentions: []chat.User{{ID: "ou_zhang", Name: "张三"}}, Time: time.Now()}
}

// rawBatch is a bare bbolt file with the store's batch setting; put
// encodes the message and puts it under its number, as one Batch call.
func rawBatch(b *testing.B) func(i int64, m chat.Message) {
	db, err := bolt.Open(filepath.Join(b.TempDir(), "raw.db"), 0o600, nil)
	if err != nil {
		b.Fatal(err)
	}
	db.MaxBatchDelay = 2 * time.Millisecond // as store.Open
	b.Cleanup(func() { db.Close() })
	db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucketIfNotExists([]byte("inbox")); return err })
	return func(i int64, m chat.Message) {
		data, _ := json.Marshal(m)
		k := binary.BigEndian.AppendUint64(nil, uint64(i))
		if err := db.Batch(func(tx *bolt.Tx) error { return tx.Bucket([]byte("inbox")).Put(k, data) }); err != nil {
			b.Error(err)
		}
	}
}

// spread runs op count times from 32 goroutines (the SDK runs a handler
// per frame), with ids base+1…, and returns the wall time per op.
func spread(count int, base int64, op func(i int64)) time.Duration {
	var n atomic.Int64
	n.Store(base)
	limit := base + int64(count)
	start := time.Now()
	done := make(chan struct{}, 32)
	for range 32 {
		go func() {
			for i := n.Add(1); i <= limit; i = n.Add(1) {
				op(i)
			}
			done <- struct{}{}
		}()
	}
	for range 32 {
		<-done
	}
	return time.Since(start) / time.Duration(count)
}

// BenchmarkBurst sends one scheduled message to each of 1000 groups
// through the real SDK to a fake that keeps Lark's allowances. Lark lets
// 50 go in any second and 1000 in any minute, so the last can arrive 19 s
// after the first at the earliest; ideal/actual is the share of that
// allowance the stage uses (goal ≥ 0.9), with no send throttled. It takes
// about 20 s per iteration.
func BenchmarkBurst(b *testing.B) {
	for range b.N {
		r := burst(b, 1000)
		b.ReportMetric(r.drain.Seconds(), "drain-s")
		b.ReportMetric(r.ideal.Seconds(), "ideal-s")
		b.ReportMetric(r.ideal.Seconds()/r.drain.Seconds(), "ratio")
		b.ReportMetric(float64(r.throttled), "throttled")
	}
}

// A scheduled message to 120 groups goes out at Lark's pace: the first
// second's 50 in the first second, nothing throttled, every group once,
// all of it close to the 2 s the allowance needs.
func TestBurstUsesTheAllowance(t *testing.T) {
	if testing.Short() {
		t.Skip("takes 2 s")
	}
	r := burst(t, 120)
	t.Logf("drained in %v (ideal %v), %d in the first second", r.drain, r.ideal, r.firstSecond)
	if r.throttled > 0 {
		t.Errorf("%d sends throttled", r.throttled)
	}
	if r.firstSecond != 50 {
		t.Errorf("%d sends in the first second, want Lark's 50", r.firstSecond)
	}
	// The stage's windows are 50 ms longer than Lark's (transit jitter);
	// anything slower than 0.8 of the model is a regression.
	if ratio := r.ideal.Seconds() / r.drain.Seconds(); ratio < 0.8 {
		t.Errorf("drained in %v, ideal %v: ratio %.2f", r.drain, r.ideal, ratio)
	}
}

type burstResult struct {
	drain, ideal time.Duration // first send to last
	firstSecond  int           // sends within a second of the first
	throttled    int
}

func burst(tb testing.TB, groups int) burstResult {
	tb.Helper()
	e := newLoadEnv(tb, larkfake.Options{})
	now := e.p.Bot.Now()
	err := e.p.DB.Update(func(tx *store.Tx) error {
		for i := range groups {
			g := store.GroupKey{Platform: chat.PlatformLark, ChatID: fmt.Sprintf("oc_burst%04d", i)}
			key := "nudge:" + g.ChatID + ":" + now.Format("2006-01-02")
			msg, _ := json.Marshal(chat.Reply{Platform: g.Platform, ChatID: g.ChatID, Key: key, Text: "今日进度请在 18:00 前更新"})
			if _, err := tx.AddOutbox(&store.OutboxEntry{Key: key, Group: g, Kind: "nudge", AtMostOnce: true,
				State: store.OutboxPending, Occasion: now, DecidedAt: now, Message: msg}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	e.p.Stage.KickAll()
	deadline := time.Now().Add(time.Duration(groups)*50*time.Millisecond + 10*time.Second)
	var sent []larkfake.Sent
	for {
		sent = e.fake.Sent()
		if len(sent) >= groups || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if len(sent) != groups {
		tb.Fatalf("%d of %d groups got the message", len(sent), groups)
	}
	per := map[string]int{}
	for _, s := range sent {
		if per[s.ChatID]++; per[s.ChatID] > 1 {
			tb.Fatalf("%s got the message twice", s.ChatID)
		}
	}
	r := burstResult{drain: sent[len(sent)-1].At.Sub(sent[0].At), throttled: len(e.fake.ThrottledSends())}
	r.ideal = time.Duration((groups-1)/larkfake.LarkLimits.PerSecond) * time.Second
	for _, s := range sent {
		if s.At.Sub(sent[0].At) < time.Second {
			r.firstSecond++
		}
	}
	return r
}
