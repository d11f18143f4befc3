package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/robfig/cron/v3"
	"golang.org/x/time/rate"

	"collabbot/rules"
	"collabbot/store"
)

// kindDigest is the outbox kind of a morning digest that carries the
// messages which fell due in quiet hours.
const kindDigest rules.RemindKind = "digest"

// EngineOptions tune NewEngine; the zero value is production's defaults.
type EngineOptions struct {
	// Location is the cron clock's zone; nil = the bot's default zone.
	// Each group's own zone still decides its days and times.
	Location *time.Location
	// Registerer receives the engine's metrics; nil = no metrics.
	Registerer prometheus.Registerer
	Log        *slog.Logger
	// Now is the clock for Start's ticks; nil = the bot's clock.
	Now func() time.Time
	// PlatformRate and GroupRate limit proactive sends per platform and
	// per group (messages per second; zero = 10/s and 1/s), GroupBurst is
	// how many a group may get at once (zero = 5).
	PlatformRate rate.Limit
	GroupRate    rate.Limit
	GroupBurst   int
	// MaxAttempts bounds tries of one message within one run (zero = 5);
	// a message still failing with a retryable error stays pending for the
	// next run. RetryBase and RetryMax shape the exponential backoff
	// (zero = 1 s and 1 min); a platform's RetryAfter hint wins when longer.
	MaxAttempts int
	RetryBase   time.Duration
	RetryMax    time.Duration
	// StaleAfter gives up on a message still unsent this long after it was
	// decided (zero = 24 h): a reminder that late misleads more than it helps.
	StaleAfter time.Duration
	// Workers is how many groups are sent to in parallel (zero = 8).
	Workers int
}

// Engine posts the scheduled and triggered messages: every minute it asks
// the rules what is owed, records each owed message in the store's outbox
// (in the transaction that read the state it was decided from), sends it
// and marks it sent. See RunDue.
type Engine struct {
	b    *Bot
	opt  EngineOptions
	log  *slog.Logger
	now  func() time.Time
	loc  *time.Location
	met  *engineMetrics
	runM sync.Mutex // one RunDue at a time

	limM     sync.Mutex
	platLim  map[string]*rate.Limiter
	groupLim map[store.GroupKey]*rate.Limiter

	lifeM     sync.Mutex
	started   bool
	closed    bool
	cron      *cron.Cron
	cancel    context.CancelFunc
	wg        sync.WaitGroup
	lastPrune time.Time
}

// NewEngine makes the reminder engine for b. It registers its metrics on
// opts.Registerer and fails if they are already registered there.
func NewEngine(b *Bot, opts EngineOptions) (*Engine, error) {
	if b == nil {
		return nil, errors.New("bot: NewEngine: nil Bot")
	}
	if opts.Location == nil {
		opts.Location = b.def.Location
	}
	if opts.Log == nil {
		opts.Log = b.log
	}
	if opts.Now == nil {
		opts.Now = b.Now
	}
	if opts.PlatformRate == 0 {
		opts.PlatformRate = 10
	}
	if opts.GroupRate == 0 {
		opts.GroupRate = 1
	}
	if opts.GroupBurst == 0 {
		opts.GroupBurst = 5
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = 5
	}
	if opts.RetryBase <= 0 {
		opts.RetryBase = time.Second
	}
	if opts.RetryMax <= 0 {
		opts.RetryMax = time.Minute
	}
	if opts.StaleAfter <= 0 {
		opts.StaleAfter = 24 * time.Hour
	}
	if opts.Workers <= 0 {
		opts.Workers = 8
	}
	met, err := newEngineMetrics(opts.Registerer)
	if err != nil {
		return nil, err
	}
	return &Engine{
		b: b, opt: opts, log: opts.Log, now: opts.Now, loc: opts.Location, met: met,
		platLim: map[string]*rate.Limiter{}, groupLim: map[store.GroupKey]*rate.Limiter{},
	}, nil
}

// RunDue decides and sends everything owed at now: first the entries left
// pending by an earlier run or a crash, then what the rules owe now that
// the outbox has not seen. The console calls it after moving its clock;
// Start calls it every minute. Calls are serialised.
func (e *Engine) RunDue(ctx context.Context, now time.Time) error {
	e.runM.Lock()
	defer e.runM.Unlock()
	if err := e.decide(now); err != nil {
		return fmt.Errorf("remind: decide: %w", err)
	}
	err := e.flush(ctx, now)
	e.prune(now)
	e.updatePending()
	if err != nil {
		return fmt.Errorf("remind: send: %w", err)
	}
	return nil
}

// decide records every newly owed message as pending. A read-only pass
// finds the groups owing something new; one write transaction then decides
// those groups again on fresh state and records the outbox entries, so a
// message is decided exactly once even if state changed in between.
func (e *Engine) decide(now time.Time) error {
	var todo []store.GroupKey
	err := e.b.db.View(func(tx *store.Tx) error {
		return tx.Groups(func(g *store.Group) error {
			v, err := e.b.loadGroup(tx, g)
			if err != nil {
				return err
			}
			for _, o := range rules.Due(v.policy, v.states, e.b.cal, now) {
				if !tx.OutboxHas(o.Key) {
					todo = append(todo, g.Key)
					break
				}
			}
			return nil
		})
	})
	if err != nil || len(todo) == 0 {
		return err
	}
	return e.b.db.Update(func(tx *store.Tx) error {
		for _, k := range todo {
			g, err := tx.Group(k)
			if err != nil {
				return err
			}
			v, err := e.b.loadGroup(tx, g)
			if err != nil {
				return err
			}
			if err := e.record(tx, v, now); err != nil {
				return fmt.Errorf("group %s: %w", k, err)
			}
		}
		return nil
	})
}

