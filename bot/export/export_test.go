package export_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"collabbot/bot"
	"collabbot/bot/bottest"
	"collabbot/bot/chat"
	"collabbot/bot/export"
	"collabbot/store"
)

// The seed guides' column lists, as written there (hints in brackets and
// the guides' * marks included).
var seedColumns = map[string][]string{
	// 000 模板2:跨平台任务跟踪表
	export.KeyTask: {"任务名称", "来源(如客户/内部需求)", "负责人*", "协作平台", "关键节点(如需求确认/开发/测试)", "完成情况(百分比)", "备注(如风险/依赖)"},
	// 000 模板1:跨平台通讯协作记录表
	export.KeyComm: {"协作主题", "参与方(部门/人名*)", "沟通时间", "沟通平台(如企业/飞书)", "内容摘要(含需求/决议)", "待办事项", "负责人*", "截止时间", "完成状态(进行中/已完成/延期)"},
	// 004 沟通事项跟踪表
	export.KeyIssue: {"协作编号", "发起部门", "协作事项", "对接人(发起方/协作方)", "需求背景与目标", "关键时间节点", "沟通记录(会议纪要/邮件摘要)", "当前进度", "反馈意见", "负责人", "备注"},
}

var reHint = regexp.MustCompile(`\(.*\)|\*`)

func seedHeader(key string) []string {
	var out []string
	for _, c := range seedColumns[key] {
		out = append(out, reHint.ReplaceAllString(c, ""))
	}
	return out
}

var cst = time.FixedZone("CST", 8*3600)

type script struct {
	t   *testing.T
	b   *bot.Bot
	now time.Time
	seq int
}

func (s *script) say(from, text string) {
	s.t.Helper()
	s.seq++
	var ms []chat.User
	for _, w := range strings.FieldsFunc(text, func(r rune) bool { return r == ' ' || r == '【' || r == '】' }) {
		if strings.HasPrefix(w, "@") && len(w) > 1 {
			n := strings.TrimPrefix(w, "@")
			ms = append(ms, chat.User{ID: "id-" + n, Name: n})
		}
	}
	m := chat.Message{Platform: "console", ChatID: "g1", MessageID: fmt.Sprintf("m%d", s.seq),
		Sender: chat.User{ID: "id-" + from, Name: from}, Text: text, Mentions: ms, Time: s.now}
	if rs := s.b.HandleMessage(context.Background(), m); len(rs) == 0 {
		s.t.Fatalf("%s: %q got no reply", from, text)
	}
}

var key = store.GroupKey{Platform: "console", ChatID: "g1"}

