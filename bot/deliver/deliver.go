// Package deliver is the one stage that posts what the store's outbox
// holds: command replies, card updates and scheduled reminders alike. It
// owns retries, backoff and the platforms' rate limits; adapters make one
// attempt per Send and classify failures.
//
// Each group's messages go out in the order they were decided, one group
// per worker at a time, many groups in parallel. Groups take turns: a
// worker sends one message of a group and puts the group back at the end
// of the queue, so a chat with a long backlog never keeps the others
// waiting, and a chat waiting for its own allowance holds no worker.
// Groups whose next message answers a person (Options.Interactive) queue
// ahead of those with scheduled messages, and wait ahead of them for the
// platform's app-wide allowance, which both share: one budget per
// platform, shaped like the platform's (chat.Limits, overridden per
// platform by Options.PlatformLimits). A message is marked sent
// (or failed) in the store after its attempt, so a crash resends what was
// not marked. On a route without an idempotency key the attempt is recorded
// before the call; an entry found in that state later had its outcome lost
// to a crash, and is resent (at-least-once) or given up (at-most-once, for
// entries that say so).
//
// Lifecycle: New → AddSender… → Start → Close. Close is safe without Start
// and more than once. Flush sends synchronously and needs no Start.
package deliver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v5"
	"github.com/prometheus/client_golang/prometheus"

	"collabbot/bot/chat"
	"collabbot/store"
)

// Failure reasons beyond chat.Reason; like those they label metrics.
const (
	// ReasonExpired: the message stayed unsent past Options.StaleAfter.
	ReasonExpired chat.Reason = "expired"
	// ReasonUnknown: an at-most-once message whose send on a route without
	// an idempotency key may or may not have been posted.
	ReasonUnknown chat.Reason = "unknown"
)

// Options tune New; the zero value is production's defaults.
type Options struct {
	Now        func() time.Time // nil: time.Now
	Log        *slog.Logger
	Registerer prometheus.Registerer
	// Hold reports whether e must wait for now (quiet hours). It runs in
	// the read transaction that loaded e. Nil holds nothing.
	Hold func(tx *store.Tx, e *store.OutboxEntry, now time.Time) bool
	// Workers is how many groups are sent to in parallel (zero = 16).
	Workers int
	// RetryBase and RetryMax shape the backoff after a retryable failure
	// (zero = 1 s and 1 min); a platform's RetryAfter wins when longer.
	RetryBase time.Duration
	RetryMax  time.Duration
	// StaleAfter gives up on a message still unsent this long after it
	// was decided (zero = 24 h): a reminder that late misleads.
	StaleAfter time.Duration
	// Tick is how often every group with queued messages is looked at
	// again, which releases held messages (zero = 1 min).
	Tick time.Duration
	// CallTimeout bounds one Send (zero = 30 s).
	CallTimeout time.Duration
	// DrainTimeout is how long Close lets sends under way finish before it
	// cancels them (zero = 5 s): a send cut short may have posted, and on
	// a route without an idempotency key its message is then given up
	// (at-most-once) or sent again after the restart (at-least-once).
	DrainTimeout time.Duration
	// Limits apply to senders that do not report their own.
	Limits chat.Limits
	// PlatformLimits override, field by field where non-zero, the limits
	// a platform's sender reports: tenants whose quotas differ from the
	// documented ones.
	PlatformLimits map[string]chat.Limits
	// Interactive are the outbox kinds that answer a person and go ahead
	// of everything else when both wait for the same allowance (nil =
	// "reply" and "post", the bot's kinds for them).
	Interactive []string
	// Gate, when set, is asked right before each platform call (and
	// before an attempt is recorded); an error leaves the message queued
	// and stops the group's turn. Replicas sharing a store use it so that
	// only the current leader sends.
	Gate func(ctx context.Context) error
	// Kinds are the outbox kinds that label the metrics as themselves
	// (bot.OutboxKinds); any other kind is labelled "other". Nil keeps the
	// first maxKindLabels kinds seen, then "other": bounded either way.
	Kinds []string
}

