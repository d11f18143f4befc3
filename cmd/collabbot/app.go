package main

import (
	"cmp"
	"context"
	"crypto/sha256"
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
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"collabbot/adapters/platform"
	"collabbot/bot"
	"collabbot/bot/board"
	"collabbot/bot/chat"
	"collabbot/bot/deliver"
	"collabbot/bot/remind"
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
	adapters []chat.Adapter
	stage    *deliver.Stage
	engine   *remind.Engine
	http     *http.Server
	httpLn   net.Listener
	mux      *http.ServeMux
	replica  *replica // with store.backend etcd
}

// httpAddr is the address the HTTP listener got (port 0 picks one).
func (a *app) httpAddr() string {
	if a.httpLn == nil {
		return ""
	}
	return a.httpLn.Addr().String()
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
	db, rp, err := openStore(cfg, log)
	if err != nil {
		return nil, err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	b, err := bot.New(bot.Config{Store: db, Calendar: cal, Defaults: def, Admins: cfg.BotAdmins(), Now: now, Log: log, Registerer: reg})
	if err != nil {
		db.Close()
		if rp != nil {
			rp.closeClients()
		}
		return nil, err
	}
	b.SetPeople(cfg.People)
	return &app{cfg: cfg, log: log, db: db, bot: b, reg: reg, mux: http.NewServeMux(), replica: rp}, nil
}

// startPipeline starts the path every message takes after the adapters
// hand it over: the send stage, then the inbox workers, which first
// process whatever an earlier run accepted and did not finish. now is the
// bot's clock.
func (a *app) startPipeline(ctx context.Context, now func() time.Time) error {
	st, err := deliver.New(a.db, deliver.Options{Now: now, Hold: a.bot.Hold, Log: a.log, Registerer: a.reg, Kinds: bot.OutboxKinds(),
		PlatformLimits: a.cfg.Delivery.Limits()})
	if err != nil {
		return err
	}
	a.stage = st
	a.bot.SetOutbox(st)
	for _, ad := range a.adapters {
		st.AddSender(ad.Platform(), ad)
		a.bot.AddPlatform(ad.Platform(), ad)
	}
	if err := st.Start(ctx); err != nil {
		return err
	}
	return a.bot.Start(ctx)
}

// startAdapters starts every adapter the app holds with the bot as its
// intake. The app owns its adapters from the moment they are built, and
// Close closes them all, started or not (Close is safe before Start), so no
// failure path here needs its own cleanup.
func (a *app) startAdapters(ctx context.Context) error {
	for _, ad := range a.adapters {
		if err := ad.Start(ctx, a.bot); err != nil {
			return fmt.Errorf("start %s: %w", ad.Platform(), err)
		}
		a.log.Info("adapter started", "platform", ad.Platform())
	}
	return nil
}

// Limits of the HTTP listener. The admin token is sent with every admin
// request, so the listener is not meant to face the internet without TLS
// in front (check-config says so).
const (
	maxRequestBody      = 1 << 20 // every handler's body, webhooks included
	maxHeaderBytes      = 64 << 10
	defaultReadTimeout  = 30 * time.Second // a whole request, body included
	defaultWriteTimeout = 30 * time.Second // a response; /admin/backup sets its own
	// A backup must make progress within backupStall (a stalled client
	// would hold the read transaction, which keeps the file from growing)
	// and finish within backupMax.
	backupStall = 30 * time.Second
	backupMax   = 30 * time.Minute
)

// startHTTP serves health, metrics, the adapters' webhooks and, for the
// holder of http.admin_token, the admin endpoints.
func (a *app) startHTTP() error {
	if a.cfg.HTTP.Listen == "" {
		return nil
	}
	for _, w := range a.cfg.HTTP.warnings() {
		a.log.Warn(w)
	}
	a.mux.HandleFunc("GET /healthz", a.serveHealth)
	a.mux.Handle("GET /metrics", promhttp.HandlerFor(a.reg, promhttp.HandlerOpts{Registry: a.reg}))
	admin := http.NewServeMux()
	admin.HandleFunc("GET /admin/backup", a.serveBackup)
	// The read-only web board: /b/<token> for readers, /admin/board for admins.
	a.bot.SetBoardURL(a.cfg.HTTP.publicURL())
	wb := board.New(a.bot, board.Options{BaseURL: a.cfg.HTTP.publicURL(), Log: a.log})
	wb.Register(a.mux)
	wb.RegisterAdmin(admin)
	a.mux.Handle("/admin/", a.adminOnly(admin))
	ln, err := net.Listen("tcp", a.cfg.HTTP.Listen)
	if err != nil {
		return fmt.Errorf("http.listen: %w", err)
	}
	a.httpLn = ln
	read := cmp.Or(a.cfg.HTTP.readTimeout, defaultReadTimeout)
	a.http = &http.Server{
		Handler:           limitBody(a.mux, maxRequestBody),
		ReadHeaderTimeout: min(10*time.Second, read),
		ReadTimeout:       read,
		WriteTimeout:      cmp.Or(a.cfg.HTTP.writeTimeout, defaultWriteTimeout),
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(a.log.Handler(), slog.LevelWarn),
	}
	go func() {
		if err := a.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.log.Error("http server", "err", err)
		}
	}()
	a.log.Info("http listening", "addr", ln.Addr().String())
	return nil
}

