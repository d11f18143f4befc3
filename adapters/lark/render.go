package lark

import (
	"collabbot/bot/chat"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
)

const zwsp = "\u200b"

// renderReply builds msg_type and the content JSON string for r.
func renderReply(r chat.Reply) (msgType, content string, err error) {
	if r.Card != nil {
		b, err := json.Marshal(renderCard(r.Card, r.Mentions))
		return "interactive", string(b), err
	}
	text := renderMentions(r.Text, r.Mentions, textAt)
	if strings.TrimSpace(text) == "" {
		return "", "", errors.New("empty message")
	}
	b, err := json.Marshal(map[string]string{"text": text})
	return "text", string(b), err
}

// renderDirect is renderReply for a 1:1 message: mentions become plain
// "@Name", since nobody else is there to notify.
func renderDirect(r chat.Reply) (msgType, content string, err error) {
	if r.Card != nil {
		b, err := json.Marshal(renderCardAt(r.Card, r.Mentions, plainAt))
		return "interactive", string(b), err
	}
	text := renderMentions(r.Text, r.Mentions, plainAt)
	if strings.TrimSpace(text) == "" {
		return "", "", errors.New("empty message")
	}
	b, err := json.Marshal(map[string]string{"text": text})
	return "text", string(b), err
}

// textAt is a mention in a text or post message; cardAt one in card markdown.
func textAt(u chat.User) string { return `<at user_id="` + u.ID + `">` + safeName(u.Name) + `</at>` }
func cardAt(u chat.User) string { return `<at id=` + u.ID + `></at>` }

// plainAt is a mention where none can be rendered (card titles).
func plainAt(u chat.User) string { return "@" + neutralise(u.Name) }

// renderMentions renders mention tokens with at and neutralises every
// literal run, so nothing but a listed user's token becomes a mention.
func renderMentions(s string, mentions []chat.User, at func(chat.User) string) string {
	var b strings.Builder
	for _, sp := range chat.Spans(s, mentions) {
		if sp.Mention != nil && validID(sp.Mention.ID) {
			b.WriteString(at(*sp.Mention))
			continue
		}
		if sp.Mention != nil {
			b.WriteString("@" + neutralise(sp.Mention.Name))
			continue
		}
		b.WriteString(neutralise(sp.Text))
	}
	return b.String()
}

// neutralise breaks anything the platform could read as a mention: the
// bot's own escapes plus any "<at" tag opener in any case or spacing.
func neutralise(s string) string {
	// Twice: Escape consumes "<@" before it sees the "@all" in "<@all>".
	s = chat.Escape(chat.Escape(s))
	if !strings.Contains(s, "<") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		b.WriteByte(s[i])
		if s[i] != '<' {
			continue
		}
		j := i + 1
		for j < len(s) && (s[j] == ' ' || s[j] == '\t' || s[j] == '\n' || s[j] == '/') {
			j++
		}
		if j+1 < len(s) && (s[j]|0x20) == 'a' && (s[j+1]|0x20) == 't' {
			b.WriteString(zwsp)
		}
	}
	return b.String()
}

// validID accepts platform ids (ou_…, on_…, plain user ids) and rejects
// anything that could break out of the tag or mean "everyone".
func validID(id string) bool {
	if id == "" || strings.EqualFold(id, "all") {
		return false
	}
	for _, c := range id {
		if !(c == '_' || c == '-' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
			return false
		}
	}
	return true
}

func safeName(n string) string {
	return strings.NewReplacer("<", "", ">", "", "&", "").Replace(n)
}

// Button labels used when chat.Button.Label is empty.
var defaultLabels = map[string]string{
	chat.ActionProgress: "更新进度",
	chat.ActionDone:     "完成",
	chat.ActionAssist:   "需协助",
	chat.ActionAck:      "确认接收",
}

var templates = map[string]bool{
	"blue": true, "wathet": true, "turquoise": true, "green": true, "yellow": true, "orange": true,
	"red": true, "carmine": true, "violet": true, "purple": true, "indigo": true, "grey": true,
}

// renderCard builds a message card (JSON 1.0 layout): a coloured header,
// a markdown body and a row of buttons whose value objects carry
// {"action", "task"} (and "g", the button's Group, when set) back in
// card.action.trigger.
func renderCard(c *chat.Card, mentions []chat.User) map[string]any {
	return renderCardAt(c, mentions, cardAt)
}

// renderCardAt is renderCard with mentions in the body rendered by at.
func renderCardAt(c *chat.Card, mentions []chat.User, at func(chat.User) string) map[string]any {
	tpl := strings.ToLower(c.Template)
	if tpl == "gray" {
		tpl = "grey"
	}
	if !templates[tpl] {
		tpl = "blue"
	}
	elements := []any{}
	if body := renderMentions(c.Body, mentions, at); strings.TrimSpace(body) != "" {
		elements = append(elements, map[string]any{"tag": "markdown", "content": body})
	}
	if len(c.Buttons) > 0 {
		actions := make([]any, 0, len(c.Buttons))
		for _, btn := range c.Buttons {
			label := btn.Label
			if label == "" {
				label = defaultLabels[btn.Action]
			}
			kind := "default"
			if btn.Primary {
				kind = "primary"
			}
			value := map[string]any{"action": btn.Action, "task": strconv.FormatInt(btn.TaskID, 10)}
			if btn.Group != "" {
				value["g"] = btn.Group
			}
			actions = append(actions, map[string]any{
				"tag":   "button",
				"text":  map[string]any{"tag": "plain_text", "content": label},
				"type":  kind,
				"value": value,
			})
		}
		elements = append(elements, map[string]any{"tag": "action", "actions": actions})
	}
	return map[string]any{
		"config": map[string]any{"wide_screen_mode": true, "update_multi": true},
		"header": map[string]any{
			"title":    map[string]any{"tag": "plain_text", "content": renderMentions(c.Title, mentions, plainAt)},
			"template": tpl,
		},
		"elements": elements,
	}
}
