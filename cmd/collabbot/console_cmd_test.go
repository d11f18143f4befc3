package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"collabbot/adapters/console"
	"collabbot/adapters/lark"
)

// The example file passes with only the enabled platform's variables set:
// an unset ${VAR} in a disabled platform's section is no error, and the
// admin token is optional (${COLLABBOT_ADMIN_TOKEN:-}).
func TestConfigExampleNeedsOnlyEnabledPlatformVars(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "config.example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	env := func(m map[string]string) func(string) (string, bool) {
		return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
	}
	// As shipped, everything disabled: nothing needs to be set.
	cfg, err := ParseConfig(data, env(nil))
	if err != nil {
		t.Fatalf("example with no variables: %v", err)
	}
	if cfg.HTTP.AdminToken != "" {
		t.Errorf("unset admin token = %q", cfg.HTTP.AdminToken)
	}
	enabled := strings.Replace(string(data), "\nlark:\n  enabled: false\n", "\nlark:\n  enabled: true\n", 1)
	if enabled == string(data) {
		t.Fatal("config.example.yaml has no \"lark:\\n  enabled: false\" to turn on")
	}
	cfg, err = ParseConfig([]byte(enabled), env(map[string]string{"LARK_APP_ID": "cli_x", "LARK_APP_SECRET": "s3cr3t"}))
	if err != nil {
		t.Fatalf("lark enabled with LARK_APP_ID and LARK_APP_SECRET: %v", err)
	}
	if lk := cfg.Platforms["lark"].(*lark.Config); !lk.Enabled() || lk.AppSecret.Reveal() != "s3cr3t" {
		t.Errorf("lark section: %#v", lk)
	}
	if got := cfg.EnabledPlatforms(); strings.Join(got, ",") != "lark" {
		t.Errorf("enabled: %v", got)
	}
	_, err = ParseConfig([]byte(enabled), env(map[string]string{"LARK_APP_ID": "cli_x"}))
	if err == nil || !strings.Contains(err.Error(), "lark.app_secret: environment variable LARK_APP_SECRET is not set") {
		t.Fatalf("lark enabled without LARK_APP_SECRET: %v", err)
	}
	if strings.Contains(err.Error(), "DINGTALK") || strings.Contains(err.Error(), "COLLABBOT_ADMIN_TOKEN") {
		t.Errorf("only the enabled platform's variable should be reported: %v", err)
	}

	// The same through check-config and the real environment.
	path := writeFile(t, "config.yaml", enabled)
	for _, k := range []string{"DINGTALK_CLIENT_ID", "DINGTALK_CLIENT_SECRET", "COLLABBOT_ADMIN_TOKEN", "LARK_APP_SECRET"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	t.Setenv("LARK_APP_ID", "cli_x")
	if _, stderr, code := run(t, "", "check-config", "-config", path); code != 1 || !strings.Contains(stderr, "lark.app_secret: environment variable LARK_APP_SECRET is not set (lark is enabled)") {
		t.Errorf("check-config without LARK_APP_SECRET: exit %d %q", code, stderr)
	}
	t.Setenv("LARK_APP_SECRET", "s3cr3t")
	if out, stderr, code := run(t, "", "check-config", "-config", path); code != 0 || !strings.Contains(out, "OK (platforms: lark)") {
		t.Errorf("check-config with the lark variables: exit %d %q %q", code, out, stderr)
	}
}

