package lark

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	larkim "github.com/larksuite/oapi-sdk-go/v3/service/im/v1"

	"collabbot/bot/chat"
)

// onMessage is the SDK handler for im.message.receive_v1, over the long
// connection and in webhook mode alike. It converts the event and hands it
// to the bot's Intake, synchronously: the event is acknowledged only once
// Accept says it is committed. An error makes the SDK answer 500 (503 in
// webhook mode), so that the platform delivers the message again; the
// store dedupes redeliveries by message id.
func (a *Adapter) onMessage(ctx context.Context, ev *larkim.P2MessageReceiveV1) error {
	a.m.events.WithLabelValues("message").Inc()
	in := a.intake()
	if in == nil {
		a.m.dropped.WithLabelValues("not_running").Inc()
		return errors.New("lark: adapter not started")
	}
	msg, ok := a.convertMessage(ev)
	if !ok {
		a.m.dropped.WithLabelValues("unsupported").Inc()
		return nil
	}
	a.log.Debug("lark: message received", "chat", msg.ChatID, "message", msg.MessageID,
		"sender", msg.Sender.ID, "mentions", msg.Mentions, "direct", msg.Direct)
	actx, cancel := context.WithTimeout(ctx, a.cfg.AcceptTimeout)
	defer cancel()
	if err := in.Accept(actx, msg); err != nil {
		// Not lost, just not now: the platform redelivers it.
		a.m.dropped.WithLabelValues("not_accepted").Inc()
		a.log.Warn("lark: message not accepted, asking for redelivery", "message", msg.MessageID, "err", a.red.Clean(err.Error()))
		return fmt.Errorf("lark: message %s not accepted: %w", msg.MessageID, a.red.Err(err))
	}
	return nil
}

// convertMessage turns the event into a chat.Message; ok is false for
// anything the bot does not handle (other message types, bots, itself).
func (a *Adapter) convertMessage(ev *larkim.P2MessageReceiveV1) (chat.Message, bool) {
	if ev == nil || ev.Event == nil || ev.Event.Message == nil || ev.Event.Sender == nil {
		return chat.Message{}, false
	}
	em, es := ev.Event.Message, ev.Event.Sender
	if s := str(es.SenderType); s != "" && s != "user" {
		return chat.Message{}, false
	}
	sender := ""
	if es.SenderId != nil {
		sender = str(es.SenderId.OpenId)
	}
	botID := a.botOpenID()
	if sender == "" || sender == botID || str(em.MessageId) == "" || str(em.ChatId) == "" {
		return chat.Message{}, false
	}
	mentions := map[string]chat.User{}
	for _, mm := range em.Mentions {
		if mm == nil || mm.Key == nil {
			continue
		}
		u := chat.User{Name: str(mm.Name)}
		if mm.Id != nil {
			u.ID = str(mm.Id.OpenId)
		}
		mentions[*mm.Key] = u
		if u.ID != "" && u.Name != "" {
			a.names.Put(u.ID, u.Name)
		}
	}
	var raw string
	var files []string
	switch str(em.MessageType) {
	case "text":
		var c struct {
			Text string `json:"text"`
		}
		if json.Unmarshal([]byte(str(em.Content)), &c) != nil {
			return chat.Message{}, false
		}
		raw = c.Text
	case "post":
		raw = postText(str(em.Content), mentions)
	case "file":
		// A shared file: only its name matters to the bot (the seeds'
		// naming rule). Group files reach the bot only with the
		// all-group-messages scope.
		var c struct {
			FileName string `json:"file_name"`
		}
		if json.Unmarshal([]byte(str(em.Content)), &c) != nil || strings.TrimSpace(c.FileName) == "" {
			return chat.Message{}, false
		}
		files = []string{c.FileName}
	default:
		return chat.Message{}, false
	}
	text, users := expandMentions(raw, mentions, botID)
	if text == "" && len(files) == 0 {
		return chat.Message{}, false
	}
	m := chat.Message{
		Platform:  chat.PlatformLark,
		ChatID:    str(em.ChatId),
		MessageID: str(em.MessageId),
		Sender:    chat.User{ID: sender, Name: a.knownName(sender)},
		Text:      text,
		Mentions:  users,
		ReplyTo:   str(em.ParentId),
		RootID:    str(em.RootId),
		Time:      msTime(str(em.CreateTime)),
		Direct:    str(em.ChatType) == "p2p",
		Files:     files,
	}
	if m.Sender.ID != "" && a.admins[m.Sender.ID] {
		m.SenderIsAdmin = true
	}
	return m, true
}

