// Package larkfake is an in-process fake of the Feishu/Lark open platform,
// good enough to run the real oapi-sdk-go v3 clients against: the
// tenant-token endpoint, the long-connection bootstrap and websocket
// (pbbp2 frames), bot/v3/info, im/v1 message create (to chats and users),
// reply and patch, pins, 加急, chat info, contact user lookup and Tasks v2
// with its task.task.updated_v1 events. It records what the client sent, can inject
// faults (throttling, lost responses, rejected tokens, dropped sockets), keep Lark's
// send limits (Options.Limits) and answer slowly (Options.SendDelay).
//
// It listens on 127.0.0.1 only and never talks to the real platform.
package larkfake

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"collabbot/adapters/platform/fakedelivery"
)

// Options configure a Server. Zero values get defaults.
type Options struct {
	AppID     string // default "cli_fake"
	AppSecret string // default "fake-secret"
	BotOpenID string // default "ou_bot"
	BotName   string // default "collabbot"
	// PingInterval is the client ping interval the bootstrap hands out, in
	// seconds (default 5; never 0, which makes the SDK spin).
	PingInterval int
	// RateLimitReset is the x-ogw-ratelimit-reset value (seconds) sent with
	// an injected 429 (default 1).
	RateLimitReset int

	// RedeliverAfter is how long an event pushed with PushAsync may go
	// without an ack of code 200 before it is delivered again (Lark: 3 s
	// to ack, first redelivery at 15 s; default here 3 s). An ack with
	// another code also waits for it; a socket lost before the ack makes
	// the event go out again as soon as a client is connected.
	RedeliverAfter time.Duration
	// MaxRedeliveries bounds how often a PushAsync event is delivered
	// again: 0 means 4 (Lark: 15 s, 5 min, 1 h, 6 h), negative never.
	MaxRedeliveries int
	// OnAck, when set, is called the instant an ack of code 200 for a
	// PushAsync event arrives, on the socket's read goroutine (so nothing
	// else is read from that socket until it returns), with the event's
	// message_id (its event_id when it has none). It is called for every
	// 200 ack, redeliveries' included. See also SetOnAck.
	OnAck func(messageID string)
	// UUIDWindow is how long a send's uuid dedupes (default 1 h).
	UUIDWindow time.Duration
	// ClientTokenWindow is how long a task create's client_token returns
	// the same task (default 5 min, as the platform).
	ClientTokenWindow time.Duration
	// Limits, when set, makes creates, replies and direct messages obey
	// these allowances (LarkLimits are the documented ones; limits.go).
	// Nil enforces none, so tests may send as fast as they like.
	Limits *Limits
	// SendDelay holds every create, reply and patch this long, after it
	// is recorded, before answering: a slow platform.
	SendDelay time.Duration
}

// Fault is an injected send failure.
type Fault int

const (
	// FaultChatLimit answers HTTP 400 code 230020 (per-chat rate limit).
	FaultChatLimit Fault = iota + 1
	// FaultAppLimit answers HTTP 429 code 99991400 with x-ogw-ratelimit-reset.
	FaultAppLimit
	// FaultServer answers HTTP 500 with a non-JSON body.
	FaultServer
	// FaultLostResponse performs the send, then answers HTTP 502 as if the
	// response had been lost on the way back.
	FaultLostResponse
	// FaultSlow performs the send and answers after Options-independent
	// 2 s, long enough for a client with a short timeout to give up.
	FaultSlow
	// FaultHang performs the send (it is recorded), then holds the answer
	// until ReleaseHung or until the client gives up: a crash now leaves a
	// message that was posted although the client never learned it.
	FaultHang
	// FaultHangBefore holds the request before it is processed. Released
	// (ReleaseHung) while the client still waits, it is processed and
	// answered; a client that gives up first leaves nothing posted.
	FaultHangBefore
)

