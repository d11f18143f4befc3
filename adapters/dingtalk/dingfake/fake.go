// Package dingfake is a fake DingTalk for tests: the stream gateway and its
// websocket (spoken to by the real dingtalk-stream-sdk-go), the OpenAPI
// endpoints collabbot uses, and per-message session webhooks. Everything
// sent is recorded; faults can be injected.
package dingfake

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"collabbot/adapters/platform/fakedelivery"
)

// API paths served, also the keys of FailNext and Calls.
const (
	PathOpen        = "/v1.0/gateway/connections/open"
	PathToken       = "/v1.0/oauth2/accessToken"
	PathGroupSend   = "/v1.0/robot/groupMessages/send"
	PathOtoSend     = "/v1.0/robot/oToMessages/batchSend"
	PathCardDeliver = "/v1.0/card/instances/createAndDeliver"
	PathWebhook     = "/robot/sendBySession/" // + session id
	pathStream      = "/stream"

	TopicBotMessage   = "/v1.0/im/bot/messages/get"
	TopicCardCallback = "/v1.0/card/instances/callback"

	// BotUserID is the robot's dingtalkId in atUsers (chatbotUserId).
	BotUserID = "$:LWCP_v1:$robot0000"
)

// Server is a running fake. Create it with New; Close it when done.
type Server struct {
	ClientID, ClientSecret string
	// WebhookTTL is the life of each message's sessionWebhook [90m].
	WebhookTTL time.Duration
	// AckTimeout bounds Push* waits for an ack [5s].
	AckTimeout time.Duration
	// RedeliverAfter, when > 0, makes PushBotMessageAsync deliver a robot
	// message again (same data: msgId, sessionWebhook) when no ack of code
	// 200 came within it, or at once on the next connection when the
	// socket closed before the ack. DingTalk itself does not redeliver
	// robot messages (platforms.md), so this is off by default: a frame
	// not acked is then lost. Set it before pushing.
	RedeliverAfter time.Duration
	// MaxRedeliveries bounds the redeliveries of one message [4].
	MaxRedeliveries int
	// LenientCardReuse makes a createAndDeliver with an outTrackId already
	// used succeed without a second card, instead of DingTalk's
	// param.cardAlreadyExist error (platforms-2.md §7).
	LenientCardReuse bool

	srv *httptest.Server
	URL string

	mu        sync.Mutex
	tickets   map[string]bool
	conns     map[*wsConn]bool
	opens     int // successful stream connections
	tokens    map[string]bool
	lastToken string
	sent      []Sent
	cards     map[string]bool
	hooks     map[string]*hookState
	faults    map[string][]Fault
	calls     map[string]int
	waiters   map[string]chan Ack
	acks      int
	seq       int
	cardOff   string // when set, createAndDeliver answers this error code
	connCh    chan struct{}

	newest      *wsConn                       // the latest stream connection
	cardCreates map[string]int                // outTrackId → createAndDeliver calls
	matchFaults map[string][]matchFault       // api → one-shot faults chosen by body
	holds       fakedelivery.Holds[string]    // Hang, HangAfter faults, by API
	tracked     *fakedelivery.Tracker[botMsg] // PushBotMessageAsync messages

	todoFake // 待办, users and their events (todo.go)
	dingFake // DING and 1:1 refusals (ding.go)
}

type hookState struct {
	chat    string
	exp     time.Time
	expired bool
}

type wsConn struct {
	c    *websocket.Conn
	mu   sync.Mutex
	done chan struct{} // closed when the read loop ends
}

func (w *wsConn) write(v any) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	_ = w.c.SetWriteDeadline(time.Now().Add(5 * time.Second))
	return w.c.WriteJSON(v)
}

// Fault is an injected answer for the next call of an API.
type Fault struct {
	Status int
	Code   string // OpenAPI error code, or for webhooks the errcode as a string
	// Drop closes the connection without answering (the request may have
	// been processed: the fake records it).
	Drop bool
	// Hang holds the call before it is processed. Released (ReleaseHung)
	// while the client still waits, it is processed and answered as
	// usual; a client that gives up (or dies) first leaves nothing sent.
	// Status and Code are ignored.
	Hang bool
	// HangAfter processes the call (it is recorded: the message went out)
	// and holds the answer until ReleaseHung or until the client gives up.
	HangAfter bool
}

