package lark

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"collabbot/bot"

	"github.com/larksuite/oapi-sdk-go/v3/event/dispatcher/callback"
)

const toastPending = "处理中"

// onCardAction answers card.action.trigger. The platform wants the answer
// (toast and new card) within 3 s, so the bot gets ActionTimeout; if it
// is slower, the click is answered "处理中" and the result is applied when
// it comes (card patched, followups posted).
func (a *Adapter) onCardAction(ctx context.Context, ev *callback.CardActionTriggerEvent) (*callback.CardActionTriggerResponse, error) {
	a.m.events.WithLabelValues("card_action").Inc()
	act, ok := a.convertAction(ev)
	if !ok {
		a.m.dropped.WithLabelValues("unsupported").Inc()
		return &callback.CardActionTriggerResponse{}, nil
	}
	// Whoever comes second of "the result is in" and "the window closed"
	// decides: the answer goes into the ack, or is applied late.
	var (
		mu       sync.Mutex
		answered bool
		tooLate  bool
		done     = make(chan bot.ActionResult, 1)
	)
	started := a.goTask(func() {
		hctx, cancel := context.WithTimeout(a.runCtx, time.Minute)
		defer cancel()
		res := a.runAction(hctx, act)
		mu.Lock()
		late := tooLate
		answered = !late
		mu.Unlock()
		if late {
			a.applyLate(hctx, act, res)
			return
		}
		done <- res
		a.postFollowups(hctx, act, res.Followups)
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

func (a *Adapter) runAction(ctx context.Context, act bot.Action) (res bot.ActionResult) {
	defer func() {
		if p := recover(); p != nil {
			a.log.Error("lark: action handler panicked", "event", act.EventID, "panic", fmt.Sprint(p))
			res = bot.ActionResult{Toast: "出错了，请稍后再试", ToastKind: "error"}
		}
	}()
	if admin, err := a.IsGroupAdmin(ctx, act.ChatID, act.User.ID); err == nil {
		act.UserIsAdmin = admin
	}
	if act.User.Name == "" {
		act.User.Name = a.userName(ctx, act.User.ID)
	}
	return a.handler.HandleAction(ctx, act)
}

func (a *Adapter) convertAction(ev *callback.CardActionTriggerEvent) (bot.Action, bool) {
	if ev == nil || ev.Event == nil || ev.Event.Action == nil || ev.Event.Operator == nil {
		return bot.Action{}, false
	}
	v := ev.Event.Action.Value
	action, _ := v["action"].(string)
	if action == "" {
		return bot.Action{}, false
	}
	act := bot.Action{
		Platform: bot.PlatformLark,
		Action:   action,
		TaskID:   taskID(v["task"]),
		User:     bot.User{ID: ev.Event.Operator.OpenID, Name: a.names.get(ev.Event.Operator.OpenID)},
		Time:     time.Now(),
	}
	if act.User.ID == "" {
		return bot.Action{}, false
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

func (a *Adapter) actionResponse(res bot.ActionResult) *callback.CardActionTriggerResponse {
	out := &callback.CardActionTriggerResponse{}
	if res.Toast != "" {
		out.Toast = &callback.Toast{Type: toastKind(res.ToastKind), Content: res.Toast}
	}
	if res.Card != nil {
		out.Card = &callback.Card{Type: "raw", Data: renderCard(res.Card, res.Mentions)}
	}
	return out
}

// applyLate applies a result that missed the 3-second window: the card is
// patched in place, the toast (when there is no card) is posted as a
// reply to the card, and followups are posted.
func (a *Adapter) applyLate(ctx context.Context, act bot.Action, res bot.ActionResult) {
	switch {
	case res.Card != nil && act.MessageID != "":
		b, err := json.Marshal(renderCard(res.Card, res.Mentions))
		if err == nil {
			err = a.patchCard(ctx, act.MessageID, act.ChatID, string(b))
		}
		if err != nil {
			a.log.Warn("lark: late card update failed", "event", act.EventID, "err", err)
		}
	case res.Toast != "" && act.ChatID != "":
		r := bot.Reply{Platform: bot.PlatformLark, ChatID: act.ChatID, ReplyTo: act.MessageID,
			Text: bot.MentionToken(act.User) + " " + bot.Escape(res.Toast), Mentions: []bot.User{act.User},
			Key: "late-toast:" + act.EventID}
		if err := a.Send(ctx, r); err != nil {
			a.log.Warn("lark: late toast failed", "event", act.EventID, "err", err)
		}
	}
	a.postFollowups(ctx, act, res.Followups)
}

func (a *Adapter) postFollowups(ctx context.Context, act bot.Action, rs []bot.Reply) {
	for _, r := range rs {
		if r.ChatID == "" {
			r.ChatID = act.ChatID
		}
		if err := a.Send(ctx, r); err != nil {
			a.log.Warn("lark: followup failed", "event", act.EventID, "err", err)
		}
	}
}