// Sent is one message the client created, replied or patched.
type Sent struct {
	Kind      string // "create", "reply", "patch" or "dm" (create with receive_id_type=open_id)
	MessageID string // the new message's id (the patched one for "patch")
	ChatID    string // for "dm", the 1:1 chat "oc_p2p_<open_id>"
	ToUser    string // the open_id a "dm" went to
	ReplyTo   string // the message replied to
	MsgType   string
	Content   string // the content JSON string as sent
	UUID      string
	At        time.Time // when the fake recorded it
}

// Decoded returns Content as the platform reads it: the JSON decoded and
// re-encoded without HTML escaping, so "<at …>" reads as written (json.Marshal
// on the client side sends it as "\u003cat …").
func (s Sent) Decoded() string {
	var v any
	if err := json.Unmarshal([]byte(s.Content), &v); err != nil {
		return s.Content
	}
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	return strings.TrimSpace(b.String())
}

// Chat is what chats/{id} answers.
type Chat struct {
	OwnerID  string
	Managers []string
}

// Server is the fake. Create it with New, stop it with Close.
type Server struct {
	opts Options
	http *httptest.Server
	// URL is the base URL for both lark.WithOpenBaseUrl and larkws.WithDomain.
	URL string

	mu           sync.Mutex
	token        string
	tokenSeq     int
	tokensIssued int
	allTokens    []string
	rejectToken  int
	faults       []Fault
	sent         []Sent
	uuids        map[string]uuidRec // uuid → first message (platform dedupe, UUIDWindow)
	uuidCalls    map[string]int     // uuid → send requests carrying it
	deduped      int
	holds        fakedelivery.Holds[Fault]       // FaultHang, FaultHangBefore
	tracked      *fakedelivery.Tracker[eventIDs] // PushAsync events
	msgChat      map[string]string               // message id → chat id
	chats        map[string]Chat
	users        map[string]string
	attempts     int
	chatGets     int
	msgSeq       int

	ws        *wsHub
	endpoints atomic.Int64
	pins      pinState    // pins.go; guarded by mu
	tasks     taskState   // tasks.go; guarded by mu
	urgent    urgentState // urgent.go; guarded by mu
	dm        dmState     // urgent.go; guarded by mu
	limits    limitState  // limits.go; guarded by mu
}

// New starts a fake on 127.0.0.1.
func New(opts Options) *Server {
	orDefault(&opts.AppID, "cli_fake")
	orDefault(&opts.AppSecret, "fake-secret")
	orDefault(&opts.BotOpenID, "ou_bot")
	orDefault(&opts.BotName, "collabbot")
	if opts.PingInterval <= 0 {
		opts.PingInterval = 5
	}
	if opts.RateLimitReset <= 0 {
		opts.RateLimitReset = 1
	}
	if opts.RedeliverAfter <= 0 {
		opts.RedeliverAfter = 3 * time.Second
	}
	if opts.MaxRedeliveries == 0 {
		opts.MaxRedeliveries = 4
	}
	if opts.UUIDWindow <= 0 {
		opts.UUIDWindow = time.Hour
	}
	if opts.ClientTokenWindow <= 0 {
		opts.ClientTokenWindow = 5 * time.Minute
	}
	s := &Server{
		opts:      opts,
		uuids:     map[string]uuidRec{},
		uuidCalls: map[string]int{},
		msgChat:   map[string]string{},
		chats:     map[string]Chat{},
		users:     map[string]string{},
		ws:        newHub(),
	}
	s.tracked = newTracker(s)
	s.ws.ackHook = s.trackedAck
	mux := http.NewServeMux()
	mux.HandleFunc("POST /open-apis/auth/v3/tenant_access_token/internal", s.handleToken)
	mux.HandleFunc("POST /callback/ws/endpoint", s.handleEndpoint)
	mux.HandleFunc("GET /ws", s.ws.serve)
	mux.HandleFunc("GET /open-apis/bot/v3/info", s.authed(s.handleBotInfo))
	mux.HandleFunc("POST /open-apis/im/v1/messages", s.authed(s.handleCreate))
	mux.HandleFunc("POST /open-apis/im/v1/messages/{id}/reply", s.authed(s.handleReply))
	mux.HandleFunc("PATCH /open-apis/im/v1/messages/{id}", s.authed(s.handlePatch))
	mux.HandleFunc("GET /open-apis/im/v1/chats/{id}", s.authed(s.handleChat))
	mux.HandleFunc("GET /open-apis/contact/v3/users/{id}", s.authed(s.handleUser))
	mux.HandleFunc("POST /open-apis/im/v1/pins", s.authed(s.handlePin))
	s.initTasks(mux)
	s.initUrgent(mux)
	s.http = httptest.NewServer(mux)
	s.URL = s.http.URL
	return s
}

