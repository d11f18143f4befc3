package larkfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	larkws "github.com/larksuite/oapi-sdk-go/v3/ws"
)

// rawClient speaks the long connection without the SDK: it reads data
// frames and acks them with the code the test chooses.
type rawClient struct {
	t *testing.T
	c *websocket.Conn
}

func dialRaw(t *testing.T, s *Server) *rawClient {
	t.Helper()
	body := fmt.Sprintf(`{"AppID":%q,"AppSecret":%q}`, s.AppID(), s.AppSecret())
	resp, err := http.Post(s.URL+"/callback/ws/endpoint", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var ep struct {
		Data struct{ URL string } `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&ep); err != nil || ep.Data.URL == "" {
		t.Fatalf("endpoint: %v %+v", err, ep)
	}
	c, _, err := websocket.DefaultDialer.Dial(ep.Data.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.WaitConnected(2 * time.Second); err != nil {
		t.Fatal(err)
	}
	return &rawClient{t: t, c: c}
}

// next returns the next data frame and its decoded event ids.
func (r *rawClient) next(timeout time.Duration) (larkws.Frame, string, string, bool) {
	_ = r.c.SetReadDeadline(time.Now().Add(timeout))
	for {
		_, data, err := r.c.ReadMessage()
		if err != nil {
			return larkws.Frame{}, "", "", false
		}
		var f larkws.Frame
		if err := f.Unmarshal(data); err != nil {
			r.t.Fatal(err)
		}
		if f.Method != int32(larkws.FrameTypeData) {
			continue
		}
		ids := readEventIDs(f.Payload)
		return f, ids.EventID, ids.MessageID, true
	}
}

func (r *rawClient) ack(f larkws.Frame, code int) {
	f.Payload = []byte(fmt.Sprintf(`{"code":%d}`, code))
	b, err := f.Marshal()
	if err != nil {
		r.t.Fatal(err)
	}
	if err := r.c.WriteMessage(websocket.BinaryMessage, b); err != nil {
		r.t.Fatal(err)
	}
}

func TestPushAsyncRedeliversUntil200(t *testing.T) {
	var acked atomic.Int32
	s := New(Options{RedeliverAfter: 100 * time.Millisecond, MaxRedeliveries: 10,
		OnAck: func(id string) {
			if id == "om_r1" {
				acked.Add(1)
			}
		}})
	defer s.Close()
	c := dialRaw(t, s)
	defer c.c.Close()

	if id := s.PushAsync(Message{MessageID: "om_r1", EventID: "ev_r1", Text: "hi"}); id != "om_r1" {
		t.Fatalf("PushAsync returned %q", id)
	}
	// 1: refused with 500. 2: ignored (no ack). 3: acked.
	f, ev, msg, ok := c.next(2 * time.Second)
	if !ok || ev != "ev_r1" || msg != "om_r1" {
		t.Fatalf("first delivery: %v %q %q", ok, ev, msg)
	}
	start := time.Now()
	c.ack(f, 500)
	f, ev, msg, ok = c.next(2 * time.Second)
	if !ok || ev != "ev_r1" || msg != "om_r1" {
		t.Fatalf("redelivery after 500: %v %q %q", ok, ev, msg)
	}
	if d := time.Since(start); d < 50*time.Millisecond {
		t.Errorf("redelivered %v after a 500, want about RedeliverAfter", d)
	}
	if _, _, _, ok = c.next(2 * time.Second); !ok {
		t.Fatal("no redelivery after a missing ack")
	}
	if len(s.Unacked()) != 1 || acked.Load() != 0 {
		t.Fatalf("acked before any 200: %+v", s.Events())
	}
	f, _, _, ok = c.next(2 * time.Second)
	if !ok {
		t.Fatal("no fourth delivery")
	}
	c.ack(f, 200)
	if err := s.WaitAcked(2 * time.Second); err != nil {
		t.Fatal(err)
	}
	st := s.Events()[0]
	if !st.Acked || st.Deliveries != 4 || st.Nacks != 1 || st.Timeouts != 2 || acked.Load() != 1 {
		t.Errorf("status %+v, OnAck %d", st, acked.Load())
	}
	if s.Deliveries("om_r1") != 4 || s.Redeliveries() != 3 || len(s.AckedEventIDs()) != 1 || len(s.Unacked()) != 0 {
		t.Errorf("deliveries %d redeliveries %d acked %v", s.Deliveries("om_r1"), s.Redeliveries(), s.AckedEventIDs())
	}
	// Acked: nothing more comes.
	if _, _, _, ok := c.next(300 * time.Millisecond); ok {
		t.Error("delivered again after a 200 ack")
	}
}

func TestPushAsyncRedeliversOnReconnect(t *testing.T) {
	s := New(Options{RedeliverAfter: time.Minute})
	defer s.Close()
	// Pushed while no client is connected: delivered when one comes.
	s.PushAsync(Message{MessageID: "om_c1", EventID: "ev_c1"})
	c := dialRaw(t, s)
	if _, ev, _, ok := c.next(2 * time.Second); !ok || ev != "ev_c1" {
		t.Fatalf("first delivery: %v %q", ok, ev)
	}
	c.c.Close() // crash before the ack
	c2 := dialRaw(t, s)
	defer c2.c.Close()
	f, ev, msg, ok := c2.next(2 * time.Second)
	if !ok || ev != "ev_c1" || msg != "om_c1" {
		t.Fatalf("redelivery on the new socket: %v %q %q", ok, ev, msg)
	}
	c2.ack(f, 200)
	if err := s.WaitAcked(2 * time.Second); err != nil {
		t.Fatal(err)
	}
	if st := s.Events()[0]; st.Deliveries != 2 || st.Drops != 1 {
		t.Errorf("status %+v", st)
	}
}

func TestPushAsyncGivesUp(t *testing.T) {
	s := New(Options{RedeliverAfter: 30 * time.Millisecond, MaxRedeliveries: 2})
	defer s.Close()
	c := dialRaw(t, s)
	defer c.c.Close()
	s.PushAsync(Message{})
	for i := 0; i < 3; i++ {
		if _, _, _, ok := c.next(time.Second); !ok {
			t.Fatalf("delivery %d missing", i+1)
		}
	}
	if _, _, _, ok := c.next(200 * time.Millisecond); ok {
		t.Error("a fourth delivery with MaxRedeliveries 2")
	}
	if err := s.WaitAcked(time.Second); err != nil {
		t.Fatal(err)
	}
	if u := s.Unacked(); len(u) != 1 || !u[0].GaveUp || u[0].Deliveries != 3 {
		t.Errorf("unacked %+v", u)
	}
}

func token(t *testing.T, s *Server) string {
	t.Helper()
	body := fmt.Sprintf(`{"app_id":%q,"app_secret":%q}`, s.AppID(), s.AppSecret())
	resp, err := http.Post(s.URL+"/open-apis/auth/v3/tenant_access_token/internal", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Token string `json:"tenant_access_token"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return out.Token
}

func reply(t *testing.T, s *Server, client *http.Client, tok, to, uuid string) (string, error) {
	t.Helper()
	body := fmt.Sprintf(`{"msg_type":"text","content":"{\"text\":\"ok\"}","uuid":%q}`, uuid)
	req, _ := http.NewRequest("POST", s.URL+"/open-apis/im/v1/messages/"+to+"/reply", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var out struct {
		Code int `json:"code"`
		Data struct {
			MessageID string `json:"message_id"`
		} `json:"data"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&out)
	if out.Code != 0 {
		return "", fmt.Errorf("code %d", out.Code)
	}
	return out.Data.MessageID, nil
}

func TestUUIDDedupeAndHang(t *testing.T) {
	s := New(Options{UUIDWindow: 200 * time.Millisecond})
	defer s.Close()
	tok := token(t, s)
	a, err := reply(t, s, http.DefaultClient, tok, "om_x", "u-1")
	if err != nil {
		t.Fatal(err)
	}
	b, err := reply(t, s, http.DefaultClient, tok, "om_x", "u-1")
	if err != nil || a != b {
		t.Fatalf("same uuid: %q then %q (%v)", a, b, err)
	}
	if len(s.Sent()) != 1 || s.UUIDSends("u-1") != 2 || s.Deduped() != 1 {
		t.Fatalf("sent %d, uuid sends %d, deduped %d", len(s.Sent()), s.UUIDSends("u-1"), s.Deduped())
	}
	time.Sleep(250 * time.Millisecond) // the window has passed: a new post
	if c, _ := reply(t, s, http.DefaultClient, tok, "om_x", "u-1"); c == a || len(s.Sent()) != 2 {
		t.Errorf("after the window: %q, %d sent", c, len(s.Sent()))
	}

	// FaultHang: posted, the answer held; the client gives up.
	hung := make(chan Fault, 2)
	s.SetOnHang(func(f Fault) { hung <- f })
	s.InjectSendFaults(FaultHang, FaultHangBefore)
	short := &http.Client{Timeout: 200 * time.Millisecond}
	if _, err := reply(t, s, short, tok, "om_y", "u-2"); err == nil {
		t.Fatal("a hung send answered")
	}
	if f := <-hung; f != FaultHang || len(s.Sent()) != 3 {
		t.Errorf("FaultHang: %v, %d sent", f, len(s.Sent()))
	}
	// The server notices the client gone only when its read of the
	// connection fails: wait for that before counting what is held.
	for deadline := time.Now().Add(2 * time.Second); s.Hung() != 0 && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	// FaultHangBefore released while the client waits: processed.
	done := make(chan error, 1)
	go func() { _, err := reply(t, s, http.DefaultClient, tok, "om_z", "u-3"); done <- err }()
	<-hung
	if len(s.Sent()) != 3 || s.Hung() != 1 {
		t.Errorf("before release: %d sent, %d hung", len(s.Sent()), s.Hung())
	}
	s.ReleaseHung()
	if err := <-done; err != nil || len(s.Sent()) != 4 {
		t.Errorf("after release: %v, %d sent", err, len(s.Sent()))
	}
}
