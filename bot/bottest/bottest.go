// Package bottest builds a real bot on a temporary store for tests of the
// adapters and the reminder engine: the same code paths as production, with
// the store checked for consistency when the test ends.
package bottest

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"collabbot/bot"
	"collabbot/bot/chat"
	"collabbot/bot/deliver"
	"collabbot/store"
)

// Options adjust New and Start; the zero value is a Chinese-speaking group
// in Asia/Shanghai where nobody is an admin unless the platform says so.
type Options struct {
	Now func() time.Time
	// Admins are user ids with admin rights in every group.
	Admins   []string
	Defaults *bot.Defaults
	// Path is the store file; empty = a new file in t.TempDir(). A test
	// that restarts the bot passes the same path again.
	Path string
	// Deliver tunes the send stage (Start only); Now and Hold are set by
	// Start.
	Deliver deliver.Options
}

// New returns a bot on a fresh store in t.TempDir(), processing nothing in
// the background (HandleMessage processes synchronously). At cleanup the
// store is checked with bbolt's consistency check and closed.
func New(t testing.TB, opts ...Options) *bot.Bot {
	t.Helper()
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	db := openStore(t, o.Path)
	t.Cleanup(func() { checkClose(t, db) })
	return newBot(t, o, db)
}

func checkClose(t testing.TB, db *store.DB) {
	if err := db.Check(); err != nil {
		t.Errorf("store check: %v", err)
	}
	db.Close()
}

func openStore(t testing.TB, path string) *store.DB {
	t.Helper()
	if path == "" {
		path = filepath.Join(t.TempDir(), "collabbot.db")
	}
	db, err := store.Open(path, &store.Options{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	return db
}

func newBot(t testing.TB, o Options, db *store.DB) *bot.Bot {
	t.Helper()
	def := bot.DefaultDefaults()
	if o.Defaults != nil {
		def = *o.Defaults
	}
	b, err := bot.New(bot.Config{Store: db, Defaults: def, Now: o.Now, Admins: o.Admins})
	if err != nil {
		t.Fatalf("bot.New: %v", err)
	}
	return b
}

// Pipeline is a running bot: inbox workers, send stage and adapters.
type Pipeline struct {
	Bot      *bot.Bot
	DB       *store.DB
	Stage    *deliver.Stage
	Adapters []chat.Adapter

	t      testing.TB
	closed bool
}

// Start builds a real bot (on Options.Path, or a new store), starts its
// inbox workers and send stage, then starts each adapter with the bot as
// its chat.Intake and registers it as its platform's sender. Cleanup (or
// Stop) closes everything in reverse order.
func Start(t testing.TB, o Options, adapters ...chat.Adapter) *Pipeline {
	t.Helper()
	db := openStore(t, o.Path)
	b := newBot(t, o, db)
	dopt := o.Deliver
	dopt.Now = b.Now
	dopt.Hold = b.Hold
	st, err := deliver.New(db, dopt)
	if err != nil {
		t.Fatalf("deliver.New: %v", err)
	}
	b.SetOutbox(st)
	p := &Pipeline{t: t, Bot: b, DB: db, Stage: st, Adapters: adapters}
	t.Cleanup(p.Stop)
	for _, a := range adapters {
		st.AddSender(a.Platform(), a)
		b.AddPlatform(a.Platform(), a)
	}
	ctx := context.Background()
	if err := b.Start(ctx); err != nil {
		t.Fatalf("bot.Start: %v", err)
	}
	if err := st.Start(ctx); err != nil {
		t.Fatalf("deliver.Start: %v", err)
	}
	for _, a := range adapters {
		sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		err := a.Start(sctx, b)
		cancel()
		if err != nil {
			t.Fatalf("start %s: %v", a.Platform(), err)
		}
	}
	return p
}

// Stop closes the send stage, the adapters and the inbox workers, in that
// order, as a graceful shutdown does, then checks and closes the store. A
// test restarts the bot with Stop, then Start on the same Path.
func (p *Pipeline) Stop() {
	if p.closed {
		return
	}
	p.closed = true
	p.Stage.Close()
	for i := len(p.Adapters) - 1; i >= 0; i-- {
		p.Adapters[i].Close()
	}
	p.Bot.Close()
	checkClose(p.t, p.DB)
}

// Settle waits until the inbox is empty and no sendable outbox entry is
// left (held and backing-off entries do not count), for up to 10 s.
func (p *Pipeline) Settle(t testing.TB) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		n := 0
		_ = p.DB.View(func(tx *store.Tx) error { n = tx.InboxLen(); return nil })
		if n == 0 && p.Stage.Sendable() == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("bottest: not settled after 10s: %d in the inbox, %d sendable", n, p.Stage.Sendable())
		}
		time.Sleep(5 * time.Millisecond)
	}
}
