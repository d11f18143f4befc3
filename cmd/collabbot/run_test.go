package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"collabbot/adapters/dingtalk/dingfake"
	"collabbot/adapters/lark/larkfake"
	"collabbot/store"
)

// syncBuffer collects log output from several goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestRunServesBothPlatforms is `collabbot run -config FILE` with Lark and
// DingTalk enabled and pointed at the fakes: a task message on each platform
// becomes a task whose reply @-mentions the owner natively, the same message
// redelivered changes nothing, the HTTP endpoints answer, and no secret
// reaches the log.
func TestRunServesBothPlatforms(t *testing.T) {
	// The Lark SDK caches tenant tokens per app id for the whole process:
	// a fresh id keeps a repeated run (-count) from reusing a dead fake's token.
	lk := larkfake.New(larkfake.Options{PingInterval: 1, AppID: fmt.Sprintf("cli_run_%d", time.Now().UnixNano())})
	defer lk.Close()
	dt := dingfake.New("ding_app", "ding-secret-value")
	defer dt.Close()

	dir := t.TempDir()
	yml := fmt.Sprintf(`
store:
  path: %s
http:
  listen: 127.0.0.1:0
  admin_token: ${T_ADMIN_TOKEN}
lark:
  enabled: true
  app_id: %s
  app_secret: ${T_LARK_SECRET}
  base_url: %s
dingtalk:
  enabled: true
  client_id: ding_app
  client_secret: ${T_DING_SECRET}
  base_url: %s
log:
  level: debug
`, filepath.Join(dir, "run.db"), lk.AppID(), lk.URL, dt.URL)
	const adminToken = "admin-token-for-the-run-test"
	env := map[string]string{"T_LARK_SECRET": lk.AppSecret(), "T_DING_SECRET": "ding-secret-value", "T_ADMIN_TOKEN": adminToken}
	cfg, err := ParseConfig([]byte(yml), func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	log := newLogger(cfg.Log, logs)
	ctx, cancel := context.WithCancel(context.Background())
	readyCh := make(chan *app, 1)
	done := make(chan error, 1)
	go func() { done <- serve(ctx, cfg, log, func(a *app) { readyCh <- a }) }()
	var a *app
	select {
	case a = <-readyCh:
	case err := <-done:
		t.Fatalf("serve ended early: %v\n%s", err, logs)
	case <-time.After(20 * time.Second):
		t.Fatalf("serve did not start\n%s", logs)
	}

	// Lark: a group message that @s the bot and the owner.
	msg := larkfake.Message{MessageID: "om_task1", ChatID: "oc_proj", Sender: "ou_lisi",
		Text:     "@_user_1 @_user_2 【产品研发-需求确认-需前端提供技术评估方案-2099-09-15前】",
		Mentions: []larkfake.Mention{{OpenID: lk.BotOpenID(), Name: "collabbot"}, {OpenID: "ou_zhangsan", Name: "张三"}}}
	for range 2 { // the second push is Lark's redelivery
		if code, err := lk.PushMessage(msg); err != nil || code != 200 {
			t.Fatalf("lark push: code %d, %v", code, err)
		}
	}
	waitFor(t, "the lark reply", func() bool { return len(lk.Sent()) >= 1 })
	time.Sleep(200 * time.Millisecond) // room for a wrongful second reply
	sent := lk.Sent()
	if len(sent) != 1 {
		t.Fatalf("lark: %d messages sent for one task message pushed twice, want 1", len(sent))
	}
	if got := sent[0].Decoded(); sent[0].ReplyTo != "om_task1" || !strings.Contains(got, "ou_zhangsan") || !strings.Contains(got, "产品研发-需求确认") {
		t.Errorf("lark reply: reply_to %q content %s", sent[0].ReplyTo, got)
	}

	// DingTalk: a group message with an @ of the owner.
	dmsg := dingfake.BotMessage{MsgID: "msg_task1", ConversationID: "cid_proj", SenderStaffID: "lisi", SenderNick: "李四",
		Text: " @张三 【市场推广-接口调试-完成接口调试-2099-01-10】", AtUsers: []dingfake.AtUser{{DingtalkID: "$:zs", StaffID: "zhangsan"}}}
	if ack, err := dt.PushBotMessage(dmsg); err != nil || ack.Code != 200 {
		t.Fatalf("dingtalk push: %+v, %v", ack, err)
	}
	waitFor(t, "the dingtalk reply", func() bool { return len(dt.Sent()) >= 1 })
	if ack, err := dt.PushBotMessage(dmsg); err != nil || ack.Code != 200 {
		t.Fatalf("dingtalk redelivery push: %+v, %v", ack, err)
	}
	time.Sleep(200 * time.Millisecond)
	ds := dt.Sent()
	if len(ds) != 1 {
		t.Fatalf("dingtalk: %d messages for one msgId pushed twice, want 1", len(ds))
	}
	if !contains(ds[0].AtUserIDs, "zhangsan") || !strings.Contains(ds[0].Text, "@zhangsan") {
		t.Errorf("dingtalk reply does not @ the owner: %+v", ds[0])
	}

	// Health and metrics on the HTTP listener.
	base := "http://" + a.httpAddr()
	for _, path := range []string{"/healthz", "/metrics"} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || len(body) == 0 {
			t.Errorf("GET %s: %d", path, resp.StatusCode)
		}
	}
	// A hot backup from the running bot, for the holder of the token.
	req, _ := http.NewRequest("GET", base+"/admin/backup", nil)
	req.Header.Set("Authorization", "Bearer "+adminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || len(body) < 4096 {
		t.Errorf("GET /admin/backup: %d, %d bytes", resp.StatusCode, len(body))
	}

	// `collabbot backup` while the bot holds the store's lock: it fetches a
	// consistent copy from the running bot, which holds both tasks.
	backupCfg := writeFile(t, "backup.yaml", fmt.Sprintf("store:\n  path: %s\nhttp:\n  listen: %s\n  admin_token: %s\n", cfg.Store.Path, a.httpAddr(), adminToken))
	copyPath := filepath.Join(dir, "copy.db")
	stdout, stderr, code := run(t, "", "backup", "-config", backupCfg, copyPath)
	if code != 0 || !strings.Contains(stdout, "from the running bot") {
		t.Fatalf("backup of a running bot: exit %d, %q %q", code, stdout, stderr)
	}
	listOut, _, _ := run(t, "/list\n", "console", "-db", copyPath)
	if !strings.Contains(listOut, "进行中的任务") {
		t.Errorf("the copy is not a working store:\n%s", listOut)
	}
	cp, err := store.Open(copyPath, &store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	tasks := 0
	cp.View(func(tx *store.Tx) error {
		return tx.Groups(func(g *store.Group) error {
			return tx.Tasks(g.Key, func(*store.Task) error { tasks++; return nil })
		})
	})
	if err := cp.Check(); err != nil {
		t.Errorf("backup copy: %v", err)
	}
	cp.Close()
	if tasks != 2 {
		t.Errorf("backup copy holds %d tasks, want 2 (one per platform)", tasks)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop")
	}
	for _, secret := range []string{lk.AppSecret(), "ding-secret-value", lk.Token(), dt.LastToken(), adminToken} {
		if secret != "" && strings.Contains(logs.String(), secret) {
			t.Errorf("a secret or token appears in the log")
		}
	}
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}
