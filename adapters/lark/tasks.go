package lark

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	larktaskv1 "github.com/larksuite/oapi-sdk-go/v3/service/task/v1"
	larktask "github.com/larksuite/oapi-sdk-go/v3/service/task/v2"

	"collabbot/bot/chat"
)

// Task v2 error codes (platforms-2.md §1).
const (
	codeTaskParam     = 1470400 // bad parameter; also re-completing a done task
	codeTaskForbidden = 1470403
	codeTaskGone      = 1470404 // deleted or unknown
	codeTaskInFlight  = 1470422 // the same client_token is being served
	codeTaskInternal  = 1470500
)

// Limits of task fields, in characters (runes) except the URL.
const (
	taskTextMax    = 3000
	taskMembersMax = 50
	originURLMax   = 1024
	originTitleMax = 512
)

// task.task.updated_v1 obj_type values the bot cares about.
const (
	taskObjDone    = 5
	taskObjUndone  = 6
	taskObjDeleted = 7
)

const originName = "collabbot"

var errTasksOff = errors.New("lark: tasks not enabled (set lark.tasks: true)")

// MirrorEnabled reports lark.tasks: whether MirrorTask does anything.
func (a *Adapter) MirrorEnabled() bool { return a.cfg.Tasks }

// MirrorTask implements chat.TaskMirror with Feishu Tasks v2: a create
// (idempotent by client_token = t.Key for 5 minutes) when t.Ref is empty,
// a read followed by a patch of what differs and an assignee swap
// otherwise, a delete for MirrorGone. The app sees only tasks it created
// (tenant token), which are exactly the mirrors.
func (a *Adapter) MirrorTask(ctx context.Context, t chat.MirrorTask) (string, error) {
	if !a.cfg.Tasks {
		return "", &chat.SendError{Reason: chat.ReasonInvalid, Err: errTasksOff}
	}
	switch {
	case t.State == chat.MirrorGone:
		if t.Ref == "" {
			// Never created (or never recorded): nothing to delete.
			return "", nil
		}
		return t.Ref, a.mirrorDone("delete", a.deleteTask(ctx, t.Ref))
	case t.Ref == "":
		ref, se := a.createTask(ctx, t)
		return ref, a.mirrorDone("create", se)
	default:
		return t.Ref, a.mirrorDone("update", a.updateTask(ctx, t))
	}
}

// mirrorDone counts the outcome and returns it as an error (nil on
// success), never as a typed nil.
func (a *Adapter) mirrorDone(op string, se *chat.SendError) error {
	if se == nil {
		a.m.mirrors.WithLabelValues(op, "ok", "").Inc()
		return nil
	}
	a.m.mirrors.WithLabelValues(op, "error", string(se.Reason)).Inc()
	a.log.Debug("lark: task mirror failed", "op", op, "reason", se.Reason, "err", se.Error())
	return se
}

func (a *Adapter) createTask(ctx context.Context, t chat.MirrorTask) (string, *chat.SendError) {
	summary := taskSummary(t)
	if summary == "" {
		return "", &chat.SendError{Reason: chat.ReasonInvalid, Err: errors.New("lark: task without a summary")}
	}
	in := &larktask.InputTask{Summary: &summary, Members: taskMembers(t)}
	if d := taskDescription(t); d != "" {
		in.Description = &d
	}
	if !t.Due.IsZero() {
		in.Due = taskDue(t.Due)
	}
	if o := taskOrigin(t); o != nil {
		in.Origin = o
	}
	if tok := clientToken(t.Key); tok != "" {
		in.ClientToken = &tok
	}
	if t.State == chat.MirrorDone {
		in.CompletedAt = ptr(msString(time.Now()))
	}
	req := larktask.NewCreateTaskReqBuilder().UserIdType("open_id").InputTask(in).Build()
	resp, err := a.api.Task.V2.Task.Create(ctx, req)
	if err != nil {
		return "", a.classifyTask(apiResult{}, err)
	}
	if se := a.classifyTask(result(resp.ApiResp, resp.CodeError), nil); se != nil {
		return "", se
	}
	if resp.Data == nil || resp.Data.Task == nil || str(resp.Data.Task.Guid) == "" {
		return "", &chat.SendError{Reason: chat.ReasonOther, Err: errors.New("lark: task create answered without a guid")}
	}
	return *resp.Data.Task.Guid, nil
}

