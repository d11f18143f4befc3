package bot_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"collabbot/bot"
	"collabbot/bot/chat"
	"collabbot/bot/deliver"
	"collabbot/store"
)

// fastSender posts everything at once.
type fastSender struct {
	mu sync.Mutex
	n  int
}

func (s *fastSender) Send(context.Context, chat.Reply) error {
	s.mu.Lock()
	s.n++
	s.mu.Unlock()
	return nil
}
func (s *fastSender) Route(chat.Reply) chat.Route { return chat.Route{Name: "fast", Idempotent: true} }
func (s *fastSender) Limits() chat.Limits {
	return chat.Limits{PerSecond: 1e6, ChatPerSecond: 1e6, ChatBurst: 1e6}
}

// metricsBot is a bot and its send stage on one registry, as the app
// wires them.
func metricsBot(t *testing.T) (*bot.Bot, *deliver.Stage, *prometheus.Registry) {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "m.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	reg := prometheus.NewRegistry()
	b, err := bot.New(bot.Config{Store: db, Registerer: reg, Admins: []string{"admin"}})
	if err != nil {
		t.Fatal(err)
	}
	st, err := deliver.New(db, deliver.Options{Registerer: reg, Hold: b.Hold, Kinds: bot.OutboxKinds()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	snd := &fastSender{}
	st.AddSender(chat.PlatformConsole, snd)
	b.AddPlatform(chat.PlatformConsole, snd)
	b.SetOutbox(st)
	return b, st, reg
}

func TestMessageAndCommandMetrics(t *testing.T) {
	b, st, reg := metricsBot(t)
	ctx := context.Background()
	n := 0
	say := func(m chat.Message) {
		t.Helper()
		n++
		if m.Platform == "" {
			m.Platform = chat.PlatformConsole
		}
		if m.ChatID == "" {
			m.ChatID = "g1"
		}
		if m.MessageID == "" {
			m.MessageID = fmt.Sprintf("m%d", n)
		}
		m.Sender = chat.User{ID: "ls", Name: "李四"}
		b.HandleMessage(ctx, m)
	}
	say(chat.Message{Text: "/help"})
	say(chat.Message{Text: "/帮助"})
	say(chat.Message{Text: "/nosuchcommand"})
	say(chat.Message{Text: "/会议"})
	say(chat.Message{Text: "/meeting"})
	say(chat.Message{Text: "大家好"})
	say(chat.Message{Text: "你好", Direct: true, ChatID: "p2p"})
	say(chat.Message{Files: []string{"a.pdf"}})
	say(chat.Message{Text: "@张三 【产品研发-需求确认-提供方案-明天】", Mentions: []chat.User{{ID: "zs", Name: "张三"}}})
	say(chat.Message{Text: "好的，在做了", ReplyTo: "om_x"})
	say(chat.Message{Text: "/help", MessageID: "m1"}) // redelivered
	say(chat.Message{Text: "/help", Platform: "someday-platform"})
	if err := st.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	m := gather(t, reg)
	for series, want := range map[string]float64{
		`collabbot_messages_in_total{kind="command",platform="console"}`:      5,
		`collabbot_messages_in_total{kind="chat_dropped",platform="console"}`: 1,
		`collabbot_messages_in_total{kind="direct",platform="console"}`:       1,
		`collabbot_messages_in_total{kind="file",platform="console"}`:         1,
		`collabbot_messages_in_total{kind="task",platform="console"}`:         1,
		`collabbot_messages_in_total{kind="thread_reply",platform="console"}`: 1,
		`collabbot_messages_in_total{kind="redelivery",platform="console"}`:   1,
		`collabbot_messages_in_total{kind="command",platform="other"}`:        1,
		`collabbot_commands_total{command="help",outcome="ok"}`:               3,
		`collabbot_commands_total{command="unknown",outcome="ok"}`:            1,
		`collabbot_commands_total{command="meet",outcome="ok"}`:               2,
		// The other platform's reply has no sender: it stays queued.
		`collabbot_outbox_pending`: 1,
	} {
		if got := m[series]; got != want {
			t.Errorf("%s = %v, want %v", series, got, want)
		}
	}
	if got := m[`collabbot_outbox_sent_total{kind="reply",route="fast"}`]; got < 6 {
		t.Errorf("replies sent = %v", got)
	}
	if got := m[`collabbot_outbox_oldest_pending_age_seconds`]; got <= 0 {
		t.Errorf("oldest queued age = %v, want > 0", got)
	}
	if t.Failed() {
		for k, v := range m {
			if strings.HasPrefix(k, "collabbot_") {
				t.Logf("%s %v", k, v)
			}
		}
	}
}

// No label grows with input: a thousand chats, message ids, typed command
// names and task texts make a bounded number of series.
func TestMetricSeriesBounded(t *testing.T) {
	b, st, reg := metricsBot(t)
	ctx := context.Background()
	texts := []string{"/help", "/x%d", "/list", "闲聊 %d", "@张三 【产品研发-第%d项-明天】", "/任务", "/meeting"}
	// In parallel, so that the store's batches fill up.
	var wg sync.WaitGroup
	for w := range 20 {
		wg.Go(func() {
			for i := w; i < 1000; i += 20 {
				text := texts[i%len(texts)]
				if strings.Contains(text, "%d") {
					text = fmt.Sprintf(text, i)
				}
				b.HandleMessage(ctx, chat.Message{Platform: chat.PlatformConsole, ChatID: fmt.Sprintf("chat%d", i),
					MessageID: fmt.Sprintf("msg%d", i), Sender: chat.User{ID: fmt.Sprintf("u%d", i)}, Text: text,
					Mentions: []chat.User{{ID: "zs", Name: "张三"}}})
			}
		})
	}
	wg.Wait()
	if err := st.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, mf := range mfs {
		if !strings.HasPrefix(mf.GetName(), "collabbot_") {
			continue
		}
		if n := len(mf.GetMetric()); n > 10 {
			t.Errorf("%s has %d series after 1000 chats", mf.GetName(), n)
		}
		total += len(mf.GetMetric())
	}
	if total > 30 {
		t.Errorf("%d collabbot series after 1000 chats, want a small fixed number", total)
	}
	if got := gather(t, reg)[`collabbot_commands_total{command="unknown",outcome="ok"}`]; got < 100 {
		t.Errorf("unknown commands = %v", got)
	}
}
