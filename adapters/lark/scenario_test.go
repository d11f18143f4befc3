package lark

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"collabbot/adapters/lark/larkfake"
	"collabbot/bot"
)

const taskText = "@_user_1 @_user_2 【产品研发-需求确认-需前端提供技术评估方案-9月15日前】"

var taskMentions = []larkfake.Mention{
	{OpenID: "ou_bot", Name: "collabbot"},
	{OpenID: "ou_zhang", Name: "张三"},
}

func taskMessage(id string) larkfake.Message {
	return larkfake.Message{MessageID: id, Text: taskText, Mentions: taskMentions, Sender: "ou_li"}
}

// mentionsUser reports whether recorded content @-mentions openID in either
// the text/post form or the card-markdown form.
func mentionsUser(content, openID string) bool {
	return strings.Contains(content, `<at user_id=\"`+openID+`\">`) ||
		strings.Contains(content, `<at id=`+openID+`></at>`)
}

func TestTaskMessageCreatesTaskAndMentionsOwner(t *testing.T) {
	e := newEnv(t, nil)
	e.start(realBot(t))
	e.push(taskMessage("om_task1"))

	sent := e.fake.Sent()
	if len(sent) != 1 {
		t.Fatalf("want 1 reply, got %d: %+v", len(sent), sent)
	}
	s := sent[0]
	if s.Kind != "reply" || s.ReplyTo != "om_task1" {
		t.Errorf("want a reply to om_task1, got %s to %q", s.Kind, s.ReplyTo)
	}
	if !mentionsUser(s.Decoded(), "ou_zhang") {
		t.Errorf("reply does not @-mention the owner: %s", s.Content)
	}
	if mentionsUser(s.Decoded(), "ou_bot") {
		t.Errorf("reply mentions the bot itself: %s", s.Content)
	}
	if s.MsgType == "interactive" && !strings.Contains(s.Content, `"action":"done"`) {
		t.Errorf("task card has no 完成 button: %s", s.Content)
	}
	if len(s.UUID) == 0 || len(s.UUID) > 50 {
		t.Errorf("uuid %q: want 1..50 chars", s.UUID)
	}
	if got := e.counter("collabbot_lark_sends_total", "result", "ok"); got != 1 {
		t.Errorf("sends ok metric = %v", got)
	}
	if got := e.counter("collabbot_lark_events_received_total", "type", "message"); got != 1 {
		t.Errorf("events metric = %v", got)
	}
}

func TestMalformedRequestGetsCorrection(t *testing.T) {
	e := newEnv(t, nil)
	e.start(realBot(t))
	e.push(larkfake.Message{MessageID: "om_bad", Text: "@_user_1 @_user_2 【产品研发-需求确认】", Mentions: taskMentions})
	sent := e.fake.Sent()
	if len(sent) != 1 || sent[0].ReplyTo != "om_bad" {
		t.Fatalf("want one correction replying to om_bad, got %+v", sent)
	}
	// The correction shows the expected four-part format.
	if !strings.Contains(sent[0].Content, "【") || !strings.Contains(sent[0].Content, "-") {
		t.Errorf("correction does not show the format: %s", sent[0].Content)
	}
}

