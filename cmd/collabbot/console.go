package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"collabbot/adapters/console"
	"collabbot/bot/chat"
	"collabbot/store"
)

func cmdConsole(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("console", flag.ContinueOnError)
	path := fs.String("config", "", "config file (optional)")
	dbPath := fs.String("db", "", "store file (default: store.path, collabbot.db)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := loadOptional(*path)
	if err != nil {
		return err
	}
	if *dbPath != "" {
		cfg.Store.Path = *dbPath
	}
	// The console plays in its own file, never in a shared etcd store.
	cfg.Store.Backend = ""
	log, held, closeLog, err := consoleLog(cfg.Log, stderr)
	if err != nil {
		return err
	}
	defer closeLog()
	// Warnings held for the session, if it never started, still show.
	defer func() {
		for _, n := range held.Release() {
			fmt.Fprintln(stderr, n)
		}
	}()
	clock := console.NewClock(nil)
	a, err := newApp(cfg, log, clock.Now)
	if err != nil {
		return err
	}
	defer a.Close()
	// The simulated clock continues where it was on this store: the bot
	// starts (and reprocesses its inbox) on it.
	saved, err := loadConsoleClock(a.db)
	if err != nil {
		return err
	}
	def := a.bot.Defaults()
	clockNote := restoreConsoleClock(clock, saved, time.Now(), def.Location, cfg.Language)
	con := console.New(console.Options{In: stdin, Out: stdout, User: cfg.Console.User, Clock: clock,
		Location: def.Location, Admins: cfg.Console.Admins, Lang: cfg.Language, Prompt: isTerminal(stdin),
		Notes: func() []string {
			var notes []string
			if n := alsoAdminsNote(cfg, a.db, log); n != "" {
				notes = append(notes, n)
			}
			if clockNote != "" {
				notes = append(notes, clockNote)
			}
			return append(notes, held.Release()...)
		},
		Settle: func(ctx context.Context) {
			// Answers print before the next prompt.
			if err := a.bot.Drain(ctx); err != nil {
				log.Error("process messages", "err", err)
			}
			if err := a.stage.Flush(ctx); err != nil {
				log.Error("send messages", "err", err)
			}
		}})
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	a.adapters = append(a.adapters, con)
	if err := a.startPipeline(ctx, clock.Now); err != nil {
		return err
	}
	if err := a.startAdapters(ctx); err != nil {
		return err
	}
	if err := a.startEngine(ctx, clock.Now); err != nil {
		return err
	}
	con.SetOnClock(func(ctx context.Context, now time.Time) {
		// Saved first: what the engine then decides is at the new time.
		if err := saveConsoleClock(a.db, consoleClock{Offset: clock.Offset(), Latest: now}); err != nil {
			log.Error("save the simulated clock", "err", err)
		}
		if a.engine != nil {
			if err := a.engine.RunDue(ctx, now); err != nil {
				log.Error("reminders", "err", err)
			}
		}
	})
	select {
	case <-con.Done():
	case <-ctx.Done():
	}
	if saved != nil || clock.Offset() != 0 {
		if err := saveConsoleClock(a.db, consoleClock{Offset: clock.Offset(), Latest: clock.Now()}); err != nil {
			log.Error("save the simulated clock", "err", err)
		}
	}
	return nil
}

func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// consoleClockMeta names the console's simulated clock in the store.
const consoleClockMeta = "console.clock"

// consoleClock is the console's simulated clock as kept in its store. The
// offset keeps the clock running while the console is closed, as real time
// does (and is right even after a crash, when Latest is old); Latest, the
// latest simulated time seen, guards against a real clock set back.
type consoleClock struct {
	Offset time.Duration `json:"offset_ns"`
	Latest time.Time     `json:"latest"`
}

func loadConsoleClock(db *store.DB) (*consoleClock, error) {
	var c *consoleClock
	err := db.View(func(tx *store.Tx) error {
		v, err := tx.Meta(consoleClockMeta)
		if err != nil || v == nil {
			return err
		}
		c = new(consoleClock)
		if err := json.Unmarshal(v, c); err != nil {
			return fmt.Errorf("%s: the console's saved clock: %w", db.Path(), err)
		}
		return nil
	})
	return c, err
}

func saveConsoleClock(db *store.DB, c consoleClock) error {
	v, err := json.Marshal(c)
	if err != nil {
		return err
	}
	return db.Update(func(tx *store.Tx) error { return tx.PutMeta(consoleClockMeta, v) })
}

// restoreConsoleClock sets the clock from what the store saved, never
// earlier than the latest simulated time it saw, and says so when the
// clock is not real time.
func restoreConsoleClock(clock *console.Clock, saved *consoleClock, realNow time.Time, loc *time.Location, lang string) string {
	if saved == nil {
		return ""
	}
	clock.SetOffset(saved.Offset)
	if now := clock.Now(); saved.Latest.After(now) {
		clock.Set(saved.Latest)
	}
	ahead := clock.Now().Sub(realNow)
	if ahead < time.Minute {
		return ""
	}
	at := clock.Now().In(loc).Format("2006-01-02 15:04 Mon")
	if lang == "en" {
		return fmt.Sprintf("simulated clock: %s, continued from this store (%s ahead of real time); /clock moves it forward only — use another store (-db) to start at today", at, roundAhead(ahead))
	}
	return fmt.Sprintf("模拟时钟：%s，接着这个存储上次的时间（比真实时间快 %s）；/clock 只能往前拨——要从今天开始，请换一个存储文件（-db）", at, roundAhead(ahead))
}

func roundAhead(d time.Duration) string {
	d = d.Round(time.Minute)
	h, m := int(d.Hours()), int(d.Minutes())%60
	switch {
	case d >= 48*time.Hour:
		return fmt.Sprintf("%.0fd", d.Hours()/24)
	case h == 0:
		return fmt.Sprintf("%dm", m)
	case m == 0:
		return fmt.Sprintf("%dh", h)
	}
	return fmt.Sprintf("%dh%dm", h, m)
}

// alsoAdminsNote names who else is admin in the console group when
// console.admins restricts it: the config's global admins for the console
// and those added with /config admin add.
func alsoAdminsNote(cfg Config, db *store.DB, log *slog.Logger) string {
	if len(cfg.Console.Admins) == 0 {
		return "" // everyone is
	}
	var names []string
	seen := map[string]bool{}
	addName := func(n string) {
		if n != "" && !seen[n] {
			seen[n] = true
			names = append(names, n)
		}
	}
	for _, a := range cfg.Console.Admins {
		seen[a] = true
	}
	for _, a := range cfg.Admins {
		if id, ok := strings.CutPrefix(a, chat.PlatformConsole+":"); ok {
			addName(id)
		} else if !strings.Contains(a, ":") {
			addName(a)
		}
	}
	err := db.View(func(tx *store.Tx) error {
		g, err := tx.Group(store.GroupKey{Platform: chat.PlatformConsole, ChatID: console.ChatID})
		if err != nil {
			return err
		}
		for _, u := range g.Settings.Admins {
			addName(u.ID)
		}
		return nil
	})
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		log.Warn("read the console group's admins", "err", err)
	}
	if len(names) == 0 {
		return ""
	}
	if cfg.Language == "en" {
		return "also admins: " + strings.Join(names, ", ") + " — from admins in the config file or /config admin add"
	}
	return "另外也是管理员：" + strings.Join(names, "、") + "——来自配置文件的 admins 或 /config admin add"
}
