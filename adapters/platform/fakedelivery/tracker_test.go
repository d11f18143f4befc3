package fakedelivery

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

type msg struct{ id string }

func (m msg) ID() string        { return m.id }
func (m msg) AckID() string     { return "ack:" + m.id }
func (m msg) Is(id string) bool { return id == m.id }

// pipe is an in-memory connection: written frames come out of frames.
type pipe struct {
	frames chan Frame
	done   chan struct{}
	once   sync.Once
}

func (p *pipe) Write(f Frame) error {
	if isClosed(p.done) {
		return errors.New("closed")
	}
	p.frames <- f
	return nil
}
func (p *pipe) Done() <-chan struct{} { return p.done }
func (p *pipe) close()                { p.once.Do(func() { close(p.done) }) }
func (p *pipe) live() bool            { return !isClosed(p.done) }

func isClosed(ch chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// line hands out the current pipe; replace starts a new one.
type line struct {
	mu  sync.Mutex
	cur *pipe
}

func (l *line) connect(ctx context.Context) (Conn, error) {
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for ; ; <-tick.C {
		l.mu.Lock()
		c := l.cur
		l.mu.Unlock()
		if c != nil && c.live() {
			return c, nil
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
}

func (l *line) replace() *pipe {
	p := &pipe{frames: make(chan Frame, 16), done: make(chan struct{})}
	l.mu.Lock()
	if l.cur != nil {
		l.cur.close()
	}
	l.cur = p
	l.mu.Unlock()
	return p
}

func next(t *testing.T, p *pipe) Frame {
	t.Helper()
	select {
	case f := <-p.frames:
		return f
	case <-time.After(2 * time.Second):
		t.Fatal("no frame")
		return Frame{}
	}
}

func newTestTracker(l *line, p Policy, onAck func(string)) *Tracker[msg] {
	return New[msg](Config{Name: "fake", Noun: "events", Connect: l.connect,
		FrameID: func(seq uint64) string { return fmt.Sprintf("f%d", seq) },
		Policy:  func() Policy { return p }, OnAck: onAck})
}

func TestTrackerRedeliversUntil200(t *testing.T) {
	l := &line{}
	acks := make(chan string, 4)
	tr := newTestTracker(l, Policy{AckWithin: 80 * time.Millisecond, MaxRedeliveries: 5}, func(id string) { acks <- id })
	defer tr.Close()
	tr.Push(msg{"m1"}, []byte("payload"))
	p := l.replace() // pushed before any connection: delivered once one is up

	f := next(t, p)
	if string(f.Payload) != "payload" || f.Seq != 1 {
		t.Fatalf("first frame %+v", f)
	}
	start := time.Now()
	if !tr.Ack(f.ID, 500) {
		t.Fatal("ack of a tracked frame not consumed")
	}
	f = next(t, p) // after AckWithin, not at once
	if d := time.Since(start); d < 50*time.Millisecond {
		t.Errorf("redelivered %v after a refusal", d)
	}
	p.close() // lost before the ack: again on the next connection
	p = l.replace()
	f = next(t, p)
	if !tr.Ack(f.ID, 200) || <-acks != "ack:m1" {
		t.Fatal("200 ack")
	}
	if err := tr.WaitAcked(time.Second); err != nil {
		t.Fatal(err)
	}
	if tr.Ack(f.ID, 200) {
		t.Error("a frame of an acked event still tracked")
	}
	st := tr.Events()[0]
	if !st.Acked || st.Deliveries != 3 || st.Nacks != 1 || st.Drops != 1 || st.Acks != 1 ||
		len(st.Codes) != 2 || st.FirstAck.IsZero() {
		t.Errorf("status %+v", st)
	}
	if tr.Deliveries("m1") != 3 || tr.Redeliveries() != 2 || len(tr.AckedIDs()) != 1 || len(tr.Unacked()) != 0 {
		t.Errorf("deliveries %d, redeliveries %d, acked %v", tr.Deliveries("m1"), tr.Redeliveries(), tr.AckedIDs())
	}
	select {
	case f := <-p.frames:
		t.Errorf("delivered again after a 200: %+v", f)
	case <-time.After(150 * time.Millisecond):
	}
}

func TestTrackerGivesUp(t *testing.T) {
	l := &line{}
	p := l.replace()
	tr := newTestTracker(l, Policy{AckWithin: 20 * time.Millisecond}, nil)
	defer tr.Close()
	tr.Push(msg{"m2"}, nil)
	next(t, p)
	if err := tr.WaitAcked(time.Second); err != nil {
		t.Fatal(err)
	}
	if u := tr.Unacked(); len(u) != 1 || !u[0].GaveUp || u[0].Timeouts != 1 || u[0].Deliveries != 1 {
		t.Errorf("unacked %+v", u)
	}
}

func TestTrackerWaitAckedNamesOpenOnes(t *testing.T) {
	l := &line{} // never connected
	tr := newTestTracker(l, Policy{AckWithin: time.Second}, nil)
	tr.Push(msg{"m3"}, nil)
	err := tr.WaitAcked(30 * time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "fake: 1 events not acked: m3") {
		t.Errorf("WaitAcked: %v", err)
	}
	tr.Close() // ends the delivery waiting for a connection
}

func TestHolds(t *testing.T) {
	var h Holds[string]
	hung := make(chan string, 2)
	h.SetOnHang(func(s string) { hung <- s })
	got := make(chan bool, 2)
	go func() { got <- h.Hold(context.Background(), "a") }()
	if <-hung != "a" || h.Held() != 1 {
		t.Fatal("not held")
	}
	h.Release()
	if !<-got || h.Held() != 0 || h.Total() != 1 {
		t.Error("released call not let through")
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() { got <- h.Hold(ctx, "b") }()
	<-hung
	cancel()
	if <-got {
		t.Error("a call whose client left went on")
	}
	h.Close()
	if h.Hold(context.Background(), "c") {
		t.Error("held after Close")
	}
}
