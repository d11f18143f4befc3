package bot_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"collabbot/bot/bottest"
	"collabbot/bot/chat"
	"collabbot/store"
)

// projectScript is a group whose transcript also shows the retrospective
// reminders DecideDue records.
type projectScript struct {
	*group
	seen map[string]bool
}

func newProjectScript(t *testing.T, start string) *projectScript {
	g := newGroup(t, bottest.Options{Admins: []string{"id-李四"}})
	g.now = everyAt(t, start)
	return &projectScript{group: g, seen: map[string]bool{}}
}

// tick runs the reminder decisions at now and appends the new retro
// reminders to the transcript; it returns how many there were.
func (s *projectScript) tick(ts string) int {
	s.t.Helper()
	s.now = everyAt(s.t, ts)
	if _, err := s.b.DecideDue(s.now); err != nil {
		s.t.Fatalf("DecideDue(%s): %v", ts, err)
	}
	var fresh []*store.OutboxEntry
	err := s.b.Store().View(func(tx *store.Tx) error {
		return tx.OutboxEntries(func(e *store.OutboxEntry) error {
			if strings.HasPrefix(e.Key, "retro:") && !s.seen[e.Key] {
				fresh = append(fresh, e)
			}
			return nil
		})
	})
	if err != nil {
		s.t.Fatal(err)
	}
	for _, e := range fresh {
		s.seen[e.Key] = true
		if e.Kind != "retro" || e.Urgent || !e.AtMostOnce {
			s.t.Errorf("outbox entry %s: kind %q urgent %v at-most-once %v", e.Key, e.Kind, e.Urgent, e.AtMostOnce)
		}
		var r chat.Reply
		if err := json.Unmarshal(e.Message, &r); err != nil {
			s.t.Fatal(err)
		}
		fmt.Fprintf(&s.out, "== %s (retro reminder) ==\n", ts)
		s.record(r)
		s.out.WriteString("\n")
	}
	return len(fresh)
}

