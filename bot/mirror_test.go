package bot_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"collabbot/bot/chat"
	"collabbot/store"
)

// taskApp stands in for a platform's task app in the bot's own tests (the
// adapters are tested against the fake Lark and DingTalk servers): it
// keeps mirrors by key like Feishu's client_token and DingTalk's sourceId,
// and can be told to fail.
type taskApp struct {
	mu    sync.Mutex
	byKey map[string]string // key → ref
	tasks map[string]chat.MirrorTask
	calls []chat.MirrorTask
	// failNext makes the next call fail with this error; lost makes it
	// succeed on the platform but report a failure (a crash or timeout
	// after the platform acted).
	failNext error
	lost     bool
}

func newTaskApp() *taskApp {
	return &taskApp{byKey: map[string]string{}, tasks: map[string]chat.MirrorTask{}}
}

func (a *taskApp) Send(context.Context, chat.Reply) error { return nil }
func (a *taskApp) MirrorEnabled() bool                    { return true }

func (a *taskApp) MirrorTask(_ context.Context, t chat.MirrorTask) (string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.calls = append(a.calls, t)
	if err := a.failNext; err != nil && !a.lost {
		a.failNext = nil
		return "", err
	}
	ref := t.Ref
	if ref == "" {
		ref = a.byKey[t.Key]
	}
	if ref == "" {
		ref = fmt.Sprintf("ref-%d", len(a.byKey)+1)
		a.byKey[t.Key] = ref
	}
	if t.State == chat.MirrorGone {
		delete(a.tasks, ref)
	} else {
		t.Ref = ref
		a.tasks[ref] = t
	}
	if a.lost {
		a.lost, a.failNext = false, nil
		return "", &chat.SendError{Reason: chat.ReasonTransient, Retry: true, Err: errors.New("timeout")}
	}
	return ref, nil
}

func (a *taskApp) snapshot() (map[string]chat.MirrorTask, int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := map[string]chat.MirrorTask{}
	for k, v := range a.tasks {
		out[k] = v
	}
	return out, len(a.calls)
}

func (g *group) sync(t *testing.T) int {
	t.Helper()
	n, err := g.b.SyncMirrors(context.Background())
	if err != nil {
		t.Fatalf("SyncMirrors: %v", err)
	}
	return n
}

