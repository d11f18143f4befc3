package lark

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"collabbot/adapters/lark/larkfake"
	"collabbot/bot/bottest"
	"collabbot/bot/chat"
	"collabbot/bot/deliver"
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

// sentTaskID digs the task id out of a recorded task card's buttons.
func sentTaskID(t *testing.T, content string) string {
	t.Helper()
	m := regexp.MustCompile(`"task":"(\d+)"`).FindStringSubmatch(content)
	if m == nil {
		t.Fatalf("no task id in %s", content)
	}
	return m[1]
}

func TestTaskMessageCreatesTaskAndMentionsOwner(t *testing.T) {
	e := newEnv(t, nil)
	e.start()
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
	e.start()
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

// Redeliveries reach Accept again (the adapter keeps no dedupe of its
// own); the store dedupes by message id, so there is one reply.
func TestDuplicateDeliveryRepliesOnce(t *testing.T) {
	e := newEnv(t, nil)
	e.start()
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
	e.settle()
	e.push(m)
	if n := len(e.fake.Sent()); n != 1 {
		t.Fatalf("want exactly one reply, got %d", n)
	}
	if got := e.counter("collabbot_lark_events_received_total", "type", "message"); got != 3 {
		t.Errorf("want all 3 deliveries handed to the bot, metric = %v", got)
	}
}

func TestCardButtonUpdatesTaskInAck(t *testing.T) {
	e := newEnv(t, nil)
	e.start()
	e.push(taskMessage("om_card"))
	sent := e.fake.Sent()
	if len(sent) != 1 || sent[0].MsgType != "interactive" {
		t.Fatalf("want a task card, got %+v", sent)
	}
	id := sentTaskID(t, sent[0].Content)

	ans, err := e.fake.PushCardAction(larkfake.CardAction{
		Operator: "ou_zhang", MessageID: sent[0].MessageID,
		Value: map[string]any{"action": chat.ActionAck, "task": id},
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
		Value: map[string]any{"action": chat.ActionDone, "task": id},
	})
	if err != nil || ans.Card == nil {
		t.Fatalf("done click: %+v %v", ans, err)
	}
	if !strings.Contains(string(ans.Card.Data), `"template":"green"`) {
		t.Errorf("done card is not green: %s", ans.Card.Data)
	}
	e.settle()
	if got := e.counter("collabbot_lark_events_received_total", "type", "card_action"); got != 2 {
		t.Errorf("card_action events = %v", got)
	}
	for _, s := range e.fake.Sent() {
		if s.Kind == "patch" {
			t.Errorf("a click answered in time must not be patched as well: %+v", s)
		}
	}
}

// A click the bot cannot answer within ActionTimeout gets "处理中"; the
// new card then reaches the clicked message through the bot's send stage
// as a PATCH.
func TestSlowCardActionPatchedThroughSendStage(t *testing.T) {
	// Shorter than any store commit: the real bot is always too slow.
	e := newEnv(t, func(c *Config) { c.ActionTimeout = time.Microsecond })
	e.start()
	e.push(taskMessage("om_slow"))
	sent := e.fake.Sent()
	if len(sent) != 1 || sent[0].MsgType != "interactive" {
		t.Fatalf("want a task card, got %+v", sent)
	}
	id := sentTaskID(t, sent[0].Content)
	ans, err := e.fake.PushCardAction(larkfake.CardAction{Operator: "ou_zhang", MessageID: sent[0].MessageID,
		Value: map[string]any{"action": chat.ActionDone, "task": id}})
	if err != nil || ans.Code != 200 {
		t.Fatalf("card action: %+v %v", ans, err)
	}
	if ans.Toast.Content != toastPending || ans.Card != nil {
		t.Fatalf("want a 处理中 toast and no card, got %+v", ans)
	}
	waitFor(t, "late card patch", func() bool {
		for _, s := range e.fake.Sent() {
			if s.Kind == "patch" {
				return true
			}
		}
		return false
	})
	e.settle()
	var patches int
	for _, s := range e.fake.Sent() {
		if s.Kind != "patch" {
			continue
		}
		patches++
		if s.MessageID != sent[0].MessageID || !strings.Contains(s.Decoded(), `"template":"green"`) {
			t.Errorf("patch: %+v", s)
		}
	}
	if patches != 1 {
		t.Errorf("want one patch, got %d", patches)
	}
}

// The adapter classifies; the bot's send stage retries. End to end, a
// reply that meets a chat limit, an app limit and a lost response still
// arrives once.
func TestThrottledSendArrivesOnce(t *testing.T) {
	e := newEnv(t, nil)
	e.p = bottest.Start(t, bottest.Options{Deliver: deliver.Options{RetryBase: 50 * time.Millisecond}}, e.ad)
	e.fake.InjectSendFaults(larkfake.FaultChatLimit, larkfake.FaultAppLimit, larkfake.FaultLostResponse)
	start := time.Now()
	code, err := e.fake.PushMessage(taskMessage("om_throttle"))
	if err != nil || code != 200 {
		t.Fatalf("push: %d %v", code, err)
	}
	waitFor(t, "the reply", func() bool { return e.counter("collabbot_lark_sends_total", "result", "ok") == 1 })
	// The 429 said x-ogw-ratelimit-reset: 1.
	if d := time.Since(start); d < time.Second {
		t.Errorf("the platform's reset hint was not passed on: done after %v", d)
	}
	e.settle()
	if n := len(e.fake.Sent()); n != 1 {
		t.Fatalf("want the reply exactly once, got %d", n)
	}
	if n := e.fake.SendAttempts(); n != 4 {
		t.Errorf("want 4 attempts (230020, 429, lost, ok), got %d", n)
	}
	if got := e.counter("collabbot_lark_sends_total", "result", "error", "reason", "throttled"); got != 2 {
		t.Errorf("throttled failures = %v", got)
	}
	if got := e.counter("collabbot_lark_sends_total", "result", "error", "reason", "transient"); got != 1 {
		t.Errorf("transient failures = %v", got)
	}
}

func TestReconnectAfterSocketDrop(t *testing.T) {
	e := newEnv(t, nil)
	e.start()
	e.push(taskMessage("om_before"))
	e.fake.DropSocket()
	if err := e.fake.WaitConnected(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	e.push(taskMessage("om_after"))
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
	// Registered first, so it runs after the pipeline's own cleanup.
	t.Cleanup(func() {
		fake.Close()
		check()
	})
	ad, err := New(Config{AppID: "cli_leak", AppSecret: "leak-secret-123", BaseURL: fake.URL}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	p := bottest.Start(t, bottest.Options{}, ad)
	if code, err := fake.PushMessage(taskMessage("om_leak")); err != nil || code != 200 {
		t.Fatalf("push: %d %v", code, err)
	}
	p.Settle(t)
	if n := len(fake.Sent()); n != 1 {
		t.Errorf("reply not sent: %d", n)
	}
	if err := ad.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := ad.Close(); err != nil { // idempotent
		t.Fatalf("second Close: %v", err)
	}
	waitFor(t, "socket closed", func() bool { return fake.LiveConns() == 0 })
}

func TestCloseWithoutStart(t *testing.T) {
	p := bottest.Start(t, bottest.Options{})
	check := goroutineBaseline(t)
	ad, err := New(Config{AppID: "cli_x", AppSecret: "never-used-secret"}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := ad.Close(); err != nil {
		t.Fatal(err)
	}
	if err := ad.Close(); err != nil {
		t.Fatal(err)
	}
	if err := ad.Start(context.Background(), p.Bot); !errors.Is(err, errClosed) {
		t.Errorf("Start after Close: %v, want errClosed", err)
	}
	check()
}

// A Start that fails half-way (credentials rejected) leaves an adapter
// that closes cleanly, twice, without leaking the secret.
func TestStartWithBadSecretFails(t *testing.T) {
	fake := larkfake.New(larkfake.Options{AppID: "cli_bad", AppSecret: "right-secret"})
	defer fake.Close()
	p := bottest.Start(t, bottest.Options{})
	check := goroutineBaseline(t)
	logs := &logBuffer{}
	ad, err := New(Config{AppID: "cli_bad", AppSecret: "WrongSecretValue42", BaseURL: fake.URL},
		slogTo(logs), nil)
	if err != nil {
		t.Fatal(err)
	}
	err = ad.Start(context.Background(), p.Bot)
	var se *chat.SendError
	if !errors.As(err, &se) || se.Reason != chat.ReasonAuth {
		t.Fatalf("want an auth error, got %v", err)
	}
	if strings.Contains(err.Error(), "WrongSecretValue42") || strings.Contains(logs.String(), "WrongSecretValue42") {
		t.Errorf("secret leaked: %v\n%s", err, logs)
	}
	for range 2 {
		if err := ad.Close(); err != nil {
			t.Fatalf("Close after a failed Start: %v", err)
		}
	}
	check()
}

func TestAtAllNeverRendered(t *testing.T) {
	e := newEnv(t, nil)
	e.start()
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
	e.start()
	e.push(larkfake.Message{MessageID: "om_p2p", ChatType: "p2p", ChatID: "oc_p2p", Text: "help"})
	sent := e.fake.Sent()
	if len(sent) != 1 {
		t.Fatalf("want the bot's answer in the 1:1 chat, got %+v", sent)
	}
}

// The ack waits for Accept: nothing is acknowledged before the bot says the
// message is committed, and an Accept error asks for a redelivery. No
// lookup happens before Accept.
func TestAckWaitsForAccept(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.AdminIDs = []string{"ou_cfg"} })
	e.fake.SetChat("oc_group", larkfake.Chat{OwnerID: "ou_owner"})
	e.fake.SetUser("ou_owner", "老板")
	g := newGateIntake()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := e.ad.Start(ctx, g); err != nil {
		t.Fatal(err)
	}
	type ack struct {
		code int
		err  error
	}
	push := func(m larkfake.Message) chan ack {
		ch := make(chan ack, 1)
		go func() {
			code, err := e.fake.PushMessage(m)
			ch <- ack{code, err}
		}()
		return ch
	}

	acked := push(larkfake.Message{MessageID: "om_gate1", Text: "hi", Sender: "ou_owner"})
	m := <-g.entered
	if m.MessageID != "om_gate1" || m.SenderIsAdmin || m.Sender.Name != "" {
		t.Errorf("Accept got %+v: want no admin or name lookup before the ack", m)
	}
	if n := e.fake.ChatGets(); n != 0 {
		t.Errorf("chat info fetched %d times before the ack", n)
	}
	select {
	case a := <-acked:
		t.Fatalf("acked (%+v) before Accept returned", a)
	case <-time.After(300 * time.Millisecond):
	}
	g.release <- nil
	if a := <-acked; a.err != nil || a.code != 200 {
		t.Fatalf("ack after Accept: %+v", a)
	}

	acked = push(larkfake.Message{MessageID: "om_gate2", Text: "hi", Sender: "ou_cfg"})
	if m := <-g.entered; !m.SenderIsAdmin {
		t.Errorf("configured admin not marked: %+v", m)
	}
	g.release <- errors.New("store unavailable")
	if a := <-acked; a.err != nil || a.code == 200 {
		t.Fatalf("Accept failed but the ack was %+v: want non-200 so that the platform redelivers", a)
	}
	if got := e.counter("collabbot_lark_events_dropped_total", "reason", "not_accepted"); got != 1 {
		t.Errorf("not_accepted metric = %v", got)
	}
	if err := e.ad.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestLookupsForTheBot(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.AdminIDs = []string{"ou_cfg"} })
	e.fake.SetChat("oc_group", larkfake.Chat{OwnerID: "ou_owner", Managers: []string{"ou_mgr"}})
	e.fake.SetUser("ou_owner", "老板")
	ctx := context.Background()
	want := map[string]bool{"ou_owner": true, "ou_mgr": true, "ou_plain": false, "ou_cfg": true}
	for id, w := range want {
		got, err := e.ad.IsGroupAdmin(ctx, "oc_group", id)
		if err != nil || got != w {
			t.Errorf("IsGroupAdmin(%s) = %v %v, want %v", id, got, err, w)
		}
	}
	if n := e.fake.ChatGets(); n != 1 {
		t.Errorf("chat info fetched %d times, want 1 (cached)", n)
	}
	if _, err := e.ad.IsGroupAdmin(ctx, "oc_unknown", "ou_owner"); err == nil {
		t.Error("lookup of an unknown chat: want an error")
	}
	if n := e.ad.UserName(ctx, "ou_owner"); n != "老板" {
		t.Errorf("UserName = %q", n)
	}
	if n := e.ad.UserName(ctx, "ou_nobody"); n != "ou_nobody" {
		t.Errorf("UserName of an unknown user = %q, want the id", n)
	}
	if e.ad.knownName("ou_owner") != "老板" {
		t.Error("looked-up name not cached")
	}
}

func TestRejectedTokenIsRefreshed(t *testing.T) {
	e := newEnv(t, nil)
	e.fake.RejectToken(1)
	// The first call fetches a token, which the fake then rejects.
	err := e.ad.Send(context.Background(), chat.Reply{ChatID: "oc_group", Text: "after token reject", Key: "k1"})
	var se *chat.SendError
	if !errors.As(err, &se) || se.Reason != chat.ReasonAuth || !se.Retry || !strings.Contains(err.Error(), "99991663") {
		t.Fatalf("want a retryable auth SendError, got %#v", err)
	}
	if err := e.ad.Send(context.Background(), chat.Reply{ChatID: "oc_group", Text: "after token reject", Key: "k1"}); err != nil {
		t.Fatalf("second attempt: %v", err)
	}
	if n := e.fake.TokensIssued(); n < 2 {
		t.Errorf("token not refreshed: %d grants", n)
	}
	for _, s := range append(e.fake.Tokens(), e.fake.AppSecret()) {
		if strings.Contains(se.Error(), s) {
			t.Errorf("error leaks a secret: %v", se)
		}
	}
}

// Send is one attempt, classified.
func TestSendFailuresAreClassified(t *testing.T) {
	e := newEnv(t, nil)
	cases := []struct {
		fault  larkfake.Fault
		reason chat.Reason
		after  time.Duration
	}{
		{larkfake.FaultChatLimit, chat.ReasonThrottled, 0},
		{larkfake.FaultAppLimit, chat.ReasonThrottled, time.Second},
		{larkfake.FaultServer, chat.ReasonTransient, 0},
		{larkfake.FaultLostResponse, chat.ReasonTransient, 0},
	}
	for i, c := range cases {
		e.fake.InjectSendFaults(c.fault)
		before := e.fake.SendAttempts()
		err := e.ad.Send(context.Background(), chat.Reply{ChatID: "oc_group", Text: "x", Key: "fault-" + string(rune('a'+i))})
		var se *chat.SendError
		if !errors.As(err, &se) || se.Reason != c.reason || !se.Retry || se.RetryAfter != c.after {
			t.Errorf("fault %d: got %#v, want retryable %s after %v", c.fault, err, c.reason, c.after)
			continue
		}
		if n := e.fake.SendAttempts() - before; n != 1 {
			t.Errorf("fault %d: %d attempts, want exactly 1", c.fault, n)
		}
		for _, s := range []string{e.fake.AppSecret(), e.fake.Token()} {
			if strings.Contains(err.Error(), s) {
				t.Errorf("error leaks a secret: %v", err)
			}
		}
	}
	if got := e.counter("collabbot_lark_sends_total", "result", "error", "reason", "throttled"); got != 2 {
		t.Errorf("throttled failures metric = %v", got)
	}
	// The lost response did post: a second attempt with the same Key does not.
	if err := e.ad.Send(context.Background(), chat.Reply{ChatID: "oc_group", Text: "x", Key: "fault-d"}); err != nil {
		t.Fatal(err)
	}
	if n := len(e.fake.Sent()); n != 1 {
		t.Errorf("want 1 message after the lost response and its retry, got %d", n)
	}
	err := e.ad.Send(context.Background(), chat.Reply{ChatID: "", Text: "x"})
	var se *chat.SendError
	if !errors.As(err, &se) || se.Reason != chat.ReasonInvalid || se.Retry {
		t.Errorf("no chat: %#v", err)
	}
}

func TestSlowResponseRetriedIdempotently(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.HTTPTimeout = 300 * time.Millisecond })
	e.fake.InjectSendFaults(larkfake.FaultSlow)
	r := chat.Reply{ChatID: "oc_group", Text: "once", Key: "slow"}
	err := e.ad.Send(context.Background(), r)
	var se *chat.SendError
	if !errors.As(err, &se) || se.Reason != chat.ReasonTransient || !se.Retry {
		t.Fatalf("timed-out attempt: %#v", err)
	}
	if err := e.ad.Send(context.Background(), r); err != nil {
		t.Fatalf("second attempt: %v", err)
	}
	if n := len(e.fake.Sent()); n != 1 {
		t.Errorf("want 1 message after a timed-out attempt and a retry, got %d", n)
	}
}