// Sent is one message that reached the fake.
type Sent struct {
	Via       string // "webhook", "group", "oto", "card"
	Chat      string // openConversationId (webhook: the message's chat)
	UserIDs   []string
	MsgType   string // webhook msgtype, OpenAPI msgKey, card space type (IM_GROUP, IM_ROBOT)
	Text      string // text content / markdown text / card markdown
	Title     string
	AtUserIDs []string          // webhook at.atUserIds, card atUserIds keys
	AtNames   map[string]string // card atUserIds
	CardData  map[string]string // card cardParamMap
	OutTrack  string
	Raw       string // the request body
}

// Ack is a stream acknowledgement from the client.
type Ack struct {
	Code      int               `json:"code"`
	Headers   map[string]string `json:"headers"`
	Message   string            `json:"message"`
	Data      string            `json:"data"`
	MessageID string            `json:"-"`
}

// New starts a fake on 127.0.0.1.
func New(clientID, clientSecret string) *Server {
	s := &Server{
		ClientID:     clientID,
		ClientSecret: clientSecret,
		WebhookTTL:   90 * time.Minute,
		AckTimeout:   5 * time.Second,
		tickets:      map[string]bool{},
		conns:        map[*wsConn]bool{},
		tokens:       map[string]bool{},
		cards:        map[string]bool{},
		hooks:        map[string]*hookState{},
		faults:       map[string][]Fault{},
		calls:        map[string]int{},
		waiters:      map[string]chan Ack{},
		connCh:       make(chan struct{}),
		cardCreates:  map[string]int{},
		matchFaults:  map[string][]matchFault{},
	}
	s.tracked = newTracker(s)
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+PathOpen, s.open)
	mux.HandleFunc("GET "+pathStream, s.stream)
	mux.HandleFunc("POST "+PathToken, s.token)
	mux.HandleFunc("POST "+PathGroupSend, s.robotSend("group"))
	mux.HandleFunc("POST "+PathOtoSend, s.robotSend("oto"))
	mux.HandleFunc("POST "+PathCardDeliver, s.cardDeliver)
	mux.HandleFunc("POST "+PathWebhook+"{session}", s.webhook)
	s.initTodo(mux)
	s.initDing(mux)
	s.srv = httptest.NewServer(mux)
	s.URL = s.srv.URL
	return s
}

// Close drops every socket and stops the server.
func (s *Server) Close() {
	s.tracked.Close()
	s.events.Close()
	s.holds.Close()
	s.DropSockets()
	s.srv.CloseClientConnections()
	s.srv.Close()
}

func randID(prefix string) string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func apiError(w http.ResponseWriter, status int, code string) {
	writeJSON(w, status, map[string]string{"code": code, "message": "fake: " + code, "requestid": randID("req")})
}

// count records a call and pops a pending fault for it: first one chosen
// by FailWhen whose match accepts body, else the next FailNext one.
func (s *Server) count(api string, body []byte) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls[api]++
	for i, m := range s.matchFaults[api] {
		if m.match(body) {
			s.matchFaults[api] = append(s.matchFaults[api][:i:i], s.matchFaults[api][i+1:]...)
			return m.f, true
		}
	}
	if fs := s.faults[api]; len(fs) > 0 {
		s.faults[api] = fs[1:]
		return fs[0], true
	}
	return Fault{}, false
}

func (s *Server) open(w http.ResponseWriter, r *http.Request) {
	var req struct {
		ClientID      string `json:"clientId"`
		ClientSecret  string `json:"clientSecret"`
		Subscriptions []struct {
			Type, Topic string
		} `json:"subscriptions"`
	}
	if f, ok := s.count(PathOpen, nil); ok {
		apiError(w, f.Status, f.Code)
		return
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.ClientID != s.ClientID || req.ClientSecret != s.ClientSecret {
		apiError(w, http.StatusUnauthorized, "InvalidAuthentication")
		return
	}
	t := randID("tk")
	s.mu.Lock()
	s.tickets[t] = true
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]string{
		"endpoint": "ws" + strings.TrimPrefix(s.URL, "http") + pathStream,
		"ticket":   t,
	})
}

