package dingfake

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"time"

	"collabbot/adapters/platform/fakedelivery"
)

// This file adds DingTalk 待办 (platforms-2.md §6): the todo endpoints, the
// old API's staffId↔unionId lookups, and todo_task_update /
// todo_task_delete EVENT frames, delivered until acked (an event answered
// LATER, code 500, comes again with the same eventId).

// 待办 and user API paths; the keys of FailNext, FailWhen and Calls.
const (
	PathTodoCreate  = "/v1.0/todo/users/{unionId}/tasks"           // POST
	PathTodoTask    = "/v1.0/todo/users/{unionId}/tasks/{taskId}"  // GET, PUT, DELETE
	PathTodoQuery   = "/v1.0/todo/users/{unionId}/org/tasks/query" // POST
	PathUserGet     = "/topapi/v2/user/get"                        // old API host, ?access_token=
	PathUserByUnion = "/topapi/user/getbyunionid"                  // old API host, ?access_token=

	EventTodoUpdate = "todo_task_update"
	EventTodoDelete = "todo_task_delete"
)

// Todo is a 待办 as the fake keeps it.
type Todo struct {
	ID                 string
	CreatorID          string // union id
	Subject            string
	Description        string
	SourceID           string
	BizTag             string
	AppURL, PCURL      string // detailUrl
	DueTime            int64  // ms, 0 = none
	ExecutorIDs        []string
	ParticipantIDs     []string
	Priority           int
	IsOnlyShowExecutor bool
	Done               bool
	Deleted            bool
	ModifierID         string
	Created, Modified  int64  // ms
	Updates            int    // PUTs applied
	Raw                string // the create request body
}

// todoFake is the Server's 待办 state, guarded by Server.mu.
type todoFake struct {
	users     map[string]string // staffId → unionId
	todos     map[string]*Todo
	todoOrder []string
	// TodoPageSize is the org query's page size [10].
	TodoPageSize int
	// EventRedeliverAfter is how long an EVENT frame waits for its ack
	// before it goes out again; an ack other than 200 waits it out from
	// when the frame was written [1s].
	EventRedeliverAfter time.Duration
	// MaxEventRedeliveries bounds the redeliveries of one event [4].
	MaxEventRedeliveries int

	events *fakedelivery.Tracker[todoEvent]
}

func (s *Server) initTodo(mux *http.ServeMux) {
	s.users = map[string]string{}
	s.todos = map[string]*Todo{}
	s.events = fakedelivery.New[todoEvent](fakedelivery.Config{
		Name: "dingfake", Noun: "events",
		Connect: func(ctx context.Context) (fakedelivery.Conn, error) {
			c, err := s.waitNewest(ctx)
			if err != nil {
				return nil, err
			}
			return eventConn{c, s.ClientID}, nil
		},
		FrameID: func(seq uint64) string { return fmt.Sprintf("evframe-%d-%s", seq, randID("")) },
		Policy:  s.eventPolicy,
	})
	mux.HandleFunc("POST /v1.0/todo/users/{unionId}/tasks", s.todoCreate)
	mux.HandleFunc("GET /v1.0/todo/users/{unionId}/tasks/{taskId}", s.todoGet)
	mux.HandleFunc("PUT /v1.0/todo/users/{unionId}/tasks/{taskId}", s.todoUpdate)
	mux.HandleFunc("DELETE /v1.0/todo/users/{unionId}/tasks/{taskId}", s.todoDelete)
	mux.HandleFunc("POST /v1.0/todo/users/{unionId}/org/tasks/query", s.todoQuery)
	mux.HandleFunc("POST "+PathUserGet, s.userGet)
	mux.HandleFunc("POST "+PathUserByUnion, s.userByUnion)
}

func (s *Server) eventPolicy() fakedelivery.Policy {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := fakedelivery.Policy{AckWithin: s.EventRedeliverAfter, MaxRedeliveries: s.MaxEventRedeliveries}
	if p.AckWithin <= 0 {
		p.AckWithin = time.Second
	}
	if p.MaxRedeliveries == 0 {
		p.MaxRedeliveries = 4
	}
	return p
}

// BizTag is the bizTag of the todos this app creates.
func (s *Server) BizTag() string { return "openapi_" + s.ClientID }

// AddUser adds an org member: staffId (userid) and unionId.
func (s *Server) AddUser(staffID, unionID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[staffID] = unionID
}

func (s *Server) knownUnionLocked(u string) bool {
	for _, v := range s.users {
		if v == u {
			return true
		}
	}
	return false
}