// Stage sends the outbox. Create it with New.
type Stage struct {
	db  *store.DB
	opt Options
	log *slog.Logger
	now func() time.Time
	met *metrics

	mu      sync.Mutex
	cond    *sync.Cond
	senders map[string]*platformSender
	queues  [2][]store.GroupKey // groups waiting for a worker, by class
	queued  map[store.GroupKey]class
	running map[store.GroupKey]bool
	again   map[store.GroupKey]class // kicked while running
	// bulkRunning counts the workers busy with scheduled messages;
	// waiting, the groups in each queue.
	bulkRunning int
	waiting     [2]int
	notBefore   map[store.GroupKey]time.Time
	timers      map[store.GroupKey]*time.Timer
	closed      bool
	started     bool
	stop        chan struct{} // closed by Close: the ticker ends
	cancel      context.CancelFunc
	wg          sync.WaitGroup
	warned      map[string]bool

	interactive map[string]bool
}

// class is a queued group's priority.
type class uint8

const (
	idle        class = iota // nothing to send now
	bulk                     // scheduled messages
	interactive              // an answer to a person
)

// queueOf is the index in Stage.queues.
func (c class) queueOf() int {
	if c == interactive {
		return 0
	}
	return 1
}

// New makes a stage; it sends nothing before Start or Flush.
func New(db *store.DB, opt Options) (*Stage, error) {
	if db == nil {
		return nil, errors.New("deliver: nil store")
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	if opt.Workers <= 0 {
		opt.Workers = 16
	}
	if opt.RetryBase <= 0 {
		opt.RetryBase = time.Second
	}
	if opt.RetryMax <= 0 {
		opt.RetryMax = time.Minute
	}
	if opt.StaleAfter <= 0 {
		opt.StaleAfter = 24 * time.Hour
	}
	if opt.Tick <= 0 {
		opt.Tick = time.Minute
	}
	if opt.CallTimeout <= 0 {
		opt.CallTimeout = 30 * time.Second
	}
	if opt.DrainTimeout <= 0 {
		opt.DrainTimeout = 5 * time.Second
	}
	if opt.Limits == (chat.Limits{}) {
		opt.Limits = chat.Limits{PerSecond: 10, ChatPerSecond: 1, ChatBurst: 5}
	}
	met, err := newMetrics(opt.Registerer, opt.Kinds)
	if err != nil {
		return nil, err
	}
	if opt.Interactive == nil {
		opt.Interactive = []string{"reply", "post"}
	}
	s := &Stage{
		db: db, opt: opt, log: opt.Log, now: opt.Now, met: met,
		senders: map[string]*platformSender{}, queued: map[store.GroupKey]class{},
		running: map[store.GroupKey]bool{}, again: map[store.GroupKey]class{},
		notBefore: map[store.GroupKey]time.Time{}, timers: map[store.GroupKey]*time.Timer{},
		warned: map[string]bool{}, stop: make(chan struct{}), interactive: map[string]bool{},
	}
	for _, k := range opt.Interactive {
		s.interactive[k] = true
	}
	s.cond = sync.NewCond(&s.mu)
	return s, nil
}

// AddSender registers the platform's sender, with its limits when it
// reports them (chat.Limited), as Options.PlatformLimits adjust them, and
// its routes (chat.Router).
func (s *Stage) AddSender(platform string, snd chat.Sender) {
	lim := s.opt.Limits
	if l, ok := snd.(chat.Limited); ok {
		lim = l.Limits()
	}
	lim = merge(lim, s.opt.PlatformLimits[platform])
	s.mu.Lock()
	defer s.mu.Unlock()
	s.senders[platform] = &platformSender{Sender: snd, lim: newLimiter(lim)}
}

// Kick says the group has something new to send.
func (s *Stage) Kick(g store.GroupKey) {
	s.mu.Lock()
	settled := s.closed || s.timers[g] != nil || s.queued[g] == interactive
	s.mu.Unlock()
	if settled {
		return // nothing a look at its queue would change
	}
	c := s.peek(g)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.kickLocked(g, c)
}

// classOf looks at the head of the group's queue: a group whose next
// messages include an answer to a person goes ahead. Only the head,
// because the group's order holds: what is behind waits for it anyway.
func (s *Stage) classOf(tx *store.Tx, g store.GroupKey) class {
	c, n := bulk, 0
	_ = tx.PendingOutboxGroup(g, func(e *store.OutboxEntry) error {
		n++
		if s.interactive[e.Kind] {
			c = interactive
			return errStop
		}
		if n >= 4 {
			return errStop
		}
		return nil
	})
	if n == 0 {
		return idle
	}
	return c
}

func (s *Stage) kickLocked(g store.GroupKey, c class) {
	if s.closed || c == idle || s.timers[g] != nil {
		// A group waiting for its backoff or its chat's allowance is
		// kicked by its timer; reading its queue before is wasted.
		return
	}
	if s.running[g] {
		s.again[g] = max(s.again[g], c)
		return
	}
	old := s.queued[g]
	if old >= c {
		return
	}
	// A group queued as bulk and now interactive is queued again; its
	// bulk place is skipped when reached.
	if old != idle {
		s.waiting[old.queueOf()]--
	}
	s.waiting[c.queueOf()]++
	s.queued[g] = c
	s.queues[c.queueOf()] = append(s.queues[c.queueOf()], g)
	s.cond.Signal()
}

// next takes the first group of the best class for a worker, and reports
// the class. A few workers are kept from scheduled messages, so that an
// answer finds a worker at once even while every other one waits for the
// allowance with a scheduled message. Call with s.mu held.
func (s *Stage) next() (store.GroupKey, class) {
	for _, c := range []class{interactive, bulk} {
		if c == bulk && s.bulkRunning >= s.opt.Workers-reservedWorkers(s.opt.Workers) {
			break
		}
		q := &s.queues[c.queueOf()]
		for len(*q) > 0 {
			g := (*q)[0]
			*q = (*q)[1:]
			if s.queued[g] != c {
				continue // queued again in the other class, or taken
			}
			delete(s.queued, g)
			s.waiting[c.queueOf()]--
			if s.running[g] { // Flush has it; it will look again
				s.again[g] = max(s.again[g], c)
				continue
			}
			s.running[g] = true
			if c == bulk {
				s.bulkRunning++
			}
			return g, c
		}
	}
	return store.GroupKey{}, idle
}

// reservedWorkers is how many of n workers only answer people.
func reservedWorkers(n int) int {
	if n < 2 {
		return 0
	}
	return max(1, n/4)
}

// KickAll looks at every group with queued messages.
func (s *Stage) KickAll() {
	var gs []store.GroupKey
	var cs []class
	err := s.db.View(func(tx *store.Tx) error {
		gs = tx.PendingGroups()
		for _, g := range gs {
			cs = append(cs, s.classOf(tx, g))
		}
		return nil
	})
	if err != nil {
		s.log.Error("deliver: list queued groups", "err", err)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, g := range gs {
		s.kickLocked(g, cs[i])
	}
}

// Start runs the workers and the periodic look at every queued group,
// beginning with one at once: whatever a crash left queued goes out now.
func (s *Stage) Start(ctx context.Context) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return errors.New("deliver: stage closed")
	}
	if s.started {
		s.mu.Unlock()
		return errors.New("deliver: already started")
	}
	s.started = true
	ctx, s.cancel = context.WithCancel(ctx)
	s.mu.Unlock()
	for range s.opt.Workers {
		s.wg.Go(func() { s.work(ctx) })
	}
	s.wg.Go(func() {
		t := time.NewTicker(s.opt.Tick)
		defer t.Stop()
		for {
			s.KickAll()
			s.updatePending()
			select {
			case <-ctx.Done():
				return
			case <-s.stop:
				return
			case <-t.C:
			}
		}
	})
	return nil
}

