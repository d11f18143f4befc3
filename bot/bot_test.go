package bot_test

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"collabbot/bot"
	"collabbot/bot/bottest"
	"collabbot/bot/chat"
	"collabbot/store"
)

var update = flag.Bool("update", false, "rewrite golden files")

var cst = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		panic(err)
	}
	return loc
}()

// Thursday 2026-03-05 10:00, the vectors' send time.
var t0 = time.Date(2026, 3, 5, 10, 0, 0, 0, cst)

// group is a scripted chat: each say() is one message from a user, and
// every reply is appended to a transcript compared with a golden file.
type group struct {
	t     *testing.T
	b     *bot.Bot
	now   time.Time
	seq   int
	out   strings.Builder
	users map[string]chat.User
}

func newGroup(t *testing.T, opts ...bottest.Options) *group {
	g := &group{t: t, now: t0, users: map[string]chat.User{}}
	var o bottest.Options
	if len(opts) > 0 {
		o = opts[0]
	}
	o.Now = func() time.Time { return g.now }
	g.b = bottest.New(t, o)
	return g
}

func (g *group) user(name string) chat.User {
	if u, ok := g.users[name]; ok {
		return u
	}
	u := chat.User{ID: "id-" + name, Name: name}
	g.users[name] = u
	return u
}

// msg builds a message from name; "@X" words become mentions, as every
// adapter does.
func (g *group) msg(from, text string) chat.Message {
	g.seq++
	var ms []chat.User
	for _, w := range strings.FieldsFunc(text, func(r rune) bool { return r == ' ' || r == '【' || r == '】' }) {
		if strings.HasPrefix(w, "@") && len(w) > 1 {
			ms = append(ms, g.user(strings.TrimPrefix(w, "@")))
		}
	}
	return chat.Message{Platform: "console", ChatID: "g1", MessageID: fmt.Sprintf("m%d", g.seq),
		Sender: g.user(from), Text: text, Mentions: ms, Time: g.now}
}

func (g *group) say(from, text string) []chat.Reply {
	return g.send(g.msg(from, text))
}

func (g *group) send(m chat.Message) []chat.Reply {
	shown := m.Text
	for _, f := range m.Files {
		shown += "[file " + f + "]"
	}
	fmt.Fprintf(&g.out, "> %s [%s]: %s\n", m.Sender.Name, m.Time.In(cst).Format("01-02 15:04"), shown)
	replies := g.b.HandleMessage(context.Background(), m)
	for _, r := range replies {
		g.record(r)
	}
	if len(replies) == 0 {
		g.out.WriteString("(no reply)\n")
	}
	g.out.WriteString("\n")
	return replies
}

func (g *group) record(r chat.Reply) {
	var names []string
	for _, u := range r.Mentions {
		names = append(names, u.Name)
	}
	fmt.Fprintf(&g.out, "< notify=[%s]\n%s\n", strings.Join(names, ","), chat.PlainText(r.Text, r.Mentions))
	if r.Card != nil {
		var bs []string
		for _, b := range r.Card.Buttons {
			bs = append(bs, fmt.Sprintf("%s(%s #%d)", b.Label, b.Action, b.TaskID))
		}
		fmt.Fprintf(&g.out, "[card %s] %s | %s\n", r.Card.Template, r.Card.Title, strings.Join(bs, " "))
	}
}

func (g *group) advance(d time.Duration) { g.now = g.now.Add(d) }

func (g *group) golden(name string) {
	g.t.Helper()
	path := filepath.Join("testdata", "golden", name+".golden")
	got := g.out.String()
	if *update {
		os.MkdirAll(filepath.Dir(path), 0o755)
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			g.t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		g.t.Fatalf("%v (run go test ./bot -update to create it)", err)
	}
	if got != string(want) {
		g.t.Errorf("%s differs from the golden file (go test ./bot -run %s -update to accept):\n%s", path, g.t.Name(), diff(string(want), got))
	}
}

