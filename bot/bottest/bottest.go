// Package bottest builds a real bot on a temporary store for tests of the
// adapters and the reminder engine: the same code paths as production, with
// the store checked for consistency when the test ends.
package bottest

import (
	"path/filepath"
	"testing"
	"time"

	"collabbot/bot"
	"collabbot/store"
)

// Options adjust New; the zero value is a Chinese-speaking group in
// Asia/Shanghai where nobody is an admin unless the platform says so.
type Options struct {
	Now func() time.Time
	// Admins are user ids with admin rights in every group.
	Admins   []string
	Defaults *bot.Defaults
}

// New returns a bot on a fresh store in t.TempDir(). At cleanup the store is
// checked with bbolt's consistency check and closed.
func New(t testing.TB, opts ...Options) *bot.Bot {
	t.Helper()
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	db, err := store.Open(filepath.Join(t.TempDir(), "collabbot.db"), nil)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() {
		if err := db.Check(); err != nil {
			t.Errorf("store check: %v", err)
		}
		db.Close()
	})
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