var upgrader = websocket.Upgrader{}

func (s *Server) stream(w http.ResponseWriter, r *http.Request) {
	t := r.URL.Query().Get("ticket")
	s.mu.Lock()
	ok := s.tickets[t]
	delete(s.tickets, t)
	s.mu.Unlock()
	if !ok {
		http.Error(w, `{"code":"InvalidTicket"}`, http.StatusUnauthorized)
		return
	}
	c, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	wc := &wsConn{c: c, done: make(chan struct{})}
	s.mu.Lock()
	s.conns[wc] = true
	s.newest = wc
	s.opens++
	close(s.connCh)
	s.connCh = make(chan struct{})
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.conns, wc)
		if s.newest == wc {
			s.newest = nil
		}
		s.mu.Unlock()
		_ = c.Close()
		close(wc.done)
	}()
	for {
		_, data, err := c.ReadMessage()
		if err != nil {
			return
		}
		var a Ack
		if json.Unmarshal(data, &a) != nil {
			continue
		}
		a.MessageID = a.Headers["messageId"]
		if s.tracked.Ack(a.MessageID, a.Code) || s.events.Ack(a.MessageID, a.Code) {
			s.mu.Lock()
			s.acks++
			s.mu.Unlock()
			continue
		}
		s.mu.Lock()
		s.acks++
		ch := s.waiters[a.MessageID]
		delete(s.waiters, a.MessageID)
		s.mu.Unlock()
		if ch != nil {
			ch <- a
		}
	}
}

func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	if f, ok := s.count(PathToken, nil); ok {
		apiError(w, f.Status, f.Code)
		return
	}
	var req struct{ AppKey, AppSecret string }
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.AppKey != s.ClientID || req.AppSecret != s.ClientSecret {
		apiError(w, http.StatusBadRequest, "invalidClientIdOrSecret")
		return
	}
	t := randID("at")
	s.mu.Lock()
	s.tokens[t] = true
	s.lastToken = t
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"accessToken": t, "expireIn": 7200})
}

// authorized checks the access token and applies an injected fault. It
// returns false when it has answered; holdAnswer asks the caller to hang
// (s.holds.Hold) after recording and before answering.
func (s *Server) authorized(w http.ResponseWriter, r *http.Request, api string, body []byte) (ok, record, holdAnswer bool) {
	f, faulty := s.count(api, body)
	s.mu.Lock()
	valid := s.tokens[r.Header.Get("x-acs-dingtalk-access-token")]
	s.mu.Unlock()
	if !valid {
		apiError(w, http.StatusUnauthorized, "InvalidAuthentication")
		return false, false, false
	}
	if faulty && f.Hang {
		if !s.holds.Hold(r.Context(), api) {
			return false, false, false // the client gave up: nothing sent
		}
		return true, true, false
	}
	if faulty && f.HangAfter {
		return true, true, true
	}
	if faulty {
		if f.Drop {
			// The caller drops the connection after recording the request,
			// so a test that sees the client's error also sees the record.
			return false, true, false
		}
		apiError(w, f.Status, f.Code)
		return false, false, false
	}
	return true, true, false
}

func dropConn(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if c, _, err := hj.Hijack(); err == nil {
			_ = c.Close()
		}
	}
}

