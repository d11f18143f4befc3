package dingtalk

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"collabbot/adapters/dingtalk/dingfake"
	"collabbot/bot/bottest"
)

// The project-lifecycle flows (README "The project lifecycle") driven
// through the DingTalk adapter and its fake, with and without a card
// template: what the platform receives.

var lcCST = time.FixedZone("CST", 8*3600)

// lcStaff are the group's members: name → staffId.
var lcStaff = map[string]string{
	"张三": "zhangsan01", "李四": "lisi01", "王五": "wangwu01", "赵六": "zhaoliu01",
	"钱七": "qianqi01", "甲": "jia01", "乙": "yi01",
}

type lcGroup struct {
	*env
	card bool // a card template is configured
	mu   sync.Mutex
	now  time.Time
	seen int
	seq  int
}

// lcRun runs f on a group without a card template (replies through the
// session webhook) and on one with a template (cards). 李四 is an admin.
func lcRun(t *testing.T, f func(t *testing.T, g *lcGroup)) {
	for _, card := range []bool{false, true} {
		name := "markdown"
		if card {
			name = "card"
		}
		t.Run(name, func(t *testing.T) {
			g := &lcGroup{card: card, now: time.Date(2026, 3, 5, 10, 0, 0, 0, lcCST)} // Thu
			g.env = newEnv(t, func(c *Config) {
				if card {
					c.CardTemplateID = testTemplate
				}
			})
			g.p = bottest.Start(t, bottest.Options{Admins: []string{"lisi01"}, Now: g.clock}, g.a)
			f(t, g)
		})
	}
}

func (g *lcGroup) clock() time.Time {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.now
}

func (g *lcGroup) at(t time.Time) {
	g.mu.Lock()
	g.now = t
	g.mu.Unlock()
}

// say posts text from the named member as DingTalk delivers it (the
// robot's @ removed); every "@Name" of a member is in atUsers, in order.
// It returns what the bot sent in answer.
func (g *lcGroup) say(from, text string) []dingfake.Sent {
	g.t.Helper()
	var at []dingfake.AtUser
	for _, w := range strings.Fields(text) {
		if id, ok := lcStaff[strings.TrimPrefix(w, "@")]; ok && strings.HasPrefix(w, "@") {
			at = append(at, dingfake.AtUser{DingtalkID: "$:LWCP_v1:$" + id, StaffID: id})
		}
	}
	g.seq++
	g.push(dingfake.BotMessage{MsgID: fmt.Sprintf("lc%04d", g.seq),
		Text: " " + text, AtUsers: at, SenderStaffID: lcStaff[from], SenderNick: from, CreateAt: g.clock()})
	sent := g.settle()
	out := sent[g.seen:]
	g.seen = len(sent)
	for _, s := range out {
		lcNoAtAll(g.t, s)
	}
	return out
}

func lcOne(t *testing.T, sent []dingfake.Sent, phrases ...string) dingfake.Sent {
	t.Helper()
	if len(sent) != 1 {
		t.Fatalf("want 1 message, got %d: %+v", len(sent), sent)
	}
	lcHas(t, sent[0], phrases...)
	return sent[0]
}

func lcHas(t *testing.T, s dingfake.Sent, phrases ...string) {
	t.Helper()
	for _, p := range phrases {
		// A card's title is a card parameter of its own.
		if !strings.Contains(s.Title+"\n"+s.Text, p) {
			t.Errorf("%s message lacks %q: %s\n%s", s.Via, p, s.Title, s.Text)
		}
	}
}

// lcMentions requires s to @-mention exactly the given members: in
// at.atUserIds (webhook, OpenAPI) or the card's atUserIds, and in the body.
func (g *lcGroup) lcMentions(t *testing.T, s dingfake.Sent, names ...string) {
	t.Helper()
	var want []string
	for _, n := range names {
		id := lcStaff[n]
		want = append(want, id)
		body := "@" + id
		if s.Via == "card" {
			body = "@" + n
			if s.AtNames[id] != n {
				t.Errorf("card atUserIds %v lack %s:%s", s.AtNames, id, n)
			}
		}
		if !strings.Contains(s.Text, body) {
			t.Errorf("%s body lacks %s: %s", s.Via, body, s.Text)
		}
	}
	got := slices.Clone(s.AtUserIDs)
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("%s atUserIds = %v, want %v", s.Via, s.AtUserIDs, want)
	}
}

// lcVia checks that a card reply is a card when a template is configured.
func (g *lcGroup) lcVia(t *testing.T, s dingfake.Sent) {
	t.Helper()
	if g.card && s.Via != "card" {
		t.Errorf("with a template, want a card, got %s", s.Via)
	}
	if !g.card && s.Via == "card" {
		t.Errorf("without a template, got a card")
	}
}

