package larkfake

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"
)

var eventSeq atomic.Int64

// Mention is one entry of an im.message.receive_v1 mentions list. Key is
// the placeholder in the text ("@_user_1"); empty means "@_user_<index+1>".
type Mention struct {
	Key    string
	OpenID string
	Name   string
}

// Message describes an im.message.receive_v1 event.
type Message struct {
	EventID   string // default: generated
	MessageID string // default: generated
	ChatID    string // default "oc_group"
	ChatType  string // "group" (default) or "p2p"
	MsgType   string // "text" (default) or "post" or anything else
	// Text is the text content ("@_user_1 …") for text messages.
	Text string
	// Content, when set, is the raw content JSON string (overrides Text).
	Content  string
	Sender   string // sender open_id, default "ou_sender"
	Mentions []Mention
	ParentID string
	RootID   string
	Time     time.Time // default now
	// Token is the verification token put in the event header.
	Token string
}

func nextID(prefix string) string {
	return fmt.Sprintf("%s%08d", prefix, eventSeq.Add(1))
}

// JSON renders the schema 2.0 event envelope.
func (m Message) JSON() []byte {
	orDefault(&m.EventID, nextID("ev_"))
	orDefault(&m.MessageID, nextID("om_in"))
	orDefault(&m.ChatID, "oc_group")
	orDefault(&m.ChatType, "group")
	orDefault(&m.MsgType, "text")
	orDefault(&m.Sender, "ou_sender")
	if m.Time.IsZero() {
		m.Time = time.Now()
	}
	content := m.Content
	if content == "" {
		b, _ := json.Marshal(map[string]string{"text": m.Text})
		content = string(b)
	}
	ms := make([]map[string]any, 0, len(m.Mentions))
	for i, mm := range m.Mentions {
		key := mm.Key
		if key == "" {
			key = "@_user_" + strconv.Itoa(i+1)
		}
		ms = append(ms, map[string]any{
			"key":  key,
			"id":   map[string]any{"open_id": mm.OpenID, "union_id": "on_" + mm.OpenID, "user_id": "u_" + mm.OpenID},
			"name": mm.Name, "tenant_key": "tenant",
		})
	}
	ts := strconv.FormatInt(m.Time.UnixMilli(), 10)
	msg := map[string]any{
		"message_id": m.MessageID, "chat_id": m.ChatID, "chat_type": m.ChatType,
		"message_type": m.MsgType, "content": content, "create_time": ts, "update_time": ts,
		"mentions": ms,
	}
	if m.ParentID != "" {
		msg["parent_id"] = m.ParentID
	}
	if m.RootID != "" {
		msg["root_id"] = m.RootID
	}
	ev := map[string]any{
		"schema": "2.0",
		"header": map[string]any{"event_id": m.EventID, "event_type": "im.message.receive_v1",
			"create_time": ts, "token": m.Token, "app_id": "cli_fake", "tenant_key": "tenant"},
		"event": map[string]any{
			"sender": map[string]any{
				"sender_id":   map[string]any{"open_id": m.Sender, "union_id": "on_" + m.Sender, "user_id": "u_" + m.Sender},
				"sender_type": "user", "tenant_key": "tenant",
			},
			"message": msg,
		},
	}
	b, _ := json.Marshal(ev)
	return b
}

// PushMessage delivers a message event over the long connection and
// returns the ack's code (200 = accepted).
func (s *Server) PushMessage(m Message) (int, error) {
	orDefault(&m.MessageID, nextID("om_in"))
	s.noteIncoming(m)
	a, err := s.Push(m.JSON())
	return a.Code, err
}

// CardAction describes a card.action.trigger callback.
type CardAction struct {
	EventID   string // default: generated
	Operator  string // operator open_id, default "ou_sender"
	ChatID    string // default "oc_group"
	MessageID string // the card message clicked
	Value     map[string]any
	Token     string
}