func (s *Server) robotSend(via string) http.HandlerFunc {
	api := PathGroupSend
	if via == "oto" {
		api = PathOtoSend
	}
	return func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		ok, record, hold := s.authorized(w, r, api, raw)
		if !ok && record {
			defer dropConn(w)
		}
		var req struct {
			RobotCode          string   `json:"robotCode"`
			OpenConversationID string   `json:"openConversationId"`
			UserIDs            []string `json:"userIds"`
			MsgKey             string   `json:"msgKey"`
			MsgParam           string   `json:"msgParam"`
		}
		if err := json.Unmarshal(raw, &req); err != nil || req.RobotCode == "" || req.MsgKey == "" {
			if ok {
				apiError(w, http.StatusBadRequest, "invalidParameter")
			}
			return
		}
		var p map[string]string
		if err := json.Unmarshal([]byte(req.MsgParam), &p); err != nil {
			if ok {
				apiError(w, http.StatusBadRequest, "invalidParameter.msgParam")
			}
			return
		}
		// 1:1: each user's fate is in the answer's lists (platforms-2.md §8).
		to, invalid, flow := s.otoSplit(req.UserIDs)
		if record && (via != "oto" || len(to) > 0) {
			text := p["content"]
			if text == "" {
				text = p["text"]
			}
			s.record(Sent{Via: via, Chat: req.OpenConversationID, UserIDs: to, MsgType: req.MsgKey, Text: text, Title: p["title"], Raw: string(raw)})
		}
		if hold && !s.holds.Hold(r.Context(), api) {
			return
		}
		if ok {
			ans := map[string]any{"processQueryKey": randID("pqk")}
			if via == "oto" {
				ans["invalidStaffIdList"], ans["flowControlledStaffIdList"] = invalid, flow
			}
			writeJSON(w, http.StatusOK, ans)
		}
	}
}

func (s *Server) record(m Sent) {
	s.mu.Lock()
	s.sent = append(s.sent, m)
	s.mu.Unlock()
}

func (s *Server) cardDeliver(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	ok, record, hold := s.authorized(w, r, PathCardDeliver, raw)
	if !ok && record {
		defer dropConn(w)
	}
	var req struct {
		CardTemplateID string `json:"cardTemplateId"`
		OutTrackID     string `json:"outTrackId"`
		OpenSpaceID    string `json:"openSpaceId"`
		CardData       struct {
			CardParamMap map[string]string `json:"cardParamMap"`
		} `json:"cardData"`
		Group *struct {
			RobotCode string            `json:"robotCode"`
			AtUserIDs map[string]string `json:"atUserIds"`
		} `json:"imGroupOpenDeliverModel"`
		Robot *struct {
			RobotCode string `json:"robotCode"`
		} `json:"imRobotOpenDeliverModel"`
	}
	if err := json.Unmarshal(raw, &req); err != nil || req.OutTrackID == "" || req.CardTemplateID == "" {
		if ok {
			apiError(w, http.StatusBadRequest, "invalidParameter")
		}
		return
	}
	s.mu.Lock()
	off := s.cardOff
	dup := s.cards[req.OutTrackID]
	s.cardCreates[req.OutTrackID]++
	lenient := s.LenientCardReuse
	s.mu.Unlock()
	if ok && off != "" {
		apiError(w, http.StatusBadRequest, off)
		return
	}
	if ok && dup && !lenient {
		// One card per outTrackId: the platform neither delivers a second
		// card nor applies the new data.
		apiError(w, http.StatusBadRequest, "param.cardAlreadyExist")
		return
	}
	space, chat := splitSpace(req.OpenSpaceID)
	if record && !dup {
		m := Sent{Via: "card", Chat: chat, MsgType: space, OutTrack: req.OutTrackID, CardData: req.CardData.CardParamMap, Raw: string(raw),
			Text: req.CardData.CardParamMap["markdown"], Title: req.CardData.CardParamMap["title"]}
		if req.Group != nil {
			m.AtNames = req.Group.AtUserIDs
			for id := range req.Group.AtUserIDs {
				m.AtUserIDs = append(m.AtUserIDs, id)
			}
		}
		s.mu.Lock()
		s.cards[req.OutTrackID] = true
		s.mu.Unlock()
		s.record(m)
	}
	if hold && !s.holds.Hold(r.Context(), PathCardDeliver) {
		return
	}
	if ok {
		writeJSON(w, http.StatusOK, map[string]any{"success": true, "result": map[string]any{
			"outTrackId": req.OutTrackID,
			"deliverResults": []map[string]any{{"spaceType": space, "spaceId": chat, "success": true,
				"carrierId": randID("car")}},
		}})
	}
}

