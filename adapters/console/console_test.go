package console

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"collabbot/bot/bottest"
	"collabbot/bot/chat"
)

func TestMentions(t *testing.T) {
	cases := []struct {
		text string
		want []string
	}{
		{"@张三 【产品研发-需求确认-提供方案-明天】", []string{"张三"}},
		{"@张三@李四，请看【A-B-C-明天】@张三", []string{"张三", "李四"}},
		{"@all @所有人 @everyone @collabbot 大家好", nil},
		{"【需协助】#1 需要法务确认 @王五。", []string{"王五"}},
		{"email me at a@b", []string{"b"}},
		{"没有提及", nil},
	}
	for _, c := range cases {
		var got []string
		for _, u := range Mentions(c.text, "me") {
			got = append(got, u.Name)
		}
		if fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("Mentions(%q):\n\tgot  %v\n\twant %v", c.text, got, c.want)
		}
	}
}

// A scripted session through the real bot: task creation, a card click,
// a thread reply and the clock hook.
func TestSession(t *testing.T) {
	clock := NewClock(func() time.Time { return time.Date(2026, 3, 5, 10, 0, 0, 0, time.UTC) })
	var out bytes.Buffer
	var hooked time.Time
	in := strings.NewReader("/as 李四\n@张三 【产品研发-需求确认-提供方案-2099-01-01】\n/as 张三\n/click #1 ack\n/reply #1 做完一半了 50%\n/clock 2026-09-30 17:00\n/clock\n/quit\n")
	c := startConsole(t, Options{In: in, Out: &out, Clock: clock, Location: time.UTC, OnClock: func(_ context.Context, now time.Time) { hooked = now }},
		bottest.Options{Now: clock.Now})
	select {
	case <-c.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("session did not end")
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	for _, want := range []string{"┌ #1 产品研发-需求确认", "@张三", "(toast: 👌 #1 已确认接收", "📝 #1 进度已更新（50%）", "(clock set to 2026-09-30 17:00 Wed)", "(clock: 2026-09-30 17:0"} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q:\n%s", want, s)
		}
	}
	if !hooked.Equal(time.Date(2026, 9, 30, 17, 0, 0, 0, time.UTC)) {
		t.Errorf("OnClock got %v", hooked)
	}
	if err := c.Send(context.Background(), chat.Reply{Text: "hi " + chat.MentionToken(chat.User{ID: "x", Name: "X"}), Mentions: []chat.User{{ID: "x", Name: "X"}}}); err != nil || !strings.Contains(out.String(), "hi @X") {
		t.Errorf("proactive Send: %v", err)
	}
}

func TestCloseBeforeStart(t *testing.T) {
	c := New(Options{})
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	<-c.Done()
}

// With console.admins set, only those users may change group settings;
// the console reports it as the platform would.
func TestConfiguredAdmins(t *testing.T) {
	var out bytes.Buffer
	in := strings.NewReader("/as 李四\n/config lead @王五\n/as 群主\n/config lead @王五\n/quit\n")
	c := startConsole(t, Options{In: in, Out: &out, Admins: []string{"群主"}}, bottest.Options{})
	<-c.Done()
	c.Close()
	s := out.String()
	refused := strings.Index(s, "只有群管理员可以修改本群设置")
	saved := strings.Index(s, "✅ 设置已保存")
	if refused < 0 || saved < refused || !strings.Contains(s[saved:], "组长：王五") {
		t.Errorf("want 李四 refused, then 群主 saved with lead 王五:\n%s", s)
	}
}

// startConsole runs a console on a real bot pipeline, settling after each
// line as `collabbot console` does.
func startConsole(t *testing.T, o Options, bo bottest.Options) *Adapter {
	t.Helper()
	p := bottest.Start(t, bo)
	o.Settle = func(ctx context.Context) {
		p.Bot.Drain(ctx)
		p.Stage.Flush(ctx)
	}
	c := New(o)
	p.Stage.AddSender(chat.PlatformConsole, c)
	if err := c.Start(context.Background(), p.Bot); err != nil {
		t.Fatal(err)
	}
	return c
}
