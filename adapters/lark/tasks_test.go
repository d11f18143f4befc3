package lark

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"collabbot/adapters/lark/larkfake"
	"collabbot/bot/chat"
)

var (
	zhang = chat.User{ID: "ou_zhang", Name: "张三"}
	li    = chat.User{ID: "ou_li", Name: "李四"}
	wang  = chat.User{ID: "ou_wang", Name: "王五"}
)

func tasksOn(c *Config) { c.Tasks = true }

func mirrorOf(due time.Time) chat.MirrorTask {
	return chat.MirrorTask{
		Key: "collabbot:lark:oc_group:42", ChatID: "oc_group",
		Summary: "周报-整理数据", Description: "请整理上周的数据", Link: "https://board.example/t/42",
		Owner: zhang, Followers: []chat.User{li, {}, zhang, wang, li}, Creator: li,
		Due: due, State: chat.MirrorOpen,
	}
}

func mirror(t *testing.T, e *env, mt chat.MirrorTask) string {
	t.Helper()
	ref, err := e.ad.MirrorTask(context.Background(), mt)
	if err != nil {
		t.Fatalf("MirrorTask(%s, ref %q): %v", mt.State, mt.Ref, err)
	}
	return ref
}

func onlyTask(t *testing.T, e *env) larkfake.Task {
	t.Helper()
	ts := e.fake.Tasks()
	if len(ts) != 1 {
		t.Fatalf("want exactly one task in the fake, got %d: %+v", len(ts), ts)
	}
	return ts[0]
}

func lastPatch(t *testing.T, e *env, before int) []string {
	t.Helper()
	ps := e.fake.TaskPatches()
	if len(ps) != before+1 {
		t.Fatalf("want one more patch, got %d → %d: %+v", before, len(ps), ps)
	}
	return ps[len(ps)-1].Fields
}

// The mirror's whole life against the fake: create (twice with the same
// Key, as after a crash before the ref was recorded), progress and due,
// done, reopen, owner change, delete.
func TestMirrorTaskLifecycle(t *testing.T) {
	e := newEnv(t, tasksOn)
	if !e.ad.MirrorEnabled() {
		t.Fatal("MirrorEnabled = false with tasks: true")
	}
	due := time.Date(2030, 5, 6, 18, 0, 0, 0, time.Local)
	mt := mirrorOf(due)
	ref := mirror(t, e, mt)
	if ref == "" {
		t.Fatal("no ref")
	}
	got := onlyTask(t, e)
	if got.GUID != ref || got.Summary != mt.Summary || got.Done() {
		t.Errorf("task %+v", got)
	}
	if want := "请整理上周的数据\n详情：https://board.example/t/42"; got.Description != want {
		t.Errorf("description = %q, want %q", got.Description, want)
	}
	if !slices.Equal(got.Assignees, []string{"ou_zhang"}) || !slices.Equal(got.Followers, []string{"ou_li", "ou_wang"}) {
		t.Errorf("assignees %v followers %v", got.Assignees, got.Followers)
	}
	if !got.Due.Equal(due) || got.DueAllDay {
		t.Errorf("due %v all-day %v, want %v", got.Due, got.DueAllDay, due)
	}
	if o := got.Origin; o == nil || *o != (larkfake.TaskOrigin{NameZh: "collabbot", NameEn: "collabbot", URL: mt.Link, Title: mt.Summary}) {
		t.Errorf("origin %+v", o)
	}
	if got.ClientToken != mt.Key {
		t.Errorf("client_token %q, want the Key", got.ClientToken)
	}

	if again := mirror(t, e, mt); again != ref || e.fake.TaskCount() != 1 {
		t.Errorf("second create with the same Key: ref %q (want %q), %d tasks", again, ref, e.fake.TaskCount())
	}

	mt.Ref = ref
	n := len(e.fake.TaskPatches())
	mirror(t, e, mt)
	if len(e.fake.TaskPatches()) != n {
		t.Errorf("unchanged task patched: %+v", e.fake.TaskPatches())
	}

	mt.Description, mt.Due = "进度 50%：数据已收齐", due.Add(24*time.Hour)
	mirror(t, e, mt)
	if f := lastPatch(t, e, n); !slices.Equal(f, []string{"description", "due"}) {
		t.Errorf("progress patch fields %v", f)
	}
	got = onlyTask(t, e)
	if !strings.HasPrefix(got.Description, "进度 50%") || !got.Due.Equal(mt.Due) {
		t.Errorf("after progress: %q due %v", got.Description, got.Due)
	}

	steps := []struct {
		state chat.MirrorState
		patch []string // nil: no patch expected
		done  bool
	}{
		{chat.MirrorDone, []string{"completed_at"}, true},
		{chat.MirrorDone, nil, true}, // never completed twice (1470400)
		{chat.MirrorOpen, []string{"completed_at"}, false},
	}
	for i, s := range steps {
		mt.State = s.state
		n := len(e.fake.TaskPatches())
		mirror(t, e, mt)
		ps := e.fake.TaskPatches()
		switch {
		case s.patch == nil && len(ps) != n:
			t.Errorf("step %d (%s): unexpected patch %v", i, s.state, ps[n:])
		case s.patch != nil && (len(ps) != n+1 || !slices.Equal(ps[n].Fields, s.patch)):
			t.Errorf("step %d (%s): patches %+v, want one with %v", i, s.state, ps[n:], s.patch)
		}
		if d := onlyTask(t, e).Done(); d != s.done {
			t.Errorf("step %d (%s): done = %v", i, s.state, d)
		}
	}

	mt.Owner = wang
	mirror(t, e, mt)
	if got := onlyTask(t, e); !slices.Equal(got.Assignees, []string{"ou_wang"}) {
		t.Errorf("after owner change assignees = %v", got.Assignees)
	}

	mt.State = chat.MirrorGone
	mirror(t, e, mt)
	mirror(t, e, mt) // already gone: still fine
	if ts := e.fake.Tasks(); len(ts) != 0 {
		t.Errorf("tasks after delete: %+v", ts)
	}
	mt.State = chat.MirrorOpen
	_, err := e.ad.MirrorTask(context.Background(), mt)
	var se *chat.SendError
	if !errors.As(err, &se) || se.Reason != chat.ReasonGone || se.Retry {
		t.Errorf("update of a deleted mirror: %#v, want gone without retry", err)
	}
	if got := e.counter("collabbot_lark_task_mirrors_total", "op", "delete", "result", "ok"); got != 2 {
		t.Errorf("delete ok metric = %v", got)
	}
}

