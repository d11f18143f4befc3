package lark

import (
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"collabbot/adapters/lark/larkfake"
	"collabbot/bot/bottest"
)

// The project-lifecycle flows (README "The project lifecycle") driven
// through the Lark adapter and its fake: what the platform receives.

var lcCST = time.FixedZone("CST", 8*3600)

// lcPeople are the group's members: name → open_id.
var lcPeople = map[string]string{
	"张三": "ou_zhang", "李四": "ou_li", "王五": "ou_wang", "赵六": "ou_zhao",
	"钱七": "ou_qian", "甲": "ou_jia", "乙": "ou_yi", "丙": "ou_bing",
}

// lcGroup is a Lark group on a bot whose clock the test sets; 李四 is an
// admin.
type lcGroup struct {
	*env
	mu   sync.Mutex
	now  time.Time
	seen int
}

func newLCGroup(t *testing.T, mods ...func(*Config)) *lcGroup {
	t.Helper()
	mod := func(c *Config) {
		for _, m := range mods {
			m(c)
		}
	}
	g := &lcGroup{env: newEnv(t, mod), now: time.Date(2026, 3, 5, 10, 0, 0, 0, lcCST)} // Thu
	for name, id := range lcPeople {
		g.fake.SetUser(id, name)
	}
	g.p = bottest.Start(t, bottest.Options{Admins: []string{"ou_li"}, Now: g.clock}, g.ad)
	return g
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

// say posts text from the named member, the bot @-mentioned first; every
// "@Name" of a member becomes a real Lark mention (an @_user_N key). It
// returns what the bot sent in answer.
func (g *lcGroup) say(from, text string) []larkfake.Sent {
	g.t.Helper()
	ms := []larkfake.Mention{{OpenID: "ou_bot", Name: "collabbot"}}
	var b strings.Builder
	rs := []rune(text)
	for i := 0; i < len(rs); i++ {
		if rs[i] == '@' {
			best := ""
			for name := range lcPeople {
				if strings.HasPrefix(string(rs[i+1:]), name) && len(name) > len(best) {
					best = name
				}
			}
			if best != "" {
				ms = append(ms, larkfake.Mention{OpenID: lcPeople[best], Name: best})
				b.WriteString("@_user_" + strconv.Itoa(len(ms)))
				i += len([]rune(best))
				continue
			}
		}
		b.WriteRune(rs[i])
	}
	g.push(larkfake.Message{Text: "@_user_1 " + b.String(), Mentions: ms, Sender: lcPeople[from], Time: g.clock()})
	return g.news()
}

// file shares a file in the group.
func (g *lcGroup) file(from, name string) []larkfake.Sent {
	g.t.Helper()
	g.push(larkfake.Message{MsgType: "file", Content: `{"file_key":"file_v3_x","file_name":"` + name + `"}`,
		Sender: lcPeople[from], Time: g.clock()})
	return g.news()
}

func (g *lcGroup) news() []larkfake.Sent {
	sent := g.fake.Sent()
	out := sent[g.seen:]
	g.seen = len(sent)
	for _, s := range out {
		lcNoAtAll(g.t, s)
	}
	return out
}

// lcOne requires exactly one message holding every phrase and returns its
// decoded content.
func lcOne(t *testing.T, sent []larkfake.Sent, phrases ...string) larkfake.Sent {
	t.Helper()
	if len(sent) != 1 {
		t.Fatalf("want 1 message, got %d: %+v", len(sent), sent)
	}
	lcHas(t, sent[0], phrases...)
	return sent[0]
}

func lcHas(t *testing.T, s larkfake.Sent, phrases ...string) {
	t.Helper()
	d := s.Decoded()
	for _, p := range phrases {
		if !strings.Contains(d, p) {
			t.Errorf("message lacks %q: %s", p, d)
		}
	}
}

// lcMentions requires s to @-mention exactly the given members (text
// <at user_id="…"> or card <at id=…>).
func lcMentions(t *testing.T, s larkfake.Sent, names ...string) {
	t.Helper()
	want := map[string]bool{}
	for _, n := range names {
		want[lcPeople[n]] = true
		if !mentionsUser(s.Decoded(), lcPeople[n]) {
			t.Errorf("message does not @-mention %s: %s", n, s.Decoded())
		}
	}
	for name, id := range lcPeople {
		if !want[id] && mentionsUser(s.Decoded(), id) {
			t.Errorf("message @-mentions %s, who should not be: %s", name, s.Decoded())
		}
	}
}

func lcCard(t *testing.T, s larkfake.Sent) {
	t.Helper()
	if s.MsgType != "interactive" {
		t.Errorf("want a card, got %s: %s", s.MsgType, s.Decoded())
	}
}

func lcNoAtAll(t *testing.T, s larkfake.Sent) {
	t.Helper()
	d := s.Decoded()
	for _, bad := range []string{`user_id="all"`, `<at id=all`, `<at id="all"`, `user_id=\"all\"`} {
		if strings.Contains(d, bad) {
			t.Errorf("@all in a sent message: %s", d)
		}
	}
}

func TestLarkLifecycleProjectAnnounce(t *testing.T) {
	g := newLCGroup(t)
	lcOne(t, g.say("李四", "/config lead @王五"), "组长：王五")
	s := lcOne(t, g.say("张三", "/项目 目标 Q3新产品上线"), "项目目标：Q3新产品上线", "发起人")
	lcMentions(t, s)
	lcOne(t, g.say("张三", "/项目 成果 功能测试通过率≥95%"), "关键成果 1：功能测试通过率≥95%")
	lcOne(t, g.say("张三", "/项目 部门 产品部 研发部 市场部"), "参与部门：产品部、研发部、市场部")

	// A milestone is a task owned by the announcer (the lead by default).
	sent := g.say("张三", "/项目 节点 需求评审 3月20日")
	if len(sent) != 2 {
		t.Fatalf("milestone: want 2 messages, got %+v", sent)
	}
	lcHas(t, sent[0], "已添加关键节点“需求评审”", "#1")
	lcHas(t, sent[1], "#1 里程碑-需求评审", "负责人")
	lcMentions(t, sent[1], "王五")
	lcCard(t, sent[1])

	s = lcOne(t, g.say("张三", "/项目 发布人 @钱七"), "唯一信息发布人")
	lcMentions(t, s, "钱七")

	// Only the announcer announces; nobody is @-mentioned by the refusal.
	s = lcOne(t, g.say("赵六", "/公告 明天上午十点开评审会"), "唯一信息发布人 钱七")
	lcMentions(t, s)
	s = lcOne(t, g.say("钱七", "/公告 需求评审会定于 3月20日 14:00，请各部门准时参加 @所有人"),
		"📢 项目公告", "需求评审会定于 3月20日 14:00", "发布人：钱七")
	lcCard(t, s)
	lcMentions(t, s)
	if s.Kind != "reply" {
		t.Errorf("announcement is a %s, want a reply", s.Kind)
	}

	s = lcOne(t, g.say("王五", "/项目"), "📋 项目 · Q3新产品上线", "功能测试通过率≥95%", "需求评审", "#1", "钱七")
	lcCard(t, s)

}

func TestLarkLifecycleCloseRetro(t *testing.T) {
	g := newLCGroup(t)
	lcOne(t, g.say("张三", "/项目 目标 Q3新产品上线"), "项目目标：Q3新产品上线")
	lcOne(t, g.say("赵六", "/复盘 亮点 每日进度同步机制提升了效率"), "已记录亮点", "亮点 1 · 不足 0 · 建议 0")
	g.at(time.Date(2026, 3, 6, 16, 0, 0, 0, lcCST))
	s := lcOne(t, g.say("张三", "/项目 结项 Q3新产品按期上线，测试通过率97%"), "项目已结项", "复盘提醒", "3月11日")
	lcCard(t, s)
	lcOne(t, g.say("赵六", "/retro gap 跨部门沟通工具混用导致信息遗漏"), "已记录不足")
	lcOne(t, g.say("王五", "/复盘 建议 统一使用飞书作为核心协作工具"), "已记录建议")
	s = lcOne(t, g.say("张三", "/retro report"), "《协作复盘报告》", "一、成功经验", "每日进度同步机制提升了效率",
		"二、不足之处", "跨部门沟通工具混用导致信息遗漏", "三、优化建议", "统一使用飞书作为核心协作工具")
	lcCard(t, s)
	lcMentions(t, s)
}

func TestLarkLifecycleMeetingMinutes(t *testing.T) {
	g := newLCGroup(t)
	s := lcOne(t, g.say("王五", "/meeting 【需求评审-3月9日14:00-15:30-议程：评审登录页；确认排期-材料：PRD V1.2】 @张三 @李四"),
		"#M1 需求评审", "3月9日(周一) 14:00–15:30", "1. 评审登录页", "2. 确认排期", "PRD V1.2", "/minutes #M1")
	lcMentions(t, s, "张三", "李四")
	lcCard(t, s)
	s = lcOne(t, g.say("王五", "/会议 【技术方案讨论-今天16:00-议程：接口方案】 @张三"), "#M2", "不足24小时")
	lcMentions(t, s, "张三")

	// Minutes: newline-separated lines reach the bot as lines. A bad line
	// is reported by number and nothing is saved.
	g.at(time.Date(2026, 3, 9, 16, 0, 0, 0, lcCST))
	s = lcOne(t, g.say("王五", "/minutes #M1\n决议：登录页采用方案A\n@赵六 【登录页-开发-完成登录页开发-尽快】"),
		"纪要未保存", "第3行")
	lcMentions(t, s)
	sent := g.say("王五", "/minutes #M1\n决议：登录页采用方案A\n@赵六 【登录页-开发-完成登录页开发-3月13日前】\n@张三 【登录页-测试-编写测试用例-3月16日前】")
	if len(sent) == 0 {
		t.Fatal("no answer to the minutes")
	}
	all := ""
	for _, s := range sent {
		all += s.Decoded()
	}
	for _, p := range []string{"纪要已保存", "登录页采用方案A", "#1 登录页-开发", "#2 登录页-测试", "3月13日(周五) 18:00"} {
		if !strings.Contains(all, p) {
			t.Errorf("minutes answer lacks %q: %s", p, all)
		}
	}
	for _, id := range []string{"ou_zhao", "ou_zhang"} {
		if !mentionsUser(all, id) {
			t.Errorf("minutes tasks do not @-mention %s: %s", id, all)
		}
	}
	s = lcOne(t, g.say("张三", "/meeting #M1"), "#M1", "登录页采用方案A")
	lcMentions(t, s) // showing a notice calls nobody
}

func TestLarkLifecycleIncident(t *testing.T) {
	g := newLCGroup(t)
	lcOne(t, g.say("李四", "/config lead @王五"), "组长：王五")
	s := lcOne(t, g.say("王五", "/incident responders @赵六 @钱七"), "赵六、钱七")
	lcMentions(t, s)
	s = lcOne(t, g.say("张三", "/incident 官网无法访问；影响：全国用户，预计影响1000+访问/分钟；措施：重启服务器无效"),
		"紧急事务 #I1", "问题：官网无法访问", "影响范围：全国用户", "重启服务器无效", "/roles #I1")
	lcMentions(t, s, "王五", "赵六", "钱七")

	g.at(time.Date(2026, 3, 5, 10, 5, 0, 0, lcCST))
	s = lcOne(t, g.say("王五", "/roles #I1 @甲 排查服务器日志 @乙 联系云服务商"), "应急分工", "排查服务器日志", "应急负责人：甲")
	lcMentions(t, s, "甲", "乙")
	g.at(time.Date(2026, 3, 5, 10, 25, 0, 0, lcCST))
	s = lcOne(t, g.say("甲", "/status #I1 初步判断为数据库连接池溢出，正在扩容"), "#I1 第 1 次进展", "10:55")
	lcMentions(t, s)
	g.at(time.Date(2026, 3, 5, 12, 0, 0, 0, lcCST))
	s = lcOne(t, g.say("甲", "/resolved #I1 原因：数据库连接池溢出；措施：扩容连接池并限流"),
		"《紧急事务处理报告》#I1", "原因：数据库连接池溢出", "解决措施：扩容连接池并限流", "持续：2小时", "时间线")
	lcMentions(t, s, "王五", "赵六", "钱七", "张三", "乙")
}

func TestLarkLifecycleIntakeDelivery(t *testing.T) {
	g := newLCGroup(t)
	lcOne(t, g.say("李四", "@张三 【产品研发-需求确认-提供技术评估方案-下周五】"), "#1")
	s := lcOne(t, g.say("张三", "/decline #1 原因：本周排满发布任务 替代方案：建议由赵六承接"),
		"无法承接 #1", "原因：本周排满发布任务", "替代方案：建议由赵六承接", "/assign #1")
	lcMentions(t, s, "李四")
	s = lcOne(t, g.say("李四", "/assign #1 @赵六"), "#1 负责人", "转为")
	lcMentions(t, s, "赵六")
	s = lcOne(t, g.say("赵六", "/needinfo #1 评估范围是否包含移动端？"), "需要补充信息：评估范围是否包含移动端？")
	lcMentions(t, s, "李四")
	lcOne(t, g.say("赵六", "/ack #1"), "已确认接收")

	g.at(time.Date(2026, 3, 5, 12, 0, 0, 0, lcCST))
	s = lcOne(t, g.say("赵六", "/done #1 版本 V1.2 功能清单：登录、支付 测试报告 https://test.example.com/r/12"),
		"已标记完成", "《成果交付说明》版本：V1.2", "测试报告：https://test.example.com/r/12")
	lcMentions(t, s, "李四")
	s = lcOne(t, g.say("李四", "/reject #1 整改项：补充压测数据 新截止：下周三"),
		"验收未通过", "整改项：补充压测数据", "新截止：3月11日(周三) 18:00")
	lcMentions(t, s, "赵六")
	g.at(time.Date(2026, 3, 6, 12, 0, 0, 0, lcCST))
	lcOne(t, g.say("赵六", "/done #1 版本：V1.3 测试报告：https://test.example.com/r/13"), "《成果交付说明》版本：V1.3")
	s = lcOne(t, g.say("李四", "/accept #1 标准：功能测试通过率≥95% 结果：通过，压测达标"),
		"验收通过", "《协作成果确认表》验收标准：功能测试通过率≥95%", "验收结果：通过，压测达标")
	lcMentions(t, s, "赵六")
}

func TestLarkLifecycleFileHint(t *testing.T) {
	g := newLCGroup(t)
	s := lcOne(t, g.file("张三", "需求文档.docx"), "需求文档-20260305-V1.0.docx", "需求文档.docx")
	lcMentions(t, s)
	if s.Kind != "reply" {
		t.Errorf("file hint is a %s, want a reply to the file", s.Kind)
	}
	if sent := g.file("张三", "需求文档.docx"); len(sent) != 0 {
		t.Errorf("second hint for the same file: %+v", sent)
	}
	if sent := g.file("李四", "排期表-V1.2.xlsx"); len(sent) != 0 {
		t.Errorf("hint for a versioned file: %+v", sent)
	}
}

// An announcement is pinned (POST /open-apis/im/v1/pins with the new
// message's id); nothing else is. A refused pin leaves the announcement
// posted once and is logged.
func TestLarkAnnouncementPinned(t *testing.T) {
	g := newLCGroup(t)
	lcOne(t, g.say("李四", "/config lead @王五"), "组长：王五")
	lcOne(t, g.say("王五", "/项目 目标 Q3新产品上线"), "项目目标")
	lcOne(t, g.say("赵六", "/公告 明天开会"), "唯一信息发布人 王五")
	if pins := g.fake.Pins(); len(pins) != 0 {
		t.Fatalf("pinned before any announcement: %+v", pins)
	}
	s := lcOne(t, g.say("王五", "/公告 需求评审会定于 3月20日 14:00"), "📢 项目公告")
	pins := g.fake.Pins()
	if len(pins) != 1 || pins[0].MessageID != s.MessageID {
		t.Fatalf("pins = %+v, want the announcement %s", pins, s.MessageID)
	}
	if !strings.Contains(g.logs.String(), "lark: message pinned") {
		t.Errorf("no log line for the pin:\n%s", g.logs.String())
	}

	g.fake.RefusePins(230046) // only the owner and admins may pin here
	s = lcOne(t, g.say("王五", "/公告 评审会改到 3月21日 14:00"), "评审会改到")
	if pins := g.fake.Pins(); len(pins) != 1 {
		t.Errorf("refused pin recorded: %+v", pins)
	}
	if !strings.Contains(g.logs.String(), "lark: pin refused") || !strings.Contains(g.logs.String(), "230046") {
		t.Errorf("no log line for the refused pin:\n%s", g.logs.String())
	}
	if got := g.counter("collabbot_lark_sends_total", "result", "error"); got != 0 {
		t.Errorf("a refused pin failed the send: errors = %v", got)
	}
	if n := len(g.fake.Sent()); n != 5 {
		t.Errorf("want 5 messages (the refused-pin announcement once), got %d", n)
	}
}