func TestSendUpdatePatchesCard(t *testing.T) {
	e := newEnv(t, nil)
	zhang := chat.User{ID: "ou_zhang", Name: "张三"}
	r := chat.Reply{Platform: chat.PlatformLark, ChatID: "oc_group", Update: "om_card9", Key: "patch:lark:ev1",
		Card: &chat.Card{Title: "#9", Template: "green", Body: "完成 " + chat.MentionToken(zhang)}, Mentions: []chat.User{zhang}}
	if rt := e.ad.Route(r); rt.Name != "im.patch" || !rt.Idempotent {
		t.Errorf("route %+v", rt)
	}
	if err := e.ad.Send(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	sent := e.fake.Sent()
	if len(sent) != 1 || sent[0].Kind != "patch" || sent[0].MessageID != "om_card9" || !mentionsUser(sent[0].Decoded(), "ou_zhang") {
		t.Fatalf("want a patch of om_card9, got %+v", sent)
	}
	r.Card = nil
	err := e.ad.Send(context.Background(), r)
	var se *chat.SendError
	if !errors.As(err, &se) || se.Reason != chat.ReasonInvalid {
		t.Errorf("update without a card: %#v", err)
	}
}

func TestIngestThroughput(t *testing.T) {
	e := newEnv(t, nil)
	e.start()
	const n, par = 200, 16
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
	acked := time.Since(start)
	e.settle()
	if got := e.counter("collabbot_lark_events_dropped_total", "reason", "not_accepted"); got != 0 {
		t.Errorf("%v messages not accepted", got)
	}
	t.Logf("ingest: %d events committed and acked in %v (%.0f/s), settled after %v", n, acked, float64(n)/acked.Seconds(), time.Since(start))
}

// A file shared in the group reaches the bot by name (message_type file),
// and an unversioned, undated name gets the one hint.
func TestSharedFileGetsNameHint(t *testing.T) {
	e := newEnv(t, nil)
	e.start()
	e.push(larkfake.Message{MessageID: "om_file1", MsgType: "file", Content: `{"file_key":"file_v3_x","file_name":"需求文档.docx"}`, Sender: "ou_li"})
	sent := e.fake.Sent()
	if len(sent) != 1 || !strings.Contains(sent[0].Decoded(), "需求文档-") || !strings.Contains(sent[0].Decoded(), "V1.0.docx") {
		t.Fatalf("want one file-name hint, got %+v", sent)
	}
	e.push(larkfake.Message{MessageID: "om_file2", MsgType: "file", Content: `{"file_key":"file_v3_y","file_name":"排期-V2.xlsx"}`, Sender: "ou_li"})
	if n := len(e.fake.Sent()); n != 1 {
		t.Errorf("a versioned file got a hint: %d messages", n)
	}
}
