// Package fakedelivery is the part of a platform's delivery to its client
// that the in-repo fakes (larkfake, dingfake) model alike: events pushed at
// least once, delivered again until the client acks them (Tracker), and
// answers to the client's calls held back until a test releases them
// (Holds). What a frame looks like, how an ack names its frame and which
// ids an event carries stay with each fake.
package fakedelivery

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Event is a fake's own record of one pushed event: its ids, and whatever
// else its status reports.
type Event interface {
	// ID names the event in AckedIDs and in WaitAcked's error.
	ID() string
	// AckID is what OnAck hooks are called with.
	AckID() string
	// Is reports whether id is one of the event's ids (Deliveries).
	Is(id string) bool
}

// Status is where a pushed event stands.
type Status[E Event] struct {
	Event E
	// Deliveries counts frames written for the event (1 + redeliveries).
	Deliveries int
	Acks       int // acks with code 200 (late ones included)
	Nacks      int // acks with another code
	Drops      int // deliveries whose connection closed before any ack
	Timeouts   int // deliveries with no ack within Policy.AckWithin
	Acked      bool
	// GaveUp: no ack of code 200 and no redelivery left.
	GaveUp   bool
	Pushed   time.Time
	FirstAck time.Time // zero until Acked
	Codes    []int     // codes of every ack received, in order
}

// Policy is how a Tracker redelivers. It is read at every delivery, so a
// fake whose knobs are plain fields sees them change between deliveries.
type Policy struct {
	// AckWithin is how long a delivery may go without an ack before it
	// counts as a timeout and the event goes out again. An ack with
	// another code than 200 also waits it out (from when the frame was
	// written): platforms retry on their schedule, not at once. A
	// connection lost before the ack sends the event again as soon as a
	// connection is up.
	AckWithin time.Duration
	// MaxRedeliveries bounds the deliveries after the first; 0 or less
	// means one delivery only, after which an event not acked is given up.
	MaxRedeliveries int
}

// Frame is one delivery of an event.
type Frame struct {
	Seq     uint64 // counts the Tracker's frames from 1
	ID      string // Config.FrameID(Seq): what the client's ack names
	Payload []byte // as pushed, the same for every delivery
}

// Conn is a connection to the client a fake delivers on.
type Conn interface {
	// Write puts one frame on the connection. An error means the frame
	// never left: it is not counted as a delivery.
	Write(f Frame) error
	// Done is closed when the connection is gone: a delivery not acked by
	// then is a drop.
	Done() <-chan struct{}
}

// Config is the protocol side of a Tracker.
type Config struct {
	// Name and Noun word WaitAcked's error ("larkfake: 2 events not
	// acked: …").
	Name, Noun string
	// Connect waits, until ctx ends, for the connection the next delivery
	// goes out on.
	Connect func(ctx context.Context) (Conn, error)
	// FrameID names frame seq; it must be unique among the fake's frames.
	FrameID func(seq uint64) string
	// Policy is read at every delivery.
	Policy func() Policy
	// OnAck is the first OnAck hook (see SetOnAck).
	OnAck func(ackID string)
}

// Tracker keeps every pushed event until the client acks it with code 200,
// delivering it again (same payload) when the ack does not come within
// Policy.AckWithin, comes with another code, or the connection is lost
// first, up to Policy.MaxRedeliveries times.
type Tracker[E Event] struct {
	cfg    Config
	seq    atomic.Uint64
	ctx    context.Context // ends with Close
	cancel context.CancelFunc

	mu     sync.Mutex
	onAck  func(string)
	events []*tracked[E]
	frames map[string]*delivery[E] // frame id → the delivery it carried
}

type tracked[E Event] struct {
	st      Status[E]
	payload []byte
	done    chan struct{} // closed when acked or given up
}

// delivery is one frame written for a tracked event.
type delivery[E Event] struct {
	ev  *tracked[E]
	ack chan int // the code of the first ack for this frame
}

// New returns a Tracker delivering through cfg. Close it with the fake.
func New[E Event](cfg Config) *Tracker[E] {
	t := &Tracker[E]{cfg: cfg, onAck: cfg.OnAck, frames: map[string]*delivery[E]{}}
	t.ctx, t.cancel = context.WithCancel(context.Background())
	return t
}

// Close stops every delivery.
func (t *Tracker[E]) Close() { t.cancel() }

// SetOnAck sets the function called the instant an ack of code 200 for a
// tracked frame arrives, on the goroutine that calls Ack (the socket's read
// goroutine: nothing more is read from that socket until it returns), with
// the event's AckID. It is called for every such ack, redeliveries'
// included; nil removes it.
func (t *Tracker[E]) SetOnAck(f func(ackID string)) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.onAck = f
}

// Push tracks e and starts delivering payload for it.
func (t *Tracker[E]) Push(e E, payload []byte) {
	ev := &tracked[E]{
		st:      Status[E]{Event: e, Pushed: time.Now()},
		payload: append([]byte(nil), payload...),
		done:    make(chan struct{}),
	}
	t.mu.Lock()
	t.events = append(t.events, ev)
	t.mu.Unlock()
	go t.deliverLoop(ev)
}