// postText flattens a post ("富文本") into text with @_user_N placeholders.
// Received posts come either as {"title","content"} or keyed by language.
func postText(content string, mentions map[string]chat.User) string {
	type elem struct {
		Tag      string `json:"tag"`
		Text     string `json:"text"`
		Href     string `json:"href"`
		UserID   string `json:"user_id"`
		UserName string `json:"user_name"`
	}
	type post struct {
		Title   string   `json:"title"`
		Content [][]elem `json:"content"`
	}
	var p post
	if json.Unmarshal([]byte(content), &p) != nil {
		return ""
	}
	if p.Content == nil {
		var byLang map[string]post
		if json.Unmarshal([]byte(content), &byLang) != nil {
			return ""
		}
		for _, lang := range []string{"zh_cn", "en_us", "ja_jp"} {
			if lp, ok := byLang[lang]; ok {
				p = lp
				break
			}
		}
		if p.Content == nil {
			for _, lp := range byLang {
				p = lp
				break
			}
		}
	}
	var lines []string
	if t := strings.TrimSpace(p.Title); t != "" {
		lines = append(lines, t)
	}
	for _, para := range p.Content {
		var b strings.Builder
		for _, e := range para {
			switch e.Tag {
			case "text", "a", "code_block", "md":
				b.WriteString(e.Text)
			case "at":
				key := e.UserID
				switch {
				case key == "all" || key == "@_all":
					key = "@_all"
				case !strings.HasPrefix(key, "@_user_"):
					// A resolved id: give it a synthetic placeholder.
					u := chat.User{ID: key, Name: e.UserName}
					key = "@_user_post_" + strconv.Itoa(len(mentions)+1)
					mentions[key] = u
				}
				b.WriteString(key)
			}
		}
		lines = append(lines, b.String())
	}
	return strings.Join(lines, "\n")
}

// expandMentions replaces @_user_N placeholders with "@Name", drops the
// bot's own mention and lists the other users in order of appearance.
func expandMentions(raw string, mentions map[string]chat.User, botID string) (string, []chat.User) {
	var b strings.Builder
	var users []chat.User
	listed := map[string]bool{}
	for i := 0; i < len(raw); {
		if raw[i] != '@' || !strings.HasPrefix(raw[i:], "@_") {
			b.WriteByte(raw[i])
			i++
			continue
		}
		key, u, ok := matchPlaceholder(raw[i:], mentions)
		if !ok {
			if strings.HasPrefix(raw[i:], "@_all") {
				b.WriteString("@所有人")
				i += len("@_all")
				continue
			}
			b.WriteByte(raw[i])
			i++
			continue
		}
		i += len(key)
		if u.ID != "" && u.ID == botID {
			// Drop the bot's mention and one space after it.
			if i < len(raw) && raw[i] == ' ' {
				i++
			}
			continue
		}
		b.WriteString("@" + u.Name)
		if u.ID != "" && !listed[u.ID] {
			listed[u.ID] = true
			users = append(users, u)
		}
	}
	return strings.TrimSpace(b.String()), users
}

// matchPlaceholder finds the longest mention key that prefixes s, so that
// @_user_1 never eats the start of @_user_12.
func matchPlaceholder(s string, mentions map[string]chat.User) (string, chat.User, bool) {
	best := ""
	for k := range mentions {
		if len(k) > len(best) && strings.HasPrefix(s, k) {
			best = k
		}
	}
	if best == "" {
		return "", chat.User{}, false
	}
	return best, mentions[best], true
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func msTime(s string) time.Time {
	ms, err := strconv.ParseInt(s, 10, 64)
	if err != nil || ms <= 0 {
		return time.Now()
	}
	return time.UnixMilli(ms)
}
