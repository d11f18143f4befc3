package larkfake

import (
	"net/http"
	"strconv"
	"time"
)

// Lark's documented send allowances (platforms.md): 50 calls a second and
// 1000 a minute per app, answered with HTTP 429 code 99991400 and
// x-ogw-ratelimit-reset; 5 a second per chat and per user, answered with
// HTTP 400 code 230020. The docs do not say how the platform counts; the
// fake counts sliding windows on arrival, the strictest reading, so a
// client that passes here passes a platform counting in fixed windows too.

// Limits are the allowances the fake enforces when Options.Limits is set.
type Limits struct {
	PerSecond     int // per app, any one second (Lark: 50)
	PerMinute     int // per app, any sixty seconds (Lark: 1000)
	ChatPerSecond int // per chat or user, any one second (Lark: 5)
}

// LarkLimits are the documented ones.
var LarkLimits = Limits{PerSecond: 50, PerMinute: 1000, ChatPerSecond: 5}

// Throttled is one send the fake refused for a rate limit.
type Throttled struct {
	Code   int    // 99991400 (app) or 230020 (chat or user)
	Target string // the chat or user counted, for 230020
	At     time.Time
}

type limitState struct {
	second, minute []time.Time            // admitted app-wide calls, oldest first
	chats          map[string][]time.Time // admitted calls per chat or user
	throttled      []Throttled
	incoming       map[string]string // pushed message id → chat id
}

// admit counts one send to target at now, or reports the code refusing
// it. Refused calls are not counted. Call with s.mu held.
func (s *Server) admit(target string, now time.Time) (code int) {
	l := s.opts.Limits
	if l == nil {
		return 0
	}
	st := &s.limits
	if st.chats == nil {
		st.chats = map[string][]time.Time{}
	}
	st.second = since(st.second, now.Add(-time.Second))
	st.minute = since(st.minute, now.Add(-time.Minute))
	chat := since(st.chats[target], now.Add(-time.Second))
	switch {
	case l.PerSecond > 0 && len(st.second) >= l.PerSecond, l.PerMinute > 0 && len(st.minute) >= l.PerMinute:
		code = codeAppLimit
	case target != "" && l.ChatPerSecond > 0 && len(chat) >= l.ChatPerSecond:
		code = codeChatLimit
	}
	if code != 0 {
		st.throttled = append(st.throttled, Throttled{Code: code, Target: target, At: now})
		st.chats[target] = chat
		return code
	}
	st.second = append(st.second, now)
	st.minute = append(st.minute, now)
	if target != "" {
		st.chats[target] = append(chat, now)
	}
	return 0
}

const (
	codeAppLimit  = 99991400
	codeChatLimit = 230020
)

// since drops the times not after cut.
func since(ts []time.Time, cut time.Time) []time.Time {
	i := 0
	for i < len(ts) && !ts[i].After(cut) {
		i++
	}
	return ts[i:]
}

// refuseThrottled answers a send refused by admit.
func (s *Server) refuseThrottled(w http.ResponseWriter, code int) {
	if code == codeAppLimit {
		w.Header().Set("x-ogw-ratelimit-limit", strconv.Itoa(s.opts.Limits.PerSecond))
		w.Header().Set("x-ogw-ratelimit-reset", strconv.Itoa(s.opts.RateLimitReset))
		apiError(w, 429, codeAppLimit, "request trigger frequency limit")
		return
	}
	apiError(w, 400, codeChatLimit, "This operation triggers the frequency limit.")
}

// ThrottledSends lists the sends refused for a rate limit, oldest first.
func (s *Server) ThrottledSends() []Throttled {
	return locked(s, func() []Throttled { return append([]Throttled(nil), s.limits.throttled...) })
}

// noteIncoming remembers the chat of a message pushed to the client, so
// that a reply to it counts against that chat's allowance.
func (s *Server) noteIncoming(m Message) {
	if s.opts.Limits == nil {
		return
	}
	orDefault(&m.ChatID, "oc_group")
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.limits.incoming == nil {
		s.limits.incoming = map[string]string{}
	}
	s.limits.incoming[m.MessageID] = m.ChatID
}
