package main

import (
	"context"
	"crypto/subtle"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"collabbot/adapters/console"
	"collabbot/bot"
	"collabbot/rules"
	"collabbot/store"
)

// app is everything a running collabbot holds, closed in reverse order.
type app struct {
	cfg      Config
	log      *slog.Logger
	db       *store.DB
	bot      *bot.Bot
	reg      *prometheus.Registry
	adapters []bot.Adapter
	engine   engine
	http     *http.Server
	httpLn   net.Listener
	mux      *http.ServeMux
}

// httpAddr is the address the HTTP listener got (port 0 picks one).
func (a *app) httpAddr() string {
	if a.httpLn == nil {
		return ""
	}
	return a.httpLn.Addr().String()
}

// engine is the reminder engine as the app drives it.
type engine interface {
	Start(ctx context.Context) error
	RunDue(ctx context.Context, now time.Time) error
	Close() error
}

func nowIn(tz string) time.Time {
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return time.Now()
	}
	return time.Now().In(loc)
}

// calendarWarnings: each year's holiday schedule is published in the
// November before, so a missing current or next year must be visible.
func calendarWarnings(cal rules.Calendar, now time.Time) []string {
	var out []string
	for _, y := range []int{now.Year(), now.Year() + 1} {
		if !cal.HasYear(y) {
			out = append(out, fmt.Sprintf("the working calendar has no holiday data for %d: add the published schedule to the file named by calendar.overrides, or every weekday counts as a working day", y))
		}
	}
	return out
}

// newApp opens the store and builds the bot. now is the bot's clock.
func newApp(cfg Config, log *slog.Logger, now func() time.Time) (*app, error) {
	def, err := cfg.Defaults()
	if err != nil {
		return nil, err
	}
	cal, err := cfg.WorkCalendar()
	if err != nil {
		return nil, err
	}
	for _, w := range calendarWarnings(cal, time.Now().In(def.Location)) {
		log.Warn(w)
	}
	if dir := filepath.Dir(cfg.Store.Path); dir != "." {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, err
		}
	}
	db, err := store.Open(cfg.Store.Path, &store.Options{Timeout: time.Second})
	if err != nil {
		return nil, err
	}
	admins := append([]string{}, cfg.Admins...)
	for _, a := range cfg.Lark.Admins {
		admins = append(admins, bot.PlatformLark+":"+a)
	}
	for _, a := range cfg.DingTalk.Admins {
		admins = append(admins, bot.PlatformDingTalk+":"+a)
	}
	b, err := bot.New(bot.Config{Store: db, Calendar: cal, Defaults: def, Admins: admins, Now: now, Log: log})
	if err != nil {
		db.Close()
		return nil, err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return &app{cfg: cfg, log: log, db: db, bot: b, reg: reg, mux: http.NewServeMux()}, nil
}

// startAdapters starts every adapter the app holds and registers each as
// its platform's sender. The app owns its adapters from the moment they are
// built, and Close closes them all, started or not (Close is safe before
// Start), so no failure path here needs its own cleanup.
func (a *app) startAdapters(ctx context.Context) error {
	for _, ad := range a.adapters {
		if err := ad.Start(ctx, a.bot); err != nil {
			return fmt.Errorf("start %s: %w", ad.Platform(), err)
		}
		a.bot.AddSender(ad.Platform(), ad)
		a.log.Info("adapter started", "platform", ad.Platform())
	}
	return nil
}

// startHTTP serves health, metrics and the backup endpoint.
func (a *app) startHTTP() error {
	if a.cfg.HTTP.Listen == "" {
		return nil
	}
	a.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok\n")
	})
	a.mux.Handle("GET /metrics", promhttp.HandlerFor(a.reg, promhttp.HandlerOpts{Registry: a.reg}))
	a.mux.HandleFunc("GET /admin/backup", a.serveBackup)
	ln, err := net.Listen("tcp", a.cfg.HTTP.Listen)
	if err != nil {
		return fmt.Errorf("http.listen: %w", err)
	}
	a.httpLn = ln
	a.http = &http.Server{Handler: a.mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := a.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.log.Error("http server", "err", err)
		}
	}()
	a.log.Info("http listening", "addr", ln.Addr().String())
	return nil
}

