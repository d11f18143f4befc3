package dingtalk

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"collabbot/adapters/dingtalk/dingfake"
	"collabbot/bot/chat"
)

// Org members of the 待办 tests: staff id → union id.
var (
	uLisi  = chat.User{ID: "lisi01", Name: "李四"}
	uZhang = chat.User{ID: "zhangsan01", Name: "张三"}
	uWang  = chat.User{ID: "wangwu01", Name: "王五"}
	unions = map[string]string{"lisi01": "unLisi", "zhangsan01": "unZhang", "wangwu01": "unWang"}
)

const todoFallbackURL = "https://board.example.com/tasks"

func todoEnv(t *testing.T, mod func(*Config)) *env {
	t.Helper()
	e := newEnv(t, func(c *Config) {
		c.Todo = true
		c.TodoDetailURL = todoFallbackURL
		if mod != nil {
			mod(c)
		}
	})
	for s, u := range unions {
		e.fake.AddUser(s, u)
	}
	return e
}

func mirrorTask(key string) chat.MirrorTask {
	return chat.MirrorTask{
		Key:         key,
		ChatID:      testChat,
		Summary:     "产品研发-需求确认",
		Description: "需前端提供技术评估方案",
		Link:        "https://board.example.com/t/1",
		Owner:       uZhang,
		Followers:   []chat.User{uWang, uZhang},
		Creator:     uLisi,
		Due:         time.Date(2026, 9, 15, 18, 0, 0, 0, quotaZone),
		Priority:    1,
		State:       chat.MirrorOpen,
	}
}

func onlyTodo(t *testing.T, f *dingfake.Server) dingfake.Todo {
	t.Helper()
	ts := f.Todos()
	if len(ts) != 1 {
		t.Fatalf("%d todos, want 1: %+v", len(ts), ts)
	}
	return ts[0]
}

func TestTodoCreate(t *testing.T) {
	for _, tc := range []struct {
		name         string
		link         string
		priority     int
		creator      chat.User
		wantURL      string
		wantPriority int
		wantCreator  string
	}{
		{"board link, important", "https://board.example.com/t/1", 1, uLisi, "https://board.example.com/t/1", 30, "unLisi"},
		{"fallback url, routine", "", 0, uLisi, todoFallbackURL, 20, "unLisi"},
		{"urgent, no creator: the owner creates", "https://board.example.com/t/2", 2, chat.User{}, "https://board.example.com/t/2", 40, "unZhang"},
		{"creator unknown to DingTalk: the owner creates", "", 0, chat.User{ID: "ghost01"}, todoFallbackURL, 20, "unZhang"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := todoEnv(t, nil)
			mt := mirrorTask("collabbot-task-0001")
			mt.Link, mt.Priority, mt.Creator = tc.link, tc.priority, tc.creator
			ref, err := e.a.MirrorTask(context.Background(), mt)
			if err != nil {
				t.Fatal(err)
			}
			td := onlyTodo(t, e.fake)
			if want := tc.wantCreator + "/" + td.ID; ref != want {
				t.Errorf("ref = %q, want %q", ref, want)
			}
			got := []any{td.Subject, td.Description, td.SourceID, td.CreatorID, strings.Join(td.ExecutorIDs, ","),
				strings.Join(td.ParticipantIDs, ","), td.AppURL, td.PCURL, td.Priority, td.IsOnlyShowExecutor, td.DueTime}
			want := []any{mt.Summary, mt.Description, mt.Key, tc.wantCreator, "unZhang",
				"unWang", tc.wantURL, tc.wantURL, tc.wantPriority, true, mt.Due.UnixMilli()}
			for i := range got {
				if got[i] != want[i] {
					t.Errorf("todo field %d = %v, want %v (todo %+v)", i, got[i], want[i], td)
				}
			}
		})
	}
}