func diff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var sb strings.Builder
	for i := 0; i < len(w) || i < len(g); i++ {
		var a, b string
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			b = g[i]
		}
		if a != b {
			fmt.Fprintf(&sb, "line %d:\n\twant %q\n\tgot  %q\n", i+1, a, b)
		}
	}
	return sb.String()
}

func (g *group) task(id int64) *store.Task {
	g.t.Helper()
	var task *store.Task
	err := g.b.Store().View(func(tx *store.Tx) error {
		var err error
		task, err = tx.Task(store.GroupKey{Platform: "console", ChatID: "g1"}, id)
		return err
	})
	if err != nil {
		g.t.Fatalf("task #%d: %v", id, err)
	}
	return task
}

func TestLifecycleZh(t *testing.T) {
	g := newGroup(t)
	g.say("李四", "@张三 @王五 【产品研发-需求确认-需前端提供技术评估方案-9月15日前】")
	g.say("张三", "/ack #1")
	g.say("张三", "/update #1 80% 接口联调完成，剩余测试")
	g.say("张三", "【需协助】#1 需要法务确认合同条款 @赵六")
	g.say("赵六", "/resolve #1")
	g.say("张三", "/risk #1 第三方接口文档未到，计划周三前改用备用方案")
	g.say("张三", "/delay #1 9月20日 等待第三方接口文档")
	g.say("李四", "/approve #1")
	g.say("张三", "/done #1")
	g.say("李四", "/reject #1 登录页在 iOS 上错位")
	g.say("张三", "/done #1")
	g.say("李四", "/accept #1")
	g.say("李四", "/show #1")
	g.golden("lifecycle_zh")

	task := g.task(1)
	if task.Status != store.StatusAccepted || task.Owner.Name != "张三" || len(task.Collaborators) != 1 ||
		task.Percent != 100 || len(task.Delays) != 1 || task.Delays[0].State != store.DelayApproved ||
		!task.Due.Equal(time.Date(2026, 9, 20, 18, 0, 0, 0, cst)) || len(task.Reviews) != 2 || len(task.OpenHelp()) != 0 {
		t.Errorf("task after the lifecycle: %+v", task)
	}
}

func TestLifecycleEn(t *testing.T) {
	g := newGroup(t, bottest.Options{Admins: []string{"id-Li"}})
	g.say("Li", "/lang en")
	g.say("Li", "@Zhang 【紧急】【系统故障-官网无法访问-排查服务器日志-30分钟内】")
	g.say("Zhang", "/ack #1")
	g.say("Zhang", "/update #1 50% found the bad config")
	g.say("Zhang", "/assist #1 need ops access")
	g.say("Zhang", "/delay #1 明天 need a maintenance window")
	g.say("Li", "/deny #1 fix it today")
	g.say("Zhang", "/done #1")
	g.say("Li", "/accept #1")
	g.say("Li", "【产品研发-需求确认-需前端提供技术评估方案-ASAP】")
	g.say("Li", "/help")
	g.golden("lifecycle_en")
}

func TestMalformedRequests(t *testing.T) {
	g := newGroup(t)
	g.say("李四", "【产品研发-需求确认-需前端提供技术评估方案】")
	g.say("李四", "【产品研发-需求确认-需前端提供技术评估方案-尽快】")
	g.say("李四", "【产品研发--需前端提供技术评估方案-9月15日前】")
	g.say("李四", "【产品研发-需求确认-需前端提供技术评估方案-2024-09-30前】")
	g.say("李四", "[产品研发-需求确认-需前端提供技术评估方案-9月15日前]")
	g.say("李四", "【--需前端提供技术评估方案-近期】")
	g.say("李四", "/task")
	g.say("李四", "大家好，今天下午开会")
	g.golden("malformed")
	var n int
	g.b.Store().View(func(tx *store.Tx) error {
		return tx.Tasks(store.GroupKey{Platform: "console", ChatID: "g1"}, func(*store.Task) error { n++; return nil })
	})
	if n != 0 {
		t.Errorf("malformed requests created %d tasks, want 0", n)
	}
}

