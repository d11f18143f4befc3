package bot_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"collabbot/bot"
	"collabbot/bot/bottest"
	"collabbot/bot/chat"
	"collabbot/bot/deliver"
	"collabbot/bot/remind"
	"collabbot/store"
)

var shanghai = func() *time.Location {
	l, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		return time.FixedZone("CST", 8*3600)
	}
	return l
}()

// at reads "2026-09-28 17:00" (seconds optional) in Asia/Shanghai.
func at(s string) time.Time {
	layout := "2006-01-02 15:04"
	if strings.Count(s, ":") == 2 {
		layout += ":05"
	}
	t, err := time.ParseInLocation(layout, s, shanghai)
	if err != nil {
		panic(err)
	}
	return t
}

// simClock reads the synctest bubble's fake clock shifted to start at base:
// the bubble's clock starts in 2000, the scenarios live in 2026.
func simClock(base time.Time) func() time.Time {
	start := time.Now()
	return func() time.Time { return base.Add(time.Since(start)).In(shanghai) }
}

// sentMsg is one message the fake platform received.
type sentMsg struct {
	At    time.Time
	Reply chat.Reply
}

// platform is a fake Sender that dedupes by Reply.Key, like Lark's uuid:
// a second send with a key it has seen is accepted and not posted again.
type platform struct {
	mu      sync.Mutex
	now     func() time.Time
	posts   []sentMsg
	keys    map[string]bool
	calls   int
	replies int
	// fail, when set, may fail the n-th call (1-based) for r.
	fail func(n int, r chat.Reply) error
}

func newPlatform(now func() time.Time) *platform {
	return &platform{now: now, keys: map[string]bool{}}
}

func (p *platform) Send(ctx context.Context, r chat.Reply) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if strings.HasPrefix(r.Key, "reply:") {
		// Answers to the scenario's commands go through the same stage;
		// the scenarios are about the scheduled messages.
		p.replies++
		return nil
	}
	p.calls++
	if p.fail != nil {
		if err := p.fail(p.calls, r); err != nil {
			return err
		}
	}
	if !p.keys[r.Key] {
		p.keys[r.Key] = true
		p.posts = append(p.posts, sentMsg{At: p.now(), Reply: r})
	}
	return nil
}

// Route: like Lark's uuid, the key makes a resend harmless.
func (p *platform) Route(chat.Reply) chat.Route { return chat.Route{Name: "console", Idempotent: true} }

func (p *platform) sent() []sentMsg {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.posts)
}

// line is one delivered message as the fortnight test asserts it.
func line(m sentMsg) string {
	kind, rest, _ := strings.Cut(m.Reply.Key, ":")
	task := ""
	if i := strings.Index(rest, ":#"); i >= 0 {
		f := strings.Split(rest[i+1:], ":")
		task = " " + f[0]
		if kind == "overdue" {
			task += "/" + f[len(f)-1]
		}
	}
	var ids []string
	for _, u := range m.Reply.Mentions {
		ids = append(ids, u.ID)
	}
	urgent := ""
	if m.Reply.Urgent {
		urgent = " urgent"
	}
	return fmt.Sprintf("%s %s %s%s [%s]%s", m.At.In(shanghai).Format("01-02 15:04"), m.Reply.ChatID, kind, task,
		strings.Join(ids, " "), urgent)
}

// People of the scenarios.
var (
	zhangSan = chat.User{ID: "zs", Name: "张三"}
	liSi     = chat.User{ID: "ls", Name: "李四"}
	wangWu   = chat.User{ID: "ww", Name: "王五"}
	zhaoLiu  = chat.User{ID: "zl", Name: "赵六"}
	qianQi   = chat.User{ID: "qq", Name: "钱七"}
	sunBa    = chat.User{ID: "sb", Name: "孙八"}
)

// sim is a real bot and engine on the bubble's clock.
type sim struct {
	t    *testing.T
	b    *bot.Bot
	e    *engine
	now  func() time.Time
	p    *platform
	seq  int
	chat string
}

func newSim(t *testing.T, base time.Time, lang string) *sim {
	now := simClock(base)
	def := bot.DefaultDefaults()
	def.Lang = lang
	b := bottest.New(t, bottest.Options{Now: now, Admins: []string{liSi.ID}, Defaults: &def})
	p := newPlatform(now)
	e := newEngine(t, b, p, nil)
	t.Cleanup(func() { e.Close() })
	return &sim{t: t, b: b, e: e, now: now, p: p, chat: "g1"}
}

