package bot_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"collabbot/bot/bottest"
	"collabbot/bot/chat"
	"collabbot/store"
)

// outboxSince returns the outbox's replies whose key starts with prefix,
// in decision order, skipping keys already seen.
func outboxSince(t *testing.T, g *group, seen map[string]bool, prefix string) []chat.Reply {
	t.Helper()
	var es []*store.OutboxEntry
	err := g.b.Store().View(func(tx *store.Tx) error {
		return tx.OutboxEntries(func(e *store.OutboxEntry) error {
			if strings.HasPrefix(e.Key, prefix) && !seen[e.Key] {
				es = append(es, e)
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(es, func(a, b *store.OutboxEntry) int { return int(a.Seq) - int(b.Seq) })
	var out []chat.Reply
	for _, e := range es {
		seen[e.Key] = true
		var r chat.Reply
		if err := json.Unmarshal(e.Message, &r); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

func (g *group) decide(t *testing.T, at time.Time) {
	t.Helper()
	g.now = at
	if _, err := g.b.DecideDue(at); err != nil {
		t.Fatalf("DecideDue(%v): %v", at, err)
	}
}

// sayIn sends a message from name in another group, possibly on another
// platform.
func (g *group) sayIn(platform, chatID, from, text string) []chat.Reply {
	m := g.msg(from, text)
	m.Platform, m.ChatID = platform, chatID
	if platform != "console" {
		m.Sender.ID = platform + "-" + m.Sender.ID
		for i := range m.Mentions {
			m.Mentions[i].ID = platform + "-" + m.Mentions[i].ID
		}
	}
	return g.send(m)
}

func TestDigestAcrossGroupsAndPlatforms(t *testing.T) {
	g := newGroup(t) // Thursday 2026-03-05 10:00
	g.b.SetPeople([][]string{{"console:id-张三", "lark:lark-id-张三"}})
	g.say("李四", "@张三 【产品研发-需求确认-需要方案-3月10日 下午5点前】")                // console g1 #1
	g.sayIn("lark", "oc_2", "王五", "@张三 【市场-发布会-准备讲稿-3月6日 下午5点前】")  // lark #1, due first
	g.sayIn("console", "g3", "张三", "@赵六 【财务-预算-提交预算表-3月9日 下午5点前】") // 张三 initiates
	g.sayIn("console", "g3", "赵六", "/done #1 预算表V1.0")             // waits for 张三
	g.say("钱七", "@钱七 【其他-杂项-不是张三的-3月9日】")                          // not 张三's
	if rs := g.say("张三", "/digest on 09:30"); len(rs) != 1 || !strings.Contains(rs[0].Text, "09:30") {
		t.Fatalf("/digest on: %+v", rs)
	}

	seen := map[string]bool{}
	g.decide(t, time.Date(2026, 3, 6, 9, 29, 0, 0, cst))
	if got := outboxSince(t, g, seen, "digest:"); len(got) != 0 {
		t.Fatalf("digest before its time: %+v", got)
	}
	g.decide(t, time.Date(2026, 3, 6, 9, 30, 0, 0, cst))
	got := outboxSince(t, g, seen, "digest:")
	if len(got) != 1 {
		t.Fatalf("digests at 09:30 = %d, want 1", len(got))
	}
	d := got[0]
	if d.ToUser != "id-张三" || len(d.Mentions) != 0 {
		t.Errorf("digest goes to %q with mentions %v; want a direct message to id-张三, no mentions", d.ToUser, d.Mentions)
	}
	lines := strings.Split(d.Text, "\n")
	want := []string{"#1 市场-发布会", "#1 产品研发-需求确认", "#1 财务-预算"}
	var order []string
	for _, l := range lines {
		for _, w := range want {
			if strings.HasPrefix(l, w) {
				order = append(order, w)
			}
		}
	}
	if !slices.Equal(order, want) {
		t.Errorf("digest order = %q, want %q\n%s", order, want, d.Text)
	}
	if strings.Contains(d.Text, "杂项") {
		t.Errorf("digest lists someone else's task:\n%s", d.Text)
	}
	if !strings.Contains(d.Text, "待你验收") {
		t.Errorf("digest misses the delivery waiting for acceptance:\n%s", d.Text)
	}
	var groups []string
	for _, b := range d.Card.Buttons {
		groups = append(groups, b.Group)
	}
	if !slices.Equal(groups, []string{"oc_2", "g1"}) {
		t.Errorf("buttons point at groups %q, want the tasks' own groups", groups)
	}

	// Once a working day: not again today, not on Saturday, again Monday.
	g.decide(t, time.Date(2026, 3, 6, 15, 0, 0, 0, cst))
	g.decide(t, time.Date(2026, 3, 7, 10, 0, 0, 0, cst))
	if got := outboxSince(t, g, seen, "digest:"); len(got) != 0 {
		t.Errorf("extra digests: %d", len(got))
	}
	g.decide(t, time.Date(2026, 3, 9, 9, 31, 0, 0, cst))
	if got := outboxSince(t, g, seen, "digest:"); len(got) != 1 {
		t.Errorf("Monday digests = %d, want 1", len(got))
	}

	// Off from a 1:1 chat with the bot.
	dm := g.msg("张三", "/digest off")
	dm.Direct, dm.ChatID = true, "p2p-张三"
	if rs := g.send(dm); len(rs) != 1 || !strings.Contains(rs[0].Text, "关闭") {
		t.Fatalf("/digest off in a 1:1 chat: %+v", rs)
	}
	g.decide(t, time.Date(2026, 3, 10, 9, 31, 0, 0, cst))
	if got := outboxSince(t, g, seen, "digest:"); len(got) != 0 {
		t.Errorf("digest after /digest off: %d", len(got))
	}
	if rs := g.say("张三", "/digest on 25:00"); len(rs) != 1 || !strings.Contains(rs[0].Text, "HH:MM") {
		t.Errorf("bad time: %+v", rs)
	}
}

func TestDigestButtonActsInTheTasksGroup(t *testing.T) {
	g := newGroup(t)
	g.say("李四", "@张三 【产品研发-需求确认-需要方案-3月10日 下午5点前】")
	res := g.b.HandleAction(context.Background(), chat.Action{Platform: "console", ChatID: "p2p-张三", EventID: "c1",
		MessageID: "dm-card", User: g.user("张三"), Action: chat.ActionDone, TaskID: 1, Group: "g1", Time: g.now})
	if res.ToastKind != "success" || g.task(1).Status != store.StatusDone {
		t.Fatalf("click: %+v; status %s", res, g.task(1).Status)
	}
	// Not the owner: refused like the command.
	g.say("李四", "@张三 【产品研发-需求确认-再要一个方案-3月10日 下午5点前】")
	g.b.HandleAction(context.Background(), chat.Action{Platform: "console", ChatID: "p2p-王五", EventID: "c2",
		User: g.user("王五"), Action: chat.ActionDone, TaskID: 2, Group: "g1", Time: g.now})
	if g.task(2).Status != store.StatusOpen {
		t.Errorf("someone else's click closed task #2")
	}
	// A group the bot does not know is not created from a button.
	g.b.HandleAction(context.Background(), chat.Action{Platform: "console", ChatID: "p2p-张三", EventID: "c3",
		User: g.user("张三"), Action: chat.ActionDone, TaskID: 1, Group: "nowhere", Time: g.now})
	g.b.Store().View(func(tx *store.Tx) error {
		if _, err := tx.Group(store.GroupKey{Platform: "console", ChatID: "nowhere"}); err == nil {
			t.Errorf("a button created group 'nowhere'")
		}
		return nil
	})
}

func TestNudgeByDirectMessage(t *testing.T) {
	g := newGroup(t, bottest.Options{Admins: []string{"id-管理员"}})
	g.say("李四", "@张三 【产品研发-需求确认-需要方案-3月10日 下午5点前】")
	g.say("李四", "@王五 【产品研发-接口联调-联调完成-3月11日 下午5点前】")
	if rs := g.say("管理员", "/config nudges dm"); len(rs) != 1 || strings.Contains(rs[0].Text, "❌") {
		t.Fatalf("/config nudges dm: %+v", rs)
	}
	seen := map[string]bool{}
	outboxSince(t, g, seen, "")
	g.decide(t, time.Date(2026, 3, 6, 17, 0, 0, 0, cst))
	got := outboxSince(t, g, seen, "nudge:")
	var to []string
	for _, r := range got {
		if r.ToUser == "" {
			t.Errorf("a group message in DM mode: %q", r.Text)
			continue
		}
		if len(r.Mentions) != 0 {
			t.Errorf("a direct nudge with mentions: %+v", r.Mentions)
		}
		to = append(to, r.ToUser)
	}
	slices.Sort(to)
	if !slices.Equal(to, []string{"id-张三", "id-王五"}) {
		t.Errorf("nudged %q, want one DM each to 张三 and 王五", to)
	}
	g.decide(t, time.Date(2026, 3, 6, 17, 30, 0, 0, cst))
	if got := outboxSince(t, g, seen, "nudge:"); len(got) != 0 {
		t.Errorf("nudged twice: %d more", len(got))
	}
	// Back to the group.
	g.say("管理员", "/config nudges group")
	g.decide(t, time.Date(2026, 3, 9, 17, 0, 0, 0, cst))
	got = outboxSince(t, g, seen, "nudge:")
	if len(got) != 1 || got[0].ToUser != "" || len(got[0].Mentions) != 2 {
		t.Errorf("group nudge: %+v", got)
	}
}

func TestUrgentTopRungInterrupts(t *testing.T) {
	g := newGroup(t)
	g.say("李四", "@张三 【紧急】【线上-支付故障-排查回调失败-3月5日 下午5点前】")
	g.say("李四", "@王五 【产品研发-接口联调-联调完成-3月5日 下午5点前】")
	seen := map[string]bool{}
	outboxSince(t, g, seen, "")
	g.decide(t, t0.Add(20*time.Minute))
	var interrupted, plain int
	for _, r := range outboxSince(t, g, seen, "") {
		if len(r.Interrupt) > 0 {
			interrupted++
			if !slices.ContainsFunc(r.Interrupt, func(u chat.User) bool { return u.Name == "张三" }) {
				t.Errorf("interrupt %v misses the owner", r.Interrupt)
			}
		} else {
			plain++
		}
	}
	if interrupted != 1 {
		t.Errorf("unacknowledged 【紧急】 after 20 min: %d interrupting messages, want 1", interrupted)
	}
	// A routine task overdue never interrupts, at any step.
	for d := 0; d < 5; d++ {
		g.decide(t, time.Date(2026, 3, 5+d, 18, 0, 0, 0, cst))
	}
	for _, r := range outboxSince(t, g, seen, "") {
		if len(r.Interrupt) > 0 && !strings.Contains(r.Text, "支付故障") {
			t.Errorf("a routine reminder interrupts: %q", r.Text)
		}
	}
}

// A reminder decided in working time still goes out when a burst runs a
// little past the end of the day; one decided, or left, later waits for
// the morning; replies and urgent messages never wait.
func TestHoldAfterTheEndOfTheDay(t *testing.T) {
	g := newGroup(t)
	g.say("李四", "@张三 【产品研发-需求确认-需要方案-3月9日 下午5点前】") // makes the group
	end := time.Date(2026, 3, 5, 18, 0, 0, 0, cst)
	key := store.GroupKey{Platform: "console", ChatID: "g1"}
	cases := []struct {
		name              string
		kind              string
		urgent            bool
		occasion, decided time.Time
		at                time.Time
		want              bool
	}{
		{"decided at 18:00, sent 20 s later", "overdue", false, end, end, end.Add(20 * time.Second), false},
		{"decided at 18:00, still unsent at 18:20", "overdue", false, end, end, end.Add(20 * time.Minute), true},
		{"decided at 17:00, sent at 17:30", "nudge", false, end.Add(-time.Hour), end.Add(-time.Hour), end.Add(-30 * time.Minute), false},
		{"owed at 20:00", "overdue", false, end.Add(2 * time.Hour), end.Add(2 * time.Hour), end.Add(2 * time.Hour), true},
		{"urgent at 20:00", "urgent", true, end.Add(2 * time.Hour), end.Add(2 * time.Hour), end.Add(2 * time.Hour), false},
		{"a reply at 20:00", "reply", false, end.Add(2 * time.Hour), end.Add(2 * time.Hour), end.Add(2 * time.Hour), false},
	}
	for _, c := range cases {
		e := &store.OutboxEntry{Key: "k", Group: key, Kind: c.kind, Urgent: c.urgent, Occasion: c.occasion, DecidedAt: c.decided}
		var got bool
		g.b.Store().View(func(tx *store.Tx) error { got = g.b.Hold(tx, e, c.at); return nil })
		if got != c.want {
			t.Errorf("%s: held = %v, want %v", c.name, got, c.want)
		}
	}
}