// todoAuth checks the token and applies a fault like the other OpenAPI
// endpoints; false when it has answered.
func (s *Server) todoAuth(w http.ResponseWriter, r *http.Request, api string, raw []byte) bool {
	ok, record, hold := s.authorized(w, r, api, raw)
	if !ok {
		if record {
			dropConn(w)
		}
		return false
	}
	if hold && !s.holds.Hold(r.Context(), api) {
		return false
	}
	return true
}

func todoJSON(t *Todo) map[string]any {
	return map[string]any{
		"id": t.ID, "creatorId": t.CreatorID, "subject": t.Subject, "description": t.Description,
		"sourceId": t.SourceID, "bizTag": t.BizTag, "dueTime": t.DueTime, "done": t.Done,
		"executorIds": t.ExecutorIDs, "participantIds": t.ParticipantIDs, "priority": t.Priority,
		"isOnlyShowExecutor": t.IsOnlyShowExecutor, "modifierId": t.ModifierID,
		"createdTime": t.Created, "modifiedTime": t.Modified,
		"detailUrl": map[string]string{"appUrl": t.AppURL, "pcUrl": t.PCURL},
		"requestId": randID("req"),
	}
}

func todoErr(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]string{"code": code, "message": msg, "requestid": randID("req")})
}

func (s *Server) todoCreate(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	if !s.todoAuth(w, r, PathTodoCreate, raw) {
		return
	}
	var req struct {
		Subject     string   `json:"subject"`
		Description string   `json:"description"`
		DueTime     int64    `json:"dueTime"`
		Executors   []string `json:"executorIds"`
		Parts       []string `json:"participantIds"`
		CreatorID   string   `json:"creatorId"`
		SourceID    string   `json:"sourceId"`
		DetailURL   *struct {
			AppURL string `json:"appUrl"`
			PCURL  string `json:"pcUrl"`
		} `json:"detailUrl"`
		Priority           int  `json:"priority"`
		IsOnlyShowExecutor bool `json:"isOnlyShowExecutor"`
	}
	union := r.PathValue("unionId")
	if err := json.Unmarshal(raw, &req); err != nil || req.Subject == "" || r.URL.Query().Get("operatorId") == "" {
		todoErr(w, http.StatusBadRequest, "paramError", "subject and operatorId are required")
		return
	}
	if req.DetailURL == nil || req.DetailURL.AppURL == "" || req.DetailURL.PCURL == "" {
		todoErr(w, http.StatusBadRequest, "paramError", "detailUrl is required")
		return
	}
	if len([]rune(req.Subject)) > 1024 || len([]rune(req.Description)) > 4096 || len(req.DetailURL.AppURL) > 1024 {
		todoErr(w, http.StatusBadRequest, "paramError", "field too long")
		return
	}
	switch req.Priority {
	case 0, 10, 20, 30, 40:
	default:
		todoErr(w, http.StatusBadRequest, "paramError", "bad priority")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, u := range append(append([]string{union}, req.Executors...), req.Parts...) {
		if !s.knownUnionLocked(u) {
			todoErr(w, http.StatusBadRequest, "paramError", "user not exist: "+u)
			return
		}
	}
	if req.SourceID != "" {
		for _, t := range s.todos {
			if !t.Deleted && t.SourceID == req.SourceID && t.BizTag == s.BizTag() {
				todoErr(w, http.StatusBadRequest, "paramError", "task exist")
				return
			}
		}
	}
	creator := req.CreatorID
	if creator == "" {
		creator = union
	}
	now := time.Now().UnixMilli()
	t := &Todo{
		ID: randID("task"), CreatorID: creator, Subject: req.Subject, Description: req.Description,
		SourceID: req.SourceID, BizTag: s.BizTag(), AppURL: req.DetailURL.AppURL, PCURL: req.DetailURL.PCURL,
		DueTime: req.DueTime, ExecutorIDs: req.Executors, ParticipantIDs: req.Parts, Priority: req.Priority,
		IsOnlyShowExecutor: req.IsOnlyShowExecutor, ModifierID: union, Created: now, Modified: now, Raw: string(raw),
	}
	s.todos[t.ID] = t
	s.todoOrder = append(s.todoOrder, t.ID)
	writeJSON(w, http.StatusOK, todoJSON(t))
}

// liveTodoLocked finds a todo that was not deleted, answering when not.
func (s *Server) liveTodoLocked(w http.ResponseWriter, id string) *Todo {
	t := s.todos[id]
	if t == nil || t.Deleted {
		todoErr(w, http.StatusBadRequest, "paramError", "task not found")
		return nil
	}
	return t
}

func isMember(t *Todo, u string) bool {
	return u == t.CreatorID || slices.Contains(t.ExecutorIDs, u) || slices.Contains(t.ParticipantIDs, u)
}

func (s *Server) todoGet(w http.ResponseWriter, r *http.Request) {
	if !s.todoAuth(w, r, PathTodoTask, nil) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.liveTodoLocked(w, r.PathValue("taskId"))
	if t == nil {
		return
	}
	if !isMember(t, r.PathValue("unionId")) {
		todoErr(w, http.StatusForbidden, "forbidden.noPermission", "user has no permission on this task")
		return
	}
	writeJSON(w, http.StatusOK, todoJSON(t))
}

// todoWriter checks an update or delete: the path's unionId must be the
// creator's (as the update and delete docs ask), with an operatorId.
func (s *Server) todoWriterLocked(w http.ResponseWriter, r *http.Request) *Todo {
	t := s.liveTodoLocked(w, r.PathValue("taskId"))
	if t == nil {
		return nil
	}
	if r.URL.Query().Get("operatorId") == "" {
		todoErr(w, http.StatusBadRequest, "paramError", "operatorId is required")
		return nil
	}
	if r.PathValue("unionId") != t.CreatorID {
		todoErr(w, http.StatusForbidden, "forbidden.noPermission", "unionId is not the task's creator")
		return nil
	}
	if t.BizTag != s.BizTag() {
		todoErr(w, http.StatusBadRequest, "paramError", "task not belong to bizTag")
		return nil
	}
	return t
}

func (s *Server) todoUpdate(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	if !s.todoAuth(w, r, PathTodoTask, raw) {
		return
	}
	var req struct {
		Subject     *string   `json:"subject"`
		Description *string   `json:"description"`
		DueTime     *int64    `json:"dueTime"`
		Done        *bool     `json:"done"`
		Executors   *[]string `json:"executorIds"`
		Parts       *[]string `json:"participantIds"`
	}
	if err := json.Unmarshal(raw, &req); err != nil {
		todoErr(w, http.StatusBadRequest, "paramError", "bad body")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.todoWriterLocked(w, r)
	if t == nil {
		return
	}
	if req.Parts != nil && len(*req.Parts) > 1000 {
		todoErr(w, http.StatusBadRequest, "paramError", "too many participants")
		return
	}
	if req.Subject != nil {
		t.Subject = *req.Subject
	}
	if req.Description != nil {
		t.Description = *req.Description
	}
	if req.DueTime != nil {
		t.DueTime = *req.DueTime
	}
	if req.Done != nil {
		t.Done = *req.Done
	}
	if req.Executors != nil {
		t.ExecutorIDs = *req.Executors
	}
	if req.Parts != nil {
		t.ParticipantIDs = *req.Parts
	}
	t.ModifierID = r.URL.Query().Get("operatorId")
	t.Modified = time.Now().UnixMilli()
	t.Updates++
	writeJSON(w, http.StatusOK, map[string]any{"result": true, "requestId": randID("req")})
}

func (s *Server) todoDelete(w http.ResponseWriter, r *http.Request) {
	if !s.todoAuth(w, r, PathTodoTask, nil) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.todoWriterLocked(w, r)
	if t == nil {
		return
	}
	t.Deleted = true
	writeJSON(w, http.StatusOK, map[string]any{"result": true, "requestId": randID("req")})
}

func (s *Server) todoQuery(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	if !s.todoAuth(w, r, PathTodoQuery, raw) {
		return
	}
	var req struct {
		NextToken string     `json:"nextToken"`
		IsDone    *bool      `json:"isDone"`
		RoleTypes [][]string `json:"roleTypes"`
	}
	if err := json.Unmarshal(raw, &req); err != nil {
		todoErr(w, http.StatusBadRequest, "paramError", "bad body")
		return
	}
	union := r.PathValue("unionId")
	role := func(t *Todo, rs []string) bool { // the inner list: all of them
		for _, x := range rs {
			switch {
			case x == "executor" && slices.Contains(t.ExecutorIDs, union):
			case x == "creator" && t.CreatorID == union:
			case x == "participant" && slices.Contains(t.ParticipantIDs, union):
			default:
				return false
			}
		}
		return true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var match []*Todo
	for _, id := range s.todoOrder {
		t := s.todos[id]
		if t.Deleted || (req.IsDone != nil && t.Done != *req.IsDone) {
			continue
		}
		ok := len(req.RoleTypes) == 0 && isMember(t, union)
		for _, rs := range req.RoleTypes { // the outer list: any of them
			ok = ok || role(t, rs)
		}
		if ok {
			match = append(match, t)
		}
	}
	size := s.TodoPageSize
	if size <= 0 {
		size = 10
	}
	from, _ := strconv.Atoi(req.NextToken)
	if from < 0 || from > len(match) {
		from = len(match)
	}
	to := min(from+size, len(match))
	cards := []map[string]any{}
	for _, t := range match[from:to] {
		cards = append(cards, map[string]any{
			"taskId": t.ID, "subject": t.Subject, "sourceId": t.SourceID, "creatorId": t.CreatorID,
			"isDone": t.Done, "bizTag": t.BizTag, "dueTime": t.DueTime, "priority": t.Priority,
			"detailUrl": map[string]string{"appUrl": t.AppURL, "pcUrl": t.PCURL},
		})
	}
	var next any
	if to < len(match) {
		next = strconv.Itoa(to)
	}
	writeJSON(w, http.StatusOK, map[string]any{"todoCards": cards, "nextToken": next})
}

// oapiAuth checks the access_token query parameter of an old-API call and
// applies a fault (Status is ignored; Code is the errcode as a string).
func (s *Server) oapiAuth(w http.ResponseWriter, r *http.Request, api string, raw []byte) bool {
	f, faulty := s.count(api, raw)
	s.mu.Lock()
	valid := s.tokens[r.URL.Query().Get("access_token")]
	s.mu.Unlock()
	if !valid {
		writeJSON(w, http.StatusOK, map[string]any{"errcode": 40014, "errmsg": "不合法的access_token"})
		return false
	}
	if faulty {
		if f.Drop {
			dropConn(w)
			return false
		}
		code, _ := strconv.Atoi(f.Code)
		writeJSON(w, http.StatusOK, map[string]any{"errcode": code, "errmsg": "fake fault"})
		return false
	}
	return true
}

func (s *Server) userGet(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	if !s.oapiAuth(w, r, PathUserGet, raw) {
		return
	}
	var req struct {
		UserID string `json:"userid"`
	}
	_ = json.Unmarshal(raw, &req)
	s.mu.Lock()
	union, ok := s.users[req.UserID]
	s.mu.Unlock()
	if !ok {
		writeJSON(w, http.StatusOK, map[string]any{"errcode": 60121, "errmsg": "找不到该用户", "request_id": randID("req")})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"errcode": 0, "errmsg": "ok", "request_id": randID("req"),
		"result": map[string]any{"userid": req.UserID, "unionid": union, "name": req.UserID}})
}

func (s *Server) userByUnion(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	if !s.oapiAuth(w, r, PathUserByUnion, raw) {
		return
	}
	var req struct {
		UnionID string `json:"unionid"`
	}
	_ = json.Unmarshal(raw, &req)
	s.mu.Lock()
	staff := ""
	for k, v := range s.users {
		if v == req.UnionID {
			staff = k
		}
	}
	s.mu.Unlock()
	if staff == "" {
		writeJSON(w, http.StatusOK, map[string]any{"errcode": 60121, "errmsg": "找不到该用户", "request_id": randID("req")})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"errcode": 0, "errmsg": "ok", "request_id": randID("req"),
		"result": map[string]any{"contact_type": 0, "userid": staff}})
}

// --- test controls ---

// Todos returns every todo ever created, deleted ones included, in
// creation order.
func (s *Server) Todos() []Todo {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Todo, 0, len(s.todoOrder))
	for _, id := range s.todoOrder {
		t := *s.todos[id]
		t.ExecutorIDs = slices.Clone(t.ExecutorIDs)
		t.ParticipantIDs = slices.Clone(t.ParticipantIDs)
		out = append(out, t)
	}
	return out
}

