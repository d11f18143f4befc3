package board

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"collabbot/bot"
	"collabbot/bot/bottest"
	"collabbot/bot/chat"
)

var cst = time.FixedZone("CST", 8*3600)

// t0 is a Thursday morning.
var t0 = time.Date(2026, 3, 5, 10, 0, 0, 0, cst)

const xssTitle = "<script>alert(1)</script>"

// fixture is a real bot with one group, driven by chat messages.
type fixture struct {
	t     *testing.T
	b     *bot.Bot
	now   time.Time
	seq   int
	token string
}

func newFixture(t *testing.T, admins ...string) *fixture {
	f := &fixture{t: t, now: t0}
	f.b = bottest.New(t, bottest.Options{Now: func() time.Time { return f.now }, Admins: admins})
	f.b.SetBoardURL("http://board.test/")
	return f
}

func user(name string) chat.User { return chat.User{ID: "id-" + name, Name: name} }

// say sends text from name to group g1; "@X" words become mentions.
func (f *fixture) say(from, text string) string {
	f.t.Helper()
	f.seq++
	var ms []chat.User
	for _, w := range strings.FieldsFunc(text, func(r rune) bool { return r == ' ' || r == '【' || r == '】' }) {
		if strings.HasPrefix(w, "@") && len(w) > 1 {
			ms = append(ms, user(strings.TrimPrefix(w, "@")))
		}
	}
	m := chat.Message{Platform: "console", ChatID: "g1", MessageID: fmt.Sprintf("m%d", f.seq),
		Sender: user(from), Text: text, Mentions: ms, Time: f.now}
	var out []string
	for _, r := range f.b.HandleMessage(context.Background(), m) {
		out = append(out, r.Text)
	}
	return strings.Join(out, "\n")
}

var reLink = regexp.MustCompile(`http://board\.test/b/([A-Za-z0-9_-]+)`)

// link asks the group for its board link and returns the token.
func (f *fixture) link(from, args string) string {
	f.t.Helper()
	reply := f.say(from, strings.TrimSpace("/board "+args))
	m := reLink.FindStringSubmatch(reply)
	if m == nil {
		f.t.Fatalf("/board %s: no link in %q", args, reply)
	}
	return m[1]
}

// seed makes three tasks: #1 at risk (a risk warning), #2 urgent and
// overdue, #3 with a script tag typed into its item; then a link.
func seed(t *testing.T, admins ...string) *fixture {
	f := newFixture(t, admins...)
	for _, s := range [][2]string{
		{"李四", "@张三 @王五 【产品研发-需求确认-需前端提供技术评估方案-3月16日前】"},
		{"李四", "@王五 【紧急】【系统故障-官网无法访问-排查服务器日志-30分钟内】"},
		{"王五", "@赵六 【重要】【测试-" + xssTitle + "-检查<b>转义</b>-3月20日前】"},
		{"张三", "/ack #1"},
		{"张三", "/update #1 40% 接口联调中"},
		{"张三", "/risk #1 第三方接口文档未到，计划周三前改用备用方案"},
	} {
		if reply := f.say(s[0], s[1]); reply == "" {
			t.Fatalf("%s: no reply", s[1])
		}
	}
	f.now = t0.Add(time.Hour) // #2 is 30 minutes overdue
	f.token = f.link("李四", "")
	return f
}

func (f *fixture) get(path string) (int, string, http.Header) {
	f.t.Helper()
	rec := httptest.NewRecorder()
	New(f.b, Options{BaseURL: "http://board.test"}).ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
	body, _ := io.ReadAll(rec.Body)
	return rec.Code, string(body), rec.Result().Header
}

// rowIDs are the task ids of the table's rows, in order.
func rowIDs(body string) []string {
	var ids []string
	for _, m := range regexp.MustCompile(`<tr id="t(\d+)"`).FindAllStringSubmatch(body, -1) {
		ids = append(ids, m[1])
	}
	return ids
}

func rowClass(body, id string) string {
	m := regexp.MustCompile(`<tr id="t` + id + `" class="([a-z]*)"`).FindStringSubmatch(body)
	if m == nil {
		return "<no row>"
	}
	return m[1]
}

