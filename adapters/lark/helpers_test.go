package lark

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"collabbot/adapters/lark/larkfake"
	"collabbot/adapters/platform"
	"collabbot/bot/bottest"
	"collabbot/bot/chat"

	"github.com/prometheus/client_golang/prometheus"
)

// logBuffer captures slog output for the secrets checks.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func slogTo(l *logBuffer) *slog.Logger {
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type env struct {
	t    *testing.T
	fake *larkfake.Server
	ad   *Adapter
	logs *logBuffer
	reg  *prometheus.Registry
	p    *bottest.Pipeline // set by start
}

var appSeq atomic.Int64

// newEnv starts a fake and an adapter (not started) wired to it. Every env
// gets its own app id and secret, so the SDK's process-wide token cache
// never mixes tests.
func newEnv(t *testing.T, mod func(*Config)) *env {
	t.Helper()
	return newEnvOpts(t, larkfake.Options{}, mod)
}

// newEnvOpts is newEnv with fake options (its ids are set here).
func newEnvOpts(t *testing.T, opts larkfake.Options, mod func(*Config)) *env {
	t.Helper()
	n := appSeq.Add(1)
	opts.AppID = fmt.Sprintf("cli_test%d", n)
	opts.AppSecret = fmt.Sprintf("SuperSecretAppSecret%d", n)
	opts.BotOpenID = "ou_bot"
	fake := larkfake.New(opts)
	t.Cleanup(fake.Close)
	logs := &logBuffer{}
	log := slogTo(logs)
	cfg := Config{
		AppID: fake.AppID(), AppSecret: platform.Secret(fake.AppSecret()), BaseURL: fake.URL,
		StartTimeout: 5 * time.Second, DrainTimeout: 3 * time.Second,
	}
	if mod != nil {
		mod(&cfg)
	}
	reg := prometheus.NewRegistry()
	ad, err := New(cfg, log, reg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	e := &env{t: t, fake: fake, ad: ad, logs: logs, reg: reg}
	t.Cleanup(func() {
		if err := ad.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		e.checkNoSecrets()
	})
	return e
}

// start runs the adapter in a real bot pipeline (store, processor, send
// stage) on a temporary store.
func (e *env) start() *bottest.Pipeline {
	e.t.Helper()
	e.p = bottest.Start(e.t, bottest.Options{}, e.ad)
	return e.p
}

// settle waits until the bot has processed every accepted message and
// sent what it had to send.
func (e *env) settle() {
	e.t.Helper()
	e.p.Settle(e.t)
}

// push delivers a message, requires the ack to be 200 and waits until the
// bot is done with it.
func (e *env) push(m larkfake.Message) {
	e.t.Helper()
	code, err := e.fake.PushMessage(m)
	if err != nil || code != 200 {
		e.t.Fatalf("push: code %d err %v", code, err)
	}
	e.settle()
}

func (e *env) checkNoSecrets() {
	e.t.Helper()
	logs := e.logs.String()
	for _, s := range append(e.fake.Tokens(), e.fake.AppSecret(), e.ad.cfg.EncryptKey.Reveal(), e.ad.cfg.VerificationToken.Reveal()) {
		if s != "" && strings.Contains(logs, s) {
			e.t.Errorf("secret %.6s… appears in the logs", s)
		}
	}
}

// counter reads a counter from the adapter's registry; labels are
// name=value pairs.
func (e *env) counter(name string, labels ...string) float64 {
	e.t.Helper()
	mfs, err := e.reg.Gather()
	if err != nil {
		e.t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	metric:
		for _, m := range mf.GetMetric() {
			have := map[string]string{}
			for _, l := range m.GetLabel() {
				have[l.GetName()] = l.GetValue()
			}
			for i := 0; i+1 < len(labels); i += 2 {
				if have[labels[i]] != labels[i+1] {
					continue metric
				}
			}
			return m.GetCounter().GetValue()
		}
	}
	return 0
}

// waitFor polls cond (it is a condition wait, not a sleep-as-sync) for up
// to 5 s.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// goroutineBaseline returns a check that fails the test if goroutines
// started after the call are still running. One goroutine is exempt: each
// larkws.Client starts a cache-sweeping timer (oapi-sdk-go cache.newCron)
// whose stop is tied to a finalizer that can never run, because the
// goroutine itself keeps the cache reachable; that is an SDK leak of one
// goroutine per client, not ours.
func goroutineBaseline(t *testing.T) func() {
	before, _ := ourGoroutines()
	return func() {
		t.Helper()
		deadline := time.Now().Add(3 * time.Second)
		for {
			n, dump := ourGoroutines()
			if n <= before {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("goroutines leaked: %d > %d\n%s", n, before, dump)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

func ourGoroutines() (int, string) {
	buf := make([]byte, 1<<20)
	dump := string(buf[:runtime.Stack(buf, true)])
	n := 0
	for _, g := range strings.Split(dump, "\n\n") {
		if strings.TrimSpace(g) != "" && !strings.Contains(g, "oapi-sdk-go/v3/cache.(*cron).start") {
			n++
		}
	}
	return n, dump
}

// gateIntake is the one test double of chat.Intake, for the ack-timing
// tests: Accept blocks until the test releases it with a result.
type gateIntake struct {
	mu      sync.Mutex
	msgs    []chat.Message
	entered chan chat.Message
	release chan error
}

func newGateIntake() *gateIntake {
	return &gateIntake{entered: make(chan chat.Message, 16), release: make(chan error)}
}

func (g *gateIntake) Accept(ctx context.Context, m chat.Message) error {
	g.mu.Lock()
	g.msgs = append(g.msgs, m)
	g.mu.Unlock()
	g.entered <- m
	select {
	case err := <-g.release:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (g *gateIntake) HandleAction(context.Context, chat.Action) chat.ActionResult {
	return chat.ActionResult{}
}

func (g *gateIntake) Post(context.Context, chat.Reply) error { return nil }
