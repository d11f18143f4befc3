package remind

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"collabbot/store"
)

type decider struct {
	mu      sync.Mutex
	calls   []time.Time
	prunes  int
	groups  []store.GroupKey
	err     error
	explode bool
}

func (d *decider) DecideDue(now time.Time) ([]store.GroupKey, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.calls = append(d.calls, now)
	if d.explode {
		panic("rules bug")
	}
	return d.groups, d.err
}

func (d *decider) PruneOutbox(time.Time) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.prunes++
	return 0, nil
}

type outbox struct {
	mu      sync.Mutex
	kicked  []store.GroupKey
	flushes int
}

func (o *outbox) Kick(g store.GroupKey) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.kicked = append(o.kicked, g)
}

func (o *outbox) Flush(context.Context) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.flushes++
	return nil
}

var g1 = store.GroupKey{Platform: "console", ChatID: "g1"}

// The clock ticks once at start (the catch-up) and then every minute, on
// the minute; each tick kicks the groups that got something; pruning is
// daily.
func TestTicks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d, o := &decider{groups: []store.GroupKey{g1}}, &outbox{}
		e, err := New(d, o, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if err := e.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		time.Sleep(10*time.Minute + 30*time.Second)
		e.Close()
		synctest.Wait()
		if n := len(d.calls); n < 10 || n > 12 {
			t.Errorf("%d decisions in 10.5 minutes, want the catch-up plus one a minute", n)
		}
		if len(o.kicked) != len(d.calls) || o.flushes != 0 {
			t.Errorf("kicked %d, flushed %d for %d decisions", len(o.kicked), o.flushes, len(d.calls))
		}
		if d.prunes != 1 {
			t.Errorf("pruned %d times in 10 minutes, want 1", d.prunes)
		}
		if err := e.Start(context.Background()); err == nil {
			t.Error("Start after Close succeeded")
		}
	})
}

// RunDue decides and sends synchronously (the console's /clock).
func TestRunDueFlushes(t *testing.T) {
	d, o := &decider{}, &outbox{}
	e, _ := New(d, o, Options{})
	if err := e.RunDue(context.Background(), time.Now()); err != nil || o.flushes != 1 {
		t.Fatalf("RunDue: %v, %d flushes", err, o.flushes)
	}
	d.err = errors.New("store gone")
	if err := e.RunDue(context.Background(), time.Now()); err == nil || o.flushes != 1 {
		t.Errorf("a failed decision must not send: %v, %d flushes", err, o.flushes)
	}
}

// A panic in the rules is an error for that tick, not a crash loop.
func TestPanicIsAnError(t *testing.T) {
	d := &decider{explode: true}
	e, _ := New(d, &outbox{}, Options{})
	err := e.Tick(time.Now())
	if err == nil || !strings.Contains(err.Error(), "panic") {
		t.Errorf("Tick = %v, want a panic error", err)
	}
	if err := e.Close(); err != nil {
		t.Errorf("Close without Start: %v", err)
	}
	if err := e.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}