func TestBoardRowsAndMarks(t *testing.T) {
	f := seed(t)
	code, body, hd := f.get("/b/" + f.token)
	if code != 200 {
		t.Fatalf("GET board: %d %s", code, body)
	}
	if got := strings.Join(rowIDs(body), ","); got != "2,1,3" {
		t.Errorf("rows by due = %s, want 2,1,3", got)
	}
	if c := rowClass(body, "2"); c != "overdue" {
		t.Errorf("#2 class %q, want overdue", c)
	}
	if c := rowClass(body, "1"); c != "risk" {
		t.Errorf("#1 class %q, want risk", c)
	}
	if c := rowClass(body, "3"); c != "" {
		t.Errorf("#3 class %q, want none", c)
	}
	for _, want := range []string{"<th>负责人</th>", "<th>主题</th>", "<th>事项</th>", "<th>需求</th>", "第三方接口文档未到",
		"已逾期 30分钟", "张三", "王五", "40%", "紧急", "重要", "显示 3 / 共 3 项", `<li class="n-overdue">1 已逾期</li>`} {
		if !strings.Contains(body, want) {
			t.Errorf("board lacks %q", want)
		}
	}
	for k, want := range map[string]string{"Referrer-Policy": "no-referrer", "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"} {
		if hd.Get(k) != want {
			t.Errorf("header %s = %q, want %q", k, hd.Get(k), want)
		}
	}
	if csp := hd.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "script-src") {
		t.Errorf("CSP %q must forbid scripts", csp)
	}
	// No external resource of any kind: the board works on an intranet.
	if m := regexp.MustCompile(`(?:src|href|action)="(?:https?:)?//`).FindString(body); m != "" {
		t.Errorf("board refers to an external resource: %s", m)
	}
}

func TestBoardEscapesWhatUsersTyped(t *testing.T) {
	f := seed(t)
	for _, path := range []string{"/b/" + f.token, "/b/" + f.token + "/t/3"} {
		_, body, _ := f.get(path)
		if strings.Contains(body, xssTitle) || strings.Contains(body, "<b>转义</b>") || strings.Contains(body, "<script") {
			t.Errorf("%s: user text not escaped", path)
		}
		if !strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
			t.Errorf("%s: escaped title missing", path)
		}
	}
}

func TestBoardFilters(t *testing.T) {
	f := seed(t)
	for _, c := range []struct{ query, want string }{
		{"owner=id-张三", "1"},
		{"owner=id-王五", "2"},
		{"owner=nobody", ""},
		{"tier=urgent", "2"},
		{"tier=important", "3"},
		{"tier=routine", "1"},
		{"status=overdue", "2"},
		{"status=risk", "2,1"},
		{"status=open", "2,1,3"},
		{"status=closed", ""},
		{"status=bogus", "2,1,3"}, // falls back to the default
		{"sort=id", "1,2,3"},
		{"sort=due", "2,1,3"},
		{"sort=owner", "1,2,3"}, // 张三 < 王五 < 赵六 in code points
		{"sort=status", "2,1,3"},
		{"status=all&sort=id&tier=", "1,2,3"},
	} {
		code, body, _ := f.get("/b/" + f.token + "?" + c.query)
		if code != 200 {
			t.Errorf("%s: %d", c.query, code)
			continue
		}
		if got := strings.Join(rowIDs(body), ","); got != c.want {
			t.Errorf("%s: rows %q, want %q", c.query, got, c.want)
		}
		if c.want == "" && !strings.Contains(body, "没有符合条件的任务") {
			t.Errorf("%s: no empty-table message", c.query)
		}
	}
	// The form keeps the choice.
	_, body, _ := f.get("/b/" + f.token + "?owner=id-张三&sort=id")
	if !strings.Contains(body, `<option value="id-张三" selected>张三</option>`) || !strings.Contains(body, `<option value="id" selected>`) {
		t.Error("the filter form does not show the chosen owner and sort")
	}
	// After #2 is accepted it leaves the default view and shows under closed.
	f.say("王五", "/done #2")
	f.say("李四", "/accept #2")
	_, body, _ = f.get("/b/" + f.token)
	if got := strings.Join(rowIDs(body), ","); got != "1,3" {
		t.Errorf("after accepting #2: rows %s, want 1,3", got)
	}
	_, body, _ = f.get("/b/" + f.token + "?status=closed")
	if got := strings.Join(rowIDs(body), ","); got != "2" || rowClass(body, "2") != "closed" {
		t.Errorf("closed: rows %s class %q", got, rowClass(body, "2"))
	}
}

func TestBoardTaskPage(t *testing.T) {
	f := seed(t)
	code, body, _ := f.get("/b/" + f.token + "/t/1")
	if code != 200 {
		t.Fatalf("task page: %d", code)
	}
	for _, want := range []string{"#1 产品研发-需求确认", "需前端提供技术评估方案", "完整记录", "创建", "确认接收", "更新进度", "风险预警",
		"40% 接口联调中", "第三方接口文档未到，计划周三前改用备用方案", `href="../../` + f.token + `"`} {
		if !strings.Contains(body, want) {
			t.Errorf("task page lacks %q", want)
		}
	}
	for _, path := range []string{"/b/" + f.token + "/t/99", "/b/" + f.token + "/t/abc", "/b/" + f.token + "/t/0", "/b/" + f.token + "/t/-1"} {
		if code, _, _ := f.get(path); code != 404 {
			t.Errorf("%s: %d, want 404", path, code)
		}
	}
}