func TestConfigEnvOptionalAndTyped(t *testing.T) {
	env := map[string]string{"EMPTY": "", "TOKEN": "tok-from-env", "ON": "true", "N": "3", "EVIL": "1\nrules: [x"}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	cases := []struct {
		name, yaml string
		check      func(Config) bool
		errs       []string
	}{
		{"optional unset", "http:\n  admin_token: ${NOPE:-}\n", func(c Config) bool { return c.HTTP.AdminToken == "" }, nil},
		{"optional empty gives the default", "store:\n  path: ${EMPTY:-x.db}\n", func(c Config) bool { return c.Store.Path == "x.db" }, nil},
		{"optional unset gives the default", "store:\n  path: /d/${NOPE:-x}.db\n", func(c Config) bool { return c.Store.Path == "/d/x.db" }, nil},
		{"optional set", "http:\n  admin_token: ${TOKEN:-}\n", func(c Config) bool { return c.HTTP.AdminToken.Reveal() == "tok-from-env" }, nil},
		{"required unset", "http:\n  admin_token: ${NOPE}\n", nil, []string{"http.admin_token: environment variable NOPE is not set", "${NOPE:-}"}},
		{"a switch from the environment", "lark:\n  enabled: ${ON}\n  app_id: a\n  app_secret: ${TOKEN}\n", func(c Config) bool { return c.Platforms["lark"].Enabled() }, nil},
		{"a switch's default", "lark:\n  enabled: ${NOPE:-false}\n  app_secret: ${NOPE}\n", func(c Config) bool { return !c.Platforms["lark"].Enabled() }, nil},
		{"switched on by the environment, secret unset", "lark:\n  enabled: ${ON}\n  app_id: a\n  app_secret: ${NOPE}\n", nil, []string{"lark.app_secret: environment variable NOPE is not set (lark is enabled)"}},
		{"disabled platform, variables unset", "dingtalk:\n  client_id: ${NOPE1}\n  client_secret: ${NOPE2}\n", func(c Config) bool { return len(c.EnabledPlatforms()) == 0 }, nil},
		{"a number", "rules:\n  warn_workdays: ${N}\n", func(c Config) bool { return *c.Rules.WarnWorkdays == 3 }, nil},
		{"a number's default", "rules:\n  warn_workdays: ${NOPE:-5}\n", func(c Config) bool { return *c.Rules.WarnWorkdays == 5 }, nil},
		// A value never changes the structure, typed or not.
		{"a number that is not", "rules:\n  warn_workdays: ${EVIL}\n", nil, []string{"rules.warn_workdays: the value of ${EVIL} must be a whole number"}},
		{"a switch that is not", "lark:\n  enabled: ${TOKEN}\n", nil, []string{"lark.enabled: the value of ${TOKEN} must be true or false"}},
	}
	for _, c := range cases {
		cfg, err := ParseConfig([]byte(c.yaml), lookup)
		if c.errs == nil {
			if err != nil {
				t.Errorf("%s: %v", c.name, err)
			} else if !c.check(cfg) {
				t.Errorf("%s: wrong value: %+v", c.name, cfg)
			}
			continue
		}
		if err == nil {
			t.Errorf("%s: no error", c.name)
			continue
		}
		for _, w := range c.errs {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %v\n\twant it to contain %q", c.name, err, w)
			}
		}
		for _, v := range []string{env["TOKEN"], env["EVIL"]} {
			if strings.Contains(err.Error(), v) {
				t.Errorf("%s: the error shows a variable's value: %v", c.name, err)
			}
		}
	}
}

func TestLogFileConfig(t *testing.T) {
	dir := t.TempDir()
	none := func(string) (string, bool) { return "", false }
	for _, c := range []struct{ file, want string }{
		{filepath.Join(dir, "nope", "x.log"), "log.file: directory " + filepath.Join(dir, "nope") + ": no such file or directory"},
		{dir, "log.file: " + dir + " is a directory"},
	} {
		_, err := ParseConfig([]byte("log:\n  file: "+c.file+"\n"), none)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("log.file %s: %v, want %q", c.file, err, c.want)
		}
	}
	if _, err := ParseConfig([]byte("log:\n  file: "+filepath.Join(dir, "ok.log")+"\n"), none); err != nil {
		t.Errorf("a new file in an existing directory: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "ok.log")); err == nil {
		t.Error("checking the config created the log file")
	}
}

