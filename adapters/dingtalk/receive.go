package dingtalk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"collabbot/bot/chat"

	"github.com/open-dingtalk/dingtalk-stream-sdk-go/card"
	"github.com/open-dingtalk/dingtalk-stream-sdk-go/chatbot"
)

// DingTalk conversation types.
const (
	convDirect = "1"
	convGroup  = "2"
)

// errNotCommitted is what the error ack says (its text reaches DingTalk,
// so it carries no detail).
var errNotCommitted = errors.New("message not committed")

// onBotMessage is the SDK callback for robot messages. The message is
// committed to the bot's inbox (Accept) before the SDK acknowledges the
// frame; the commit is bounded well inside the stream's answer time. When
// it fails, the callback returns an error and the SDK answers the frame
// with code 500 instead of a success ack.
func (a *Adapter) onBotMessage(ctx context.Context, d *chatbot.BotCallbackDataModel) (_ []byte, err error) {
	if !a.acquire() {
		a.dropped.Inc()
		return nil, errClosed
	}
	defer a.release()
	if d == nil || d.ConversationId == "" {
		return nil, nil
	}
	a.remember(d)
	m := a.toMessage(d)
	if m.MessageID == "" {
		// DingTalk always sends msgId; without it the frame id is the
		// best key there is.
		if id, _ := ctx.Value(frameIDKey{}).(string); id != "" {
			m.MessageID = "frame:" + id
		}
	}
	defer func() {
		if p := recover(); p != nil {
			a.log.Error("dingtalk: intake panic", "panic", fmt.Sprint(p), "chat", m.ChatID, "msg_id", m.MessageID)
			a.dropped.Inc()
			err = errNotCommitted
		}
	}()
	actx, cancel := context.WithTimeout(a.workCtx, a.cfg.AcceptTimeout)
	defer cancel()
	if err := a.in.Accept(actx, m); err != nil {
		a.dropped.Inc()
		a.log.Error("dingtalk: message not committed, answering the frame with an error", "chat", m.ChatID, "msg_id", m.MessageID, "err", a.red.Clean(err.Error()))
		return nil, errNotCommitted
	}
	return nil, nil
}

// remember caches the sessionWebhook, the sender's nick and admin flag, and
// the user of a 1:1 chat.
func (a *Adapter) remember(d *chatbot.BotCallbackDataModel) {
	if d.SessionWebhook != "" && d.SessionWebhookExpiredTime > 0 {
		exp := time.UnixMilli(d.SessionWebhookExpiredTime)
		if time.Until(exp) > a.cfg.WebhookMargin {
			a.hooks.Update(d.ConversationId, func(old hook, found bool) hook {
				if found && old.exp.After(exp) {
					return old
				}
				return hook{url: d.SessionWebhook, exp: exp}
			})
		}
	}
	sender := senderID(d)
	if sender == "" {
		return
	}
	if d.SenderNick != "" {
		a.nicks.Put(sender, d.SenderNick)
	}
	a.isAdmin.Put(d.ConversationId+"/"+sender, d.IsAdmin)
	if d.ConversationType == convDirect && d.SenderStaffId != "" {
		a.directs.Put(d.ConversationId, d.SenderStaffId)
	}
}

func senderID(d *chatbot.BotCallbackDataModel) string {
	if d.SenderStaffId != "" {
		return d.SenderStaffId
	}
	return d.SenderId
}

func (a *Adapter) toMessage(d *chatbot.BotCallbackDataModel) chat.Message {
	sender := senderID(d)
	name := d.SenderNick
	if name == "" {
		name = sender
	}
	t := time.Now()
	if d.CreateAt > 0 {
		t = time.UnixMilli(d.CreateAt)
	}
	return chat.Message{
		Platform:      chat.PlatformDingTalk,
		ChatID:        d.ConversationId,
		MessageID:     d.MsgId,
		Sender:        chat.User{ID: sender, Name: name},
		SenderIsAdmin: d.IsAdmin || a.admins[sender],
		Text:          strings.TrimSpace(d.Text.Content),
		Mentions:      mentions(d),
		Time:          t,
		Direct:        d.ConversationType == convDirect,
		ReplyHandle:   replyHandle(d),
	}
}

// replyHandle packs the message's sessionWebhook and its expiry, so that a
// reply sent after a restart (when the cache is empty) still goes through
// the webhook, with real @-mentions, while it is valid.
func replyHandle(d *chatbot.BotCallbackDataModel) string {
	if d.SessionWebhook == "" || d.SessionWebhookExpiredTime <= 0 {
		return ""
	}
	return strconv.FormatInt(d.SessionWebhookExpiredTime, 10) + " " + d.SessionWebhook
}

func parseReplyHandle(s string) (hook, bool) {
	ms, url, ok := strings.Cut(s, " ")
	if !ok || url == "" {
		return hook{}, false
	}
	n, err := strconv.ParseInt(ms, 10, 64)
	if err != nil || n <= 0 {
		return hook{}, false
	}
	return hook{url: url, exp: time.UnixMilli(n)}, true
}

// mentions maps atUsers (the robot excluded) to users. DingTalk gives only
// ids; names come from the "@Name" words of the text, paired in order when
// their count matches, else the id stands in for the name.
func mentions(d *chatbot.BotCallbackDataModel) []chat.User {
	var users []chat.User
	seen := map[string]bool{}
	for _, u := range d.AtUsers {
		if u.DingtalkId != "" && u.DingtalkId == d.ChatbotUserId {
			continue
		}
		id := u.StaffId
		if id == "" {
			id = u.DingtalkId
		}
		if id == "" || seen[id] {
			continue
		}
		seen[id] = true
		users = append(users, chat.User{ID: id, Name: id})
	}
	words := atWords(d.Text.Content)
	if len(words) == len(users) {
		for i := range users {
			users[i].Name = words[i]
		}
	}
	return users
}