// seeded builds a group through the real bot from Thu 2026-03-05 10:00
// and returns what export.Load reads from it.
func seeded(t *testing.T) export.Input {
	s := &script{t: t, now: time.Date(2026, 3, 5, 10, 0, 0, 0, cst)}
	s.b = bottest.New(t, bottest.Options{Now: func() time.Time { return s.now }})
	s.say("李四", "@张三 @王五 【产品研发-需求确认-提供技术评估方案-明天】")
	s.say("李四", "@王五 【市场-调研-整理竞品资料-3月20日】")
	s.say("李四", "@赵六 【市场-投放-确认投放渠道-3月25日】")
	s.now = s.now.Add(30 * time.Minute)
	s.say("张三", "/ack #1")
	s.say("张三", "/update #1 60% 接口开发中")
	s.say("张三", "/risk #1 等待客户A提供加密密钥，已发邮件催")
	s.say("张三", "【需协助】#1 缺少测试账号 @李四")
	s.say("王五", "/done #2")
	s.say("李四", "/reject #2 缺少价格对比")
	s.say("李四", "/cancel #3 需求取消")
	s.now = s.now.Add(24 * time.Hour) // Fri 03-06 10:30
	s.say("张三", "/delay #1 下周五 客户延迟提供密钥")
	s.say("李四", "/approve #1")
	s.say("王五", "/done #2")
	s.say("李四", "/accept #2")
	var in export.Input
	err := s.b.Store().View(func(tx *store.Tx) error {
		var err error
		in, err = export.Load(tx, key, cst, time.Date(2026, 3, 12, 10, 0, 0, 0, cst))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return in
}

func TestXLSX(t *testing.T) {
	in := seeded(t)
	var buf bytes.Buffer
	if err := export.WriteXLSX(&buf, export.Tables(in)); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got, want := strings.Join(f.GetSheetList(), ","), "跨平台任务跟踪表,跨平台通讯协作记录表,沟通事项跟踪表"; got != want {
		t.Fatalf("sheets %s, want %s", got, want)
	}
	sheets := map[string][][]string{}
	for _, k := range export.Keys {
		sheet := export.Titles[k]
		rows, err := f.GetRows(sheet)
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 4 {
			t.Fatalf("%s: %d rows, want the header and 3 tasks", sheet, len(rows))
		}
		if got, want := strings.Join(rows[0], "|"), strings.Join(seedHeader(k), "|"); got != want {
			t.Errorf("%s header:\n got %s\nwant %s", sheet, got, want)
		}
		sheets[k] = rows
		for _, r := range rows {
			t.Logf("%s: %q", k, r)
		}
		// The header is bold and frozen.
		style, err := f.GetCellStyle(sheet, "A1")
		if err != nil {
			t.Fatal(err)
		}
		st, err := f.GetStyle(style)
		if err != nil || st.Font == nil || !st.Font.Bold {
			t.Errorf("%s: header not bold (%v)", sheet, err)
		}
		panes, err := f.GetPanes(sheet)
		if err != nil || !panes.Freeze || panes.YSplit != 1 {
			t.Errorf("%s: header not frozen: %+v %v", sheet, panes, err)
		}
		if w, _ := f.GetColWidth(sheet, "A"); w < 10 {
			t.Errorf("%s: column A is %v wide", sheet, w)
		}
	}
	// GetRows leaves out a row's empty trailing cells.
	cell := func(k string, row, col int) string {
		if r := sheets[k][row]; col < len(r) {
			return r[col]
		}
		return ""
	}
	checks := []struct {
		table    string
		row, col int
		want     string // exact, or "~part" for contains
	}{
		{export.KeyTask, 1, 0, "#1 产品研发-需求确认"},
		{export.KeyTask, 1, 1, "李四"},
		{export.KeyTask, 1, 2, "张三"},
		{export.KeyTask, 1, 3, "控制台"},
		{export.KeyTask, 1, 4, "1.发起(3月5日) 2.确认接收(3月5日) 3.延期至3月13日(3月6日) 4.截止(3月13日 18:00)"},
		{export.KeyTask, 1, 5, "60%（进行中：接口开发中）"},
		{export.KeyTask, 1, 6, "协作：王五；需协助：缺少测试账号 @李四；风险：等待客户A提供加密密钥，已发邮件催"},
		{export.KeyTask, 2, 5, "100%（已完成）"},
		{export.KeyTask, 3, 6, "已取消：需求取消"},
		{export.KeyComm, 1, 0, "产品研发"},
		{export.KeyComm, 1, 1, "李四（发起）、张三（负责）、王五"},
		{export.KeyComm, 1, 2, "2026-03-05 10:00"},
		{export.KeyComm, 1, 4, "~需求：提供技术评估方案；决议：延期至3月13日 18:00（李四批准）"},
		{export.KeyComm, 1, 5, "需求确认"},
		{export.KeyComm, 1, 7, "2026-03-13 18:00"},
		{export.KeyComm, 1, 8, "进行中（已延期）"},
		{export.KeyComm, 2, 4, "需求：整理竞品资料；决议：验收退回（李四）：缺少价格对比；决议：验收通过（李四）"},
		{export.KeyComm, 2, 8, "已完成"},
		{export.KeyComm, 3, 8, "已取消"},
		{export.KeyIssue, 1, 0, "#1"},
		{export.KeyIssue, 1, 3, "李四 / 张三、王五"},
		{export.KeyIssue, 1, 4, "提供技术评估方案"},
		{export.KeyIssue, 1, 6, "~3月5日 张三 进度：60% 接口开发中"},
		{export.KeyIssue, 1, 6, "~3月6日 李四 批准延期"},
		{export.KeyIssue, 1, 7, "60%（进行中：接口开发中）"},
		{export.KeyTask, 2, 6, ""},
		{export.KeyIssue, 1, 8, "3月5日 需协助（张三→李四，未解决）：缺少测试账号 @李四"},
		{export.KeyIssue, 2, 8, "~验收退回（李四）：缺少价格对比"},
		{export.KeyIssue, 2, 9, "王五"},
	}
	for _, c := range checks {
		got := cell(c.table, c.row, c.col)
		if part, ok := strings.CutPrefix(c.want, "~"); ok {
			if !strings.Contains(got, part) {
				t.Errorf("%s row %d col %s = %q, want it to contain %q", c.table, c.row, export.Headers[c.table][c.col], got, part)
			}
		} else if got != c.want {
			t.Errorf("%s row %d col %s = %q, want %q", c.table, c.row, export.Headers[c.table][c.col], got, c.want)
		}
	}
}

// Past the due time the open task reads as overdue (延期 in 模板1's words).
func TestOverdue(t *testing.T) {
	in := seeded(t)
	in.Now = time.Date(2026, 3, 16, 10, 0, 0, 0, cst)
	task, _ := export.Build(in, export.KeyTask)
	comm, _ := export.Build(in, export.KeyComm)
	if got := task.Rows[0][5]; got != "60%（进行中，已逾期：接口开发中）" {
		t.Errorf("完成情况 %q", got)
	}
	if got := comm.Rows[0][8]; got != "延期（已逾期）" {
		t.Errorf("完成状态 %q", got)
	}
}

func TestCSV(t *testing.T) {
	in := seeded(t)
	for _, k := range export.Keys {
		tb, err := export.Build(in, k)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := export.WriteCSV(&buf, tb); err != nil {
			t.Fatal(err)
		}
		data, ok := bytes.CutPrefix(buf.Bytes(), []byte{0xEF, 0xBB, 0xBF})
		if !ok {
			t.Fatalf("%s: CSV does not start with the UTF-8 BOM: % x", k, buf.Bytes()[:8])
		}
		recs, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
		if err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		if len(recs) != 4 || strings.Join(recs[0], "|") != strings.Join(seedHeader(k), "|") {
			t.Errorf("%s: %d records, header %q", k, len(recs), recs[0])
		}
		if recs[1][0] != tb.Rows[0][0] {
			t.Errorf("%s: first cell %q, want %q", k, recs[1][0], tb.Rows[0][0])
		}
	}
	if _, err := export.Build(in, "nope"); err == nil {
		t.Error("an unknown table was built")
	}
}

// Typed text that Excel would run as a formula stays text; control
// characters are dropped.
func TestCSVDefusesFormulas(t *testing.T) {
	tb := export.Table{Header: []string{"a", "b", "c"}, Rows: [][]string{{"=HYPERLINK(\"x\")", "+1", "ok -1"}}}
	var buf bytes.Buffer
	if err := export.WriteCSV(&buf, tb); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(buf.String(), export.BOM))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(recs[1], "|"); got != "'=HYPERLINK(\"x\")|'+1|ok -1" {
		t.Errorf("row %q", got)
	}
	in := export.Input{Group: store.Group{Key: key}, Now: time.Now(),
		Tasks: []*store.Task{{ID: 1, Topic: "a\x01b", Item: "c", Request: "r\x00", Status: store.StatusOpen, Due: time.Now().Add(time.Hour), CreatedAt: time.Now()}}}
	row, _ := export.Build(in, export.KeyIssue)
	if row.Rows[0][2] != "ab-c" || row.Rows[0][4] != "r" {
		t.Errorf("control characters kept: %q", row.Rows[0])
	}
}