// The console's first screen is the welcome text: the log goes to stderr
// only at WARN and above, start-up warnings show inside the session after
// the welcome text, and log.file takes the whole log instead.
func TestConsoleLogging(t *testing.T) {
	dir := t.TempDir()
	cfg := writeFile(t, "c.yaml", "log:\n  level: debug\nstore:\n  path: "+filepath.Join(dir, "a.db")+"\n")
	out, stderr, code := run(t, "/as 李四\n@张三 【产品研发-需求确认-提供方案-2099-01-01】\n/quit\n", "console", "-config", cfg)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.HasPrefix(out, "collabbot console: a simulated project group.") {
		t.Errorf("the first screen is not the welcome text:\n%s", out)
	}
	if stderr != "" {
		t.Errorf("log lines below WARN (or start-up warnings) on stderr with log.level debug:\n%s", stderr)
	}
	if time.Now().Year() == 2026 && !strings.Contains(out, "(warning: the working calendar has no holiday data for 2027") {
		t.Errorf("the start-up warning should show in the session:\n%s", out)
	}

	logFile := filepath.Join(dir, "collabbot.log")
	cfg = writeFile(t, "c2.yaml", "store:\n  path: "+filepath.Join(dir, "b.db")+"\nlog:\n  file: "+logFile+"\n")
	out, stderr, code = run(t, "/list\n/quit\n", "console", "-config", cfg)
	if code != 0 || stderr != "" || !strings.HasPrefix(out, "collabbot console:") {
		t.Errorf("with log.file: exit %d, stderr %q\n%s", code, stderr, out)
	}
	data, err := os.ReadFile(logFile)
	if err != nil || !strings.Contains(string(data), "level=INFO") || !strings.Contains(string(data), "adapter started") {
		t.Errorf("log.file should get the INFO log: %v\n%s", err, data)
	}
	if st, err := os.Stat(logFile); err == nil && st.Mode().Perm() != 0o600 {
		t.Errorf("log file mode %v", st.Mode().Perm())
	}
}

// `run` logs to log.file when it is set.
func TestRunLogFile(t *testing.T) {
	dir := t.TempDir()
	logFile := filepath.Join(dir, "run.log")
	// A bad listener stops run at once, after the log has started.
	cfg := writeFile(t, "c.yaml", "store:\n  path: "+filepath.Join(dir, "r.db")+"\nhttp:\n  listen: 127.0.0.1:99999\nlog:\n  file: "+logFile+"\n")
	_, stderr, code := run(t, "", "run", "-config", cfg)
	if code != 1 || !strings.Contains(stderr, "http.listen") || strings.Contains(stderr, "level=") {
		t.Errorf("run with a bad listener: exit %d, stderr %q (log lines belong in log.file)", code, stderr)
	}
	if data, err := os.ReadFile(logFile); err != nil || !strings.Contains(string(data), "no platform is enabled") {
		t.Errorf("run's log should be in log.file: %v\n%s", err, data)
	}
}

var clockLine = regexp.MustCompile(`\(clock: (\d{4}-\d\d-\d\d \d\d:\d\d)`)

// A restart on the same store continues the simulated clock, says so, and
// still refuses to go back.
func TestConsoleClockContinuesAcrossRestarts(t *testing.T) {
	db := filepath.Join(t.TempDir(), "clock.db")
	cfg := writeFile(t, "c.yaml", "language: en\nstore:\n  path: "+db+"\n")
	start := time.Now()
	out, stderr, code := run(t, "/clock +3d\n/quit\n", "console", "-config", cfg)
	if code != 0 || !strings.Contains(out, "(clock set to ") {
		t.Fatalf("exit %d %s\n%s", code, stderr, out)
	}
	today := start.In(mustLoc(t, "Asia/Shanghai")).Format("2006-01-02 15:04")
	out, stderr, code = run(t, "/clock\n/clock "+today+"\n/quit\n", "console", "-config", cfg)
	if code != 0 {
		t.Fatalf("exit %d %s", code, stderr)
	}
	if !strings.Contains(out, "(simulated clock: ") || !strings.Contains(out, "continued from this store (3d ahead of real time)") {
		t.Errorf("the restart should say the clock continues:\n%s", out)
	}
	m := clockLine.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no /clock answer:\n%s", out)
	}
	got, _ := time.ParseInLocation("2006-01-02 15:04", m[1], mustLoc(t, "Asia/Shanghai"))
	if got.Before(start.Add(72*time.Hour - time.Minute)) {
		t.Errorf("after restart the clock is at %s, want ≥ 3 days from %s", got, start)
	}
	if !strings.Contains(out, "(/clock refused: "+today) {
		t.Errorf("a /clock back to today should be refused after the restart:\n%s", out)
	}
	// A store the console never moved: real time, nothing said.
	out, _, _ = run(t, "/quit\n", "console", "-db", filepath.Join(t.TempDir(), "fresh.db"))
	if strings.Contains(out, "模拟时钟") || strings.Contains(out, "simulated clock:") {
		t.Errorf("a fresh store should run at real time:\n%s", out)
	}
}