// record writes the group's newly owed messages to the outbox and applies
// their effects (an acceptance by default marks the task). Messages that
// fell due in quiet hours go out as one digest when there are several.
func (e *Engine) record(tx *store.Tx, v *groupView, now time.Time) error {
	var fresh, deferred []rules.Owed
	for _, o := range rules.Due(v.policy, v.states, e.b.cal, now) {
		if tx.OutboxHas(o.Key) {
			continue
		}
		if o.Deferred() && !o.Urgent {
			deferred = append(deferred, o)
		} else {
			fresh = append(fresh, o)
		}
	}
	if len(deferred) == 1 {
		fresh, deferred = append(fresh, deferred[0]), nil
	}
	for _, o := range append(fresh, deferred...) {
		if o.Kind != rules.RemindAckDefault {
			continue
		}
		if t := v.byID[o.TaskID]; t != nil && t.AckedAt.IsZero() {
			t.AckedAt, t.AckDefaulted = now, true
			if err := tx.PutTask(t); err != nil {
				return err
			}
			if err := tx.AppendHistory(t.Group, t.ID, store.HistoryEntry{At: now, Action: "ack_default"}); err != nil {
				return err
			}
		}
	}
	for _, o := range fresh {
		r := e.b.render(v, o, now)
		if err := e.put(tx, v, o.Key, o, r, now); err != nil {
			return err
		}
	}
	if len(deferred) == 0 {
		return nil
	}
	dkey := fmt.Sprintf("%s:%s:%s", kindDigest, v.policy.Key, now.In(v.set.Location).Format("2006-01-02T15:04"))
	var parts []rendered
	for _, o := range deferred {
		parts = append(parts, e.b.render(v, o, now))
		_, err := tx.AddOutbox(&store.OutboxEntry{Key: o.Key, Group: v.group.Key, Kind: string(o.Kind), TaskID: o.TaskID,
			Step: o.Step, State: store.OutboxMerged, Into: dkey, Occasion: o.Occasion, DecidedAt: now})
		if err != nil {
			return err
		}
	}
	d := rules.Owed{Kind: kindDigest, Occasion: deferred[0].Deliver}
	return e.put(tx, v, dkey, d, e.b.digest(v, parts, now), now)
}

// put records one pending message with its rendered Reply.
func (e *Engine) put(tx *store.Tx, v *groupView, key string, o rules.Owed, r rendered, now time.Time) error {
	rep := Reply{Platform: v.group.Key.Platform, ChatID: v.group.Key.ChatID, Text: r.text,
		Mentions: fromStoreUsers(r.mentions), Card: r.card, Key: key, Urgent: o.Urgent}
	msg, err := json.Marshal(rep)
	if err != nil {
		return err
	}
	_, err = tx.AddOutbox(&store.OutboxEntry{Key: key, Group: v.group.Key, Kind: string(o.Kind), TaskID: o.TaskID,
		Step: o.Step, Urgent: o.Urgent, State: store.OutboxPending, Occasion: o.Occasion, DecidedAt: now, Message: msg})
	return err
}

// prune forgets finished outbox entries once a day: anything decided
// before the rules' horizon (rules.MaxLate, plus a week for weekly and
// daily keys) can never be owed again.
func (e *Engine) prune(now time.Time) {
	if !e.lastPrune.IsZero() && now.Sub(e.lastPrune) < 24*time.Hour && !now.Before(e.lastPrune) {
		return
	}
	e.lastPrune = now
	err := e.b.db.Update(func(tx *store.Tx) error {
		_, err := tx.PruneOutbox(now.Add(-rules.MaxLate - 7*24*time.Hour))
		return err
	})
	if err != nil {
		e.log.Error("remind: prune outbox", "err", err)
	}
}

func (e *Engine) updatePending() {
	n := 0
	_ = e.b.db.View(func(tx *store.Tx) error {
		n = tx.PendingOutboxCount()
		return nil
	})
	e.met.pending.Set(float64(n))
}

// Start runs the engine on a cron clock in opts.Location: a tick every
// minute asks what is due now. Start also runs one catch-up at once, so a
// bot that was down at 17:00 posts the missed nudge (once) on start-up.
// Group times come from the store on every tick, so /config changes need
// no restart. Start returns at once; the work runs until Close.
func (e *Engine) Start(ctx context.Context) error {
	e.lifeM.Lock()
	defer e.lifeM.Unlock()
	if e.closed {
		return errors.New("remind: engine closed")
	}
	if e.started {
		return errors.New("remind: engine already started")
	}
	ctx, e.cancel = context.WithCancel(ctx)
	c := cron.New(cron.WithLocation(e.loc), cron.WithChain(cron.SkipIfStillRunning(cron.DiscardLogger)))
	if _, err := c.AddFunc("* * * * *", func() { e.tick(ctx) }); err != nil {
		e.cancel()
		return fmt.Errorf("remind: schedule: %w", err)
	}
	e.cron, e.started = c, true
	e.wg.Go(func() { e.tick(ctx) })
	c.Start()
	return nil
}

func (e *Engine) tick(ctx context.Context) {
	if ctx.Err() != nil {
		return
	}
	if err := e.RunDue(ctx, e.now()); err != nil && ctx.Err() == nil {
		e.log.Error("remind: run", "err", err)
	}
}

// Close stops the clock and waits for a running tick. It is safe after a
// failed or partial Start, without Start, and more than once.
func (e *Engine) Close() error {
	e.lifeM.Lock()
	defer e.lifeM.Unlock()
	if e.closed {
		return nil
	}
	e.closed = true
	if e.cancel != nil {
		e.cancel()
	}
	if e.cron != nil {
		<-e.cron.Stop().Done()
	}
	e.wg.Wait()
	return nil
}
