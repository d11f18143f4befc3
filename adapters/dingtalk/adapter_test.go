package dingtalk

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"collabbot/adapters/dingtalk/dingfake"
	"collabbot/bot"
	"collabbot/bot/bottest"
)

const (
	testClientID = "dingtestclientid"
	testSecret   = "S3cr3t-ClientSecret-4-tests"
	testChat     = "cidGroup0001=="
	testTemplate = "tmpl-0001.schema"
)

// newHandler is the bot the scenarios run against: the real one.
func newHandler(t *testing.T) bot.Handler { return bottest.New(t) }

// counting wraps the real bot to count the calls it got.
type counting struct {
	bot.Handler
	msgs, actions atomic.Int64
}

func (c *counting) HandleMessage(ctx context.Context, m bot.Message) []bot.Reply {
	c.msgs.Add(1)
	return c.Handler.HandleMessage(ctx, m)
}

func (c *counting) HandleAction(ctx context.Context, a bot.Action) bot.ActionResult {
	c.actions.Add(1)
	return c.Handler.HandleAction(ctx, a)
}

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
	h    *counting
	logs *syncBuf
	reg  *prometheus.Registry
	errs []error // errors checked for secrets at cleanup
}

func testConfig(baseURL string) Config {
	return Config{
		ClientID:      testClientID,
		ClientSecret:  testSecret,
		BaseURL:       baseURL,
		GroupRate:     1000,
		GroupBurst:    100,
		RetryBase:     5 * time.Millisecond,
		ReconnectMin:  20 * time.Millisecond,
		ReconnectMax:  200 * time.Millisecond,
		CheckInterval: 20 * time.Millisecond,
		CloseGrace:    5 * time.Second,
	}
}