func TestTodoCreateRefused(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mod    func(*Config)
		task   func(*chat.MirrorTask)
		reason chat.Reason
		text   string
	}{
		{"todo off", func(c *Config) { c.Todo = false }, nil, chat.ReasonInvalid, "todo not enabled"},
		{"no link, no fallback url", func(c *Config) { c.TodoDetailURL = "" }, func(m *chat.MirrorTask) { m.Link = "" },
			chat.ReasonInvalid, "todo_detail_url"},
		{"owner unknown to DingTalk", nil, func(m *chat.MirrorTask) { m.Owner = chat.User{ID: "ghost01"} }, chat.ReasonInvalid, "owner"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := todoEnv(t, tc.mod)
			mt := mirrorTask("collabbot-task-0001")
			if tc.task != nil {
				tc.task(&mt)
			}
			_, err := e.a.MirrorTask(context.Background(), mt)
			e.errs = append(e.errs, err)
			se := sendErr(t, err)
			if se.Reason != tc.reason || se.Retry || !strings.Contains(err.Error(), tc.text) {
				t.Errorf("err = %v (retry %v), want %s mentioning %q", err, se.Retry, tc.reason, tc.text)
			}
			if n := e.fake.Calls(dingfake.PathTodoCreate); n != 0 {
				t.Errorf("%d create calls, want 0", n)
			}
		})
	}
}

// A create whose answer was lost (or whose Ref was never recorded) is
// made again with the same Key: DingTalk answers "task exist", the adapter
// finds the todo by sourceId and brings it up to date.
func TestTodoCreateAgainIsIdempotent(t *testing.T) {
	e := todoEnv(t, nil)
	e.fake.TodoPageSize = 1
	// Other todos of the owner first, so that the search pages.
	for _, k := range []string{"collabbot-task-0007", "collabbot-task-0008"} {
		if _, err := e.a.MirrorTask(context.Background(), mirrorTask(k)); err != nil {
			t.Fatal(err)
		}
	}
	mt := mirrorTask("collabbot-task-0001")
	ref1, err := e.a.MirrorTask(context.Background(), mt)
	if err != nil {
		t.Fatal(err)
	}
	mt.Description = "进展：方案已出初稿"
	ref2, err := e.a.MirrorTask(context.Background(), mt)
	if err != nil {
		t.Fatal(err)
	}
	if ref2 != ref1 {
		t.Errorf("second create ref = %q, want %q", ref2, ref1)
	}
	var mine []dingfake.Todo
	for _, td := range e.fake.Todos() {
		if td.SourceID == mt.Key {
			mine = append(mine, td)
		}
	}
	if len(mine) != 1 || mine[0].Description != mt.Description || mine[0].Updates != 1 {
		t.Errorf("todos for the key: %+v, want one, updated once to the new description", mine)
	}
	if n := e.fake.Calls(dingfake.PathTodoQuery); n < 2 {
		t.Errorf("%d query calls: the search did not page", n)
	}
}

func TestTodoUpdateDoneReopenGone(t *testing.T) {
	e := todoEnv(t, nil)
	mt := mirrorTask("collabbot-task-0001")
	ref, err := e.a.MirrorTask(context.Background(), mt)
	if err != nil {
		t.Fatal(err)
	}
	mt.Ref = ref
	steps := []struct {
		name     string
		change   func(*chat.MirrorTask)
		wantDone bool
		check    func(dingfake.Todo) bool
	}{
		{"due and description", func(m *chat.MirrorTask) {
			m.Due = m.Due.Add(48 * time.Hour)
			m.Description = "延期两天"
		}, false, func(td dingfake.Todo) bool {
			return td.DueTime == mt.Due.UnixMilli() && td.Description == "延期两天"
		}},
		{"owner and followers", func(m *chat.MirrorTask) {
			m.Owner, m.Followers = uWang, []chat.User{uZhang}
		}, false, func(td dingfake.Todo) bool {
			return strings.Join(td.ExecutorIDs, ",") == "unWang" && strings.Join(td.ParticipantIDs, ",") == "unZhang"
		}},
		{"done", func(m *chat.MirrorTask) { m.State = chat.MirrorDone }, true, nil},
		{"reopened", func(m *chat.MirrorTask) { m.State = chat.MirrorOpen }, false, nil},
	}
	for i, st := range steps {
		st.change(&mt)
		got, err := e.a.MirrorTask(context.Background(), mt)
		if err != nil || got != ref {
			t.Fatalf("%s: ref %q err %v", st.name, got, err)
		}
		td := onlyTodo(t, e.fake)
		if td.Updates != i+1 || td.Done != st.wantDone || (st.check != nil && !st.check(td)) {
			t.Errorf("%s: todo %+v (updates %d, want %d; done %v, want %v)", st.name, td, td.Updates, i+1, td.Done, st.wantDone)
		}
	}
	mt.State = chat.MirrorGone
	for i := range 2 { // a second delete finds nothing: still a success
		if got, err := e.a.MirrorTask(context.Background(), mt); err != nil || got != ref {
			t.Fatalf("delete %d: ref %q err %v", i, got, err)
		}
		if td := onlyTodo(t, e.fake); !td.Deleted {
			t.Fatalf("delete %d: todo not deleted", i)
		}
	}
	// Updating a todo deleted in the app: gone.
	mt.State = chat.MirrorOpen
	_, err = e.a.MirrorTask(context.Background(), mt)
	if se := sendErr(t, err); se.Reason != chat.ReasonGone || se.Retry {
		t.Errorf("update of a deleted todo: %v", err)
	}
}

