package lark

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"collabbot/adapters/lark/larkfake"
	"collabbot/bot/chat"
)

const (
	testEncryptKey = "EncKey-for-tests-0123"
	testVToken     = "VToken-for-tests-4567"
)

type hookEnv struct {
	*env
	srv *httptest.Server
	url string
}

// newHookEnv runs a webhook-mode adapter behind an httptest server; start
// runs it in the real pipeline (or the test starts it itself).
func newHookEnv(t *testing.T, mod func(*Config)) *hookEnv {
	e := newEnv(t, func(c *Config) {
		c.Mode = ModeWebhook
		c.EncryptKey = testEncryptKey
		c.VerificationToken = testVToken
		if mod != nil {
			mod(c)
		}
	})
	srv := httptest.NewServer(e.ad.HTTPHandler())
	t.Cleanup(srv.Close)
	return &hookEnv{env: e, srv: srv, url: srv.URL + WebhookPath}
}

func (e *hookEnv) do(req *http.Request) (int, string) {
	e.t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (e *hookEnv) message(id string) []byte {
	m := taskMessage(id)
	m.Token = testVToken
	return m.JSON()
}

func TestWebhookAcceptsSignedEvent(t *testing.T) {
	e := newHookEnv(t, nil)
	e.start()
	code, body := e.do(larkfake.WebhookRequest(e.url, e.message("om_hook1"), testEncryptKey, time.Now(), "nonce-1"))
	if code != 200 {
		t.Fatalf("signed event: %d %s", code, body)
	}
	e.settle()
	if sent := e.fake.Sent(); len(sent) != 1 || sent[0].ReplyTo != "om_hook1" || !mentionsUser(sent[0].Decoded(), "ou_zhang") {
		t.Errorf("reply not posted: %+v", sent)
	}
}

func TestWebhookRejectsForgeries(t *testing.T) {
	e := newHookEnv(t, nil)
	e.start()
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
			larkfake.Message{MessageID: "om_f6", Text: taskText, Mentions: taskMentions, Token: "bad"}.JSON(), testEncryptKey, time.Now(), "n6"),
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
	e.settle()
	if sent := e.fake.Sent(); len(sent) != 1 || sent[0].ReplyTo != "om_r1" {
		t.Errorf("want only the genuine message answered, got %+v", sent)
	}
	if got := e.counter("collabbot_lark_events_dropped_total", "reason", "forged"); got != 5 {
		t.Errorf("forged metric = %v", got)
	}
	if got := e.counter("collabbot_lark_events_dropped_total", "reason", "replay"); got != 3 {
		t.Errorf("replay metric = %v", got)
	}
}

func TestWebhookURLVerification(t *testing.T) {
	e := newHookEnv(t, nil)
	e.start()
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
	e := newHookEnv(t, nil)
	e.start()
	if code, body := e.do(larkfake.WebhookRequest(e.url, e.message("om_hookcard"), testEncryptKey, time.Now(), "nm")); code != 200 {
		t.Fatalf("message: %d %s", code, body)
	}
	e.settle()
	sent := e.fake.Sent()
	if len(sent) != 1 || sent[0].MsgType != "interactive" {
		t.Fatalf("want a task card, got %+v", sent)
	}
	click := larkfake.CardAction{Operator: "ou_zhang", MessageID: sent[0].MessageID, Token: testVToken,
		Value: map[string]any{"action": chat.ActionAck, "task": sentTaskID(t, sent[0].Content)}}.JSON()
	code, body := e.do(larkfake.WebhookRequest(e.url, click, testEncryptKey, time.Now(), "nc"))
	if code != 200 || !strings.Contains(body, `"toast"`) || !strings.Contains(body, `"type":"raw"`) {
		t.Fatalf("card action: %d %s", code, body)
	}
	other, _ := json.Marshal(map[string]any{"schema": "2.0",
		"header": map[string]any{"event_type": "contact.user.updated_v3", "token": testVToken}, "event": map[string]any{}})
	if code, body := e.do(larkfake.WebhookRequest(e.url, other, testEncryptKey, time.Now(), "no")); code != 200 {
		t.Errorf("unknown event type: %d %s (must be acknowledged)", code, body)
	}
}

// In webhook mode too, the answer waits for Accept and an Accept error is
// not a 200, so that the platform redelivers.
func TestWebhookAnswerWaitsForAccept(t *testing.T) {
	e := newHookEnv(t, nil)
	g := newGateIntake()
	if err := e.ad.Start(context.Background(), g); err != nil {
		t.Fatal(err)
	}
	type answer struct {
		code int
		body string
	}
	post := func(id, nonce string) chan answer {
		ch := make(chan answer, 1)
		req := larkfake.WebhookRequest(e.url, e.message(id), testEncryptKey, time.Now(), nonce)
		go func() {
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				ch <- answer{0, err.Error()}
				return
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			ch <- answer{resp.StatusCode, string(b)}
		}()
		return ch
	}
	got := post("om_wgate1", "ng1")
	<-g.entered
	select {
	case a := <-got:
		t.Fatalf("answered (%+v) before Accept returned", a)
	case <-time.After(300 * time.Millisecond):
	}
	g.release <- nil
	if a := <-got; a.code != 200 {
		t.Fatalf("after Accept: %+v", a)
	}
	got = post("om_wgate2", "ng2")
	<-g.entered
	g.release <- errors.New("store unavailable")
	if a := <-got; a.code/100 != 5 {
		t.Fatalf("Accept failed but the answer was %+v: want 5xx", a)
	}
}

func TestWebhookBodyLimits(t *testing.T) {
	e := newHookEnv(t, func(c *Config) { c.WebhookReadTimeout = 200 * time.Millisecond })
	e.start()
	big := bytes.Repeat([]byte("x"), maxWebhookBody+10)
	req, _ := http.NewRequest(http.MethodPost, e.url, bytes.NewReader(big))
	if code, _ := e.do(req); code != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized body: %d, want 413", code)
	}

	// A client that announces a body and then trickles it is cut off.
	conn, err := net.Dial("tcp", strings.TrimPrefix(e.srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	if _, err := io.WriteString(conn, "POST "+WebhookPath+" HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"a\":"); err != nil {
		t.Fatal(err)
	}
	go func() { // trickle a byte now and then, never finishing
		for range 20 {
			time.Sleep(50 * time.Millisecond)
			if _, err := conn.Write([]byte(" ")); err != nil {
				return
			}
		}
	}()
	_ = conn.SetReadDeadline(time.Now().Add(3 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer to a trickling client within 3s: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestTimeout || time.Since(start) > 2*time.Second {
		t.Errorf("trickling client: %d after %v, want 408 after about 200ms", resp.StatusCode, time.Since(start))
	}
}
