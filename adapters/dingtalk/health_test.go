package dingtalk

import (
	"testing"
	"time"

	"collabbot/adapters/dingtalk/dingfake"
	"collabbot/bot/chat"
)

var _ chat.Health = (*Adapter)(nil)

// Connected follows the stream as the supervisor sees it: up after Start,
// down while reconnecting fails, up again once it succeeds, down after
// Close.
func TestConnectedFollowsStream(t *testing.T) {
	e := newEnv(t, nil)
	if e.a.Connected() {
		t.Fatal("connected before Start")
	}
	e = start(t, nil)
	if !e.a.Connected() {
		t.Fatal("not connected after Start")
	}
	// Three reconnections fail (backing off), the fourth succeeds.
	e.fake.FailNext(dingfake.PathOpen, 3, dingfake.Fault{Status: 503, Code: "ServiceUnavailable"})
	e.fake.DropSockets()
	waitFor(t, "disconnected", func() bool { return !e.a.Connected() })
	waitFor(t, "reconnected", e.a.Connected)
	e.a.Close()
	if e.a.Connected() {
		t.Error("connected after Close")
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not %s within 10s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