// serveBackup streams a consistent copy of the store: the running process
// holds bbolt's file lock, so a hot backup has to come from here.
func (a *app) serveBackup(w http.ResponseWriter, r *http.Request) {
	if !a.backupAllowed(r) {
		http.Error(w, "forbidden", http.StatusForbidden)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	if _, err := a.db.Backup(w); err != nil {
		a.log.Error("backup", "err", err)
	}
}

func (a *app) backupAllowed(r *http.Request) bool {
	if tok := a.cfg.HTTP.AdminToken; tok != "" {
		got := r.Header.Get("Authorization")
		return subtle.ConstantTimeCompare([]byte(got), []byte("Bearer "+tok)) == 1
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	ip := net.ParseIP(host)
	return err == nil && ip != nil && ip.IsLoopback()
}

// Close stops everything; safe after a partial start.
func (a *app) Close() error {
	var errs []error
	if a.engine != nil {
		errs = append(errs, a.engine.Close())
	}
	for i := len(a.adapters) - 1; i >= 0; i-- {
		errs = append(errs, a.adapters[i].Close())
	}
	if a.http != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		errs = append(errs, a.http.Shutdown(ctx))
		cancel()
	}
	if a.db != nil {
		errs = append(errs, a.db.Close())
	}
	return errors.Join(errs...)
}

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
	log := newLogger(cfg.Log, stderr)
	clock := console.NewClock(nil)
	a, err := newApp(cfg, log, clock.Now)
	if err != nil {
		return err
	}
	defer a.Close()
	def := a.bot.Defaults()
	con := console.New(console.Options{In: stdin, Out: stdout, User: cfg.Console.User, Clock: clock,
		Location: def.Location, Admins: cfg.Console.Admins, Prompt: isTerminal(stdin)})
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	a.adapters = append(a.adapters, con)
	if err := a.startAdapters(ctx); err != nil {
		return err
	}
	if err := a.startEngine(ctx, clock.Now); err != nil {
		return err
	}
	con.SetOnClock(func(ctx context.Context, now time.Time) {
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

func cmdRun(args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	path := fs.String("config", "", "config file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *path == "" {
		return fmt.Errorf("-config FILE is required (try `collabbot console` to run without one)")
	}
	cfg, err := LoadConfig(*path)
	if err != nil {
		return err
	}
	log := newLogger(cfg.Log, stderr)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return serve(ctx, cfg, log, nil)
}

// serve runs the bot until ctx ends. ready, if set, is called once
// everything has started (tests use it to reach the app).
func serve(ctx context.Context, cfg Config, log *slog.Logger, ready func(*app)) error {
	a, err := newApp(cfg, log, nil)
	if err != nil {
		return err
	}
	defer a.Close()
	if err := a.addPlatformAdapters(cfg); err != nil {
		return err
	}
	if len(a.adapters) == 0 {
		log.Warn("no platform is enabled: set lark.enabled or dingtalk.enabled (collabbot console runs without one)")
	}
	if err := a.startHTTP(); err != nil {
		return err
	}
	if err := a.startAdapters(ctx); err != nil {
		return err
	}
	if err := a.startEngine(ctx, nil); err != nil {
		return err
	}
	go a.pruneEvents(ctx)
	log.Info("collabbot running")
	if ready != nil {
		ready(a)
	}
	<-ctx.Done()
	log.Info("shutting down")
	return nil
}

// pruneEvents forgets old processed-event ids hourly, so the log stays
// small while covering every platform's redelivery window.
func (a *app) pruneEvents(ctx context.Context) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			err := a.db.Update(func(tx *store.Tx) error {
				_, err := tx.PruneEvents(time.Now())
				return err
			})
			if err != nil {
				a.log.Error("prune events", "err", err)
			}
		}
	}
}

func cmdBackup(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	path := fs.String("config", "", "config file (for store.path and http.listen)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("usage: collabbot backup [-config FILE] OUT")
	}
	out := fs.Arg(0)
	cfg, err := loadOptional(*path)
	if err != nil {
		return err
	}
	db, err := store.Open(cfg.Store.Path, &store.Options{Timeout: 200 * time.Millisecond})
	if err == nil {
		defer db.Close()
		n, err := db.BackupFile(out)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "backup: %d bytes from %s to %s\n", n, cfg.Store.Path, out)
		return nil
	}
	if !errors.Is(err, store.ErrLocked) {
		return err
	}
	// The bot is running and holds the file: ask it for the copy.
	n, err := fetchBackup(cfg.HTTP, out)
	if err != nil {
		return fmt.Errorf("%s is in use and the running bot's /admin/backup failed: %w", cfg.Store.Path, err)
	}
	fmt.Fprintf(stdout, "backup: %d bytes from the running bot to %s\n", n, out)
	return nil
}

func fetchBackup(h HTTPConfig, out string) (int64, error) {
	if h.Listen == "" {
		return 0, errors.New("http.listen is not set")
	}
	host, port, err := net.SplitHostPort(h.Listen)
	if err != nil {
		return 0, err
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	req, err := http.NewRequest("GET", "http://"+net.JoinHostPort(host, port)+"/admin/backup", nil)
	if err != nil {
		return 0, err
	}
	if h.AdminToken != "" {
		req.Header.Set("Authorization", "Bearer "+h.AdminToken)
	}
	resp, err := (&http.Client{Timeout: 5 * time.Minute}).Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	tmp := out + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return 0, err
	}
	n, err := io.Copy(f, resp.Body)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, out)
	}
	if err != nil {
		os.Remove(tmp)
		return 0, err
	}
	return n, nil
}
