package dingfake

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// rawStream is a stream client without the SDK.
type rawStream struct {
	t *testing.T
	c *websocket.Conn
}

type frame struct {
	Type    string            `json:"type"`
	Headers map[string]string `json:"headers"`
	Data    string            `json:"data"`
}

func dialStream(t *testing.T, s *Server) *rawStream {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"clientId": s.ClientID, "clientSecret": s.ClientSecret})
	resp, err := http.Post(s.URL+PathOpen, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var ep struct{ Endpoint, Ticket string }
	if err := json.NewDecoder(resp.Body).Decode(&ep); err != nil {
		t.Fatal(err)
	}
	c, _, err := websocket.DefaultDialer.Dial(ep.Endpoint+"?ticket="+ep.Ticket, nil)
	if err != nil {
		t.Fatal(err)
	}
	return &rawStream{t: t, c: c}
}

// next returns the next robot message frame and its msgId.
func (r *rawStream) next(timeout time.Duration) (frame, map[string]any, bool) {
	_ = r.c.SetReadDeadline(time.Now().Add(timeout))
	var f frame
	if err := r.c.ReadJSON(&f); err != nil {
		return f, nil, false
	}
	var d map[string]any
	_ = json.Unmarshal([]byte(f.Data), &d)
	return f, d, true
}

func (r *rawStream) ack(f frame, code int) {
	_ = r.c.WriteJSON(map[string]any{"code": code, "headers": map[string]string{"messageId": f.Headers["messageId"]}, "message": "OK", "data": ""})
}

func TestAsyncWithoutRedelivery(t *testing.T) {
	s := New("app", "secret")
	defer s.Close()
	s.AckTimeout = 100 * time.Millisecond
	c := dialStream(t, s)
	defer c.c.Close()
	s.PushBotMessageAsync(BotMessage{MsgID: "m1", ConversationID: "cid"})
	if _, d, ok := c.next(time.Second); !ok || d["msgId"] != "m1" {
		t.Fatalf("delivery: %v %v", ok, d)
	}
	if err := s.WaitAcked(2 * time.Second); err != nil {
		t.Fatal(err)
	}
	if _, _, ok := c.next(300 * time.Millisecond); ok {
		t.Error("redelivered with RedeliverAfter 0")
	}
	if u := s.Unacked(); len(u) != 1 || !u[0].GaveUp || u[0].Deliveries != 1 || u[0].Timeouts != 1 {
		t.Errorf("unacked %+v", u)
	}
}

func TestAsyncRedelivery(t *testing.T) {
	s := New("app", "secret")
	defer s.Close()
	s.RedeliverAfter = 100 * time.Millisecond
	s.MaxRedeliveries = 5
	var acks atomic.Int32
	s.SetOnAck(func(id string) {
		if id == "m2" {
			acks.Add(1)
		}
	})
	c := dialStream(t, s)
	s.PushBotMessageAsync(BotMessage{MsgID: "m2", ConversationID: "cid"})
	f, d, ok := c.next(time.Second)
	if !ok {
		t.Fatal("no delivery")
	}
	hook := d["sessionWebhook"]
	c.ack(f, 500) // refused: again after RedeliverAfter
	if _, d, ok = c.next(time.Second); !ok || d["msgId"] != "m2" {
		t.Fatalf("redelivery after 500: %v %v", ok, d)
	}
	c.c.Close() // crashed before the ack: again on the next socket
	c2 := dialStream(t, s)
	defer c2.c.Close()
	f, d, ok = c2.next(time.Second)
	if !ok || d["msgId"] != "m2" || d["sessionWebhook"] != hook {
		t.Fatalf("redelivery on reconnect: %v %v", ok, d)
	}
	c2.ack(f, 200)
	if err := s.WaitAcked(time.Second); err != nil {
		t.Fatal(err)
	}
	st := s.Events()[0]
	if !st.Acked || st.Deliveries != 3 || st.Nacks != 1 || st.Drops != 1 || acks.Load() != 1 {
		t.Errorf("status %+v, OnAck %d", st, acks.Load())
	}
	if s.Redeliveries() != 2 || s.Deliveries("m2") != 3 || len(s.AckedMsgIDs()) != 1 {
		t.Errorf("redeliveries %d", s.Redeliveries())
	}
}

