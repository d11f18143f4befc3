package dingfake

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// This file adds tracked robot-message delivery (PushBotMessageAsync, with
// optional redelivery), ack hooks, hang faults and call accounting. The
// synchronous Push* methods are unchanged.

// EventStatus is where a PushBotMessageAsync message stands.
type EventStatus struct {
	MsgID      string
	Chat       string
	Deliveries int // frames written (1 + redeliveries)
	Acks       int // acks with code 200 (late ones included)
	Nacks      int // acks with another code
	Drops      int // deliveries whose socket closed before any ack
	Timeouts   int // deliveries with no ack within RedeliverAfter (or AckTimeout)
	Acked      bool
	// GaveUp: no 200 ack and no (more) redelivery: with redelivery off,
	// any message not acked on its single delivery.
	GaveUp   bool
	Pushed   time.Time
	FirstAck time.Time
	Codes    []int // codes of every ack received, in order
}

type tracked struct {
	st   EventStatus
	data string
	done chan struct{} // closed when acked or given up
}

type delivery struct {
	ev  *tracked
	ack chan int
}

type matchFault struct {
	match func(body []byte) bool
	f     Fault
}

// FailWhen makes the first call of api whose request body satisfies match
// answer f (once). It takes precedence over FailNext. With Hang or
// HangAfter it makes a chosen send hang (see ReleaseHung, SetOnHang).
func (s *Server) FailWhen(api string, match func(body []byte) bool, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.matchFaults[api] = append(s.matchFaults[api], matchFault{match: match, f: f})
}

// SetOnAck sets a function called the instant an ack of code 200 for a
// PushBotMessageAsync message arrives, on the socket's read goroutine
// (nothing more is read from that socket until it returns), with the
// message's msgId. It is called for every such ack, redeliveries' included.
func (s *Server) SetOnAck(f func(msgID string)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.onAck = f
}

// SetOnHang sets a function called (on the request's goroutine) each time
// a call starts hanging under a Hang or HangAfter fault, with its Path*.
func (s *Server) SetOnHang(f func(api string)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.onHang = f
}

// Hung counts the calls held right now; HungTotal all that ever hung.
func (s *Server) Hung() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hung
}

// HungTotal counts the calls that ever hung.
func (s *Server) HungTotal() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hungTotal
}

// ReleaseHung lets every held call go on.
func (s *Server) ReleaseHung() {
	s.mu.Lock()
	defer s.mu.Unlock()
	close(s.release)
	s.release = make(chan struct{})
}

// hang holds a request until ReleaseHung (true, if the client still
// waits) or until the client goes away (false).
func (s *Server) hang(r *http.Request, api string) bool {
	s.mu.Lock()
	s.hung++
	s.hungTotal++
	rel, hook := s.release, s.onHang
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.hung--
		s.mu.Unlock()
	}()
	if hook != nil {
		hook(api)
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

// CardCreates counts createAndDeliver calls per outTrackId (duplicates
// and failed ones included, unauthorized ones not).
func (s *Server) CardCreates() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.cardCreates))
	for k, v := range s.cardCreates {
		out[k] = v
	}
	return out
}

// SentVia returns what was delivered through via ("webhook", "group",
// "oto", "card"), in order.
func (s *Server) SentVia(via string) []Sent {
	var out []Sent
	for _, m := range s.Sent() {
		if m.Via == via {
			out = append(out, m)
		}
	}
	return out
}

// PushBotMessageAsync sends a robot message over the stream without
// waiting for the ack and tracks it: acked with 200, or (RedeliverAfter >
// 0) delivered again with the same data. It returns the msgId.
func (s *Server) PushBotMessageAsync(m BotMessage) string {
	id, data := s.botData(m)
	ev := &tracked{
		st:   EventStatus{MsgID: id, Chat: m.ConversationID, Pushed: time.Now()},
		data: data,
		done: make(chan struct{}),
	}
	s.mu.Lock()
	s.events = append(s.events, ev)
	s.mu.Unlock()
	go s.deliverLoop(ev)
	return id
}