func TestTaskMirrorFollowsTheTask(t *testing.T) {
	g := newGroup(t)
	app := newTaskApp()
	g.b.AddPlatform("console", app)
	g.say("李四", "@张三 【产品研发-需求确认-需前端提供A-B两套技术评估方案-3月9日 下午5点前】")
	if n := g.sync(t); n != 1 {
		t.Fatalf("first sync pushed %d mirrors, want 1", n)
	}
	tasks, calls := app.snapshot()
	if len(tasks) != 1 || calls != 1 {
		t.Fatalf("after creation: %d mirrors, %d calls; want 1 and 1", len(tasks), calls)
	}
	m := tasks["ref-1"]
	if m.Summary != "产品研发-需求确认" || m.Owner.Name != "张三" || m.Creator.Name != "李四" || m.State != chat.MirrorOpen {
		t.Errorf("mirror = %+v", m)
	}
	if want := time.Date(2026, 3, 9, 17, 0, 0, 0, cst); !m.Due.Equal(want) {
		t.Errorf("due = %v, want %v", m.Due, want)
	}
	if len(m.Key) < 10 || len(m.Key) > 100 || strings.Contains(m.Key, "g1") {
		t.Errorf("key %q: want 10–100 characters not revealing the chat", m.Key)
	}
	if n := g.sync(t); n != 0 {
		t.Errorf("an idle sync pushed %d mirrors", n)
	}
	// A change the app does not show (a snooze) makes no call.
	g.say("张三", "/snooze #1 明天")
	if rec := mirrorRec(t, g, 1); rec == nil || !rec.Behind() {
		t.Fatalf("the snooze did not mark the mirror behind: %+v", rec)
	}
	g.sync(t)
	if _, calls := app.snapshot(); calls != 1 {
		t.Errorf("calls after a change the app does not show = %d, want 1", calls)
	}
	if rec := mirrorRec(t, g, 1); rec.Behind() {
		t.Errorf("still behind after the sync: %+v", rec)
	}

	// Two quick changes cost one push of the latest state.
	g.say("张三", "/ack #1")
	g.say("张三", "/update #1 50% 方案A完成")
	g.sync(t)
	tasks, calls = app.snapshot()
	if calls != 2 {
		t.Errorf("calls after two changes = %d, want 2 (one push for both)", calls)
	}
	if d := tasks["ref-1"].Description; !strings.Contains(d, "方案A完成") {
		t.Errorf("description lacks the progress: %q", d)
	}
	if tasks["ref-1"].Ref != "ref-1" {
		t.Errorf("update went to ref %q, want ref-1", tasks["ref-1"].Ref)
	}

	// A delay approved moves the due time.
	g.say("张三", "/delay #1 3月10日 下午5点前 原因：接口未就绪")
	g.say("李四", "/approve #1")
	g.sync(t)
	tasks, _ = app.snapshot()
	if want := time.Date(2026, 3, 10, 17, 0, 0, 0, cst); !tasks["ref-1"].Due.Equal(want) {
		t.Errorf("due after the approved delay = %v, want %v", tasks["ref-1"].Due, want)
	}

	// Done, then accepted: the app shows it complete.
	g.say("张三", "/done #1 版本V1.0 测试报告：全部通过")
	g.sync(t)
	tasks, _ = app.snapshot()
	if tasks["ref-1"].State != chat.MirrorDone {
		t.Errorf("state after /done = %s", tasks["ref-1"].State)
	}
}

func TestTaskMirrorRetriesAndCrashBeforeRecording(t *testing.T) {
	g := newGroup(t)
	app := newTaskApp()
	g.b.AddPlatform("console", app)
	g.say("李四", "@张三 【产品研发-需求确认-需要方案-3月9日 下午5点前】")

	// The platform made the task but the answer was lost: the retry must
	// find it by key, not make a second one.
	app.lost = true
	g.sync(t)
	g.sync(t) // too early: waits for its backoff
	if _, calls := app.snapshot(); calls != 1 {
		t.Fatalf("calls before the backoff = %d, want 1", calls)
	}
	g.advance(time.Minute)
	g.sync(t)
	tasks, calls := app.snapshot()
	if len(tasks) != 1 || calls != 2 {
		t.Fatalf("after the retry: %d mirrors, %d calls; want 1 and 2", len(tasks), calls)
	}

	// A refusal that retrying cannot fix is not retried for this version.
	app.failNext = &chat.SendError{Reason: chat.ReasonInvalid, Err: errors.New("bad field")}
	g.say("张三", "/update #1 30%")
	g.sync(t)
	g.advance(time.Hour)
	g.sync(t)
	if _, c := app.snapshot(); c != 3 {
		t.Errorf("calls after a permanent refusal = %d, want 3", c)
	}
	rec := mirrorRec(t, g, 1)
	if rec == nil || rec.Ref != "ref-1" || rec.Behind() || !strings.Contains(rec.LastError, "bad field") {
		t.Errorf("record = %+v", rec)
	}
}

