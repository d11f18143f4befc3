package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"go.etcd.io/etcd/client/pkg/v3/transport"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"collabbot/adapters/platform"
	"collabbot/bot"
	"collabbot/bot/deliver"
	"collabbot/bot/remind"
	"collabbot/store"
	"collabbot/store/lead"
)

// With store.backend: etcd any number of replicas share one store. Each
// keeps its own platform connections and accepts events into the shared
// inbox (Lark's long connection and DingTalk's Stream hand an event to one
// connected client: whichever replica gets it commits it before the ack,
// so none is lost, and the message-id dedupe makes a redelivery to another
// replica harmless). Only the elected leader processes the inbox, runs the
// reminder engine and the send stage; it polls the inbox for what the
// others accepted.

// EtcdConfig is store.etcd.
type EtcdConfig struct {
	// Endpoints are the cluster members' client URLs.
	Endpoints   []string `yaml:"endpoints"`
	DialTimeout string   `yaml:"dial_timeout"`    // default 5s
	Timeout     string   `yaml:"request_timeout"` // one request; default 5s
	// TLS: the CA that signed the members' certificates, and this
	// client's certificate and key when the cluster asks for one.
	CAFile   string          `yaml:"ca_file"`
	CertFile string          `yaml:"cert_file"`
	KeyFile  string          `yaml:"key_file"`
	Username string          `yaml:"username"`
	Password platform.Secret `yaml:"password"`
	// Prefix roots this deployment's keys; deployments sharing a cluster
	// need prefixes of which none starts another (/collabbot/prod and
	// /collabbot/test, not /collabbot and /collabbot/test).
	Prefix string `yaml:"prefix"`
	// SessionTTL: a dead leader is replaced after at most this long.
	SessionTTL string `yaml:"session_ttl"` // default 5s
	// MaxTxnOps is the cluster's --max-txn-ops (default 128, etcd's).
	MaxTxnOps int `yaml:"max_txn_ops"`
	// InboxPoll is how often the leader looks for events that other
	// replicas accepted.
	InboxPoll string `yaml:"inbox_poll"` // default 500ms
	// Replica names this process in logs and the election (default:
	// hostname-pid).
	Replica string `yaml:"replica"`

	// beforeCommit is store.EtcdOptions.BeforeCommit, not in the file:
	// tests hold a leader's commits as a long pause would.
	beforeCommit func()
}

func (e EtcdConfig) durations() (dial, req, ttl, poll time.Duration, problems []string) {
	get := func(key, v string, def time.Duration) time.Duration {
		if v == "" {
			return def
		}
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			problems = append(problems, fmt.Sprintf("store.etcd.%s: %q is not a positive duration like 5s", key, v))
			return def
		}
		return d
	}
	dial = get("dial_timeout", e.DialTimeout, 5*time.Second)
	req = get("request_timeout", e.Timeout, 5*time.Second)
	ttl = get("session_ttl", e.SessionTTL, 5*time.Second)
	poll = get("inbox_poll", e.InboxPoll, 500*time.Millisecond)
	return
}

// problems are store's config errors beyond store.path.
func (s StoreConfig) problems() []string {
	switch s.Backend {
	case "", "bbolt":
		return nil
	case "etcd":
	default:
		return []string{fmt.Sprintf("store.backend: %q must be bbolt or etcd", s.Backend)}
	}
	e := s.Etcd
	_, _, ttl, _, out := e.durations()
	if len(e.Endpoints) == 0 {
		out = append(out, "store.etcd.endpoints: list the etcd members' client URLs, e.g. [\"https://etcd1:2379\", \"https://etcd2:2379\", \"https://etcd3:2379\"]")
	}
	if ttl < time.Second {
		out = append(out, "store.etcd.session_ttl: must be at least 1s (etcd leases count whole seconds)")
	}
	if (e.CertFile == "") != (e.KeyFile == "") {
		out = append(out, "store.etcd.cert_file and key_file: set both or neither")
	}
	if e.Prefix != "" && !strings.HasPrefix(e.Prefix, "/") {
		out = append(out, fmt.Sprintf("store.etcd.prefix: %q must start with /", e.Prefix))
	}
	if e.MaxTxnOps != 0 && e.MaxTxnOps < 64 {
		out = append(out, "store.etcd.max_txn_ops: must be at least 64 (etcd's default is 128)")
	}
	return out
}