// until sleeps the bubble until the simulated clock reads ts.
func (s *sim) until(ts string) {
	s.t.Helper()
	// Handling a message takes a few fake milliseconds (bbolt's batch
	// delay), so steps at the same time may find the clock just past it.
	d := at(ts).Sub(s.now())
	if d < -time.Second {
		s.t.Fatalf("clock is already past %s", ts)
	}
	time.Sleep(max(d, 0))
}

// say posts a group message now and fails the test if the bot objects.
func (s *sim) say(from chat.User, text string, mentions ...chat.User) {
	s.t.Helper()
	s.seq++
	out := s.b.HandleMessage(context.Background(), chat.Message{Platform: chat.PlatformConsole, ChatID: s.chat,
		MessageID: fmt.Sprintf("m%d", s.seq), Sender: from, Text: text, Mentions: mentions, Time: s.now()})
	if len(out) == 0 {
		s.t.Fatalf("%s: no reply to %q", s.now().Format(time.DateTime), text)
	}
}

// fortnight plays the National Day fortnight: tasks created on Thu 09-24
// (Fri 09-25 is 中秋节), the holiday 10-01..10-07, the make-up Saturday
// 10-10. The engine runs on its own cron clock throughout.
func fortnight(s *sim) {
	s.until("2026-09-24 09:00")
	if err := s.e.Start(context.Background()); err != nil {
		s.t.Fatal(err)
	}
	type step struct {
		at       string
		from     chat.User
		text     string
		mentions []chat.User
	}
	for _, st := range []step{
		{"2026-09-24 10:00:30", liSi, "/config lead @王五", []chat.User{wangWu}},
		{"2026-09-24 10:00:30", liSi, "@张三 【产品研发-需求确认-提供技术评估方案-9月30日前】", []chat.User{zhangSan}}, // #1
		{"2026-09-24 10:00:30", liSi, "@钱七 【市场-物料准备-准备展会物料-9月29日】", []chat.User{qianQi}},        // #2
		{"2026-09-24 10:00:30", liSi, "@钱七 【市场-渠道投放-确认投放预算-9月28日】", []chat.User{qianQi}},        // #3
		{"2026-09-24 10:05:30", zhangSan, "/ack #1", nil},
		{"2026-09-24 10:05:30", qianQi, "/ack #2", nil},
		{"2026-09-24 10:05:30", qianQi, "/ack #3", nil},
		{"2026-09-28 10:00:30", liSi, "@张三 【重要】【产品研发-接口联调-完成登录接口联调-10月10日】", []chat.User{zhangSan}}, // #4
		{"2026-09-28 16:00:30", zhangSan, "/update #1 50% 评估方案初稿完成", nil},
		{"2026-09-29 09:30:30", qianQi, "/risk #3 预算审批人休假，计划 9月30日 前由副总审批", nil},
		{"2026-09-29 10:30:30", zhangSan, "/assist #1 需要后端提供接口文档 @孙八", []chat.User{sunBa}},
		{"2026-09-29 11:00:30", qianQi, "/done #2", nil},
		{"2026-09-30 10:00:30", liSi, "@孙八 【行政-资料归档-整理归档资料-10月3日】", []chat.User{sunBa}},       // #5, due on a holiday
		{"2026-09-30 10:00:30", liSi, "@孙八 【行政-证照年检-提交年检材料-10月5日】", []chat.User{sunBa}},       // #6, due on a holiday
		{"2026-09-30 17:50:30", liSi, "@赵六 【紧急】【运营-活动上线-配置首页横幅-10月9日】", []chat.User{zhaoLiu}}, // #7
		{"2026-10-08 10:00:30", qianQi, "/done #3", nil},
		{"2026-10-08 14:00:30", zhangSan, "/delay #4 10月16日 等待联调环境", nil},
		{"2026-10-09 10:00:30", zhaoLiu, "/update #7 90% 横幅已配置，等待审核", nil},
	} {
		s.until(st.at)
		s.say(st.from, st.text, st.mentions...)
	}
	s.until("2026-10-11 23:59:30")
	if err := s.e.Close(); err != nil {
		s.t.Fatal(err)
	}
}

