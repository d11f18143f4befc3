package larkfake

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// This file models Lark's at-least-once event delivery for events pushed
// with PushAsync: the fake keeps each one until the client acks it with code
// 200 and delivers it again (same payload, so the same event_id and
// message_id) when the ack does not come within Options.RedeliverAfter, when
// it comes with another code, or when the socket is lost first, up to
// Options.MaxRedeliveries times. The synchronous Push and PushMessage are
// unchanged: one delivery, the ack returned to the caller.

// EventStatus is where a PushAsync event stands.
type EventStatus struct {
	EventID   string
	MessageID string // "" for events that carry no message
	// Deliveries counts frames written for the event (1 + redeliveries).
	Deliveries int
	Acks       int // acks with code 200 (late ones included)
	Nacks      int // acks with another code
	Drops      int // deliveries whose socket closed before any ack
	Timeouts   int // deliveries with no ack within RedeliverAfter
	Acked      bool
	// GaveUp: MaxRedeliveries was reached and the event was never acked.
	GaveUp    bool
	Pushed    time.Time
	FirstAck  time.Time // zero until Acked
	LastCodes []int     // codes of every ack received, in order
}

type tracked struct {
	st      EventStatus
	payload []byte
	done    chan struct{} // closed when acked or given up
}

// delivery is one frame written for a tracked event.
type delivery struct {
	ev  *tracked
	ack chan int // the code of the first ack for this frame
}

type uuidRec struct {
	id string
	at time.Time
}

// SetOnAck replaces Options.OnAck (nil removes it).
func (s *Server) SetOnAck(f func(messageID string)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.onAck = f
}

// PushAsync delivers a message event over the long connection without
// waiting for the ack, and keeps delivering it until it is acked with code
// 200 (see Options.RedeliverAfter). Empty ids get their defaults now, so
// every delivery carries the same event_id and message_id. It returns the
// message id.
func (s *Server) PushAsync(m Message) string {
	orDefault(&m.EventID, nextID("ev_"))
	orDefault(&m.MessageID, nextID("om_in"))
	if m.Time.IsZero() {
		m.Time = time.Now()
	}
	s.PushAsyncPayload(m.JSON())
	return m.MessageID
}

// PushAsyncPayload is PushAsync for a raw event envelope (a card action's
// JSON, say). It returns the event_id read from the payload's header.
func (s *Server) PushAsyncPayload(payload []byte) string {
	var env struct {
		Header struct {
			EventID string `json:"event_id"`
		} `json:"header"`
		Event struct {
			Message struct {
				MessageID string `json:"message_id"`
			} `json:"message"`
		} `json:"event"`
	}
	_ = json.Unmarshal(payload, &env)
	ev := &tracked{
		st:      EventStatus{EventID: env.Header.EventID, MessageID: env.Event.Message.MessageID, Pushed: time.Now()},
		payload: append([]byte(nil), payload...),
		done:    make(chan struct{}),
	}
	s.mu.Lock()
	s.events = append(s.events, ev)
	s.mu.Unlock()
	go s.deliverLoop(ev)
	return ev.st.EventID
}

// deliverLoop delivers ev until it is acked, given up, or the fake closes.
func (s *Server) deliverLoop(ev *tracked) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-s.closed:
			cancel()
		case <-ctx.Done():
		}
	}()
	for {
		if s.finished(ev) {
			return
		}
		conn, err := s.ws.waitConn(ctx)
		if err != nil {
			return // the fake closed
		}
		n := s.ws.seq.Add(1)
		id := fmt.Sprintf("fake-event-%d", n)
		d := &delivery{ev: ev, ack: make(chan int, 1)}
		s.mu.Lock()
		if ev.st.Acked { // a late ack of an earlier delivery came meanwhile
			s.mu.Unlock()
			return
		}
		s.frames[id] = d
		ev.st.Deliveries++
		s.mu.Unlock()
		sentAt := time.Now()
		f := eventFrame(conn, uint64(n), id, ev.payload)
		if err := conn.write(&f); err != nil {
			// The frame never left: not a delivery. Wait for the socket to
			// be written off, then try the next one.
			s.mu.Lock()
			ev.st.Deliveries--
			delete(s.frames, id)
			s.mu.Unlock()
			select {
			case <-conn.done:
			case <-time.After(50 * time.Millisecond):
			case <-ctx.Done():
				return
			}
			continue
		}
		timer := time.NewTimer(s.opts.RedeliverAfter)
		outcome := "drop"
		code := 0
		select {
		case code = <-d.ack:
			outcome = "ack"
		case <-conn.done:
			// The socket closed; an ack read just before still counts.
			select {
			case code = <-d.ack:
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
		s.mu.Lock()
		switch {
		case outcome == "drop":
			ev.st.Drops++
		case outcome == "timeout":
			ev.st.Timeouts++
		}
		if ev.st.Acked {
			s.mu.Unlock()
			return
		}
		if s.opts.MaxRedeliveries < 0 || ev.st.Deliveries > s.opts.MaxRedeliveries {
			ev.st.GaveUp = true
			s.finishLocked(ev)
			s.mu.Unlock()
			return
		}
		s.mu.Unlock()
		if outcome == "ack" && code != 200 {
			// Refused: Lark tries again on its schedule, not at once.
			wait := time.Until(sentAt.Add(s.opts.RedeliverAfter))
			select {
			case <-time.After(wait):
			case <-ctx.Done():
				return
			case <-ev.done:
				return
			}
		}
	}
}

func (s *Server) finished(ev *tracked) bool {
	select {
	case <-ev.done:
		return true
	default:
		return false
	}
}

// finishLocked closes ev.done once and drops its frames from the index.
func (s *Server) finishLocked(ev *tracked) {
	select {
	case <-ev.done:
		return
	default:
	}
	close(ev.done)
	for id, d := range s.frames {
		if d.ev == ev {
			delete(s.frames, id)
		}
	}
}

// trackedAck consumes the client's answer to a PushAsync frame (the hub's
// ackHook, called on the socket's read goroutine).
func (s *Server) trackedAck(frameID string, payload []byte) bool {
	s.mu.Lock()
	d := s.frames[frameID]
	if d == nil {
		s.mu.Unlock()
		return false
	}
	var a Ack
	if err := json.Unmarshal(payload, &a); err != nil {
		a.Code = -1
	}
	ev := d.ev
	ev.st.LastCodes = append(ev.st.LastCodes, a.Code)
	var hook func(string)
	if a.Code == 200 {
		ev.st.Acks++
		if !ev.st.Acked {
			ev.st.Acked = true
			ev.st.FirstAck = time.Now()
		}
		hook = s.onAck
	} else {
		ev.st.Nacks++
	}
	id := ev.st.MessageID
	if id == "" {
		id = ev.st.EventID
	}
	s.mu.Unlock()
	if hook != nil {
		hook(id)
	}
	s.mu.Lock()
	if a.Code == 200 {
		s.finishLocked(ev)
	}
	s.mu.Unlock()
	select {
	case d.ack <- a.Code:
	default:
	}
	return true
}

// Events lists every PushAsync event, in push order.
func (s *Server) Events() []EventStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]EventStatus, len(s.events))
	for i, ev := range s.events {
		out[i] = ev.st
		out[i].LastCodes = append([]int(nil), ev.st.LastCodes...)
	}
	return out
}

