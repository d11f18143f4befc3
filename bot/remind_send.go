package bot

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v5"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/time/rate"

	"collabbot/rules"
	"collabbot/store"
)

// reasonExpired labels a message given up because it stayed unsent past
// EngineOptions.StaleAfter.
const reasonExpired Reason = "expired"

type engineMetrics struct {
	sent    *prometheus.CounterVec
	failed  *prometheus.CounterVec
	retries *prometheus.CounterVec
	pending prometheus.Gauge
}

func newEngineMetrics(reg prometheus.Registerer) (*engineMetrics, error) {
	m := &engineMetrics{
		sent: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "collabbot_reminders_sent_total",
			Help: "Scheduled and triggered messages posted, by kind."}, []string{"kind"}),
		failed: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "collabbot_reminders_failed_total",
			Help: "Scheduled messages given up, by kind and reason."}, []string{"kind", "reason"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "collabbot_reminder_send_retries_total",
			Help: "Sends of scheduled messages retried after a throttled or transient error, by reason."}, []string{"reason"}),
		pending: prometheus.NewGauge(prometheus.GaugeOpts{Name: "collabbot_outbox_pending",
			Help: "Scheduled messages decided but not yet sent."}),
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.sent, m.failed, m.retries, m.pending} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// pendingGroup is one group's pending messages in decision order.
type pendingGroup struct {
	key     store.GroupKey
	policy  rules.GroupPolicy
	entries []*store.OutboxEntry
}

// flush sends every pending entry that may go out now: urgent ones at any
// time, the rest in the group's working hours. Groups are sent to in
// parallel, each group's messages in order.
func (e *Engine) flush(ctx context.Context, now time.Time) error {
	var groups []*pendingGroup
	byKey := map[store.GroupKey]*pendingGroup{}
	err := e.b.db.View(func(tx *store.Tx) error {
		return tx.PendingOutbox(func(en *store.OutboxEntry) error {
			pg := byKey[en.Group]
			if pg == nil {
				g, err := tx.Group(en.Group)
				if err != nil {
					return err
				}
				pg = &pendingGroup{key: en.Group, policy: policyOf(g, e.b.effective(g))}
				byKey[en.Group] = pg
				groups = append(groups, pg)
			}
			pg.entries = append(pg.entries, en)
			return nil
		})
	})
	if err != nil || len(groups) == 0 {
		return err
	}
	sem := make(chan struct{}, e.opt.Workers)
	var wg sync.WaitGroup
	var errM sync.Mutex
	var errs []error
	for _, pg := range groups {
		slices.SortFunc(pg.entries, func(a, b *store.OutboxEntry) int { return int(a.Seq) - int(b.Seq) })
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			if err := e.flushGroup(ctx, pg, now); err != nil {
				errM.Lock()
				errs = append(errs, err)
				errM.Unlock()
			}
		})
	}
	wg.Wait()
	if ctx.Err() != nil {
		errs = append(errs, ctx.Err())
	}
	return errors.Join(errs...)
}

