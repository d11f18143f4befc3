package larkfake

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"collabbot/adapters/platform/fakedelivery"
)

// This file models Lark's at-least-once event delivery for events pushed
// with PushAsync: the fake keeps each one until the client acks it with code
// 200 and delivers it again (same payload, so the same event_id and
// message_id) when the ack does not come within Options.RedeliverAfter, when
// it comes with another code, or when the socket is lost first, up to
// Options.MaxRedeliveries times. The synchronous Push and PushMessage are
// unchanged: one delivery, the ack returned to the caller. The tracking and
// the redelivery schedule are fakedelivery's, shared with dingfake; what is
// Lark's here is the pbbp2 frame, the ack's JSON and the envelope's ids.

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

// eventIDs are the ids a PushAsync event carries, read from its payload.
type eventIDs struct{ EventID, MessageID string }

// readEventIDs reads the header's event_id and the message's message_id
// from an event envelope.
func readEventIDs(payload []byte) eventIDs {
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
	return eventIDs{EventID: env.Header.EventID, MessageID: env.Event.Message.MessageID}
}

// ID names the event in AckedEventIDs and WaitAcked: its event_id.
func (e eventIDs) ID() string { return e.EventID }

// AckID is what OnAck gets: the message_id, the event_id when there is none.
func (e eventIDs) AckID() string {
	if e.MessageID == "" {
		return e.EventID
	}
	return e.MessageID
}

// Is matches either id (Deliveries).
func (e eventIDs) Is(id string) bool {
	return id == e.EventID || (e.MessageID != "" && id == e.MessageID)
}

func newTracker(s *Server) *fakedelivery.Tracker[eventIDs] {
	return fakedelivery.New[eventIDs](fakedelivery.Config{
		Name: "larkfake", Noun: "events",
		Connect: func(ctx context.Context) (fakedelivery.Conn, error) {
			c, err := s.ws.waitConn(ctx)
			if err != nil {
				return nil, err
			}
			return c, nil
		},
		FrameID: func(seq uint64) string { return fmt.Sprintf("fake-event-%d", seq) },
		Policy: func() fakedelivery.Policy {
			return fakedelivery.Policy{AckWithin: s.opts.RedeliverAfter, MaxRedeliveries: s.opts.MaxRedeliveries}
		},
		OnAck: s.opts.OnAck,
	})
}

// Write puts a PushAsync frame on the socket (a fakedelivery.Conn).
func (c *wsConn) Write(f fakedelivery.Frame) error {
	ef := eventFrame(c, f.Seq, f.ID, f.Payload)
	return c.write(&ef)
}

// Done is closed when the socket's read loop ends.
func (c *wsConn) Done() <-chan struct{} { return c.done }

// SetOnAck replaces Options.OnAck (nil removes it).
func (s *Server) SetOnAck(f func(messageID string)) { s.tracked.SetOnAck(f) }

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
	s.noteIncoming(m)
	s.PushAsyncPayload(m.JSON())
	return m.MessageID
}

// PushAsyncPayload is PushAsync for a raw event envelope (a card action's
// JSON, say). It returns the event_id read from the payload's header.
func (s *Server) PushAsyncPayload(payload []byte) string {
	ids := readEventIDs(payload)
	s.tracked.Push(ids, payload)
	return ids.EventID
}

// trackedAck hands the client's answer to a PushAsync frame to the tracker
// (the hub's ackHook, called on the socket's read goroutine). An answer
// that is not JSON counts as a refusal, code -1.
func (s *Server) trackedAck(frameID string, payload []byte) bool {
	var a Ack
	if err := json.Unmarshal(payload, &a); err != nil {
		a.Code = -1
	}
	return s.tracked.Ack(frameID, a.Code)
}

func eventStatuses(in []fakedelivery.Status[eventIDs]) []EventStatus {
	if in == nil {
		return nil
	}
	out := make([]EventStatus, len(in))
	for i, st := range in {
		out[i] = EventStatus{EventID: st.Event.EventID, MessageID: st.Event.MessageID,
			Deliveries: st.Deliveries, Acks: st.Acks, Nacks: st.Nacks, Drops: st.Drops, Timeouts: st.Timeouts,
			Acked: st.Acked, GaveUp: st.GaveUp, Pushed: st.Pushed, FirstAck: st.FirstAck, LastCodes: st.Codes}
	}
	return out
}

// Events lists every PushAsync event, in push order.
func (s *Server) Events() []EventStatus { return eventStatuses(s.tracked.Events()) }

// Unacked lists the PushAsync events not (yet) acked with code 200, those
// given up included.
func (s *Server) Unacked() []EventStatus { return eventStatuses(s.tracked.Unacked()) }

// AckedEventIDs lists the event ids of PushAsync events acked with 200.
func (s *Server) AckedEventIDs() []string { return s.tracked.AckedIDs() }

// Deliveries counts the frames written for the PushAsync events whose
// event_id or message_id is id.
func (s *Server) Deliveries(id string) int { return s.tracked.Deliveries(id) }

// Redeliveries counts the frames written for PushAsync events beyond each
// event's first.
func (s *Server) Redeliveries() int { return s.tracked.Redeliveries() }

// WaitAcked waits until every PushAsync event is acked or given up; it
// returns an error naming the ones still open at the timeout.
func (s *Server) WaitAcked(timeout time.Duration) error { return s.tracked.WaitAcked(timeout) }

type uuidRec struct {
	id string
	at time.Time
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
func (s *Server) SetOnHang(f func(Fault)) { s.holds.SetOnHang(f) }

// Hung counts the sends currently held by FaultHang or FaultHangBefore.
func (s *Server) Hung() int { return s.holds.Held() }

// ReleaseHung lets every held send go on.
func (s *Server) ReleaseHung() { s.holds.Release() }
