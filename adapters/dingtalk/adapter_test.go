package dingtalk

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"go.yaml.in/yaml/v3"

	"collabbot/adapters/dingtalk/dingfake"
	"collabbot/adapters/platform"
	"collabbot/bot/bottest"
	"collabbot/bot/chat"
	"collabbot/bot/deliver"
)

const (
	testClientID = "dingtestclientid"
	testSecret   = "S3cr3t-ClientSecret-4-tests"
	testChat     = "cidGroup0001=="
	testTemplate = "tmpl-0001.schema"
)

// syncBuf is a log sink safe for concurrent writes.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type env struct {
	t    *testing.T
	fake *dingfake.Server
	a    *Adapter
	p    *bottest.Pipeline // nil unless started with start
	logs *syncBuf
	reg  *prometheus.Registry
	errs []error // errors checked for secrets at cleanup
}

func testConfig(baseURL string) Config {
	return Config{
		ClientID:      testClientID,
		ClientSecret:  testSecret,
		BaseURL:       baseURL,
		OAPIURL:       baseURL, // the fake serves the old API host too
		GroupRate:     1000,
		GroupBurst:    100,
		ReconnectMin:  20 * time.Millisecond,
		ReconnectMax:  200 * time.Millisecond,
		CheckInterval: 20 * time.Millisecond,
		CloseGrace:    5 * time.Second,
	}
}

// newEnv makes a fake and an adapter on it, not started; mod adjusts the
// config. Send works without Start.
func newEnv(t *testing.T, mod func(*Config)) *env {
	t.Helper()
	e := &env{t: t, fake: dingfake.New(testClientID, testSecret), logs: &syncBuf{}, reg: prometheus.NewRegistry()}
	cfg := testConfig(e.fake.URL)
	if mod != nil {
		mod(&cfg)
	}
	log := slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	a, err := New(cfg, log, e.reg)
	if err != nil {
		t.Fatal(err)
	}
	e.a = a
	// Registered before the pipeline's cleanup, so it runs after it.
	t.Cleanup(func() {
		_ = a.Close()
		e.fake.Close()
		e.checkNoSecrets()
		if t.Failed() || os.Getenv("DINGTALK_TEST_LOGS") != "" {
			t.Logf("adapter logs:\n%s", e.logs.String())
		}
	})
	return e
}

// start runs the adapter in a pipeline around the real bot: a store in a
// temporary directory, its processor and send stage.
func start(t *testing.T, mod func(*Config)) *env {
	t.Helper()
	e := newEnv(t, mod)
	e.p = bottest.Start(t, bottest.Options{}, e.a)
	return e
}

func (e *env) checkNoSecrets() {
	e.t.Helper()
	texts := []string{e.logs.String()}
	for _, err := range e.errs {
		if err != nil {
			texts = append(texts, err.Error())
		}
	}
	for _, s := range texts {
		if strings.Contains(s, testSecret) {
			e.t.Errorf("client secret leaked: %q", s)
		}
		if tok := e.fake.LastToken(); tok != "" && strings.Contains(s, tok) {
			e.t.Errorf("access token leaked: %q", s)
		}
		if strings.Contains(s, "sess") && strings.Contains(s, dingfake.PathWebhook) {
			e.t.Errorf("session webhook leaked: %q", s)
		}
	}
}

// settle waits until the bot has processed its inbox and sent its outbox,
// and returns everything the fake received.
func (e *env) settle() []dingfake.Sent {
	e.t.Helper()
	if e.p != nil {
		e.p.Settle(e.t)
	}
	return e.fake.Sent()
}