func TestCompletionInTheTaskAppIsDone(t *testing.T) {
	g := newGroup(t)
	app := newTaskApp()
	g.b.AddPlatform("console", app)
	g.say("李四", "@张三 【产品研发-需求确认-需要方案-3月9日 下午5点前】")
	g.sync(t)
	ev := chat.MirrorEvent{Platform: "console", EventID: "ev-1", Ref: "ref-1", Done: true, Time: g.now}
	for range 2 { // the platform delivers at least once
		if err := g.b.MirrorChanged(context.Background(), ev); err != nil {
			t.Fatal(err)
		}
	}
	if err := g.b.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	task := g.task(1)
	if task.Status != store.StatusDone || task.DoneAt.IsZero() {
		t.Fatalf("status = %s, want done (awaiting acceptance)", task.Status)
	}
	// One /done was applied, announced to the initiator, as a post.
	var replies []chat.Reply
	g.b.Store().View(func(tx *store.Tx) error {
		return tx.OutboxEntries(func(e *store.OutboxEntry) error {
			var r chat.Reply
			json.Unmarshal(e.Message, &r)
			if strings.HasPrefix(r.Key, "reply:console:taskapp:") {
				replies = append(replies, r)
			}
			return nil
		})
	})
	if len(replies) != 1 {
		t.Fatalf("replies to the app's completion = %d, want 1", len(replies))
	}
	if r := replies[0]; r.ReplyTo != "" || !mentionsName(r, "李四") {
		t.Errorf("reply = %+v; want a post @-mentioning the initiator", r)
	}
	// The echo of our own push, and a done task completed again, change
	// nothing.
	g.sync(t)
	if err := g.b.MirrorChanged(context.Background(), chat.MirrorEvent{Platform: "console", EventID: "ev-2", Ref: "ref-1", Done: true}); err != nil {
		t.Fatal(err)
	}
	g.b.Drain(context.Background())
	if n := len(g.task(1).Deliveries); n != 1 {
		t.Errorf("deliveries = %d, want 1", n)
	}

	// The initiator sends it back: the app reopens it.
	g.say("李四", "/reject #1 整改项：补充方案B 新截止：3月10日 下午5点前")
	g.sync(t)
	tasks, _ := app.snapshot()
	if tasks["ref-1"].State != chat.MirrorOpen {
		t.Errorf("state after /reject = %s, want open", tasks["ref-1"].State)
	}
	// Reopened in the app while collabbot says done: collabbot wins.
	g.say("张三", "/done #1 补充完成")
	g.sync(t)
	g.b.MirrorChanged(context.Background(), chat.MirrorEvent{Platform: "console", EventID: "ev-3", Ref: "ref-1", Done: false})
	g.sync(t)
	if tasks, _ := app.snapshot(); tasks["ref-1"].State != chat.MirrorDone {
		t.Errorf("state after a reopen in the app = %s, want done pushed back", tasks["ref-1"].State)
	}
	// Unknown refs are not ours.
	if err := g.b.MirrorChanged(context.Background(), chat.MirrorEvent{Platform: "console", Ref: "nope", Done: true}); err != nil {
		t.Errorf("unknown ref: %v", err)
	}
}

func TestCancelledTaskLeavesTheApp(t *testing.T) {
	g := newGroup(t)
	app := newTaskApp()
	g.b.AddPlatform("console", app)
	g.say("李四", "@张三 【产品研发-需求确认-需要方案-3月9日 下午5点前】")
	g.sync(t)
	g.say("李四", "/cancel #1 需求取消")
	g.sync(t)
	tasks, calls := app.snapshot()
	if len(tasks) != 0 || calls != 2 {
		t.Errorf("after /cancel: %d mirrors, %d calls; want 0 and 2", len(tasks), calls)
	}
	g.say("李四", "/cancel #1")
	g.sync(t)
	if _, c := app.snapshot(); c != 2 {
		t.Errorf("a gone mirror was pushed again (%d calls)", c)
	}
}

func mentionsName(r chat.Reply, name string) bool {
	for _, u := range r.Mentions {
		if u.Name == name {
			return true
		}
	}
	return false
}

func mirrorRec(t *testing.T, g *group, id int64) *store.MirrorRec {
	t.Helper()
	var rec *store.MirrorRec
	err := g.b.Store().View(func(tx *store.Tx) error {
		var err error
		rec, err = tx.MirrorRec(store.GroupKey{Platform: "console", ChatID: "g1"}, id)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return rec
}
