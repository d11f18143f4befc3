package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"collabbot/bot/chat"
	"collabbot/store"
	"collabbot/store/etcdtest"
)

// Replicas on a real three-member etcd cluster (embedded, loopback ports):
// the fake platform below stands for the chat platform every replica is
// connected to, and counts what each replica posts.

var (
	rZhangSan = chat.User{ID: "zs", Name: "张三"}
	rLiSi     = chat.User{ID: "ls", Name: "李四"}
	shanghai  = time.FixedZone("CST", 8*3600)
)

// replicaPlatform dedupes by key as the platforms' idempotent routes do
// (Lark's uuid), and records who posted each key and how often.
type replicaPlatform struct {
	mu     sync.Mutex
	posts  map[string][]string // key → replicas that posted it
	calls  map[string]int      // Send calls per replica
	holdOn map[string]bool     // replicas whose sends fail without posting
}

func newReplicaPlatform() *replicaPlatform {
	return &replicaPlatform{posts: map[string][]string{}, calls: map[string]int{}, holdOn: map[string]bool{}}
}

func (p *replicaPlatform) hold(replica string, on bool) {
	p.mu.Lock()
	p.holdOn[replica] = on
	p.mu.Unlock()
}

func (p *replicaPlatform) snapshot() (posts map[string][]string, calls map[string]int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	posts = map[string][]string{}
	for k, v := range p.posts {
		posts[k] = append([]string(nil), v...)
	}
	calls = map[string]int{}
	for k, v := range p.calls {
		calls[k] = v
	}
	return posts, calls
}

// replicaAdapter is one replica's connection to the fake platform.
type replicaAdapter struct {
	replica string
	p       *replicaPlatform
}

func (a *replicaAdapter) Platform() string                               { return chat.PlatformConsole }
func (a *replicaAdapter) Start(ctx context.Context, _ chat.Intake) error { return nil }
func (a *replicaAdapter) Close() error                                   { return nil }
func (a *replicaAdapter) Route(chat.Reply) chat.Route {
	return chat.Route{Name: "fake", Idempotent: true}
}
func (a *replicaAdapter) Limits() chat.Limits {
	return chat.Limits{PerSecond: 1000, ChatPerSecond: 1000, ChatBurst: 1000}
}
func (a *replicaAdapter) Send(ctx context.Context, r chat.Reply) error {
	a.p.mu.Lock()
	defer a.p.mu.Unlock()
	if a.p.holdOn[a.replica] {
		return &chat.SendError{Reason: chat.ReasonTransient, Retry: true, Err: fmt.Errorf("held")}
	}
	a.p.calls[a.replica]++
	a.p.posts[r.Key] = append(a.p.posts[r.Key], a.replica)
	return nil
}

// testClock is the replicas' shared clock.
type testClock struct{ t atomic.Pointer[time.Time] }

func (c *testClock) set(t time.Time) { c.t.Store(&t) }
func (c *testClock) Now() time.Time  { return *c.t.Load() }

type testReplica struct {
	name   string
	a      *app
	cancel context.CancelFunc
	// pauseCommits and pauseSends hold the replica's commits and sends
	// as a stop-the-world pause would; closing resume releases them.
	pauseCommits, pauseSends atomic.Bool
	resume                   chan struct{}
	resumed                  atomic.Bool
	heldCommits, heldSends   atomic.Int32
}

func (r *testReplica) commitPoint() {
	if r.pauseCommits.Load() {
		r.heldCommits.Add(1)
		<-r.resume
	}
}

func (r *testReplica) sendPoint() {
	if r.pauseSends.Load() {
		r.heldSends.Add(1)
		<-r.resume
	}
}

func (r *testReplica) wake() {
	r.pauseCommits.Store(false)
	r.pauseSends.Store(false)
	if !r.resumed.Swap(true) {
		close(r.resume)
	}
}