// waitSentWithin waits until at least n messages reached the fake.
func (e *env) waitSentWithin(n int, d time.Duration) []dingfake.Sent {
	e.t.Helper()
	deadline := time.Now().Add(d)
	for {
		s := e.fake.Sent()
		if len(s) >= n {
			return s
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("sent %d messages within %v, want %d", len(s), d, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (e *env) push(m dingfake.BotMessage) dingfake.Ack {
	e.t.Helper()
	if m.ConversationID == "" {
		m.ConversationID = testChat
	}
	if m.SenderStaffID == "" {
		m.SenderStaffID, m.SenderNick = "lisi01", "李四"
	}
	if m.CreateAt.IsZero() {
		m.CreateAt = taskDay
	}
	a, err := e.fake.PushBotMessage(m)
	if err != nil {
		e.t.Fatalf("push: %v\nlogs:\n%s", err, e.logs.String())
	}
	if a.Code != 200 {
		e.t.Fatalf("ack code %d: %+v", a.Code, a)
	}
	return a
}

// taskDay is when the scenario's messages are sent: before the 9月15日 due date.
var taskDay = time.Date(2026, 9, 1, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))

var zhang = dingfake.AtUser{DingtalkID: "$:LWCP_v1:$zhang", StaffID: "zhangsan01"}

const taskText = " @张三 【产品研发-需求确认-需前端提供技术评估方案-9月15日前】"

func sendErr(t *testing.T, err error) *chat.SendError {
	t.Helper()
	var se *chat.SendError
	if !errors.As(err, &se) {
		t.Fatalf("want a *chat.SendError, got %T %v", err, err)
	}
	return se
}

// --- scenarios through the real bot ---

func TestTaskMessageReplyMentionsOwner(t *testing.T) {
	e := start(t, nil) // no card template: the reply goes through the sessionWebhook
	e.push(dingfake.BotMessage{MsgID: "m1", Text: taskText, AtUsers: []dingfake.AtUser{zhang}})
	got := e.settle()
	if len(got) != 1 {
		t.Fatalf("sent %d messages, want 1: %+v", len(got), got)
	}
	s := got[0]
	if s.Via != "webhook" || s.Chat != testChat {
		t.Fatalf("reply went %s to %s", s.Via, s.Chat)
	}
	if !contains(s.AtUserIDs, "zhangsan01") {
		t.Errorf("at.atUserIds = %v, want zhangsan01", s.AtUserIDs)
	}
	if !strings.Contains(s.Text, "@zhangsan01") {
		t.Errorf("body lacks @zhangsan01: %q", s.Text)
	}
	if !strings.Contains(s.Text, "需前端提供技术评估方案") {
		t.Errorf("body does not describe the task: %q", s.Text)
	}
}

func TestTaskMessageWithTemplateDeliversCard(t *testing.T) {
	e := start(t, func(c *Config) { c.CardTemplateID = testTemplate })
	e.push(dingfake.BotMessage{MsgID: "m1", Text: taskText, AtUsers: []dingfake.AtUser{zhang}})
	got := e.settle()
	if len(got) != 1 {
		t.Fatalf("sent %+v", got)
	}
	s := got[0]
	if s.Via != "card" || s.Chat != testChat || s.MsgType != "IM_GROUP" {
		t.Fatalf("reply went %s to %s (%s)", s.Via, s.Chat, s.MsgType)
	}
	if s.AtNames["zhangsan01"] != "张三" {
		t.Errorf("card atUserIds = %v, want zhangsan01:张三", s.AtNames)
	}
	if !strings.Contains(s.CardData["buttons"], `"action":"ack"`) || !strings.Contains(s.CardData["buttons"], `"task":"1"`) {
		t.Errorf("buttons = %s", s.CardData["buttons"])
	}
	if !strings.Contains(s.CardData["markdown"], "@张三") {
		t.Errorf("card markdown = %q", s.CardData["markdown"])
	}
}

func TestMalformedTaskGetsCorrection(t *testing.T) {
	e := start(t, nil)
	e.push(dingfake.BotMessage{MsgID: "bad1", Text: " @张三 【产品研发-需求确认】", AtUsers: []dingfake.AtUser{zhang}})
	got := e.settle()
	if len(got) != 1 || got[0].Via != "webhook" || got[0].Text == "" {
		t.Fatalf("correction: %+v", got)
	}
	if !strings.Contains(got[0].Text, "【") {
		t.Errorf("correction has no corrected example: %q", got[0].Text)
	}
}

func TestSameMsgIDTwiceRepliesOnce(t *testing.T) {
	e := start(t, nil)
	m := dingfake.BotMessage{MsgID: "dup1", Text: taskText, AtUsers: []dingfake.AtUser{zhang}}
	e.push(m)
	e.push(m) // a redelivery: acked, not processed again
	if got := e.settle(); len(got) != 1 {
		t.Fatalf("sent %d replies, want 1: %+v", len(got), got)
	}
}

func TestDirectMessage(t *testing.T) {
	e := start(t, nil)
	e.push(dingfake.BotMessage{MsgID: "d1", ConversationID: "cidDirect01", ConversationType: "1", Text: "你好"})
	got := e.settle()
	if len(got) != 1 || got[0].Via != "webhook" || got[0].Chat != "cidDirect01" || got[0].Text == "" {
		t.Fatalf("direct reply: %+v", got)
	}
	// A proactive message to that chat goes 1:1 through the OpenAPI.
	r := chat.Reply{ChatID: "cidDirect01", Text: "hi", Key: "k"}
	if rt := e.a.Route(r); rt.Name != routeOtoSend || rt.Idempotent {
		t.Errorf("Route = %+v", rt)
	}
	if err := e.a.Send(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	got = e.fake.Sent()
	if len(got) != 2 || got[1].Via != "oto" || !contains(got[1].UserIDs, "lisi01") {
		t.Fatalf("proactive direct: %+v", got)
	}
}

func TestSenderIsAdmin(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.AdminIDs = []string{"boss01"} })
	for _, tc := range []struct {
		id      string
		isAdmin bool
		want    bool
	}{{"owner01", true, true}, {"plain01", false, false}, {"boss01", false, true}} {
		d := botData("hi", 0)
		d.ConversationId, d.SenderStaffId, d.IsAdmin = testChat, tc.id, tc.isAdmin
		e.a.remember(d)
		if m := e.a.toMessage(d); m.SenderIsAdmin != tc.want {
			t.Errorf("%s: SenderIsAdmin = %v", tc.id, m.SenderIsAdmin)
		}
		if ok, err := e.a.IsGroupAdmin(context.Background(), testChat, tc.id); ok != tc.want || err != nil {
			t.Errorf("%s: IsGroupAdmin = %v, %v", tc.id, ok, err)
		}
	}
	if ok, _ := e.a.IsGroupAdmin(context.Background(), "otherChat", "owner01"); ok {
		t.Error("admin of one group counts in another")
	}
}

func TestAtAllNeverRendered(t *testing.T) {
	e := start(t, nil)
	e.push(dingfake.BotMessage{MsgID: "evil1", Text: " @张三 【产品研发-@所有人 需求确认-通知@all-9月15日前】", AtUsers: []dingfake.AtUser{zhang}})
	e.push(dingfake.BotMessage{MsgID: "evil2", Text: " @张三 @所有人 【坏-格式】", AtUsers: []dingfake.AtUser{zhang}})
	e.settle()
	all := chat.User{ID: "all", Name: "所有人"}
	for i, r := range []chat.Reply{
		{ChatID: testChat, ReplyTo: "evil1", Key: "a1", Text: "hi " + chat.MentionToken(all), Mentions: []chat.User{all}},
		{ChatID: testChat, Key: "a2", Text: "hi " + chat.MentionToken(all), Mentions: []chat.User{all}},
	} {
		if err := e.a.Send(context.Background(), r); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
	}
	sent := e.fake.Sent()
	if len(sent) < 3 {
		t.Fatalf("sent %+v", sent)
	}
	for _, s := range sent {
		if strings.Contains(s.Raw, `"isAtAll":true`) || strings.Contains(s.Text, "@所有人") {
			t.Errorf("@all in %s message: %s", s.Via, s.Raw)
		}
		for _, id := range s.AtUserIDs {
			if l := strings.ToLower(id); l == "all" || l == "@all" || id == "所有人" {
				t.Errorf("@all in atUserIds of %s message: %s", s.Via, s.Raw)
			}
		}
	}
}

func TestCardCallbackUpdatesTask(t *testing.T) {
	e := start(t, func(c *Config) { c.CardTemplateID = testTemplate })
	e.push(dingfake.BotMessage{MsgID: "m1", Text: taskText, AtUsers: []dingfake.AtUser{zhang}})
	sent := e.settle()
	if len(sent) != 1 || sent[0].Via != "card" {
		t.Fatalf("task card: %+v", sent)
	}
	card := sent[0]
	ack, resp, err := e.fake.PushCardCallback(dingfake.CardCallback{
		OutTrackID: card.OutTrack, UserID: "zhangsan01", SpaceID: testChat,
		Params: map[string]any{"action": chat.ActionAck, "task": "1"},
	})
	if err != nil || ack.Code != 200 {
		t.Fatalf("callback ack %+v: %v", ack, err)
	}
	if resp.CardData == nil || resp.CardUpdateOptions == nil || !resp.CardUpdateOptions.UpdateCardDataByKey {
		t.Fatalf("no card update in ack: %s", ack.Data)
	}
	if strings.Contains(resp.CardData.CardParamMap["buttons"], `"action":"ack"`) {
		t.Errorf("acked card still offers ack: %s", resp.CardData.CardParamMap["buttons"])
	}
	if resp.UserPrivateData == nil || resp.UserPrivateData.CardParamMap["toast"] == "" {
		t.Errorf("no toast in ack: %s", ack.Data)
	}
	// Done: the card turns green.
	_, resp, err = e.fake.PushCardCallback(dingfake.CardCallback{
		OutTrackID: card.OutTrack, UserID: "zhangsan01", SpaceID: testChat,
		Params: map[string]any{"action": chat.ActionDone, "task": float64(1)},
	})
	if err != nil || resp.CardData == nil {
		t.Fatalf("done: %v %+v", err, resp)
	}
	if c := resp.CardData.CardParamMap["color"]; c != "green" {
		t.Errorf("card color after done = %q (%v)", c, resp.CardData.CardParamMap)
	}
	// Whatever the clicks caused is sent by the bot, not by the adapter:
	// nothing went out twice and no card was re-created.
	after := e.settle()
	for _, s := range after[1:] {
		if s.Via == "card" && s.OutTrack == card.OutTrack {
			t.Errorf("card re-created: %+v", s)
		}
	}
}

// cardUpdates serves PUT /v1.0/card/instances (which dingfake does not) in
// front of the fake, and records the bodies.
type cardUpdates struct {
	URL    string
	mu     sync.Mutex
	bodies []map[string]any
	fault  string // answer the next update with this error code
}

func newCardUpdates(t *testing.T, fake *dingfake.Server) *cardUpdates {
	u, _ := url.Parse(fake.URL)
	proxy := httputil.NewSingleHostReverseProxy(u)
	cu := &cardUpdates{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPut || r.URL.Path != apiCardUpdate {
			proxy.ServeHTTP(w, r)
			return
		}
		if r.Header.Get("x-acs-dingtalk-access-token") == "" {
			http.Error(w, `{"code":"InvalidAuthentication"}`, http.StatusUnauthorized)
			return
		}
		raw, _ := io.ReadAll(r.Body)
		var body map[string]any
		_ = json.Unmarshal(raw, &body)
		cu.mu.Lock()
		fault := cu.fault
		cu.fault = ""
		if fault == "" {
			cu.bodies = append(cu.bodies, body)
		}
		cu.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if fault != "" {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"code":"` + fault + `","message":"fake"}`))
			return
		}
		_, _ = w.Write([]byte(`{"success":true,"result":true}`))
	}))
	t.Cleanup(srv.Close)
	cu.URL = srv.URL
	return cu
}

func (c *cardUpdates) got() []map[string]any {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]map[string]any(nil), c.bodies...)
}

func TestLateCardUpdateIsPosted(t *testing.T) {
	fake := dingfake.New(testClientID, testSecret)
	cu := newCardUpdates(t, fake)
	logs := &syncBuf{}
	cfg := testConfig(cu.URL)
	cfg.CardTemplateID = testTemplate
	cfg.ActionAnswer = time.Nanosecond // the ack always goes out first
	a, err := New(cfg, slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = a.Close()
		fake.Close()
		if strings.Contains(logs.String(), testSecret) {
			t.Error("secret in logs")
		}
		if t.Failed() {
			t.Logf("logs:\n%s", logs.String())
		}
	})
	p := bottest.Start(t, bottest.Options{}, a)
	if _, err := fake.PushBotMessage(dingfake.BotMessage{MsgID: "m1", ConversationID: testChat, SenderStaffID: "lisi01", SenderNick: "李四",
		CreateAt: taskDay, Text: taskText, AtUsers: []dingfake.AtUser{zhang}}); err != nil {
		t.Fatal(err)
	}
	p.Settle(t)
	sent := fake.Sent()
	if len(sent) != 1 || sent[0].Via != "card" {
		t.Fatalf("task card: %+v", sent)
	}
	ack, resp, err := fake.PushCardCallback(dingfake.CardCallback{
		OutTrackID: sent[0].OutTrack, UserID: "zhangsan01", SpaceID: testChat,
		Params: map[string]any{"action": chat.ActionDone, "task": "1"},
	})
	if err != nil || ack.Code != 200 {
		t.Fatalf("callback ack %+v: %v", ack, err)
	}
	if resp.CardData != nil {
		t.Logf("the bot beat a 1 ns answer budget; nothing to check")
		return
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(cu.got()) == 0 && time.Now().Before(deadline) {
		p.Settle(t)
		time.Sleep(10 * time.Millisecond)
	}
	ups := cu.got()
	if len(ups) != 1 {
		t.Fatalf("card updates: %+v", ups)
	}
	if ups[0]["outTrackId"] != sent[0].OutTrack {
		t.Errorf("update for %v, want %s", ups[0]["outTrackId"], sent[0].OutTrack)
	}
	cd, _ := ups[0]["cardData"].(map[string]any)
	params, _ := cd["cardParamMap"].(map[string]any)
	if params["color"] != "green" {
		t.Errorf("updated card data = %v", params)
	}
	if n := len(fake.Sent()); n < 1 {
		t.Errorf("sent %d", n)
	}
}

// --- one attempt per Send, and what its failures mean ---

func mentionReply(key string) chat.Reply {
	u := chat.User{ID: "zhangsan01", Name: "张三"}
	return chat.Reply{
		Platform: chat.PlatformDingTalk, ChatID: testChat, Key: key,
		Text:     "提醒 " + chat.MentionToken(u) + "：任务 #1 明天到期",
		Mentions: []chat.User{u},
	}
}

func TestRoute(t *testing.T) {
	plain := chat.Reply{ChatID: testChat, Text: "周报提醒", Key: "w1"}
	reply := chat.Reply{ChatID: testChat, ReplyTo: "m1", Text: "ok", Key: "r1"}
	update := chat.Reply{ChatID: testChat, Update: "cb_x", Card: &chat.Card{Body: "x"}, Key: "u1"}
	noKey := plain
	noKey.Key = ""

	e := newEnv(t, func(c *Config) { c.CardTemplateID = testTemplate })
	for _, tc := range []struct {
		name string
		r    chat.Reply
		want chat.Route
	}{
		{"proactive without mention", plain, chat.Route{Name: routeCard, Idempotent: true}},
		{"proactive mention", mentionReply("n1"), chat.Route{Name: routeCard, Idempotent: true}},
		{"no key", noKey, chat.Route{Name: routeCard, Idempotent: false}},
		{"reply without a webhook", reply, chat.Route{Name: routeCard, Idempotent: true}},
		{"update", update, chat.Route{Name: routeCardUpdate, Idempotent: true}},
	} {
		if got := e.a.Route(tc.r); got != tc.want {
			t.Errorf("template, %s: Route = %+v, want %+v", tc.name, got, tc.want)
		}
	}
	// A fresh sessionWebhook makes it the reply route.
	d := botData("hi", 0)
	d.ConversationId, d.SenderStaffId = testChat, "lisi01"
	d.SessionWebhook, d.SessionWebhookExpiredTime = e.fake.URL+dingfake.PathWebhook+"sessX", time.Now().Add(time.Hour).UnixMilli()
	e.a.remember(d)
	if got := e.a.Route(reply); got != (chat.Route{Name: routeWebhook}) {
		t.Errorf("reply with a webhook: Route = %+v", got)
	}

	n := newEnv(t, nil)
	for _, tc := range []struct {
		name string
		r    chat.Reply
		want chat.Route
	}{
		{"proactive", plain, chat.Route{Name: routeGroupSend}},
		{"proactive mention", mentionReply("n1"), chat.Route{Name: routeGroupSend}},
		{"update", update, chat.Route{Name: routeCardUpdate, Idempotent: true}},
	} {
		if got := n.a.Route(tc.r); got != tc.want {
			t.Errorf("no template, %s: Route = %+v, want %+v", tc.name, got, tc.want)
		}
	}
	if l := n.a.Limits(); l.PerSecond != 20 || l.ChatPerSecond != 1000 || l.ChatBurst != 100 {
		t.Errorf("Limits = %+v", l)
	}
	def, err := New(Config{ClientID: "x", ClientSecret: "y"}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if l := def.Limits(); l.ChatPerSecond != 1 || l.ChatBurst != 3 {
		t.Errorf("default Limits = %+v", l)
	}
}

func TestProactiveMessagesGoAsCards(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.CardTemplateID = testTemplate })
	ctx := context.Background()
	if err := e.a.Send(ctx, mentionReply("nudge:1")); err != nil {
		t.Fatal(err)
	}
	if err := e.a.Send(ctx, chat.Reply{ChatID: testChat, Text: "周报提醒", Key: "weekly:1"}); err != nil {
		t.Fatal(err)
	}
	got := e.fake.Sent()
	if len(got) != 2 {
		t.Fatalf("sent %+v", got)
	}
	if s := got[0]; s.Via != "card" || s.Chat != testChat || !contains(s.AtUserIDs, "zhangsan01") || !strings.Contains(s.Text, "@张三") {
		t.Fatalf("proactive mention: %+v", s)
	}
	if s := got[1]; s.Via != "card" || len(s.AtUserIDs) != 0 || s.Text != "周报提醒" {
		t.Fatalf("proactive without mention: %+v", s)
	}
	// The same Key again is the same card: nothing new appears.
	if err := e.a.Send(ctx, mentionReply("nudge:1")); err != nil {
		t.Fatal(err)
	}
	if got := e.fake.Sent(); len(got) != 2 {
		t.Errorf("same key sent twice: %+v", got)
	}
	if got := counterValue(t, e.a.api.calls.WithLabelValues(apiCardDeliver)); got != 3 {
		t.Errorf("card deliver calls counted = %v, want 3", got)
	}
}

func TestCardAlreadyExistIsSuccess(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.CardTemplateID = testTemplate })
	e.fake.FailNext(dingfake.PathCardDeliver, 1, dingfake.Fault{Status: http.StatusBadRequest, Code: "param.cardAlreadyExist"})
	if err := e.a.Send(context.Background(), mentionReply("nudge:resent")); err != nil {
		t.Fatalf("cardAlreadyExist: %v", err)
	}
	if n := e.fake.Calls(dingfake.PathCardDeliver); n != 1 {
		t.Errorf("card calls = %d", n)
	}
	if got := e.fake.Sent(); len(got) != 0 {
		t.Errorf("fell back and posted: %+v", got)
	}
}

func TestRefusedCardRoutesResendsElsewhere(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.CardTemplateID = testTemplate })
	r := mentionReply("nudge:big")
	e.fake.FailNext(dingfake.PathCardDeliver, 1, dingfake.Fault{Status: http.StatusBadRequest, Code: "invalidParameter.cardParamMap"})
	if err := e.a.Send(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	if got := e.fake.Sent(); len(got) != 1 || got[0].Via != "group" || !strings.Contains(got[0].Text, "@张三") {
		t.Fatalf("sent %+v", got)
	}
	// A resend of that key would take the fallback: Route says so.
	if rt := e.a.Route(r); rt != (chat.Route{Name: routeGroupSend}) {
		t.Errorf("Route after a refused card = %+v", rt)
	}
	if rt := e.a.Route(mentionReply("nudge:other")); rt != (chat.Route{Name: routeCard, Idempotent: true}) {
		t.Errorf("Route for another key = %+v", rt)
	}
}

func TestProactiveMentionFallbacks(t *testing.T) {
	for _, tc := range []struct {
		name string
		mod  func(*Config)
		prep func(*dingfake.Server)
	}{
		{"card unavailable", func(c *Config) { c.CardTemplateID = testTemplate },
			func(f *dingfake.Server) { f.SetCardUnavailable("invalidParameter.cardTemplateId") }},
		{"no template", nil, func(*dingfake.Server) {}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := start(t, tc.mod)
			tc.prep(e.fake)
			// A plain message from the group leaves a valid sessionWebhook.
			e.push(dingfake.BotMessage{MsgID: "chat1", Text: "大家好"})
			e.settle()
			ctx := context.Background()
			if err := e.a.Send(ctx, mentionReply("nudge:a")); err != nil {
				t.Fatal(err)
			}
			got := e.fake.Sent()
			if len(got) != 1 {
				t.Fatalf("sent %+v", got)
			}
			if s := got[0]; s.Via != "webhook" || !contains(s.AtUserIDs, "zhangsan01") || !strings.Contains(s.Text, "@zhangsan01") {
				t.Fatalf("webhook fallback: %+v", s)
			}
			// Once the webhook is dead, the names go as plain text.
			e.fake.ExpireWebhooks()
			if err := e.a.Send(ctx, mentionReply("nudge:b")); err != nil {
				t.Fatal(err)
			}
			got = e.fake.Sent()
			if len(got) != 2 {
				t.Fatalf("sent %+v", got)
			}
			if s := got[1]; s.Via != "group" || s.Chat != testChat || !strings.Contains(s.Text, "@张三") {
				t.Fatalf("plain fallback: %+v", s)
			}
			if tc.mod != nil {
				// The template was refused: Route owns up to the fallback.
				if rt := e.a.Route(mentionReply("nudge:c")); rt.Idempotent {
					t.Errorf("Route after a refused template = %+v", rt)
				}
				if n := e.fake.Calls(dingfake.PathCardDeliver); n != 1 {
					t.Errorf("card route tried %d times while paused", n)
				}
			}
		})
	}
}

func TestExpiredWebhookFallsBack(t *testing.T) {
	t.Run("expired on arrival", func(t *testing.T) {
		e := start(t, nil)
		e.push(dingfake.BotMessage{MsgID: "m1", Text: taskText, AtUsers: []dingfake.AtUser{zhang}, WebhookTTL: -time.Minute})
		got := e.settle()
		if len(got) != 1 || got[0].Via != "group" || !strings.Contains(got[0].Text, "@张三") || got[0].MsgType != "sampleMarkdown" {
			t.Fatalf("reply without a webhook: %+v", got)
		}
	})
	t.Run("errcode 300001", func(t *testing.T) {
		e := start(t, func(c *Config) { c.CardTemplateID = testTemplate })
		e.push(dingfake.BotMessage{MsgID: "m1", Text: "大家好"})
		e.settle()
		e.fake.FailNext(dingfake.PathWebhook, 1, dingfake.Fault{Code: "300001"})
		// A plain reply that mentions someone: webhook refused → card.
		u := chat.User{ID: "zhangsan01", Name: "张三"}
		err := e.a.Send(context.Background(), chat.Reply{ChatID: testChat, ReplyTo: "m1", Key: "r1",
			Text: "好的 " + chat.MentionToken(u), Mentions: []chat.User{u}})
		if err != nil {
			t.Fatal(err)
		}
		got := e.fake.Sent()
		if len(got) != 1 || got[0].Via != "card" || !contains(got[0].AtUserIDs, "zhangsan01") {
			t.Fatalf("sent %+v", got)
		}
		// The dead webhook is forgotten: the next reply does not try it.
		calls := e.fake.Calls(dingfake.PathWebhook)
		if err := e.a.Send(context.Background(), chat.Reply{ChatID: testChat, ReplyTo: "m1", Key: "r2", Text: "ok"}); err != nil {
			t.Fatal(err)
		}
		if e.fake.Calls(dingfake.PathWebhook) != calls {
			t.Error("expired webhook used again")
		}
	})
}

func TestSendFailuresAreClassified(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	plain := chat.Reply{ChatID: testChat, Text: "hello", Key: "x"}
	try := func(name string, f dingfake.Fault, want chat.Reason, retry bool) {
		t.Helper()
		before := e.fake.Calls(dingfake.PathGroupSend)
		e.fake.FailNext(dingfake.PathGroupSend, 1, f)
		err := e.a.Send(ctx, plain)
		e.errs = append(e.errs, err)
		se := sendErr(t, err)
		if se.Reason != want || se.Retry != retry {
			t.Errorf("%s: %+v, want %s retry=%v", name, se, want, retry)
		}
		if n := e.fake.Calls(dingfake.PathGroupSend) - before; n != 1 {
			t.Errorf("%s: %d calls in one Send, want 1", name, n)
		}
	}
	try("qps", dingfake.QPSLimit, chat.ReasonThrottled, true)
	try("global qps", dingfake.Fault{Status: 403, Code: "Forbidden.AccessDenied.QpsLimitForApi"}, chat.ReasonThrottled, true)
	try("quota", dingfake.QuotaExceeded, chat.ReasonQuota, false)
	try("503", dingfake.Fault{Status: 503, Code: "ServiceUnavailable"}, chat.ReasonTransient, true)
	try("500", dingfake.Fault{Status: 500, Code: "InternalError"}, chat.ReasonTransient, true)
	try("busy", dingfake.Fault{Status: 400, Code: "system.busy"}, chat.ReasonTransient, true)
	try("scope", dingfake.Fault{Status: 403, Code: "Forbidden.AccessDenied.AccessTokenPermissionDenied"}, chat.ReasonAuth, false)
	try("invalid", dingfake.Fault{Status: 400, Code: "invalidParameter.msgParam"}, chat.ReasonInvalid, false)
	// A dropped connection after the request was read: it may have posted.
	// The send stage knows from Route that groupMessages/send has no
	// idempotency key; the adapter just says it is transient.
	try("dropped", dingfake.Fault{Drop: true}, chat.ReasonTransient, true)
	if got := len(e.fake.Sent()); got != 1 {
		t.Errorf("recorded %d, want the dropped one", got)
	}
	// 10 group sends, 1 token, all counted.
	if got := counterValue(t, e.a.api.calls.WithLabelValues(apiGroupSend)); got != 9 {
		t.Errorf("counted %v group sends, want 9", got)
	}
	if n := seriesCount(t, e.reg, "collabbot_dingtalk_openapi_calls_total"); n != 2 {
		t.Errorf("registered metric series = %d", n)
	}
	if got := monthGauge(t, e.reg, apiGroupSend); got != 9 {
		t.Errorf("this month's group sends = %v, want 9", got)
	}

}

func TestWebhookThrottled(t *testing.T) {
	e := start(t, func(c *Config) { c.CardTemplateID = testTemplate })
	e.push(dingfake.BotMessage{MsgID: "m1", Text: "大家好"})
	n := len(e.settle())
	e.fake.FailNext(dingfake.PathWebhook, 1, dingfake.Fault{Code: "130101"})
	err := e.a.Send(context.Background(), chat.Reply{ChatID: testChat, ReplyTo: "m1", Text: "ok", Key: "r"})
	e.errs = append(e.errs, err)
	if se := sendErr(t, err); se.Reason != chat.ReasonThrottled || !se.Retry {
		t.Errorf("webhook too fast: %+v", se)
	}
	if len(e.fake.Sent()) != n {
		t.Error("a throttled reply was posted by another route")
	}
}

// The send stage, not the adapter, retries a throttled send: one call per
// Send, the message delivered once, every call counted for the quota.
func TestThrottledPostRetriedBySendStage(t *testing.T) {
	e := newEnv(t, nil)
	e.p = bottest.Start(t, bottest.Options{Deliver: deliver.Options{RetryBase: 10 * time.Millisecond, RetryMax: 50 * time.Millisecond}}, e.a)
	e.fake.FailNext(dingfake.PathGroupSend, 2, dingfake.QPSLimit)
	r := chat.Reply{Platform: chat.PlatformDingTalk, ChatID: testChat, Text: "周报提醒", Key: "weekly:w1"}
	if err := e.p.Bot.Post(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	got := e.waitSentWithin(1, 5*time.Second)
	e.settle()
	time.Sleep(50 * time.Millisecond)
	if got = e.fake.Sent(); len(got) != 1 || got[0].Via != "group" || got[0].Text != "周报提醒" {
		t.Fatalf("sent %+v, want one group message", got)
	}
	if n := e.fake.Calls(dingfake.PathGroupSend); n != 3 {
		t.Errorf("group send calls = %d, want 3", n)
	}
	if got := counterValue(t, e.a.api.calls.WithLabelValues(apiGroupSend)); got != 3 {
		t.Errorf("counted %v group sends, want 3", got)
	}
}

func TestTokenRefusedOnceIsRefreshed(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	if err := e.a.Send(ctx, chat.Reply{ChatID: testChat, Text: "one", Key: "1"}); err != nil {
		t.Fatal(err)
	}
	// A revoked token: 401, a new token, the send goes through once.
	e.fake.RevokeTokens()
	if err := e.a.Send(ctx, chat.Reply{ChatID: testChat, Text: "two", Key: "2"}); err != nil {
		t.Fatal(err)
	}
	got := e.fake.Sent()
	if len(got) != 2 || got[0].Text != "one" || got[1].Text != "two" {
		t.Fatalf("sent %+v", got)
	}
	if n := e.fake.Calls(dingfake.PathToken); n != 2 {
		t.Errorf("token fetched %d times, want 2", n)
	}
	// Wrong credentials: not retryable, and the secret stays out of the error.
	f := dingfake.New(testClientID, "another-secret")
	defer f.Close()
	a2, err := New(testConfig(f.URL), slog.New(slog.NewTextHandler(e.logs, nil)), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer a2.Close()
	err = a2.Send(ctx, chat.Reply{ChatID: testChat, Text: "x", Key: "x"})
	e.errs = append(e.errs, err)
	if se := sendErr(t, err); se.Reason != chat.ReasonAuth || se.Retry {
		t.Errorf("bad credentials: %+v", se)
	}
}

func TestCardUpdate(t *testing.T) {
	fake := dingfake.New(testClientID, testSecret)
	defer fake.Close()
	cu := newCardUpdates(t, fake)
	a, err := New(testConfig(cu.URL), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	r := chat.Reply{ChatID: testChat, Update: "cb_abc", Key: "u1",
		Card: &chat.Card{Title: "任务 #1", Body: "已完成", Template: "green", Buttons: []chat.Button{{Label: "x", Action: chat.ActionAssist, TaskID: 1}}}}
	if err := a.Send(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	ups := cu.got()
	if len(ups) != 1 || ups[0]["outTrackId"] != "cb_abc" {
		t.Fatalf("updates %+v", ups)
	}
	params := ups[0]["cardData"].(map[string]any)["cardParamMap"].(map[string]any)
	if params["color"] != "green" || params["markdown"] != "已完成" {
		t.Errorf("card data %v", params)
	}
	if len(fake.Sent()) != 0 {
		t.Errorf("an update posted a message: %+v", fake.Sent())
	}
	cu.mu.Lock()
	cu.fault = "param.cardNotExist"
	cu.mu.Unlock()
	if se := sendErr(t, a.Send(context.Background(), r)); se.Reason != chat.ReasonInvalid || se.Retry {
		t.Errorf("cardNotExist: %+v", se)
	}
}

// --- the stream: acks, reconnects, Close ---

// blockingIntake holds Accept until released. Only the ack-timing test uses
// it; everything else runs against the real bot.
type blockingIntake struct {
	entered chan chat.Message
	release chan struct{}
	err     error
}

func (b *blockingIntake) Accept(ctx context.Context, m chat.Message) error {
	b.entered <- m
	select {
	case <-b.release:
		return b.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (b *blockingIntake) HandleAction(context.Context, chat.Action) chat.ActionResult {
	return chat.ActionResult{}
}

func (b *blockingIntake) Post(context.Context, chat.Reply) error { return nil }

func TestFrameAckedOnlyAfterAccept(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.AcceptTimeout = 300 * time.Millisecond })
	in := &blockingIntake{entered: make(chan chat.Message, 4), release: make(chan struct{})}
	if err := e.a.Start(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	type result struct {
		ack dingfake.Ack
		err error
	}
	push := func(id string) chan result {
		ch := make(chan result, 1)
		go func() {
			a, err := e.fake.PushBotMessage(dingfake.BotMessage{MsgID: id, ConversationID: testChat, SenderStaffID: "lisi01", Text: taskText, AtUsers: []dingfake.AtUser{zhang}})
			ch <- result{a, err}
		}()
		return ch
	}

	// Committed: acked with 200 only after Accept returned.
	done := push("ack1")
	m := <-in.entered
	if m.MessageID != "ack1" || m.ChatID != testChat || len(m.Mentions) != 1 || m.Mentions[0].ID != "zhangsan01" {
		t.Errorf("message %+v", m)
	}
	time.Sleep(100 * time.Millisecond)
	if n := e.fake.Acks(); n != 0 {
		t.Fatalf("frame acked while Accept was running (%d acks)", n)
	}
	in.release <- struct{}{}
	r := <-done
	if r.err != nil || r.ack.Code != 200 {
		t.Fatalf("ack after commit: %+v %v", r.ack, r.err)
	}

	// Accept failed: the frame is answered with an error, not a success.
	in.err = errors.New("disk full")
	done = push("ack2")
	<-in.entered
	in.release <- struct{}{}
	r = <-done
	if r.err != nil || r.ack.Code == 200 {
		t.Fatalf("failed commit acked: %+v %v", r.ack, r.err)
	}
	if strings.Contains(r.ack.Message, "disk") {
		t.Errorf("internal error sent to DingTalk: %q", r.ack.Message)
	}

	// Accept too slow: the deadline ends it, again no success ack.
	in.err = nil
	start := time.Now()
	done = push("ack3")
	<-in.entered
	r = <-done
	if r.err != nil || r.ack.Code == 200 {
		t.Fatalf("timed-out commit acked: %+v %v", r.ack, r.err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("answered after %v", d)
	}
	if got := counterValue(t, e.a.dropped); got != 2 {
		t.Errorf("dropped counter = %v, want 2", got)
	}
}

func TestDisconnectAndDroppedSocketReconnect(t *testing.T) {
	e := start(t, nil)
	if _, err := e.fake.PushSystem("ping"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.fake.PushSystem("disconnect"); err != nil {
		t.Fatal(err)
	}
	if err := e.fake.WaitOpens(2, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	e.push(dingfake.BotMessage{Text: taskText, AtUsers: []dingfake.AtUser{zhang}})
	e.fake.DropSockets()
	if err := e.fake.WaitOpens(3, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	// The gateway refuses a few times: the supervisor backs off and retries.
	e.fake.FailNext(dingfake.PathOpen, 3, dingfake.Fault{Status: 503, Code: "ServiceUnavailable"})
	e.fake.DropSockets()
	if err := e.fake.WaitOpens(4, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	e.push(dingfake.BotMessage{Text: " @张三 【产品研发-联调-需后端提供接口文档-9月20日前】", AtUsers: []dingfake.AtUser{zhang}})
	if got := e.settle(); len(got) != 2 {
		t.Errorf("sent %d, want 2: %+v", len(got), got)
	}
	if c := e.fake.Connected(); c != 1 {
		t.Errorf("%d connections up, want 1", c)
	}
}

func TestCloseDuringTraffic(t *testing.T) {
	e := start(t, func(c *Config) { c.CloseGrace = time.Second })
	e.fake.AckTimeout = 500 * time.Millisecond
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 10 {
				_, _ = e.fake.PushBotMessage(dingfake.BotMessage{
					ConversationID: testChat, SenderStaffID: "lisi01", SenderNick: "李四", CreateAt: taskDay,
					Text: taskText, AtUsers: []dingfake.AtUser{zhang},
					MsgID: "c" + string(rune('a'+i)) + string(rune('a'+j)),
				})
			}
		}()
	}
	sendDone := make(chan struct{})
	go func() {
		defer close(sendDone)
		for i := range 20 {
			_ = e.a.Send(context.Background(), chat.Reply{ChatID: testChat, Text: "tick", Key: "t" + string(rune('a'+i))})
		}
	}()
	time.Sleep(30 * time.Millisecond)
	if err := e.a.Close(); err != nil {
		t.Fatal(err)
	}
	_ = e.a.Close() // idempotent
	opens := e.fake.Opens()
	wg.Wait()
	<-sendDone
	time.Sleep(300 * time.Millisecond)
	if got := e.fake.Opens(); got != opens {
		t.Errorf("reconnected after Close: %d → %d opens", opens, got)
	}
	if c := e.fake.Connected(); c != 0 {
		t.Errorf("%d connections still up after Close", c)
	}
	err := e.a.Send(context.Background(), chat.Reply{ChatID: testChat, Text: "late"})
	if se := sendErr(t, err); !se.Retry {
		t.Errorf("Send after Close: %+v", se)
	}
}

func TestCloseWithoutStart(t *testing.T) {
	a, err := New(Config{ClientID: "x", ClientSecret: "y"}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	p := bottest.Start(t, bottest.Options{})
	if err := a.Start(context.Background(), p.Bot); err == nil {
		t.Fatal("Start after Close succeeded")
	}
	if _, err := New(Config{ClientID: "x"}, nil, nil); err == nil {
		t.Fatal("New without secret succeeded")
	}
}

func TestStartFailureIsCleanAndSecretFree(t *testing.T) {
	f := dingfake.New(testClientID, "another-secret")
	defer f.Close()
	logs := &syncBuf{}
	a, err := New(testConfig(f.URL), slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})), nil)
	if err != nil {
		t.Fatal(err)
	}
	p := bottest.Start(t, bottest.Options{})
	err = a.Start(context.Background(), p.Bot)
	if err == nil {
		t.Fatal("Start with a wrong secret succeeded")
	}
	if strings.Contains(err.Error(), testSecret) || strings.Contains(logs.String(), testSecret) {
		t.Errorf("secret leaked: %v / %s", err, logs.String())
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if f.Opens() != 0 {
		t.Error("connected with a wrong secret")
	}
}

func TestBurst50(t *testing.T) {
	e := start(t, nil)
	const n = 50
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a, err := e.fake.PushBotMessage(dingfake.BotMessage{
				ConversationID: testChat, SenderStaffID: "lisi01", SenderNick: "李四", CreateAt: taskDay,
				MsgID: "burst-" + string(rune('A'+i/26)) + string(rune('a'+i%26)),
				Text:  taskText, AtUsers: []dingfake.AtUser{zhang},
			})
			if err == nil && a.Code != 200 {
				err = errors.New("ack code " + a.Message)
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if got := e.fake.Acks(); got < n {
		t.Errorf("acked %d, want %d", got, n)
	}
	// Every message was committed before its ack; the replies follow from
	// the store, paced by the send stage (20/s for the app).
	e.settle()
	if got := e.waitSentWithin(n, time.Minute); len(got) != n {
		t.Errorf("sent %d, want %d", len(got), n)
	}
}

// --- pieces ---

func TestConfigSection(t *testing.T) {
	var found bool
	for _, p := range platform.All() {
		if p.Name == chat.PlatformDingTalk {
			found = true
			c := p.NewConfig().(*Config)
			if c.BaseURL != defaultBaseURL || c.Enabled() {
				t.Errorf("defaults %+v", c)
			}
		}
	}
	if !found {
		t.Fatal("dingtalk not registered")
	}
	y := NewConfig()
	src := "enabled: true\nclient_id: cid\nclient_secret: " + testSecret + "\nrobot_code: rc\ncard_template_id: t1\nadmins: [a, b]\n"
	dec := yaml.NewDecoder(strings.NewReader(src))
	dec.KnownFields(true)
	if err := dec.Decode(y); err != nil {
		t.Fatal(err)
	}
	if !y.Enabled() || y.ClientID != "cid" || y.ClientSecret.Reveal() != testSecret || y.RobotCode != "rc" ||
		y.BaseURL != defaultBaseURL || y.CardTemplateID != "t1" || len(y.Admins()) != 2 {
		t.Errorf("decoded %+v", y)
	}
	if out, _ := yaml.Marshal(y); strings.Contains(string(out), "group_rate") || strings.Contains(string(out), "GroupRate") {
		t.Errorf("tuning knobs reach YAML: %s", out)
	}
	c := NewConfig()
	if errs := c.Validate("dingtalk"); len(errs) != 0 {
		t.Errorf("disabled section: %v", errs)
	}
	c.Enable, c.BaseURL = true, "ftp://x"
	errs := strings.Join(c.Validate("dingtalk"), "\n")
	for _, want := range []string{
		"dingtalk.client_id: required when dingtalk.enabled is true",
		"dingtalk.client_secret: required when dingtalk.enabled is true",
		`dingtalk.base_url: "ftp://x" must be an http(s) URL`,
	} {
		if !strings.Contains(errs, want) {
			t.Errorf("Validate lacks %q:\n%s", want, errs)
		}
	}
	c.ClientID, c.ClientSecret, c.BaseURL, c.AdminIDs = "id", testSecret, "http://127.0.0.1:1", []string{"boss"}
	if errs := c.Validate("dingtalk"); len(errs) != 0 {
		t.Errorf("valid section: %v", errs)
	}
	if w := strings.Join(c.Warnings("dingtalk"), "\n"); !strings.Contains(w, "dingtalk.card_template_id: empty") || !strings.Contains(w, "idempotency") {
		t.Errorf("Warnings = %q", w)
	}
	c.CardTemplateID = testTemplate
	if w := c.Warnings("dingtalk"); len(w) != 0 {
		t.Errorf("Warnings with a template = %q", w)
	}
	if a := c.Admins(); len(a) != 1 || a[0] != "boss" {
		t.Errorf("Admins = %v", a)
	}
	logs := &syncBuf{}
	ad, err := c.Build(platform.Env{Log: slog.New(slog.NewTextHandler(logs, nil)), Metrics: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	defer ad.Close()
	if ad.Platform() != chat.PlatformDingTalk || ad.(*Adapter).cfg.RobotCode != "id" {
		t.Errorf("built %+v", ad)
	}
	// The secret never prints.
	slog.New(slog.NewTextHandler(logs, nil)).Info("config", "section", c, "secret", c.ClientSecret)
	if strings.Contains(logs.String(), testSecret) {
		t.Errorf("secret printed: %s", logs.String())
	}
}

func TestMentionNames(t *testing.T) {
	for _, tc := range []struct {
		text string
		n    int
		want []string
	}{
		{" @张三 @李四 【x】", 2, []string{"张三", "李四"}},
		{" @张三 mail a@b.c 【x】", 1, []string{"张三"}},
		{" @张三 @所有人 【x】", 1, []string{"张三"}},
		{" 张三 【x】", 1, []string{"u0"}},
	} {
		got := mentions(botData(tc.text, tc.n))
		var names []string
		for _, u := range got {
			names = append(names, u.Name)
		}
		if strings.Join(names, ",") != strings.Join(tc.want, ",") {
			t.Errorf("%q → %v, want %v", tc.text, names, tc.want)
		}
	}
}

func TestRenderAt(t *testing.T) {
	u := chat.User{ID: "u1", Name: "张三"}
	text, ids := renderAt("hi "+chat.MentionToken(u)+" and "+chat.MentionToken(chat.User{ID: "ghost"})+" "+chat.MentionToken(u), []chat.User{u})
	if text != "hi @u1 and <\u200b@ghost> @u1" || len(ids) != 1 || ids[0] != "u1" {
		t.Errorf("renderAt = %q %v", text, ids)
	}
}

func TestRedactor(t *testing.T) {
	r := newRedactor("topsecret")
	got := r.Clean(`connect success, sessionId=[abc] ws://h/stream?ticket=xyz {"clientSecret":"topsecret2"} topsecret x-acs-dingtalk-access-token: tok123`)
	for _, bad := range []string{"abc", "xyz", "topsecret", "tok123"} {
		if strings.Contains(got, bad) {
			t.Errorf("%q survived: %s", bad, got)
		}
	}
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func counterValue(t *testing.T, c prometheus.Counter) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}

func seriesCount(t *testing.T, g prometheus.Gatherer, name string) int {
	t.Helper()
	mfs, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			return len(mf.GetMetric())
		}
	}
	return 0
}

// A reply still unsent when the bot stops goes out after the restart
// through the sessionWebhook that came with the message (the bot keeps it
// with the message), so the owner is still @-mentioned, although the new
// adapter's cache is empty.
func TestReplyAfterRestartUsesTheMessagesWebhook(t *testing.T) {
	path := filepath.Join(t.TempDir(), "collabbot.db")
	e := newEnv(t, nil)
	e.fake.FailWhen(dingfake.PathWebhook, func([]byte) bool { return true }, dingfake.Fault{Hang: true})
	p := bottest.Start(t, bottest.Options{Path: path, Deliver: deliver.Options{DrainTimeout: 50 * time.Millisecond}}, e.a)
	e.push(dingfake.BotMessage{MsgID: "m1", Text: taskText, AtUsers: []dingfake.AtUser{zhang}})
	deadline := time.Now().Add(5 * time.Second)
	for e.fake.Hung() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the reply never reached the webhook")
		}
		time.Sleep(5 * time.Millisecond)
	}
	p.Stop() // the reply's call is cut off: it stays in the outbox
	e.fake.ReleaseHung()
	if n := len(e.fake.Sent()); n != 0 {
		t.Fatalf("%d messages went out before the restart", n)
	}

	a2, err := New(testConfig(e.fake.URL), slog.New(slog.NewTextHandler(e.logs, nil)), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a2.Close() })
	p2 := bottest.Start(t, bottest.Options{Path: path}, a2)
	p2.Settle(t)
	got := e.fake.Sent()
	if len(got) != 1 || got[0].Via != "webhook" || !contains(got[0].AtUserIDs, "zhangsan01") {
		t.Fatalf("after the restart: %+v, want one webhook reply @zhangsan01", got)
	}
}