func TestTodoFailuresAreClassified(t *testing.T) {
	for _, tc := range []struct {
		name   string
		fault  dingfake.Fault
		reason chat.Reason
		retry  bool
	}{
		{"qps limit", dingfake.QPSLimit, chat.ReasonThrottled, true},
		{"flow control", dingfake.Fault{Status: 400, Code: "flowControlError"}, chat.ReasonThrottled, true},
		{"system busy", dingfake.Fault{Status: 500, Code: "system.busy"}, chat.ReasonTransient, true},
		{"param error", dingfake.Fault{Status: 400, Code: "paramError"}, chat.ReasonInvalid, false},
		{"no scope", dingfake.Fault{Status: 403, Code: "Forbidden.AccessDenied.AccessTokenPermissionDenied"}, chat.ReasonAuth, false},
		{"network", dingfake.Fault{Drop: true}, chat.ReasonTransient, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := todoEnv(t, nil)
			mt := mirrorTask("collabbot-task-0001")
			ref, err := e.a.MirrorTask(context.Background(), mt)
			if err != nil {
				t.Fatal(err)
			}
			mt.Ref = ref
			e.fake.FailNext(dingfake.PathTodoTask, 1, tc.fault)
			_, err = e.a.MirrorTask(context.Background(), mt)
			e.errs = append(e.errs, err)
			if se := sendErr(t, err); se.Reason != tc.reason || se.Retry != tc.retry {
				t.Errorf("update: %v (retry %v), want %s retry %v", err, se.Retry, tc.reason, tc.retry)
			}
			e.fake.FailNext(dingfake.PathTodoCreate, 1, tc.fault)
			_, err = e.a.MirrorTask(context.Background(), mirrorTask("collabbot-task-0002"))
			if se := sendErr(t, err); se.Reason != tc.reason || se.Retry != tc.retry {
				t.Errorf("create: %v (retry %v), want %s retry %v", err, se.Retry, tc.reason, tc.retry)
			}
		})
	}
}

func TestUnionIDLookups(t *testing.T) {
	e := todoEnv(t, nil)
	ctx := context.Background()
	for range 3 {
		if u, err := e.a.unionID(ctx, "zhangsan01"); err != nil || u != "unZhang" {
			t.Fatalf("unionID = %q, %v", u, err)
		}
	}
	if s, err := e.a.staffID(ctx, "unZhang"); err != nil || s != "zhangsan01" {
		t.Errorf("staffID = %q, %v", s, err)
	}
	if n := e.fake.Calls(dingfake.PathUserGet) + e.fake.Calls(dingfake.PathUserByUnion); n != 1 {
		t.Errorf("%d lookups, want 1 (cached both ways)", n)
	}
	if _, err := e.a.staffID(ctx, "unGhost"); !isReason(err, chat.ReasonGone) {
		t.Errorf("unknown union id: %v, want gone (60121)", err)
	}
	e.fake.FailNext(dingfake.PathUserGet, 1, dingfake.Fault{Code: "90018"})
	if _, err := e.a.unionID(ctx, "wangwu01"); !isReason(err, chat.ReasonThrottled) || !retryable(err) {
		t.Errorf("throttled lookup: %v", err)
	}
	// A refused token is replaced once, as on the v1.0 API.
	e.fake.RevokeTokens()
	if u, err := e.a.unionID(ctx, "wangwu01"); err != nil || u != "unWang" {
		t.Errorf("after token revocation: %q, %v", u, err)
	}
}