// Close drops every websocket and stops the HTTP server.
func (s *Server) Close() {
	s.tracked.Close()
	s.holds.Close()
	s.ws.closeAll()
	s.http.Close()
}

// AppID and AppSecret are the credentials the fake accepts.
func (s *Server) AppID() string     { return s.opts.AppID }
func (s *Server) AppSecret() string { return s.opts.AppSecret }

// BotOpenID is the bot's own open_id as bot/v3/info reports it.
func (s *Server) BotOpenID() string { return s.opts.BotOpenID }

// Token is the tenant access token currently valid ("" before the first).
func (s *Server) Token() string { return locked(s, func() string { return s.token }) }

// Tokens lists every tenant token ever issued.
func (s *Server) Tokens() []string {
	return locked(s, func() []string { return append([]string(nil), s.allTokens...) })
}

// TokensIssued counts tenant-token grants.
func (s *Server) TokensIssued() int { return locked(s, func() int { return s.tokensIssued }) }

// InjectSendFaults makes the next sends (create, reply, patch) fail with the
// given faults, in order.
func (s *Server) InjectSendFaults(f ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, f...)
}

// RejectToken makes the next n authenticated calls answer 99991663 and
// revokes the current token, so the client has to fetch a new one.
func (s *Server) RejectToken(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rejectToken += n
}

// SetChat sets what chats/{id} answers.
func (s *Server) SetChat(chatID string, c Chat) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.chats[chatID] = c
}

// SetUser sets a user's display name for contact/v3/users.
func (s *Server) SetUser(openID, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[openID] = name
}

// Sent lists every recorded create, reply and patch, oldest first.
func (s *Server) Sent() []Sent {
	return locked(s, func() []Sent { return append([]Sent(nil), s.sent...) })
}

// SendAttempts counts every create/reply/patch request, failed ones included.
func (s *Server) SendAttempts() int { return locked(s, func() int { return s.attempts }) }

// ChatGets counts chats/{id} requests.
func (s *Server) ChatGets() int { return locked(s, func() int { return s.chatGets }) }

// EndpointCalls counts long-connection bootstraps.
func (s *Server) EndpointCalls() int { return int(s.endpoints.Load()) }

func orDefault(p *string, v string) {
	if *p == "" {
		*p = v
	}
}

