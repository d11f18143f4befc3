package dingtalk

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"collabbot/bot/chat"
)

// 待办 API paths (platforms-2.md §6), as templates: the call counter's
// "api" label, which must not carry ids.
const (
	apiTodoCreate = "/v1.0/todo/users/{unionId}/tasks"
	apiTodoTask   = "/v1.0/todo/users/{unionId}/tasks/{taskId}"
	apiTodoQuery  = "/v1.0/todo/users/{unionId}/org/tasks/query"
)

// Limits of 待办 fields: subject and description in characters, detailUrl
// in bytes; members as DingTalk advises.
const (
	todoSubjectMax = 1024
	todoDescMax    = 4096
	detailURLMax   = 1024
	todoMembersMax = 100
	// todoQueryPages bounds the search for a todo by sourceId.
	todoQueryPages = 50
)

var (
	errTodoOff      = errors.New("dingtalk: todo not enabled (set dingtalk.todo: true)")
	errNoDetailURL  = errors.New("dingtalk: a 待办 needs a detailUrl: configure the board (so tasks have a link) or dingtalk.todo_detail_url")
	errNoOwner      = errors.New("dingtalk: a 待办 needs an owner known to DingTalk")
	errNoKey        = errors.New("dingtalk: a 待办 needs the task key as its sourceId")
	errBadRef       = errors.New("dingtalk: malformed 待办 ref")
	errTodoNotFound = errors.New("dingtalk: 待办 exists for this sourceId but the query did not find it yet")
)

// MirrorEnabled reports dingtalk.todo: whether MirrorTask does anything.
func (a *Adapter) MirrorEnabled() bool { return a.cfg.Todo }

// MirrorTask implements chat.TaskMirror with DingTalk 待办.
//
// The Ref is "<creatorUnionId>/<taskId>": DingTalk addresses a todo under
// a user (/v1.0/todo/users/{unionId}/tasks/{taskId}), and its update and
// delete docs ask for the creator there; the creator is fixed at create
// time while the bot's owner can change, so it travels in the Ref. Events
// name only the taskId; the adapter reads the todo (creatorId) to build the
// same Ref.
//
// A create is idempotent by sourceId = t.Key: DingTalk keeps one todo per
// sourceId and answers a second create "task exist"; the existing todo is
// then found by the executor's org query, brought up to date and its Ref
// returned.
func (a *Adapter) MirrorTask(ctx context.Context, t chat.MirrorTask) (string, error) {
	if !a.cfg.Todo {
		return "", &chat.SendError{Reason: chat.ReasonInvalid, Err: errTodoOff}
	}
	if !a.acquire() {
		return "", &chat.SendError{Reason: chat.ReasonOther, Retry: true, Err: errClosed}
	}
	defer a.release()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(a.workCtx, cancel)
	defer stop()

	switch {
	case t.State == chat.MirrorGone:
		if t.Ref == "" {
			return "", nil // never created: nothing to delete
		}
		return t.Ref, a.deleteTodo(ctx, t.Ref)
	case t.Ref == "":
		return a.createTodo(ctx, t)
	default:
		return t.Ref, a.updateTodo(ctx, t)
	}
}

// todoRef and parseRef write and read the Ref (see MirrorTask).
func todoRef(creator, taskID string) string { return creator + "/" + taskID }

func parseRef(ref string) (creator, taskID string, err error) {
	creator, taskID, ok := strings.Cut(ref, "/")
	if !ok || creator == "" || taskID == "" || strings.Contains(taskID, "/") {
		return "", "", &chat.SendError{Reason: chat.ReasonInvalid, Err: errBadRef}
	}
	return creator, taskID, nil
}

func todoPath(unionID string, rest ...string) string {
	p := "/v1.0/todo/users/" + url.PathEscape(unionID)
	for _, r := range rest {
		p += "/" + url.PathEscape(r)
	}
	return p
}

