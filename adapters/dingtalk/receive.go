package dingtalk

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/open-dingtalk/dingtalk-stream-sdk-go/card"
	"github.com/open-dingtalk/dingtalk-stream-sdk-go/chatbot"

	"collabbot/bot"
)

// DingTalk conversation types.
const (
	convDirect = "1"
	convGroup  = "2"
)

// onBotMessage is the SDK callback for robot messages. It must return fast:
// the SDK drops frames without an ack beyond 100 handlers in flight and
// DingTalk does not redeliver robot messages. So it only records what later
// sends need, dedupes, and queues the message for a worker.
func (a *Adapter) onBotMessage(_ context.Context, d *chatbot.BotCallbackDataModel) ([]byte, error) {
	if !a.acquire() {
		a.dropped.Inc()
		return nil, nil
	}
	defer a.release()
	if d == nil || d.ConversationId == "" {
		return nil, nil
	}
	a.remember(d)
	if d.MsgId != "" && !a.seen.add(d.MsgId, struct{}{}) {
		a.log.Debug("dingtalk: duplicate message ignored", "msg_id", d.MsgId)
		return nil, nil
	}
	m := a.toMessage(d)
	a.enqueue(job{chat: m.ChatID, run: func(ctx context.Context) { a.handleMessage(ctx, m) }})
	return nil, nil
}

// remember caches the sessionWebhook, the sender's nick and admin flag, and
// the user of a 1:1 chat.
func (a *Adapter) remember(d *chatbot.BotCallbackDataModel) {
	if d.SessionWebhook != "" && d.SessionWebhookExpiredTime > 0 {
		exp := time.UnixMilli(d.SessionWebhookExpiredTime)
		if time.Until(exp) > a.cfg.WebhookMargin {
			a.hooks.update(d.ConversationId, func(old hook, found bool) hook {
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
		a.nicks.put(sender, d.SenderNick)
	}
	a.isAdmin.put(d.ConversationId+"/"+sender, d.IsAdmin)
	if d.ConversationType == convDirect && d.SenderStaffId != "" {
		a.directs.put(d.ConversationId, d.SenderStaffId)
	}
}

func senderID(d *chatbot.BotCallbackDataModel) string {
	if d.SenderStaffId != "" {
		return d.SenderStaffId
	}
	return d.SenderId
}

func (a *Adapter) toMessage(d *chatbot.BotCallbackDataModel) bot.Message {
	sender := senderID(d)
	name := d.SenderNick
	if name == "" {
		name = sender
	}
	t := time.Now()
	if d.CreateAt > 0 {
		t = time.UnixMilli(d.CreateAt)
	}
	return bot.Message{
		Platform:      bot.PlatformDingTalk,
		ChatID:        d.ConversationId,
		MessageID:     d.MsgId,
		Sender:        bot.User{ID: sender, Name: name},
		SenderIsAdmin: d.IsAdmin || a.admins[sender],
		Text:          strings.TrimSpace(d.Text.Content),
		Mentions:      mentions(d),
		Time:          t,
		Direct:        d.ConversationType == convDirect,
	}
}

// mentions maps atUsers (the robot excluded) to users. DingTalk gives only
// ids; names come from the "@Name" words of the text, paired in order when
// their count matches, else the id stands in for the name.
func mentions(d *chatbot.BotCallbackDataModel) []bot.User {
	var users []bot.User
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
		users = append(users, bot.User{ID: id, Name: id})
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

func (a *Adapter) handleMessage(ctx context.Context, m bot.Message) {
	for _, r := range a.handler.HandleMessage(ctx, m) {
		if r.ChatID == "" {
			r.ChatID = m.ChatID
		}
		if err := a.send(ctx, r); err != nil {
			a.log.Error("dingtalk: reply failed", "chat", r.ChatID, "msg_id", m.MessageID, "err", err)
		}
	}
}

// onCardCallback answers a card button click inside the ack: the handler's
// result becomes the card's new data (and the toast the clicker's private
// data); follow-ups are queued for sending.
func (a *Adapter) onCardCallback(ctx context.Context, req *card.CardRequest) (*card.CardResponse, error) {
	if !a.acquire() {
		return &card.CardResponse{}, nil
	}
	defer a.release()
	params := req.CardActionData.CardPrivateData.Params
	action := paramString(params["action"])
	if action == "" {
		return &card.CardResponse{}, nil
	}
	task, _ := strconv.ParseInt(paramString(params["task"]), 10, 64)
	chat, ok := a.cards.get(req.OutTrackId)
	if !ok {
		chat = req.SpaceId
	}
	eventID, _ := ctx.Value(frameIDKey{}).(string)
	if eventID == "" {
		eventID = req.OutTrackId + "/" + req.UserId + "/" + action
	}
	name, ok := a.nicks.get(req.UserId)
	if !ok {
		name = req.UserId
	}
	wasAdmin, _ := a.isAdmin.get(chat + "/" + req.UserId)
	act := bot.Action{
		Platform:    bot.PlatformDingTalk,
		ChatID:      chat,
		EventID:     eventID,
		MessageID:   req.OutTrackId,
		User:        bot.User{ID: req.UserId, Name: name},
		UserIsAdmin: wasAdmin || a.admins[req.UserId],
		Action:      action,
		TaskID:      task,
		Time:        time.Now(),
	}
	hctx, cancel := context.WithTimeout(a.workCtx, a.cfg.ActionTimeout)
	defer cancel()
	res := a.handler.HandleAction(hctx, act)
	for _, f := range res.Followups {
		if f.ChatID == "" {
			f.ChatID = chat
		}
		a.enqueue(job{chat: f.ChatID, run: func(ctx context.Context) {
			if err := a.send(ctx, f); err != nil {
				a.log.Error("dingtalk: follow-up failed", "chat", f.ChatID, "err", err)
			}
		}})
	}
	return cardResponse(res), nil
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
func cardResponse(res bot.ActionResult) *card.CardResponse {
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