func mustLoc(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// The clock never restarts earlier than the latest simulated time the
// store saw, even if the real clock went back.
func TestRestoreConsoleClock(t *testing.T) {
	realNow := time.Date(2026, 3, 5, 10, 0, 0, 0, time.UTC)
	real := func() time.Time { return realNow }
	cases := []struct {
		saved *consoleClock
		want  time.Time
		note  string
	}{
		{nil, realNow, ""},
		{&consoleClock{Offset: 0, Latest: realNow.Add(-time.Hour)}, realNow, ""},
		{&consoleClock{Offset: 26 * time.Hour, Latest: realNow.Add(-time.Hour)}, realNow.Add(26 * time.Hour), "26h ahead"},
		{&consoleClock{Offset: 24 * time.Hour, Latest: realNow.Add(30 * 24 * time.Hour)}, realNow.Add(30 * 24 * time.Hour), "30d ahead"},
	}
	for i, c := range cases {
		clock := console.NewClock(real)
		note := restoreConsoleClock(clock, c.saved, realNow, time.UTC, "en")
		if !clock.Now().Equal(c.want) {
			t.Errorf("%d: clock at %v, want %v", i, clock.Now(), c.want)
		}
		if c.note == "" && note != "" || !strings.Contains(note, c.note) {
			t.Errorf("%d: note %q, want %q", i, note, c.note)
		}
	}
}

func TestConsoleAnnouncesAdmins(t *testing.T) {
	out, _, code := run(t, "/quit\n", "console", "-db", filepath.Join(t.TempDir(), "a.db"))
	if code != 0 || !strings.Contains(out, "(本群管理员：所有人——在配置文件里设置 console.admins 可限制谁能用 /config)") {
		t.Errorf("default console: exit %d\n%s", code, out)
	}
	db := filepath.Join(t.TempDir(), "b.db")
	cfg := writeFile(t, "c.yaml", "language: en\nconsole:\n  admins: [群主]\nadmins: [console:王五, lark:ou_1]\nstore:\n  path: "+db+"\n")
	out, _, code = run(t, "/as 群主\n/config admin add @赵六\n/quit\n", "console", "-config", cfg)
	if code != 0 || !strings.Contains(out, "(admins here: 群主 — from console.admins in the config file") || !strings.Contains(out, "(also admins: 王五 — ") {
		t.Errorf("console.admins set: exit %d\n%s", code, out)
	}
	// Admins added in the group show at the next start.
	out, _, _ = run(t, "/quit\n", "console", "-config", cfg)
	if !strings.Contains(out, "(also admins: 王五, 赵六 — ") {
		t.Errorf("after /config admin add:\n%s", out)
	}
}

func TestBackupRefusals(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "none.db")
	cfg := writeFile(t, "c.yaml", "store:\n  path: "+missing+"\n")
	_, stderr, code := run(t, "", "backup", "-config", cfg, filepath.Join(dir, "copy.db"))
	if code != 1 || !strings.Contains(stderr, "no store to back up: "+missing+" does not exist") {
		t.Errorf("backup without a store: exit %d %q", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "copy.db")); err == nil {
		t.Error("a backup of nothing was written")
	}

	db := filepath.Join(dir, "b.db")
	if _, _, code := run(t, "@张三 【产品研发-需求确认-提供方案-2099-01-01】\n", "console", "-db", db); code != 0 {
		t.Fatal("console failed")
	}
	cfg = writeFile(t, "c2.yaml", "store:\n  path: "+db+"\n")
	out := writeFile(t, "existing.db", "keep me")
	_, stderr, code = run(t, "", "backup", "-config", cfg, out)
	if code != 1 || !strings.Contains(stderr, out+" exists") || !strings.Contains(stderr, "-force") {
		t.Errorf("backup over an existing file: exit %d %q", code, stderr)
	}
	if data, _ := os.ReadFile(out); string(data) != "keep me" {
		t.Error("the existing file was overwritten")
	}
	for _, args := range [][]string{{"backup", "-config", cfg, "-force", out}, {"backup", "-config", cfg, out, "-force"}} {
		if stdout, stderr, code := run(t, "", args...); code != 0 || !strings.Contains(stdout, "bytes") {
			t.Errorf("%v: exit %d %q %q", args, code, stdout, stderr)
		}
	}
	if o, _, _ := run(t, "/list\n", "console", "-db", out); !strings.Contains(o, "#1 产品研发-需求确认") {
		t.Errorf("the forced copy lacks the task:\n%s", o)
	}
	if _, stderr, code := run(t, "", "backup", "-config", cfg, "-force", db); code != 1 || !strings.Contains(stderr, "is the store itself") {
		t.Errorf("backup onto the store: exit %d %q", code, stderr)
	}
	if _, stderr, code := run(t, "", "backup", "-config", cfg, "a.db", "b.db"); code != 1 || !strings.Contains(stderr, "usage") {
		t.Errorf("two outputs: exit %d %q", code, stderr)
	}
}