// limitBody refuses a request whose declared body is over n bytes with 413
// and cuts any other body off at n bytes.
func limitBody(h http.Handler, n int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > n {
			http.Error(w, fmt.Sprintf("request body over %d bytes", n), http.StatusRequestEntityTooLarge)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, n)
		h.ServeHTTP(w, r)
	})
}

// adminOnly lets through requests that carry http.admin_token, whoever
// sends them: loopback callers get no exception, since a reverse proxy on
// the same host makes every caller look local.
func (a *app) adminOnly(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case a.cfg.HTTP.AdminToken == "":
			http.Error(w, "the admin endpoints are off: set http.admin_token in the config file to turn them on", http.StatusForbidden)
		case !a.backupAllowed(r):
			a.log.Warn("admin request refused", "path", r.URL.Path, "remote", r.RemoteAddr)
			w.Header().Set("WWW-Authenticate", `Bearer realm="collabbot admin"`)
			http.Error(w, "unauthorized: send Authorization: Bearer <http.admin_token>", http.StatusUnauthorized)
		default:
			h.ServeHTTP(w, r)
		}
	})
}

// serveBackup streams a consistent copy of the store: the running process
// holds bbolt's file lock, so a hot backup has to come from here.
func (a *app) serveBackup(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/octet-stream")
	pw := &progressWriter{w: w, rc: http.NewResponseController(w), stall: backupStall, end: time.Now().Add(backupMax)}
	n, err := a.db.Backup(pw)
	if err != nil {
		a.log.Error("backup", "err", err, "bytes", n, "remote", r.RemoteAddr)
		return
	}
	a.log.Info("backup served", "bytes", n, "remote", r.RemoteAddr)
}

// backupAllowed reports whether r carries the admin token. It is false
// when no token is configured.
func (a *app) backupAllowed(r *http.Request) bool {
	tok := a.cfg.HTTP.AdminToken.Reveal()
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if tok == "" || !ok {
		return false
	}
	// Equal-length digests: the comparison's time says nothing of the token.
	g, t := sha256.Sum256([]byte(got)), sha256.Sum256([]byte(tok))
	return subtle.ConstantTimeCompare(g[:], t[:]) == 1
}

// progressWriter moves the connection's write deadline forward before
// each write, up to a final one.
type progressWriter struct {
	w     io.Writer
	rc    *http.ResponseController
	stall time.Duration
	end   time.Time
}

func (p *progressWriter) Write(b []byte) (int, error) {
	d := time.Now().Add(p.stall)
	if d.After(p.end) {
		d = p.end
	}
	if err := p.rc.SetWriteDeadline(d); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return 0, err
	}
	return p.w.Write(b)
}