func accessToken(t *testing.T, s *Server) string {
	body, _ := json.Marshal(map[string]string{"appKey": s.ClientID, "appSecret": s.ClientSecret})
	resp, err := http.Post(s.URL+PathToken, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct{ AccessToken string }
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return out.AccessToken
}

func call(client *http.Client, s *Server, tok, path string, body any) (int, string, error) {
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", s.URL+path, bytes.NewReader(b))
	req.Header.Set("x-acs-dingtalk-access-token", tok)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	var out struct{ Code string }
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out.Code, nil
}

func TestCardOncePerOutTrackID(t *testing.T) {
	s := New("app", "secret")
	defer s.Close()
	tok := accessToken(t, s)
	card := map[string]any{"cardTemplateId": "tpl", "outTrackId": "cb_1", "openSpaceId": "dtv1.card//IM_GROUP.cid",
		"cardData": map[string]any{"cardParamMap": map[string]string{"markdown": "hi"}}}
	if st, code, err := call(http.DefaultClient, s, tok, PathCardDeliver, card); err != nil || st != 200 {
		t.Fatalf("first create: %d %s %v", st, code, err)
	}
	if st, code, _ := call(http.DefaultClient, s, tok, PathCardDeliver, card); st != 400 || code != "param.cardAlreadyExist" {
		t.Errorf("second create: %d %q", st, code)
	}
	if n := len(s.SentVia("card")); n != 1 || s.CardCreates()["cb_1"] != 2 {
		t.Errorf("%d cards, %d creates", n, s.CardCreates()["cb_1"])
	}
	s.LenientCardReuse = true
	if st, _, _ := call(http.DefaultClient, s, tok, PathCardDeliver, card); st != 200 || len(s.SentVia("card")) != 1 {
		t.Errorf("lenient reuse: %d", st)
	}
}

func TestHangChosenSend(t *testing.T) {
	s := New("app", "secret")
	defer s.Close()
	tok := accessToken(t, s)
	hung := make(chan string, 4)
	s.SetOnHang(func(api string) { hung <- api })
	send := func(text string) map[string]any {
		p, _ := json.Marshal(map[string]string{"content": text})
		return map[string]any{"robotCode": "app", "openConversationId": "cid", "msgKey": "sampleText", "msgParam": string(p)}
	}
	has := func(s string) func([]byte) bool { return func(b []byte) bool { return strings.Contains(string(b), s) } }
	s.FailWhen(PathGroupSend, has("before"), Fault{Hang: true})
	s.FailWhen(PathGroupSend, has("after"), Fault{HangAfter: true})
	short := &http.Client{Timeout: 200 * time.Millisecond}

	if st, _, err := call(http.DefaultClient, s, tok, PathGroupSend, send("plain")); err != nil || st != 200 {
		t.Fatalf("unmatched send: %d %v", st, err)
	}
	if _, _, err := call(short, s, tok, PathGroupSend, send("before 1")); err == nil {
		t.Error("Hang answered")
	}
	if api := <-hung; api != PathGroupSend || len(s.SentVia("group")) != 1 {
		t.Errorf("Hang given up: %s, %d sent", api, len(s.SentVia("group")))
	}
	if _, _, err := call(short, s, tok, PathGroupSend, send("after 1")); err == nil {
		t.Error("HangAfter answered")
	}
	<-hung
	if len(s.SentVia("group")) != 2 {
		t.Errorf("HangAfter: %d sent, want the message recorded", len(s.SentVia("group")))
	}
	// A Hang released while the client waits goes through.
	s.FailWhen(PathGroupSend, has("before"), Fault{Hang: true})
	done := make(chan int, 1)
	go func() { st, _, _ := call(http.DefaultClient, s, tok, PathGroupSend, send("before 2")); done <- st }()
	<-hung
	s.ReleaseHung()
	if st := <-done; st != 200 || len(s.SentVia("group")) != 3 || s.HungTotal() != 3 {
		t.Errorf("released: %d, %d sent, %d hung", st, len(s.SentVia("group")), s.HungTotal())
	}
	if s.Calls(PathGroupSend) != 4 {
		t.Errorf("calls %d", s.Calls(PathGroupSend))
	}
}