// The whole fortnight, every message the engine posts: nothing on the
// 中秋 and National Day holidays or the Sunday, the make-up Saturday
// treated as a working day, the weekly summary of the holiday week on the
// first working morning, what fell due in the holiday merged into one
// morning digest with the overdue ladder collapsed to its highest step,
// and the 【紧急】 escalation posted after hours.
//
// Run in both languages; the first message of each kind (each overdue
// step) is compared with bot/testdata/remind/<kind>.<lang>.golden.
func TestFortnight(t *testing.T) {
	for _, lang := range []string{"zh", "en"} {
		t.Run(lang, func(t *testing.T) { synctest.Test(t, func(t *testing.T) { testFortnight(t, lang) }) })
	}
}

func testFortnight(t *testing.T, lang string) {
	{
		s := newSim(t, at("2026-09-24 08:00"), lang)
		fortnight(s)
		goldenKinds(t, lang, s.p.sent())
		var got []string
		for _, m := range s.p.sent() {
			got = append(got, line(m))
		}
		// Tasks are created at hh:mm:30, so what falls due 24 h or 15 min
		// later goes out at the next minute's tick.
		want := []string{
			"09-28 09:00 g1 warn #1 [zs]",
			"09-28 10:00 g1 weekly []",
			"09-28 17:00 g1 nudge [qq]",
			"09-28 18:00 g1 overdue #3/1 [qq]",
			"09-29 17:00 g1 nudge [zs qq]",
			"09-30 10:01 g1 important_ack #4 [zs]",
			"09-30 10:31 g1 help #1 [sb ww]",
			"09-30 11:01 g1 review #2 [ls]",
			"09-30 17:00 g1 nudge [zs qq]",
			"09-30 18:00 g1 overdue #1/1 [zs]",
			"09-30 18:06 g1 urgent_ack #7 [zl ww] urgent",
			"10-08 09:00 g1 warn #4 [zs]",
			"10-08 09:00 g1 weekly []",
			"10-08 09:00 g1 digest [sb]",
			"10-08 10:01 g1 ack_default #5 [sb]",
			"10-08 10:01 g1 ack_default #6 [sb]",
			"10-08 11:01 g1 review #2 [ls]",
			"10-08 17:00 g1 nudge [zs zl]",
			"10-08 18:00 g1 overdue #1/2 [zs ls]",
			"10-09 09:00 g1 overdue #5/2 [sb ls]",
			"10-09 09:00 g1 overdue #6/2 [sb ls]",
			"10-09 10:01 g1 review #3 [ls]",
			"10-09 11:01 g1 review #2 [ls ww]",
			"10-09 14:01 g1 approval #4 [ls]",
			"10-09 17:00 g1 nudge [zs]",
			"10-09 18:00 g1 overdue #1/3 [zs ww]",
			"10-09 18:00 g1 overdue #7/1 [zl]",
			"10-10 09:00 g1 overdue #5/3 [sb ww]",
			"10-10 09:00 g1 overdue #6/3 [sb ww]",
			"10-10 10:01 g1 review #3 [ls]",
			"10-10 14:01 g1 approval #4 [ls ww]",
			"10-10 17:00 g1 nudge [zs zl]",
			"10-10 18:00 g1 overdue #4/1 [zs]",
			"10-10 18:00 g1 overdue #7/2 [zl ls]",
		}
		if !slices.Equal(got, want) {
			t.Errorf("fortnight:\n\tgot  %s\n\twant %s", strings.Join(got, "\n\t     "), strings.Join(want, "\n\t     "))
		}
		// The digest carries step 1 of the two tasks due in the holiday,
		// owner first: nothing was skipped while nobody could be reached.
		var digest string
		for _, m := range s.p.sent() {
			if strings.HasPrefix(m.Reply.Key, "digest:") {
				digest = chat.PlainText(m.Reply.Text, m.Reply.Mentions)
			}
		}
		wantIn, notIn := []string{"#5", "#6", "@孙八"}, "需发起风险预警"
		if lang == "en" {
			wantIn, notIn = []string{"#5", "#6", "@孙八"}, "risk warning is needed"
		}
		for _, want := range wantIn {
			if !strings.Contains(digest, want) {
				t.Errorf("digest lacks %q:\n%s", want, digest)
			}
		}
		if strings.Contains(digest, notIn) {
			t.Errorf("digest skipped to ladder step 2:\n%s", digest)
		}
		err := s.b.Store().View(func(tx *store.Tx) error {
			task, err := tx.Task(store.GroupKey{Platform: chat.PlatformConsole, ChatID: "g1"}, 5)
			if err != nil {
				return err
			}
			if !task.AckDefaulted || task.AckedAt.IsZero() {
				t.Errorf("#5 after its acknowledgement window: AckDefaulted %v AckedAt %v, want defaulted", task.AckDefaulted, task.AckedAt)
			}
			if n := tx.PendingOutboxCount(); n != 0 {
				t.Errorf("pending outbox entries at the end: %d, want 0", n)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// goldenKinds renders the first message of each kind as people see it
// (bot.PlainText of the text, then the card) and compares it with
// testdata/remind/<kind>.<lang>.golden; -update rewrites them.
func goldenKinds(t *testing.T, lang string, ms []sentMsg) {
	t.Helper()
	done := map[string]bool{}
	for _, m := range ms {
		kind, rest, _ := strings.Cut(m.Reply.Key, ":")
		if kind == "overdue" {
			kind += "-" + rest[strings.LastIndex(rest, ":")+1:]
		}
		if done[kind] {
			continue
		}
		done[kind] = true
		got := renderMsg(m)
		path := filepath.Join("testdata", "remind", kind+"."+lang+".golden")
		if *update {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Errorf("%v (go test ./bot -run TestFortnight -update creates it)", err)
			continue
		}
		if got != string(want) {
			t.Errorf("%s differs (go test ./bot -run TestFortnight -update to accept):\n%s", path, diff(string(want), got))
		}
	}
	for _, k := range []string{"nudge", "weekly", "warn", "ack_default", "important_ack", "urgent_ack", "help",
		"overdue-1", "overdue-2", "overdue-3", "digest", "review", "approval"} {
		if !done[k] {
			t.Errorf("no %s message in the fortnight", k)
		}
	}
}

func renderMsg(m sentMsg) string {
	r := m.Reply
	var sb strings.Builder
	fmt.Fprintf(&sb, "at: %s\nkey: %s\nurgent: %v\nmentions:", m.At.Format("2006-01-02 15:04"), r.Key, r.Urgent)
	for _, u := range r.Mentions {
		fmt.Fprintf(&sb, " %s(%s)", u.Name, u.ID)
	}
	sb.WriteString("\n--- text\n" + chat.PlainText(r.Text, r.Mentions) + "\n")
	if c := r.Card; c != nil {
		fmt.Fprintf(&sb, "--- card %s: %s\n%s\n", c.Template, c.Title, chat.PlainText(c.Body, r.Mentions))
		for _, b := range c.Buttons {
			fmt.Fprintf(&sb, "[%s](%s #%d primary=%v) ", b.Label, b.Action, b.TaskID, b.Primary)
		}
		if len(c.Buttons) > 0 {
			sb.WriteString("\n")
		}
	}
	return sb.String()
}

// openBot opens (or reopens) a bot on the bbolt file at path, as a fresh
// process would after a restart.
func openBot(t *testing.T, path string, now func() time.Time) (*bot.Bot, *store.DB) {
	t.Helper()
	db, err := store.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := bot.New(bot.Config{Store: db, Now: now, Admins: []string{liSi.ID}})
	if err != nil {
		t.Fatal(err)
	}
	return b, db
}

// seed creates a group with one open task owned by 张三 on Monday 11:00,
// after that week's summary time, so that on 2026-09-29 the 17:00 nudge is
// the only message owed.
func seed(t *testing.T, b *bot.Bot, now func() time.Time) {
	t.Helper()
	out := b.HandleMessage(context.Background(), chat.Message{Platform: chat.PlatformConsole, ChatID: "g1", MessageID: "seed1",
		Sender: liSi, Text: "@张三 【产品研发-需求确认-提供技术评估方案-10月30日前】", Mentions: []chat.User{zhangSan},
		Time: at("2026-09-28 11:00")})
	if len(out) == 0 {
		t.Fatal("no reply to the task")
	}
	out = b.HandleMessage(context.Background(), chat.Message{Platform: chat.PlatformConsole, ChatID: "g1", MessageID: "seed2",
		Sender: zhangSan, Text: "/ack #1", Time: at("2026-09-28 11:01")})
	if len(out) == 0 {
		t.Fatal("no reply to /ack")
	}
}

func keysOf(ms []sentMsg) []string {
	var out []string
	for _, m := range ms {
		out = append(out, line(m))
	}
	return out
}

// The bot is down from 16:50 to 17:20: the restarted engine sends the
// 17:00 nudge once, at start-up, and nothing else until 18:00.
func TestDowntimeAcross1700(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		now := simClock(at("2026-09-29 16:40"))
		path := filepath.Join(t.TempDir(), "collabbot.db")
		b, db := openBot(t, path, now)
		seed(t, b, now)
		p := newPlatform(now)
		e := newEngine(t, b, p, nil)
		if err := e.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		time.Sleep(at("2026-09-29 16:50:30").Sub(now()))
		e.Close()
		db.Close()

		time.Sleep(at("2026-09-29 17:20:30").Sub(now())) // down
		b, db = openBot(t, path, now)
		defer db.Close()
		e = newEngine(t, b, p, nil)
		if err := e.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		got := keysOf(p.sent())
		want := []string{"09-29 17:20 g1 nudge [zs]"}
		if !slices.Equal(got, want) {
			t.Errorf("after restart:\n\tgot  %v\n\twant %v", got, want)
		}
		time.Sleep(at("2026-09-29 18:30").Sub(now()))
		e.Close()
		if got := keysOf(p.sent()); !slices.Equal(got, want) {
			t.Errorf("by 18:30:\n\tgot  %v\n\twant %v", got, want)
		}
		if p.calls != 1 {
			t.Errorf("Send called %d times, want 1", p.calls)
		}
	})
}

// crashPlatform fails with the "process died" error after (or before)
// posting, the way a crash between the send and the outbox update looks to
// the next start: the entry is still pending.
var errCrash = errors.New("simulated crash")

// A crash between "decided" and "sent" (and one between "sent" and
// "marked sent"): after reopening the same bbolt file the pending message is
// sent again under the same key, so the platform shows it exactly once,
// and it is never decided a second time.
func TestCrashAndRestartExactlyOnce(t *testing.T) {
	for _, postedBeforeCrash := range []bool{false, true} {
		t.Run(fmt.Sprintf("posted=%v", postedBeforeCrash), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				now := simClock(at("2026-09-29 17:00"))
				path := filepath.Join(t.TempDir(), "collabbot.db")
				b, db := openBot(t, path, now)
				seed(t, b, now)
				p := newPlatform(now)
				ctx, crash := context.WithCancel(context.Background())
				p.fail = func(n int, r chat.Reply) error {
					if n > 1 {
						return nil
					}
					crash() // the process dies in the middle of the send
					if postedBeforeCrash {
						p.keys[r.Key] = true
						p.posts = append(p.posts, sentMsg{At: p.now(), Reply: r})
					}
					return errCrash
				}
				e := newEngine(t, b, p, nil)
				if err := e.RunDue(ctx, now()); !errors.Is(err, context.Canceled) {
					t.Fatalf("RunDue after the crash: %v, want context.Canceled", err)
				}
				db.Close()

				time.Sleep(time.Minute)
				b, db = openBot(t, path, now)
				defer db.Close()
				e = newEngine(t, b, p, nil)
				runMinutes(t, e, now, 3)
				if got := p.sent(); len(got) != 1 || !strings.HasPrefix(got[0].Reply.Key, "nudge:console:g1:2026-09-29") {
					t.Errorf("posted %v, want the one nudge", keysOf(got))
				}
				if p.calls != 2 {
					t.Errorf("Send called %d times, want 2 (the crashed one and the resend)", p.calls)
				}
				err := db.View(func(tx *store.Tx) error {
					n := 0
					err := tx.OutboxEntries(func(en *store.OutboxEntry) error {
						if en.Kind == "reply" {
							return nil
						}
						n++
						if en.State != store.OutboxSent || en.Attempts != 2 {
							t.Errorf("outbox %s: state %s attempts %d, want sent after 2", en.Key, en.State, en.Attempts)
						}
						return nil
					})
					if n != 1 {
						t.Errorf("outbox has %d entries, want 1", n)
					}
					return err
				})
				if err != nil {
					t.Fatal(err)
				}
			})
		})
	}
}