func TestBoardUnknownTokenIs404(t *testing.T) {
	f := seed(t, "id-admin")
	_, plain, _ := f.get("/no/such/page")
	for _, path := range []string{"/b/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "/b/" + f.token + "x", "/b/" + f.token[:10],
		"/b/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/t/1", "/b/", "/b"} {
		code, body, _ := f.get(path)
		if code != 404 || body != plain {
			t.Errorf("%s: %d %q, want the plain 404 %q", path, code, body, plain)
		}
	}
	// A reset revokes the old link at once.
	if reply := f.say("张三", "/board reset"); !strings.Contains(reply, "只有组长或群管理员") {
		t.Errorf("reset by a member: %q", reply)
	}
	if code, _, _ := f.get("/b/" + f.token); code != 200 {
		t.Errorf("a refused reset changed the link: %d", code)
	}
	f.say("admin", "/config lead @李四")
	old := f.token
	f.token = f.link("李四", "reset")
	if f.token == old || len(f.token) < 22 {
		t.Fatalf("reset gave %q (old %q)", f.token, old)
	}
	if code, _, _ := f.get("/b/" + old); code != 404 {
		t.Errorf("old link after reset: %d, want 404", code)
	}
	if code, _, _ := f.get("/b/" + f.token); code != 200 {
		t.Errorf("new link: %d", code)
	}
	// /board again gives the same (new) link.
	if again := f.link("王五", ""); again != f.token {
		t.Errorf("/board after reset gave another link %q", again)
	}
}

func TestBoardEnglish(t *testing.T) {
	f := seed(t, "id-admin")
	_, body, _ := f.get("/b/" + f.token + "?lang=en")
	for _, want := range []string{`<html lang="en">`, "<th>Owner</th>", "<th>Topic</th>", "<th>Item</th>", "<th>Request</th>", "Overdue 30m", "Urgent", "Showing 3 of 3",
		`href="` + f.token + `/t/1?lang=en"`} {
		if !strings.Contains(body, want) {
			t.Errorf("?lang=en lacks %q", want)
		}
	}
	_, body, _ = f.get("/b/" + f.token + "/t/1?lang=en")
	for _, want := range []string{"Full history", "raised a risk", "created", "← Back to the board", "?lang=en"} {
		if !strings.Contains(body, want) {
			t.Errorf("task page ?lang=en lacks %q", want)
		}
	}
	// The group's language is the default.
	if reply := f.say("admin", "/lang en"); reply == "" {
		t.Fatal("/lang en: no reply")
	}
	_, body, _ = f.get("/b/" + f.token)
	if !strings.Contains(body, "<th>Owner</th>") {
		t.Error("an English group's board is not in English")
	}
	_, body, _ = f.get("/b/" + f.token + "?lang=zh")
	if !strings.Contains(body, "<th>负责人</th>") {
		t.Error("?lang=zh does not override")
	}
	if reply := f.say("admin", "/board"); !strings.Contains(reply, "This group's task board") {
		t.Errorf("/board in English: %q", reply)
	}
}

func TestBoardCommand(t *testing.T) {
	f := newFixture(t, "id-admin")
	f.b.SetBoardURL("")
	if reply := f.say("李四", "/board"); !strings.Contains(reply, "http.listen") || reLink.MatchString(reply) {
		t.Errorf("/board with no URL: %q", reply)
	}
	f.b.SetBoardURL("http://board.test")
	reply := f.say("李四", "/看板")
	if !reLink.MatchString(reply) || !strings.Contains(reply, "请勿转发") {
		t.Errorf("/看板: %q", reply)
	}
	if reply := f.say("李四", "/board <at id=all>"); !strings.Contains(reply, "用法") || strings.Contains(reply, "<at") {
		t.Errorf("/board with a bad option: %q", reply)
	}
	tok := f.link("admin", "重置")
	if tok == reLink.FindStringSubmatch(reply)[1] {
		t.Error("an admin's reset kept the token")
	}
}

func TestAdminIndex(t *testing.T) {
	f := seed(t)
	code, body, _ := f.get("/admin/board")
	if code != 200 {
		t.Fatalf("/admin/board: %d", code)
	}
	if !strings.Contains(body, `href="http://board.test/b/`+f.token+`"`) || !strings.Contains(body, "<td data-label=\"平台\">console</td>") {
		t.Errorf("admin index lacks the group's link:\n%s", body)
	}
}
