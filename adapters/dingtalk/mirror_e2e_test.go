package dingtalk

import (
	"strings"
	"testing"
	"time"

	"collabbot/bot/bottest"
	"collabbot/store"
)

// The whole path of a 待办 mirror, bot included: a task message becomes one
// todo; a delay approved moves its due time; completing it in DingTalk is
// /done by the owner and asks the initiator for acceptance; /cancel
// deletes it.
func TestTodoThroughTheBot(t *testing.T) {
	g := &lcGroup{now: time.Date(2026, 3, 5, 10, 0, 0, 0, lcCST)}
	g.env = todoEnv(t, nil)
	for name, id := range lcStaff {
		g.fake.AddUser(id, "un_"+id)
		_ = name
	}
	g.p = bottest.Start(t, bottest.Options{Admins: []string{"lisi01"}, Now: g.clock}, g.a)

	g.say("李四", "@张三 【产品研发-需求确认-需前端提供技术评估方案-3月9日 下午5点前】")
	waitFor(t, "the todo", func() bool { return len(g.fake.Todos()) == 1 })
	td := g.fake.Todos()[0]
	if !strings.Contains(td.Subject, "产品研发-需求确认") || len(td.ExecutorIDs) != 1 || td.ExecutorIDs[0] != "un_zhangsan01" || td.CreatorID != "un_lisi01" {
		t.Fatalf("todo = %+v", td)
	}
	if td.AppURL != todoFallbackURL || td.SourceID == "" {
		t.Errorf("detailUrl %q, sourceId %q", td.AppURL, td.SourceID)
	}

	g.say("张三", "/delay #1 3月10日 下午5点前 原因：接口未就绪")
	g.say("李四", "/approve #1")
	want := time.Date(2026, 3, 10, 17, 0, 0, 0, lcCST).UnixMilli()
	waitFor(t, "the new due time in the todo", func() bool { return g.fake.Todos()[0].DueTime == want })

	// 张三 ticks it done in DingTalk.
	if _, err := g.fake.CompleteTodo(td.ID); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the /done from DingTalk", func() bool { return g.status(1) == store.StatusDone })
	sent := g.settle()
	out := sent[g.seen:]
	g.seen = len(sent)
	if len(out) != 1 {
		t.Fatalf("messages after the completion in DingTalk = %d, want 1: %+v", len(out), out)
	}
	g.lcMentions(t, out[0], "李四")

	g.say("李四", "/cancel #1 需求取消")
	waitFor(t, "the deleted todo", func() bool { return g.fake.Todos()[0].Deleted })
	if n := len(g.fake.Todos()); n != 1 {
		t.Errorf("todos made = %d, want 1", n)
	}
}

func (g *lcGroup) status(id int64) store.Status {
	var st store.Status
	g.p.DB.View(func(tx *store.Tx) error {
		return tx.Groups(func(gr *store.Group) error {
			if task, err := tx.Task(gr.Key, id); err == nil {
				st = task.Status
			}
			return nil
		})
	})
	return st
}
