package larkfake

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// This file fakes Feishu Tasks v2 (/open-apis/task/v2/tasks…) as far as
// the adapter's mirror uses it, shaped from the docs (task-v2 task/create,
// get, patch, delete, add_members, remove_members; overview for
// client_token) and the SDK's models: create with client_token dedupe
// (ClientTokenWindow), read, patch by update_fields (listed but absent =
// cleared; completed_at "<ms>" completes, "0" reopens, completing a done
// task is 1470400), delete (1470404 afterwards), members. Test helpers
// change a task as a user would in the Feishu app and push the
// task.task.updated_v1 event the platform sends for it.

// Task v2 error codes.
const (
	CodeTaskParam    = 1470400
	CodeTaskGone     = 1470404
	CodeTaskInFlight = 1470422
)

// TaskOrigin is a task's origin as created.
type TaskOrigin struct {
	NameZh, NameEn string
	URL, Title     string
}

// Task is one task as the fake holds it.
type Task struct {
	GUID        string
	TaskID      string // "t…", what the app shows
	Summary     string
	Description string
	Due         time.Time // zero: none
	DueAllDay   bool
	Assignees   []string // open_ids, in order added
	Followers   []string
	CompletedAt time.Time // zero: to do
	Origin      *TaskOrigin
	ClientToken string
	Deleted     bool
	Created     time.Time
	Updated     time.Time
}

// Done reports whether the task is complete.
func (t Task) Done() bool { return !t.CompletedAt.IsZero() }

// TaskPatch is one accepted PATCH: the task and its update_fields.
type TaskPatch struct {
	GUID   string
	Fields []string
}

// TaskCall is one task API request, failed ones included.
type TaskCall struct {
	Op   string // create, get, patch, delete, add_members, remove_members
	GUID string // "" for create
	Code int    // the answer's code (0 = success)
}

// taskState is guarded by Server.mu.
type taskState struct {
	seq     int
	tasks   map[string]*Task
	order   []string
	tokens  map[string]tokenRec
	patches []TaskPatch
	calls   []TaskCall
	faults  []taskFault
}

type tokenRec struct {
	guid string
	at   time.Time
}

type taskFault struct{ status, code int }

func (s *Server) initTasks(mux *http.ServeMux) {
	s.tasks = taskState{tasks: map[string]*Task{}, tokens: map[string]tokenRec{}}
	mux.HandleFunc("POST /open-apis/task/v2/tasks", s.authed(s.handleTaskCreate))
	mux.HandleFunc("GET /open-apis/task/v2/tasks/{guid}", s.authed(s.handleTaskGet))
	mux.HandleFunc("PATCH /open-apis/task/v2/tasks/{guid}", s.authed(s.handleTaskPatch))
	mux.HandleFunc("DELETE /open-apis/task/v2/tasks/{guid}", s.authed(s.handleTaskDelete))
	mux.HandleFunc("POST /open-apis/task/v2/tasks/{guid}/add_members", s.authed(s.handleTaskAddMembers))
	mux.HandleFunc("POST /open-apis/task/v2/tasks/{guid}/remove_members", s.authed(s.handleTaskRemoveMembers))
}

// Tasks lists the tasks not deleted, in creation order.
func (s *Server) Tasks() []Task {
	return locked(s, func() []Task {
		var out []Task
		for _, g := range s.tasks.order {
			if t := s.tasks.tasks[g]; !t.Deleted {
				out = append(out, copyTask(t))
			}
		}
		return out
	})
}

// TaskByGUID returns a task, deleted ones included.
func (s *Server) TaskByGUID(guid string) (Task, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tasks.tasks[guid]
	if !ok {
		return Task{}, false
	}
	return copyTask(t), true
}

// TaskCount counts the tasks ever created (deleted ones included).
func (s *Server) TaskCount() int { return locked(s, func() int { return len(s.tasks.order) }) }

// TaskPatches lists the accepted patches, oldest first.
func (s *Server) TaskPatches() []TaskPatch {
	return locked(s, func() []TaskPatch { return slices.Clone(s.tasks.patches) })
}

// TaskCalls lists every task API request, oldest first.
func (s *Server) TaskCalls() []TaskCall {
	return locked(s, func() []TaskCall { return slices.Clone(s.tasks.calls) })
}

// InjectTaskFault makes the next task API request fail with the HTTP
// status and code (e.g. 500/1470500, 429/99991400, 403/1470403), without
// doing anything.
func (s *Server) InjectTaskFault(status, code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tasks.faults = append(s.tasks.faults, taskFault{status, code})
}