func (e *Engine) flushGroup(ctx context.Context, pg *pendingGroup, now time.Time) error {
	working := rules.WorkingTime(pg.policy, e.b.cal, now)
	for _, en := range pg.entries {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if now.Sub(en.DecidedAt) > e.opt.StaleAfter {
			en.State, en.Reason, en.Error = store.OutboxFailed, string(reasonExpired), "not sent within "+e.opt.StaleAfter.String()
			if err := e.save(en); err != nil {
				return err
			}
			e.met.failed.WithLabelValues(en.Kind, string(reasonExpired)).Inc()
			continue
		}
		if !en.Urgent && !working {
			continue
		}
		var r Reply
		if err := json.Unmarshal(en.Message, &r); err != nil {
			en.State, en.Reason, en.Error = store.OutboxFailed, string(ReasonInvalid), err.Error()
			e.met.failed.WithLabelValues(en.Kind, string(ReasonInvalid)).Inc()
			if err := e.save(en); err != nil {
				return err
			}
			continue
		}
		s := e.b.Sender(r.Platform)
		if s == nil {
			e.log.Warn("remind: no sender for platform; message stays pending", "platform", r.Platform, "key", en.Key)
			return nil
		}
		tries, err := e.send(ctx, s, pg.key, r)
		en.Attempts += tries
		switch {
		case err == nil:
			en.State, en.SentAt, en.Reason, en.Error = store.OutboxSent, e.now(), "", ""
			e.met.sent.WithLabelValues(en.Kind).Inc()
		case retryable(err):
			// Keep it pending, and keep the group's order: the rest of
			// the group waits for the next run.
			en.Reason, en.Error = string(reasonOf(err)), err.Error()
			if serr := e.save(en); serr != nil {
				return serr
			}
			e.log.Warn("remind: send still failing; will retry", "key", en.Key, "attempts", en.Attempts, "err", err)
			return nil
		default:
			en.State, en.Reason, en.Error = store.OutboxFailed, string(reasonOf(err)), err.Error()
			e.met.failed.WithLabelValues(en.Kind, en.Reason).Inc()
			e.log.Error("remind: send failed", "key", en.Key, "reason", en.Reason, "err", err)
		}
		if err := e.save(en); err != nil {
			return err
		}
	}
	return nil
}

// save writes en back. Batch coalesces the commits of parallel groups.
func (e *Engine) save(en *store.OutboxEntry) error {
	return e.b.db.Batch(func(tx *store.Tx) error { return tx.PutOutbox(en) })
}

func reasonOf(err error) Reason {
	var se *SendError
	if errors.As(err, &se) {
		return se.Reason
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return ReasonTransient
	}
	return ReasonOther
}

// retryable: a classified error says so itself; an unclassified one (a
// network error the adapter did not wrap) is worth another try.
func retryable(err error) bool {
	var se *SendError
	if errors.As(err, &se) {
		return se.Retry
	}
	return true
}

// send posts r through the platform's and the group's rate limiters,
// retrying throttled and transient failures with exponential backoff (or
// the platform's RetryAfter, when longer) up to MaxAttempts tries.
func (e *Engine) send(ctx context.Context, s Sender, g store.GroupKey, r Reply) (int, error) {
	bo := &backoff.ExponentialBackOff{InitialInterval: e.opt.RetryBase, RandomizationFactor: 0.2,
		Multiplier: 2, MaxInterval: e.opt.RetryMax}
	bo.Reset()
	plat, grp := e.limiters(g)
	for try := 1; ; try++ {
		if err := plat.Wait(ctx); err != nil {
			return try - 1, err
		}
		if err := grp.Wait(ctx); err != nil {
			return try - 1, err
		}
		err := s.Send(ctx, r)
		if err == nil {
			return try, nil
		}
		if !retryable(err) || try >= e.opt.MaxAttempts || ctx.Err() != nil {
			return try, err
		}
		wait := bo.NextBackOff()
		var se *SendError
		if errors.As(err, &se) && se.RetryAfter > wait {
			wait = se.RetryAfter
		}
		e.met.retries.WithLabelValues(string(reasonOf(err))).Inc()
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return try, err
		case <-t.C:
		}
	}
}

func (e *Engine) limiters(g store.GroupKey) (*rate.Limiter, *rate.Limiter) {
	e.limM.Lock()
	defer e.limM.Unlock()
	p := e.platLim[g.Platform]
	if p == nil {
		p = rate.NewLimiter(e.opt.PlatformRate, max(1, int(e.opt.PlatformRate)))
		e.platLim[g.Platform] = p
	}
	l := e.groupLim[g]
	if l == nil {
		l = rate.NewLimiter(e.opt.GroupRate, e.opt.GroupBurst)
		e.groupLim[g] = l
	}
	return p, l
}
