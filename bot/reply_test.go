package bot_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"collabbot/bot/bottest"
)

// Every command refuses a task reference that is not a valid existing id,
// whatever else the group holds, instead of acting on another task.
func TestBadTaskReferences(t *testing.T) {
	for _, lang := range []string{"zh", "en"} {
		t.Run(lang, func(t *testing.T) {
			g := newGroup(t, bottest.Options{Admins: []string{"id-管理员"}})
			g.say("管理员", "/lang "+lang)
			g.say("李四", "@张三 【产品研发-需求确认-提供方案-明天下班前】")
			before := g.task(1)
			refs := []string{"#0", "#-1", "#99999999999999999999", "#abc", "＃零", "#1a", "#", "#1.5"}
			cmds := []string{"/update %s 50%% 进展", "/show %s", "/ack %s", "/done %s", "/accept %s", "/reject %s 不行",
				"/risk %s 原因", "/delay %s 明天 原因", "/assign %s @王五", "/cancel %s", "/resolve %s", "/edit %s 需求 新需求", "/cc %s @王五"}
			for i, ref := range refs {
				// Each reference once with a rotating command keeps the
				// transcript short; every command sees bad references.
				for j := range 2 {
					cmd := cmds[(2*i+j)%len(cmds)]
					reps := g.say("张三", fmt.Sprintf(cmd, ref))
					if len(reps) != 1 || !strings.Contains(reps[0].Text, "#") {
						t.Errorf("%q: %d replies", fmt.Sprintf(cmd, ref), len(reps))
					}
				}
			}
			g.say("张三", "/update #2 50% 进展") // valid shape, no such task
			after := g.task(1)
			if after.Percent != before.Percent || after.Status != before.Status || len(after.Updates) != 0 || !after.AckedAt.IsZero() {
				t.Errorf("task #1 changed through a bad reference: %+v", after)
			}
			g.golden("bad_refs_" + lang)
		})
	}
}

// Out-of-range percentages are refused, not bent into range.
func TestPercentRange(t *testing.T) {
	g := newGroup(t)
	g.say("李四", "@张三 【产品研发-需求确认-提供方案-明天下班前】")
	for _, in := range []string{"/update #1 150% 超额完成", "/update #1 -20% 倒退了", "/update #1 进度 －5％", "/update #1 50.5% 一半多", "/update #1 101%"} {
		g.say("张三", in)
		if p := g.task(1).Percent; p != 0 {
			t.Fatalf("%q set percent to %d", in, p)
		}
	}
	g.say("张三", "/update #1 0% 刚开始")
	g.say("张三", "/update #1 100% 做完了")
	if p := g.task(1).Percent; p != 100 {
		t.Errorf("percent %d, want 100", p)
	}
	g.golden("percent_range")
}

// /edit, /cc and /uncc: who may, what the owner is told, what history
// keeps; the owner moves a deadline only through /delay.
func TestEditAndCollaborators(t *testing.T) {
	for _, lang := range []string{"zh", "en"} {
		t.Run(lang, func(t *testing.T) {
			g := newGroup(t, bottest.Options{Admins: []string{"id-管理员"}})
			g.say("管理员", "/lang "+lang)
			g.say("李四", "@张三 【产品研发-需求确认-提供方案-明天下班前】")
			g.say("张三", "/edit #1 需求 我想改需求") // owner: not allowed
			g.say("张三", "/edit #1 截止 下周五")   // owner: use /delay
			g.say("李四", "/edit #1")
			g.say("李四", "/edit #1 颜色 红色")
			g.say("李四", "/edit #1 需求 提供两套技术评估方案")
			g.say("李四", "/edit #1 request 提供两套技术评估方案")
			g.say("李四", "/edit #1 主题 "+strings.Repeat("长", 41))
			g.say("李四", "/edit #1 主题 官网改版")
			g.say("李四", "/edit #1 截止 尽快")
			g.say("李四", "/edit #1 截止 下周五 顺便说一句")
			g.say("李四", "/edit #1 截止 下周五")
			g.say("李四", "/cc #1 @王五 @赵六")
			g.say("李四", "/cc #1 @王五 @张三")
			g.say("张三", "/cc #1 @钱七")
			g.say("李四", "/uncc #1 @赵六")
			g.say("李四", "/uncc #1 @赵六")
			g.say("李四", "/show #1")
			task := g.task(1)
			if task.Topic != "官网改版" || task.Request != "提供两套技术评估方案" || len(task.Collaborators) != 1 || task.Collaborators[0].Name != "王五" {
				t.Errorf("task after edits: %+v", task)
			}
			if got := task.Due.In(cst).Format("01-02 15:04"); got != "03-13 18:00" {
				t.Errorf("due %s, want next Friday 03-13 18:00", got)
			}
			g.golden("edit_" + lang)
		})
	}
}

// Filters, counts, search over closed tasks, and paging.
func TestListFiltersAndSearch(t *testing.T) {
	g := newGroup(t)
	for i := 1; i <= 14; i++ {
		owner := "@张三"
		if i%3 == 0 {
			owner = "@王五"
		}
		g.say("李四", fmt.Sprintf("%s 【项目%d-接口%d-联调支付接口第%d批-%d个工作日内】", owner, i, i, i, i))
	}
	g.say("张三", "/done #1")
	g.say("李四", "/accept #1")
	g.say("张三", "/done #2")
	g.say("李四", "/cancel #4 不做了")
	g.say("张三", "/list")
	g.say("张三", "/list 2")
	g.say("张三", "/list 第3页")
	g.say("张三", "/list @王五")
	g.say("张三", "/list 第5批")
	g.say("张三", "/list done")
	g.say("张三", "/list all 第1批")
	g.say("张三", "/list 待验收")
	g.say("张三", "/mine all")
	g.say("张三", "/search 第1批")
	g.say("张三", "/search 支付 已取消")
	g.say("张三", "/search")
	g.say("张三", "/search 没有这个词")
	g.advance(30 * 24 * time.Hour)
	g.say("张三", "/list overdue @王五")
	g.golden("list_filters")
}

// Smaller wrong replies, each fixed: review after acceptance, /delay
// without a date, /assign to the current owner, /show's title and bot
// history lines, no /ack for one's own task, /cancel's reason, a task
// awaiting review counted once in the weekly summary.
func TestSmallerReplies(t *testing.T) {
	g := newGroup(t)
	g.say("李四", "@张三 【产品研发-需求确认-提供方案-明天下班前】")
	g.say("李四", "【产品研发-自己的事-整理纪要-明天下班前】")
	g.say("李四", "/delay #2")
	g.say("李四", "/delay #2 尽快 原因")
	g.say("李四", "/assign #1 @张三")
	g.advance(32*time.Hour + 30*time.Minute) // Fri 18:30: past the due time
	g.say("张三", "/done #1")
	g.advance(63*time.Hour + 30*time.Minute) // Mon 10:00: last week's summary
	g.say("李四", "/weekly")
	g.say("李四", "/accept #1")
	g.say("李四", "/reject #1 不行")
	g.say("李四", "/accept #1")
	g.say("李四", "/show #1")
	g.say("李四", "/cancel #2 需求取消了")
	if task := g.task(2); task.AckedAt.IsZero() {
		t.Error("a self-assigned task waits for its own acknowledgement")
	}
	g.golden("smaller_replies")
}