// CompleteTask completes the task as its assignee would in the Feishu app
// and pushes task.task.updated_v1 with obj_type 5 (redelivered until
// acked, like PushAsync). It returns the event id.
func (s *Server) CompleteTask(guid string) (string, error) {
	return s.userChange(guid, 5, func(t *Task) error {
		if t.Done() {
			return errors.New("larkfake: task already done")
		}
		t.CompletedAt = time.Now()
		return nil
	})
}

// ReopenTask marks a done task not done, as a user would, and pushes
// obj_type 6.
func (s *Server) ReopenTask(guid string) (string, error) {
	return s.userChange(guid, 6, func(t *Task) error {
		if !t.Done() {
			return errors.New("larkfake: task not done")
		}
		t.CompletedAt = time.Time{}
		return nil
	})
}

// DeleteTask deletes the task, as a user would, and pushes obj_type 7.
func (s *Server) DeleteTask(guid string) (string, error) {
	return s.userChange(guid, 7, func(t *Task) error {
		t.Deleted = true
		return nil
	})
}

func (s *Server) userChange(guid string, objType int, f func(*Task) error) (string, error) {
	s.mu.Lock()
	t, ok := s.tasks.tasks[guid]
	if !ok || t.Deleted {
		s.mu.Unlock()
		return "", fmt.Errorf("larkfake: no task %s", guid)
	}
	if err := f(t); err != nil {
		s.mu.Unlock()
		return "", err
	}
	t.Updated = time.Now()
	s.mu.Unlock()
	return s.PushAsyncPayload(TaskEvent{GUID: guid, ObjType: objType}.JSON()), nil
}

// TaskEvent describes a task.task.updated_v1 event. Its payload carries
// the task's guid as task_id and what changed (obj_type 1 details, 2
// assignees, 3 followers, 4 reminder, 5 done, 6 undone, 7 deleted), no
// task data.
type TaskEvent struct {
	EventID string // default: generated
	GUID    string
	ObjType int
	Token   string // the verification token put in the header
}

// JSON renders the schema 2.0 event envelope.
func (e TaskEvent) JSON() []byte {
	orDefault(&e.EventID, nextID("ev_task"))
	ev := map[string]any{
		"schema": "2.0",
		"header": map[string]any{"event_id": e.EventID, "event_type": "task.task.updated_v1",
			"create_time": strconv.FormatInt(time.Now().UnixMilli(), 10), "token": e.Token, "app_id": "cli_fake",
			"tenant_key": "tenant"},
		"event": map[string]any{"task_id": e.GUID, "obj_type": e.ObjType},
	}
	b, _ := json.Marshal(ev)
	return b
}

func copyTask(t *Task) Task {
	c := *t
	c.Assignees = slices.Clone(t.Assignees)
	c.Followers = slices.Clone(t.Followers)
	if t.Origin != nil {
		o := *t.Origin
		c.Origin = &o
	}
	return c
}

// Wire shapes (task-v2 docs).

type wireDue struct {
	Timestamp string `json:"timestamp"`
	IsAllDay  bool   `json:"is_all_day"`
}

type wireMember struct {
	ID   string `json:"id"`
	Type string `json:"type,omitempty"`
	Role string `json:"role"`
	Name string `json:"name,omitempty"`
}

type wireOrigin struct {
	PlatformI18nName map[string]string `json:"platform_i18n_name"`
	Href             *struct {
		URL   string `json:"url"`
		Title string `json:"title"`
	} `json:"href"`
}

type wireInputTask struct {
	Summary     *string      `json:"summary"`
	Description *string      `json:"description"`
	Due         *wireDue     `json:"due"`
	Origin      *wireOrigin  `json:"origin"`
	CompletedAt *string      `json:"completed_at"`
	Members     []wireMember `json:"members"`
	ClientToken string       `json:"client_token"`
	Extra       *string      `json:"extra"`
}

// taskCall starts a task request: it records it and applies an injected
// fault (answering it). ok is false when the request was answered.
func (s *Server) taskCall(w http.ResponseWriter, op, guid string) (func(code int), bool) {
	s.mu.Lock()
	i := len(s.tasks.calls)
	s.tasks.calls = append(s.tasks.calls, TaskCall{Op: op, GUID: guid})
	var f *taskFault
	if len(s.tasks.faults) > 0 {
		f = &s.tasks.faults[0]
		s.tasks.faults = s.tasks.faults[1:]
		s.tasks.calls[i].Code = f.code
	}
	s.mu.Unlock()
	if f != nil {
		apiError(w, f.status, f.code, "injected fault")
		return nil, false
	}
	return func(code int) {
		s.mu.Lock()
		s.tasks.calls[i].Code = code
		s.mu.Unlock()
	}, true
}

