package lark

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"sync"
	"time"

	"collabbot/bot"

	larkim "github.com/larksuite/oapi-sdk-go/v3/service/im/v1"
)

// onMessage is the SDK handler for im.message.receive_v1. It must answer
// within 3 s, so it only converts and queues; the handler runs on a worker.
func (a *Adapter) onMessage(_ context.Context, ev *larkim.P2MessageReceiveV1) error {
	a.m.events.WithLabelValues("message").Inc()
	msg, ok := a.convertMessage(ev)
	if !ok {
		a.m.dropped.WithLabelValues("unsupported").Inc()
		return nil
	}
	if !a.seen.add(msg.MessageID) {
		a.m.dropped.WithLabelValues("duplicate").Inc()
		a.log.Debug("lark: duplicate delivery dropped", "message", msg.MessageID)
		return nil
	}
	a.log.Debug("lark: message received", "chat", msg.ChatID, "message", msg.MessageID,
		"sender", msg.Sender.ID, "mentions", msg.Mentions, "direct", msg.Direct)
	if err := a.enqueue(job{msg: msg}); err != nil {
		// Not ignored, just not now: let the platform redeliver it.
		a.seen.remove(msg.MessageID)
		a.m.dropped.WithLabelValues("queue_full").Inc()
		a.log.Warn("lark: message not queued", "message", msg.MessageID, "err", err)
		return err
	}
	return nil
}

// convertMessage turns the event into a bot.Message; ok is false for
// anything the bot does not handle (other message types, bots, itself).
func (a *Adapter) convertMessage(ev *larkim.P2MessageReceiveV1) (bot.Message, bool) {
	if ev == nil || ev.Event == nil || ev.Event.Message == nil || ev.Event.Sender == nil {
		return bot.Message{}, false
	}
	em, es := ev.Event.Message, ev.Event.Sender
	if s := str(es.SenderType); s != "" && s != "user" {
		return bot.Message{}, false
	}
	sender := ""
	if es.SenderId != nil {
		sender = str(es.SenderId.OpenId)
	}
	if sender == "" || sender == a.botID || str(em.MessageId) == "" || str(em.ChatId) == "" {
		return bot.Message{}, false
	}
	mentions := map[string]bot.User{}
	for _, mm := range em.Mentions {
		if mm == nil || mm.Key == nil {
			continue
		}
		u := bot.User{Name: str(mm.Name)}
		if mm.Id != nil {
			u.ID = str(mm.Id.OpenId)
		}
		mentions[*mm.Key] = u
		if u.ID != "" && u.Name != "" {
			a.names.put(u.ID, u.Name)
		}
	}
	var raw string
	switch str(em.MessageType) {
	case "text":
		var c struct {
			Text string `json:"text"`
		}
		if json.Unmarshal([]byte(str(em.Content)), &c) != nil {
			return bot.Message{}, false
		}
		raw = c.Text
	case "post":
		raw = postText(str(em.Content), mentions)
	default:
		return bot.Message{}, false
	}
	text, users := expandMentions(raw, mentions, a.botID)
	if text == "" {
		return bot.Message{}, false
	}
	m := bot.Message{
		Platform:  bot.PlatformLark,
		ChatID:    str(em.ChatId),
		MessageID: str(em.MessageId),
		Sender:    bot.User{ID: sender, Name: a.names.get(sender)},
		Text:      text,
		Mentions:  users,
		ReplyTo:   str(em.ParentId),
		RootID:    str(em.RootId),
		Time:      msTime(str(em.CreateTime)),
		Direct:    str(em.ChatType) == "p2p",
	}
	if m.Sender.ID != "" && a.admins[m.Sender.ID] {
		m.SenderIsAdmin = true
	}
	return m, true
}

// postText flattens a post ("富文本") into text with @_user_N placeholders.
// Received posts come either as {"title","content"} or keyed by language.
func postText(content string, mentions map[string]bot.User) string {
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
					u := bot.User{ID: key, Name: e.UserName}
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
func expandMentions(raw string, mentions map[string]bot.User, botID string) (string, []bot.User) {
	var b strings.Builder
	var users []bot.User
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
func matchPlaceholder(s string, mentions map[string]bot.User) (string, bot.User, bool) {
	best := ""
	for k := range mentions {
		if len(k) > len(best) && strings.HasPrefix(s, k) {
			best = k
		}
	}
	if best == "" {
		return "", bot.User{}, false
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

// seenSet remembers keys for a while: the in-flight and recent-delivery
// dedupe for message ids and card event ids, and the webhook nonce cache.
type seenSet struct {
	mu   sync.Mutex
	ttl  time.Duration
	max  int
	keys map[string]time.Time
	now  func() time.Time
}

func newSeenSet(ttl time.Duration, max int) *seenSet {
	return &seenSet{ttl: ttl, max: max, keys: map[string]time.Time{}, now: time.Now}
}

// add records key and reports whether it was new.
func (s *seenSet) add(key string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if t, ok := s.keys[key]; ok && now.Sub(t) < s.ttl {
		return false
	}
	if len(s.keys) >= s.max {
		for k, t := range s.keys {
			if now.Sub(t) >= s.ttl {
				delete(s.keys, k)
			}
		}
		if len(s.keys) >= s.max { // still full: forget the oldest
			var oldest string
			var ot time.Time
			for k, t := range s.keys {
				if oldest == "" || t.Before(ot) {
					oldest, ot = k, t
				}
			}
			delete(s.keys, oldest)
		}
	}
	s.keys[key] = now
	return true
}

func (s *seenSet) remove(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.keys, key)
}
