package bot_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"collabbot/bot"
	"collabbot/bot/chat"
	"collabbot/store"
)

// randomScript plays three weeks of random chat in two groups: tasks of
// every urgency with near deadlines, acknowledgements, updates, help
// flags, risks, delays and their decisions, done and review, declines and
// reassignment, snoozes, leave with a stand-in, and /config changes of
// the timings; after each message the clock moves on by a random time and
// the engine decides. check runs after every decision.
func randomScript(t *testing.T, g *group, seed uint64, check func(now time.Time)) {
	r := rand.New(rand.NewPCG(seed, 7))
	people := []string{"张三", "王五", "赵六", "钱七"}
	chats := []string{"g1", "g2"}
	deadlines := []string{"今天下午5点前", "明天", "后天", "明天上午10点", "下周一", "3天内", "下周三下午3点", "今天18:00"}
	tags := []string{"", "", "【重要】", "【紧急】"}
	nextID := map[string]int{}
	say := func(chat, from, text string) {
		if chat == "g1" {
			g.say(from, text)
		} else {
			g.sayIn("console", chat, from, text)
		}
	}
	end := g.now.Add(21 * 24 * time.Hour)
	for g.now.Before(end) {
		chat := chats[r.IntN(len(chats))]
		who := people[r.IntN(len(people))]
		other := people[r.IntN(len(people))]
		id := 0
		if nextID[chat] > 0 {
			id = 1 + r.IntN(nextID[chat])
		}
		switch k := r.IntN(20); {
		case k < 5 || id == 0:
			say(chat, "李四", fmt.Sprintf("@%s %s【产品-事项%d-需求-%s】", who, tags[r.IntN(len(tags))], nextID[chat]+1, deadlines[r.IntN(len(deadlines))]))
			nextID[chat]++
		case k == 5:
			say(chat, who, fmt.Sprintf("/ack #%d", id))
		case k == 6:
			say(chat, who, fmt.Sprintf("/update #%d 50%% 进展顺利", id))
		case k == 7:
			say(chat, who, fmt.Sprintf("/done #%d", id))
		case k == 8:
			say(chat, "李四", fmt.Sprintf("/accept #%d", id))
		case k == 9:
			say(chat, who, fmt.Sprintf("/assist #%d 需要接口文档 @%s", id, other))
		case k == 10:
			say(chat, other, fmt.Sprintf("/resolve #%d", id))
		case k == 11:
			say(chat, who, fmt.Sprintf("/risk #%d 依赖方延迟", id))
		case k == 12:
			say(chat, who, fmt.Sprintf("/delay #%d %s 等待环境", id, deadlines[r.IntN(len(deadlines))]))
		case k == 13:
			say(chat, "李四", fmt.Sprintf("/approve #%d", id))
		case k == 14:
			say(chat, who, fmt.Sprintf("/snooze #%d 明天", id))
		case k == 15:
			say(chat, who, fmt.Sprintf("/decline #%d 原因：排满 替代方案：找%s", id, other))
		case k == 16:
			say(chat, "李四", fmt.Sprintf("/assign #%d @%s", id, other))
		case k == 17:
			say(chat, who, []string{"/leave 明天-后天 代理 @" + other, "/leave cancel", "/leave 今天-明天"}[r.IntN(3)])
		case k == 18:
			say(chat, "李四", []string{"/config nudge 17:30", "/config nudge 19:00", "/config nudge 17:00", "/config lead @" + other,
				"/config weekly 周二 09:30", "/config ack 2h", "/config workday 08:30-17:30", "/config workday 09:00-18:00"}[r.IntN(8)])
		default:
			say(chat, "李四", fmt.Sprintf("/reject #%d 整改：补充说明 新截止：%s", id, deadlines[r.IntN(len(deadlines))]))
		}
		// Mostly minutes, sometimes hours or a night.
		step := time.Duration(1+r.IntN(40)) * time.Minute
		if r.IntN(5) == 0 {
			step = time.Duration(1+r.IntN(16)) * time.Hour
		}
		g.now = g.now.Add(step).Truncate(time.Minute)
		if _, err := g.b.DecideDue(g.now); err != nil {
			t.Fatalf("DecideDue(%s): %v", g.now, err)
		}
		check(g.now)
	}
}

// fastGroup is newGroup on a store that skips fsync: these tests write
// thousands of transactions and measure nothing about durability.
func fastGroup(t *testing.T) *group {
	g := &group{t: t, now: t0, users: map[string]chat.User{}}
	db, err := store.Open(filepath.Join(t.TempDir(), "fast.db"), &store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Check(); err != nil {
			t.Error(err)
		}
		db.Close()
	})
	g.b, err = bot.New(bot.Config{Store: db, Now: func() time.Time { return g.now }, Admins: []string{"id-李四"}})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// outboxByGroup lists each group's outbox in decision order.