func (s *Server) handleTaskCreate(w http.ResponseWriter, r *http.Request) {
	done, ok := s.taskCall(w, "create", "")
	if !ok {
		return
	}
	fail := func(status, code int, msg string) {
		done(code)
		apiError(w, status, code, msg)
	}
	if t := r.URL.Query().Get("user_id_type"); t != "" && t != "open_id" {
		fail(400, CodeTaskParam, "the fake speaks open_id only")
		return
	}
	var in wireInputTask
	if err := readJSON(r, &in); err != nil {
		fail(400, CodeTaskParam, "invalid request body")
		return
	}
	if in.Summary == nil || strings.TrimSpace(*in.Summary) == "" {
		fail(400, CodeTaskParam, "summary is required")
		return
	}
	if tok := in.ClientToken; tok != "" && (len(tok) < 10 || len(tok) > 100) {
		fail(400, CodeTaskParam, "client_token must be 10-100 characters")
		return
	}
	tok := in.ClientToken
	s.mu.Lock()
	if rec, ok := s.tasks.tokens[tok]; ok && tok != "" {
		switch {
		case rec.guid == "":
			s.mu.Unlock()
			fail(500, CodeTaskInFlight, "a request with the same client_token is being processed")
			return
		case time.Since(rec.at) < s.opts.ClientTokenWindow:
			// Idempotent create: the same task, parameters not compared.
			body := taskJSON(s.tasks.tasks[rec.guid])
			s.mu.Unlock()
			done(0)
			writeJSON(w, 200, map[string]any{"code": 0, "msg": "success", "data": map[string]any{"task": body}})
			return
		}
	}
	if tok != "" {
		s.tasks.tokens[tok] = tokenRec{} // in flight
	}
	s.mu.Unlock()
	t, err := newTask(in)
	s.mu.Lock()
	if err != nil {
		delete(s.tasks.tokens, tok) // a failed create does not hold the token
		s.mu.Unlock()
		fail(400, CodeTaskParam, err.Error())
		return
	}
	s.tasks.seq++
	t.GUID = fmt.Sprintf("e297ddff-06ca-4166-b917-%012d", s.tasks.seq)
	t.TaskID = fmt.Sprintf("t%d", 100000+s.tasks.seq)
	s.tasks.tasks[t.GUID] = t
	s.tasks.order = append(s.tasks.order, t.GUID)
	if t.ClientToken != "" {
		s.tasks.tokens[t.ClientToken] = tokenRec{guid: t.GUID, at: time.Now()}
	}
	body := taskJSON(t)
	s.mu.Unlock()
	done(0)
	writeJSON(w, 200, map[string]any{"code": 0, "msg": "success", "data": map[string]any{"task": body}})
}

func newTask(in wireInputTask) (*Task, error) {
	t := &Task{Created: time.Now(), ClientToken: in.ClientToken}
	t.Updated = t.Created
	if err := applyFields(t, in, []string{"summary", "description", "due", "completed_at"}, true); err != nil {
		return nil, err
	}
	if len(in.Members) > 50 {
		return nil, errors.New("at most 50 members per call")
	}
	for _, m := range in.Members {
		if err := addMember(t, m); err != nil {
			return nil, err
		}
	}
	if o := in.Origin; o != nil {
		to := &TaskOrigin{NameZh: o.PlatformI18nName["zh_cn"], NameEn: o.PlatformI18nName["en_us"]}
		if o.Href != nil {
			if len(o.Href.URL) > 1024 || utf8.RuneCountInString(o.Href.Title) > 512 {
				return nil, errors.New("origin href too long")
			}
			to.URL, to.Title = o.Href.URL, o.Href.Title
		}
		t.Origin = to
	}
	return t, nil
}

// liveTask finds a task that is not deleted; the caller holds s.mu.
func (s *Server) liveTask(guid string) (*Task, bool) {
	t, ok := s.tasks.tasks[guid]
	if !ok || t.Deleted {
		return nil, false
	}
	return t, true
}

func (s *Server) handleTaskGet(w http.ResponseWriter, r *http.Request) {
	guid := r.PathValue("guid")
	done, ok := s.taskCall(w, "get", guid)
	if !ok {
		return
	}
	s.mu.Lock()
	t, ok := s.liveTask(guid)
	var body map[string]any
	if ok {
		body = taskJSON(t)
	}
	s.mu.Unlock()
	if !ok {
		done(CodeTaskGone)
		apiError(w, 404, CodeTaskGone, "task not found or deleted")
		return
	}
	done(0)
	writeJSON(w, 200, map[string]any{"code": 0, "msg": "success", "data": map[string]any{"task": body}})
}