// newEtcdClient connects to the cluster of e.
func newEtcdClient(e EtcdConfig) (*clientv3.Client, error) {
	dial, _, _, _, _ := e.durations()
	cc := clientv3.Config{Endpoints: e.Endpoints, DialTimeout: dial, Username: e.Username, Password: e.Password.Reveal(),
		Logger: zap.NewNop()}
	if e.CAFile != "" || e.CertFile != "" {
		ti := transport.TLSInfo{TrustedCAFile: e.CAFile, CertFile: e.CertFile, KeyFile: e.KeyFile}
		tc, err := ti.ClientConfig()
		if err != nil {
			return nil, fmt.Errorf("store.etcd TLS files: %w", err)
		}
		cc.TLS = tc
	} else if anyHTTPS(e.Endpoints) {
		cc.TLS = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	cli, err := clientv3.New(cc)
	if err != nil {
		return nil, fmt.Errorf("store.etcd: %w", err)
	}
	return cli, nil
}

func anyHTTPS(eps []string) bool {
	for _, e := range eps {
		if strings.HasPrefix(e, "https://") {
			return true
		}
	}
	return false
}

// replica is what a replica holds beyond a single process's app.
type replica struct {
	cfg   EtcdConfig
	cli   *clientv3.Client // the store's
	ecli  *clientv3.Client // the election session's keep-alives
	el    *lead.Elector
	done  chan struct{}
	cname string

	// The current leadership term's work.
	mu     sync.Mutex
	stage  *deliver.Stage
	engine *remind.Engine
	wg     sync.WaitGroup
	cancel context.CancelFunc
	// gate, when set (tests), runs before the elector's Gate.
	gate func(ctx context.Context) error
}

// openStore opens the configured store: a bbolt file, or etcd (then the
// replica is set too).
func openStore(cfg Config, log *slog.Logger) (*store.DB, *replica, error) {
	if cfg.Store.Backend != "etcd" {
		if dir := filepath.Dir(cfg.Store.Path); dir != "." {
			if err := os.MkdirAll(dir, 0o700); err != nil {
				return nil, nil, err
			}
		}
		// Open checks the file before writing to it: a damaged store stops
		// the start with an error that names `collabbot check-db` and backups.
		db, err := store.Open(cfg.Store.Path, &store.Options{Timeout: time.Second})
		if err != nil {
			return nil, nil, err
		}
		if rep := db.Verified(); rep != nil && !rep.Complete {
			log.Warn("the store is too big to check completely at every start: back it up and run collabbot check-db on the copy for a full check",
				"path", cfg.Store.Path, "bytes", rep.Size)
		}
		return db, nil, nil
	}
	e := cfg.Store.Etcd
	cli, err := newEtcdClient(e)
	if err != nil {
		return nil, nil, err
	}
	// A second connection for the session, so its keep-alives never wait
	// behind the store's requests.
	ecli, err := newEtcdClient(e)
	if err != nil {
		cli.Close()
		return nil, nil, err
	}
	db, err := openEtcdStore(cli, e)
	if err != nil {
		cli.Close()
		ecli.Close()
		return nil, nil, err
	}
	name := e.Replica
	if name == "" {
		host, _ := os.Hostname()
		name = fmt.Sprintf("%s-%d", host, os.Getpid())
	}
	log.Info("store on etcd", "endpoints", strings.Join(e.Endpoints, ","), "prefix", db.Path(), "replica", name)
	return db, &replica{cfg: e, cli: cli, ecli: ecli, cname: name}, nil
}

func openEtcdStore(cli *clientv3.Client, e EtcdConfig) (*store.DB, error) {
	_, req, _, _, _ := e.durations()
	db, err := store.OpenEtcd(cli, &store.EtcdOptions{Prefix: e.Prefix, Timeout: req, MaxTxnOps: e.MaxTxnOps,
		BeforeCommit: e.beforeCommit})
	if err != nil {
		return nil, fmt.Errorf("store on etcd (%s): %w", strings.Join(e.Endpoints, ", "), err)
	}
	return db, nil
}

// startReplica starts the adapters at once and campaigns; the leader's
// work starts when this replica wins.
func (a *app) startReplica(ctx context.Context) error {
	r := a.replica
	for _, ad := range a.adapters {
		a.bot.AddPlatform(ad.Platform(), ad)
	}
	_, _, ttl, _, _ := r.cfg.durations()
	el, err := lead.New(a.db, leaderWork{a}, lead.Options{Client: r.ecli, Key: strings.TrimSuffix(a.db.Path(), "/") + "/leader",
		ID: r.cname, TTL: ttl, Log: a.log, Registerer: a.reg})
	if err != nil {
		return err
	}
	r.el = el
	if err := a.startAdapters(ctx); err != nil {
		return err
	}
	r.done = make(chan struct{})
	go func() {
		defer close(r.done)
		el.Run(ctx)
	}()
	return nil
}

// leaderWork is the app's lead.Work: what only the leader runs.
type leaderWork struct{ a *app }

func (w leaderWork) Start(ctx context.Context) error {
	a, r := w.a, w.a.replica
	_, _, _, poll, _ := r.cfg.durations()
	gate := r.el.Gate
	if r.gate != nil {
		gate = func(ctx context.Context) error {
			if err := r.gate(ctx); err != nil {
				return err
			}
			return r.el.Gate(ctx)
		}
	}
	st, err := deliver.New(a.db, deliver.Options{Now: a.bot.Now, Hold: a.bot.Hold, Log: a.log, Registerer: a.reg,
		Kinds: bot.OutboxKinds(), Gate: gate, Tick: 5 * time.Second})
	if err != nil {
		return err
	}
	for _, ad := range a.adapters {
		st.AddSender(ad.Platform(), ad)
	}
	a.bot.SetOutbox(st)
	eng, err := remind.New(a.bot, st, remind.Options{Location: a.bot.Defaults().Location, Log: a.log, Now: a.bot.Now})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	r.mu.Lock()
	r.stage, r.engine, r.cancel = st, eng, cancel
	r.mu.Unlock()
	if err := st.Start(ctx); err != nil {
		return err
	}
	if err := a.bot.Start(ctx); err != nil {
		return err
	}
	if err := eng.Start(ctx); err != nil {
		return err
	}
	r.wg.Go(func() { a.pollInbox(ctx, poll) })
	r.wg.Go(func() { a.pruneEvents(ctx) })
	return nil
}

func (w leaderWork) Stop() {
	r := w.a.replica
	r.mu.Lock()
	st, eng, cancel := r.stage, r.engine, r.cancel
	r.stage, r.engine, r.cancel = nil, nil, nil
	r.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	r.wg.Wait()
	if eng != nil {
		eng.Close()
	}
	w.a.bot.Stop()
	if st != nil {
		st.Close()
	}
}

// pollInbox queues what other replicas accepted.
func (a *app) pollInbox(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if n, err := a.bot.Rescan(); err != nil && ctx.Err() == nil {
			a.log.Warn("read the shared inbox", "err", err)
		} else if n > 0 {
			a.log.Debug("queued events other replicas accepted", "count", n)
		}
	}
}

// close stops campaigning (resigning if leading) and the leader's work;
// the app's ctx must be done first.
func (r *replica) close() error {
	if r.done != nil {
		<-r.done
	}
	return nil
}

func (r *replica) closeClients() error {
	return errors.Join(r.cli.Close(), r.ecli.Close())
}

// role is "leader" or "follower" for /healthz.
func (r *replica) role() string {
	if r.el != nil && r.el.Leader() {
		return "leader"
	}
	return "follower"
}