// splitSpace splits "dtv1.card//IM_GROUP.<cid>" into IM_GROUP and the cid.
func splitSpace(id string) (space, target string) {
	rest, ok := strings.CutPrefix(id, "dtv1.card//")
	if !ok {
		return "", id
	}
	space, target, _ = strings.Cut(rest, ".")
	return space, target
}

func (s *Server) webhook(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	session := r.PathValue("session")
	f, faulty := s.count(PathWebhook, raw)
	s.mu.Lock()
	h := s.hooks[session]
	s.mu.Unlock()
	if h == nil || h.expired || time.Now().After(h.exp) {
		writeJSON(w, http.StatusOK, map[string]any{"errcode": 300001, "errmsg": "session 不存在"})
		return
	}
	hold := faulty && f.HangAfter
	if faulty && f.Hang {
		if !s.holds.Hold(r.Context(), PathWebhook) {
			return
		}
		faulty = false
	}
	if faulty && !hold {
		if f.Drop {
			dropConn(w)
			return
		}
		code, _ := strconv.Atoi(f.Code)
		if f.Status != 0 && f.Status != http.StatusOK {
			apiError(w, f.Status, f.Code)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"errcode": code, "errmsg": "fake fault"})
		return
	}
	var req struct {
		MsgType string `json:"msgtype"`
		Text    struct {
			Content string `json:"content"`
		} `json:"text"`
		Markdown struct {
			Title string `json:"title"`
			Text  string `json:"text"`
		} `json:"markdown"`
		At struct {
			AtUserIDs []string `json:"atUserIds"`
		} `json:"at"`
	}
	if err := json.Unmarshal(raw, &req); err != nil {
		writeJSON(w, http.StatusOK, map[string]any{"errcode": 400001, "errmsg": "bad json"})
		return
	}
	m := Sent{Via: "webhook", Chat: h.chat, MsgType: req.MsgType, AtUserIDs: req.At.AtUserIDs, Raw: string(raw)}
	switch req.MsgType {
	case "text":
		m.Text = req.Text.Content
	case "markdown":
		m.Text, m.Title = req.Markdown.Text, req.Markdown.Title
	default:
		writeJSON(w, http.StatusOK, map[string]any{"errcode": 40035, "errmsg": "unsupported msgtype"})
		return
	}
	s.record(m)
	if hold && !s.holds.Hold(r.Context(), PathWebhook) {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"errcode": 0, "errmsg": "ok"})
}

// --- test controls ---

// FailNext makes the next n calls of api (a Path* constant) answer f.
func (s *Server) FailNext(api string, n int, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.faults[api] = append(s.faults[api], f)
	}
}

// QPSLimit is the fault DingTalk answers when an app exceeds 20 calls/s.
var QPSLimit = Fault{Status: http.StatusForbidden, Code: "Forbidden.AccessDenied.QpsLimitForAppkeyAndApi"}

// QuotaExceeded is the org's monthly API quota fault.
var QuotaExceeded = Fault{Status: http.StatusForbidden, Code: "Forbidden.AccessDenied.ApiCountLimitForOrg"}

// SetCardUnavailable makes createAndDeliver fail with code (e.g. a missing
// template or permission); "" restores it.
func (s *Server) SetCardUnavailable(code string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cardOff = code
}

// ExpireWebhooks makes every session webhook issued so far answer errcode
// 300001 although its announced expiry is still ahead.
func (s *Server) ExpireWebhooks() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, h := range s.hooks {
		h.expired = true
	}
}

// RevokeTokens invalidates every access token issued so far (as when the
// secret is rotated or a token expires early).
func (s *Server) RevokeTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens = map[string]bool{}
}

// Calls returns how many requests api received.
func (s *Server) Calls(api string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[api]
}

// Sent returns what was delivered, in order.
func (s *Server) Sent() []Sent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Sent(nil), s.sent...)
}

// Opens returns how many stream connections were established.
func (s *Server) Opens() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.opens
}