func (s *Server) handleTaskPatch(w http.ResponseWriter, r *http.Request) {
	guid := r.PathValue("guid")
	done, ok := s.taskCall(w, "patch", guid)
	if !ok {
		return
	}
	fail := func(status, code int, msg string) {
		done(code)
		apiError(w, status, code, msg)
	}
	var in struct {
		Task         *wireInputTask `json:"task"`
		UpdateFields []string       `json:"update_fields"`
	}
	if err := readJSON(r, &in); err != nil {
		fail(400, CodeTaskParam, "invalid request body")
		return
	}
	if len(in.UpdateFields) == 0 {
		fail(400, CodeTaskParam, "update_fields is empty")
		return
	}
	if in.Task == nil {
		in.Task = &wireInputTask{}
	}
	s.mu.Lock()
	t, ok := s.liveTask(guid)
	if !ok {
		s.mu.Unlock()
		fail(404, CodeTaskGone, "task not found or deleted")
		return
	}
	next := copyTask(t)
	if err := applyFields(&next, *in.Task, in.UpdateFields, false); err != nil {
		s.mu.Unlock()
		fail(400, CodeTaskParam, err.Error())
		return
	}
	next.Updated = time.Now()
	*t = next
	s.tasks.patches = append(s.tasks.patches, TaskPatch{GUID: guid, Fields: slices.Clone(in.UpdateFields)})
	body := taskJSON(t)
	s.mu.Unlock()
	done(0)
	writeJSON(w, 200, map[string]any{"code": 0, "msg": "success", "data": map[string]any{"task": body}})
}

func (s *Server) handleTaskDelete(w http.ResponseWriter, r *http.Request) {
	guid := r.PathValue("guid")
	done, ok := s.taskCall(w, "delete", guid)
	if !ok {
		return
	}
	s.mu.Lock()
	t, ok := s.liveTask(guid)
	if ok {
		t.Deleted = true
		t.Updated = time.Now()
	}
	s.mu.Unlock()
	if !ok {
		done(CodeTaskGone)
		apiError(w, 404, CodeTaskGone, "task not found or deleted")
		return
	}
	done(0)
	writeJSON(w, 200, map[string]any{"code": 0, "msg": "success", "data": map[string]any{}})
}

func (s *Server) handleTaskAddMembers(w http.ResponseWriter, r *http.Request) {
	s.changeMembers(w, r, "add_members", addMember)
}

func (s *Server) handleTaskRemoveMembers(w http.ResponseWriter, r *http.Request) {
	s.changeMembers(w, r, "remove_members", func(t *Task, m wireMember) error {
		switch m.Role {
		case "assignee":
			t.Assignees = slices.DeleteFunc(t.Assignees, func(id string) bool { return id == m.ID })
		case "follower":
			t.Followers = slices.DeleteFunc(t.Followers, func(id string) bool { return id == m.ID })
		default:
			return fmt.Errorf("bad member role %q", m.Role)
		}
		return nil
	})
}

func (s *Server) changeMembers(w http.ResponseWriter, r *http.Request, op string, f func(*Task, wireMember) error) {
	guid := r.PathValue("guid")
	done, ok := s.taskCall(w, op, guid)
	if !ok {
		return
	}
	fail := func(status, code int, msg string) {
		done(code)
		apiError(w, status, code, msg)
	}
	if t := r.URL.Query().Get("user_id_type"); t != "" && t != "open_id" {
		fail(400, CodeTaskParam, "the fake speaks open_id only")
		return
	}
	var in struct {
		Members []wireMember `json:"members"`
	}
	if err := readJSON(r, &in); err != nil || len(in.Members) == 0 || len(in.Members) > 50 {
		fail(400, CodeTaskParam, "members: 1 to 50 required")
		return
	}
	s.mu.Lock()
	t, ok := s.liveTask(guid)
	if !ok {
		s.mu.Unlock()
		fail(404, CodeTaskGone, "task not found or deleted")
		return
	}
	next := copyTask(t)
	for _, m := range in.Members {
		if err := f(&next, m); err != nil {
			s.mu.Unlock()
			fail(400, CodeTaskParam, err.Error())
			return
		}
	}
	next.Updated = time.Now()
	*t = next
	body := taskJSON(t)
	s.mu.Unlock()
	done(0)
	writeJSON(w, 200, map[string]any{"code": 0, "msg": "success", "data": map[string]any{"task": body}})
}