// Close stops the workers after their current message, giving a send
// under way up to DrainTimeout to finish before cancelling it, and waits
// for them. What is still queued stays in the store for the next start.
func (s *Stage) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.stop)
	for _, t := range s.timers {
		t.Stop()
	}
	s.cond.Broadcast()
	cancel := s.cancel
	s.mu.Unlock()
	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(s.opt.DrainTimeout):
		s.log.Warn("deliver: sends still under way at shutdown; cancelling them")
	}
	if cancel != nil {
		cancel()
	}
	<-done
	return nil
}

func (s *Stage) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

func (s *Stage) work(ctx context.Context) {
	for {
		s.mu.Lock()
		g, c := s.next()
		for c == idle && !s.closed {
			s.cond.Wait()
			g, c = s.next()
		}
		if s.closed {
			s.mu.Unlock()
			if c != idle {
				s.release(g, idle, c)
			}
			return
		}
		s.mu.Unlock()
		s.release(g, s.runGroup(ctx, g, false), c)
	}
}

// release ends a group's turn, taken as class took, and queues it again,
// at the end of its class, when it has more to send or was kicked
// meanwhile.
func (s *Stage) release(g store.GroupKey, more, took class) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.running, g)
	if took == bulk {
		s.bulkRunning--
	}
	c := max(s.again[g], more)
	delete(s.again, g)
	s.kickLocked(g, c)
	s.cond.Broadcast()
}