// Connected returns how many stream connections are up.
func (s *Server) Connected() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// Acks returns how many acks arrived.
func (s *Server) Acks() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.acks
}

// LastToken is the latest access token issued (for leak checks).
func (s *Server) LastToken() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastToken
}

// WaitConnected waits until a stream connection is up.
func (s *Server) WaitConnected(timeout time.Duration) error {
	deadline := time.After(timeout)
	for {
		s.mu.Lock()
		n, ch := len(s.conns), s.connCh
		s.mu.Unlock()
		if n > 0 {
			return nil
		}
		select {
		case <-ch:
		case <-deadline:
			return errors.New("dingfake: no stream connection")
		}
	}
}

// WaitOpens waits until at least n stream connections were ever opened and
// one is up.
func (s *Server) WaitOpens(n int, timeout time.Duration) error {
	deadline := time.After(timeout)
	for {
		s.mu.Lock()
		opens, up, ch := s.opens, len(s.conns), s.connCh
		s.mu.Unlock()
		if opens >= n && up > 0 {
			return nil
		}
		select {
		case <-ch:
		case <-deadline:
			return fmt.Errorf("dingfake: %d stream connections, want %d", opens, n)
		}
	}
}

// DropSockets closes every stream connection without a close frame.
func (s *Server) DropSockets() {
	s.mu.Lock()
	conns := make([]*wsConn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		_ = c.c.UnderlyingConn().Close()
	}
}

func (s *Server) anyConn() *wsConn {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		return c
	}
	return nil
}

// push sends a frame and waits for its ack.
func (s *Server) push(typ, topic, data string) (Ack, error) {
	if err := s.WaitConnected(s.AckTimeout); err != nil {
		return Ack{}, err
	}
	c := s.anyConn()
	if c == nil {
		return Ack{}, errors.New("dingfake: connection gone")
	}
	s.mu.Lock()
	s.seq++
	id := fmt.Sprintf("frame-%d-%s", s.seq, randID(""))
	ch := make(chan Ack, 1)
	s.waiters[id] = ch
	s.mu.Unlock()
	if err := c.write(callbackFrame(typ, topic, id, data)); err != nil {
		s.forget(id)
		return Ack{}, fmt.Errorf("dingfake: write frame: %w", err)
	}
	select {
	case a := <-ch:
		return a, nil
	case <-time.After(s.AckTimeout):
		s.forget(id)
		return Ack{}, fmt.Errorf("dingfake: no ack for %s %s", typ, topic)
	}
}

// callbackFrame is a stream frame of type typ carrying data, named id.
func callbackFrame(typ, topic, id, data string) map[string]any {
	return map[string]any{
		"specVersion": "1.0",
		"type":        typ,
		"headers": map[string]string{
			"topic": topic, "messageId": id, "contentType": "application/json",
			"time": strconv.FormatInt(time.Now().UnixMilli(), 10),
		},
		"data": data,
	}
}

func (s *Server) forget(id string) {
	s.mu.Lock()
	delete(s.waiters, id)
	s.mu.Unlock()
}

// AtUser is an entry of a message's atUsers.
type AtUser struct {
	DingtalkID string `json:"dingtalkId"`
	StaffID    string `json:"staffId,omitempty"`
}

// BotMessage is a robot message to push. Empty fields get defaults: a group
// conversation, a fresh msgId, the robot in atUsers, a sessionWebhook.
type BotMessage struct {
	MsgID            string
	ConversationID   string
	ConversationType string // "2" group (default), "1" 1:1
	SenderStaffID    string
	SenderNick       string
	IsAdmin          bool
	Text             string   // as DingTalk sends it: the robot's @ removed
	AtUsers          []AtUser // others mentioned; the robot is added
	// WebhookTTL overrides the server's for this message (negative: already
	// expired).
	WebhookTTL time.Duration
	// CreateAt is the message time [now].
	CreateAt time.Time
}

// PushBotMessage sends a robot message over the stream and waits for the
// client's ack.
func (s *Server) PushBotMessage(m BotMessage) (Ack, error) {
	_, data := s.botData(m)
	return s.push("CALLBACK", TopicBotMessage, data)
}