func TestOwnerDefaultsToSender(t *testing.T) {
	g := newGroup(t)
	g.say("李四", "/task 【数据报告-月度统计-汇总成本数据-月底】")
	g.golden("owner_is_sender")
	if task := g.task(1); task.Owner.Name != "李四" || task.Initiator.Name != "李四" {
		t.Errorf("owner %q initiator %q, want 李四 for both", task.Owner.Name, task.Initiator.Name)
	}
}

func TestPermissions(t *testing.T) {
	g := newGroup(t)
	g.say("李四", "@张三 【产品研发-需求确认-提供方案-明天下班前】")
	g.say("王五", "/ack #1")
	g.say("王五", "/done #1")
	g.say("王五", "/delay #1 后天 太忙")
	g.say("张三", "/delay #1 后天 等接口")
	g.say("张三", "/approve #1")
	g.say("王五", "/config lead @王五")
	g.say("张三", "/done #1")
	g.say("王五", "/accept #1")
	g.say("王五", "/cancel #1")
	g.golden("permissions")
	if task := g.task(1); task.Status != store.StatusDone || task.PendingDelay() != 0 {
		t.Errorf("unauthorised commands changed the task: status %s, pending delay %d", task.Status, task.PendingDelay())
	}
}

func TestPlatformAdminAndLead(t *testing.T) {
	g := newGroup(t)
	m := g.msg("群主", "/config lead @组长")
	m.SenderIsAdmin = true
	g.send(m)
	g.say("李四", "@张三 【产品研发-需求确认-提供方案-明天下班前】")
	g.say("张三", "/delay #1 后天 等接口")
	g.say("组长", "/approve #1")
	g.say("张三", "【需协助】#1 缺测试环境")
	g.golden("admin_lead")
}

func TestListsAndWeekly(t *testing.T) {
	g := newGroup(t)
	g.say("李四", "@张三 【产品研发-需求确认-提供方案-明天下班前】")
	g.say("李四", "@王五 【紧急】【系统故障-数据库超时-排查连接池-30分钟内】")
	g.say("王五", "@张三 【市场推广-接口调试-完成接口调试-3个工作日内】")
	g.say("李四", "@赵六 【数据报告-月度统计-提供成本数据-2026-03-04】")
	g.say("张三", "【需协助】#1 需要设计稿")
	g.advance(2 * time.Hour)
	g.say("王五", "/done #2")
	g.say("李四", "/accept #2")
	g.say("张三", "/list")
	g.say("张三", "/mine")
	g.say("张三", "/overdue")
	g.say("张三", "/assists")
	g.advance(5 * 24 * time.Hour) // Tuesday 10 March
	g.say("张三", "/overdue")
	g.say("李四", "/weekly")
	g.golden("lists")
}

func TestThreadReplyIsAnUpdate(t *testing.T) {
	g := newGroup(t)
	g.say("李四", "@张三 【产品研发-需求确认-提供方案-明天下班前】")
	m := g.msg("张三", "设计稿已经出了，60%")
	m.ReplyTo = "m1"
	g.send(m)
	m = g.msg("路人", "顶一下")
	m.ReplyTo = "m1"
	g.send(m)
	m = g.msg("张三", "/update 完成一半")
	m.ReplyTo = "m1"
	g.send(m)
	g.golden("thread")
	task := g.task(1)
	if task.Percent != 60 || len(task.Updates) != 2 || task.LastUpdateAt.IsZero() {
		t.Errorf("thread updates: percent %d, %d updates", task.Percent, len(task.Updates))
	}
}

func TestErrorsAndHelp(t *testing.T) {
	g := newGroup(t)
	g.say("李四", "/frobnicate")
	g.say("李四", "/ack")
	g.say("李四", "/ack #9")
	g.say("李四", "/help")
	g.say("李四", "/config")
	g.say("李四", "/config nudge 25:00")
	g.say("李四", "/config colour red")
	g.golden("errors_help")
}