func TestDuplicateDeliveryRepliesOnce(t *testing.T) {
	e := newEnv(t, nil)
	e.start(realBot(t))
	m := taskMessage("om_dup")
	// Two concurrent deliveries (in flight together), then a late one.
	errs := make(chan error, 2)
	for range 2 {
		go func() {
			code, err := e.fake.PushMessage(m)
			if err == nil && code != 200 {
				err = errors.New("ack not 200")
			}
			errs <- err
		}()
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	e.idle()
	e.push(m)
	if n := len(e.fake.Sent()); n != 1 {
		t.Fatalf("want exactly one reply, got %d", n)
	}
}

// sentTaskID digs the task id out of a recorded task card's buttons.
func sentTaskID(t *testing.T, content string) string {
	t.Helper()
	m := regexp.MustCompile(`"task":"(\d+)"`).FindStringSubmatch(content)
	if m == nil {
		t.Fatalf("no task id in %s", content)
	}
	return m[1]
}

func TestCardButtonUpdatesTaskInAck(t *testing.T) {
	e := newEnv(t, nil)
	e.start(realBot(t))
	e.push(taskMessage("om_card"))
	sent := e.fake.Sent()
	if len(sent) != 1 || sent[0].MsgType != "interactive" {
		t.Fatalf("want a task card, got %+v", sent)
	}
	id := sentTaskID(t, sent[0].Content)

	ans, err := e.fake.PushCardAction(larkfake.CardAction{
		Operator: "ou_zhang", MessageID: sent[0].MessageID,
		Value: map[string]any{"action": bot.ActionAck, "task": id},
	})
	if err != nil || ans.Code != 200 {
		t.Fatalf("card action: code %d err %v", ans.Code, err)
	}
	if ans.Toast.Content == "" || ans.Toast.Type == "" {
		t.Errorf("no toast in answer: %+v", ans)
	}
	if ans.Card == nil || ans.Card.Type != "raw" || !strings.Contains(string(ans.Card.Data), `"header"`) {
		t.Fatalf("no updated card in answer: %+v", ans)
	}
	// Acknowledged: the 确认接收 button is gone from the new face.
	if strings.Contains(string(ans.Card.Data), `"action":"ack"`) {
		t.Errorf("card still offers ack after ack: %s", ans.Card.Data)
	}

	ans, err = e.fake.PushCardAction(larkfake.CardAction{
		Operator: "ou_zhang", MessageID: sent[0].MessageID,
		Value: map[string]any{"action": bot.ActionDone, "task": id},
	})
	if err != nil || ans.Card == nil {
		t.Fatalf("done click: %+v %v", ans, err)
	}
	if !strings.Contains(string(ans.Card.Data), `"template":"green"`) {
		t.Errorf("done card is not green: %s", ans.Card.Data)
	}
	e.idle()
	if got := e.counter("collabbot_lark_events_received_total", "type", "card_action"); got != 2 {
		t.Errorf("card_action events = %v", got)
	}
}

func TestThrottledSendArrivesOnce(t *testing.T) {
	e := newEnv(t, nil)
	e.start(realBot(t))
	e.fake.InjectSendFaults(larkfake.FaultChatLimit, larkfake.FaultAppLimit, larkfake.FaultLostResponse)
	start := time.Now()
	e.push(taskMessage("om_throttle"))
	sent := e.fake.Sent()
	if len(sent) != 1 {
		t.Fatalf("want the reply exactly once, got %d", len(sent))
	}
	if n := e.fake.SendAttempts(); n != 4 {
		t.Errorf("want 4 attempts (230020, 429, lost, ok), got %d", n)
	}
	// The 429 said x-ogw-ratelimit-reset: 1.
	if d := time.Since(start); d < time.Second {
		t.Errorf("rate-limit reset not respected: done after %v", d)
	}
	if got := e.counter("collabbot_lark_send_retries_total", "reason", "throttled"); got != 2 {
		t.Errorf("throttled retries = %v", got)
	}
	if got := e.counter("collabbot_lark_send_retries_total", "reason", "transient"); got != 1 {
		t.Errorf("transient retries = %v", got)
	}
}

func TestReconnectAfterSocketDrop(t *testing.T) {
	e := newEnv(t, nil)
	h := &stubHandler{onMsg: func(m bot.Message) []bot.Reply {
		return []bot.Reply{{ChatID: m.ChatID, ReplyTo: m.MessageID, Text: "ok " + m.MessageID, Key: m.MessageID}}
	}}
	e.start(h)
	e.push(larkfake.Message{MessageID: "om_before", Text: "hi"})
	e.fake.DropSocket()
	if err := e.fake.WaitConnected(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	e.push(larkfake.Message{MessageID: "om_after", Text: "hi again"})
	if e.fake.Dials() < 2 {
		t.Errorf("want a second dial, got %d", e.fake.Dials())
	}
	if n := len(e.fake.Sent()); n != 2 {
		t.Errorf("want 2 replies, got %d", n)
	}
	waitFor(t, "reconnect metric", func() bool { return e.counter("collabbot_lark_reconnects_total") >= 1 })
}

func TestCloseLeavesNoGoroutines(t *testing.T) {
	check := goroutineBaseline(t)
	fake := larkfake.New(larkfake.Options{AppID: "cli_leak", AppSecret: "leak-secret-123"})
	ad, err := New(Config{AppID: "cli_leak", AppSecret: "leak-secret-123", BaseURL: fake.URL}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	h := &stubHandler{onMsg: func(m bot.Message) []bot.Reply {
		return []bot.Reply{{ChatID: m.ChatID, Text: "ok", Key: m.MessageID}}
	}}
	if err := ad.Start(context.Background(), h); err != nil {
		t.Fatal(err)
	}
	if code, err := fake.PushMessage(larkfake.Message{Text: "hello"}); err != nil || code != 200 {
		t.Fatalf("push: %d %v", code, err)
	}
	if err := ad.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := ad.Close(); err != nil { // idempotent
		t.Fatalf("second Close: %v", err)
	}
	if n := len(fake.Sent()); n != 1 {
		t.Errorf("in-flight reply not finished by Close: %d sent", n)
	}
	waitFor(t, "socket closed", func() bool { return fake.LiveConns() == 0 })
	fake.Close()
	check()
}

func TestCloseWithoutStart(t *testing.T) {
	check := goroutineBaseline(t)
	ad, err := New(Config{AppID: "cli_x", AppSecret: "never-used-secret"}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := ad.Close(); err != nil {
		t.Fatal(err)
	}
	if err := ad.Start(context.Background(), &stubHandler{}); err == nil {
		t.Error("Start after Close succeeded")
	}
	check()
}

func TestAtAllNeverRendered(t *testing.T) {
	e := newEnv(t, nil)
	e.start(realBot(t))
	evil := `@_user_1 @_user_2 【产品研发-<at user_id="all"></at>需求确认-<at id=all></at>通知@all-9月15日前】`
	e.push(larkfake.Message{MessageID: "om_evil", Text: evil, Mentions: taskMentions})
	e.push(larkfake.Message{MessageID: "om_evil2", Text: `@_user_1 <AT user_id="all">所有人</AT> 【坏-格式】`, Mentions: taskMentions[:1]})
	sent := e.fake.Sent()
	if len(sent) == 0 {
		t.Fatal("no replies")
	}
	atAll := regexp.MustCompile(`(?i)<\s*at[^>]*(user_id|id)\s*=\s*(\\?"|')?(all|@_all)`)
	for _, s := range sent {
		if atAll.MatchString(s.Decoded()) {
			t.Errorf("@all in sent content: %s", s.Decoded())
		}
	}
}

func TestDirectMessage(t *testing.T) {
	e := newEnv(t, nil)
	e.start(realBot(t))
	e.push(larkfake.Message{MessageID: "om_p2p", ChatType: "p2p", ChatID: "oc_p2p", Text: "help"})
	sent := e.fake.Sent()
	if len(sent) != 1 {
		t.Fatalf("want the bot's answer in the 1:1 chat, got %+v", sent)
	}
}

func TestSenderIsAdminFromChatOwner(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Admins = []string{"ou_cfg"} })
	e.fake.SetChat("oc_group", larkfake.Chat{OwnerID: "ou_owner", Managers: []string{"ou_mgr"}})
	h := &stubHandler{}
	e.start(h)
	for _, s := range []string{"ou_owner", "ou_mgr", "ou_plain", "ou_cfg"} {
		e.push(larkfake.Message{Text: "hello", Sender: s})
	}
	got := map[string]bool{}
	for _, m := range h.messages() {
		got[m.Sender.ID] = m.SenderIsAdmin
	}
	want := map[string]bool{"ou_owner": true, "ou_mgr": true, "ou_plain": false, "ou_cfg": true}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: SenderIsAdmin = %v, want %v", k, got[k], v)
		}
	}
	if n := e.fake.ChatGets(); n != 1 {
		t.Errorf("chat info fetched %d times, want 1 (cached)", n)
	}
}

