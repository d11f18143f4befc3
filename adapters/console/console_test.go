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

// /clock only moves forward: an earlier time is refused with the reason,
// and the hook (where the reminder engine runs and cmd saves the clock)
// sees only forward moves. Relative forms work on any day.
func TestClockOnlyForward(t *testing.T) {
	clock := NewClock(func() time.Time { return time.Date(2026, 3, 5, 10, 0, 0, 0, time.UTC) })
	var out bytes.Buffer
	var hooked []string
	script := []string{
		"/clock 2026-09-30 17:00",
		"/clock 2026-09-01 10:00", // back: refused
		"/clock",
		"/clock +1d",              // 2026-10-01 17:00
		"/clock 09:00",            // the next 09:00: 2026-10-02
		"/clock 18:30",            // later that day
		"/clock +1h30m",           // 20:00
		"/clock 2026-10-02 20:00", // where it is: no change, no hook
		"/clock -1h",              // not a forward move
		"/clock +0d",
		"/clock soon",
		"/quit",
	}
	c := startConsole(t, Options{In: strings.NewReader(strings.Join(script, "\n") + "\n"), Out: &out, Clock: clock, Location: time.UTC, Lang: "en",
		OnClock: func(_ context.Context, now time.Time) { hooked = append(hooked, now.Format("01-02 15:04")) }},
		bottest.Options{Now: clock.Now})
	<-c.Done()
	c.Close()
	s := out.String()
	for _, want := range []string{
		"(clock set to 2026-09-30 17:00 Wed)",
		"(/clock refused: 2026-09-01 10:00 Tue is before the simulated time 2026-09-30 17:00 Wed; the clock only moves forward",
		"(clock: 2026-09-30 17:00 Wed)",
		"(clock set to 2026-10-01 17:00 Thu)",
		"(clock set to 2026-10-02 09:00 Fri)",
		"(clock set to 2026-10-02 18:30 Fri)",
		"(clock set to 2026-10-02 20:00 Fri)",
		"(clock: 2026-10-02 20:00 Fri)",
		"usage: /clock +2h",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q:\n%s", want, s)
		}
	}
	if n := strings.Count(s, "usage: /clock"); n != 3 {
		t.Errorf("%d usage lines for -1h, +0d and soon:\n%s", n, s)
	}
	if got, want := strings.Join(hooked, ","), "09-30 17:00,10-01 17:00,10-02 09:00,10-02 18:30,10-02 20:00"; got != want {
		t.Errorf("OnClock saw %s, want %s", got, want)
	}
	if got := clock.Now(); !got.Equal(time.Date(2026, 10, 2, 20, 0, 0, 0, time.UTC)) {
		t.Errorf("clock at %v", got)
	}
	if got := clock.Offset(); got != clock.Now().Sub(time.Date(2026, 3, 5, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("Offset %v", got)
	}
}

// The refusal is in Chinese when the console's language is.
func TestClockRefusalChinese(t *testing.T) {
	clock := NewClock(func() time.Time { return time.Date(2026, 3, 5, 10, 0, 0, 0, time.UTC) })
	var out bytes.Buffer
	c := startConsole(t, Options{In: strings.NewReader("/clock 2026-01-01 10:00\n/quit\n"), Out: &out, Clock: clock, Location: time.UTC, Lang: "zh"},
		bottest.Options{Now: clock.Now})
	<-c.Done()
	c.Close()
	if !strings.Contains(out.String(), "时间不能倒退") || !strings.Contains(out.String(), "collabbot console -db") {
		t.Errorf("no Chinese refusal:\n%s", out.String())
	}
	if !clock.Now().Equal(time.Date(2026, 3, 5, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("the refused /clock moved the clock to %v", clock.Now())
	}
}

// Start prints the welcome text first, then who is admin here and how to
// change it, then the program's notes.
func TestStartAnnouncesAdmins(t *testing.T) {
	cases := []struct {
		name   string
		opt    Options
		admins string
	}{
		{"everyone, en", Options{Lang: "en"}, "(admins here: everyone — set console.admins in the config file to restrict /config)"},
		{"everyone, zh", Options{}, "(本群管理员：所有人——在配置文件里设置 console.admins 可限制谁能用 /config)"},
		{"listed, en", Options{Lang: "en", Admins: []string{"群主", "王五"}}, "(admins here: 群主, 王五 — from console.admins in the config file; /as 群主 to act as one"},
		{"listed, zh", Options{Lang: "zh", Admins: []string{"群主", "王五"}}, "(本群管理员：群主、王五——来自配置文件的 console.admins"},
	}
	for _, c := range cases {
		var out bytes.Buffer
		o := c.opt
		o.In, o.Out = strings.NewReader("/quit\n"), &out
		o.Notes = func() []string { return []string{"note one", "note two"} }
		con := startConsole(t, o, bottest.Options{})
		<-con.Done()
		con.Close()
		s := out.String()
		if !strings.HasPrefix(s, banner+"\n"+c.admins) {
			t.Errorf("%s: want the banner, then %q:\n%s", c.name, c.admins, s)
		}
		if !strings.Contains(s, "\n(note one)\n(note two)\n") || strings.Index(s, "(note one)") < strings.Index(s, c.admins) {
			t.Errorf("%s: notes missing or before the admin line:\n%s", c.name, s)
		}
	}
}