// CompleteTodo marks a todo done as its executor would in the DingTalk
// app and pushes todo_task_update; it returns the event's eventId.
func (s *Server) CompleteTodo(taskID string) (string, error) {
	return s.changeTodo(taskID, EventTodoUpdate, func(t *Todo) { t.Done = true })
}

// ReopenTodo marks a done todo open again, as in the app, and pushes
// todo_task_update.
func (s *Server) ReopenTodo(taskID string) (string, error) {
	return s.changeTodo(taskID, EventTodoUpdate, func(t *Todo) { t.Done = false })
}

// DeleteTodo deletes a todo as its creator would in the app and pushes
// todo_task_delete.
func (s *Server) DeleteTodo(taskID string) (string, error) {
	return s.changeTodo(taskID, EventTodoDelete, func(t *Todo) { t.Deleted = true })
}

func (s *Server) changeTodo(taskID, eventType string, f func(*Todo)) (string, error) {
	s.mu.Lock()
	t := s.todos[taskID]
	if t == nil || t.Deleted {
		s.mu.Unlock()
		return "", fmt.Errorf("dingfake: no todo %s", taskID)
	}
	f(t)
	by := t.CreatorID
	if len(t.ExecutorIDs) > 0 && eventType == EventTodoUpdate {
		by = t.ExecutorIDs[0]
	}
	t.ModifierID = by
	t.Modified = time.Now().UnixMilli()
	users := append([]string{t.CreatorID}, t.ExecutorIDs...)
	users = append(users, t.ParticipantIDs...)
	biz := t.BizTag
	s.mu.Unlock()
	return s.PushTodoEvent(eventType, taskID, biz, users), nil
}

