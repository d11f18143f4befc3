package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"collabbot/adapters/dingtalk"
	"collabbot/adapters/lark"
	"collabbot/adapters/platform"
	"collabbot/rules"
)

// vector is one line of the reference vectors (shared/spec/vectors.jsonl,
// copied into rules/testdata so the project does not depend on ../shared).
type vector struct {
	Now     string `json:"now"`
	Msg     string `json:"msg"`
	OK      bool   `json:"ok"`
	Topic   string `json:"topic"`
	Item    string `json:"item"`
	Request string `json:"request"`
	Due     string `json:"due"`
	Urgency string `json:"urgency"`
}

func run(t *testing.T, stdin string, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(args, strings.NewReader(stdin), &out, &errb)
	return out.String(), errb.String(), code
}

func TestParseCommandVectors(t *testing.T) {
	f, err := os.Open(filepath.Join("..", "..", "rules", "testdata", "vectors.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var v vector
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			t.Fatalf("vector %q: %v", sc.Text(), err)
		}
		n++
		out, stderr, code := run(t, v.Msg+"\n", "parse", "-now", v.Now)
		if code != 0 {
			t.Errorf("parse %q: exit %d: %s", v.Msg, code, stderr)
			continue
		}
		var got parseResult
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Errorf("parse %q printed %q: %v", v.Msg, out, err)
			continue
		}
		if got.OK != v.OK {
			t.Errorf("Parse(%q):\n\tgot  ok=%v %s\n\twant ok=%v", v.Msg, got.OK, out, v.OK)
			continue
		}
		if !v.OK {
			if got.Error == "" {
				t.Errorf("Parse(%q): ok=false with an empty error", v.Msg)
			}
			continue
		}
		gotDue, err1 := time.Parse(time.RFC3339, got.Due)
		wantDue, err2 := time.Parse(time.RFC3339, v.Due)
		if err1 != nil || err2 != nil || !gotDue.Equal(wantDue) || got.Topic != v.Topic || got.Item != v.Item || got.Request != v.Request {
			t.Errorf("Parse(%q):\n\tgot  %s %s %s %s\n\twant %s %s %s %s", v.Msg, got.Topic, got.Item, got.Request, got.Due, v.Topic, v.Item, v.Request, v.Due)
		}
		if v.Urgency != "" && got.Urgency != v.Urgency {
			t.Errorf("Parse(%q): urgency %q, want %q", v.Msg, got.Urgency, v.Urgency)
		}
	}
	if n < 24 {
		t.Errorf("only %d vectors read", n)
	}
}

func TestParseCommandOutputShape(t *testing.T) {
	in := "【紧急】【系统故障-官网无法访问-排查服务器日志-15分钟内】\n\n大家好\n【产品研发-需求确认-需前端提供技术评估方案-尽快】\n"
	out, _, code := run(t, in, "parse", "-now", "2026-03-05T10:00:00+08:00", "-tz", "Asia/Shanghai")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 {
		t.Fatalf("got %d lines for 3 messages (blank lines skipped):\n%s", len(lines), out)
	}
	want := `{"ok":true,"topic":"系统故障","item":"官网无法访问","request":"排查服务器日志","deadline":"15分钟内","due":"2026-03-05T10:15:00+08:00","urgency":"urgent","assist":false}`
	if lines[0] != want {
		t.Errorf("line 1:\n\tgot  %s\n\twant %s", lines[0], want)
	}
	for _, l := range lines[1:] {
		var r parseResult
		if err := json.Unmarshal([]byte(l), &r); err != nil || r.OK || r.Error == "" {
			t.Errorf("want ok=false with an error, got %s", l)
		}
	}
	if !strings.Contains(lines[2], "尽快") {
		t.Errorf("the vague-deadline error should name the input: %s", lines[2])
	}
	out, _, _ = run(t, "【产品研发-需求确认-需前端提供技术评估方案-尽快】\n", "parse", "-lang", "en", "-now", "2026-03-05T10:00:00+08:00")
	if !strings.Contains(out, "deadline") {
		t.Errorf("-lang en error is not English: %s", out)
	}
	if _, stderr, code := run(t, "", "parse", "-now", "yesterday"); code == 0 || !strings.Contains(stderr, "RFC 3339") {
		t.Errorf("bad -now: exit %d, %q", code, stderr)
	}
}

