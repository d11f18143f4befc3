package bot_test

import (
	"testing"
	"time"

	"collabbot/bot/bottest"
)

// 催办 (who may, once an hour per task, by person), leave (no nudge or
// escalation reaches the person; the delegate or lead stands in; shown in
// lists) and snooze (owner only, once a day, never past the due time).
func TestNudgeLeaveSnooze(t *testing.T) {
	for _, lang := range []string{"zh", "en"} {
		t.Run(lang, func(t *testing.T) {
			g := newGroup(t, bottest.Options{Admins: []string{"id-管理员"}})
			g.say("管理员", "/lang "+lang)
			g.say("管理员", "/config lead @王五")
			g.say("李四", "@张三 【产品研发-需求确认-提供方案-下周五】")
			g.say("李四", "@张三 【产品研发-接口联调-联调登录接口-下周三】")
			g.say("赵六", "@张三 【市场-物料-准备物料-下周四】")
			g.say("赵六", "/nudge #1") // not the initiator
			g.say("李四", "/nudge #1")
			g.say("李四", "/nudge #1") // within the hour
			g.advance(61 * time.Minute)
			g.say("李四", "/nudge #1")
			g.say("李四", "/nudge @张三") // #1 just chased, #3 not theirs
			g.say("张三", "/leave")
			g.say("赵六", "/leave @张三 3天") // not allowed
			g.say("张三", "/leave 3月9日-3月11日 代理 @钱七")
			g.say("张三", "/leave list")
			g.advance(4 * 24 * time.Hour) // Mon 03-09
			g.say("李四", "/list")
			g.advance(2 * time.Hour)
			g.say("李四", "/nudge #2")
			g.say("张三", "/leave cancel")
			g.say("李四", "/snooze #2 明天")
			g.say("张三", "/snooze #2")
			g.say("张三", "/snooze #2 明天")
			g.say("张三", "/snooze #2 后天")
			g.say("张三", "/snooze #1 下下周一") // past the due time: capped
			g.golden("attention_" + lang)
			if task := g.task(1); !task.SnoozedUntil.Equal(task.Due) {
				t.Errorf("#1 snoozed until %v, want its due time %v", task.SnoozedUntil, task.Due)
			}
		})
	}
}