// todoMembers maps the owner and followers to union ids. An owner DingTalk
// does not know makes the task unmirrorable (invalid); followers it does
// not know are left out.
func (a *Adapter) todoMembers(ctx context.Context, t chat.MirrorTask) (owner string, followers []string, err error) {
	owner, err = a.unionID(ctx, t.Owner.ID)
	if err != nil {
		if isReason(err, chat.ReasonGone) {
			return "", nil, &chat.SendError{Reason: chat.ReasonInvalid, Err: errNoOwner}
		}
		return "", nil, err
	}
	followers = []string{}
	seen := map[string]bool{owner: true}
	for _, f := range t.Followers {
		if len(followers) == todoMembersMax {
			break
		}
		u, err := a.unionID(ctx, f.ID)
		if isReason(err, chat.ReasonGone) {
			a.log.Info("dingtalk: 待办 follower unknown to DingTalk, left out", "user", f.ID)
			continue
		}
		if err != nil {
			return "", nil, err
		}
		if !seen[u] {
			seen[u] = true
			followers = append(followers, u)
		}
	}
	return owner, followers, nil
}

// creatorOf is the todo's creator: t.Creator, else the owner (also when
// DingTalk does not know the creator).
func (a *Adapter) creatorOf(ctx context.Context, t chat.MirrorTask, owner string) (string, error) {
	if t.Creator.ID == "" || t.Creator.ID == t.Owner.ID {
		return owner, nil
	}
	u, err := a.unionID(ctx, t.Creator.ID)
	if isReason(err, chat.ReasonGone) {
		return owner, nil
	}
	return u, err
}

func todoPriority(p int) int {
	switch {
	case p >= 2:
		return 40 // 【紧急】
	case p == 1:
		return 30 // 【重要】
	}
	return 20 // routine: 普通
}

func truncRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

func (a *Adapter) createTodo(ctx context.Context, t chat.MirrorTask) (string, error) {
	if t.Key == "" {
		return "", &chat.SendError{Reason: chat.ReasonInvalid, Err: errNoKey}
	}
	detail := t.Link
	if detail == "" || len(detail) > detailURLMax {
		detail = a.cfg.TodoDetailURL
	}
	if detail == "" {
		return "", &chat.SendError{Reason: chat.ReasonInvalid, Err: errNoDetailURL}
	}
	owner, followers, err := a.todoMembers(ctx, t)
	if err != nil {
		return "", err
	}
	creator, err := a.creatorOf(ctx, t, owner)
	if err != nil {
		return "", err
	}
	body := map[string]any{
		"subject":            truncRunes(t.Summary, todoSubjectMax),
		"creatorId":          creator,
		"executorIds":        []string{owner},
		"participantIds":     followers,
		"sourceId":           t.Key,
		"detailUrl":          map[string]string{"appUrl": detail, "pcUrl": detail},
		"priority":           todoPriority(t.Priority),
		"isOnlyShowExecutor": true,
	}
	if t.Description != "" {
		body["description"] = truncRunes(t.Description, todoDescMax)
	}
	if !t.Due.IsZero() {
		body["dueTime"] = t.Due.UnixMilli()
	}
	var out struct {
		ID     string `json:"id"`
		BizTag string `json:"bizTag"`
	}
	path := todoPath(creator, "tasks") + "?operatorId=" + url.QueryEscape(creator)
	err = a.api.callPath(ctx, http.MethodPost, apiTodoCreate, path, body, &out)
	if err != nil && taskExists(err) {
		// Created before (a crash before the Ref was recorded): find it and
		// bring it to t, so that what changed meanwhile is not lost.
		ref, ferr := a.findTodo(ctx, owner, creator, t.Key)
		if ferr != nil {
			return "", ferr
		}
		t.Ref = ref
		return ref, a.updateTodo(ctx, t)
	}
	if err != nil {
		return "", todoErr(err)
	}
	if out.ID == "" {
		return "", &chat.SendError{Reason: chat.ReasonOther, Err: errors.New("dingtalk: 待办 create answered no id")}
	}
	if out.BizTag != "" {
		a.bizTag.Store(&out.BizTag)
	}
	a.todoOwners.Put(out.ID, creator)
	ref := todoRef(creator, out.ID)
	if t.State == chat.MirrorDone {
		// A create cannot say done.
		t.Ref = ref
		return ref, a.updateTodo(ctx, t)
	}
	return ref, nil
}

