package main

import (
	"bytes"
	"encoding/csv"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"collabbot/store"
)

// exportStore makes a store with one console group and two tasks.
func exportStore(t *testing.T) string {
	t.Helper()
	db := filepath.Join(t.TempDir(), "e.db")
	in := "@张三 【产品研发-需求确认-提供方案-2099-01-01】\n/as 张三\n/update #1 50% 方案初稿\n@王五 【市场-调研-整理竞品资料-2099-02-01】\n"
	if _, stderr, code := run(t, in, "console", "-db", db); code != 0 {
		t.Fatalf("console failed: %s", stderr)
	}
	return db
}

func TestExportCommand(t *testing.T) {
	db := exportStore(t)
	dir := t.TempDir()

	// XLSX, the only group picked without -group.
	out := filepath.Join(dir, "项目.xlsx")
	stdout, stderr, code := run(t, "", "export", "-db", db, "-o", out)
	if code != 0 || !strings.Contains(stdout, "2 tasks of console:console-group to "+out) {
		t.Fatalf("export: exit %d %q %q", code, stdout, stderr)
	}
	f, err := excelize.OpenFile(out)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := f.GetRows("跨平台任务跟踪表")
	f.Close()
	if err != nil || len(rows) != 3 {
		t.Fatalf("task sheet: %v %q", err, rows)
	}
	if got := strings.Join(rows[0], ","); got != "任务名称,来源,负责人,协作平台,关键节点,完成情况,备注" {
		t.Errorf("header %s", got)
	}
	if rows[1][0] != "#1 产品研发-需求确认" || rows[1][2] != "张三" || !strings.HasPrefix(rows[1][5], "50%（进行中：方案初稿") {
		t.Errorf("row 1: %q", rows[1])
	}

	// An existing file is kept unless -force.
	if _, stderr, code := run(t, "", "export", "-db", db, "-o", out); code != 1 || !strings.Contains(stderr, "-force") {
		t.Errorf("over an existing file: exit %d %q", code, stderr)
	}

	// CSV of one table, with -group, to a file and to stdout.
	csvOut := filepath.Join(dir, "comm.csv")
	if stdout, stderr, code := run(t, "", "export", "-db", db, "-group", "console:console-group", "-format", "csv", "-table", "comm", "-o", csvOut); code != 0 {
		t.Fatalf("csv: exit %d %q %q", code, stdout, stderr)
	}
	data, _ := os.ReadFile(csvOut)
	body, ok := bytes.CutPrefix(data, []byte("\xEF\xBB\xBF"))
	if !ok {
		t.Fatal("CSV without the UTF-8 BOM")
	}
	recs, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
	if err != nil || len(recs) != 3 || recs[0][0] != "协作主题" || recs[2][0] != "市场" {
		t.Errorf("csv: %v %q", err, recs)
	}
	stdout, stderr, code = run(t, "", "export", "-db", db, "-format", "csv", "-table", "issue", "-o", "-")
	if code != 0 || !strings.HasPrefix(stdout, "\uFEFF协作编号,发起部门") || !strings.Contains(stderr, "沟通事项跟踪表") {
		t.Errorf("csv to stdout: exit %d %q %q", code, stdout, stderr)
	}

	// Refusals name the way out.
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-db", db}, "usage: collabbot export"},
		{[]string{"-db", db, "-format", "pdf", "-o", filepath.Join(dir, "x")}, "use xlsx or csv"},
		{[]string{"-db", db, "-table", "tasks", "-o", filepath.Join(dir, "x")}, "use task (跨平台任务跟踪表)"},
		{[]string{"-db", db, "-group", "lark:oc_1", "-o", filepath.Join(dir, "x")}, "no such group in the store; it holds: console:console-group"},
		{[]string{"-db", db, "-group", "oc_1", "-o", filepath.Join(dir, "x")}, "write PLATFORM:CHATID"},
		{[]string{"-db", filepath.Join(dir, "none.db"), "-o", filepath.Join(dir, "x")}, "no store to export"},
	} {
		_, stderr, code := run(t, "", append([]string{"export"}, c.args...)...)
		if code == 0 || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d %q, want %q", c.args, code, stderr, c.want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "x")); err == nil {
		t.Error("a refused export wrote a file")
	}
}

// A store held by a running bot is exported from the bot's /admin/backup
// copy; without the endpoint the error says to export a backup.
func TestExportLockedStore(t *testing.T) {
	path := exportStore(t)
	db, err := store.Open(path, &store.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	out := filepath.Join(t.TempDir(), "x.xlsx")

	_, stderr, code := run(t, "", "export", "-db", path, "-o", out)
	if code != 1 || !strings.Contains(stderr, "in use by a running collabbot") || !strings.Contains(stderr, "collabbot backup -config FILE copy.db") {
		t.Errorf("locked -db: exit %d %q", code, stderr)
	}
	cfg := writeFile(t, "c.yaml", "store:\n  path: "+path+"\n")
	_, stderr, code = run(t, "", "export", "-config", cfg, "-o", out)
	if code != 1 || !strings.Contains(stderr, "/admin/backup failed") || !strings.Contains(stderr, "export -db copy.db") {
		t.Errorf("locked, no endpoint: exit %d %q", code, stderr)
	}

	const token = "0123456789abcdef0123"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/admin/backup" || r.Header.Get("Authorization") != "Bearer "+token {
			http.Error(w, "no", http.StatusUnauthorized)
			return
		}
		db.Backup(w)
	}))
	defer srv.Close()
	cfg = writeFile(t, "c2.yaml", "store:\n  path: "+path+"\nhttp:\n  listen: "+strings.TrimPrefix(srv.URL, "http://")+"\n  admin_token: "+token+"\n")
	stdout, stderr, code := run(t, "", "export", "-config", cfg, "-o", out)
	if code != 0 || !strings.Contains(stdout, "2 tasks") {
		t.Fatalf("locked, via /admin/backup: exit %d %q %q", code, stdout, stderr)
	}
	if _, err := excelize.OpenFile(out); err != nil {
		t.Error(err)
	}
}