// mirrorIntake records mirror changes and card clicks; MirrorChanged fails
// while fail > 0.
type mirrorIntake struct {
	mu      sync.Mutex
	fail    int
	changes []chat.MirrorEvent
	calls   int
	actions []chat.Action
	ch      chan struct{}
}

func newMirrorIntake() *mirrorIntake { return &mirrorIntake{ch: make(chan struct{}, 100)} }

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
	defer func() { m.ch <- struct{}{} }()
	defer m.mu.Unlock()
	m.calls++
	if m.fail > 0 {
		m.fail--
		return errors.New("disk full")
	}
	m.changes = append(m.changes, e)
	return nil
}

func (m *mirrorIntake) got() (calls int, changes []chat.MirrorEvent) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.calls, append([]chat.MirrorEvent(nil), m.changes...)
}

func TestTodoEventsReachTheBot(t *testing.T) {
	e := todoEnv(t, nil)
	e.fake.EventRedeliverAfter = 300 * time.Millisecond
	in := newMirrorIntake()
	in.fail = 1
	if err := e.a.Start(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	ref, err := e.a.MirrorTask(context.Background(), mirrorTask("collabbot-task-0001"))
	if err != nil {
		t.Fatal(err)
	}
	// A restart forgets which todo is whose: the events must still name
	// the Ref that MirrorTask returned.
	td := onlyTodo(t, e.fake)
	e.a.todoOwners.Remove(td.ID)

	evID, err := e.fake.CompleteTodo(td.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.fake.WaitTodoEventsAcked(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	calls, changes := in.got()
	want := chat.MirrorEvent{Platform: chat.PlatformDingTalk, EventID: evID, Ref: ref, Done: true, By: chat.User{ID: "zhangsan01", Name: "zhangsan01"}}
	if calls != 2 || len(changes) != 1 {
		t.Fatalf("MirrorChanged calls %d, committed %+v: want the failed one redelivered and committed once", calls, changes)
	}
	got := changes[0]
	got.Time = time.Time{}
	if got != want {
		t.Errorf("change = %+v, want %+v", got, want)
	}
	evs := e.fake.TodoEvents()
	if len(evs) != 1 || evs[0].Deliveries != 2 || len(evs[0].Codes) != 2 || evs[0].Codes[0] == 200 || evs[0].Codes[1] != 200 {
		t.Errorf("event deliveries %+v: want LATER, then acked on the redelivery", evs)
	}

	// Reopened, then deleted in the app.
	if _, err := e.fake.ReopenTodo(td.ID); err != nil {
		t.Fatal(err)
	}
	if err := e.fake.WaitTodoEventsAcked(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	if _, err := e.fake.DeleteTodo(td.ID); err != nil {
		t.Fatal(err)
	}
	if err := e.fake.WaitTodoEventsAcked(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	_, changes = in.got()
	if len(changes) != 3 || changes[1].Done || changes[1].Ref != ref || !changes[2].Deleted || changes[2].Ref != ref {
		t.Errorf("changes %+v: want reopened and deleted, with ref %q", changes, ref)
	}
}

func TestTodoEventsNotOursAreAcked(t *testing.T) {
	e := todoEnv(t, nil)
	in := newMirrorIntake()
	if err := e.a.Start(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	if _, err := e.a.MirrorTask(context.Background(), mirrorTask("collabbot-task-0001")); err != nil {
		t.Fatal(err)
	}
	e.fake.PushTodoEvent(dingfake.EventTodoUpdate, "taskOtherApp", "otherApp", []string{"unZhang"})
	e.fake.PushTodoEvent(dingfake.EventTodoUpdate, "taskUnknown", e.fake.BizTag(), []string{"unZhang"})
	e.fake.PushTodoEvent(dingfake.EventTodoDelete, "taskUnknown2", e.fake.BizTag(), []string{"unZhang"})
	e.fake.PushTodoEvent("user_add_org", "", "", nil)
	if err := e.fake.WaitTodoEventsAcked(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	for _, ev := range e.fake.TodoEvents() {
		if ev.Deliveries != 1 || !ev.Acked {
			t.Errorf("event %+v: want acked at once", ev)
		}
	}
	if calls, _ := in.got(); calls != 0 {
		t.Errorf("MirrorChanged called %d times for todos that are not mirrors", calls)
	}
}

func TestConfigTodoAndDing(t *testing.T) {
	c := NewConfig()
	c.Enable, c.ClientID, c.ClientSecret = true, "id", testSecret
	if c.Ding != DingOff || c.OAPIURL != defaultOAPIURL || c.Todo {
		t.Errorf("defaults %+v", c)
	}
	c.Ding, c.TodoDetailURL, c.OAPIURL = "loud", "board", "ftp://x"
	errs := strings.Join(c.Validate("dingtalk"), "\n")
	for _, want := range []string{
		`dingtalk.ding: must be off, app, sms or phone, got "loud"`,
		`dingtalk.todo_detail_url: "board" must be an http(s) URL`,
		`dingtalk.oapi_url: "ftp://x" must be an http(s) URL`,
	} {
		if !strings.Contains(errs, want) {
			t.Errorf("Validate lacks %q:\n%s", want, errs)
		}
	}
	c.Ding, c.TodoDetailURL, c.OAPIURL, c.Todo, c.CardTemplateID = "SMS", "", "", true, testTemplate
	if errs := c.Validate("dingtalk"); len(errs) != 0 {
		t.Errorf("valid: %v", errs)
	}
	if w := strings.Join(c.Warnings("dingtalk"), "\n"); !strings.Contains(w, "dingtalk.todo_detail_url: empty") {
		t.Errorf("Warnings = %q", w)
	}
	a, err := New(*c, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if a.cfg.Ding != DingSMS || !a.MirrorEnabled() || a.cfg.OAPIURL != defaultOAPIURL {
		t.Errorf("built %+v", a.cfg)
	}
}

func TestButtonGroupRoundTrip(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.CardTemplateID = testTemplate })
	in := newMirrorIntake()
	if err := e.a.Start(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	err := e.a.Send(context.Background(), chat.Reply{ChatID: testChat, Key: "digest-1", Card: &chat.Card{
		Title: "今日待办", Body: "1. 需求确认",
		Buttons: []chat.Button{{Label: "完成", Action: chat.ActionDone, TaskID: 7, Group: "cidOtherGroup=="}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	sent := e.fake.SentVia("card")
	if len(sent) != 1 {
		t.Fatalf("cards %+v", sent)
	}
	// The template hands the button's fields back as callback params.
	var buttons []map[string]any
	if err := json.Unmarshal([]byte(sent[0].CardData["buttons"]), &buttons); err != nil || len(buttons) != 1 {
		t.Fatalf("buttons %q: %v", sent[0].CardData["buttons"], err)
	}
	params := map[string]any{"action": buttons[0]["action"], "task": buttons[0]["task"], "group": buttons[0]["group"]}
	if _, _, err := e.fake.PushCardCallback(dingfake.CardCallback{OutTrackID: sent[0].OutTrack, UserID: "zhangsan01", SpaceID: testChat, Params: params}); err != nil {
		t.Fatal(err)
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	if len(in.actions) != 1 || in.actions[0].Group != "cidOtherGroup==" || in.actions[0].TaskID != 7 || in.actions[0].Action != chat.ActionDone {
		t.Errorf("actions %+v", in.actions)
	}
}