func TestProjectZh(t *testing.T) {
	s := newProjectScript(t, "2026-09-21 10:00") // Monday
	s.say("李四", "/config lead @王五")
	s.say("张三", "/项目")
	s.say("张三", "/项目 目标")
	s.say("张三", "/项目 目标 Q3新产品上线")
	s.say("张三", "/项目 成果 功能测试通过率≥95%")
	s.say("张三", "/项目 成果 "+strings.Repeat("长", 101))
	s.say("张三", "/项目 部门 产品部、研发部 市场部 研发部")
	s.say("赵六", "/项目 目标 改个目标")
	s.say("王五", "/项目 节点 需求评审 9月30日")
	s.say("张三", "/项目 节点 需求评审")
	s.say("张三", "/项目 节点 上线 尽快")
	s.say("张三", "/项目 节点 需求评审 10月9日")
	s.say("张三", "/项目 发布人 @钱七")
	s.say("张三", "/项目 节点 联调测试 10月3日")
	s.say("张三", "/项目 发布人 组长")
	s.say("张三", "/项目 复盘 20")
	s.say("张三", "/项目 荣誉 一等奖")
	s.say("张三", "/项目")
	s.say("赵六", "/公告 明天上午十点开评审会")
	s.say("王五", "/公告")
	s.say("王五", "/公告 需求评审会定于 9月30日 14:00，请各部门准时参加 @所有人")
	s.say("赵六", "/复盘 亮点 每日进度同步机制提升了效率")

	s.now = everyAt(t, "2026-09-29 16:00")
	s.say("王五", "/完成 #1")
	s.say("赵六", "/项目 结项 完成了")
	s.say("张三", "/项目 结项")
	s.say("张三", "/项目 结项 Q3新产品按期上线，测试通过率97%")
	s.say("张三", "/项目 目标 新目标")
	s.say("张三", "/项目 结项 再结一次")

	if n := s.tick("2026-10-08 09:00"); n != 0 {
		t.Errorf("reminder on the second working day")
	}
	if n := s.tick("2026-10-09 08:59"); n != 0 {
		t.Errorf("reminder before the working day")
	}
	if n := s.tick("2026-10-09 09:00"); n != 1 {
		t.Errorf("%d reminders on 10-09 09:00, want 1", n)
	}
	if n := s.tick("2026-10-09 09:01"); n != 0 {
		t.Errorf("a second reminder")
	}
	s.say("张三", "/项目 复盘 5")
	s.say("赵六", "/复盘 不足 跨部门沟通工具混用导致信息遗漏")
	s.say("王五", "/复盘 建议 统一使用飞书作为核心协作工具")
	s.say("王五", "/复盘 建议")
	s.say("赵六", "/复盘 吐槽 会太多")
	s.say("赵六", "/复盘")
	s.say("张三", "/复盘 报告")
	s.say("张三", "/项目")
	s.golden("project_zh")

	err := s.b.Store().View(func(tx *store.Tx) error {
		task, err := tx.Task(everyGroupKey, 2)
		if err != nil {
			return err
		}
		if task.Topic != "里程碑" || task.Owner.Name != "钱七" || task.Initiator.Name != "张三" {
			t.Errorf("milestone task: %+v", task)
		}
		p, err := tx.Project(everyGroupKey)
		if err != nil {
			return err
		}
		if p.Initiator.Name != "张三" || len(p.Milestones) != 2 || p.RetroRemindedAt.IsZero() || p.RetroReportAt.IsZero() {
			t.Errorf("project: %+v", p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestProjectEn(t *testing.T) {
	s := newProjectScript(t, "2026-09-21 10:00")
	s.say("李四", "/lang en")
	s.say("李四", "/config lead @Wang")
	s.say("Zhang", "/project goal Q3 product launch")
	s.say("Zhang", "/project result test pass rate ≥95%")
	s.say("Zhang", "/project dept Product, R&D, Marketing")
	s.say("Zhao", "/project goal something else")
	s.say("Zhang", "/project milestone Requirements review 2026-09-30")
	s.say("Zhang", "/project announcer @Wang")
	s.say("Zhang", "/project")
	s.say("Zhao", "/announce review tomorrow")
	s.say("Wang", "/announce The requirements review is on Sep 30 at 14:00; every department please attend.")
	s.say("Zhao", "/retro highlight the daily progress sync made us faster")
	s.now = everyAt(t, "2026-09-29 16:00")
	s.say("Zhang", "/project close launched on time, test pass rate 97%")
	s.tick("2026-10-09 09:00")
	s.say("Zhao", "/retro gap mixing chat tools lost information")
	s.say("Wang", "/retro suggestion use one collaboration tool")
	s.say("Zhang", "/retro report")
	s.golden("project_en")
}

// The retrospective reminder comes once, three working days after the
// close across National Day (closed Tue 09-29 → Fri 10-09 at the start of
// the working day), and a restart of the engine on the same store — after
// it was sent, or while it was due — neither repeats nor drops it.
func TestRetroReminderAcrossNationalDay(t *testing.T) {
	for _, tc := range []struct {
		name       string
		down, back string // engine down from … to …
		want       string
	}{
		{"restart after", "2026-10-09 09:30", "2026-10-09 10:00", "10-09 09:00 g1 retro [id-zs]"},
		{"down when due", "2026-10-08 18:00", "2026-10-09 11:00:30", "10-09 11:00 g1 retro [id-zs]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				now := simClock(at("2026-09-29 09:00"))
				path := filepath.Join(t.TempDir(), "collabbot.db")
				b, db := openBot(t, path, now)
				p := newPlatform(now)
				e := newEngine(t, b, p, nil)
				if err := e.Start(context.Background()); err != nil {
					t.Fatal(err)
				}
				zs := chat.User{ID: "id-zs", Name: "张三"}
				seq := 0
				say := func(ts string, from chat.User, text string) {
					t.Helper()
					time.Sleep(max(at(ts).Sub(now()), 0))
					seq++
					out := b.HandleMessage(context.Background(), chat.Message{Platform: chat.PlatformConsole, ChatID: "g1",
						MessageID: fmt.Sprintf("m%d", seq), Sender: from, Text: text, Time: now()})
					if len(out) == 0 {
						t.Fatalf("no reply to %q", text)
					}
				}
				say("2026-09-29 10:00:30", zs, "/项目 目标 Q3新产品上线")
				say("2026-09-29 16:00:30", zs, "/项目 结项 按期上线")

				time.Sleep(at(tc.down).Sub(now()))
				e.Close()
				db.Close()
				time.Sleep(at(tc.back).Sub(now()))
				b, db = openBot(t, path, now)
				defer db.Close()
				e = newEngine(t, b, p, nil)
				if err := e.Start(context.Background()); err != nil {
					t.Fatal(err)
				}
				time.Sleep(at("2026-10-13 10:00").Sub(now()))
				e.Close()

				var got []string
				for _, m := range p.sent() {
					if strings.HasPrefix(m.Reply.Key, "retro:") {
						got = append(got, line(m))
					}
				}
				if want := []string{tc.want}; !slices.Equal(got, want) {
					t.Errorf("retro reminders:\n\tgot  %v\n\twant %v", got, want)
				}
			})
		})
	}
}