// Flush sends everything that may go out now, group by group, and returns
// when each queued group has had its turn. The console and tests use it;
// it works with or without Start.
func (s *Stage) Flush(ctx context.Context) error {
	var gs []store.GroupKey
	if err := s.db.View(func(tx *store.Tx) error { gs = tx.PendingGroups(); return nil }); err != nil {
		return err
	}
	for _, g := range gs {
		if err := ctx.Err(); err != nil {
			return err
		}
		s.mu.Lock()
		for s.running[g] && !s.closed {
			s.cond.Wait()
		}
		if s.closed {
			s.mu.Unlock()
			return errors.New("deliver: stage closed")
		}
		s.running[g] = true
		s.mu.Unlock()
		s.release(g, s.runGroup(ctx, g, true), idle)
	}
	s.updatePending()
	return ctx.Err()
}

// Sendable counts queued messages that would be sent now (not held, not
// backing off); tests wait for it to reach zero.
func (s *Stage) Sendable() int {
	now := s.now()
	n := 0
	_ = s.db.View(func(tx *store.Tx) error {
		return tx.PendingOutbox(func(e *store.OutboxEntry) error {
			s.mu.Lock()
			nb := s.notBefore[e.Group]
			_, hasSender := s.senders[platformOf(e)]
			s.mu.Unlock()
			if hasSender && !now.Before(nb) && (s.opt.Hold == nil || !s.opt.Hold(tx, e, now)) {
				n++
			}
			return nil
		})
	})
	return n
}

func platformOf(e *store.OutboxEntry) string { return e.Group.Platform }

// runGroup sends the group's queued messages in decision order: all of
// them when sync (Flush), else until one was attempted, returning the
// class of what is left so that the group queues again behind the others.
// A retryable failure stops the group (order is kept) until its backoff
// ends; so does a chat whose allowance is spent, until it has room.
func (s *Stage) runGroup(ctx context.Context, g store.GroupKey, sync bool) (more class) {
	now := s.now()
	s.mu.Lock()
	nb := s.notBefore[g]
	s.mu.Unlock()
	if now.Before(nb) {
		s.wakeAt(g, nb.Sub(now))
		return idle
	}
	if !s.hasSender(g.Platform) {
		return idle
	}
	var entries []*store.OutboxEntry
	var held []bool
	ahead := -1 // entries read past the first that may go now
	truncated := false
	err := s.db.View(func(tx *store.Tx) error {
		return tx.PendingOutboxGroup(g, func(e *store.OutboxEntry) error {
			if !sync && ahead >= lookahead {
				// A turn sends one message, or a few when nobody else
				// waits: a long backlog is not decoded at every turn.
				truncated = true
				return errStop
			}
			h := s.opt.Hold != nil && s.opt.Hold(tx, e, now)
			entries, held = append(entries, e), append(held, h)
			if !h || ahead >= 0 {
				ahead++
			}
			return nil
		})
	})
	if errors.Is(err, errStop) {
		err = nil
	}
	if err != nil {
		s.log.Error("deliver: read queue", "group", g.String(), "err", err)
		return idle
	}
	for i, e := range entries {
		if ctx.Err() != nil || s.isClosed() {
			return idle
		}
		switch s.sendOne(ctx, e, held[i], sync) {
		case stopped:
			return idle
		case attempted:
			if sync {
				continue
			}
			c := s.classOfEntries(entries[i+1:], held[i+1:])
			if c == idle && truncated {
				return s.peek(g)
			}
			if c == idle || s.othersWaiting(c) {
				return c
			}
			// Nobody to take turns with: go on with what was read,
			// whose holds were decided at one instant.
		}
	}
	if truncated {
		return s.peek(g)
	}
	return idle
}

// hasSender reports whether the platform has a sender, warning once
// when it has none: its messages stay queued.
func (s *Stage) hasSender(platform string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.senders[platform] != nil {
		return true
	}
	if !s.warned[platform] {
		s.warned[platform] = true
		s.log.Warn("deliver: no sender for the platform; its messages stay queued", "platform", platform)
	}
	return false
}

// peek is the class of the group's queue as it is now.
func (s *Stage) peek(g store.GroupKey) class {
	c := bulk
	_ = s.db.View(func(tx *store.Tx) error { c = s.classOf(tx, g); return nil })
	return c
}