// botData fills m's defaults, opens its session webhook and renders the
// frame data.
func (s *Server) botData(m BotMessage) (msgID, data string) {
	if m.MsgID == "" {
		m.MsgID = randID("msg")
	}
	if m.ConversationType == "" {
		m.ConversationType = "2"
	}
	ttl := m.WebhookTTL
	if ttl == 0 {
		ttl = s.WebhookTTL
	}
	session := randID("sess")
	exp := time.Now().Add(ttl)
	s.mu.Lock()
	s.hooks[session] = &hookState{chat: m.ConversationID, exp: exp}
	s.mu.Unlock()
	if m.CreateAt.IsZero() {
		m.CreateAt = time.Now()
	}
	at := append([]AtUser{{DingtalkID: BotUserID}}, m.AtUsers...)
	raw, _ := json.Marshal(map[string]any{
		"conversationId":            m.ConversationID,
		"conversationType":          m.ConversationType,
		"conversationTitle":         "fake group",
		"atUsers":                   at,
		"chatbotCorpId":             "dingcorp",
		"chatbotUserId":             BotUserID,
		"msgId":                     m.MsgID,
		"senderNick":                m.SenderNick,
		"isAdmin":                   m.IsAdmin,
		"senderStaffId":             m.SenderStaffID,
		"senderId":                  "$:LWCP_v1:$" + m.SenderStaffID,
		"sessionWebhookExpiredTime": exp.UnixMilli(),
		"createAt":                  m.CreateAt.UnixMilli(),
		"senderCorpId":              "dingcorp",
		"isInAtList":                true,
		"sessionWebhook":            s.URL + PathWebhook + session,
		"text":                      map[string]string{"content": m.Text},
		"robotCode":                 s.ClientID,
		"msgtype":                   "text",
	})
	return m.MsgID, string(raw)
}

// CardCallback is a card button click.
type CardCallback struct {
	OutTrackID string
	UserID     string
	SpaceID    string // the group's openConversationId
	Params     map[string]any
}

// CardResponse is the decoded "response" of a card callback ack.
type CardResponse struct {
	CardUpdateOptions *struct {
		UpdateCardDataByKey    bool `json:"updateCardDataByKey"`
		UpdatePrivateDataByKey bool `json:"updatePrivateDataByKey"`
	} `json:"cardUpdateOptions"`
	CardData *struct {
		CardParamMap map[string]string `json:"cardParamMap"`
	} `json:"cardData"`
	UserPrivateData *struct {
		CardParamMap map[string]string `json:"cardParamMap"`
	} `json:"userPrivateData"`
}

// PushCardCallback sends a card click over the stream and returns the ack
// and its decoded response.
func (s *Server) PushCardCallback(cb CardCallback) (Ack, CardResponse, error) {
	content, _ := json.Marshal(map[string]any{"cardPrivateData": map[string]any{"actionIds": []string{"button"}, "params": cb.Params}})
	data, _ := json.Marshal(map[string]any{
		"outTrackId": cb.OutTrackID, "userId": cb.UserID, "spaceId": cb.SpaceID, "spaceType": "IM_GROUP",
		"corpId": "dingcorp", "type": "actionCallback", "userIdType": 1, "content": string(content), "extension": "{}",
	})
	a, err := s.push("CALLBACK", TopicCardCallback, string(data))
	if err != nil {
		return a, CardResponse{}, err
	}
	var wrap struct {
		Response CardResponse `json:"response"`
	}
	if a.Data != "" {
		if err := json.Unmarshal([]byte(a.Data), &wrap); err != nil {
			return a, CardResponse{}, fmt.Errorf("dingfake: card ack data: %w", err)
		}
	}
	return a, wrap.Response, nil
}

// PushSystem sends a SYSTEM frame (topic "ping" or "disconnect") and waits
// for its ack.
func (s *Server) PushSystem(topic string) (Ack, error) {
	data := "{}"
	if topic == "ping" {
		data = `{"opaque":"` + randID("") + `"}`
	}
	return s.push("SYSTEM", topic, data)
}