func outboxByGroup(t *testing.T, g *group) map[store.GroupKey][]string {
	t.Helper()
	var es []*store.OutboxEntry
	err := g.b.Store().View(func(tx *store.Tx) error {
		return tx.OutboxEntries(func(e *store.OutboxEntry) error { es = append(es, e); return nil })
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(es, func(a, b *store.OutboxEntry) int { return int(a.Seq) - int(b.Seq) })
	out := map[store.GroupKey][]string{}
	for _, e := range es {
		out[e.Group] = append(out[e.Group], fmt.Sprintf("%s %s %s %s", e.DecidedAt.In(cst).Format("01-02 15:04"), e.Key, e.State, e.Message))
	}
	return out
}

// Three weeks of random use: right after every tick nothing the rules owe
// is left undecided (the index was never late), and the outbox, message
// for message, is what deciding every group in full at every tick (the
// engine before the index) produces.
func TestDueIndexMatchesFullScan(t *testing.T) {
	seeds := []uint64{1}
	if os.Getenv("COLLABBOT_LONG_TESTS") == "1" {
		seeds = []uint64{1, 2, 3, 4, 5, 6, 7, 8}
	}
	for _, seed := range seeds {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			// Three weeks across the 清明 holiday (04-04 to 04-06).
			start := time.Date(2026, 3, 23, 9, 0, 0, 0, cst)
			indexed := fastGroup(t)
			indexed.now = start
			reminders := 0
			randomScript(t, indexed, seed, func(now time.Time) {
				left, err := indexed.b.Undecided(now)
				if err != nil {
					t.Fatal(err)
				}
				if len(left) > 0 {
					t.Fatalf("%s: owed but not decided after the tick: %v", now.In(cst).Format(time.DateTime), left)
				}
			})
			full := fastGroup(t)
			full.now = start
			full.b.ScanAll()
			randomScript(t, full, seed, func(time.Time) {})
			got, want := outboxByGroup(t, indexed), outboxByGroup(t, full)
			for k, w := range want {
				gl := got[k]
				for i := range max(len(gl), len(w)) {
					var a, b string
					if i < len(gl) {
						a = gl[i]
					}
					if i < len(w) {
						b = w[i]
					}
					if a != b {
						t.Fatalf("group %s entry %d:\n\tindexed   %s\n\tfull scan %s", k, i, a, b)
					}
					if !strings.Contains(b, " reply:") {
						reminders++
					}
				}
			}
			if len(got) != len(want) {
				t.Errorf("groups with outbox entries: indexed %d, full scan %d", len(got), len(want))
			}
			t.Logf("%d outbox entries compared, %d groups", reminders, len(want))
			kinds := map[string]int{}
			for _, w := range want {
				for _, l := range w {
					kinds[strings.SplitN(strings.Fields(l)[2], ":", 2)[0]]++
				}
			}
			t.Logf("%v", kinds)
		})
	}
}

// A file from before the index (or indexed under other rules or
// defaults) is indexed again before the first tick, and what was owed
// meanwhile is decided then.
func TestDueIndexRebuiltBeforeFirstTick(t *testing.T) {
	g := fastGroup(t)
	g.say("李四", "@张三 【产品-事项-需求-明天】")
	g.say("李四", "@王五 【紧急】【产品-事项-需求-后天】")
	if _, err := g.b.DecideDue(g.now); err != nil {
		t.Fatal(err)
	}
	entries := func() (n int) {
		g.b.Store().View(func(tx *store.Tx) error { n = tx.DueLen(); return nil })
		return n
	}
	if n := entries(); n != 3 { // two tasks and the group's weekly summary
		t.Fatalf("%d index entries, want 3", n)
	}
	if err := g.b.Store().Update(func(tx *store.Tx) error { return tx.ResetDue() }); err != nil {
		t.Fatal(err)
	}
	// A new bot on the same file, an hour later: the urgent task's
	// 15 minutes have passed.
	g.now = g.now.Add(time.Hour)
	b, err := bot.New(bot.Config{Store: g.b.Store(), Now: func() time.Time { return g.now }})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.DecideDue(g.now); err != nil {
		t.Fatal(err)
	}
	if n := entries(); n != 3 {
		t.Fatalf("%d index entries after the rebuild, want 3", n)
	}
	if left, err := b.Undecided(g.now); err != nil || len(left) > 0 {
		t.Fatalf("undecided after the first tick: %v %v", left, err)
	}
	if got := outboxByGroup(t, g)[store.GroupKey{Platform: "console", ChatID: "g1"}]; !strings.Contains(strings.Join(got, "\n"), " urgent_ack:") {
		t.Errorf("the urgent reminder was not decided: %v", got)
	}
}