// updateTask reads the mirror and patches only the fields that differ,
// so that a done task is never completed again (1470400) and an
// unchanged task costs one read.
func (a *Adapter) updateTask(ctx context.Context, t chat.MirrorTask) *chat.SendError {
	cur, se := a.getTask(ctx, t.Ref)
	if se != nil {
		return se
	}
	in := &larktask.InputTask{}
	var fields []string
	if s := taskSummary(t); s != "" && s != str(cur.Summary) {
		in.Summary = &s
		fields = append(fields, "summary")
	}
	if d := taskDescription(t); d != str(cur.Description) {
		if d != "" {
			in.Description = &d
		}
		fields = append(fields, "description") // listed without a value: cleared
	}
	var want int64
	if !t.Due.IsZero() {
		want = t.Due.UnixMilli()
	}
	if want != dueMillis(cur.Due) {
		if want != 0 {
			in.Due = taskDue(t.Due)
		}
		fields = append(fields, "due")
	}
	switch done := taskDone(cur); {
	case t.State == chat.MirrorDone && !done:
		in.CompletedAt = ptr(msString(time.Now()))
		fields = append(fields, "completed_at")
	case t.State != chat.MirrorDone && done:
		in.CompletedAt = ptr("0")
		fields = append(fields, "completed_at")
	}
	if len(fields) > 0 {
		req := larktask.NewPatchTaskReqBuilder().TaskGuid(t.Ref).UserIdType("open_id").
			Body(&larktask.PatchTaskReqBody{Task: in, UpdateFields: fields}).Build()
		resp, err := a.api.Task.V2.Task.Patch(ctx, req)
		if err != nil {
			return a.classifyTask(apiResult{}, err)
		}
		if se := a.classifyTask(result(resp.ApiResp, resp.CodeError), nil); se != nil {
			return se
		}
	}
	return a.syncMembers(ctx, t, cur)
}

// syncMembers makes t.Owner the task's only assignee and t.Followers its
// followers (the owner excluded): who is missing is added before anyone
// is removed, so the task is never without an assignee. Adding a member
// twice is ignored by the platform.
func (a *Adapter) syncMembers(ctx context.Context, t chat.MirrorTask, cur *larktask.Task) *chat.SendError {
	want := map[string]string{} // open_id → role
	for _, m := range taskMembers(t) {
		want[str(m.Id)] = str(m.Role)
	}
	have := map[string]string{}
	var remove []*larktask.Member
	for _, m := range cur.Members {
		if m == nil || (str(m.Type) != "" && str(m.Type) != "user") {
			continue
		}
		id, role := str(m.Id), str(m.Role)
		if role != "assignee" && role != "follower" {
			continue
		}
		if want[id] == role {
			have[id] = role
			continue
		}
		remove = append(remove, member(id, role))
	}
	var add []*larktask.Member
	for _, m := range taskMembers(t) {
		if have[str(m.Id)] == "" {
			add = append(add, m)
		}
	}
	if t.Owner.ID == "" {
		remove = nil // an unowned task keeps its last assignee rather than none
	}
	if len(add) > 0 {
		req := larktask.NewAddMembersTaskReqBuilder().TaskGuid(t.Ref).UserIdType("open_id").
			Body(&larktask.AddMembersTaskReqBody{Members: add}).Build()
		resp, err := a.api.Task.V2.Task.AddMembers(ctx, req)
		if err != nil {
			return a.classifyTask(apiResult{}, err)
		}
		if se := a.classifyTask(result(resp.ApiResp, resp.CodeError), nil); se != nil {
			return se
		}
	}
	if len(remove) == 0 {
		return nil
	}
	req := larktask.NewRemoveMembersTaskReqBuilder().TaskGuid(t.Ref).UserIdType("open_id").
		Body(&larktask.RemoveMembersTaskReqBody{Members: remove}).Build()
	resp, err := a.api.Task.V2.Task.RemoveMembers(ctx, req)
	if err != nil {
		return a.classifyTask(apiResult{}, err)
	}
	return a.classifyTask(result(resp.ApiResp, resp.CodeError), nil)
}

func (a *Adapter) getTask(ctx context.Context, guid string) (*larktask.Task, *chat.SendError) {
	req := larktask.NewGetTaskReqBuilder().TaskGuid(guid).UserIdType("open_id").Build()
	resp, err := a.api.Task.V2.Task.Get(ctx, req)
	if err != nil {
		return nil, a.classifyTask(apiResult{}, err)
	}
	if se := a.classifyTask(result(resp.ApiResp, resp.CodeError), nil); se != nil {
		return nil, se
	}
	if resp.Data == nil || resp.Data.Task == nil {
		return nil, &chat.SendError{Reason: chat.ReasonOther, Err: errors.New("lark: task get answered without a task")}
	}
	return resp.Data.Task, nil
}

