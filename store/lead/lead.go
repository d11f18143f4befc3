// Package lead elects one leader among collabbot replicas that share an
// etcd store, and fences it: while a replica leads, every commit it makes
// carries a compare on its election key (store.DB.SetFence), so once its
// session has expired, a replica that was paused or cut off commits
// nothing, even before it notices it no longer leads.
//
// Every replica accepts platform events into the shared inbox; only the
// leader runs what acts on them (the inbox workers, the reminder engine,
// the send stage): Run starts them through the caller's Lead function
// each time this replica wins, and stops them when it loses.
package lead

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/concurrency"

	"collabbot/store"
)

// Options tune New.
type Options struct {
	// Client carries the election session (its lease keep-alives).
	Client *clientv3.Client
	// Key is the election's prefix (e.g. the store's prefix + "/leader").
	Key string
	// ID names this replica in the election key's value and in logs.
	ID string
	// TTL is the session's lease: a dead leader's key goes after at most
	// this long, and another replica leads (zero: 5 s; whole seconds).
	TTL time.Duration
	Log *slog.Logger
	// Registerer gets the metrics (nil: none).
	Registerer prometheus.Registerer
}

// Work is what the leader runs: Start begins it and returns; Stop ends
// it and returns once nothing of it runs any more.
type Work interface {
	Start(ctx context.Context) error
	Stop()
}

// Elector campaigns for one replica.
type Elector struct {
	opt    Options
	db     *store.DB
	work   Work
	log    *slog.Logger
	leader atomic.Bool
	met    *metrics

	mu    sync.Mutex
	lost  chan struct{} // closed when the store refuses our fence
	since time.Time
}

type metrics struct {
	changes prometheus.Counter
	fenced  prometheus.Counter
	leading prometheus.Gauge
}

// New makes an elector for db; Run campaigns.
func New(db *store.DB, work Work, opt Options) (*Elector, error) {
	if opt.Client == nil || db == nil || work == nil {
		return nil, errors.New("lead: New needs a client, a store and the work")
	}
	if opt.TTL <= 0 {
		opt.TTL = 5 * time.Second
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	m := &metrics{
		changes: prometheus.NewCounter(prometheus.CounterOpts{Name: "collabbot_leadership_changes_total",
			Help: "Times this replica became leader or stopped being leader."}),
		fenced: prometheus.NewCounter(prometheus.CounterOpts{Name: "collabbot_fencing_rejections_total",
			Help: "Commits or sends refused because this replica's leadership had ended (its fence no longer held)."}),
		leading: prometheus.NewGauge(prometheus.GaugeOpts{Name: "collabbot_leader",
			Help: "1 while this replica leads (runs the inbox workers, reminders and sends), else 0."}),
	}
	if opt.Registerer != nil {
		for _, c := range []prometheus.Collector{m.changes, m.fenced, m.leading} {
			if err := opt.Registerer.Register(c); err != nil {
				return nil, err
			}
		}
	}
	return &Elector{opt: opt, db: db, work: work, log: opt.Log, met: m}, nil
}

// Leader reports whether this replica leads now.
func (e *Elector) Leader() bool { return e.leader.Load() }

// Run campaigns until ctx ends; then, if leading, it stops the work and
// resigns, so another replica takes over at once rather than after the TTL.
func (e *Elector) Run(ctx context.Context) {
	for ctx.Err() == nil {
		if err := e.term(ctx); err != nil && ctx.Err() == nil {
			e.log.Warn("leader election", "err", err)
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
		}
	}
}

// term is one session: campaign, lead until something ends it, step down.
func (e *Elector) term(ctx context.Context) error {
	ttl := max(1, int(e.opt.TTL.Round(time.Second)/time.Second))
	s, err := concurrency.NewSession(e.opt.Client, concurrency.WithTTL(ttl), concurrency.WithContext(ctx))
	if err != nil {
		return fmt.Errorf("session: %w", err)
	}
	defer s.Close() // revokes the lease if it still lives
	el := concurrency.NewElection(s, e.opt.Key)
	if err := el.Campaign(ctx, e.opt.ID); err != nil {
		return fmt.Errorf("campaign: %w", err)
	}
	lost := make(chan struct{})
	var once sync.Once
	e.mu.Lock()
	e.lost = lost
	e.mu.Unlock()
	e.db.SetFence(el.Key(), el.Rev(), func() {
		e.met.fenced.Inc()
		once.Do(func() { close(lost) })
	})
	e.leader.Store(true)
	e.met.leading.Set(1)
	e.met.changes.Inc()
	e.since = time.Now()
	e.log.Info("leading: processing the inbox, reminders and sends", "replica", e.opt.ID)
	workCtx, cancel := context.WithCancel(ctx)
	why := ""
	if err := e.work.Start(workCtx); err != nil {
		why = "the work did not start: " + err.Error()
	} else {
		select {
		case <-ctx.Done():
			why = "shutting down"
		case <-s.Done():
			why = "the election session ended (lease lost or expired)"
		case <-lost:
			why = "a commit was refused: another replica may lead"
		}
	}
	e.leader.Store(false)
	cancel()
	e.work.Stop()
	// Only once nothing of the work runs may commits go unfenced again.
	e.db.ClearFence()
	e.met.leading.Set(0)
	e.met.changes.Inc()
	e.log.Warn("no longer leading", "replica", e.opt.ID, "why", why, "led", time.Since(e.since).Round(time.Millisecond))
	rctx, rcancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer rcancel()
	if err := el.Resign(rctx); err != nil && ctx.Err() == nil {
		e.log.Debug("resign", "err", err)
	}
	return nil
}

// Gate is the send stage's check right before each platform call: it
// fails once this replica no longer leads, by its own knowledge or by
// etcd's (a linearizable read of the fence).
func (e *Elector) Gate(ctx context.Context) error {
	if !e.leader.Load() {
		return store.ErrFenced
	}
	return e.db.CheckFence(ctx)
}
