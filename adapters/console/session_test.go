package console

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"collabbot/bot/bottest"
)

var update = flag.Bool("update", false, "rewrite golden files")

// A realistic session typed into the console, as a newcomer would: tasks
// with a polite prefix and a tag before the mention, an edit, collaborators,
// filters and search, a bad reference, then the group switches to English
// and works with English deadlines and the /help example as written. The
// transcript is a golden file (go test ./adapters/console -update).
func TestRealisticSession(t *testing.T) {
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		shanghai = time.FixedZone("CST", 8*3600)
	}
	clock := NewClock(func() time.Time { return time.Date(2026, 3, 5, 10, 0, 0, 0, shanghai) }) // Thursday
	script := []string{
		"/as 李四",
		"麻烦 @张三 【产品研发-需求确认-需前端提供技术评估方案-3个工作日内】",
		"【紧急】@赵六 【线上故障-支付失败-排查支付回调超时-今天17:00前】",
		"【需协助】 @王五 【数据-清洗-清洗三月数据-明天】",
		"【产品研发/需求确认/需前端提供技术评估方案/9月15日前】",
		"/edit #1 需求 需前端提供两套技术评估方案",
		"/cc #1 @王五",
		"/update #0 50% 进展",
		"/as 张三",
		"/update #1 150% 超额",
		"/update #1 40% 初稿完成",
		"/list @张三",
		"/search 支付",
		"/list 2",
		"/lang en",
		"@Alice 【Website-Homepage-Draft the new homepage-Friday 17:00】",
		"@Bob 【Docs-API-Update the API docs-within 2 working days】",
		"@Bob 【Docs-FAQ-Write the FAQ-ASAP】",
		"/list overdue",
		"/mine all",
		"/quit",
	}
	var out bytes.Buffer
	c := startConsole(t, Options{In: strings.NewReader(strings.Join(script, "\n") + "\n"), Out: &out, Clock: clock, Location: shanghai},
		bottest.Options{Now: clock.Now})
	select {
	case <-c.Done():
	case <-time.After(20 * time.Second):
		t.Fatal("session did not end")
	}
	c.Close()
	got := out.String()
	for _, want := range []string{
		"┌ #1 产品研发-需求确认", "┌ #2 线上故障-支付失败", "┌ #3 数据-清洗", "🆘 已标记需协助", "正确示例：【产品研发-需求确认-需前端提供技术评估方案-9月15日前】",
		"✏️ #1 需求已修改", "“#0”不是有效的任务编号", "进度百分比要写 0% 到 100% 之间的整数", "📝 #1 进度已更新（40%）",
		"┌ #4 Website-Homepage", "┌ #5 Docs-API", "due: Fri Mar 6 17:00", `deadline "ASAP" is vague`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the session lacks %q", want)
		}
	}
	if n := strings.Count(got, "┌ #"); n != 5 {
		t.Errorf("want five tasks (the wrong separators and ASAP are refused), got %d; transcript:\n%s", n, got)
	}
	path := filepath.Join("testdata", "session.golden")
	if *update {
		os.MkdirAll("testdata", 0o755)
		os.WriteFile(path, []byte(got), 0o644)
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test ./adapters/console -run TestRealisticSession -update writes it)", err)
	}
	if got != string(want) {
		t.Errorf("transcript differs from %s (-update to accept):\n%s", path, got)
	}
}