// othersWaiting reports whether a group of class c or better is queued.
func (s *Stage) othersWaiting(c class) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.waiting[0] > 0 || (c == bulk && s.waiting[1] > 0)
}

// lookahead is how many messages a turn reads beyond the first it may
// send.
const lookahead = 4

// classOfEntries is the class of what is left of a group after a turn.
func (s *Stage) classOfEntries(es []*store.OutboxEntry, held []bool) class {
	c := idle
	for i, e := range es {
		if held[i] {
			continue
		}
		if s.interactive[e.Kind] {
			return interactive
		}
		c = bulk
	}
	return c
}

// outcome is what sendOne did with a message.
type outcome uint8

const (
	passed    outcome = iota // nothing sent: held, or finished without a call
	attempted                // a call was made and its outcome recorded
	stopped                  // the group waits: backoff, allowance, no sender, error
)

// sendOne tries e once and records the outcome. sync waits for the chat's
// allowance; otherwise a spent allowance stops the group until it has
// room, freeing the worker.
func (s *Stage) sendOne(ctx context.Context, e *store.OutboxEntry, held, sync bool) (res outcome) {
	now := s.now()
	defer func() {
		if p := recover(); p != nil {
			s.log.Error("deliver: panic while sending; the message stays queued", "key", e.Key, "panic", fmt.Sprint(p))
			res = stopped
		}
	}()
	if e.State == store.OutboxSending {
		// A send whose outcome a crash swallowed.
		if e.AtMostOnce {
			return s.finish(e, store.OutboxFailed, ReasonUnknown, errors.New("the bot stopped during a send on "+e.Route+", which has no idempotency key; not sent again")).or(passed)
		}
		e.State = store.OutboxPending
	}
	if now.Sub(e.DecidedAt) > s.opt.StaleAfter {
		return s.finish(e, store.OutboxFailed, ReasonExpired, errors.New("not sent within "+s.opt.StaleAfter.String())).or(passed)
	}
	if held {
		return passed // a later urgent message may still go
	}
	var r chat.Reply
	if err := json.Unmarshal(e.Message, &r); err != nil {
		return s.finish(e, store.OutboxFailed, chat.ReasonInvalid, err).or(passed)
	}
	s.mu.Lock()
	ps := s.senders[platformOf(e)]
	if ps == nil && !s.warned[platformOf(e)] {
		s.warned[platformOf(e)] = true
		s.log.Warn("deliver: no sender for the platform; its messages stay queued", "platform", platformOf(e))
	}
	s.mu.Unlock()
	if ps == nil {
		return stopped
	}
	route := chat.Route{Name: "send"}
	if rt, ok := ps.Sender.(chat.Router); ok {
		route = rt.Route(r)
	}
	if sync {
		if err := ps.lim.waitChat(ctx, s.stop, chatKey(r)); err != nil {
			return stopped
		}
	} else if d := ps.lim.reserveChat(chatKey(r), time.Now()); d > 0 {
		s.wakeAt(e.Group, d)
		return stopped
	}
	if err := ps.lim.app.wait(ctx, s.stop, s.interactive[e.Kind]); err != nil {
		return stopped
	}
	if s.opt.Gate != nil {
		if err := s.opt.Gate(ctx); err != nil {
			s.log.Warn("deliver: not sending: the gate is closed", "key", e.Key, "err", err)
			return stopped
		}
	}
	e.Route = route.Name
	if !route.Idempotent {
		// Record the attempt first: if the bot dies during the call, the
		// next start knows the outcome is unknown.
		e.State, e.Attempts = store.OutboxSending, e.Attempts+1
		if err := s.save(e); err != nil {
			s.log.Error("deliver: record attempt", "key", e.Key, "err", err)
			return stopped
		}
	} else {
		e.Attempts++
	}
	callCtx, cancel := context.WithTimeout(ctx, s.opt.CallTimeout)
	start := time.Now()
	err := ps.Send(callCtx, r)
	s.met.latency.WithLabelValues(platformOf(e)).Observe(time.Since(start).Seconds())
	cancel()
	if err == nil {
		s.met.sent.WithLabelValues(s.met.kind(e.Kind), s.met.route(route.Name)).Inc()
		e.SentAt = s.now()
		return s.finish(e, store.OutboxSent, "", nil).or(attempted)
	}
	reason := ReasonOf(err)
	if !route.Idempotent && e.AtMostOnce && Ambiguous(err) {
		return s.finish(e, store.OutboxFailed, ReasonUnknown, err).or(attempted)
	}
	if !Retryable(err) {
		return s.finish(e, store.OutboxFailed, reason, err).or(attempted)
	}
	// Keep it queued, and keep the group's order: the rest of the group
	// waits for the backoff.
	e.State, e.Reason, e.Error = store.OutboxPending, string(reason), err.Error()
	if serr := s.save(e); serr != nil {
		s.log.Error("deliver: save", "key", e.Key, "err", serr)
	}
	s.met.retries.WithLabelValues(reasonLabel(reason)).Inc()
	wait := s.backoff(e.Attempts)
	var se *chat.SendError
	if errors.As(err, &se) && se.RetryAfter > wait {
		wait = se.RetryAfter
	}
	s.mu.Lock()
	s.notBefore[e.Group] = s.now().Add(wait)
	s.mu.Unlock()
	s.wakeAt(e.Group, wait)
	s.log.Warn("deliver: send failed; will retry", "key", e.Key, "attempts", e.Attempts, "in", wait, "err", err)
	return stopped
}