// findTodo looks the executor's todos through for the one with sourceId
// key, open ones first.
func (a *Adapter) findTodo(ctx context.Context, executor, creator, key string) (string, error) {
	for _, done := range []bool{false, true} {
		next := ""
		for range todoQueryPages {
			body := map[string]any{"isDone": done, "roleTypes": [][]string{{"executor"}}}
			if next != "" {
				body["nextToken"] = next
			}
			var out struct {
				TodoCards []struct {
					TaskID    string `json:"taskId"`
					SourceID  string `json:"sourceId"`
					CreatorID string `json:"creatorId"`
				} `json:"todoCards"`
				NextToken json.RawMessage `json:"nextToken"`
			}
			path := todoPath(executor, "org", "tasks", "query")
			if err := a.api.callPath(ctx, http.MethodPost, apiTodoQuery, path, body, &out); err != nil {
				return "", todoErr(err)
			}
			for _, c := range out.TodoCards {
				if c.SourceID == key && c.TaskID != "" {
					by := c.CreatorID
					if by == "" {
						by = creator
					}
					a.todoOwners.Put(c.TaskID, by)
					return todoRef(by, c.TaskID), nil
				}
			}
			tok := rawToken(out.NextToken)
			if tok == "" || tok == next {
				break
			}
			next = tok
		}
	}
	// DingTalk said it exists: the query may lag behind the create.
	return "", &chat.SendError{Reason: chat.ReasonTransient, Retry: true, Err: errTodoNotFound}
}

// rawToken reads a nextToken given as a string or a number; null is "".
func rawToken(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String()
	}
	return ""
}

func (a *Adapter) updateTodo(ctx context.Context, t chat.MirrorTask) error {
	creator, taskID, err := parseRef(t.Ref)
	if err != nil {
		return err
	}
	owner, followers, err := a.todoMembers(ctx, t)
	if err != nil {
		return err
	}
	body := map[string]any{
		"subject":        truncRunes(t.Summary, todoSubjectMax),
		"description":    truncRunes(t.Description, todoDescMax),
		"done":           t.State == chat.MirrorDone,
		"executorIds":    []string{owner},
		"participantIds": followers,
	}
	if !t.Due.IsZero() {
		body["dueTime"] = t.Due.UnixMilli()
	}
	path := todoPath(creator, "tasks", taskID) + "?operatorId=" + url.QueryEscape(creator)
	if err := a.api.callPath(ctx, http.MethodPut, apiTodoTask, path, body, nil); err != nil {
		return todoErr(err)
	}
	a.todoOwners.Put(taskID, creator)
	return nil
}

func (a *Adapter) deleteTodo(ctx context.Context, ref string) error {
	creator, taskID, err := parseRef(ref)
	if err != nil {
		return err
	}
	path := todoPath(creator, "tasks", taskID) + "?operatorId=" + url.QueryEscape(creator)
	err = todoErr(a.api.callPath(ctx, http.MethodDelete, apiTodoTask, path, nil, nil))
	if isReason(err, chat.ReasonGone) {
		return nil // deleted already, in the app or by an earlier attempt
	}
	return err
}

// todoText is an error answer's code and message, lower case.
func todoText(err error) (string, *apiError) {
	var ae *apiError
	if !errors.As(err, &ae) {
		return "", nil
	}
	return strings.ToLower(ae.Code + " " + ae.Message), ae
}

// taskExists says whether a create was refused because a todo with the
// same sourceId exists ("task exist", or the sourceId's lock).
func taskExists(err error) bool {
	s, ae := todoText(err)
	if ae == nil || notFound(s) {
		return false
	}
	return strings.Contains(s, "task exist") || strings.Contains(s, "taskexist") || strings.Contains(s, "lockerror")
}

func notFound(s string) bool {
	for _, w := range []string{"not found", "notfound", "not exist", "notexist", "不存在"} {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

// todoErr refines classifyAPI for 待办: a todo that is not (or no longer)
// there is gone, whatever the status; paramError stays invalid.
func todoErr(err error) error {
	if err == nil {
		return nil
	}
	var se *chat.SendError
	if !errors.As(err, &se) {
		return err
	}
	s, ae := todoText(err)
	if ae == nil || se.Retry {
		return err
	}
	if ae.Status == http.StatusNotFound || (se.Reason == chat.ReasonInvalid && notFound(s) && !strings.Contains(s, "user")) {
		se.Reason = chat.ReasonGone
	}
	return err
}