// locked reads server state under the lock.
func locked[T any](s *Server, f func() T) T {
	s.mu.Lock()
	defer s.mu.Unlock()
	return f()
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func apiError(w http.ResponseWriter, status, code int, msg string) {
	writeJSON(w, status, map[string]any{"code": code, "msg": msg})
}

func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	var req struct {
		AppID     string `json:"app_id"`
		AppSecret string `json:"app_secret"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		apiError(w, 400, 10003, "invalid param")
		return
	}
	if req.AppID != s.opts.AppID || req.AppSecret != s.opts.AppSecret {
		apiError(w, 400, 10014, "app secret invalid")
		return
	}
	s.mu.Lock()
	if s.token == "" {
		s.tokenSeq++
		s.token = fmt.Sprintf("t-fake%06dTOKEN", s.tokenSeq)
		s.allTokens = append(s.allTokens, s.token)
	}
	s.tokensIssued++
	tok := s.token
	s.mu.Unlock()
	writeJSON(w, 200, map[string]any{"code": 0, "msg": "ok", "tenant_access_token": tok, "expire": 7200})
}

func (s *Server) authed(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		got := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		ok := s.token != "" && got == s.token
		if ok && s.rejectToken > 0 {
			s.rejectToken--
			s.token = "" // revoked: the next grant is a new token
			ok = false
		}
		s.mu.Unlock()
		if !ok {
			apiError(w, 400, 99991663, "Invalid access token for authorization. Please make a request with token attached.")
			return
		}
		h(w, r)
	}
}

func (s *Server) handleBotInfo(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, 200, map[string]any{"code": 0, "msg": "ok", "bot": map[string]any{
		"activate_status": 2, "app_name": s.opts.BotName, "open_id": s.opts.BotOpenID, "ip_white_list": []string{},
	}})
}

type sendBody struct {
	ReceiveID string `json:"receive_id"`
	MsgType   string `json:"msg_type"`
	Content   string `json:"content"`
	UUID      string `json:"uuid"`
}

func (s *Server) handleCreate(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Query().Get("receive_id_type") {
	case "chat_id":
		s.send(w, r, "create", "")
	case "open_id":
		s.send(w, r, "dm", "")
	default:
		apiError(w, 400, 230001, "invalid receive_id_type")
	}
}

func (s *Server) handleReply(w http.ResponseWriter, r *http.Request) {
	s.send(w, r, "reply", r.PathValue("id"))
}

func (s *Server) handlePatch(w http.ResponseWriter, r *http.Request) {
	s.send(w, r, "patch", r.PathValue("id"))
}

// send records a create/reply/patch, applying uuid dedupe and faults.
func (s *Server) send(w http.ResponseWriter, r *http.Request, kind, target string) {
	raw, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	var b sendBody
	if err := json.Unmarshal(raw, &b); err != nil || b.Content == "" || (kind != "patch" && b.MsgType == "") {
		apiError(w, 400, 230001, "invalid request body")
		return
	}
	if !json.Valid([]byte(b.Content)) {
		apiError(w, 400, 230001, "content is not valid JSON")
		return
	}
	if kind == "dm" && !strings.HasPrefix(b.ReceiveID, "ou_") {
		apiError(w, 400, 230001, "invalid receive_id: not an open_id")
		return
	}
	s.mu.Lock()
	s.attempts++
	if code := s.dm.refuse[b.ReceiveID]; kind == "dm" && code != 0 {
		s.mu.Unlock()
		apiError(w, 400, code, "direct message refused: "+strconv.Itoa(code))
		return
	}
	if kind != "patch" {
		counted := b.ReceiveID // the chat, or the user of a "dm"
		if kind == "reply" {
			counted = s.msgChat[target]
			if counted == "" {
				counted = s.limits.incoming[target]
			}
		}
		if code := s.admit(counted, time.Now()); code != 0 {
			s.mu.Unlock()
			s.refuseThrottled(w, code)
			return
		}
	}
	var fault Fault
	if len(s.faults) > 0 {
		fault, s.faults = s.faults[0], s.faults[1:]
	}
	switch fault {
	case FaultChatLimit:
		s.mu.Unlock()
		apiError(w, 400, 230020, "This operation triggers the frequency limit.")
		return
	case FaultAppLimit:
		s.mu.Unlock()
		w.Header().Set("x-ogw-ratelimit-limit", "50")
		w.Header().Set("x-ogw-ratelimit-reset", strconv.Itoa(s.opts.RateLimitReset))
		apiError(w, 429, 99991400, "request trigger frequency limit")
		return
	case FaultServer:
		s.mu.Unlock()
		http.Error(w, "internal error", 500)
		return
	}
	if fault == FaultHangBefore {
		s.mu.Unlock()
		if !s.holds.Hold(r.Context(), fault) {
			return // the client gave up: nothing was posted
		}
		s.mu.Lock()
	}
	if b.UUID != "" {
		s.uuidCalls[b.UUID]++
	}
	id := target
	if kind != "patch" {
		if prev, ok := s.uuids[b.UUID]; ok && b.UUID != "" && time.Since(prev.at) < s.opts.UUIDWindow {
			id = prev.id // platform-side idempotency: same uuid, same message
			s.deduped++
		} else {
			s.msgSeq++
			id = fmt.Sprintf("om_sent%04d", s.msgSeq)
			chat, to := b.ReceiveID, ""
			switch kind {
			case "reply":
				chat = s.msgChat[target]
			case "dm":
				chat, to = "oc_p2p_"+b.ReceiveID, b.ReceiveID
			}
			s.msgChat[id] = chat
			if b.UUID != "" {
				s.uuids[b.UUID] = uuidRec{id: id, at: time.Now()}
			}
			s.sent = append(s.sent, Sent{Kind: kind, MessageID: id, ChatID: chat, ToUser: to, ReplyTo: target,
				MsgType: b.MsgType, Content: b.Content, UUID: b.UUID, At: time.Now()})
		}
	} else {
		s.sent = append(s.sent, Sent{Kind: kind, MessageID: id, ChatID: s.msgChat[id], MsgType: "interactive", Content: b.Content, At: time.Now()})
	}
	chat := s.msgChat[id]
	s.mu.Unlock()
	if d := s.opts.SendDelay; d > 0 {
		select {
		case <-time.After(d):
		case <-r.Context().Done():
			return
		}
	}
	switch fault {
	case FaultLostResponse:
		http.Error(w, "bad gateway", 502)
		return
	case FaultSlow:
		select {
		case <-time.After(2 * time.Second):
		case <-r.Context().Done():
			return
		}
	case FaultHang:
		if !s.holds.Hold(r.Context(), fault) {
			return
		}
	}
	writeJSON(w, 200, map[string]any{"code": 0, "msg": "success", "data": map[string]any{
		"message_id": id, "chat_id": chat, "msg_type": b.MsgType,
	}})
}

func (s *Server) handleChat(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.chatGets++
	c, ok := s.chats[r.PathValue("id")]
	s.mu.Unlock()
	if !ok {
		apiError(w, 400, 232011, "chat not found")
		return
	}
	writeJSON(w, 200, map[string]any{"code": 0, "msg": "success", "data": map[string]any{
		"owner_id": c.OwnerID, "owner_id_type": "open_id", "user_manager_id_list": c.Managers,
	}})
}

func (s *Server) handleUser(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	name, ok := s.users[r.PathValue("id")]
	s.mu.Unlock()
	if !ok {
		apiError(w, 400, 41050, "no user authority error")
		return
	}
	writeJSON(w, 200, map[string]any{"code": 0, "msg": "success", "data": map[string]any{
		"user": map[string]any{"open_id": r.PathValue("id"), "name": name},
	}})
}

func (s *Server) handleEndpoint(w http.ResponseWriter, r *http.Request) {
	s.endpoints.Add(1)
	var req struct {
		AppID     string `json:"AppID"`
		AppSecret string `json:"AppSecret"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.AppID != s.opts.AppID || req.AppSecret != s.opts.AppSecret {
		writeJSON(w, 200, map[string]any{"code": 403, "msg": "forbidden"})
		return
	}
	u := "ws" + strings.TrimPrefix(s.URL, "http") + "/ws?device_id=fake-device&service_id=7"
	writeJSON(w, 200, map[string]any{"code": 0, "msg": "ok", "data": map[string]any{
		"URL": u,
		"ClientConfig": map[string]any{
			"ReconnectCount":    -1,
			"ReconnectInterval": 1,
			"ReconnectNonce":    0,
			"PingInterval":      s.opts.PingInterval,
		},
	}})
}