// deleteTask deletes the mirror; one that is already gone counts as done,
// so a repeated delete is harmless.
func (a *Adapter) deleteTask(ctx context.Context, guid string) *chat.SendError {
	resp, err := a.api.Task.V2.Task.Delete(ctx, larktask.NewDeleteTaskReqBuilder().TaskGuid(guid).Build())
	if err != nil {
		return a.classifyTask(apiResult{}, err)
	}
	res := result(resp.ApiResp, resp.CodeError)
	if res.code == codeTaskGone || (res.status == http.StatusNotFound && res.code != 0) {
		return nil
	}
	return a.classifyTask(res, nil)
}

// classifyTask maps a task API outcome to nil or a SendError. Token
// failures and the app-wide rate limit are the same as for messages.
func (a *Adapter) classifyTask(res apiResult, err error) *chat.SendError {
	if err != nil {
		return a.classify(res, err)
	}
	if res.code == 0 && res.status/100 == 2 {
		return nil
	}
	e := a.red.Err(fmt.Errorf("lark task api: http %d code %d: %s", res.status, res.code, res.msg))
	switch {
	case res.status == http.StatusTooManyRequests || res.code == codeAppRateLimit:
		return a.classify(res, nil)
	case res.code == codeTaskInternal || res.code == codeTaskInFlight:
		return &chat.SendError{Reason: chat.ReasonTransient, Retry: true, Err: e}
	case res.code == codeTaskForbidden:
		return &chat.SendError{Reason: chat.ReasonAuth, Err: e}
	case res.code == codeTaskGone:
		return &chat.SendError{Reason: chat.ReasonGone, Err: e}
	case res.code == codeTaskParam:
		return &chat.SendError{Reason: chat.ReasonInvalid, Err: e}
	case res.code == codeTokenInvalid || res.code == codeAppTokenBad || res.code == codeAccessTokenBad:
		return a.classify(res, nil)
	case res.status >= 500 || res.status == 0:
		return &chat.SendError{Reason: chat.ReasonTransient, Retry: true, Err: e}
	default:
		return &chat.SendError{Reason: chat.ReasonOther, Err: e}
	}
}

// onTaskUpdated handles task.task.updated_v1, which the platform sends for
// tasks this app created. The payload names the task only, so a completion
// or reopening is read back before it is reported; the event is
// acknowledged only once the bot's MirrorChanged has committed it.
func (a *Adapter) onTaskUpdated(ctx context.Context, ev *larktaskv1.P2TaskUpdatedV1) error {
	a.m.events.WithLabelValues("task").Inc()
	if ev == nil || ev.Event == nil || str(ev.Event.TaskId) == "" || ev.Event.ObjType == nil {
		a.m.dropped.WithLabelValues("unsupported").Inc()
		return nil
	}
	obj, guid := *ev.Event.ObjType, *ev.Event.TaskId
	if obj != taskObjDone && obj != taskObjUndone && obj != taskObjDeleted {
		return nil // details, members, reminders: the bot is their source
	}
	if !a.cfg.Tasks {
		a.m.dropped.WithLabelValues("unsupported").Inc()
		return nil
	}
	in := a.intake()
	if in == nil {
		a.m.dropped.WithLabelValues("not_running").Inc()
		return errors.New("lark: adapter not started")
	}
	mi, ok := in.(chat.MirrorIntake)
	if !ok {
		a.m.dropped.WithLabelValues("unsupported").Inc()
		return nil
	}
	e := chat.MirrorEvent{Platform: chat.PlatformLark, Ref: guid, Time: time.Now()}
	if ev.EventV2Base != nil && ev.EventV2Base.Header != nil {
		e.EventID = ev.EventV2Base.Header.EventID
	}
	hctx, cancel := context.WithTimeout(ctx, a.cfg.AcceptTimeout)
	defer cancel()
	if obj == taskObjDeleted {
		e.Deleted = true
	} else {
		cur, se := a.getTask(hctx, guid)
		switch {
		case se == nil:
			e.Done = taskDone(cur)
		case se.Reason == chat.ReasonGone:
			e.Deleted = true // deleted since
		case se.Retry:
			a.m.dropped.WithLabelValues("not_accepted").Inc()
			return fmt.Errorf("lark: task %s not read: %w", guid, se)
		default:
			a.m.dropped.WithLabelValues("unsupported").Inc()
			a.log.Warn("lark: task event for a task the app cannot read, ignored", "task", guid, "err", se.Error())
			return nil
		}
	}
	if err := mi.MirrorChanged(hctx, e); err != nil {
		a.m.dropped.WithLabelValues("not_accepted").Inc()
		a.log.Warn("lark: task change not accepted, asking for redelivery", "task", guid, "event", e.EventID,
			"err", a.red.Clean(err.Error()))
		return fmt.Errorf("lark: task event %s not accepted: %w", e.EventID, a.red.Err(err))
	}
	a.log.Debug("lark: task change reported", "task", guid, "done", e.Done, "deleted", e.Deleted)
	return nil
}