// A task that starts done is created complete; one task per create call
// when Keys differ; a summary over the limit is cut; a Key the platform
// would refuse as client_token is replaced by a stable digest.
func TestMirrorTaskCreateEdges(t *testing.T) {
	e := newEnv(t, tasksOn)
	mt := mirrorOf(time.Time{})
	mt.State, mt.Key, mt.Link = chat.MirrorDone, "short", ""
	mt.Summary = strings.Repeat("长", 3100)
	ref := mirror(t, e, mt)
	got, ok := e.fake.TaskByGUID(ref)
	if !ok || !got.Done() || !got.Due.IsZero() || got.Origin != nil || got.Description != "请整理上周的数据" {
		t.Errorf("created %+v", got)
	}
	if n := len([]rune(got.Summary)); n != 3000 || !strings.HasSuffix(got.Summary, "…") {
		t.Errorf("summary of %d runes", n)
	}
	if len(got.ClientToken) < 10 || got.ClientToken == "short" {
		t.Errorf("client_token %q", got.ClientToken)
	}
	if again := mirror(t, e, mt); again != ref {
		t.Errorf("the digest token is not stable: %q vs %q", again, ref)
	}

	// Feishu Tasks has no priority: it is a marker in the summary.
	mt = mirrorOf(time.Time{})
	mt.Priority = 1
	ref = mirror(t, e, mt)
	if got, _ := e.fake.TaskByGUID(ref); got.Summary != "【重要】周报-整理数据" || got.Origin.Title != got.Summary {
		t.Errorf("important: %q / %q", got.Summary, got.Origin.Title)
	}
	mt.Ref, mt.Priority = ref, 2
	n := len(e.fake.TaskPatches())
	mirror(t, e, mt)
	if f := lastPatch(t, e, n); !slices.Equal(f, []string{"summary"}) {
		t.Errorf("priority change patched %v", f)
	}
	if got, _ := e.fake.TaskByGUID(ref); got.Summary != "【紧急】周报-整理数据" {
		t.Errorf("urgent: %q", got.Summary)
	}
}

// One attempt per call, classified.
func TestMirrorTaskErrorsClassified(t *testing.T) {
	e := newEnv(t, tasksOn)
	cases := []struct {
		status, code int
		reason       chat.Reason
		retry        bool
	}{
		{429, 99991400, chat.ReasonThrottled, true},
		{500, 1470500, chat.ReasonTransient, true},
		{500, 1470422, chat.ReasonTransient, true},
		{502, 1, chat.ReasonTransient, true},
		{403, 1470403, chat.ReasonAuth, false},
		{400, 1470400, chat.ReasonInvalid, false},
		{404, 1470404, chat.ReasonGone, false},
		{400, 1479999, chat.ReasonOther, false},
	}
	for _, c := range cases {
		e.fake.InjectTaskFault(c.status, c.code)
		before := len(e.fake.TaskCalls())
		_, err := e.ad.MirrorTask(context.Background(), mirrorOf(time.Time{}))
		var se *chat.SendError
		if !errors.As(err, &se) || se.Reason != c.reason || se.Retry != c.retry {
			t.Errorf("%d/%d: got %#v, want %s retry=%v", c.status, c.code, err, c.reason, c.retry)
		}
		if n := len(e.fake.TaskCalls()) - before; n != 1 {
			t.Errorf("%d/%d: %d calls, want 1", c.status, c.code, n)
		}
	}
	if n := e.fake.TaskCount(); n != 0 {
		t.Errorf("%d tasks created by failed calls", n)
	}
	_, err := e.ad.MirrorTask(context.Background(), chat.MirrorTask{Key: "collabbot:x:1", Ref: "no-such-guid", Summary: "x"})
	var se *chat.SendError
	if !errors.As(err, &se) || se.Reason != chat.ReasonGone || se.Retry {
		t.Errorf("unknown guid: %#v", err)
	}

	off := newEnv(t, nil)
	if off.ad.MirrorEnabled() {
		t.Error("MirrorEnabled with tasks off")
	}
	_, err = off.ad.MirrorTask(context.Background(), mirrorOf(time.Time{}))
	if !errors.As(err, &se) || se.Reason != chat.ReasonInvalid || se.Retry || !strings.Contains(err.Error(), "tasks not enabled") {
		t.Errorf("tasks off: %#v", err)
	}
	if len(off.fake.TaskCalls()) != 0 {
		t.Error("tasks off but the API was called")
	}
}