// Close stops everything, safe after a partial start: first the clock and
// the send stage (a send under way gets a few seconds to finish), then the
// adapters (no new events; an Accept under way finishes), then the inbox
// workers, each after its current message. What is accepted but not
// processed, or recorded but not sent, stays in the store for the next
// start.
func (a *app) Close() error {
	var errs []error
	if a.replica != nil {
		errs = append(errs, a.replica.close())
	}
	if a.engine != nil {
		errs = append(errs, a.engine.Close())
	}
	if a.stage != nil {
		errs = append(errs, a.stage.Close())
	}
	for i := len(a.adapters) - 1; i >= 0; i-- {
		errs = append(errs, a.adapters[i].Close())
	}
	if a.bot != nil {
		errs = append(errs, a.bot.Close())
	}
	if a.http != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		errs = append(errs, a.http.Shutdown(ctx))
		cancel()
	}
	if a.db != nil {
		errs = append(errs, a.db.Close())
	}
	if a.replica != nil {
		errs = append(errs, a.replica.closeClients())
	}
	return errors.Join(errs...)
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
	w, closeLog, err := openLogFile(cfg.Log, stderr)
	if err != nil {
		return err
	}
	defer closeLog()
	log := newLogger(cfg.Log, w)
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
		var keys []string
		for _, p := range platform.All() {
			keys = append(keys, p.Name+".enabled")
		}
		log.Warn("no platform is enabled: set one of " + strings.Join(keys, ", ") + " (collabbot console runs without one)")
	}
	if err := a.startHTTP(); err != nil {
		return err
	}
	if a.replica != nil {
		// Adapters now; the pipeline and the engine while leading.
		if err := a.startReplica(ctx); err != nil {
			return err
		}
	} else {
		if err := a.startPipeline(ctx, a.bot.Now); err != nil {
			return err
		}
		if err := a.startAdapters(ctx); err != nil {
			return err
		}
		if err := a.startEngine(ctx, nil); err != nil {
			return err
		}
		go a.pruneEvents(ctx)
	}
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
	path := fs.String("config", "", "config file (for store.path, http.listen and http.admin_token)")
	force := fs.Bool("force", false, "overwrite OUT if it exists")
	// Flags may come after OUT too: backup OUT -force.
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return err
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(pos) != 1 {
		return fmt.Errorf("usage: collabbot backup [-config FILE] [-force] OUT")
	}
	out := pos[0]
	cfg, err := loadOptional(*path)
	if err != nil {
		return err
	}
	from := "store.path in " + *path
	if *path == "" {
		from = "the default store.path; name your config with -config FILE"
	}
	st, err := os.Stat(cfg.Store.Path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("no store to back up: %s does not exist (%s)", cfg.Store.Path, from)
	case err != nil:
		return err
	case st.IsDir():
		return fmt.Errorf("no store to back up: %s is a directory (%s)", cfg.Store.Path, from)
	}
	if ost, err := os.Stat(out); err == nil {
		if os.SameFile(st, ost) {
			return fmt.Errorf("%s is the store itself: write the backup somewhere else", out)
		}
		if ost.IsDir() {
			return fmt.Errorf("%s is a directory: name the backup file, e.g. %s", out, filepath.Join(out, "collabbot-"+time.Now().Format("2006-01-02")+".db"))
		}
		if !*force {
			return fmt.Errorf("%s exists: not overwritten (use -force to replace it)", out)
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	// Read-only: a backup never writes to the store (and a damaged one is
	// refused with the way out).
	db, err := store.Open(cfg.Store.Path, &store.Options{Timeout: 200 * time.Millisecond, ReadOnly: true})
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

// fetchBackup asks the running bot for a copy of its store and writes it
// to out once it has passed the consistency check.
func fetchBackup(h HTTPConfig, out string) (int64, error) {
	if h.Listen == "" {
		return 0, errors.New("http.listen is not set")
	}
	if h.AdminToken == "" {
		return 0, errors.New("http.admin_token is not set: /admin/backup needs it")
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
	req.Header.Set("Authorization", "Bearer "+h.AdminToken.Reveal())
	resp, err := (&http.Client{Timeout: backupMax}).Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return 0, fmt.Errorf("HTTP %d: %s", resp.StatusCode, strings.TrimSpace(string(msg)))
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
		// A cut-off stream shows as a truncated file.
		if rep, cerr := store.CheckFile(tmp, time.Second); cerr != nil {
			err = fmt.Errorf("the copy received does not pass the consistency check: %w", cerr)
			if rep != nil && len(rep.Problems) > 0 {
				err = fmt.Errorf("the copy received does not pass the consistency check (%d problems; first: %s)", len(rep.Problems), rep.Problems[0])
			}
		}
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