func TestVersion(t *testing.T) {
	out, _, code := run(t, "", "version")
	if code != 0 || !strings.HasPrefix(out, "collabbot dev commit ") || !strings.Contains(out, " go1.") {
		t.Errorf("version: exit %d %q", code, out)
	}
	bi := &debug.BuildInfo{GoVersion: "go1.99.0", Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "0123456789abcdef0123456789abcdef01234567"}, {Key: "vcs.modified", Value: "true"}}}
	if got := versionLine(bi, true); !strings.Contains(got, "commit 0123456789abcdef0123456789abcdef01234567 (modified") || !strings.Contains(got, "go1.99.0") {
		t.Errorf("versionLine with VCS info: %q", got)
	}
	bi.Settings[1].Value = "false"
	if got := versionLine(bi, true); strings.Contains(got, "modified") {
		t.Errorf("clean tree: %q", got)
	}
	if got := versionLine(&debug.BuildInfo{}, true); !strings.Contains(got, "commit unknown") {
		t.Errorf("no VCS info: %q", got)
	}
}

// The version is set with -ldflags; -buildvcs=false leaves the commit
// unknown.
func TestVersionLdflags(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	bin := filepath.Join(t.TempDir(), "collabbot")
	build := exec.Command(goCmd, "build", "-buildvcs=false", "-ldflags", "-X main.version=v9.8.7-test", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "version").Output()
	if err != nil || !strings.HasPrefix(string(out), "collabbot v9.8.7-test commit unknown go") {
		t.Errorf("version: %v %q", err, out)
	}
}

// The README's "Try it" session works on whatever day the test runs: its
// deadlines and /clock moves are relative to today.
func TestReadmeTryItSession(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	sec := string(data)
	start := strings.Index(sec, "## Try it")
	if start < 0 {
		t.Fatal("README has no Try it section")
	}
	sec = sec[start:]
	sec = sec[:strings.Index(sec[3:], "\n## ")+3]
	typed := regexp.MustCompile(`(?m)^[^\s>(]+> (.+)$`)
	var lines []string
	for _, m := range typed.FindAllStringSubmatch(sec, -1) {
		lines = append(lines, m[1])
	}
	if len(lines) < 5 {
		t.Fatalf("only %d typed lines in the Try it session: %q", len(lines), lines)
	}
	out, stderr, code := run(t, strings.Join(lines, "\n")+"\n/quit\n", "console", "-db", filepath.Join(t.TempDir(), "readme.db"))
	if code != 0 || stderr != "" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	for _, want := range []string{"┌ #1 产品研发-需求确认", "负责人：@张三", "“尽快”不明确", "#1 已确认接收", "(clock set to "} {
		if !strings.Contains(out, want) {
			t.Errorf("the README session today lacks %q:\n%s", want, out)
		}
	}
	if n := strings.Count(out, "格式需要修改"); n != 1 {
		t.Errorf("%d refused tasks, want only the 尽快 one:\n%s", n, out)
	}
	for _, bad := range []string{"refused", "usage:", "已过", "过去"} {
		if strings.Contains(out, bad) {
			t.Errorf("the README session today says %q:\n%s", bad, out)
		}
	}
}
