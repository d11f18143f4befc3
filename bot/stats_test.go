package bot_test

import (
	"strings"
	"testing"
	"time"

	"collabbot/bot/bottest"
)

// statsScript plays a fortnight of a group from Thu 2026-03-05 10:00:
// #1 张三, acknowledged and done on time; #2 王五, never acknowledged
// (accepted by silence), done four working days late; #3 张三's own task,
// open and updated on some days, with an open help flag and overdue at
// the end; #4 cancelled (not counted).
func statsScript(t *testing.T) *group {
	g := newGroup(t, bottest.Options{Admins: []string{"id-组长"}})
	g.say("李四", "@张三 【产品研发-需求确认-提供技术评估方案-明天】")
	g.say("李四", "@王五 【产品研发-接口开发-完成登录接口-明天】")
	g.say("张三", "【测试-联调-完成联调测试-3月10日】")
	g.say("李四", "@赵六 【市场-调研-整理竞品资料-3月20日】")
	g.advance(30 * time.Minute) // Thu 10:30
	g.say("张三", "/ack #1")
	g.say("张三", "/update #3 20% 环境已搭好")
	g.advance(5 * time.Hour) // Thu 15:30
	g.say("张三", "/update #1 60% 方案初稿完成")
	g.say("李四", "/cancel #4 需求取消")
	g.advance(24 * time.Hour) // Fri 15:30
	g.say("张三", "/done #1")
	g.say("李四", "/accept #1")
	if _, err := g.b.DecideDue(g.now); err != nil { // 王五's 24 h run out: accepted by silence
		t.Fatal(err)
	}
	g.advance(3*24*time.Hour - 4*time.Hour) // Mon 03-09 11:30
	g.say("张三", "【需协助】#3 缺少测试账号 @李四")
	g.advance(24*time.Hour + 30*time.Minute) // Tue 03-10 12:00
	g.say("张三", "/update #3 60% 联调进行中")
	g.advance(24*time.Hour - 2*time.Hour) // Wed 03-11 10:00
	g.say("王五", "/done #2")
	g.advance(24 * time.Hour) // Thu 03-12 10:00
	return g
}

func TestStatsZh(t *testing.T) {
	g := statsScript(t)
	g.say("李四", "/stats")
	g.say("李四", "/统计 本周")
	g.say("李四", "/统计 上周")
	g.say("李四", "/统计 近7天")
	g.say("李四", "/统计 上月")
	g.say("李四", "/统计 去年")
	g.say("李四", "/统计 999天")
	g.golden("stats_zh")
}

func TestStatsEn(t *testing.T) {
	g := statsScript(t)
	g.say("组长", "/lang en")
	g.say("Li", "/stats")
	g.say("Li", "/stats last 7 days")
	g.say("Li", "/stats 30d")
	g.say("Li", "/stats yesterday")
	g.golden("stats_en")
}

// Lateness over National Day counts working days: due Wed 09-30 18:00 and
// done on Thu 10-08 (the first day back) at 10:00 is 6 h + 10 h late, not
// eight days.
func TestStatsHoliday(t *testing.T) {
	g := newGroup(t)
	g.now = time.Date(2026, 9, 29, 10, 0, 0, 0, cst)
	g.say("李四", "@张三 【国庆-值班-排好值班表-9月30日】")
	g.now = time.Date(2026, 10, 8, 10, 0, 0, 0, cst)
	g.say("李四", "/stats 30天")
	g.say("张三", "/done #1")
	out := g.say("李四", "/stats 30天")
	if len(out) != 1 || !strings.Contains(out[0].Text, "逾期 1（平均 0.7 个工作日）") {
		t.Errorf("lateness over the holiday: %v", out)
	}
	g.golden("stats_holiday")
}

func TestExportSummary(t *testing.T) {
	g := newGroup(t, bottest.Options{Admins: []string{"id-组长"}})
	g.say("李四", "/export")
	g.say("李四", "@张三 【产品研发-需求确认-提供技术评估方案-明天】")
	g.say("张三", "【需协助】#1 缺少接口文档")
	g.say("李四", "@王五 【产品研发-接口开发-完成登录接口-3月20日】")
	g.say("王五", "/done #2")
	g.advance(48 * time.Hour)
	g.say("李四", "/导出")
	g.say("组长", "/lang en")
	g.say("李四", "/export")
	g.golden("export_summary")
}