// taskDone reads a task's state: status when present, else completed_at.
func taskDone(t *larktask.Task) bool {
	if s := str(t.Status); s != "" {
		return s == "done"
	}
	c := str(t.CompletedAt)
	return c != "" && c != "0"
}

// taskMembers lists the owner as assignee and the followers, without
// empty ids or repeats, at most 50 (one call's limit).
func taskMembers(t chat.MirrorTask) []*larktask.Member {
	seen := map[string]bool{}
	var out []*larktask.Member
	add := func(id, role string) {
		if id == "" || seen[id] || len(out) >= taskMembersMax {
			return
		}
		seen[id] = true
		out = append(out, member(id, role))
	}
	add(t.Owner.ID, "assignee")
	for _, f := range t.Followers {
		add(f.ID, "follower")
	}
	return out
}

func member(id, role string) *larktask.Member {
	return &larktask.Member{Id: ptr(id), Type: ptr("user"), Role: ptr(role)}
}

// taskSummary is the summary with the priority's marker in front: Feishu
// Tasks has no priority of its own. Empty when there is no summary.
func taskSummary(t chat.MirrorTask) string {
	s := strings.TrimSpace(t.Summary)
	if s == "" {
		return ""
	}
	switch t.Priority {
	case 1:
		s = "【重要】" + s
	case 2:
		s = "【紧急】" + s
	}
	return clipRunes(s, taskTextMax)
}

// taskDescription is the description plus a line with the link, within
// the platform's 3000 characters; the description gives way, not the link.
func taskDescription(t chat.MirrorTask) string {
	desc := strings.TrimSpace(t.Description)
	if t.Link == "" {
		return clipRunes(desc, taskTextMax)
	}
	line := "详情：" + t.Link
	room := taskTextMax - utf8.RuneCountInString(line) - 1
	if room <= 0 {
		return clipRunes(line, taskTextMax)
	}
	if desc = clipRunes(desc, room); desc == "" {
		return line
	}
	return desc + "\n" + line
}

// taskOrigin names the bot as the task's source and links back to the
// board; the platform keeps it as set at create.
func taskOrigin(t chat.MirrorTask) *larktask.Origin {
	if t.Link == "" || len(t.Link) > originURLMax {
		return nil
	}
	return &larktask.Origin{
		PlatformI18nName: &larktask.I18nText{ZhCn: ptr(originName), EnUs: ptr(originName)},
		Href:             &larktask.Href{Url: ptr(t.Link), Title: ptr(clipRunes(taskSummary(t), originTitleMax))},
	}
}

func taskDue(t time.Time) *larktask.Due {
	return &larktask.Due{Timestamp: ptr(msString(t)), IsAllDay: ptr(false)}
}

func dueMillis(d *larktask.Due) int64 {
	if d == nil {
		return 0
	}
	ms, err := strconv.ParseInt(str(d.Timestamp), 10, 64)
	if err != nil || ms < 0 {
		return 0
	}
	return ms
}

// clientToken is t.Key when the platform accepts it (10–100 ASCII
// characters), else a stable digest of it.
func clientToken(key string) string {
	if key == "" {
		return ""
	}
	ok := len(key) >= 10 && len(key) <= 100
	for i := 0; ok && i < len(key); i++ {
		ok = key[i] > ' ' && key[i] < 0x7f
	}
	if ok {
		return key
	}
	sum := sha256.Sum256([]byte(chat.PlatformLark + "\x00task\x00" + key))
	return "cb-" + hex.EncodeToString(sum[:])[:40]
}

// clipRunes cuts s to at most n characters, marking a cut with "…".
func clipRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

func msString(t time.Time) string { return strconv.FormatInt(t.UnixMilli(), 10) }

func ptr[T any](v T) *T { return &v }