// atWords returns the names of the "@Name" words in s, in order, skipping
// @all forms and duplicates.
func atWords(s string) []string {
	var out []string
	seen := map[string]bool{}
	rs := []rune(s)
	for i := 0; i < len(rs); i++ {
		if rs[i] != '@' || (i > 0 && !unicode.IsSpace(rs[i-1])) {
			continue
		}
		j := i + 1
		for j < len(rs) && !unicode.IsSpace(rs[j]) {
			j++
		}
		w := string(rs[i+1 : j])
		i = j - 1
		switch strings.ToLower(w) {
		case "", "all", "所有人", "everyone":
			continue
		}
		if seen[w] {
			continue
		}
		seen[w] = true
		out = append(out, w)
	}
	return out
}

// onCardCallback answers a card button click inside the ack: the bot's
// result becomes the card's new data and the toast the clicker's private
// data. DingTalk waits 2 s for the answer; when the bot takes longer than
// ActionAnswer, the ack goes out without an update and the card update the
// bot finally returns is posted through the bot's outbox (Intake.Post).
func (a *Adapter) onCardCallback(ctx context.Context, req *card.CardRequest) (*card.CardResponse, error) {
	if !a.acquire() {
		return &card.CardResponse{}, nil
	}
	params := req.CardActionData.CardPrivateData.Params
	action := paramString(params["action"])
	if action == "" {
		a.release()
		return &card.CardResponse{}, nil
	}
	task, _ := strconv.ParseInt(paramString(params["task"]), 10, 64)
	chatID, ok := a.cards.Get(req.OutTrackId)
	if !ok {
		chatID = req.SpaceId
	}
	eventID, _ := ctx.Value(frameIDKey{}).(string)
	if eventID == "" {
		eventID = req.OutTrackId + "/" + req.UserId + "/" + action
	}
	name, ok := a.nicks.Get(req.UserId)
	if !ok {
		name = req.UserId
	}
	wasAdmin, _ := a.isAdmin.Get(chatID + "/" + req.UserId)
	act := chat.Action{
		Platform:    chat.PlatformDingTalk,
		ChatID:      chatID,
		EventID:     eventID,
		MessageID:   req.OutTrackId,
		User:        chat.User{ID: req.UserId, Name: name},
		UserIsAdmin: wasAdmin || a.admins[req.UserId],
		Action:      action,
		TaskID:      task,
		Group:       paramString(params["group"]),
		Time:        time.Now(),
	}

	p := &pendingAction{done: make(chan chat.ActionResult, 1)}
	go a.runAction(act, p) // releases the in-flight unit
	t := time.NewTimer(a.cfg.ActionAnswer)
	defer t.Stop()
	select {
	case res := <-p.done:
		return cardResponse(res), nil
	case <-t.C:
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case res := <-p.done:
		return cardResponse(res), nil
	default:
		p.late = true
		a.log.Warn("dingtalk: card click answered before the bot was done", "chat", chatID, "event", eventID)
		return &card.CardResponse{}, nil
	}
}

// pendingAction hands a click's result to the ack, or, once the ack has
// gone out (late), to the bot's outbox.
type pendingAction struct {
	mu   sync.Mutex
	late bool
	done chan chat.ActionResult
}

func (a *Adapter) runAction(act chat.Action, p *pendingAction) {
	defer a.release()
	defer func() {
		if r := recover(); r != nil {
			a.log.Error("dingtalk: action handler panic", "panic", fmt.Sprint(r), "chat", act.ChatID)
		}
	}()
	ctx, cancel := context.WithTimeout(a.workCtx, a.cfg.ActionTimeout)
	defer cancel()
	res := a.in.HandleAction(ctx, act)
	p.mu.Lock()
	late := p.late
	if !late {
		p.done <- res
	}
	p.mu.Unlock()
	if !late || res.Card == nil || act.MessageID == "" {
		return
	}
	err := a.in.Post(ctx, chat.Reply{
		Platform: chat.PlatformDingTalk,
		ChatID:   act.ChatID,
		Update:   act.MessageID,
		Card:     res.Card,
		Text:     res.Card.Body,
		Mentions: res.Mentions,
		Key:      "dingtalk:card-update:" + act.EventID,
	})
	if err != nil {
		a.log.Error("dingtalk: late card update not recorded", "chat", act.ChatID, "err", err)
	}
}

func paramString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatInt(int64(x), 10)
	case json.Number:
		return x.String()
	}
	return ""
}

// cardResponse renders an ActionResult for the ack: the new card face as
// card data, the toast as the clicker's private data (the SDK's card
// response has no toast of its own; the template shows "toast").
func cardResponse(res chat.ActionResult) *card.CardResponse {
	out := &card.CardResponse{CardUpdateOptions: &card.CardUpdateOptions{}}
	if res.Card != nil {
		out.CardData = &card.CardDataDto{CardParamMap: cardParams(res.Card, res.Mentions)}
		out.CardUpdateOptions.UpdateCardDataByKey = true
	}
	if res.Toast != "" {
		kind := res.ToastKind
		if kind == "" {
			kind = "info"
		}
		out.UserPrivateData = &card.CardDataDto{CardParamMap: map[string]string{"toast": res.Toast, "toastKind": kind}}
		out.CardUpdateOptions.UpdatePrivateDataByKey = true
	}
	return out
}