func lcNoAtAll(t *testing.T, s dingfake.Sent) {
	t.Helper()
	if strings.Contains(s.Raw, `"isAtAll":true`) || strings.Contains(s.Text, "@所有人") {
		t.Errorf("@all in %s message: %s", s.Via, s.Raw)
	}
	for _, id := range s.AtUserIDs {
		if l := strings.ToLower(id); l == "all" || l == "@all" || id == "所有人" {
			t.Errorf("@all in atUserIds of %s message: %s", s.Via, s.Raw)
		}
	}
}

func TestDingTalkLifecycleProjectAnnounce(t *testing.T) {
	lcRun(t, func(t *testing.T, g *lcGroup) {
		lcOne(t, g.say("李四", "/config lead @王五"), "组长：王五")
		s := lcOne(t, g.say("张三", "/项目 目标 Q3新产品上线"), "项目目标：Q3新产品上线", "发起人")
		g.lcMentions(t, s)
		lcOne(t, g.say("张三", "/项目 成果 功能测试通过率≥95%"), "关键成果 1：功能测试通过率≥95%")
		lcOne(t, g.say("张三", "/项目 部门 产品部 研发部 市场部"), "参与部门：产品部、研发部、市场部")

		sent := g.say("张三", "/项目 节点 需求评审 3月20日")
		if len(sent) != 2 {
			t.Fatalf("milestone: want 2 messages, got %+v", sent)
		}
		lcHas(t, sent[0], "已添加关键节点“需求评审”", "#1")
		lcHas(t, sent[1], "#1 里程碑-需求评审")
		g.lcMentions(t, sent[1], "王五")
		g.lcVia(t, sent[1])

		s = lcOne(t, g.say("张三", "/项目 发布人 @钱七"), "唯一信息发布人")
		g.lcMentions(t, s, "钱七")
		s = lcOne(t, g.say("赵六", "/公告 明天上午十点开评审会"), "唯一信息发布人 钱七")
		g.lcMentions(t, s)
		s = lcOne(t, g.say("钱七", "/公告 需求评审会定于 3月20日 14:00，请各部门准时参加 @所有人"),
			"项目公告", "需求评审会定于 3月20日 14:00", "发布人：钱七")
		g.lcMentions(t, s)
		g.lcVia(t, s)
		s = lcOne(t, g.say("王五", "/项目"), "项目 · Q3新产品上线", "功能测试通过率≥95%", "需求评审", "钱七")
		g.lcVia(t, s)
	})
}

func TestDingTalkLifecycleCloseRetro(t *testing.T) {
	lcRun(t, func(t *testing.T, g *lcGroup) {
		lcOne(t, g.say("张三", "/项目 目标 Q3新产品上线"), "项目目标：Q3新产品上线")
		lcOne(t, g.say("赵六", "/复盘 亮点 每日进度同步机制提升了效率"), "已记录亮点")
		g.at(time.Date(2026, 3, 6, 16, 0, 0, 0, lcCST))
		s := lcOne(t, g.say("张三", "/项目 结项 Q3新产品按期上线，测试通过率97%"), "项目已结项", "3月11日")
		g.lcVia(t, s)
		lcOne(t, g.say("赵六", "/retro gap 跨部门沟通工具混用导致信息遗漏"), "已记录不足")
		lcOne(t, g.say("王五", "/复盘 建议 统一使用钉钉作为核心协作工具"), "已记录建议")
		s = lcOne(t, g.say("张三", "/retro report"), "《协作复盘报告》", "一、成功经验", "每日进度同步机制提升了效率",
			"二、不足之处", "三、优化建议", "统一使用钉钉作为核心协作工具")
		g.lcMentions(t, s)
		g.lcVia(t, s)
	})
}

