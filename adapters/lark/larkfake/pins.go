package larkfake

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"time"
)

// Pin is one pin the client created (POST /open-apis/im/v1/pins).
type Pin struct {
	MessageID string
	ChatID    string
	At        time.Time
}

// pinState is the fake's pin record, guarded by Server.mu.
type pinState struct {
	pins   []Pin
	refuse int // API code answered to the next pin calls; 0 = pin
}

// Pins returns the pins created so far, in order. A re-pin of a pinned
// message returns the existing pin and adds nothing, as the platform does.
func (s *Server) Pins() []Pin {
	return locked(s, func() []Pin { return append([]Pin(nil), s.pins.pins...) })
}

// RefusePins makes every later pin call fail with the API code (e.g.
// 230046: only the owner and admins may pin in this chat); 0 pins again.
func (s *Server) RefusePins(code int) {
	s.mu.Lock()
	s.pins.refuse = code
	s.mu.Unlock()
}

func (s *Server) handlePin(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	var b struct {
		MessageID string `json:"message_id"`
	}
	if err := json.Unmarshal(raw, &b); err != nil || b.MessageID == "" {
		apiError(w, 400, 230001, "invalid request body")
		return
	}
	s.mu.Lock()
	if code := s.pins.refuse; code != 0 {
		s.mu.Unlock()
		apiError(w, 400, code, "pin refused: "+strconv.Itoa(code))
		return
	}
	chat, ok := s.msgChat[b.MessageID]
	if !ok {
		s.mu.Unlock()
		apiError(w, 400, 230001, "message not found")
		return
	}
	p := Pin{MessageID: b.MessageID, ChatID: chat, At: time.Now()}
	found := false
	for _, q := range s.pins.pins {
		if q.MessageID == b.MessageID {
			p, found = q, true
			break
		}
	}
	if !found {
		s.pins.pins = append(s.pins.pins, p)
	}
	s.mu.Unlock()
	writeJSON(w, 200, map[string]any{"code": 0, "msg": "success", "data": map[string]any{
		"pin": map[string]any{
			"message_id": p.MessageID, "chat_id": p.ChatID, "operator_id": s.opts.BotOpenID,
			"operator_id_type": "open_id", "create_time": strconv.FormatInt(p.At.UnixMilli(), 10),
		},
	}})
}
