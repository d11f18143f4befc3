package lark_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"collabbot/adapters/lark"
	"collabbot/adapters/lark/larkfake"
	"collabbot/adapters/platform"
	"collabbot/adapters/platform/platformtest"
	"collabbot/bot/chat"
)

// TestContract runs the adapter contract against larkfake over the long
// connection.
func TestContract(t *testing.T) {
	platformtest.Run(t, larkDriver{})
}

type larkDriver struct{}

func (larkDriver) Platform() string { return chat.PlatformLark }

var contractApp atomic.Int64

func (larkDriver) NewFake(t *testing.T) platformtest.Fake {
	// Every fake has its own app, so the SDK's process-wide token cache
	// never mixes them.
	n := contractApp.Add(1)
	fake := larkfake.New(larkfake.Options{
		AppID:     fmt.Sprintf("cli_contract%d", n),
		AppSecret: fmt.Sprintf("ContractAppSecret%dQx7", n),
		// Deliver reports the first delivery's ack; redeliveries are the
		// suite's to make.
		MaxRedeliveries: -1,
	})
	t.Cleanup(fake.Close)
	return &larkFake{fake: fake, chats: map[string]string{}}
}

type larkFake struct {
	fake *larkfake.Server
	logs platformtest.LogBuffer

	mu    sync.Mutex        // orders pushes with their index in Events
	chats map[string]string // delivered message id → chat id
}

func (f *larkFake) NewAdapter(t *testing.T) chat.Adapter {
	log := slog.New(slog.NewTextHandler(&f.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ad, err := lark.New(lark.Config{
		AppID: f.fake.AppID(), AppSecret: platform.Secret(f.fake.AppSecret()), BaseURL: f.fake.URL,
		StartTimeout: 5 * time.Second, DrainTimeout: 2 * time.Second,
	}, log, nil)
	if err != nil {
		t.Fatalf("lark.New: %v", err)
	}
	t.Cleanup(func() { ad.Close() })
	return ad
}

func (f *larkFake) Member(name string) chat.User {
	sum := sha256.Sum256([]byte(name))
	return chat.User{ID: "ou_" + hex.EncodeToString(sum[:8]), Name: name}
}

// Deliver pushes im.message.receive_v1 with the bot as @_user_1 and each
// mention as the next placeholder, the same event_id for a redelivery.
func (f *larkFake) Deliver(t *testing.T, chatID, msgID, text string, mentions ...chat.User) bool {
	ms := []larkfake.Mention{{Key: "@_user_1", OpenID: f.fake.BotOpenID(), Name: "collabbot"}}
	for i, u := range mentions {
		key := fmt.Sprintf("@_user_%d", i+2)
		text = strings.ReplaceAll(text, "@"+u.Name, key)
		ms = append(ms, larkfake.Mention{Key: key, OpenID: u.ID, Name: u.Name})
	}
	f.fake.SetUser("ou_contract_sender", "李四")
	f.fake.SetChat(chatID, larkfake.Chat{OwnerID: "ou_contract_owner"})
	f.mu.Lock()
	f.chats[msgID] = chatID
	idx := len(f.fake.Events())
	f.fake.PushAsync(larkfake.Message{EventID: "ev_" + msgID, MessageID: msgID, ChatID: chatID,
		Text: "@_user_1 " + text, Mentions: ms, Sender: "ou_contract_sender"})
	f.mu.Unlock()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ev := f.fake.Events()[idx]
		if len(ev.LastCodes) > 0 || ev.Drops > 0 || ev.Timeouts > 0 || ev.GaveUp {
			if !ev.Acked {
				t.Logf("lark: message %s not acked: %+v", msgID, ev)
			}
			return ev.Acked
		}
		if time.Now().After(deadline) {
			t.Errorf("lark: no answer to message %s within 10s: %+v", msgID, ev)
			return false
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func (f *larkFake) OnAck(h func(msgID string)) { f.fake.SetOnAck(h) }

var larkAtAll = regexp.MustCompile(`(?i)<\s*at\b[^>]*\bid\s*=\s*["']?(all|@_all)\b`)
var larkAt = regexp.MustCompile(`<at (?:user_id="([^"]*)"|id=([^\s>]*))`)

// Posts are the creates and replies the fake recorded (a uuid it deduped
// is not recorded twice); patches update a card and are not posts.
func (f *larkFake) Posts() []platformtest.Post {
	f.mu.Lock()
	chats := make(map[string]string, len(f.chats))
	for k, v := range f.chats {
		chats[k] = v
	}
	f.mu.Unlock()
	var out []platformtest.Post
	for _, s := range f.fake.Sent() {
		if s.Kind == "patch" {
			continue
		}
		p := platformtest.Post{ChatID: s.ChatID, ReplyTo: s.ReplyTo}
		if p.ChatID == "" {
			p.ChatID = chats[s.ReplyTo]
		}
		var content any
		if err := json.Unmarshal([]byte(s.Content), &content); err != nil {
			p.Text = s.Content
		}
		var strs []string
		walkLark(content, &strs, &p)
		p.Text += strings.Join(strs, "\n")
		for _, m := range larkAt.FindAllStringSubmatch(p.Text, -1) {
			p.MentionedIDs = append(p.MentionedIDs, m[1]+m[2])
		}
		if larkAtAll.MatchString(p.Text) {
			p.MentionsAll = true
		}
		out = append(out, p)
	}
	return out
}

// walkLark collects a content's strings; a post's {"tag":"at"} element is
// a mention too.
func walkLark(v any, strs *[]string, p *platformtest.Post) {
	switch x := v.(type) {
	case string:
		*strs = append(*strs, x)
	case []any:
		for _, e := range x {
			walkLark(e, strs, p)
		}
	case map[string]any:
		if x["tag"] == "at" {
			if id, _ := x["user_id"].(string); id != "" {
				p.MentionedIDs = append(p.MentionedIDs, id)
				if id == "all" || id == "@_all" {
					p.MentionsAll = true
				}
			}
		}
		for _, k := range slices.Sorted(maps.Keys(x)) {
			walkLark(x[k], strs, p)
		}
	}
}

func (f *larkFake) Throttle(n int) {
	for range n {
		f.fake.InjectSendFaults(larkfake.FaultChatLimit)
	}
}

func (f *larkFake) HangNextSend() (<-chan struct{}, func()) {
	reached := make(chan struct{})
	var once sync.Once
	f.fake.SetOnHang(func(larkfake.Fault) { once.Do(func() { close(reached) }) })
	f.fake.InjectSendFaults(larkfake.FaultHang)
	return reached, f.fake.ReleaseHung
}

func (f *larkFake) Secrets() []string {
	return append([]string{f.fake.AppSecret()}, f.fake.Tokens()...)
}

func (f *larkFake) Logs() string { return f.logs.String() }
