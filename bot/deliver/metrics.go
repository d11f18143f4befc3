package deliver

import (
	"errors"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"collabbot/bot/chat"
	"collabbot/store"
)

// The send stage's metrics. Every label comes from a small fixed set:
//
//	collabbot_outbox_sent_total{kind,route}       messages posted
//	collabbot_outbox_failed_total{kind,reason}    messages given up
//	collabbot_outbox_retries_total{reason}        retryable failures
//	collabbot_outbox_pending                      queued messages
//	collabbot_outbox_oldest_pending_age_seconds   age of the oldest queued one
//	collabbot_send_duration_seconds{platform}     one Send call
//
// kind is an outbox kind from Options.Kinds or "other"; route is a
// chat.Route name an adapter reports (a fixed set per adapter; at most
// maxRouteLabels, then "other"); reason is a chat.Reason, "expired" or
// "unknown", else "other"; platform is one registered with AddSender.
// The failed and retries counters by reason are the platform errors: an
// adapter classifies every failure as a chat.Reason.

const (
	maxKindLabels  = 64
	maxRouteLabels = 32
	labelOther     = "other"
)

type metrics struct {
	sent    *prometheus.CounterVec
	failed  *prometheus.CounterVec
	retries *prometheus.CounterVec
	pending prometheus.Gauge
	oldest  prometheus.Gauge
	latency *prometheus.HistogramVec

	kinds  *labelSet
	routes *labelSet
}

func newMetrics(reg prometheus.Registerer, kinds []string) (*metrics, error) {
	m := &metrics{
		sent: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "collabbot_outbox_sent_total",
			Help: "Outgoing messages posted, by kind and route."}, []string{"kind", "route"}),
		failed: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "collabbot_outbox_failed_total",
			Help: "Outgoing messages given up, by kind and reason."}, []string{"kind", "reason"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "collabbot_outbox_retries_total",
			Help: "Sends retried after a retryable failure, by reason."}, []string{"reason"}),
		pending: prometheus.NewGauge(prometheus.GaugeOpts{Name: "collabbot_outbox_pending",
			Help: "Outgoing messages recorded but not yet sent."}),
		oldest: prometheus.NewGauge(prometheus.GaugeOpts{Name: "collabbot_outbox_oldest_pending_age_seconds",
			Help: "Seconds since the oldest queued outgoing message was decided (0 when none is queued); reminders held for working hours count too."}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "collabbot_send_duration_seconds",
			Help:    "Duration of one Send call to a platform, successful or not, by platform.",
			Buckets: []float64{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30}}, []string{"platform"}),
		kinds:  newLabelSet(kinds, maxKindLabels),
		routes: newLabelSet(nil, maxRouteLabels),
	}
	if reg == nil {
		return m, nil
	}
	// A replica makes a new stage each time it becomes leader: the
	// registry keeps the first stage's metrics, and later stages add to
	// them.
	var errs [6]error
	m.sent, errs[0] = register(reg, m.sent)
	m.failed, errs[1] = register(reg, m.failed)
	m.retries, errs[2] = register(reg, m.retries)
	m.pending, errs[3] = register(reg, m.pending)
	m.oldest, errs[4] = register(reg, m.oldest)
	m.latency, errs[5] = register(reg, m.latency)
	if err := errors.Join(errs[:]...); err != nil {
		return nil, err
	}
	return m, nil
}

// register registers c, or returns the collector of the same description
// already registered.
func register[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	err := reg.Register(c)
	var are prometheus.AlreadyRegisteredError
	if errors.As(err, &are) {
		if old, ok := are.ExistingCollector.(C); ok {
			return old, nil
		}
	}
	return c, err
}

func (m *metrics) kind(k string) string  { return m.kinds.label(k) }
func (m *metrics) route(r string) string { return m.routes.label(r) }

// reasonLabel bounds a failure reason to the known classes.
func reasonLabel(r chat.Reason) string {
	switch r {
	case chat.ReasonThrottled, chat.ReasonTransient, chat.ReasonAuth, chat.ReasonInvalid,
		chat.ReasonGone, chat.ReasonQuota, chat.ReasonOther, ReasonExpired, ReasonUnknown:
		return string(r)
	}
	return labelOther
}

// labelSet maps values to themselves when known, else "other". Without a
// fixed list it learns the first max values it sees.
type labelSet struct {
	mu    sync.Mutex
	known map[string]bool
	fixed bool
	max   int
}

func newLabelSet(fixed []string, max int) *labelSet {
	s := &labelSet{known: map[string]bool{}, fixed: fixed != nil, max: max}
	for _, v := range fixed {
		s.known[v] = true
	}
	return s
}

func (s *labelSet) label(v string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.known[v]:
		return v
	case v == "" || s.fixed || len(s.known) >= s.max:
		return labelOther
	}
	s.known[v] = true
	return v
}

var errStop = errors.New("stop")

// oldestQueued is when the oldest queued entry was decided (zero: none).
// A group's queue is in decision order, so its first entry is its oldest.
func oldestQueued(tx *store.Tx) time.Time {
	var oldest time.Time
	for _, g := range tx.PendingGroups() {
		_ = tx.PendingOutboxGroup(g, func(e *store.OutboxEntry) error {
			if oldest.IsZero() || e.DecidedAt.Before(oldest) {
				oldest = e.DecidedAt
			}
			return errStop
		})
	}
	return oldest
}
