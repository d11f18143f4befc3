package main

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"collabbot/bot/chat"
)

// fakeAdapter is an adapter whose connection the test switches.
type fakeAdapter struct {
	name string
	up   atomic.Bool
}

func (f *fakeAdapter) Platform() string                         { return f.name }
func (f *fakeAdapter) Start(context.Context, chat.Intake) error { return nil }
func (f *fakeAdapter) Send(context.Context, chat.Reply) error   { return nil }
func (f *fakeAdapter) Close() error                             { return nil }
func (f *fakeAdapter) Connected() bool                          { return f.up.Load() }

// silentAdapter cannot tell whether it is connected.
type silentAdapter struct{ fakeAdapter }

func (*silentAdapter) Connected() {} // not chat.Health

func getBody(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// /healthz lists every adapter and answers 503 while any is disconnected,
// without authentication.
func TestHealthzReportsAdapters(t *testing.T) {
	lark := &fakeAdapter{name: chat.PlatformLark}
	ding := &fakeAdapter{name: chat.PlatformDingTalk}
	other := &silentAdapter{fakeAdapter{name: "other"}}
	_, base, _ := startTestHTTP(t, HTTPConfig{AdminToken: "s3cret-token-for-admin"}, func(a *app) {
		a.adapters = append(a.adapters, lark, ding, other)
	})
	lark.up.Store(true)
	code, body := getBody(t, base+"/healthz")
	if code != http.StatusServiceUnavailable || body != "lark connected\ndingtalk disconnected\nother running\n" {
		t.Errorf("one down: %d %q", code, body)
	}
	ding.up.Store(true)
	code, body = getBody(t, base+"/healthz")
	if code != http.StatusOK || body != "lark connected\ndingtalk connected\nother running\n" {
		t.Errorf("all up: %d %q", code, body)
	}
}

func TestHealthzWithoutAdapters(t *testing.T) {
	_, base, _ := startTestHTTP(t, HTTPConfig{}, nil)
	if code, body := getBody(t, base+"/healthz"); code != http.StatusOK || body != "ok\n" {
		t.Errorf("no adapters: %d %q", code, body)
	}
}

// The bot's and the send stage's metrics are on the app's registry.
func TestMetricsWired(t *testing.T) {
	a, base, _ := startTestHTTP(t, HTTPConfig{}, nil)
	if err := a.startPipeline(context.Background(), a.bot.Now); err != nil {
		t.Fatal(err)
	}
	a.bot.HandleMessage(context.Background(), chat.Message{Platform: chat.PlatformConsole, ChatID: "g1",
		MessageID: "m1", Sender: chat.User{ID: "u1"}, Text: "/help"})
	_, body := getBody(t, base+"/metrics")
	for _, want := range []string{
		`collabbot_messages_in_total{kind="command",platform="console"} 1`,
		`collabbot_commands_total{command="help",outcome="ok"} 1`,
		"collabbot_outbox_pending ",
		"collabbot_outbox_oldest_pending_age_seconds ",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}
