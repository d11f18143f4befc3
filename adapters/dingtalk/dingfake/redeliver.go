package dingfake

import (
	"context"
	"fmt"
	"time"

	"collabbot/adapters/platform/fakedelivery"
)

// This file adds tracked robot-message delivery (PushBotMessageAsync, with
// optional redelivery), ack hooks, hang faults and call accounting. The
// synchronous Push* methods are unchanged. The tracking, redelivery and
// hang machinery are fakedelivery's, shared with larkfake; what is
// DingTalk's here is the CALLBACK frame and the ack's messageId header.

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

// botMsg is what the tracker keeps of a PushBotMessageAsync message
// besides its delivery; its msgId names it everywhere.
type botMsg struct{ MsgID, Chat string }

func (m botMsg) ID() string        { return m.MsgID }
func (m botMsg) AckID() string     { return m.MsgID }
func (m botMsg) Is(id string) bool { return id == m.MsgID }

func newTracker(s *Server) *fakedelivery.Tracker[botMsg] {
	return fakedelivery.New[botMsg](fakedelivery.Config{
		Name: "dingfake", Noun: "messages",
		Connect: func(ctx context.Context) (fakedelivery.Conn, error) {
			c, err := s.waitNewest(ctx)
			if err != nil {
				return nil, err
			}
			return c, nil
		},
		FrameID: func(seq uint64) string { return fmt.Sprintf("frame-%d-%s", seq, randID("")) },
		Policy:  s.redeliveryPolicy,
	})
}

// redeliveryPolicy reads RedeliverAfter and MaxRedeliveries at each
// delivery: with redelivery off a frame gets AckTimeout for its ack and is
// never sent again.
func (s *Server) redeliveryPolicy() fakedelivery.Policy {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.RedeliverAfter <= 0 {
		return fakedelivery.Policy{AckWithin: s.AckTimeout}
	}
	max := s.MaxRedeliveries
	if max == 0 {
		max = 4
	}
	return fakedelivery.Policy{AckWithin: s.RedeliverAfter, MaxRedeliveries: max}
}

// Write puts a robot-message frame on the stream (a fakedelivery.Conn).
func (w *wsConn) Write(f fakedelivery.Frame) error {
	return w.write(callbackFrame("CALLBACK", TopicBotMessage, f.ID, string(f.Payload)))
}

// Done is closed when the stream's read loop ends.
func (w *wsConn) Done() <-chan struct{} { return w.done }

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
func (s *Server) SetOnAck(f func(msgID string)) { s.tracked.SetOnAck(f) }

// SetOnHang sets a function called (on the request's goroutine) each time
// a call starts hanging under a Hang or HangAfter fault, with its Path*.
func (s *Server) SetOnHang(f func(api string)) { s.holds.SetOnHang(f) }

// Hung counts the calls held right now; HungTotal all that ever hung.
func (s *Server) Hung() int { return s.holds.Held() }

// HungTotal counts the calls that ever hung.
func (s *Server) HungTotal() int { return s.holds.Total() }

// ReleaseHung lets every held call go on.
func (s *Server) ReleaseHung() { s.holds.Release() }

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
	s.tracked.Push(botMsg{MsgID: id, Chat: m.ConversationID}, []byte(data))
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

func eventStatuses(in []fakedelivery.Status[botMsg]) []EventStatus {
	if in == nil {
		return nil
	}
	out := make([]EventStatus, len(in))
	for i, st := range in {
		out[i] = EventStatus{MsgID: st.Event.MsgID, Chat: st.Event.Chat,
			Deliveries: st.Deliveries, Acks: st.Acks, Nacks: st.Nacks, Drops: st.Drops, Timeouts: st.Timeouts,
			Acked: st.Acked, GaveUp: st.GaveUp, Pushed: st.Pushed, FirstAck: st.FirstAck, Codes: st.Codes}
	}
	return out
}

// Events lists every PushBotMessageAsync message, in push order.
func (s *Server) Events() []EventStatus { return eventStatuses(s.tracked.Events()) }

// Unacked lists the tracked messages not (yet) acked with 200.
func (s *Server) Unacked() []EventStatus { return eventStatuses(s.tracked.Unacked()) }

// AckedMsgIDs lists the msgIds of tracked messages acked with 200.
func (s *Server) AckedMsgIDs() []string { return s.tracked.AckedIDs() }

// Deliveries counts the frames written for the tracked message msgID.
func (s *Server) Deliveries(msgID string) int { return s.tracked.Deliveries(msgID) }

// Redeliveries counts frames written for tracked messages beyond each
// one's first.
func (s *Server) Redeliveries() int { return s.tracked.Redeliveries() }

// WaitAcked waits until every tracked message is acked or given up.
func (s *Server) WaitAcked(timeout time.Duration) error { return s.tracked.WaitAcked(timeout) }
