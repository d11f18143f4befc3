package bot_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"collabbot/bot/bottest"
	"collabbot/bot/chat"
	"collabbot/store"
)

// panicky is a platform whose look-ups panic: the bot must survive it and
// still answer the message.
type panicky struct{ sent chan chat.Reply }

func (p *panicky) Send(_ context.Context, r chat.Reply) error { p.sent <- r; return nil }
func (p *panicky) IsGroupAdmin(context.Context, string, string) (bool, error) {
	panic("adapter bug")
}
func (p *panicky) UserName(context.Context, string) string { panic("adapter bug") }

func TestAdapterPanicDoesNotStopTheBot(t *testing.T) {
	p := bottest.Start(t, bottest.Options{Now: func() time.Time { return t0 }})
	plat := &panicky{sent: make(chan chat.Reply, 4)}
	p.Bot.AddPlatform("console", plat)
	p.Stage.AddSender("console", plat)
	err := p.Bot.Accept(context.Background(), chat.Message{Platform: "console", ChatID: "g1", MessageID: "m1",
		Sender: chat.User{ID: "ls"}, Text: "@张三 【产品研发-需求确认-提供方案-明天】", Mentions: []chat.User{{ID: "zs", Name: "张三"}}, Time: t0})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-plat.sent:
		if !strings.Contains(chat.PlainText(r.Text, r.Mentions), "#1") {
			t.Errorf("reply %q", r.Text)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no reply: the worker died")
	}
}

// Accept commits before it returns: the inbox holds the message (or its
// id is recorded) the moment Accept says yes, and plain chat is neither
// stored nor answered.
func TestAcceptCommitsFirst(t *testing.T) {
	b := bottest.New(t, bottest.Options{Now: func() time.Time { return t0 }})
	msg := chat.Message{Platform: "console", ChatID: "g1", MessageID: "m1", Sender: chat.User{ID: "ls"},
		Text: "@张三 【产品研发-需求确认-提供方案-明天】", Mentions: []chat.User{{ID: "zs", Name: "张三"}}, Time: t0}
	if err := b.Accept(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	chatter := msg
	chatter.MessageID, chatter.Text = "m2", "大家中午吃什么？"
	if err := b.Accept(context.Background(), chatter); err != nil {
		t.Fatal(err)
	}
	b.Store().View(func(tx *store.Tx) error {
		if n := tx.InboxLen(); n != 1 || !tx.SeenEvent("console", "m1") || tx.SeenEvent("console", "m2") {
			t.Errorf("inbox %d, m1 seen %v, m2 seen %v: want 1, true, false", n, tx.SeenEvent("console", "m1"), tx.SeenEvent("console", "m2"))
		}
		return nil
	})
	// Not started: nothing processes it until Drain (or Start, after a crash).
	if err := b.Accept(context.Background(), msg); err != nil { // redelivered
		t.Fatal(err)
	}
	if err := b.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	b.Store().View(func(tx *store.Tx) error {
		tasks, replies := 0, 0
		tx.Tasks(store.GroupKey{Platform: "console", ChatID: "g1"}, func(*store.Task) error { tasks++; return nil })
		tx.PendingOutbox(func(e *store.OutboxEntry) error { replies++; return nil })
		if tx.InboxLen() != 0 || tasks != 1 || replies != 1 {
			t.Errorf("after Drain: inbox %d, tasks %d, replies %d; want 0, 1, 1", tx.InboxLen(), tasks, replies)
		}
		return nil
	})
}