// deliverLoop delivers ev until it is acked, given up, or the Tracker
// closes.
func (t *Tracker[E]) deliverLoop(ev *tracked[E]) {
	ctx := t.ctx
	for {
		select {
		case <-ev.done:
			return
		default:
		}
		conn, err := t.cfg.Connect(ctx)
		if err != nil {
			return // closed
		}
		p := t.cfg.Policy()
		f := Frame{Seq: t.seq.Add(1), Payload: ev.payload}
		f.ID = t.cfg.FrameID(f.Seq)
		d := &delivery[E]{ev: ev, ack: make(chan int, 1)}
		t.mu.Lock()
		if ev.st.Acked { // a late ack of an earlier delivery came meanwhile
			t.mu.Unlock()
			return
		}
		t.frames[f.ID] = d
		ev.st.Deliveries++
		t.mu.Unlock()
		sentAt := time.Now()
		if err := conn.Write(f); err != nil {
			// The frame never left: not a delivery. Wait for the socket to
			// be written off, then try the next one.
			t.mu.Lock()
			ev.st.Deliveries--
			delete(t.frames, f.ID)
			t.mu.Unlock()
			select {
			case <-conn.Done():
			case <-time.After(50 * time.Millisecond):
			case <-ctx.Done():
				return
			}
			continue
		}
		timer := time.NewTimer(p.AckWithin)
		outcome := "drop"
		select {
		case <-d.ack:
			outcome = "ack"
		case <-conn.Done():
			// The socket closed; an ack read just before still counts.
			select {
			case <-d.ack:
				outcome = "ack"
			default:
			}
		case <-timer.C:
			outcome = "timeout"
		case <-ctx.Done():
			timer.Stop()
			return
		}
		timer.Stop()
		t.mu.Lock()
		switch outcome {
		case "drop":
			ev.st.Drops++
		case "timeout":
			ev.st.Timeouts++
		}
		if ev.st.Acked {
			t.mu.Unlock()
			return
		}
		if ev.st.Deliveries > p.MaxRedeliveries {
			ev.st.GaveUp = true
			t.finishLocked(ev)
			t.mu.Unlock()
			return
		}
		t.mu.Unlock()
		if outcome == "ack" { // not 200: that one would have set Acked
			select {
			case <-time.After(time.Until(sentAt.Add(p.AckWithin))):
			case <-ctx.Done():
				return
			case <-ev.done:
				return
			}
		}
	}
}

// finishLocked closes ev.done once and drops its frames from the index.
func (t *Tracker[E]) finishLocked(ev *tracked[E]) {
	select {
	case <-ev.done:
		return
	default:
	}
	close(ev.done)
	for id, d := range t.frames {
		if d.ev == ev {
			delete(t.frames, id)
		}
	}
}

// Ack consumes the client's ack, with code, of frame frameID. It returns
// false when the frame is none of the Tracker's (any more), leaving the
// ack to the fake. Call it on the socket's read goroutine: an OnAck hook
// then holds that socket's reading up.
func (t *Tracker[E]) Ack(frameID string, code int) bool {
	t.mu.Lock()
	d := t.frames[frameID]
	if d == nil {
		t.mu.Unlock()
		return false
	}
	ev := d.ev
	ev.st.Codes = append(ev.st.Codes, code)
	var hook func(string)
	if code == 200 {
		ev.st.Acks++
		if !ev.st.Acked {
			ev.st.Acked = true
			ev.st.FirstAck = time.Now()
		}
		hook = t.onAck
	} else {
		ev.st.Nacks++
	}
	t.mu.Unlock()
	if hook != nil {
		hook(ev.st.Event.AckID())
	}
	if code == 200 {
		t.mu.Lock()
		t.finishLocked(ev)
		t.mu.Unlock()
	}
	select {
	case d.ack <- code:
	default:
	}
	return true
}

// Events lists every pushed event, in push order.
func (t *Tracker[E]) Events() []Status[E] {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]Status[E], len(t.events))
	for i, ev := range t.events {
		out[i] = ev.st
		out[i].Codes = append([]int(nil), ev.st.Codes...)
	}
	return out
}

// Unacked lists the events not (yet) acked with code 200, those given up
// included.
func (t *Tracker[E]) Unacked() []Status[E] {
	var out []Status[E]
	for _, e := range t.Events() {
		if !e.Acked {
			out = append(out, e)
		}
	}
	return out
}

// AckedIDs lists the IDs of the events acked with code 200.
func (t *Tracker[E]) AckedIDs() []string {
	var out []string
	for _, e := range t.Events() {
		if e.Acked {
			out = append(out, e.Event.ID())
		}
	}
	return out
}

// Deliveries counts the frames written for the events that id names.
func (t *Tracker[E]) Deliveries(id string) int {
	n := 0
	for _, e := range t.Events() {
		if e.Event.Is(id) {
			n += e.Deliveries
		}
	}
	return n
}

// Redeliveries counts the frames written beyond each event's first.
func (t *Tracker[E]) Redeliveries() int {
	n := 0
	for _, e := range t.Events() {
		if e.Deliveries > 1 {
			n += e.Deliveries - 1
		}
	}
	return n
}

// WaitAcked waits until every event is acked or given up; it returns an
// error naming the ones still open at the timeout.
func (t *Tracker[E]) WaitAcked(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		var open []string
		for _, e := range t.Events() {
			if !e.Acked && !e.GaveUp {
				open = append(open, e.Event.ID())
			}
		}
		if len(open) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			n := len(open)
			if n > 10 {
				open = append(open[:10], "…")
			}
			return fmt.Errorf("%s: %d %s not acked: %s", t.cfg.Name, n, t.cfg.Noun, strings.Join(open, ", "))
		}
		time.Sleep(10 * time.Millisecond)
	}
}