// PushTodoEvent pushes a 待办 EVENT frame (delivered until acked) with
// data {unionIdList, bizTag, taskId}; it returns the eventId.
func (s *Server) PushTodoEvent(eventType, taskID, bizTag string, unionIDs []string) string {
	id := randID("ev")
	data, _ := json.Marshal(map[string]any{"unionIdList": unionIDs, "bizTag": bizTag, "taskId": taskID})
	payload, _ := json.Marshal(eventPayload{EventID: id, EventType: eventType, Born: time.Now().UnixMilli(), Data: string(data)})
	s.events.Push(todoEvent{EventID: id, Type: eventType, TaskID: taskID}, payload)
	return id
}

// TodoEventStatus is where a pushed 待办 event stands.
type TodoEventStatus struct {
	EventID, Type, TaskID string
	Deliveries            int
	Acks, Nacks           int
	Acked, GaveUp         bool
	Codes                 []int
}

// TodoEvents lists the pushed 待办 events, in push order.
func (s *Server) TodoEvents() []TodoEventStatus {
	var out []TodoEventStatus
	for _, st := range s.events.Events() {
		out = append(out, TodoEventStatus{EventID: st.Event.EventID, Type: st.Event.Type, TaskID: st.Event.TaskID,
			Deliveries: st.Deliveries, Acks: st.Acks, Nacks: st.Nacks, Acked: st.Acked, GaveUp: st.GaveUp, Codes: st.Codes})
	}
	return out
}

