package dingtalk_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"collabbot/adapters/dingtalk"
	"collabbot/adapters/dingtalk/dingfake"
	"collabbot/adapters/platform"
	"collabbot/adapters/platform/platformtest"
	"collabbot/bot/chat"
)

// TestContract runs the adapter contract against dingfake over the stream,
// with a card template (replies and scheduled messages go as cards, whose
// outTrackId makes a resend harmless) and without one (sessionWebhook and
// robot/groupMessages/send, which have no idempotency key).
func TestContract(t *testing.T) {
	t.Run("CardTemplate", func(t *testing.T) { platformtest.Run(t, dingDriver{template: "tmpl-contract.schema"}) })
	t.Run("NoCardTemplate", func(t *testing.T) { platformtest.Run(t, dingDriver{}) })
}

type dingDriver struct{ template string }

func (dingDriver) Platform() string { return chat.PlatformDingTalk }

var contractApp atomic.Int64

func (d dingDriver) NewFake(t *testing.T) platformtest.Fake {
	n := contractApp.Add(1)
	id, secret := fmt.Sprintf("dingcontract%d", n), fmt.Sprintf("Contract-ClientSecret-%d-Qx7", n)
	fake := dingfake.New(id, secret)
	t.Cleanup(fake.Close)
	return &dingFake{d: d, fake: fake, id: id, secret: secret}
}

type dingFake struct {
	d          dingDriver
	fake       *dingfake.Server
	id, secret string
	logs       platformtest.LogBuffer
	mu         sync.Mutex // orders pushes with their index in Events
}

func (f *dingFake) NewAdapter(t *testing.T) chat.Adapter {
	log := slog.New(slog.NewTextHandler(&f.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ad, err := dingtalk.New(dingtalk.Config{
		ClientID: f.id, ClientSecret: platform.Secret(f.secret), BaseURL: f.fake.URL,
		CardTemplateID: f.d.template,
		GroupRate:      1000, GroupBurst: 100,
		ReconnectMin: 20 * time.Millisecond, ReconnectMax: 200 * time.Millisecond, CheckInterval: 20 * time.Millisecond,
		// Close lets a send in flight finish this long, then cancels it.
		CloseGrace: time.Second,
	}, log, nil)
	if err != nil {
		t.Fatalf("dingtalk.New: %v", err)
	}
	t.Cleanup(func() { ad.Close() })
	return ad
}

func (f *dingFake) Member(name string) chat.User {
	sum := sha256.Sum256([]byte(name))
	return chat.User{ID: "staff" + hex.EncodeToString(sum[:5]), Name: name}
}

// Deliver pushes a robot message (the robot in atUsers, its @ removed from
// the text, as DingTalk sends it) and waits for the ack of its one delivery.
func (f *dingFake) Deliver(t *testing.T, chatID, msgID, text string, mentions ...chat.User) bool {
	m := dingfake.BotMessage{MsgID: msgID, ConversationID: chatID, SenderStaffID: "lisi01", SenderNick: "李四", Text: text}
	for _, u := range mentions {
		m.AtUsers = append(m.AtUsers, dingfake.AtUser{DingtalkID: "$:LWCP_v1:$" + u.ID, StaffID: u.ID})
	}
	f.mu.Lock()
	idx := len(f.fake.Events())
	f.fake.PushBotMessageAsync(m)
	f.mu.Unlock()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ev := f.fake.Events()[idx]
		if len(ev.Codes) > 0 || ev.Drops > 0 || ev.Timeouts > 0 || ev.GaveUp {
			if !ev.Acked {
				t.Logf("dingtalk: message %s not acked: %+v", msgID, ev)
			}
			return ev.Acked
		}
		if time.Now().After(deadline) {
			t.Errorf("dingtalk: no answer to message %s within 10s: %+v", msgID, ev)
			return false
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func (f *dingFake) OnAck(h func(msgID string)) { f.fake.SetOnAck(h) }

// Posts are what reached the fake on any route; a card whose outTrackId
// was used before is refused by the platform and not recorded.
func (f *dingFake) Posts() []platformtest.Post {
	var out []platformtest.Post
	for _, s := range f.fake.Sent() {
		p := platformtest.Post{ChatID: s.Chat, Text: s.Title + "\n" + s.Text,
			MentionedIDs: append([]string(nil), s.AtUserIDs...)}
		p.MentionsAll = strings.Contains(s.Raw, `"isAtAll":true`) || strings.Contains(s.Text, "@所有人")
		for _, id := range s.AtUserIDs {
			switch strings.ToLower(id) {
			case "all", "@all", "所有人":
				p.MentionsAll = true
			}
		}
		out = append(out, p)
	}
	return out
}

// sendAPIs are the calls that post a message.
var sendAPIs = []string{dingfake.PathCardDeliver, dingfake.PathGroupSend, dingfake.PathOtoSend, dingfake.PathWebhook}

// failNextSends makes the next n send calls, on whichever route, answer
// fault (webhook for a session webhook call, api for an OpenAPI one).
func (f *dingFake) failNextSends(n int, api, webhook dingfake.Fault) {
	left := new(atomic.Int64)
	left.Store(int64(n))
	take := func([]byte) bool {
		for {
			k := left.Load()
			if k <= 0 {
				return false
			}
			if left.CompareAndSwap(k, k-1) {
				return true
			}
		}
	}
	for _, path := range sendAPIs {
		fault := api
		if path == dingfake.PathWebhook {
			fault = webhook
		}
		for range n {
			f.fake.FailWhen(path, take, fault)
		}
	}
}

// Throttle answers the OpenAPI's QPS limit, or a session webhook's
// errcode 130101 (more than 20 messages a minute).
func (f *dingFake) Throttle(n int) {
	f.failNextSends(n, dingfake.QPSLimit, dingfake.Fault{Code: "130101"})
}

func (f *dingFake) HangNextSend() (<-chan struct{}, func()) {
	reached := make(chan struct{})
	var once sync.Once
	f.fake.SetOnHang(func(string) { once.Do(func() { close(reached) }) })
	hang := dingfake.Fault{HangAfter: true}
	f.failNextSends(1, hang, hang)
	return reached, f.fake.ReleaseHung
}

func (f *dingFake) Secrets() []string { return f.fake.IssuedSecrets() }

func (f *dingFake) Logs() string { return f.logs.String() }