func writeFile(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestConfigExample(t *testing.T) {
	env := map[string]string{"LARK_APP_ID": "cli_x", "LARK_APP_SECRET": "s3cr3t", "DINGTALK_CLIENT_ID": "ding_x", "DINGTALK_CLIENT_SECRET": "d1ng", "COLLABBOT_ADMIN_TOKEN": "tok"}
	data, err := os.ReadFile(filepath.Join("..", "..", "config.example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := ParseConfig(data, func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatalf("config.example.yaml: %v", err)
	}
	if cfg.Schedule.DailyNudge != "17:00" || cfg.Timezone != "Asia/Shanghai" || cfg.HTTP.AdminToken.Reveal() != "tok" {
		t.Errorf("parsed example: %+v", cfg)
	}
	// Every registered platform's section is in the example, decoded into
	// the platform's own type.
	for _, p := range platform.All() {
		if !strings.Contains(string(data), "\n"+p.Name+":\n") {
			t.Errorf("config.example.yaml has no %s: section", p.Name)
		}
	}
	lk, ok := cfg.Platforms["lark"].(*lark.Config)
	if !ok || lk.AppSecret.Reveal() != "s3cr3t" || lk.AppID != "cli_x" || lk.Mode != "ws" {
		t.Errorf("lark section: %#v", cfg.Platforms["lark"])
	}
	dt, ok := cfg.Platforms["dingtalk"].(*dingtalk.Config)
	if !ok || dt.ClientSecret.Reveal() != "d1ng" || dt.BaseURL != "https://api.dingtalk.com" {
		t.Errorf("dingtalk section: %#v", cfg.Platforms["dingtalk"])
	}
	if got := cfg.EnabledPlatforms(); len(got) != 0 {
		t.Errorf("the example enables %v; it should enable nothing", got)
	}
}

// A platform's section that is not in the file keeps the platform's
// defaults, and its admins become name:id bot admins.
func TestConfigPlatformDefaultsAndAdmins(t *testing.T) {
	cfg, err := ParseConfig([]byte("dingtalk:\n  admins: [manager1]\nlark:\n  admins: [ou_1]\n"), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	if lk := cfg.Platforms["lark"].(*lark.Config); lk.BaseURL != lark.FeishuBaseURL || lk.Mode != lark.ModeWS {
		t.Errorf("lark defaults lost: %#v", lk)
	}
	if len(cfg.Platforms) != len(platform.All()) {
		t.Errorf("%d platform sections for %d registered platforms", len(cfg.Platforms), len(platform.All()))
	}
	admins := strings.Join(cfg.BotAdmins(), " ")
	for _, id := range []string{"lark:ou_1", "dingtalk:manager1"} {
		if !strings.Contains(" "+admins+" ", " "+id+" ") {
			t.Errorf("%s is not among the bot's admins %q", id, admins)
		}
	}
}

func TestConfigStrictAndPathQualified(t *testing.T) {
	none := func(string) (string, bool) { return "", false }
	cases := []struct {
		name, yaml string
		want       []string
	}{
		{"unknown key", "lark:\n  app_secrett: x\n", []string{"lark.app_secrett: unknown key", `did you mean "lark.app_secret"`}},
		{"unknown top", "schedul:\n  daily_nudge: \"17:00\"\n", []string{"schedul: unknown key", `"schedule"`}},
		{"misspelt platform", "dingtlak:\n  enabled: true\n", []string{"dingtlak: unknown key", `did you mean "dingtalk"`}},
		{"tuning field not in the file", "dingtalk:\n  http_timeout: 5s\n", []string{"dingtalk.http_timeout: unknown key"}},
		{"platform type error", "lark:\n  enabled: maybe\n", []string{"lark:", "maybe"}},
		{"nested unknown", "http:\n  admin_tokn: x\n", []string{"http.admin_tokn: unknown key", `did you mean "http.admin_token"`}},
		{"bad values, all reported", "timezone: Mars/Olympus\nschedule:\n  daily_nudge: \"25:00\"\n  weekly_summary: Someday\nworkday:\n  start: \"18:00\"\n  end: \"09:00\"\n",
			[]string{"timezone:", "schedule.daily_nudge:", "schedule.weekly_summary:", "workday.end:"}},
		{"missing env", "lark:\n  enabled: true\n  app_id: a\n  app_secret: ${NOPE_SECRET}\n", []string{"lark.app_secret: environment variable NOPE_SECRET is not set"}},
		{"enabled without secrets", "dingtalk:\n  enabled: true\n", []string{"dingtalk.client_id: required", "dingtalk.client_secret: required"}},
		{"both platforms' problems", "dingtalk:\n  enabled: true\nlark:\n  enabled: true\n  mode: pigeon\n", []string{"dingtalk.client_id:", "lark.app_id:", "lark.mode:"}},
		{"bad durations", "rules:\n  ack_window: forever\n", []string{"rules.ack_window:"}},
	}
	for _, c := range cases {
		_, err := ParseConfig([]byte(c.yaml), none)
		if err == nil {
			t.Errorf("%s: no error", c.name)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s:\n\tgot  %v\n\twant it to contain %q", c.name, err, w)
			}
		}
	}
}

// A secret's characters must not change the YAML's structure, and no error
// may echo a secret.
func TestConfigEnvExpansionIsValueOnly(t *testing.T) {
	secret := "a: b\n  evil: [1"
	cfg, err := ParseConfig([]byte("lark:\n  enabled: true\n  app_id: cli\n  app_secret: ${S}\n"), func(k string) (string, bool) { return secret, k == "S" })
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Platforms["lark"].(*lark.Config).AppSecret.Reveal(); got != secret {
		t.Errorf("secret = %q, want %q", got, secret)
	}
	_, err = ParseConfig([]byte("lark:\n  enabled: true\n  app_id: cli\n  app_secret: ${S}\n  mode: carrier-pigeon\n"), func(k string) (string, bool) { return "TOPSECRET", k == "S" })
	if err == nil || strings.Contains(err.Error(), "TOPSECRET") {
		t.Errorf("error %v must exist and not contain the secret", err)
	}
}

func TestCheckConfigCommand(t *testing.T) {
	good := writeFile(t, "good.yaml", "timezone: Asia/Shanghai\nstore:\n  path: /tmp/x.db\n")
	out, _, code := run(t, "", "check-config", "-config", good)
	if code != 0 || !strings.Contains(out, "OK") {
		t.Errorf("check-config good: exit %d, %q", code, out)
	}
	if !strings.Contains(out, "warning: the working calendar has no holiday data for 2027") && time.Now().Year() == 2026 {
		t.Errorf("check-config should warn about 2027: %q", out)
	}
	bad := writeFile(t, "bad.yaml", "timezon: Asia/Shanghai\n")
	_, stderr, code := run(t, "", "check-config", "-config", bad)
	if code != 1 || !strings.Contains(stderr, "timezon: unknown key") {
		t.Errorf("check-config bad: exit %d, %q", code, stderr)
	}
}

func TestCalendarOverrideSilencesWarning(t *testing.T) {
	ov := writeFile(t, "h2027.yaml", "- {date: 2027-01-01, name: 元旦, off: true}\n- {date: 2028-01-01, name: 元旦, off: true}\n")
	cfgPath := writeFile(t, "c.yaml", "calendar:\n  overrides: "+ov+"\n")
	out, stderr, code := run(t, "", "check-config", cfgPath)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if strings.Contains(out, "2027") {
		t.Errorf("with a 2027 override there should be no 2027 warning: %q", out)
	}
}

func TestConsoleSessionSurvivesRestart(t *testing.T) {
	db := filepath.Join(t.TempDir(), "console.db")
	script := strings.Join([]string{
		"/as 李四",
		"@张三 【产品研发-需求确认-需前端提供技术评估方案-2099-09-15前】",
		"【产品研发-需求确认-需前端提供技术评估方案-尽快】",
		"/as 张三",
		"/ack #1",
		"/update #1 80% 接口联调完成",
		"/click #1 assist",
		"/reply #1 测试环境已就绪",
		"/quit",
	}, "\n")
	out, stderr, code := run(t, script, "console", "-db", db)
	if code != 0 {
		t.Fatalf("console exit %d: %s", code, stderr)
	}
	for _, want := range []string{"┌ #1 产品研发-需求确认", "@张三", "“尽快”不明确", "正确示例", "已确认接收", "进度已更新（80%）", "toast:", "#1 进度已更新"} {
		if !strings.Contains(out, want) {
			t.Errorf("console output lacks %q:\n%s", want, out)
		}
	}
	out, _, code = run(t, "/as 张三\n/mine\n", "console", "-db", db)
	if code != 0 || !strings.Contains(out, "#1 产品研发-需求确认") || !strings.Contains(out, "需协助") {
		t.Errorf("after restart /mine:\n%s", out)
	}
}

func TestBackupCommand(t *testing.T) {
	db := filepath.Join(t.TempDir(), "b.db")
	if _, _, code := run(t, "@张三 【产品研发-需求确认-提供方案-2099-01-01】\n", "console", "-db", db); code != 0 {
		t.Fatal("console failed")
	}
	cfg := writeFile(t, "c.yaml", "store:\n  path: "+db+"\n")
	out := filepath.Join(t.TempDir(), "copy.db")
	stdout, stderr, code := run(t, "", "backup", "-config", cfg, out)
	if code != 0 || !strings.Contains(stdout, "bytes") {
		t.Fatalf("backup: exit %d %s %s", code, stdout, stderr)
	}
	// The copy is a working store with the task in it.
	o2, _, _ := run(t, "/list\n", "console", "-db", out)
	if !strings.Contains(o2, "#1 产品研发-需求确认") {
		t.Errorf("backup copy lacks the task:\n%s", o2)
	}
}

func TestUsage(t *testing.T) {
	if _, stderr, code := run(t, ""); code != 2 || !strings.Contains(stderr, "collabbot console") {
		t.Errorf("no args: exit %d %q", code, stderr)
	}
	if _, stderr, code := run(t, "", "frob"); code != 2 || !strings.Contains(stderr, "unknown command") {
		t.Errorf("unknown: exit %d %q", code, stderr)
	}
	if _, stderr, code := run(t, "", "run"); code != 1 || !strings.Contains(stderr, "-config") {
		t.Errorf("run without config: exit %d %q", code, stderr)
	}
}

func TestCalendarWarnings(t *testing.T) {
	cst := time.FixedZone("CST", 8*3600)
	builtIn := rules.NewCalendar(nil)
	with2027 := rules.NewCalendar([]rules.Override{{Date: "2027-01-01", Name: "元旦", Off: true}})
	cases := []struct {
		name string
		cal  rules.Calendar
		now  time.Time
		want []string // years warned about
	}{
		{"2026, built-in only", builtIn, time.Date(2026, 11, 21, 10, 0, 0, 0, cst), []string{"2027"}},
		{"2026 with a 2027 override", with2027, time.Date(2026, 11, 21, 10, 0, 0, 0, cst), nil},
		{"2027 with a 2027 override", with2027, time.Date(2027, 3, 1, 10, 0, 0, 0, cst), []string{"2028"}},
		{"2028, nothing", builtIn, time.Date(2028, 1, 5, 10, 0, 0, 0, cst), []string{"2028", "2029"}},
	}
	for _, c := range cases {
		got := calendarWarnings(c.cal, c.now)
		if len(got) != len(c.want) {
			t.Errorf("%s: calendarWarnings:\n\tgot  %q\n\twant warnings for %v", c.name, got, c.want)
			continue
		}
		for i, y := range c.want {
			if !strings.Contains(got[i], y) || !strings.Contains(got[i], "calendar.overrides") {
				t.Errorf("%s: warning %q should name %s and calendar.overrides", c.name, got[i], y)
			}
		}
	}
}