// mirrorIntake is a chat.Intake that also takes mirror changes and card
// clicks; MirrorChanged fails while fail > 0.
type mirrorIntake struct {
	mu      sync.Mutex
	fail    int
	events  []chat.MirrorEvent
	actions []chat.Action
}

func (m *mirrorIntake) Accept(context.Context, chat.Message) error { return nil }
func (m *mirrorIntake) Post(context.Context, chat.Reply) error     { return nil }

func (m *mirrorIntake) HandleAction(_ context.Context, a chat.Action) chat.ActionResult {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.actions = append(m.actions, a)
	return chat.ActionResult{Toast: "ok"}
}

func (m *mirrorIntake) MirrorChanged(_ context.Context, e chat.MirrorEvent) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.events = append(m.events, e)
	if m.fail > 0 {
		m.fail--
		return errors.New("store busy")
	}
	return nil
}

func (m *mirrorIntake) got() []chat.MirrorEvent {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.events)
}

func startWith(t *testing.T, e *env, in chat.Intake) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := e.ad.Start(ctx, in); err != nil {
		t.Fatal(err)
	}
}

// Completing the task in the Feishu app reaches the bot once it commits
// it; a refusal makes the platform deliver the event again.
func TestTaskCompletionEvents(t *testing.T) {
	e := newEnvOpts(t, larkfake.Options{RedeliverAfter: 150 * time.Millisecond}, tasksOn)
	in := &mirrorIntake{fail: 1}
	startWith(t, e, in)
	ref := mirror(t, e, mirrorOf(time.Now().Add(time.Hour)))

	evID, err := e.fake.CompleteTask(ref)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.fake.WaitAcked(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	evs := in.got()
	if len(evs) != 2 {
		t.Fatalf("MirrorChanged called %d times, want 2 (refused, then redelivered): %+v", len(evs), evs)
	}
	for _, ev := range evs {
		if ev.Platform != chat.PlatformLark || ev.EventID != evID || ev.Ref != ref || !ev.Done || ev.Deleted || ev.Time.IsZero() {
			t.Errorf("event %+v", ev)
		}
	}
	if n := e.fake.Deliveries(evID); n != 2 {
		t.Errorf("%d deliveries, want 2", n)
	}
	if st := e.fake.Events(); len(st) != 1 || st[0].Nacks != 1 || !st[0].Acked {
		t.Errorf("delivery status %+v", st)
	}

	if _, err := e.fake.ReopenTask(ref); err != nil {
		t.Fatal(err)
	}
	e.fake.PushAsyncPayload(larkfake.TaskEvent{GUID: ref, ObjType: 1}.JSON()) // details: not reported
	// Handlers run unordered: a delete before the reopen's read would make
	// both report the deletion.
	if err := e.fake.WaitAcked(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	if _, err := e.fake.DeleteTask(ref); err != nil {
		t.Fatal(err)
	}
	if err := e.fake.WaitAcked(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	evs = in.got()[2:]
	if len(evs) != 2 {
		t.Fatalf("after reopen and delete: %+v", evs)
	}
	if r := evs[0]; r.Done || r.Deleted || r.Ref != ref {
		t.Errorf("reopen reported as %+v", r)
	}
	if d := evs[1]; !d.Deleted || d.Ref != ref {
		t.Errorf("delete reported as %+v", d)
	}
	if n := e.fake.Redeliveries(); n != 1 {
		t.Errorf("%d redeliveries, want 1", n)
	}
}

// In webhook mode the same handler answers: 503 until the bot commits.
func TestTaskEventWebhook(t *testing.T) {
	e := newHookEnv(t, tasksOn)
	in := &mirrorIntake{fail: 1}
	startWith(t, e.env, in)
	ref := mirror(t, e.env, mirrorOf(time.Time{}))
	ev := larkfake.TaskEvent{EventID: "ev_hook_task", GUID: ref, ObjType: 7, Token: testVToken}.JSON()
	for i, want := range []int{503, 200} {
		code, body := e.do(larkfake.WebhookRequest(e.url, ev, testEncryptKey, time.Now(), "nonce-task-"+string(rune('a'+i))))
		if code != want {
			t.Errorf("delivery %d: %d %s, want %d", i, code, body, want)
		}
	}
	if evs := in.got(); len(evs) != 2 || !evs[1].Deleted || evs[1].EventID != "ev_hook_task" {
		t.Errorf("events %+v", evs)
	}
}
