package lark

import (
	"testing"

	"collabbot/bot/chat"
)

var _ chat.Health = (*Adapter)(nil)

// In ws mode Connected follows the long connection: down before Start, up
// once ready, up again after a reconnection, down after Close.
func TestConnectedWS(t *testing.T) {
	e := newEnv(t, nil)
	if e.ad.Connected() {
		t.Fatal("connected before Start")
	}
	e.start()
	if !e.ad.Connected() {
		t.Fatal("not connected after Start")
	}
	waitFor(t, "the fake to see the connection", func() bool { return e.fake.LiveConns() > 0 })
	e.fake.DropSocket()
	waitFor(t, "reconnection", func() bool { return e.counter("collabbot_lark_reconnects_total") >= 1 })
	waitFor(t, "connected again", e.ad.Connected)
	e.ad.wsUp.Store(false) // what OnReconnecting does
	if e.ad.Connected() {
		t.Error("connected while the long connection is down")
	}
	e.ad.Close()
	if e.ad.Connected() {
		t.Error("connected after Close")
	}
}

// In webhook mode there is no connection: started is connected.
func TestConnectedWebhook(t *testing.T) {
	e := newHookEnv(t, nil)
	if e.ad.Connected() {
		t.Fatal("connected before Start")
	}
	e.start()
	if !e.ad.Connected() {
		t.Fatal("webhook mode not connected after Start")
	}
	e.ad.Close()
	if e.ad.Connected() {
		t.Error("connected after Close")
	}
}