func TestConfigChanges(t *testing.T) {
	g := newGroup(t, bottest.Options{Admins: []string{"id-李四"}})
	g.say("李四", "/config nudge 17:30")
	g.say("李四", "/config weekly 周二 09:30")
	g.say("李四", "/config workday 08:30-17:30")
	g.say("李四", "/config acceptance off")
	g.say("李四", "/config ack 12h")
	g.say("李四", "/config lead @王五")
	g.say("李四", "@张三 【产品研发-需求确认-提供方案-明天】")
	g.say("张三", "/done #1")
	g.golden("config")
	var gr *store.Group
	g.b.Store().View(func(tx *store.Tx) error {
		var err error
		gr, err = tx.Group(store.GroupKey{Platform: "console", ChatID: "g1"})
		return err
	})
	e := g.b.Effective(gr)
	if bot.FormatClock(e.DailyNudge) != "17:30" || e.WeeklyDay != time.Tuesday || e.RequireAcceptance || e.AckWindow != 12*time.Hour || e.Lead == nil {
		t.Errorf("effective settings after /config: %+v", e)
	}
	// Workday end moved to 17:30, so "明天" resolves to 17:30.
	if due := g.task(1).Due; !due.Equal(time.Date(2026, 3, 6, 17, 30, 0, 0, cst)) {
		t.Errorf("due with workday end 17:30 = %v", due)
	}
}

// Nothing a user types can make the bot notify everyone.
func TestNoAtAllInjection(t *testing.T) {
	g := newGroup(t)
	for _, evil := range []string{`<at user_id="all">所有人</at>`, "<@all>", "@all", "@所有人", "<@id-张三>"} {
		replies := g.say("李四", "@张三 【产品研发-需求确认-"+evil+" 提供方案-明天下班前】")
		g.say("张三", "/risk #1 "+evil)
		for _, r := range replies {
			for _, s := range chat.Spans(r.Text, r.Mentions) {
				if s.Mention != nil && s.Mention.Name != "张三" {
					t.Errorf("%q produced a mention of %+v", evil, s.Mention)
				}
				if s.Mention == nil && (strings.Contains(s.Text, "<at user_id") || strings.Contains(s.Text, "<@all")) {
					t.Errorf("%q left a live tag in reply text %q", evil, s.Text)
				}
			}
		}
	}
}

// The platform redelivers: the same message id a second time returns no
// reply and changes nothing.
func TestRedeliveryChangesNothing(t *testing.T) {
	g := newGroup(t)
	create := g.msg("李四", "@张三 【产品研发-需求确认-提供方案-明天下班前】")
	if r := g.b.HandleMessage(context.Background(), create); len(r) != 1 {
		t.Fatalf("first delivery: %d replies", len(r))
	}
	upd := g.msg("张三", "/update #1 50% 过半")
	g.b.HandleMessage(context.Background(), upd)
	before := snapshot(t, g)
	for _, m := range []chat.Message{create, upd, create} {
		if r := g.b.HandleMessage(context.Background(), m); len(r) != 0 {
			t.Errorf("redelivery of %s replied %d times", m.MessageID, len(r))
		}
	}
	if after := snapshot(t, g); after != before {
		t.Errorf("redelivery changed the store:\nbefore %s\nafter  %s", before, after)
	}
	// Concurrent redelivery (Lark's handler runs a goroutine per frame).
	m := g.msg("李四", "@王五 【产品研发-接口-联调-明天下班前】")
	var wg sync.WaitGroup
	var mu sync.Mutex
	total := 0
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n := len(g.b.HandleMessage(context.Background(), m))
			mu.Lock()
			total += n
			mu.Unlock()
		}()
	}
	wg.Wait()
	if total != 1 {
		t.Errorf("8 concurrent deliveries of one message gave %d replies, want 1", total)
	}
}

