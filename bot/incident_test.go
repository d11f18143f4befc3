package bot_test

import (
	"context"
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

func TestIncidentZh(t *testing.T) {
	g := newGroup(t, bottest.Options{Admins: []string{"id-李四"}})
	g.say("李四", "/config lead @王五")
	g.say("王五", "/incident responders @赵六 @钱七")
	g.say("路人", "/incident responders @路人")
	g.say("张三", "/incident")
	g.say("张三", "/incident 官网无法访问")
	g.say("张三", "/紧急 官网无法访问-全国用户")
	g.say("张三", "/incident 官网无法访问；影响：全国用户，预计影响1000+访问/分钟；措施：重启服务器无效")
	g.say("张三", "/incident list")
	g.advance(5 * time.Minute)
	g.say("路人", "/status #I1 我看好了")
	g.say("王五", "/分工 #I1 排查日志 @甲")
	g.say("王五", "/分工 #I1 @甲 排查服务器日志 @乙 联系云服务商 @丙")
	g.say("王五", "/roles #I1 @甲 排查服务器日志 @乙 联系云服务商 @丙 同步客服口径")
	g.advance(20 * time.Minute)
	g.say("甲", "/status")
	g.say("甲", "/进展 #I1 初步判断为数据库连接池溢出，正在扩容")
	g.say("甲", "/incident #I1")
	g.advance(95 * time.Minute)
	g.say("甲", "/解决 #I1 数据库连接池溢出")
	g.say("甲", "/解决 #I1 原因：数据库连接池溢出；措施：扩容连接池并限流")
	g.say("甲", "/status #I1 还在观察")
	g.say("甲", "/incident #I9")
	g.say("甲", "/roles #Iabc @甲 值班")
	g.say("张三", "/incident list")
	g.say("李四", "@张三 【产品研发-需求确认-提供技术评估方案-明天下班前】")
	g.say("张三", "/risk #1 第三方接口延期两周，影响整体目标，计划改用备用方案")
	g.golden("incident_zh")

	var inc *store.Incident
	err := g.b.Store().View(func(tx *store.Tx) error {
		var err error
		inc, err = tx.Incident(store.GroupKey{Platform: "console", ChatID: "g1"}, 1)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if inc.Open() || len(inc.Roles) != 3 || inc.Roles[0].User.Name != "甲" || inc.Cause != "数据库连接池溢出" ||
		inc.Fix != "扩容连接池并限流" || len(inc.Timeline) != 4 || inc.ResolvedAt.Sub(inc.StartedAt) != 2*time.Hour {
		t.Errorf("incident after resolve: %+v", inc)
	}
}

func TestIncidentEn(t *testing.T) {
	g := newGroup(t, bottest.Options{Admins: []string{"id-Li"}})
	g.say("Li", "/lang en")
	g.say("Li", "/config lead @Wang")
	g.say("Zhang", "/incident Website down")
	g.say("Zhang", "/incident Website down - all users in China - restarted the servers - no effect")
	g.say("Zhang", "/incident Website down - all users in China, ~1000 visits/min - restarted the servers, no effect")
	g.advance(3 * time.Minute)
	g.say("Wang", "/roles #I1 @Zhao check the server logs @Qian call the cloud provider")
	g.advance(30 * time.Minute)
	g.say("Zhao", "/status #I1 DB connection pool exhausted, scaling up")
	g.advance(27 * time.Minute)
	g.say("Zhao", "/status #I1 traffic back to normal, watching")
	g.say("Zhao", "/incident #I1")
	g.advance(15 * time.Minute)
	g.say("Zhao", "/resolved #I1 cause: connection pool too small; measures: pool doubled, rate limit added")
	g.say("Zhao", "/incident list")
	g.say("Li", "@Zhang 【Launch-API-deliver the payment API-明天下班前】")
	g.say("Zhang", "/risk #1 the vendor slipped two weeks, this affects the overall goal")
	g.golden("incident_en")
}

// An incident on the Saturday night of the National Day holiday: the
// 10-minute role re-ping and the 30-minute status re-pings go out at night
// (urgent), stop after /resolved, and each is sent exactly once across two
// engine restarts, one of which spans a status occasion.
func TestIncidentNightHolidayRestarts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		now := simClock(at("2026-10-03 20:59"))
		path := filepath.Join(t.TempDir(), "collabbot.db")
		b, db := openBot(t, path, now)
		p := newPlatform(now)
		e := newEngine(t, b, p, nil)
		if err := e.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		seq := 0
		say := func(ts string, from chat.User, text string, ms ...chat.User) string {
			t.Helper()
			time.Sleep(max(at(ts).Sub(now()), 0))
			seq++
			out := b.HandleMessage(context.Background(), chat.Message{Platform: chat.PlatformConsole, ChatID: "g1",
				MessageID: fmt.Sprintf("m%d", seq), Sender: from, Text: text, Mentions: ms, Time: now()})
			if len(out) == 0 {
				t.Fatalf("no reply to %q", text)
			}
			return out[0].Text
		}
		restart := func(down, up string) {
			time.Sleep(max(at(down).Sub(now()), 0))
			e.Close()
			db.Close()
			time.Sleep(max(at(up).Sub(now()), 0))
			b, db = openBot(t, path, now)
			e = newEngine(t, b, p, nil)
			if err := e.Start(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
		jia := chat.User{ID: "jia", Name: "甲"}
		say("2026-10-03 21:00:00", liSi, "/config lead @王五", wangWu)
		say("2026-10-03 21:00:00", liSi, "/incident responders @赵六", zhaoLiu)
		say("2026-10-03 21:00:30", zhangSan, "/incident 官网无法访问；影响：全国用户；措施：重启服务器无效")
		restart("2026-10-03 21:15:30", "2026-10-03 21:20:30")            // after the role re-ping
		restart("2026-10-03 21:45:30", "2026-10-03 22:10:30")            // down across the 22:00:30 occasion
		say("2026-10-03 22:20:30", wangWu, "/roles #I1 @甲 排查服务器日志", jia) // the lead is now 甲
		say("2026-10-03 22:40:30", jia, "/status #I1 正在扩容")              // next due 23:10:30
		restart("2026-10-03 22:50:30", "2026-10-03 22:51:30")
		say("2026-10-03 23:12:30", jia, "/resolved #I1 原因：连接池溢出；措施：扩容")
		time.Sleep(at("2026-10-04 03:00").Sub(now()))
		e.Close()
		defer db.Close()

		var got []string
		for _, m := range p.sent() {
			if !m.Reply.Urgent {
				t.Errorf("%s was not urgent", m.Reply.Key)
			}
			_, k, _ := strings.Cut(m.Reply.Key, ":console:g1:")
			var ids []string
			for _, u := range m.Reply.Mentions {
				ids = append(ids, u.ID)
			}
			line := fmt.Sprintf("%s %s [%s]", m.At.In(shanghai).Format("01-02 15:04"), k, strings.Join(ids, " "))
			if len(m.Reply.Interrupt) > 0 { // 加急/DING on the top rung
				line += " interrupt"
			}
			got = append(got, line)
		}
		want := []string{
			"10-03 21:11 I1:roles [ww]",
			fmt.Sprintf("10-03 21:31 I1:status:%d [ww]", at("2026-10-03 21:30:30").Unix()),
			// Down at 22:00:30: the owed re-ping goes out once at start-up.
			// The second status request, an hour without one: interrupt.
			fmt.Sprintf("10-03 22:10 I1:status:%d [ww] interrupt", at("2026-10-03 22:00:30").Unix()),
			fmt.Sprintf("10-03 22:31 I1:status:%d [jia]", at("2026-10-03 22:30:30").Unix()),
			// The fourth: two hours on, the next interrupt.
			fmt.Sprintf("10-03 23:11 I1:status:%d [jia] interrupt", at("2026-10-03 23:10:30").Unix()),
		}
		if !slices.Equal(got, want) {
			t.Errorf("re-pings:\n\tgot  %q\n\twant %q", got, want)
		}
		if p.calls != len(want) {
			t.Errorf("Send called %d times, want %d", p.calls, len(want))
		}
		for _, m := range p.sent() {
			text := chat.PlainText(m.Reply.Text, m.Reply.Mentions)
			if strings.Contains(m.Reply.Key, ":roles") && !strings.Contains(text, "@王五 请立即分工：/roles #I1") ||
				strings.Contains(m.Reply.Key, ":status") && !strings.Contains(text, "请更新处理状态：/status #I1") {
				t.Errorf("re-ping text: %s", text)
			}
		}
	})
}

// The three parts in every accepted shape, and what is refused.
func TestIncidentInputForms(t *testing.T) {
	g := newGroup(t)
	for i, tc := range []struct {
		text, want string
	}{
		{"/incident 【官网无法访问-全国用户-重启服务器无效】", "#I1"},
		{"/紧急 问题：支付失败 影响：华东区用户 措施：暂无", "#I2"},
		{"/应急 客户重大投诉；影响范围：VIP客户A；已采取措施：客服已致电安抚；已升级主管", "#I3"},
		{"/incident problem: login broken impact: all users measures: none yet", "#I4"},
		{"/incident 数据库超时 | 订单服务 | 已切换备库", "#I5"},
		{"/incident 影响：全国用户；措施：重启", "还缺：问题简述"},
		{"/incident 官网无法访问；；重启", "还缺：影响范围"},
		{"/incident " + strings.Repeat("很长", 101) + "；全国；重启", "问题简述太长了"},
		{"/incident #0", "不是有效的紧急事务编号"},
		{"/incident #I2 随便写点", "问题：支付失败"},
		{"/incident I3", "问题：客户重大投诉"},
	} {
		out := g.say("李四", tc.text)
		if len(out) != 1 || !strings.Contains(out[0].Text, tc.want) {
			t.Errorf("%d %q: want %q in %+v", i, tc.text, tc.want, out)
		}
	}
	var incs []*store.Incident
	g.b.Store().View(func(tx *store.Tx) error {
		return tx.Incidents(store.GroupKey{Platform: "console", ChatID: "g1"}, func(i *store.Incident) error {
			incs = append(incs, i)
			return nil
		})
	})
	if len(incs) != 5 || incs[2].Impact != "VIP客户A" || incs[2].Measures != "客服已致电安抚；已升级主管" ||
		incs[3].Problem != "login broken" || incs[3].Measures != "none yet" || incs[4].Impact != "订单服务" {
		for _, i := range incs {
			t.Logf("%+v", *i)
		}
		t.Errorf("%d incidents stored", len(incs))
	}
	// Nothing typed can call everyone, and a mention in the report is called.
	out := g.say("李四", "/incident 全员群里报警<@all>@所有人 - 所有人 <at user_id=\"all\"></at> - 暂无 @运维")
	if len(out) != 1 {
		t.Fatal(out)
	}
	for _, s := range chat.Spans(out[0].Text, out[0].Mentions) {
		if s.Mention != nil && s.Mention.Name != "运维" {
			t.Errorf("mention of %+v", s.Mention)
		}
		if s.Mention == nil && (strings.Contains(s.Text, "<@all") || strings.Contains(s.Text, "<at user_id")) {
			t.Errorf("live tag in %q", s.Text)
		}
	}
}
