package board

import (
	"bytes"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// The board link downloads the seeds' tables: all three sheets as XLSX, one
// table as CSV with a BOM; a made-up token gets nothing.
func TestBoardDownloads(t *testing.T) {
	f := seed(t)
	code, body, hd := f.get("/b/" + f.token + "/export.xlsx")
	if code != 200 || !strings.Contains(hd.Get("Content-Disposition"), ".xlsx") {
		t.Fatalf("xlsx: %d %v", code, hd)
	}
	x, err := excelize.OpenReader(bytes.NewReader([]byte(body)))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	if n := len(x.GetSheetList()); n != 3 {
		t.Errorf("%d sheets, want the three tables", n)
	}
	rows, err := x.GetRows(x.GetSheetList()[0])
	if err != nil || len(rows) != 4 || rows[0][0] != "任务名称" {
		t.Errorf("first sheet: %v rows, header %v, err %v", len(rows), rows, err)
	}
	code, body, _ = f.get("/b/" + f.token + "/export.csv?table=issue")
	if code != 200 || !strings.HasPrefix(body, "\ufeff协作编号") {
		t.Errorf("csv: %d %.40q", code, body)
	}
	if code, _, _ := f.get("/b/" + f.token + "/export.csv?table=nope"); code != 400 {
		t.Errorf("unknown table: %d, want 400", code)
	}
	if code, _, _ := f.get("/b/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/export.xlsx"); code != 404 {
		t.Errorf("made-up token: %d, want 404", code)
	}
}

// The stats page: the group's and each owner's figures, a bar per owner in
// inline SVG, names escaped; an unknown period is said so.
func TestBoardStatsPage(t *testing.T) {
	f := seed(t)
	code, body, _ := f.get("/b/" + f.token + "/stats")
	if code != 200 {
		t.Fatalf("stats: %d %s", code, body)
	}
	for _, want := range []string{`<svg id="chart"`, "<th>负责人</th>", "张三", "王五", "全组"} {
		if !strings.Contains(body, want) {
			t.Errorf("stats page lacks %q", want)
		}
	}
	if strings.Count(body, "<rect") != 3*strings.Count(body, `<text x="0"`) || !strings.Contains(body, "<rect") {
		t.Errorf("want three bars per owner:\n%s", body)
	}
	if _, body, _ := f.get("/b/" + f.token + "/stats?period=nonsense"); !strings.Contains(body, "不认识这个时间段") {
		t.Errorf("unknown period not said")
	}
	if _, body, _ := f.get("/b/" + f.token + "/stats?lang=en&period=last%20week"); !strings.Contains(body, "Owned") {
		t.Errorf("English stats page")
	}
	if code, _, _ := f.get("/b/nope/stats"); code != 404 {
		t.Errorf("made-up token: %d", code)
	}
}

// An undecided delay request is late on the board by its window or, at the
// latest, once the original due time has passed — the same rule the chat
// lists use (bot.Waits).
func TestBoardDelayApprovalLate(t *testing.T) {
	f := seed(t)
	f.say("张三", "/delay #1 3月20日 等待第三方接口文档") // due 3-16: not late yet
	f.say("王五", "/delay #2 明天 需要云服务商支持")     // #2 was due half an hour ago
	if _, body, _ := f.get("/b/" + f.token + "/t/1"); !strings.Contains(body, "延期待批") || strings.Contains(body, "延期审批超时") {
		t.Errorf("#1: a fresh delay request before its due time is pending, not late")
	}
	if _, body, _ := f.get("/b/" + f.token + "/t/2"); !strings.Contains(body, "延期审批超时") {
		t.Errorf("#2: asked after the original due time, the approval is late at once")
	}
}