func TestDingTalkLifecycleMeetingMinutes(t *testing.T) {
	lcRun(t, func(t *testing.T, g *lcGroup) {
		s := lcOne(t, g.say("王五", "/meeting 【需求评审-3月9日14:00-15:30-议程：评审登录页；确认排期-材料：PRD V1.2】 @张三 @李四"),
			"#M1 需求评审", "14:00–15:30", "评审登录页", "确认排期", "/minutes #M1")
		g.lcMentions(t, s, "张三", "李四")

		// Newlines in the text content reach the bot: lines are numbered.
		g.at(time.Date(2026, 3, 9, 16, 0, 0, 0, lcCST))
		s = lcOne(t, g.say("王五", "/minutes #M1\n决议：登录页采用方案A\n@赵六 【登录页-开发-完成登录页开发-尽快】"), "纪要未保存", "第3行")
		g.lcMentions(t, s)
		sent := g.say("王五", "/minutes #M1\n决议：登录页采用方案A\n@赵六 【登录页-开发-完成登录页开发-3月13日前】\n@张三 【登录页-测试-编写测试用例-3月16日前】")
		if len(sent) != 1 {
			t.Fatalf("minutes: want 1 message, got %+v", sent)
		}
		lcHas(t, sent[0], "纪要已保存", "登录页采用方案A", "#1 登录页-开发", "#2 登录页-测试")
		g.lcMentions(t, sent[0], "赵六", "张三")
	})
}

func TestDingTalkLifecycleIncident(t *testing.T) {
	lcRun(t, func(t *testing.T, g *lcGroup) {
		lcOne(t, g.say("李四", "/config lead @王五"), "组长：王五")
		lcOne(t, g.say("王五", "/incident responders @赵六 @钱七"), "赵六、钱七")
		s := lcOne(t, g.say("张三", "/incident 官网无法访问；影响：全国用户；措施：重启服务器无效"),
			"紧急事务 #I1", "问题：官网无法访问", "影响范围：全国用户", "/roles #I1")
		g.lcMentions(t, s, "王五", "赵六", "钱七")
		g.at(time.Date(2026, 3, 5, 10, 5, 0, 0, lcCST))
		s = lcOne(t, g.say("王五", "/roles #I1 @甲 排查服务器日志 @乙 联系云服务商"), "应急分工", "应急负责人：甲")
		g.lcMentions(t, s, "甲", "乙")
		g.at(time.Date(2026, 3, 5, 10, 25, 0, 0, lcCST))
		s = lcOne(t, g.say("甲", "/status #I1 初步判断为数据库连接池溢出，正在扩容"), "#I1 第 1 次进展")
		g.lcMentions(t, s)
		g.at(time.Date(2026, 3, 5, 12, 0, 0, 0, lcCST))
		s = lcOne(t, g.say("甲", "/resolved #I1 原因：数据库连接池溢出；措施：扩容连接池并限流"),
			"《紧急事务处理报告》#I1", "原因：数据库连接池溢出", "解决措施：扩容连接池并限流", "持续：2小时")
		g.lcMentions(t, s, "王五", "赵六", "钱七", "张三", "乙")
	})
}

func TestDingTalkLifecycleIntakeDelivery(t *testing.T) {
	lcRun(t, func(t *testing.T, g *lcGroup) {
		lcOne(t, g.say("李四", "@张三 【产品研发-需求确认-提供技术评估方案-下周五】"), "#1")
		s := lcOne(t, g.say("张三", "/decline #1 原因：本周排满发布任务 替代方案：建议由赵六承接"),
			"无法承接 #1", "原因：本周排满发布任务", "替代方案：建议由赵六承接")
		g.lcMentions(t, s, "李四")
		s = lcOne(t, g.say("李四", "/assign #1 @赵六"), "转为")
		g.lcMentions(t, s, "赵六")
		s = lcOne(t, g.say("赵六", "/needinfo #1 评估范围是否包含移动端？"), "需要补充信息：评估范围是否包含移动端？")
		g.lcMentions(t, s, "李四")
		lcOne(t, g.say("赵六", "/ack #1"), "已确认接收")
		g.at(time.Date(2026, 3, 5, 12, 0, 0, 0, lcCST))
		s = lcOne(t, g.say("赵六", "/done #1 版本 V1.2 功能清单：登录、支付 测试报告 https://test.example.com/r/12"),
			"已标记完成", "《成果交付说明》版本：V1.2")
		g.lcMentions(t, s, "李四")
		s = lcOne(t, g.say("李四", "/reject #1 整改项：补充压测数据 新截止：下周三"), "整改项：补充压测数据", "3月11日(周三) 18:00")
		g.lcMentions(t, s, "赵六")
		g.at(time.Date(2026, 3, 6, 12, 0, 0, 0, lcCST))
		lcOne(t, g.say("赵六", "/done #1 版本：V1.3 测试报告：https://test.example.com/r/13"), "《成果交付说明》版本：V1.3")
		s = lcOne(t, g.say("李四", "/accept #1 标准：功能测试通过率≥95% 结果：通过，压测达标"),
			"验收通过", "《协作成果确认表》验收标准：功能测试通过率≥95%", "验收结果：通过，压测达标")
		g.lcMentions(t, s, "赵六")
	})
}