func TestSlowCardActionAnsweredLater(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.ActionTimeout = 100 * time.Millisecond })
	release := make(chan struct{})
	h := &stubHandler{onAction: func(a bot.Action) bot.ActionResult {
		<-release
		return bot.ActionResult{Toast: "已完成", ToastKind: "success",
			Card:     &bot.Card{Title: "#7 任务", Template: "green", Body: "完成 " + bot.MentionToken(a.User)},
			Mentions: []bot.User{a.User},
			Followups: []bot.Reply{{ChatID: a.ChatID, Text: "跟进 " + bot.MentionToken(a.User),
				Mentions: []bot.User{a.User}, Key: "fu:" + a.EventID}}}
	}}
	e.start(h)
	ans, err := e.fake.PushCardAction(larkfake.CardAction{Operator: "ou_zhang", MessageID: "om_card7",
		Value: map[string]any{"action": "done", "task": "7"}})
	if err != nil {
		t.Fatal(err)
	}
	if ans.Toast.Content != toastPending || ans.Card != nil {
		t.Fatalf("want a 处理中 toast and no card, got %+v", ans)
	}
	close(release)
	waitFor(t, "late card patch and followup", func() bool { return len(e.fake.Sent()) == 2 })
	var patched, followup bool
	for _, s := range e.fake.Sent() {
		switch s.Kind {
		case "patch":
			patched = s.MessageID == "om_card7" && strings.Contains(s.Decoded(), "<at id=ou_zhang></at>")
		case "create":
			followup = mentionsUser(s.Decoded(), "ou_zhang")
		}
	}
	if !patched || !followup {
		t.Errorf("patched=%v followup=%v: %+v", patched, followup, e.fake.Sent())
	}
}