// Throttling is retried with backoff (honouring RetryAfter) by the send
// stage and the message is delivered once; a permanent error is recorded
// as failed and not retried.
func TestThrottledSendsDeliverOnce(t *testing.T) {
	throttled := &chat.SendError{Reason: chat.ReasonThrottled, Retry: true, RetryAfter: 3 * time.Second, Err: errors.New("99991400")}
	for _, tc := range []struct {
		name      string
		failures  int
		err       error
		wantSent  int
		wantState store.OutboxState
		wantCalls int
	}{
		{"throttled 3 times", 3, throttled, 1, store.OutboxSent, 4},
		{"throttled 7 times", 7, throttled, 1, store.OutboxSent, 8},
		{"transient", 2, &chat.SendError{Reason: chat.ReasonTransient, Retry: true}, 1, store.OutboxSent, 3},
		{"permanent", 100, &chat.SendError{Reason: chat.ReasonGone, Err: errors.New("chat gone")}, 0, store.OutboxFailed, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				now := simClock(at("2026-09-29 17:00"))
				b := bottest.New(t, bottest.Options{Now: now})
				seed(t, b, now)
				p := newPlatform(now)
				p.fail = func(n int, _ chat.Reply) error {
					if n <= tc.failures {
						return tc.err
					}
					return nil
				}
				reg := prometheus.NewRegistry()
				e := newEngine(t, b, p, reg)
				if err := e.Start(context.Background()); err != nil {
					t.Fatal(err)
				}
				defer e.Close()
				runMinutes(t, e, now, 3)
				if len(p.sent()) != tc.wantSent || p.calls != tc.wantCalls {
					t.Errorf("posted %d after %d calls, want %d after %d", len(p.sent()), p.calls, tc.wantSent, tc.wantCalls)
				}
				err := b.Store().View(func(tx *store.Tx) error {
					en, err := tx.Outbox("nudge:console:g1:2026-09-29")
					if err != nil {
						return err
					}
					if en.State != tc.wantState {
						t.Errorf("state %s (%s), want %s", en.State, en.Reason, tc.wantState)
					}
					if tc.wantState == store.OutboxFailed && en.Reason != string(chat.ReasonGone) {
						t.Errorf("reason %q, want gone", en.Reason)
					}
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
				m := gather(t, reg)
				if tc.wantSent == 1 && m[`collabbot_outbox_sent_total{kind="nudge",route="console"}`] != 1 {
					t.Errorf("metrics: %v", m)
				}
				if tc.wantState == store.OutboxFailed && m[`collabbot_outbox_failed_total{kind="nudge",reason="gone"}`] != 1 {
					t.Errorf("metrics: %v", m)
				}
				if m["collabbot_outbox_pending"] != 0 {
					t.Errorf("pending gauge %v, want 0", m["collabbot_outbox_pending"])
				}
			})
		})
	}
}

