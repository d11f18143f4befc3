package bot_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"collabbot/bot/bottest"
	"collabbot/bot/chat"
)

// Intake and acceptance as the seeds define them: decline with reason and
// alternative → unowned (lists, /show, /nudge, /done) → reassign; a
// question to the initiator; /done with a delivery note; /reject with
// 整改项 and a new due time; /accept with standard and result.
func TestIntakeAcceptance(t *testing.T) {
	type script struct {
		decline, declineBare, needinfo, answer, done1, reject, rejectBad, done2, accept string
	}
	scripts := map[string]script{
		"zh": {
			decline:     "/decline #1 原因：本周排满发布任务 替代方案：建议由赵六承接",
			declineBare: "/无法承接 #2 人手不足；建议下月再排",
			needinfo:    "/needinfo #1 评估范围是否包含移动端？",
			answer:      "/update #1 包含移动端，iOS 和 Android 都要",
			done1:       "/done #1 版本 V1.2 功能清单：登录、支付 测试报告 https://test.example.com/r/12",
			rejectBad:   "/reject #1 整改项：补充压测数据 新截止：尽快",
			reject:      "/reject #1 整改项：补充压测数据；修复 iOS 登录页错位 新截止：下周三",
			done2:       "/done #1 版本：V1.3 测试报告：https://test.example.com/r/13",
			accept:      "/accept #1 标准：功能测试通过率≥95% 结果：通过，压测达标",
		},
		"en": {
			decline:     "/decline #1 reason: busy with the release this week alternative: ask 赵六",
			declineBare: "/decline #2 short-staffed; schedule it next month",
			needinfo:    "/needinfo #1 does the assessment cover mobile?",
			answer:      "/update #1 yes, iOS and Android",
			done1:       "/done #1 version V1.2 features: login, payment test report https://test.example.com/r/12",
			rejectBad:   "/reject #1 fixes: add load test data new due: ASAP",
			reject:      "/reject #1 fixes: add load test data; fix the iOS login page new due: 2026-03-11",
			done2:       "/done #1 version: V1.3 test report: https://test.example.com/r/13",
			accept:      "/accept #1 standard: functional pass rate ≥95% result: passed, load test OK",
		},
	}
	for _, lang := range []string{"zh", "en"} {
		t.Run(lang, func(t *testing.T) {
			s := scripts[lang]
			g := newGroup(t, bottest.Options{Admins: []string{"id-管理员"}})
			g.say("管理员", "/lang "+lang)
			g.say("管理员", "/config lead @王五")
			g.say("李四", "@张三 【产品研发-需求确认-提供技术评估方案-下周五】")
			g.say("李四", "@张三 【市场-物料-准备展会物料-下周四】")
			g.say("张三", "/decline #1") // no reason, no alternative
			g.say("赵六", s.decline)     // not the owner
			g.say("张三", s.decline)     // #1 unowned
			g.say("张三", s.declineBare) // unlabelled: split at ；/;
			g.say("李四", "/list")
			g.say("李四", "/mine")
			g.say("李四", "/show #1")
			g.say("李四", "/nudge #1")               // nobody to chase
			g.say("王五", "/done #1")                // nobody's work to close
			g.say("张三", "/decline #1 原因：x 替代方案：y") // already declined
			g.say("李四", "/assign #1 @赵六")
			g.say("赵六", s.needinfo)
			g.say("李四", s.answer)
			g.say("赵六", "/ack #1")
			g.say("赵六", "/decline #1 原因：x 替代方案：y") // acknowledged: too late
			g.advance(2 * time.Hour)
			g.say("赵六", s.done1)
			g.say("李四", s.rejectBad)
			g.say("李四", s.reject)
			g.say("李四", "/show #1")
			g.advance(24 * time.Hour)
			g.say("赵六", s.done2)
			g.say("李四", s.accept)
			g.say("李四", "/show #1")
			g.golden("intake_" + lang)

			t1 := g.task(1)
			if len(t1.Declines) != 1 || t1.Declines[0].By.Name != "张三" || t1.Owner.Name != "赵六" {
				t.Errorf("#1 declines %+v, owner %+v", t1.Declines, t1.Owner)
			}
			if len(t1.Deliveries) != 2 || t1.Deliveries[0].Version != "V1.2" || t1.Deliveries[0].TestReport != "https://test.example.com/r/12" ||
				t1.Deliveries[1].Version != "V1.3" {
				t.Errorf("#1 deliveries %+v", t1.Deliveries)
			}
			wantDue := time.Date(2026, 3, 11, 18, 0, 0, 0, cst) // 下周三 from Thu 03-05
			if len(t1.Rectifications) != 1 || !t1.Rectifications[0].NewDue.Equal(wantDue) || !t1.Due.Equal(wantDue) ||
				!t1.Rectifications[0].OldDue.Equal(t1.OriginalDue) {
				t.Errorf("#1 rectifications %+v, due %v", t1.Rectifications, t1.Due)
			}
			if len(t1.Acceptances) != 1 || t1.Acceptances[0].Standard == "" || t1.Acceptances[0].Result == "" {
				t.Errorf("#1 acceptances %+v", t1.Acceptances)
			}
			if t2 := g.task(2); !t2.Unowned() || t2.Declines[0].Reason == "" || t2.Declines[0].Alternative == "" {
				t.Errorf("#2 owner %+v declines %+v", t2.Owner, t2.Declines)
			}
		})
	}
}