// start runs an adapter against a fresh fake; mod adjusts the config.
func start(t *testing.T, mod func(*Config)) *env {
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
	e.h = &counting{Handler: newHandler(t)}
	t.Cleanup(func() {
		_ = a.Close()
		e.fake.Close()
		e.checkNoSecrets()
		if t.Failed() || os.Getenv("DINGTALK_TEST_LOGS") != "" {
			t.Logf("adapter logs:\n%s", e.logs.String())
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := a.Start(ctx, e.h); err != nil {
		t.Fatalf("Start: %v", err)
	}
	return e
}

func (e *env) checkNoSecrets() {
	e.t.Helper()
	texts := []string{e.logs.String()}
	for _, err := range e.errs {
		texts = append(texts, err.Error())
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

// waitSent waits until at least n messages reached the fake.
func (e *env) waitSent(n int) []dingfake.Sent {
	e.t.Helper()
	return e.waitSentWithin(n, 10*time.Second)
}

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

// settle waits a little and returns everything sent, for "nothing more" checks.
func (e *env) settle() []dingfake.Sent {
	time.Sleep(150 * time.Millisecond)
	return e.fake.Sent()
}

func (e *env) push(m dingfake.BotMessage) {
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
}

// taskDay is when the scenario's messages are sent: before the 9月15日 due date.
var taskDay = time.Date(2026, 9, 1, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))

var zhang = dingfake.AtUser{DingtalkID: "$:LWCP_v1:$zhang", StaffID: "zhangsan01"}

const taskText = " @张三 【产品研发-需求确认-需前端提供技术评估方案-9月15日前】"

func TestTaskMessageReplyMentionsOwner(t *testing.T) {
	e := start(t, nil) // no card template: the reply goes through the sessionWebhook
	e.push(dingfake.BotMessage{MsgID: "m1", Text: taskText, AtUsers: []dingfake.AtUser{zhang}})
	s := e.waitSent(1)[0]
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
	if got := e.settle(); len(got) != 1 {
		t.Errorf("sent %d messages, want 1", len(got))
	}
}

func TestTaskMessageWithTemplateDeliversCard(t *testing.T) {
	e := start(t, func(c *Config) { c.CardTemplateID = testTemplate })
	e.push(dingfake.BotMessage{MsgID: "m1", Text: taskText, AtUsers: []dingfake.AtUser{zhang}})
	s := e.waitSent(1)[0]
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
	s := e.waitSent(1)[0]
	if s.Via != "webhook" || s.Text == "" {
		t.Fatalf("correction: %+v", s)
	}
	if !strings.Contains(s.Text, "【") {
		t.Errorf("correction has no corrected example: %q", s.Text)
	}
	t.Logf("correction: %s", s.Text)
}

func TestSameMsgIDTwiceRepliesOnce(t *testing.T) {
	e := start(t, nil)
	m := dingfake.BotMessage{MsgID: "dup1", Text: taskText, AtUsers: []dingfake.AtUser{zhang}}
	e.push(m)
	e.push(m)
	e.waitSent(1)
	if got := e.settle(); len(got) != 1 {
		t.Fatalf("sent %d replies, want 1: %+v", len(got), got)
	}
	if n := e.h.msgs.Load(); n != 1 {
		t.Errorf("handler saw %d messages, want 1", n)
	}
}

func TestDirectMessage(t *testing.T) {
	e := start(t, nil)
	e.push(dingfake.BotMessage{MsgID: "d1", ConversationID: "cidDirect01", ConversationType: "1", Text: "你好"})
	s := e.waitSent(1)[0]
	if s.Via != "webhook" || s.Chat != "cidDirect01" || s.Text == "" {
		t.Fatalf("direct reply: %+v", s)
	}
	// A proactive message to that chat goes 1:1 through the OpenAPI.
	if err := e.a.Send(context.Background(), bot.Reply{ChatID: "cidDirect01", Text: "hi", Key: "k"}); err != nil {
		t.Fatal(err)
	}
	s = e.waitSent(2)[1]
	if s.Via != "oto" || !contains(s.UserIDs, "lisi01") {
		t.Fatalf("proactive direct: %+v", s)
	}
}

func mentionReply(key string) bot.Reply {
	u := bot.User{ID: "zhangsan01", Name: "张三"}
	return bot.Reply{
		Platform: bot.PlatformDingTalk, ChatID: testChat, Key: key,
		Text:     "提醒 " + bot.MentionToken(u) + "：任务 #1 明天到期",
		Mentions: []bot.User{u},
	}
}

func TestProactiveMentionGoesAsCard(t *testing.T) {
	e := start(t, func(c *Config) { c.CardTemplateID = testTemplate })
	ctx := context.Background()
	if err := e.a.Send(ctx, mentionReply("nudge:1")); err != nil {
		t.Fatal(err)
	}
	s := e.waitSent(1)[0]
	if s.Via != "card" || s.Chat != testChat || !contains(s.AtUserIDs, "zhangsan01") {
		t.Fatalf("proactive mention: %+v", s)
	}
	if !strings.Contains(s.Text, "@张三") {
		t.Errorf("card text = %q", s.Text)
	}
	// The same Key again is the same card: nothing new appears.
	if err := e.a.Send(ctx, mentionReply("nudge:1")); err != nil {
		t.Fatal(err)
	}
	if got := e.settle(); len(got) != 1 {
		t.Errorf("same key sent %d times", len(got))
	}
	if got := counterValue(t, e.a.api.calls.WithLabelValues(apiCardDeliver, time.Now().In(quotaZone).Format("2006-01"))); got != 2 {
		t.Errorf("card deliver calls counted = %v, want 2", got)
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
			ctx := context.Background()
			if err := e.a.Send(ctx, mentionReply("nudge:a")); err != nil {
				t.Fatal(err)
			}
			s := e.waitSent(1)[0]
			if s.Via != "webhook" || !contains(s.AtUserIDs, "zhangsan01") || !strings.Contains(s.Text, "@zhangsan01") {
				t.Fatalf("webhook fallback: %+v", s)
			}
			// Once the webhook is dead, the names go as plain text.
			e.fake.ExpireWebhooks()
			if err := e.a.Send(ctx, mentionReply("nudge:b")); err != nil {
				t.Fatal(err)
			}
			s = e.waitSent(2)[1]
			if s.Via != "group" || s.Chat != testChat || !strings.Contains(s.Text, "@张三") {
				t.Fatalf("plain fallback: %+v", s)
			}
			if got := e.settle(); len(got) != 2 {
				t.Errorf("sent %d, want 2: %+v", len(got), got)
			}
		})
	}
}

func TestCardCallbackUpdatesTask(t *testing.T) {
	e := start(t, func(c *Config) { c.CardTemplateID = testTemplate })
	e.push(dingfake.BotMessage{MsgID: "m1", Text: taskText, AtUsers: []dingfake.AtUser{zhang}})
	card := e.waitSent(1)[0]
	if card.Via != "card" {
		t.Fatalf("task card: %+v", card)
	}
	ack, resp, err := e.fake.PushCardCallback(dingfake.CardCallback{
		OutTrackID: card.OutTrack, UserID: "zhangsan01", SpaceID: testChat,
		Params: map[string]any{"action": bot.ActionAck, "task": "1"},
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
		Params: map[string]any{"action": bot.ActionDone, "task": float64(1)},
	})
	if err != nil || resp.CardData == nil {
		t.Fatalf("done: %v %+v", err, resp)
	}
	if c := resp.CardData.CardParamMap["color"]; c != "green" {
		t.Errorf("card color after done = %q (%v)", c, resp.CardData.CardParamMap)
	}
	if n := e.h.actions.Load(); n != 2 {
		t.Errorf("handler saw %d actions", n)
	}
}

func TestQPSLimitDeliveredOnce(t *testing.T) {
	e := start(t, nil)
	e.fake.FailNext(dingfake.PathGroupSend, 2, dingfake.QPSLimit)
	if err := e.a.Send(context.Background(), bot.Reply{ChatID: testChat, Text: "周报提醒", Key: "w1"}); err != nil {
		t.Fatal(err)
	}
	if got := e.settle(); len(got) != 1 || got[0].Via != "group" {
		t.Fatalf("sent %+v, want one group message", got)
	}
	if n := e.fake.Calls(dingfake.PathGroupSend); n != 3 {
		t.Errorf("group send calls = %d, want 3", n)
	}
	month := time.Now().In(quotaZone).Format("2006-01")
	if got := counterValue(t, e.a.api.calls.WithLabelValues(apiGroupSend, month)); got != 3 {
		t.Errorf("counted %v group sends, want 3", got)
	}
	if n := seriesCount(t, e.reg, "collabbot_dingtalk_openapi_calls_total"); n < 2 {
		t.Errorf("registered metric series = %d", n)
	}
}

func TestTransientAndAuthRetries(t *testing.T) {
	e := start(t, nil)
	ctx := context.Background()
	// 503 from the gateway: not processed, retried.
	e.fake.FailNext(dingfake.PathGroupSend, 1, dingfake.Fault{Status: 503, Code: "ServiceUnavailable"})
	if err := e.a.Send(ctx, bot.Reply{ChatID: testChat, Text: "one", Key: "1"}); err != nil {
		t.Fatal(err)
	}
	// A revoked token: 401, a new token, the send goes through once.
	e.fake.RevokeTokens()
	if err := e.a.Send(ctx, bot.Reply{ChatID: testChat, Text: "two", Key: "2"}); err != nil {
		t.Fatal(err)
	}
	got := e.settle()
	if len(got) != 2 || got[0].Text != "one" || got[1].Text != "two" {
		t.Fatalf("sent %+v", got)
	}
	if n := e.fake.Calls(dingfake.PathToken); n != 2 {
		t.Errorf("token fetched %d times, want 2", n)
	}
}

func TestExpiredWebhookFallsBack(t *testing.T) {
	t.Run("expired on arrival", func(t *testing.T) {
		e := start(t, nil)
		e.push(dingfake.BotMessage{MsgID: "m1", Text: taskText, AtUsers: []dingfake.AtUser{zhang}, WebhookTTL: -time.Minute})
		s := e.waitSent(1)[0]
		if s.Via != "group" || !strings.Contains(s.Text, "@张三") || s.MsgType != "sampleMarkdown" {
			t.Fatalf("reply without a webhook: %+v", s)
		}
	})
	t.Run("errcode 300001", func(t *testing.T) {
		e := start(t, func(c *Config) { c.CardTemplateID = testTemplate })
		e.fake.FailNext(dingfake.PathWebhook, 1, dingfake.Fault{Code: "300001"})
		e.push(dingfake.BotMessage{MsgID: "m1", Text: "大家好"})
		// A plain reply that mentions someone: webhook refused → card.
		err := e.a.Send(context.Background(), bot.Reply{ChatID: testChat, ReplyTo: "m1", Key: "r1",
			Text: "好的 " + bot.MentionToken(bot.User{ID: "zhangsan01", Name: "张三"}), Mentions: []bot.User{{ID: "zhangsan01", Name: "张三"}}})
		if err != nil {
			t.Fatal(err)
		}
		got := e.settle()
		if len(got) != 1 || got[0].Via != "card" || !contains(got[0].AtUserIDs, "zhangsan01") {
			t.Fatalf("sent %+v", got)
		}
		// The dead webhook is forgotten: the next reply does not try it.
		calls := e.fake.Calls(dingfake.PathWebhook)
		if err := e.a.Send(context.Background(), bot.Reply{ChatID: testChat, ReplyTo: "m1", Key: "r2", Text: "ok"}); err != nil {
			t.Fatal(err)
		}
		if e.fake.Calls(dingfake.PathWebhook) != calls {
			t.Error("expired webhook used again")
		}
	})
}

func TestSendFailuresAreClassified(t *testing.T) {
	e := start(t, nil)
	ctx := context.Background()
	plain := bot.Reply{ChatID: testChat, Text: "hello", Key: "x"}

	e.fake.FailNext(dingfake.PathGroupSend, 1, dingfake.QuotaExceeded)
	err := e.a.Send(ctx, plain)
	e.errs = append(e.errs, err)
	var se *bot.SendError
	if !errors.As(err, &se) || se.Reason != bot.ReasonQuota || se.Retry {
		t.Fatalf("quota: %v", err)
	}
	if n := e.fake.Calls(dingfake.PathGroupSend); n != 1 {
		t.Errorf("quota retried: %d calls", n)
	}

	// Throttled for longer than the retries: a retryable throttle error.
	e.fake.FailNext(dingfake.PathGroupSend, 10, dingfake.QPSLimit)
	err = e.a.Send(ctx, plain)
	e.errs = append(e.errs, err)
	if !errors.As(err, &se) || se.Reason != bot.ReasonThrottled || !se.Retry {
		t.Fatalf("throttle: %v", err)
	}

	// A dropped connection after the request was read: it may have posted,
	// so it is not retried and not retryable.
	f := dingfake.New(testClientID, testSecret)
	defer f.Close()
	cfg := testConfig(f.URL)
	a2, err := New(cfg, slog.New(slog.NewTextHandler(e.logs, nil)), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer a2.Close()
	f.FailNext(dingfake.PathGroupSend, 1, dingfake.Fault{Drop: true})
	err = a2.Send(ctx, plain)
	e.errs = append(e.errs, err)
	if !errors.As(err, &se) || se.Retry {
		t.Fatalf("dropped: %v", err)
	}
	if n := len(f.Sent()); n != 1 || f.Calls(dingfake.PathGroupSend) != 1 {
		t.Errorf("dropped request: %d recorded, %d calls", n, f.Calls(dingfake.PathGroupSend))
	}
	if strings.Contains(err.Error(), f.LastToken()) || strings.Contains(err.Error(), testSecret) {
		t.Errorf("secret in error %q", err)
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
	e.waitSent(2)
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
					Text: " @张三 【产品研发-需求确认-需前端提供技术评估方案-9月15日前】", AtUsers: []dingfake.AtUser{zhang},
					MsgID: "c" + string(rune('a'+i)) + string(rune('a'+j)),
				})
			}
		}()
	}
	sendDone := make(chan struct{})
	go func() {
		defer close(sendDone)
		for i := range 20 {
			_ = e.a.Send(context.Background(), bot.Reply{ChatID: testChat, Text: "tick", Key: "t" + string(rune('a'+i))})
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
	err := e.a.Send(context.Background(), bot.Reply{ChatID: testChat, Text: "late"})
	var se *bot.SendError
	if !errors.As(err, &se) {
		t.Errorf("Send after Close: %v", err)
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
	if err := a.Start(context.Background(), &counting{}); err == nil {
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
	err = a.Start(context.Background(), &counting{Handler: newHandler(t)})
	if err == nil {
		t.Fatal("Start with a wrong secret succeeded")
	}
	if strings.Contains(err.Error(), testSecret) || strings.Contains(logs.String(), testSecret) {
		t.Errorf("secret leaked: %v / %s", err, logs.String())
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
				Text:  " @张三 【产品研发-需求确认-需前端提供技术评估方案-9月15日前】", AtUsers: []dingfake.AtUser{zhang},
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
	// Handling is serial per chat (in order) and each message is a store
	// transaction: allow for a slow disk.
	e.waitSentWithin(n, time.Minute)
	if got := e.h.msgs.Load(); got != n {
		t.Errorf("handled %d, want %d", got, n)
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
	u := bot.User{ID: "u1", Name: "张三"}
	text, ids := renderAt("hi "+bot.MentionToken(u)+" and "+bot.MentionToken(bot.User{ID: "ghost"})+" "+bot.MentionToken(u), []bot.User{u})
	if text != "hi @u1 and <\u200b@ghost> @u1" || len(ids) != 1 || ids[0] != "u1" {
		t.Errorf("renderAt = %q %v", text, ids)
	}
}

func TestRedactor(t *testing.T) {
	r := &redactor{}
	r.add("topsecret")
	got := r.clean(`connect success, sessionId=[abc] ws://h/stream?ticket=xyz {"clientSecret":"topsecret2"} topsecret`)
	for _, bad := range []string{"abc", "xyz", "topsecret"} {
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
