package lark

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"collabbot/adapters/lark/larkfake"
	"collabbot/bot"
)

const (
	testEncryptKey = "EncKey-for-tests-0123"
	testVToken     = "VToken-for-tests-4567"
)

type hookEnv struct {
	*env
	h   *stubHandler
	url string
}

func newHookEnv(t *testing.T) *hookEnv {
	e := newEnv(t, func(c *Config) {
		c.Mode = ModeWebhook
		c.EncryptKey = testEncryptKey
		c.VerificationToken = testVToken
	})
	h := &stubHandler{
		onMsg: func(m bot.Message) []bot.Reply {
			return []bot.Reply{{ChatID: m.ChatID, ReplyTo: m.MessageID, Text: "收到", Key: m.MessageID}}
		},
		onAction: func(a bot.Action) bot.ActionResult {
			return bot.ActionResult{Toast: "已确认", ToastKind: "success", Card: &bot.Card{Title: "#1", Body: "ok"}}
		},
	}
	srv := httptest.NewServer(e.ad.HTTPHandler())
	t.Cleanup(srv.Close)
	e.start(h)
	return &hookEnv{env: e, h: h, url: srv.URL + "/lark/events"}
}

func (e *hookEnv) do(req *http.Request) (int, string) {
	e.t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return resp.StatusCode, b.String()
}

func (e *hookEnv) message(id string) []byte {
	return larkfake.Message{MessageID: id, Text: "@_user_1 你好", Mentions: taskMentions[:1], Token: testVToken}.JSON()
}

func TestWebhookAcceptsSignedEvent(t *testing.T) {
	e := newHookEnv(t)
	code, body := e.do(larkfake.WebhookRequest(e.url, e.message("om_hook1"), testEncryptKey, time.Now(), "nonce-1"))
	if code != 200 {
		t.Fatalf("signed event: %d %s", code, body)
	}
	e.idle()
	msgs := e.h.messages()
	if len(msgs) != 1 || msgs[0].MessageID != "om_hook1" || msgs[0].Text != "你好" {
		t.Fatalf("handler got %+v", msgs)
	}
	if sent := e.fake.Sent(); len(sent) != 1 || sent[0].ReplyTo != "om_hook1" {
		t.Errorf("reply not posted: %+v", sent)
	}
}

func TestWebhookRejectsForgeries(t *testing.T) {
	e := newHookEnv(t)
	cases := map[string]*http.Request{
		"wrong key": larkfake.WebhookRequest(e.url, e.message("om_f1"), "not-the-key", time.Now(), "n1"),
		"tampered signature": func() *http.Request {
			r := larkfake.WebhookRequest(e.url, e.message("om_f2"), testEncryptKey, time.Now(), "n2")
			r.Header.Set("X-Lark-Signature", strings.Repeat("0", 64))
			return r
		}(),
		"no signature": func() *http.Request {
			r := larkfake.WebhookRequest(e.url, e.message("om_f3"), testEncryptKey, time.Now(), "n3")
			r.Header.Del("X-Lark-Signature")
			return r
		}(),
		"stale timestamp":  larkfake.WebhookRequest(e.url, e.message("om_f4"), testEncryptKey, time.Now().Add(-10*time.Minute), "n4"),
		"future timestamp": larkfake.WebhookRequest(e.url, e.message("om_f5"), testEncryptKey, time.Now().Add(10*time.Minute), "n5"),
		"wrong token": larkfake.WebhookRequest(e.url,
			larkfake.Message{MessageID: "om_f6", Text: "x", Token: "bad"}.JSON(), testEncryptKey, time.Now(), "n6"),
		"plaintext body": larkfake.WebhookRequest(e.url, e.message("om_f7"), "", time.Now(), "n7"),
	}
	for name, req := range cases {
		if code, body := e.do(req); code != http.StatusUnauthorized {
			t.Errorf("%s: got %d %s, want 401", name, code, body)
		}
	}
	// A replay of a valid request (same timestamp and nonce) is refused.
	ts := time.Now()
	if code, _ := e.do(larkfake.WebhookRequest(e.url, e.message("om_r1"), testEncryptKey, ts, "nonce-r")); code != 200 {
		t.Fatalf("original request refused: %d", code)
	}
	if code, _ := e.do(larkfake.WebhookRequest(e.url, e.message("om_r1"), testEncryptKey, ts, "nonce-r")); code != http.StatusUnauthorized {
		t.Errorf("replayed request: got %d, want 401", code)
	}
	e.idle()
	if msgs := e.h.messages(); len(msgs) != 1 {
		t.Errorf("handler saw %d messages, want only the genuine one", len(msgs))
	}
	if got := e.counter("collabbot_lark_events_dropped_total", "reason", "forged"); got != 5 {
		t.Errorf("forged metric = %v", got)
	}
	if got := e.counter("collabbot_lark_events_dropped_total", "reason", "replay"); got != 3 {
		t.Errorf("replay metric = %v", got)
	}
}

func TestWebhookURLVerification(t *testing.T) {
	e := newHookEnv(t)
	ch, _ := json.Marshal(map[string]string{"challenge": "ch-123", "token": testVToken, "type": "url_verification"})
	req := larkfake.WebhookRequest(e.url, ch, testEncryptKey, time.Now(), "nv")
	req.Header.Del("X-Lark-Signature") // the platform does not sign it
	code, body := e.do(req)
	if code != 200 || !strings.Contains(body, `"challenge":"ch-123"`) {
		t.Fatalf("url_verification: %d %s", code, body)
	}
	bad, _ := json.Marshal(map[string]string{"challenge": "ch-1", "token": "nope", "type": "url_verification"})
	if code, _ := e.do(larkfake.WebhookRequest(e.url, bad, testEncryptKey, time.Now(), "nv2")); code != http.StatusUnauthorized {
		t.Errorf("bad-token challenge: got %d", code)
	}
}

func TestWebhookCardActionAndUnknownEvent(t *testing.T) {
	e := newHookEnv(t)
	click := larkfake.CardAction{Operator: "ou_zhang", MessageID: "om_c", Token: testVToken,
		Value: map[string]any{"action": "ack", "task": "1"}}.JSON()
	code, body := e.do(larkfake.WebhookRequest(e.url, click, testEncryptKey, time.Now(), "nc"))
	if code != 200 || !strings.Contains(body, "已确认") || !strings.Contains(body, `"type":"raw"`) {
		t.Fatalf("card action: %d %s", code, body)
	}
	other, _ := json.Marshal(map[string]any{"schema": "2.0",
		"header": map[string]any{"event_type": "contact.user.updated_v3", "token": testVToken}, "event": map[string]any{}})
	if code, body := e.do(larkfake.WebhookRequest(e.url, other, testEncryptKey, time.Now(), "no")); code != 200 {
		t.Errorf("unknown event type: %d %s (must be acknowledged)", code, body)
	}
}
