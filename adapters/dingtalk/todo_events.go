package dingtalk

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"collabbot/bot/chat"

	"github.com/open-dingtalk/dingtalk-stream-sdk-go/event"
)

// 待办 event types (eventType header of EVENT frames).
const (
	eventTodoUpdate = "todo_task_update"
	eventTodoDelete = "todo_task_delete"
)

// todoReadTries bounds the users a todo is read as, per event.
const todoReadTries = 4

// todoEventData is the data of todo_task_update and todo_task_delete.
type todoEventData struct {
	UnionIDList []string `json:"unionIdList"`
	BizTag      string   `json:"bizTag"`
	TaskID      string   `json:"taskId"`
}

// todoState is what a GET of a todo tells the events.
type todoState struct {
	ID           string `json:"id"`
	CreatorID    string `json:"creatorId"`
	ModifierID   string `json:"modifierId"`
	SourceID     string `json:"sourceId"`
	BizTag       string `json:"bizTag"`
	Done         bool   `json:"done"`
	ModifiedTime int64  `json:"modifiedTime"`
}

// onEvent handles EVENT frames. A 待办 change is reported to the bot
// (MirrorChanged) and acknowledged only once the bot committed it; any
// failure answers LATER, so DingTalk delivers the event again. Other
// events, and todos that are not this app's mirrors, are acknowledged and
// dropped.
func (a *Adapter) onEvent(ctx context.Context, h *event.EventHeader, raw []byte) (event.EventProcessStatusType, error) {
	if h.EventType != eventTodoUpdate && h.EventType != eventTodoDelete {
		return event.EventProcessStatusKSuccess, nil
	}
	if !a.acquire() {
		return event.EventProcessStatusKLater, nil
	}
	defer a.release()
	mi, ok := a.in.(chat.MirrorIntake)
	if !ok {
		return event.EventProcessStatusKSuccess, nil
	}
	var d todoEventData
	if err := json.Unmarshal(raw, &d); err != nil || d.TaskID == "" {
		a.log.Warn("dingtalk: malformed 待办 event dropped", "event", h.EventType, "event_id", h.EventId)
		return event.EventProcessStatusKSuccess, nil
	}
	if mine := a.bizTag.Load(); mine != nil && d.BizTag != "" && d.BizTag != *mine {
		return event.EventProcessStatusKSuccess, nil // another app's todo
	}
	ctx, cancel := context.WithTimeout(a.workCtx, a.cfg.EventTimeout)
	defer cancel()

	ev := chat.MirrorEvent{Platform: chat.PlatformDingTalk, EventID: h.EventId, Time: time.Now()}
	if ev.EventID == "" {
		if id, _ := ctx.Value(frameIDKey{}).(string); id != "" {
			ev.EventID = "frame:" + id
		}
	}
	if h.EventBornTime > 0 {
		ev.Time = time.UnixMilli(h.EventBornTime)
	}
	todo, err := a.readTodo(ctx, d)
	if err != nil {
		a.log.Warn("dingtalk: 待办 event not handled, asking DingTalk to deliver it later", "event", h.EventType, "task", d.TaskID, "err", err)
		return event.EventProcessStatusKLater, nil
	}
	switch h.EventType {
	case eventTodoUpdate:
		if todo == nil || !a.ours(todo) {
			a.log.Debug("dingtalk: 待办 event for a todo that is not a mirror", "task", d.TaskID)
			return event.EventProcessStatusKSuccess, nil
		}
		ev.Done = todo.Done
		if todo.ModifiedTime > 0 {
			ev.Time = time.UnixMilli(todo.ModifiedTime)
		}
		if todo.ModifierID != "" {
			// Best effort: By is zero when the platform does not say.
			if staff, err := a.staffID(ctx, todo.ModifierID); err == nil {
				ev.By = chat.User{ID: staff, Name: a.UserName(ctx, staff)}
				if ev.By.Name == "" {
					ev.By.Name = staff
				}
			}
		}
	case eventTodoDelete:
		ev.Deleted = true
		if todo != nil && !a.ours(todo) {
			return event.EventProcessStatusKSuccess, nil
		}
	}
	creator := ""
	if todo != nil {
		creator = todo.CreatorID
	}
	if creator == "" {
		creator, _ = a.todoOwners.Get(d.TaskID)
	}
	if creator == "" {
		// A deleted todo cannot be read and this process never saw it: the
		// bot learns it at its next MirrorTask (gone).
		a.log.Info("dingtalk: 待办 deleted that this process cannot name, left to the next mirror update", "task", d.TaskID)
		return event.EventProcessStatusKSuccess, nil
	}
	ev.Ref = todoRef(creator, d.TaskID)
	if err := a.mirrorChanged(ctx, mi, ev); err != nil {
		a.log.Warn("dingtalk: 待办 change not committed, asking DingTalk to deliver it later", "ref", ev.Ref, "event_id", ev.EventID, "err", a.red.Clean(err.Error()))
		return event.EventProcessStatusKLater, nil
	}
	return event.EventProcessStatusKSuccess, nil
}

func (a *Adapter) mirrorChanged(ctx context.Context, mi chat.MirrorIntake, ev chat.MirrorEvent) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("intake panic: %v", p)
		}
	}()
	return mi.MirrorChanged(ctx, ev)
}

// ours says whether a todo is one of this app's mirrors: made with a
// sourceId, and of this app's bizTag once a create has told it.
func (a *Adapter) ours(t *todoState) bool {
	if t.SourceID == "" {
		return false
	}
	mine := a.bizTag.Load()
	return mine == nil || t.BizTag == "" || t.BizTag == *mine
}

// readTodo reads the todo of an event as its known creator, then as the
// users the event names. nil, nil: no one could read it (deleted, or not a
// todo this app may see); an error: a failure worth a redelivery.
func (a *Adapter) readTodo(ctx context.Context, d todoEventData) (*todoState, error) {
	var users []string
	seen := map[string]bool{}
	add := func(u string) {
		if u != "" && !seen[u] && len(users) < todoReadTries {
			seen[u] = true
			users = append(users, u)
		}
	}
	if c, ok := a.todoOwners.Get(d.TaskID); ok {
		add(c)
	}
	for _, u := range d.UnionIDList {
		add(u)
	}
	for _, u := range users {
		var t todoState
		err := todoErr(a.api.callPath(ctx, http.MethodGet, apiTodoTask, todoPath(u, "tasks", d.TaskID), nil, &t))
		if err == nil {
			if t.CreatorID != "" {
				a.todoOwners.Put(d.TaskID, t.CreatorID)
			}
			return &t, nil
		}
		if retryable(err) {
			return nil, err
		}
	}
	return nil, nil
}