func startReplica(t *testing.T, c *etcdtest.Cluster, prefix, name string, p *replicaPlatform, clk *testClock) *testReplica {
	t.Helper()
	r := &testReplica{name: name, resume: make(chan struct{})}
	cfg := DefaultConfig()
	cfg.HTTP.Listen = ""
	cfg.Store.Backend = "etcd"
	cfg.Store.Etcd = EtcdConfig{Endpoints: c.Endpoints, Prefix: prefix, SessionTTL: "2s", InboxPoll: "100ms",
		MaxTxnOps: etcdtest.MaxTxnOps, Replica: name, beforeCommit: r.commitPoint}
	if err := cfg.validate(); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	a, err := newApp(cfg, log.With("replica", name), clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	a.adapters = append(a.adapters, &replicaAdapter{replica: name, p: p})
	a.replica.gate = func(context.Context) error { r.sendPoint(); return nil }
	ctx, cancel := context.WithCancel(context.Background())
	r.a, r.cancel = a, cancel
	if err := a.startReplica(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.stop)
	return r
}

// kill ends the replica as a crash would: its connections drop at once,
// so it neither resigns nor commits anything more.
func (r *testReplica) kill() {
	r.a.replica.cli.Close()
	r.a.replica.ecli.Close()
	r.stop()
}

func (r *testReplica) stop() {
	r.wake()
	r.cancel()
	r.a.Close()
}

func (r *testReplica) leader() bool { return r.a.replica.role() == "leader" }

func waitUntil(t *testing.T, d time.Duration, what string, ok func() bool) {
	t.Helper()
	end := time.Now().Add(d)
	for !ok() {
		if time.Now().After(end) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func taskMessage(id string, i int) chat.Message {
	return chat.Message{Platform: chat.PlatformConsole, ChatID: "g1", MessageID: id, Sender: rLiSi,
		Text:     fmt.Sprintf("@张三 【产品研发-需求确认-方案%d-10月30日前】", i),
		Mentions: []chat.User{rZhangSan}, Time: time.Date(2026, 9, 29, 16, 0, i, 0, shanghai)}
}

func storeState(t *testing.T, db *store.DB) (inbox, pending, tasks int) {
	t.Helper()
	err := db.View(func(tx *store.Tx) error {
		inbox, pending = tx.InboxLen(), tx.PendingOutboxCount()
		return tx.Tasks(store.GroupKey{Platform: chat.PlatformConsole, ChatID: "g1"}, func(*store.Task) error {
			tasks++
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return
}

// seedNudge makes a task that is owed the 17:00 nudge on 2026-09-29.
func seedNudge(t *testing.T, r *testReplica) {
	t.Helper()
	ctx := context.Background()
	m := taskMessage("seed1", 0)
	m.Time = time.Date(2026, 9, 28, 11, 0, 0, 0, shanghai)
	if err := r.a.bot.Accept(ctx, m); err != nil {
		t.Fatal(err)
	}
	ack := chat.Message{Platform: chat.PlatformConsole, ChatID: "g1", MessageID: "seed2", Sender: rZhangSan,
		Text: "/ack #1", Time: time.Date(2026, 9, 28, 11, 1, 0, 0, shanghai)}
	if err := r.a.bot.Accept(ctx, ack); err != nil {
		t.Fatal(err)
	}
}

// Two replicas; the leader dies with events accepted but not processed,
// replies recorded but not sent, and the 17:00 nudge owed. The other
// takes over: every event is processed once, every reply and the nudge
// are posted once, and nothing is lost.
func TestReplicasLeaderDiesMidBurst(t *testing.T) {
	c := etcdtest.New(t, 3)
	p := newReplicaPlatform()
	clk := &testClock{}
	clk.set(time.Date(2026, 9, 29, 16, 50, 0, 0, shanghai))
	a := startReplica(t, c, "/cb/failover", "a", p, clk)
	waitUntil(t, 10*time.Second, "replica a to lead", a.leader)
	b := startReplica(t, c, "/cb/failover", "b", p, clk)
	seedNudge(t, a)
	waitUntil(t, 10*time.Second, "the seed replies", func() bool {
		posts, _ := p.snapshot()
		return len(posts["reply:console:seed1"]) == 1 && len(posts["reply:console:seed2"]) == 1
	})
	if b.leader() {
		t.Fatal("two leaders")
	}
	if h := health(b); !strings.Contains(h, "replica follower") {
		t.Errorf("b's /healthz before the kill: %q", h)
	}

	// a keeps processing, but its sends fail from now on: its outbox fills.
	p.hold("a", true)
	clk.set(time.Date(2026, 9, 29, 17, 5, 0, 0, shanghai))
	const n = 40
	ids := map[string]bool{}
	var wg sync.WaitGroup
	for i := range n {
		id := fmt.Sprintf("burst%02d", i)
		ids[id] = true
		via := a
		if i%2 == 1 {
			via = b // the follower accepts into the shared inbox too
		}
		wg.Go(func() {
			if err := via.a.bot.Accept(context.Background(), taskMessage(id, i+1)); err != nil {
				t.Errorf("accept %s on %s: %v", id, via.name, err)
			}
		})
	}
	wg.Wait()
	waitUntil(t, 10*time.Second, "a to record replies it cannot send", func() bool {
		_, pending, _ := storeState(t, b.a.db)
		return pending > 0
	})
	// The last events reach the follower just before the leader dies.
	for i := n; i < n+4; i++ {
		id := fmt.Sprintf("burst%02d", i)
		ids[id] = true
		if err := b.a.bot.Accept(context.Background(), taskMessage(id, i+1)); err != nil {
			t.Fatal(err)
		}
	}
	inbox, pending, _ := storeState(t, b.a.db)
	start := time.Now()
	a.kill()
	t.Logf("at the kill: %d events in the inbox, %d messages unsent", inbox, pending)
	if inbox == 0 || pending == 0 {
		t.Errorf("the kill came too late: inbox %d, pending %d", inbox, pending)
	}
	waitUntil(t, 15*time.Second, "replica b to lead", b.leader)
	t.Logf("b leads %v after the kill", time.Since(start).Round(time.Millisecond))
	if h := health(b); !strings.Contains(h, "replica leader") {
		t.Errorf("b's /healthz after the takeover: %q", h)
	}
	nudgeKey := ""
	waitUntil(t, 15*time.Second, "every reply and the nudge", func() bool {
		posts, _ := p.snapshot()
		for id := range ids {
			if len(posts["reply:console:"+id]) == 0 {
				return false
			}
		}
		for k := range posts {
			if strings.HasPrefix(k, "nudge:console:g1:2026-09-29") {
				nudgeKey = k
			}
		}
		return nudgeKey != ""
	})
	time.Sleep(500 * time.Millisecond) // anything sent twice would show by now
	posts, calls := p.snapshot()
	for k, who := range posts {
		if len(who) != 1 {
			t.Errorf("%s posted %d times (by %v)", k, len(who), who)
		}
	}
	if len(posts) != len(ids)+3 {
		t.Errorf("%d keys posted, want %d (the burst, two seed replies, one nudge)", len(posts), len(ids)+3)
	}
	inbox, pending, tasks := storeState(t, b.a.db)
	if inbox != 0 || pending != 0 || tasks != len(ids)+1 {
		t.Errorf("after the takeover: inbox %d, pending %d, tasks %d; want 0, 0, %d", inbox, pending, tasks, len(ids)+1)
	}
	t.Logf("posts: %d keys; Send calls %v", len(posts), calls)
}

// A leader paused (a long GC pause: its lease keep-alives stop, its
// commits and sends wait) past its session's TTL loses to the other
// replica; when it wakes, its commit is refused (ErrFenced) and its send
// is not made.
func TestReplicasPausedLeaderIsFenced(t *testing.T) {
	c := etcdtest.New(t, 3)
	p := newReplicaPlatform()
	clk := &testClock{}
	clk.set(time.Date(2026, 9, 29, 10, 0, 0, 0, shanghai))
	a := startReplica(t, c, "/cb/pause", "a", p, clk)
	waitUntil(t, 10*time.Second, "replica a to lead", a.leader)
	b := startReplica(t, c, "/cb/pause", "b", p, clk)
	ctx := context.Background()

	// a processes m1 and is paused before it sends the reply; then m2
	// arrives and a is paused before it commits its processing.
	a.pauseSends.Store(true)
	if err := b.a.bot.Accept(ctx, taskMessage("m1", 1)); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 10*time.Second, "a to hold its send", func() bool { return a.heldSends.Load() > 0 })
	a.pauseCommits.Store(true)
	if err := b.a.bot.Accept(ctx, taskMessage("m2", 2)); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 10*time.Second, "a to hold its commit", func() bool { return a.heldCommits.Load() > 0 })
	// The world stops for a: its session's keep-alives too.
	a.a.replica.ecli.Close()
	start := time.Now()
	waitUntil(t, 15*time.Second, "replica b to lead", b.leader)
	t.Logf("b leads %v after a's pause began", time.Since(start).Round(time.Millisecond))
	waitUntil(t, 15*time.Second, "b to answer m1 and m2", func() bool {
		posts, _ := p.snapshot()
		return len(posts["reply:console:m1"]) > 0 && len(posts["reply:console:m2"]) > 0
	})
	// a wakes up.
	a.wake()
	waitUntil(t, 10*time.Second, "a to step down", func() bool { return !a.leader() })
	waitUntil(t, 10*time.Second, "a's refused commit", func() bool {
		return metricValue(t, a, "collabbot_fencing_rejections_total") >= 1
	})
	time.Sleep(500 * time.Millisecond)
	posts, calls := p.snapshot()
	if calls["a"] != 0 {
		t.Errorf("the paused leader made %d sends after it woke", calls["a"])
	}
	for k, who := range posts {
		if len(who) != 1 {
			t.Errorf("%s posted %d times (by %v)", k, len(who), who)
		}
	}
	t.Logf("a held %d commits and %d sends; fencing rejections %v, leadership changes %v; sends %v",
		a.heldCommits.Load(), a.heldSends.Load(), metricValue(t, a, "collabbot_fencing_rejections_total"),
		metricValue(t, a, "collabbot_leadership_changes_total"), calls)
	// What a's refused commit would have done, b did once.
	_, pending, tasks := storeState(t, b.a.db)
	if pending != 0 || tasks != 2 {
		t.Errorf("pending %d tasks %d, want 0 and 2", pending, tasks)
	}
}

func metricValue(t *testing.T, r *testReplica, name string) float64 {
	t.Helper()
	mfs, err := r.a.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		v := 0.0
		for _, m := range mf.GetMetric() {
			v += m.GetCounter().GetValue() + m.GetGauge().GetValue()
		}
		return v
	}
	return 0
}

func health(r *testReplica) string {
	rec := httptest.NewRecorder()
	r.a.serveHealth(rec, httptest.NewRequest("GET", "/healthz", nil))
	return fmt.Sprint(rec.Code, " ", rec.Body.String())
}