// WaitTodoEventsAcked waits until every 待办 event is acked or given up.
func (s *Server) WaitTodoEventsAcked(timeout time.Duration) error { return s.events.WaitAcked(timeout) }

// todoEvent is the tracker's record of a 待办 event: the eventId names it.
type todoEvent struct{ EventID, Type, TaskID string }

func (e todoEvent) ID() string        { return e.EventID }
func (e todoEvent) AckID() string     { return e.EventID }
func (e todoEvent) Is(id string) bool { return id == e.EventID }

// eventPayload is what the tracker redelivers: the same eventId, type and
// data each time, in a fresh frame.
type eventPayload struct {
	EventID   string `json:"eventId"`
	EventType string `json:"eventType"`
	Born      int64  `json:"born"`
	Data      string `json:"data"`
}

// eventConn writes EVENT frames on a stream connection. The headers are
// the ones the SDK's event package reads (eventId, eventType,
// eventBornTime, eventCorpId, eventUnifiedAppId); the topic is "*", which
// is what RegisterAllEventRouter subscribes to.
type eventConn struct {
	*wsConn
	appID string
}

func (c eventConn) Write(f fakedelivery.Frame) error {
	var p eventPayload
	if err := json.Unmarshal(f.Payload, &p); err != nil {
		return err
	}
	return c.write(map[string]any{
		"specVersion": "1.0",
		"type":        "EVENT",
		"headers": map[string]string{
			"topic": "*", "messageId": f.ID, "contentType": "application/json",
			"time":    strconv.FormatInt(time.Now().UnixMilli(), 10),
			"eventId": p.EventID, "eventType": p.EventType, "eventBornTime": strconv.FormatInt(p.Born, 10),
			"eventCorpId": "dingcorp", "eventUnifiedAppId": c.appID,
		},
		"data": p.Data,
	})
}