func TestRejectedTokenIsRefreshed(t *testing.T) {
	e := newEnv(t, nil)
	e.start(&stubHandler{})
	e.fake.RejectToken(1)
	err := e.ad.Send(context.Background(), bot.Reply{ChatID: "oc_group", Text: "after token reject", Key: "k1"})
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	if n := e.fake.TokensIssued(); n < 2 {
		t.Errorf("token not refreshed: %d grants", n)
	}
	// The secrets check at cleanup has something to look at: the rejection
	// and its platform message were logged.
	if logs := e.logs.String(); !strings.Contains(logs, "99991663") {
		t.Errorf("token rejection not logged:\n%s", logs)
	}
}

func TestSendFailureIsClassifiedAndSecretFree(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.SendAttempts = 2 })
	e.start(&stubHandler{})
	e.fake.InjectSendFaults(larkfake.FaultServer, larkfake.FaultServer)
	err := e.ad.Send(context.Background(), bot.Reply{ChatID: "oc_group", Text: "x"})
	var se *bot.SendError
	if !errors.As(err, &se) || se.Reason != bot.ReasonTransient || !se.Retry {
		t.Fatalf("want a retryable transient SendError, got %#v", err)
	}
	e.fake.InjectSendFaults(larkfake.FaultChatLimit, larkfake.FaultChatLimit)
	err = e.ad.Send(context.Background(), bot.Reply{ChatID: "oc_group", Text: "x"})
	if !errors.As(err, &se) || se.Reason != bot.ReasonThrottled || !se.Retry {
		t.Fatalf("want a retryable throttled SendError, got %#v", err)
	}
	for _, s := range []string{e.fake.AppSecret(), e.fake.Token()} {
		if strings.Contains(err.Error(), s) {
			t.Errorf("error leaks a secret: %v", err)
		}
	}
	if got := e.counter("collabbot_lark_sends_total", "result", "error", "reason", "throttled"); got != 1 {
		t.Errorf("throttled failures metric = %v", got)
	}
}