// Plain /accept and /reject <comment> keep working as before: no
// acceptance entry, no rectification, the due time unchanged.
func TestPlainReviewUnchanged(t *testing.T) {
	g := newGroup(t)
	g.say("李四", "@张三 【产品研发-需求确认-提供方案-下周五】")
	g.say("张三", "/done #1")
	g.say("李四", "/reject #1 登录页在 iOS 上错位")
	g.say("张三", "/done #1")
	g.say("李四", "/accept #1 辛苦")
	task := g.task(1)
	if len(task.Acceptances) != 0 || len(task.Rectifications) != 0 || len(task.Deliveries) != 0 || !task.Due.Equal(task.OriginalDue) {
		t.Errorf("plain review stored %+v %+v %+v, due %v", task.Acceptances, task.Rectifications, task.Deliveries, task.Due)
	}
	if !strings.Contains(g.out.String(), "意见：登录页在 iOS 上错位") {
		t.Errorf("plain reject reply changed:\n%s", g.out.String())
	}
}

// An unowned task is neither nudged, asked to acknowledge nor escalated;
// its initiator is asked to reassign it once each working morning (not on
// the National Day holiday or the Sunday, on the make-up Saturday), until
// it is reassigned; then the new owner's timers run.
func TestUnownedReassignPrompt(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newSim(t, at("2026-09-28 08:00"), "zh")
		s.until("2026-09-28 09:00")
		if err := s.e.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		s.until("2026-09-28 10:00:30")
		s.say(liSi, "/config lead @王五", wangWu)
		s.say(liSi, "@张三 【产品研发-需求确认-提供技术评估方案-10月9日】", zhangSan) // #1
		s.say(liSi, "@钱七 【市场-物料准备-准备展会物料-10月12日】", qianQi)      // #2, owned throughout
		s.until("2026-09-28 11:00:30")
		s.say(zhangSan, "/decline #1 原因：本周排满 替代方案：建议钱七承接")
		s.until("2026-10-12 10:00:30")
		s.say(liSi, "/assign #1 @赵六", zhaoLiu)
		s.until("2026-10-13 23:59:30")
		if err := s.e.Close(); err != nil {
			t.Fatal(err)
		}
		var got []string
		var prompt string
		for _, m := range s.p.sent() {
			l := line(m)
			for _, u := range m.Reply.Mentions {
				if u.ID == "" {
					t.Errorf("%s mentions nobody", l)
				}
			}
			if strings.HasPrefix(m.Reply.Key, "reassign:") {
				if prompt == "" {
					prompt = chat.PlainText(m.Reply.Text, m.Reply.Mentions)
				}
				got = append(got, l)
				continue
			}
			if strings.Contains(l, " #1") || strings.Contains(l, " nudge ") && strings.Contains(l, "zs") {
				got = append(got, l)
			}
		}
		want := []string{
			"09-29 09:00 g1 reassign [ls]",
			"09-30 09:00 g1 reassign [ls]",
			"10-08 09:00 g1 reassign [ls]",
			"10-09 09:00 g1 reassign [ls]",
			"10-10 09:00 g1 reassign [ls]",
			"10-12 09:00 g1 reassign [ls]",
			// Reassigned: the task was due 10-09, so the new owner hears
			// at once; their acknowledgement window starts at the /assign.
			"10-12 10:01 g1 overdue #1/1 [zl]",
			"10-13 10:01 g1 ack_default #1 [zl]",
			"10-13 10:01 g1 overdue #1/2 [zl ls]",
		}
		if !slices.Equal(got, want) {
			t.Errorf("unowned task:\n\tgot  %s\n\twant %s", strings.Join(got, "\n\t     "), strings.Join(want, "\n\t     "))
		}
		for _, w := range []string{"@李四：#1 产品研发-需求确认", "张三 于", "原因：本周排满", "替代方案：建议钱七承接", "/assign #编号 @新负责人"} {
			if !strings.Contains(prompt, w) {
				t.Errorf("prompt lacks %q:\n%s", w, prompt)
			}
		}
	})
}

// Bad input gets a clear reply and changes nothing: a decline without an
// alternative, fields past their bounds.
func TestIntakeBounds(t *testing.T) {
	g := newGroup(t)
	g.say("李四", "@张三 【产品研发-需求确认-提供方案-下周五】")
	check := func(from, text, want string) {
		t.Helper()
		reps := g.say(from, text)
		if len(reps) != 1 || !strings.Contains(reps[0].Text, want) {
			t.Errorf("%s: got %+v, want %q", text, reps, want)
		}
	}
	check("张三", "/decline #1 本周排满", "替代方案")
	check("张三", "/decline #1 原因："+strings.Repeat("忙", 301)+" 替代方案：找赵六", "原因太长（301 字），最多 300 字")
	check("张三", "/needinfo #1 "+strings.Repeat("问", 501), "问题太长")
	check("张三", "/done #1 "+strings.Repeat("交", 1001), "说明太长")
	check("张三", "/done #1 版本 V"+strings.Repeat("1", 40), "版本太长")
	if task := g.task(1); task.Unowned() || task.Status != "open" || len(task.Deliveries) != 0 {
		t.Errorf("bad input changed #1: owner %+v status %s deliveries %d", task.Owner, task.Status, len(task.Deliveries))
	}
}