// runMinutes calls RunDue once a minute, n times, as the cron tick would.
func runMinutes(t *testing.T, e *engine, now func() time.Time, n int) {
	t.Helper()
	for range n {
		if err := e.RunDue(context.Background(), now()); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Minute)
	}
}

// gather flattens a registry into "name{labels}" → value.
func gather(t *testing.T, reg *prometheus.Registry) map[string]float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			var ls []string
			for _, l := range m.GetLabel() {
				ls = append(ls, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
			}
			name := mf.GetName()
			if len(ls) > 0 {
				name += "{" + strings.Join(ls, ",") + "}"
			}
			switch {
			case m.GetCounter() != nil:
				out[name] = m.GetCounter().GetValue()
			case m.GetGauge() != nil:
				out[name] = m.GetGauge().GetValue()
			}
		}
	}
	return out
}

// engine is the reminder engine with its send stage, as the app wires them.
type engine struct {
	*remind.Engine
	st *deliver.Stage
}

func newEngine(t *testing.T, b *bot.Bot, p chat.Sender, reg prometheus.Registerer) *engine {
	t.Helper()
	st, err := deliver.New(b.Store(), deliver.Options{Now: b.Now, Hold: b.Hold, Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	st.AddSender(chat.PlatformConsole, p)
	b.SetOutbox(st)
	e, err := remind.New(b, st, remind.Options{Now: b.Now})
	if err != nil {
		t.Fatal(err)
	}
	return &engine{Engine: e, st: st}
}

func (e *engine) Start(ctx context.Context) error {
	if err := e.st.Start(ctx); err != nil {
		return err
	}
	return e.Engine.Start(ctx)
}

func (e *engine) Close() error {
	e.Engine.Close()
	return e.st.Close()
}
