// Package remind is the reminder engine: a clock that, every minute, has
// the bot decide what the rules owe (recorded in the outbox in the same
// transaction that read the state) and hands the groups concerned to the
// send stage. It decides nothing itself and sends nothing itself.
//
// Lifecycle: New → Start → Close; Close is safe without Start and more than
// once. RunDue works without Start (the console calls it after moving its
// simulated clock).
package remind

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"collabbot/store"
)

// Decider is the bot as the engine sees it.
type Decider interface {
	// DecideDue records what is owed at now and returns the groups that
	// got new outbox entries.
	DecideDue(now time.Time) ([]store.GroupKey, error)
	// PruneOutbox forgets finished entries that can never be owed again.
	PruneOutbox(now time.Time) (int, error)
}

// Outbox is the send stage as the engine sees it.
type Outbox interface {
	Kick(g store.GroupKey)
	// Flush sends what may go out now and returns when done.
	Flush(ctx context.Context) error
}

// Options tune New.
type Options struct {
	// Location is the cron clock's zone (nil = Asia/Shanghai). Each
	// group's own zone still decides its days and times.
	Location *time.Location
	Log      *slog.Logger
	// Now is the clock for the ticks (nil = time.Now).
	Now func() time.Time
}

// Engine runs the decisions on a clock.
type Engine struct {
	d    Decider
	out  Outbox
	opt  Options
	log  *slog.Logger
	runM sync.Mutex // one decision at a time

	lastPrune time.Time

	lifeM   sync.Mutex
	started bool
	closed  bool
	cron    *cron.Cron
	cancel  context.CancelFunc
	wg      sync.WaitGroup
}

// New makes an engine for d, sending through out.
func New(d Decider, out Outbox, opt Options) (*Engine, error) {
	if d == nil || out == nil {
		return nil, errors.New("remind: New needs a Decider and an Outbox")
	}
	if opt.Location == nil {
		loc, err := time.LoadLocation("Asia/Shanghai")
		if err != nil {
			loc = time.FixedZone("CST", 8*3600)
		}
		opt.Location = loc
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	return &Engine{d: d, out: out, opt: opt, log: opt.Log}, nil
}

// Tick decides what is owed at now and kicks the send stage for the groups
// concerned; it returns without waiting for the sends.
func (e *Engine) Tick(now time.Time) error {
	gs, err := e.decide(now)
	for _, g := range gs {
		e.out.Kick(g)
	}
	return err
}

// RunDue decides what is owed at now and sends everything that may go out,
// returning when done. Calls are serialised.
func (e *Engine) RunDue(ctx context.Context, now time.Time) error {
	if _, err := e.decide(now); err != nil {
		return err
	}
	if err := e.out.Flush(ctx); err != nil {
		return fmt.Errorf("remind: send: %w", err)
	}
	return nil
}

func (e *Engine) decide(now time.Time) (gs []store.GroupKey, err error) {
	e.runM.Lock()
	defer e.runM.Unlock()
	defer func() {
		// A panic in the rules must not take the process down at every
		// tick; it is logged and the next tick tries again.
		if p := recover(); p != nil {
			err = fmt.Errorf("remind: decide: panic: %v", p)
		}
	}()
	gs, err = e.d.DecideDue(now)
	if err != nil {
		err = fmt.Errorf("remind: decide: %w", err)
	}
	if e.lastPrune.IsZero() || now.Sub(e.lastPrune) >= 24*time.Hour || now.Before(e.lastPrune) {
		e.lastPrune = now
		if _, perr := e.d.PruneOutbox(now); perr != nil {
			e.log.Error("remind: prune outbox", "err", perr)
		}
	}
	return gs, err
}

// Start runs the engine on a cron clock in Options.Location: a tick every
// minute asks what is due now. Start also ticks once at once, so a bot that
// was down at 17:00 posts the missed nudge (once) on start-up. Group times
// come from the store on every tick, so /config changes need no restart.
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
	c := cron.New(cron.WithLocation(e.opt.Location), cron.WithChain(cron.SkipIfStillRunning(cron.DiscardLogger)))
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
	if err := e.Tick(e.opt.Now()); err != nil {
		e.log.Error("remind: run", "err", err)
	}
}

// Close stops the clock and waits for a running tick.
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