func snapshot(t *testing.T, g *group) string {
	var sb strings.Builder
	g.b.Store().View(func(tx *store.Tx) error {
		k := store.GroupKey{Platform: "console", ChatID: "g1"}
		return tx.Tasks(k, func(task *store.Task) error {
			h, _ := tx.History(k, task.ID)
			fmt.Fprintf(&sb, "%+v %d;", *task, len(h))
			return nil
		})
	})
	return sb.String()
}

func TestCardActions(t *testing.T) {
	g := newGroup(t)
	g.say("李四", "@张三 【产品研发-需求确认-提供方案-明天下班前】")
	shown := map[string]bool{}
	click := func(user, action, ev string) chat.ActionResult {
		res := g.b.HandleAction(context.Background(), chat.Action{Platform: "console", ChatID: "g1", EventID: ev,
			User: g.user(user), Action: action, TaskID: 1, Time: g.now})
		fmt.Fprintf(&g.out, "click %s %s → toast %q\n", user, action, res.Toast)
		if res.Card != nil {
			g.record(chat.Reply{Card: res.Card, Text: res.Card.Body, Mentions: res.Mentions})
		}
		// Follow-ups are in the outbox, recorded with the click.
		err := g.b.Store().View(func(tx *store.Tx) error {
			return tx.PendingOutbox(func(e *store.OutboxEntry) error {
				if !strings.HasPrefix(e.Key, "card:console:"+ev+":") || shown[e.Key] {
					return nil
				}
				shown[e.Key] = true
				var f chat.Reply
				if err := json.Unmarshal(e.Message, &f); err != nil {
					return err
				}
				g.record(f)
				return nil
			})
		})
		if err != nil {
			t.Fatal(err)
		}
		g.out.WriteString("\n")
		return res
	}
	click("王五", chat.ActionAck, "e1")
	click("张三", chat.ActionAck, "e2")
	click("张三", chat.ActionAck, "e2") // redelivered click
	click("张三", chat.ActionProgress, "e3")
	click("张三", chat.ActionAssist, "e4")
	click("张三", chat.ActionDone, "e5")
	g.golden("card_actions")
	task := g.task(1)
	if task.AckedAt.IsZero() || task.Status != store.StatusDone || len(task.Help) != 1 {
		t.Errorf("after clicks: acked %v status %s help %d", task.AckedAt, task.Status, len(task.Help))
	}
}

func TestDirectMessageGetsHelp(t *testing.T) {
	g := newGroup(t)
	m := g.msg("李四", "你好")
	m.Direct = true
	r := g.b.HandleMessage(context.Background(), m)
	if len(r) != 1 || !strings.Contains(r[0].Text, "/ack") {
		t.Fatalf("direct message: %+v", r)
	}
	if r := g.b.HandleMessage(context.Background(), m); len(r) != 0 {
		t.Errorf("redelivered direct message answered again")
	}
}

// State lives in the store: a new bot on the same file sees the tasks.
func TestStateSurvivesRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.db")
	run := func(fn func(b *bot.Bot)) {
		db, err := store.Open(path, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		b, err := bot.New(bot.Config{Store: db, Now: func() time.Time { return t0 }})
		if err != nil {
			t.Fatal(err)
		}
		fn(b)
		if err := db.Check(); err != nil {
			t.Error(err)
		}
	}
	run(func(b *bot.Bot) {
		b.HandleMessage(context.Background(), chat.Message{Platform: "console", ChatID: "g", MessageID: "a", Sender: chat.User{ID: "ls", Name: "李四"},
			Text: "@张三 【产品研发-需求确认-提供方案-明天下班前】", Mentions: []chat.User{{ID: "zs", Name: "张三"}}, Time: t0})
	})
	run(func(b *bot.Bot) {
		r := b.HandleMessage(context.Background(), chat.Message{Platform: "console", ChatID: "g", MessageID: "b", Sender: chat.User{ID: "zs", Name: "张三"}, Text: "/mine", Time: t0})
		if len(r) != 1 || !strings.Contains(r[0].Text, "#1 产品研发-需求确认") {
			t.Errorf("after restart /mine = %+v", r)
		}
	})
}