// waitNewest returns the latest live connection, waiting for one.
func (s *Server) waitNewest(ctx context.Context) (*wsConn, error) {
	for {
		s.mu.Lock()
		c, ch := s.newest, s.connCh
		s.mu.Unlock()
		if c != nil {
			select {
			case <-c.done:
			default:
				return c, nil
			}
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(20 * time.Millisecond): // newest may have gone
		}
	}
}

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
		select {
		case <-ev.done:
			return
		default:
		}
		c, err := s.waitNewest(ctx)
		if err != nil {
			return
		}
		s.mu.Lock()
		if ev.st.Acked {
			s.mu.Unlock()
			return
		}
		s.seq++
		id := fmt.Sprintf("frame-%d-%s", s.seq, randID(""))
		d := &delivery{ev: ev, ack: make(chan int, 1)}
		s.frames[id] = d
		ev.st.Deliveries++
		wait := s.RedeliverAfter
		redeliver := wait > 0
		max := s.MaxRedeliveries
		if max == 0 {
			max = 4
		}
		if !redeliver {
			wait = s.AckTimeout
		}
		s.mu.Unlock()
		frame := map[string]any{
			"specVersion": "1.0",
			"type":        "CALLBACK",
			"headers": map[string]string{
				"topic": TopicBotMessage, "messageId": id, "contentType": "application/json",
				"time": strconv.FormatInt(time.Now().UnixMilli(), 10),
			},
			"data": ev.data,
		}
		sentAt := time.Now()
		if err := c.write(frame); err != nil {
			s.mu.Lock()
			ev.st.Deliveries--
			delete(s.frames, id)
			s.mu.Unlock()
			select {
			case <-c.done:
			case <-time.After(50 * time.Millisecond):
			case <-ctx.Done():
				return
			}
			continue
		}
		timer := time.NewTimer(wait)
		outcome := "drop"
		select {
		case <-d.ack:
			outcome = "ack"
		case <-c.done:
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
		s.mu.Lock()
		switch outcome {
		case "drop":
			ev.st.Drops++
		case "timeout":
			ev.st.Timeouts++
		}
		if ev.st.Acked {
			s.mu.Unlock()
			return
		}
		if !redeliver || ev.st.Deliveries > max {
			ev.st.GaveUp = true
			s.finishLocked(ev)
			s.mu.Unlock()
			return
		}
		s.mu.Unlock()
		if outcome == "ack" {
			select {
			case <-time.After(time.Until(sentAt.Add(wait))):
			case <-ctx.Done():
				return
			case <-ev.done:
				return
			}
		}
	}
}

// finishLocked closes ev.done once and forgets its frames.
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

// trackedAck consumes an ack for a PushBotMessageAsync frame.
func (s *Server) trackedAck(a Ack) bool {
	s.mu.Lock()
	d := s.frames[a.MessageID]
	if d == nil {
		s.mu.Unlock()
		return false
	}
	s.acks++
	ev := d.ev
	ev.st.Codes = append(ev.st.Codes, a.Code)
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
	s.mu.Unlock()
	if hook != nil {
		hook(ev.st.MsgID)
	}
	if a.Code == 200 {
		s.mu.Lock()
		s.finishLocked(ev)
		s.mu.Unlock()
	}
	select {
	case d.ack <- a.Code:
	default:
	}
	return true
}

// Events lists every PushBotMessageAsync message, in push order.
func (s *Server) Events() []EventStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]EventStatus, len(s.events))
	for i, ev := range s.events {
		out[i] = ev.st
		out[i].Codes = append([]int(nil), ev.st.Codes...)
	}
	return out
}

// Unacked lists the tracked messages not (yet) acked with 200.
func (s *Server) Unacked() []EventStatus {
	var out []EventStatus
	for _, e := range s.Events() {
		if !e.Acked {
			out = append(out, e)
		}
	}
	return out
}

// AckedMsgIDs lists the msgIds of tracked messages acked with 200.
func (s *Server) AckedMsgIDs() []string {
	var out []string
	for _, e := range s.Events() {
		if e.Acked {
			out = append(out, e.MsgID)
		}
	}
	return out
}

// Deliveries counts the frames written for the tracked message msgID.
func (s *Server) Deliveries(msgID string) int {
	n := 0
	for _, e := range s.Events() {
		if e.MsgID == msgID {
			n += e.Deliveries
		}
	}
	return n
}

// Redeliveries counts frames written for tracked messages beyond each
// one's first.
func (s *Server) Redeliveries() int {
	n := 0
	for _, e := range s.Events() {
		if e.Deliveries > 1 {
			n += e.Deliveries - 1
		}
	}
	return n
}

// WaitAcked waits until every tracked message is acked or given up.
func (s *Server) WaitAcked(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		var open []string
		for _, e := range s.Events() {
			if !e.Acked && !e.GaveUp {
				open = append(open, e.MsgID)
			}
		}
		if len(open) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			if len(open) > 10 {
				open = append(open[:10], "…")
			}
			return fmt.Errorf("dingfake: %d messages not acked: %s", len(open), strings.Join(open, ", "))
		}
		time.Sleep(10 * time.Millisecond)
	}
}