// JSON renders the schema 2.0 callback envelope.
func (c CardAction) JSON() []byte {
	orDefault(&c.EventID, nextID("ev_card"))
	orDefault(&c.Operator, "ou_sender")
	orDefault(&c.ChatID, "oc_group")
	ev := map[string]any{
		"schema": "2.0",
		"header": map[string]any{"event_id": c.EventID, "event_type": "card.action.trigger",
			"create_time": strconv.FormatInt(time.Now().UnixMilli(), 10), "token": c.Token, "app_id": "cli_fake"},
		"event": map[string]any{
			"operator": map[string]any{"open_id": c.Operator, "user_id": "u_" + c.Operator, "tenant_key": "tenant"},
			"token":    "c-update-token",
			"action":   map[string]any{"tag": "button", "value": c.Value},
			"host":     "im_message",
			"context":  map[string]any{"open_message_id": c.MessageID, "open_chat_id": c.ChatID},
		},
	}
	b, _ := json.Marshal(ev)
	return b
}

// CardAnswer is the decoded answer to a card click.
type CardAnswer struct {
	Code  int
	Toast struct {
		Type    string `json:"type"`
		Content string `json:"content"`
	} `json:"toast"`
	Card *struct {
		Type string          `json:"type"`
		Data json.RawMessage `json:"data"`
	} `json:"card"`
}

// PushCardAction delivers a card click over the long connection and
// returns the decoded ack (toast and card).
func (s *Server) PushCardAction(c CardAction) (CardAnswer, error) {
	a, err := s.Push(c.JSON())
	if err != nil {
		return CardAnswer{}, err
	}
	ans := CardAnswer{}
	if len(a.Data) > 0 {
		if err := json.Unmarshal(a.Data, &ans); err != nil {
			return CardAnswer{}, fmt.Errorf("larkfake: bad card answer %q: %w", a.Data, err)
		}
	}
	ans.Code = a.Code
	return ans, nil
}

// Encrypt wraps plaintext the way the platform does for an app with an
// encrypt key: AES-256-CBC, key sha256(encryptKey), random IV prefix,
// PKCS#7 padding, base64; returned as the {"encrypt": …} body.
func Encrypt(plaintext []byte, encryptKey string) []byte {
	key := sha256.Sum256([]byte(encryptKey))
	block, _ := aes.NewCipher(key[:])
	pad := aes.BlockSize - len(plaintext)%aes.BlockSize
	buf := append(append([]byte(nil), plaintext...), bytes.Repeat([]byte{byte(pad)}, pad)...)
	out := make([]byte, aes.BlockSize+len(buf))
	_, _ = rand.Read(out[:aes.BlockSize])
	cipher.NewCBCEncrypter(block, out[:aes.BlockSize]).CryptBlocks(out[aes.BlockSize:], buf)
	b, _ := json.Marshal(map[string]string{"encrypt": base64.StdEncoding.EncodeToString(out)})
	return b
}

// Sign computes X-Lark-Signature: hex(sha256(timestamp + nonce + encryptKey + body)).
func Sign(timestamp, nonce, encryptKey string, body []byte) string {
	h := sha256.New()
	h.Write([]byte(timestamp + nonce + encryptKey))
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

// WebhookRequest builds the POST the platform would make to an event
// callback URL: body encrypted when encryptKey is set, signed with the
// given timestamp and nonce.
func WebhookRequest(url string, payload []byte, encryptKey string, ts time.Time, nonce string) *http.Request {
	body := payload
	if encryptKey != "" {
		body = Encrypt(payload, encryptKey)
	}
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	tss := strconv.FormatInt(ts.Unix(), 10)
	req.Header.Set("X-Lark-Request-Timestamp", tss)
	req.Header.Set("X-Lark-Request-Nonce", nonce)
	req.Header.Set("X-Lark-Signature", Sign(tss, nonce, encryptKey, body))
	return req
}