// addMember adds m unless it is there already (ignored, as the platform
// does).
func addMember(t *Task, m wireMember) error {
	if m.ID == "" || (m.Type != "" && m.Type != "user") {
		return fmt.Errorf("bad member %+v (the fake knows users only)", m)
	}
	if !strings.HasPrefix(m.ID, "ou_") {
		return fmt.Errorf("member id %q is not an open_id", m.ID)
	}
	var list *[]string
	switch m.Role {
	case "assignee":
		list = &t.Assignees
	case "follower":
		list = &t.Followers
	default:
		return fmt.Errorf("bad member role %q", m.Role)
	}
	if !slices.Contains(*list, m.ID) {
		*list = append(*list, m.ID)
	}
	if len(t.Assignees)+len(t.Followers) > 50 {
		return errors.New("too many members")
	}
	return nil
}

// applyFields sets the listed fields from in; a listed field without a
// value is cleared. On a create, absent fields are simply not set.
func applyFields(t *Task, in wireInputTask, fields []string, create bool) error {
	for _, f := range fields {
		switch f {
		case "summary":
			if in.Summary == nil || strings.TrimSpace(*in.Summary) == "" {
				return errors.New("summary cannot be empty")
			}
			if utf8.RuneCountInString(*in.Summary) > 3000 {
				return errors.New("summary longer than 3000 characters")
			}
			t.Summary = *in.Summary
		case "description":
			d := ""
			if in.Description != nil {
				d = *in.Description
			}
			if utf8.RuneCountInString(d) > 3000 {
				return errors.New("description longer than 3000 characters")
			}
			t.Description = d
		case "due":
			t.Due, t.DueAllDay = time.Time{}, false
			if in.Due == nil {
				continue
			}
			ms, err := strconv.ParseInt(in.Due.Timestamp, 10, 64)
			if err != nil || ms < 0 {
				return fmt.Errorf("bad due timestamp %q", in.Due.Timestamp)
			}
			if ms > 0 {
				t.Due, t.DueAllDay = time.UnixMilli(ms), in.Due.IsAllDay
			}
		case "completed_at":
			if in.CompletedAt == nil {
				if !create {
					t.CompletedAt = time.Time{}
				}
				continue
			}
			ms, err := strconv.ParseInt(*in.CompletedAt, 10, 64)
			if err != nil || ms < 0 {
				return fmt.Errorf("bad completed_at %q", *in.CompletedAt)
			}
			switch {
			case ms == 0:
				t.CompletedAt = time.Time{}
			case t.Done():
				return errors.New("the task is already completed")
			default:
				t.CompletedAt = time.UnixMilli(ms)
			}
		case "extra", "start", "repeat_rule", "custom_complete", "mode", "is_milestone", "custom_fields":
			// Accepted, not modelled.
		default:
			return fmt.Errorf("unknown update field %q", f)
		}
	}
	return nil
}

// taskJSON renders a task as data.task; the caller holds s.mu.
func taskJSON(t *Task) map[string]any {
	ms := func(tm time.Time) string {
		if tm.IsZero() {
			return "0"
		}
		return strconv.FormatInt(tm.UnixMilli(), 10)
	}
	members := []map[string]any{}
	for _, id := range t.Assignees {
		members = append(members, map[string]any{"id": id, "type": "user", "role": "assignee"})
	}
	for _, id := range t.Followers {
		members = append(members, map[string]any{"id": id, "type": "user", "role": "follower"})
	}
	status := "todo"
	if t.Done() {
		status = "done"
	}
	out := map[string]any{
		"guid": t.GUID, "task_id": t.TaskID, "summary": t.Summary, "description": t.Description,
		"members": members, "completed_at": ms(t.CompletedAt), "status": status,
		"created_at": ms(t.Created), "updated_at": ms(t.Updated), "mode": 2, "source": 6,
		"creator": map[string]any{"id": "cli_fake", "type": "app", "role": "creator"},
		"url":     "https://applink.feishu.cn/client/todo/detail?guid=" + t.GUID,
	}
	if !t.Due.IsZero() {
		out["due"] = map[string]any{"timestamp": ms(t.Due), "is_all_day": t.DueAllDay}
	}
	if o := t.Origin; o != nil {
		out["origin"] = map[string]any{
			"platform_i18n_name": map[string]any{"zh_cn": o.NameZh, "en_us": o.NameEn},
			"href":               map[string]any{"url": o.URL, "title": o.Title},
		}
	}
	return out
}

func readJSON(r *http.Request, v any) error {
	raw, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return err
	}
	return json.Unmarshal(raw, v)
}
