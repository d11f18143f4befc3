package lark

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/larksuite/oapi-sdk-go/v3/event/dispatcher/callback"

	"collabbot/bot/chat"
)

const toastPending = "处理中"

// onCardAction answers card.action.trigger. The platform wants the answer
// (toast and new card) within 3 s, so the bot's HandleAction gets
// ActionTimeout; if it is slower, the click is answered "处理中" and, when
// the result comes, its card is handed to the bot's send stage as an
// update of the clicked card (Intake.Post), never sent from here.
func (a *Adapter) onCardAction(ctx context.Context, ev *callback.CardActionTriggerEvent) (*callback.CardActionTriggerResponse, error) {
	a.m.events.WithLabelValues("card_action").Inc()
	in := a.intake()
	if in == nil {
		a.m.dropped.WithLabelValues("not_running").Inc()
		return toast("warning", "机器人正在启动，请稍后再试"), nil
	}
	act, ok := a.convertAction(ev)
	if !ok {
		a.m.dropped.WithLabelValues("unsupported").Inc()
		return &callback.CardActionTriggerResponse{}, nil
	}
	// Lookups may use part of the window, never all of it.
	lookupBy := time.Now().Add(a.cfg.ActionTimeout / 3)
	// Whoever comes second of "the result is in" and "the window closed"
	// decides: the answer goes into the ack, or is posted late.
	var (
		mu       sync.Mutex
		answered bool
		tooLate  bool
		done     = make(chan chat.ActionResult, 1)
	)
	started := a.goTask(func() {
		hctx, cancel := context.WithTimeout(a.runCtx, time.Minute)
		defer cancel()
		act := a.enrichAction(hctx, act, lookupBy)
		res := a.runAction(hctx, in, act)
		mu.Lock()
		late := tooLate
		answered = !late
		mu.Unlock()
		if late {
			a.postLate(hctx, in, act, res)
			return
		}
		done <- res
	})
	if !started {
		return toast("warning", "机器人正在重启，请稍后再试"), nil
	}
	timer := time.NewTimer(a.cfg.ActionTimeout)
	defer timer.Stop()
	select {
	case res := <-done:
		return a.actionResponse(res), nil
	case <-timer.C:
	case <-ctx.Done():
	}
	mu.Lock()
	tooLate = !answered
	mu.Unlock()
	if !tooLate {
		return a.actionResponse(<-done), nil
	}
	a.log.Info("lark: card action slow, answering later", "event", act.EventID, "task", act.TaskID)
	return toast("info", toastPending), nil
}

// enrichAction adds what the platform knows about the clicking user (chat
// admin, display name) when it can find out before deadline; the bot
// answers without it otherwise.
func (a *Adapter) enrichAction(ctx context.Context, act chat.Action, deadline time.Time) chat.Action {
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	if !act.UserIsAdmin && act.ChatID != "" {
		if admin, err := a.IsGroupAdmin(ctx, act.ChatID, act.User.ID); err == nil {
			act.UserIsAdmin = admin
		} else {
			a.log.Debug("lark: admin lookup for a click failed", "chat", act.ChatID, "err", a.red.Clean(err.Error()))
		}
	}
	if act.User.Name == "" && ctx.Err() == nil {
		act.User.Name = a.userName(ctx, act.User.ID)
	}
	return act
}

func (a *Adapter) runAction(ctx context.Context, in chat.Intake, act chat.Action) (res chat.ActionResult) {
	defer func() {
		if p := recover(); p != nil {
			a.log.Error("lark: action handler panicked", "event", act.EventID, "panic", fmt.Sprint(p))
			res = chat.ActionResult{Toast: "出错了，请稍后再试", ToastKind: "error"}
		}
	}()
	return in.HandleAction(ctx, act)
}

func (a *Adapter) convertAction(ev *callback.CardActionTriggerEvent) (chat.Action, bool) {
	if ev == nil || ev.Event == nil || ev.Event.Action == nil || ev.Event.Operator == nil {
		return chat.Action{}, false
	}
	v := ev.Event.Action.Value
	action, _ := v["action"].(string)
	if action == "" {
		return chat.Action{}, false
	}
	act := chat.Action{
		Platform: chat.PlatformLark,
		Action:   action,
		TaskID:   taskID(v["task"]),
		Group:    stringValue(v["g"]),
		User:     chat.User{ID: ev.Event.Operator.OpenID, Name: a.knownName(ev.Event.Operator.OpenID)},
		Time:     time.Now(),
	}
	if act.User.ID == "" {
		return chat.Action{}, false
	}
	if c := ev.Event.Context; c != nil {
		act.ChatID, act.MessageID = c.OpenChatID, c.OpenMessageID
	}
	if ev.EventV2Base != nil && ev.EventV2Base.Header != nil {
		act.EventID = ev.EventV2Base.Header.EventID
		if ev.EventV2Base.Header.CreateTime != "" {
			act.Time = msTime(ev.EventV2Base.Header.CreateTime)
		}
	}
	act.UserIsAdmin = a.admins[act.User.ID]
	return act, true
}

// taskID accepts the task id as a JSON string or number.
func taskID(v any) int64 {
	switch t := v.(type) {
	case string:
		n, _ := strconv.ParseInt(strings.TrimSpace(t), 10, 64)
		return n
	case float64:
		return int64(t)
	case json.Number:
		n, _ := t.Int64()
		return n
	}
	return 0
}

func stringValue(v any) string {
	s, _ := v.(string)
	return s
}

func toast(kind, text string) *callback.CardActionTriggerResponse {
	return &callback.CardActionTriggerResponse{Toast: &callback.Toast{Type: kind, Content: text}}
}

func toastKind(k string) string {
	switch k {
	case "success", "info", "warning", "error":
		return k
	}
	return "info"
}

func (a *Adapter) actionResponse(res chat.ActionResult) *callback.CardActionTriggerResponse {
	out := &callback.CardActionTriggerResponse{}
	if res.Toast != "" {
		out.Toast = &callback.Toast{Type: toastKind(res.ToastKind), Content: res.Toast}
	}
	if res.Card != nil {
		out.Card = &callback.Card{Type: "raw", Data: renderCard(res.Card, res.Mentions)}
	}
	return out
}

// postLate hands the bot's send stage what missed the 3-second window:
// the new card as an update of the clicked card or, when there is no card,
// the toast as a reply to it. Messages the click caused are the bot's own
// to record.
func (a *Adapter) postLate(ctx context.Context, in chat.Intake, act chat.Action, res chat.ActionResult) {
	id := act.EventID
	if id == "" {
		id = fmt.Sprintf("%s:%d", act.MessageID, time.Now().UnixNano())
	}
	var r chat.Reply
	switch {
	case res.Card != nil && act.MessageID != "":
		r = chat.Reply{Platform: chat.PlatformLark, ChatID: act.ChatID, Card: res.Card, Mentions: res.Mentions,
			Update: act.MessageID, Key: "patch:lark:" + id}
	case res.Toast != "" && act.ChatID != "":
		r = chat.Reply{Platform: chat.PlatformLark, ChatID: act.ChatID, ReplyTo: act.MessageID,
			Text: chat.MentionToken(act.User) + " " + chat.Escape(res.Toast), Mentions: []chat.User{act.User},
			Key: "late-toast:lark:" + id}
	default:
		return
	}
	if err := in.Post(ctx, r); err != nil {
		a.log.Warn("lark: late card answer not recorded", "event", act.EventID, "err", a.red.Clean(err.Error()))
	}
}