// saved says whether finish recorded the outcome.
type saved bool

// or is o when the outcome was recorded, else stopped: the entry stays
// as it was and the group waits.
func (ok saved) or(o outcome) outcome {
	if ok {
		return o
	}
	return stopped
}

// finish records a final state and reports whether it was saved.
func (s *Stage) finish(e *store.OutboxEntry, st store.OutboxState, reason chat.Reason, err error) saved {
	e.State, e.Reason, e.Error = st, string(reason), ""
	if err != nil {
		e.Error = err.Error()
	}
	if st == store.OutboxFailed {
		s.met.failed.WithLabelValues(s.met.kind(e.Kind), reasonLabel(reason)).Inc()
		s.log.Error("deliver: message given up", "key", e.Key, "kind", e.Kind, "reason", reason, "err", err)
	}
	if serr := s.save(e); serr != nil {
		s.log.Error("deliver: save", "key", e.Key, "err", serr)
		return false
	}
	return true
}

// save writes e back; Batch coalesces the commits of parallel groups.
func (s *Stage) save(e *store.OutboxEntry) error {
	return s.db.Batch(func(tx *store.Tx) error { return tx.PutOutbox(e) })
}

func (s *Stage) backoff(attempts int) time.Duration {
	bo := &backoff.ExponentialBackOff{InitialInterval: s.opt.RetryBase, RandomizationFactor: 0.2,
		Multiplier: 2, MaxInterval: s.opt.RetryMax}
	bo.Reset()
	d := bo.NextBackOff()
	for i := 1; i < attempts; i++ {
		d = bo.NextBackOff()
	}
	return d
}

func (s *Stage) wakeAt(g store.GroupKey, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	if t := s.timers[g]; t != nil {
		t.Stop()
	}
	s.timers[g] = time.AfterFunc(d, func() {
		s.mu.Lock()
		delete(s.timers, g)
		s.mu.Unlock()
		s.Kick(g)
	})
}

func (s *Stage) updatePending() {
	n := 0
	var oldest time.Time
	_ = s.db.View(func(tx *store.Tx) error {
		n = tx.PendingOutboxCount()
		oldest = oldestQueued(tx)
		return nil
	})
	s.met.pending.Set(float64(n))
	age := 0.0
	if !oldest.IsZero() {
		age = max(0, s.now().Sub(oldest).Seconds())
	}
	s.met.oldest.Set(age)
}

// ReasonOf is the failure class of a Send error.
func ReasonOf(err error) chat.Reason {
	var se *chat.SendError
	if errors.As(err, &se) {
		return se.Reason
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return chat.ReasonTransient
	}
	return chat.ReasonOther
}

// Retryable: a classified error says so itself; an unclassified one (a
// network error the adapter did not wrap) is worth another try.
func Retryable(err error) bool {
	var se *chat.SendError
	if errors.As(err, &se) {
		return se.Retry
	}
	return true
}

// Ambiguous reports whether the failed call may still have posted: the
// platform refused it outright (throttled, invalid, gone, auth, quota) or
// it may have gone through (a timeout, a lost response, a 5xx).
func Ambiguous(err error) bool {
	switch ReasonOf(err) {
	case chat.ReasonThrottled, chat.ReasonInvalid, chat.ReasonGone, chat.ReasonAuth, chat.ReasonQuota:
		return false
	}
	return true
}
