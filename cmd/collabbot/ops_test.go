package main

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"go/parser"
	"go/token"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"collabbot/store"
)

// damagedStore makes a store with a task in it, then overwrites every page
// after the two meta pages with garbage, as a failing disk might.
func damagedStore(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "damaged.db")
	if _, stderr, code := run(t, "@张三 【产品研发-需求确认-提供方案-2099-01-01】\n", "console", "-db", path); code != 0 {
		t.Fatalf("console: %s", stderr)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	ps := int(binary.NativeEndian.Uint32(data[16+8:])) // meta page 0: header, magic, version, page size
	if ps < 1024 || 2*ps >= len(data) {
		t.Fatalf("page size %d of a %d-byte file", ps, len(data))
	}
	for i := 2 * ps; i < len(data); i++ {
		data[i] = byte(i*7 + 13)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func sum(t *testing.T, path string) [32]byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(data)
}

// A damaged store stops run and console before anything writes to it, with
// the way out in the message; check-db lists the problems.
func TestDamagedStoreStopsTheBot(t *testing.T) {
	db := damagedStore(t)
	before := sum(t, db)
	cfg := writeFile(t, "c.yaml", "store:\n  path: "+db+"\nhttp:\n  listen: \"\"\n")
	for _, args := range [][]string{{"run", "-config", cfg}, {"console", "-db", db}, {"backup", "-config", cfg, filepath.Join(t.TempDir(), "copy.db")}} {
		_, stderr, code := run(t, "/list\n", args...)
		if code == 0 {
			t.Errorf("%s on a damaged store: exit 0", args[0])
		}
		for _, want := range []string{"damaged", "collabbot check-db -db " + db, "backup"} {
			if !strings.Contains(stderr, want) {
				t.Errorf("%s: the error should mention %q:\n%s", args[0], want, stderr)
			}
		}
	}
	stdout, stderr, code := run(t, "", "check-db", "-db", db)
	if code != 1 || !strings.Contains(stdout, "problem: ") || !strings.Contains(stderr, "restore it from a backup") {
		t.Errorf("check-db of a damaged store: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if sum(t, db) != before {
		t.Error("the damaged store was written to")
	}
}

func TestCheckDBCommand(t *testing.T) {
	db := filepath.Join(t.TempDir(), "ok.db")
	if _, _, code := run(t, "@张三 【产品研发-需求确认-提供方案-2099-01-01】\n", "console", "-db", db); code != 0 {
		t.Fatal("console failed")
	}
	cfg := writeFile(t, "c.yaml", "store:\n  path: "+db+"\n")
	for _, args := range [][]string{{"check-db", "-db", db}, {"check-db", "-config", cfg}} {
		stdout, stderr, code := run(t, "", args...)
		if code != 0 || !strings.HasPrefix(stdout, "ok: ") || !strings.Contains(stdout, fmt.Sprintf("schema v%d, no problems", store.SchemaVersion)) {
			t.Errorf("%v: exit %d %q %q", args, code, stdout, stderr)
		}
	}
	// A running bot holds the file: check-db says how to check a copy.
	s, err := store.Open(db, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, stderr, code := run(t, "", "check-db", "-db", db)
	s.Close()
	if code != 1 || !strings.Contains(stderr, "collabbot backup") {
		t.Errorf("check-db of a store in use: exit %d %q", code, stderr)
	}
	empty := writeFile(t, "empty.db", "")
	if _, stderr, code := run(t, "", "check-db", "-db", empty); code != 1 || !strings.Contains(stderr, "empty") {
		t.Errorf("check-db of an empty file: exit %d %q", code, stderr)
	}
	if _, stderr, code := run(t, "", "console", "-db", empty); code != 1 || !strings.Contains(stderr, "0 bytes") {
		t.Errorf("console on an empty store file: exit %d %q", code, stderr)
	}
}

// startTestHTTP builds an app whose HTTP listener runs with cfg's settings.
func startTestHTTP(t *testing.T, h HTTPConfig, extra func(a *app)) (*app, string, *syncBuffer) {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Store.Path = filepath.Join(t.TempDir(), "http.db")
	h.Listen = "127.0.0.1:0"
	cfg.HTTP = h
	logs := &syncBuffer{}
	a, err := newApp(cfg, newLogger(cfg.Log, logs), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	if extra != nil {
		extra(a)
	}
	if err := a.startHTTP(); err != nil {
		t.Fatal(err)
	}
	return a, "http://" + a.httpAddr(), logs
}

func get(t *testing.T, url, auth string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, body
}

// /admin/ needs the token from every caller, loopback included.
func TestAdminNeedsTheToken(t *testing.T) {
	_, base, _ := startTestHTTP(t, HTTPConfig{}, nil)
	for _, path := range []string{"/admin/backup", "/admin/anything"} {
		code, body := get(t, base+path, "")
		if code != http.StatusForbidden || !strings.Contains(string(body), "http.admin_token") {
			t.Errorf("GET %s from 127.0.0.1 with no token configured: %d %q", path, code, body)
		}
	}

	const token = "0123456789abcdef-admin-token"
	a, base, logs := startTestHTTP(t, HTTPConfig{AdminToken: token}, nil)
	err := a.db.Update(func(tx *store.Tx) error {
		_, err := tx.EnsureGroup(store.GroupKey{Platform: "console", ChatID: "g"}, time.Now())
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, auth := range []string{"", "Bearer", "Bearer wrong", "Bearer " + token + "x", "Basic " + token, token} {
		if code, _ := get(t, base+"/admin/backup", auth); code != http.StatusUnauthorized {
			t.Errorf("GET /admin/backup from 127.0.0.1 with Authorization %q: %d, want 401", auth, code)
		}
	}
	if code, _ := get(t, base+"/admin/nothing-here", "Bearer "+token); code != http.StatusNotFound {
		t.Errorf("an unknown admin path with the token: %d, want 404", code)
	}
	code, body := get(t, base+"/admin/backup", "Bearer "+token)
	if code != http.StatusOK {
		t.Fatalf("GET /admin/backup with the token: %d %q", code, body)
	}
	copyPath := filepath.Join(t.TempDir(), "copy.db")
	if err := os.WriteFile(copyPath, body, 0o600); err != nil {
		t.Fatal(err)
	}
	if rep, err := store.CheckFile(copyPath, 0); err != nil || rep.Schema != store.SchemaVersion {
		t.Errorf("the streamed copy: %v %+v", err, rep)
	}

	// `collabbot backup` of the running bot needs the token in its config.
	noToken := writeFile(t, "c.yaml", fmt.Sprintf("store:\n  path: %s\nhttp:\n  listen: %s\n", a.db.Path(), a.httpAddr()))
	if _, stderr, code := run(t, "", "backup", "-config", noToken, filepath.Join(t.TempDir(), "b.db")); code != 1 || !strings.Contains(stderr, "http.admin_token") {
		t.Errorf("backup without the token: exit %d %q", code, stderr)
	}
	withToken := writeFile(t, "c2.yaml", fmt.Sprintf("store:\n  path: %s\nhttp:\n  listen: %s\n  admin_token: %s\n", a.db.Path(), a.httpAddr(), token))
	if stdout, stderr, code := run(t, "", "backup", "-config", withToken, filepath.Join(t.TempDir(), "b.db")); code != 0 {
		t.Errorf("backup with the token: exit %d %q %q", code, stdout, stderr)
	}
	if strings.Contains(logs.String(), token) {
		t.Error("the admin token reached the log")
	}
}

// A client that trickles its body is cut off at the read timeout, and an
// oversized body is refused.
func TestHTTPServerLimits(t *testing.T) {
	const readTimeout = time.Second
	var mu sync.Mutex
	var bodyErr error
	_, base, _ := startTestHTTP(t, HTTPConfig{readTimeout: readTimeout}, func(a *app) {
		a.mux.HandleFunc("POST /test/body", func(w http.ResponseWriter, r *http.Request) {
			_, err := io.ReadAll(r.Body)
			mu.Lock()
			bodyErr = err
			mu.Unlock()
			var tooBig *http.MaxBytesError
			switch {
			case errors.As(err, &tooBig):
				http.Error(w, "too big", http.StatusRequestEntityTooLarge)
			case err != nil:
				http.Error(w, "bad body", http.StatusBadRequest)
			}
		})
	})
	addr := strings.TrimPrefix(base, "http://")

	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	fmt.Fprintf(conn, "POST /test/body HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n")
	go func() {
		for range 1000 {
			if _, err := conn.Write([]byte("x")); err != nil {
				return
			}
			time.Sleep(200 * time.Millisecond)
		}
	}()
	conn.SetReadDeadline(time.Now().Add(10 * readTimeout))
	io.Copy(io.Discard, conn) // until the server hangs up
	if took := time.Since(start); took > readTimeout+time.Second {
		t.Errorf("a trickling client held the connection %v; the read timeout is %v", took, readTimeout)
	}
	mu.Lock()
	if bodyErr == nil {
		t.Error("the handler read the trickled body without an error")
	}
	mu.Unlock()

	// A declared body over the limit: 413 before any handler runs.
	resp, err := http.Post(base+"/healthz", "application/octet-stream", bytes.NewReader(make([]byte, maxRequestBody+1)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("POST of %d bytes: %d, want 413", maxRequestBody+1, resp.StatusCode)
	}
	// A chunked one: the handler's read stops at the limit.
	pr, pw := io.Pipe()
	go func() {
		pw.Write(make([]byte, maxRequestBody+1))
		pw.Close()
	}()
	resp, err = http.Post(base+"/test/body", "application/octet-stream", pr)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("chunked POST over the limit: %d, want 413", resp.StatusCode)
	}
	// Headers are bounded too.
	conn2, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn2.Close()
	fmt.Fprintf(conn2, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: %s\r\n\r\n", strings.Repeat("a", 2*maxHeaderBytes))
	status, err := bufio.NewReader(conn2).ReadString('\n')
	if err != nil || !strings.Contains(status, strconv.Itoa(http.StatusRequestHeaderFieldsTooLarge)) {
		t.Errorf("oversized headers: %q %v", status, err)
	}
}

func TestCheckConfigWarnings(t *testing.T) {
	cases := []struct {
		name, yaml string
		want, not  []string
	}{
		{"public, no token", "http:\n  listen: 0.0.0.0:9090\n",
			[]string{"warning: http.listen: \"0.0.0.0:9090\" is reachable from other hosts and http.admin_token is empty", "TLS"}, nil},
		{"all interfaces, short token", "http:\n  listen: \":9090\"\n  admin_token: short\n",
			[]string{"warning: http.admin_token: shorter than", "TLS"}, []string{"admin_token is empty"}},
		{"loopback", "http:\n  listen: 127.0.0.1:9090\n", nil, []string{"warning: http."}},
		{"localhost", "http:\n  listen: localhost:9090\n", nil, []string{"warning: http."}},
		{"no listener", "http:\n  listen: \"\"\n", nil, []string{"warning: http."}},
		{"platform warnings", "dingtalk:\n  enabled: true\n  client_id: a\n  client_secret: b\n", []string{"warning: dingtalk.card_template_id"}, nil},
	}
	for _, c := range cases {
		path := writeFile(t, "c.yaml", c.yaml)
		stdout, stderr, code := run(t, "", "check-config", path)
		if code != 0 {
			t.Errorf("%s: warnings must not fail check-config: exit %d %s", c.name, code, stderr)
		}
		for _, w := range c.want {
			if !strings.Contains(stdout, w) {
				t.Errorf("%s: output lacks %q:\n%s", c.name, w, stdout)
			}
		}
		for _, w := range c.not {
			if strings.Contains(stdout, w) {
				t.Errorf("%s: output should not contain %q:\n%s", c.name, w, stdout)
			}
		}
	}
}

func TestAdminTokenNeverPrints(t *testing.T) {
	const token = "the-admin-token-value-1234"
	cfg, err := ParseConfig([]byte("http:\n  listen: 0.0.0.0:9090\n  admin_token: ${TOK}\n"), func(k string) (string, bool) { return token, k == "TOK" })
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	newLogger(LogConfig{Format: "json"}, &logs).Info("config", "http", cfg.HTTP, "token", cfg.HTTP.AdminToken)
	js, _ := json.Marshal(cfg)
	out := fmt.Sprintf("%v %+v %#v %s %v %s %s", cfg, cfg.HTTP, cfg.HTTP, cfg.HTTP.AdminToken, cfg.Warnings(), js, logs.String())
	if strings.Contains(out, token) {
		t.Errorf("the admin token was printed:\n%s", out)
	}
	if cfg.HTTP.AdminToken.Reveal() != token {
		t.Error("Reveal lost the token")
	}
}

// cmd/ builds platforms through the registry: only platforms.go imports an
// adapter, and no code names a platform's constant.
func TestCmdNamesNoPlatform(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if !strings.HasPrefix(p, "collabbot/adapters/") || p == "collabbot/adapters/platform" || p == "collabbot/adapters/console" {
				continue
			}
			if name != "platforms.go" || imp.Name == nil || imp.Name.Name != "_" {
				t.Errorf("%s imports %s: only platforms.go may, as a blank import", name, p)
			}
		}
		src, _ := os.ReadFile(name)
		for _, id := range []string{"chat.PlatformLark", "chat.PlatformDingTalk"} {
			if bytes.Contains(src, []byte(id)) {
				t.Errorf("%s names %s", name, id)
			}
		}
	}
}