// Unacked lists the PushAsync events not (yet) acked with code 200, those
// given up included.
func (s *Server) Unacked() []EventStatus {
	var out []EventStatus
	for _, e := range s.Events() {
		if !e.Acked {
			out = append(out, e)
		}
	}
	return out
}

// AckedEventIDs lists the event ids of PushAsync events acked with 200.
func (s *Server) AckedEventIDs() []string {
	var out []string
	for _, e := range s.Events() {
		if e.Acked {
			out = append(out, e.EventID)
		}
	}
	return out
}

// Deliveries counts the frames written for the PushAsync events whose
// event_id or message_id is id.
func (s *Server) Deliveries(id string) int {
	n := 0
	for _, e := range s.Events() {
		if e.EventID == id || (e.MessageID != "" && e.MessageID == id) {
			n += e.Deliveries
		}
	}
	return n
}

// Redeliveries counts the frames written for PushAsync events beyond each
// event's first.
func (s *Server) Redeliveries() int {
	n := 0
	for _, e := range s.Events() {
		if e.Deliveries > 1 {
			n += e.Deliveries - 1
		}
	}
	return n
}

// WaitAcked waits until every PushAsync event is acked or given up; it
// returns an error naming the ones still open at the timeout.
func (s *Server) WaitAcked(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		s.mu.Lock()
		var open []string
		for _, ev := range s.events {
			if !ev.st.Acked && !ev.st.GaveUp {
				open = append(open, ev.st.EventID)
			}
		}
		s.mu.Unlock()
		if len(open) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			if len(open) > 10 {
				open = append(open[:10], "…")
			}
			return fmt.Errorf("larkfake: %d events not acked: %s", len(open), strings.Join(open, ", "))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// UUIDSends counts the send requests (create and reply, deduped ones
// included) that carried uuid.
func (s *Server) UUIDSends(uuid string) int {
	return locked(s, func() int { return s.uuidCalls[uuid] })
}

// UUIDCounts maps every uuid seen to the number of requests carrying it.
func (s *Server) UUIDCounts() map[string]int {
	return locked(s, func() map[string]int {
		out := make(map[string]int, len(s.uuidCalls))
		for k, v := range s.uuidCalls {
			out[k] = v
		}
		return out
	})
}

// Deduped counts sends answered with an earlier message because their uuid
// was seen within UUIDWindow (no second post recorded).
func (s *Server) Deduped() int { return locked(s, func() int { return s.deduped }) }

// SetOnHang sets a function called (on the request's goroutine) each time a
// send starts hanging under FaultHang or FaultHangBefore.
func (s *Server) SetOnHang(f func(Fault)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.onHang = f
}

// Hung counts the sends currently held by FaultHang or FaultHangBefore.
func (s *Server) Hung() int { return locked(s, func() int { return s.hung }) }

// ReleaseHung lets every held send go on.
func (s *Server) ReleaseHung() {
	s.mu.Lock()
	defer s.mu.Unlock()
	close(s.release)
	s.release = make(chan struct{})
}

// hang holds a request until ReleaseHung (true) or until the client goes
// away (false). Called without s.mu held.
func (s *Server) hang(r *http.Request, f Fault) bool {
	s.mu.Lock()
	s.hung++
	rel, hook := s.release, s.onHang
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.hung--
		s.mu.Unlock()
	}()
	if hook != nil {
		hook(f)
	}
	select {
	case <-rel:
		return r.Context().Err() == nil
	case <-r.Context().Done():
		return false
	case <-s.closed:
		return false
	}
}
