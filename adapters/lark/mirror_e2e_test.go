package lark

import (
	"slices"
	"strings"
	"testing"
	"time"

	"collabbot/store"
)

// The whole path of a task mirror, bot included: a task message becomes a
// Feishu task once; progress reaches it; completing it in the Feishu app
// is /done by the owner and asks the initiator for acceptance; /reject
// reopens it and /cancel deletes it.
func TestMirrorThroughTheBot(t *testing.T) {
	g := newLCGroup(t, tasksOn)
	g.say("李四", "@张三 【产品研发-需求确认-需前端提供技术评估方案-3月9日 下午5点前】")
	waitFor(t, "the Feishu task", func() bool { return g.fake.TaskCount() == 1 })
	ft := g.fake.Tasks()[0]
	if !strings.Contains(ft.Summary, "产品研发-需求确认") || len(ft.Assignees) != 1 || ft.Assignees[0] != "ou_zhang" {
		t.Fatalf("Feishu task = %+v", ft)
	}
	if want := time.Date(2026, 3, 9, 17, 0, 0, 0, lcCST); !ft.Due.Equal(want) {
		t.Errorf("due = %v, want %v", ft.Due, want)
	}

	g.say("李四", "/cc #1 @王五")
	waitFor(t, "王五 following the Feishu task", func() bool {
		f, _ := g.fake.TaskByGUID(ft.GUID)
		return slices.Contains(f.Followers, "ou_wang")
	})
	g.say("李四", "/uncc #1 @王五")
	waitFor(t, "王五 no longer following", func() bool {
		f, _ := g.fake.TaskByGUID(ft.GUID)
		return !slices.Contains(f.Followers, "ou_wang") && slices.Equal(f.Assignees, []string{"ou_zhang"})
	})
	g.say("李四", "/assign #1 @王五")
	waitFor(t, "王五 the only assignee", func() bool {
		f, _ := g.fake.TaskByGUID(ft.GUID)
		return slices.Equal(f.Assignees, []string{"ou_wang"})
	})
	g.say("李四", "/assign #1 @张三")
	waitFor(t, "张三 the only assignee again", func() bool {
		f, _ := g.fake.TaskByGUID(ft.GUID)
		return slices.Equal(f.Assignees, []string{"ou_zhang"})
	})
	g.say("张三", "/update #1 60% 方案A已完成")
	waitFor(t, "the progress in the Feishu task", func() bool {
		f, _ := g.fake.TaskByGUID(ft.GUID)
		return strings.Contains(f.Description, "方案A已完成")
	})

	// 张三 ticks it complete in the Feishu app.
	g.news()
	if _, err := g.fake.CompleteTask(ft.GUID); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the /done from the app", func() bool { return g.taskStatus(1) == store.StatusDone })
	g.settle()
	sent := g.news()
	if len(sent) != 1 {
		t.Fatalf("messages after the completion in the app = %d, want 1: %+v", len(sent), sent)
	}
	lcMentions(t, sent[0], "李四")
	if sent[0].ReplyTo != "" {
		t.Errorf("the /done answer replies to %q; nothing in the chat was said", sent[0].ReplyTo)
	}
	if f, _ := g.fake.TaskByGUID(ft.GUID); !f.Done() {
		t.Errorf("the Feishu task is no longer complete: %+v", f)
	}

	// Sent back: the task reopens in the app.
	g.say("李四", "/reject #1 整改项：补充方案B 新截止：3月10日 下午5点前")
	waitFor(t, "the reopened Feishu task", func() bool { f, _ := g.fake.TaskByGUID(ft.GUID); return !f.Done() })
	g.say("李四", "/cancel #1 需求取消")
	waitFor(t, "the deleted Feishu task", func() bool { f, _ := g.fake.TaskByGUID(ft.GUID); return f.Deleted })
	if n := g.fake.TaskCount(); n != 1 {
		t.Errorf("Feishu tasks made = %d, want 1", n)
	}
}

// An unacknowledged 【紧急】 task reaches the top rung: the reminder is
// posted with its @-mentions and 加急 follows; on a tenant whose quota is
// used up the @-mention stays the only signal, and no call is retried.
func TestUrgentThroughTheBot(t *testing.T) {
	g := newLCGroup(t, func(c *Config) { c.Urgent = "app" })
	g.fake.RefuseUrgent(230024)
	g.say("李四", "@张三 【紧急】【线上-支付故障-排查回调失败-3月5日 下午5点前】")
	g.say("李四", "@王五 【紧急】【线上-退款故障-排查退款失败-3月5日 下午5点前】")
	g.news()
	g.at(time.Date(2026, 3, 5, 10, 20, 0, 0, lcCST))
	gs, err := g.p.Bot.DecideDue(g.clock())
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range gs {
		g.p.Stage.Kick(k)
	}
	g.settle()
	sent := g.news()
	if len(sent) != 2 {
		t.Fatalf("urgent reminders = %d, want 2: %+v", len(sent), sent)
	}
	if u := g.fake.Urgents(); len(u) != 1 {
		t.Errorf("urgent calls = %d, want 1 (the second is skipped after the quota refusal)", len(u))
	}
	if c := g.counter("collabbot_lark_interrupts_total", "result", "quota"); c != 1 {
		t.Errorf("quota refusals counted = %v, want 1", c)
	}
}

func (g *lcGroup) taskStatus(id int64) store.Status {
	var st store.Status
	g.p.DB.View(func(tx *store.Tx) error {
		var err error
		var task *store.Task
		err = tx.Groups(func(gr *store.Group) error {
			if task == nil {
				task, _ = tx.Task(gr.Key, id)
			}
			return nil
		})
		if task != nil {
			st = task.Status
		}
		return err
	})
	return st
}