func TestSlowResponseRetriedIdempotently(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.HTTPTimeout = 300 * time.Millisecond })
	e.start(&stubHandler{})
	e.fake.InjectSendFaults(larkfake.FaultSlow)
	if err := e.ad.Send(context.Background(), bot.Reply{ChatID: "oc_group", Text: "once", Key: "slow"}); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if n := len(e.fake.Sent()); n != 1 {
		t.Errorf("want 1 message after a timed-out attempt, got %d", n)
	}
}

func TestStartWithBadSecretFails(t *testing.T) {
	fake := larkfake.New(larkfake.Options{AppID: "cli_bad", AppSecret: "right-secret"})
	defer fake.Close()
	logs := &logBuffer{}
	ad, err := New(Config{AppID: "cli_bad", AppSecret: "WrongSecretValue42", BaseURL: fake.URL},
		slogTo(logs), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ad.Close()
	err = ad.Start(context.Background(), &stubHandler{})
	var se *bot.SendError
	if !errors.As(err, &se) || se.Reason != bot.ReasonAuth {
		t.Fatalf("want an auth error, got %v", err)
	}
	if strings.Contains(err.Error(), "WrongSecretValue42") || strings.Contains(logs.String(), "WrongSecretValue42") {
		t.Errorf("secret leaked: %v\n%s", err, logs)
	}
}

func TestChatRateLimit(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.ChatRate = 4 })
	e.start(&stubHandler{})
	const n = 9
	start := time.Now()
	for i := range n {
		if err := e.ad.Send(context.Background(), bot.Reply{ChatID: "oc_rate", Text: "m", Key: string(rune('a' + i))}); err != nil {
			t.Fatal(err)
		}
	}
	// Burst 1 at 4/s: 9 sends need at least 2 s, and no window of one
	// second holds more than 5.
	if d := time.Since(start); d < 1900*time.Millisecond {
		t.Errorf("9 sends to one chat took %v, want ≥2s at 4/s", d)
	}
	t.Logf("9 sends to one chat at 4/s took %v", time.Since(start))
}

func TestQueueFullAsksForRedelivery(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Workers, c.QueueSize = 1, 1 })
	release := make(chan struct{})
	entered := make(chan struct{}, 10)
	e.start(&stubHandler{onMsg: func(bot.Message) []bot.Reply {
		entered <- struct{}{}
		<-release
		return nil
	}})
	push := func(id string) int {
		code, err := e.fake.PushMessage(larkfake.Message{MessageID: id, Text: "x"})
		if err != nil {
			t.Fatal(err)
		}
		return code
	}
	if push("om_q1") != 200 {
		t.Fatal("first not accepted")
	}
	<-entered // om_q1 is running, the queue is empty
	if push("om_q2") != 200 {
		t.Fatal("second not queued")
	}
	if code := push("om_q3"); code != 500 {
		t.Errorf("third with a full queue: ack %d, want 500 so that the platform redelivers", code)
	}
	close(release)
	e.idle()
	// The redelivery is accepted now.
	if push("om_q3") != 200 {
		t.Error("redelivery refused")
	}
	e.idle()
}

func TestIngestThroughput(t *testing.T) {
	e := newEnv(t, nil)
	h := &stubHandler{}
	e.start(h)
	const n, par = 400, 16
	start := time.Now()
	errs := make(chan error, par)
	for w := range par {
		go func() {
			for i := w; i < n; i += par {
				code, err := e.fake.PushMessage(larkfake.Message{ChatID: "oc_" + string(rune('a'+i%8)), Text: "load"})
				if err == nil && code != 200 {
					err = errors.New("not acked")
				}
				if err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range par {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	e.idle()
	d := time.Since(start)
	if got := len(h.messages()); got != n {
		t.Fatalf("handled %d of %d", got, n)
	}
	t.Logf("ingest: %d events acked and handled in %v (%.0f/s, -race)", n, d, float64(n)/d.Seconds())
}
