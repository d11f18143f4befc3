// Package chat is the contract between the bot and chat platforms: the
// neutral messages, replies and cards, the Adapter and Intake interfaces,
// classified send errors, and mention tokens. It imports only the standard
// library, so an adapter links neither the store nor the rules.
package chat

import (
	"context"
	"strings"
	"time"
)

// Platform names, used as store keys and metrics labels.
const (
	PlatformConsole  = "console"
	PlatformLark     = "lark"
	PlatformDingTalk = "dingtalk"
)

// User is a platform user as the adapter knows it: ID is the platform's stable
// id (Lark open_id, DingTalk staffId, console name) and Name what people see.
type User struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Message is one incoming chat message, already stripped of platform types.
type Message struct {
	Platform  string
	ChatID    string // group key: Lark chat_id, DingTalk conversationId
	MessageID string // platform message id; the dedupe key for redeliveries
	Sender    User
	// SenderIsAdmin is the platform's own word that the sender administers
	// the group (DingTalk isAdmin, Lark chat owner/manager). Configured
	// admins are added by the bot.
	SenderIsAdmin bool
	// Text with every mention written as "@Name" and any mention of the bot
	// itself removed.
	Text string
	// Mentions in the order they appear, the bot excluded.
	Mentions []User
	// ReplyTo is the platform message id this message replies to (Lark
	// parent_id, or root_id when that is what identifies the thread).
	ReplyTo string
	// RootID is the first message of the thread, when the platform says.
	RootID string
	Time   time.Time
	// Direct is true for a 1:1 chat with the bot.
	Direct bool
	// Files are the names of files shared with the message (Lark file
	// messages); the content never reaches the bot.
	Files []string `json:",omitempty"`
	// ReplyHandle is the adapter's own note on how to answer this message
	// (DingTalk's sessionWebhook and its expiry). The bot keeps it with the
	// message and copies it into the replies, so an answer sent after a
	// restart still takes the route the platform offered; it is opaque to
	// everyone but the adapter.
	ReplyHandle string `json:",omitempty"`
	// Via says the message was not typed in the chat but made by the bot
	// from another source ("taskapp": a completion in the platform's task
	// app); its answers are posted, not replied to a message.
	Via string `json:",omitempty"`
}

// Reply is a message the bot wants posted. Text may carry mention tokens
// made by MentionToken; adapters render them natively (Lark <at>, DingTalk
// @userId plus atUserIds) and only for users listed in Mentions.
type Reply struct {
	Platform string
	ChatID   string
	// ReplyTo is the message being answered; empty for proactive messages.
	ReplyTo string
	Text    string
	// Mentions lists every user whose token appears in Text or Card. A token
	// for a user not listed here is rendered as plain text.
	Mentions []User
	// Card, when set, is rendered as an interactive card (the console
	// prints it); Text is the fallback where a card cannot go.
	Card *Card
	// Key is a stable idempotency key: the same Key means the same message,
	// so a retried send must not post twice (Lark uuid, outbox key).
	Key string
	// Urgent messages may be posted in quiet hours.
	Urgent bool
	// Update, when set, is the platform id of an earlier card message that
	// this reply's Card replaces (Lark message id, DingTalk outTrackId).
	Update string
	// ReplyHandle is the answered message's Message.ReplyHandle.
	ReplyHandle string `json:",omitempty"`
	// Pin asks for the posted message to be pinned in the chat (project
	// announcements). Optional and best effort: an adapter that can pin
	// does so after the message is posted and logs the outcome, without
	// failing the send; an adapter that cannot pin ignores it.
	Pin bool `json:",omitempty"`
	// ToUser, when set, sends the reply to that user directly (a 1:1
	// message: Lark receive_id_type=open_id, DingTalk oToMessages) instead
	// of ChatID, which then only groups the outbox. Direct messages carry
	// no mentions.
	ToUser string `json:",omitempty"`
	// Interrupt lists users to interrupt through the platform's own
	// channel once the message is posted (Feishu 加急, DingTalk DING), for
	// the top rung of an emergency. Best effort and at most once: the
	// message itself already @-mentions them, which is the fallback when
	// the platform refuses (quota, edition, switched off); an adapter
	// never fails or retries a send because of it.
	Interrupt []User `json:",omitempty"`
}

// Card is a platform-neutral interactive card.
type Card struct {
	Title string
	// Template is a colour hint: "blue", "green", "orange", "red", "grey".
	Template string
	// Body is lightweight markdown (bold, line breaks) with mention tokens.
	Body    string
	Buttons []Button
}

// Button is a card button. Adapters put Action and TaskID into the button's
// value and hand them back in an Action when it is clicked.
type Button struct {
	Label  string
	Action string // one of the Action* constants
	TaskID int64
	// Group is the group chat the task lives in when the card is not in it
	// (a personal digest in a 1:1 chat); adapters hand it back in
	// Action.Group. Empty = the card's own chat.
	Group string `json:",omitempty"`
	// Primary marks the button drawn as the main one.
	Primary bool
}

// Card button actions.
const (
	ActionAck      = "ack"
	ActionProgress = "progress"
	ActionDone     = "done"
	ActionAssist   = "assist"
)

// Action is a card button click.
type Action struct {
	Platform string
	ChatID   string
	// EventID is the platform's id for this click, used to dedupe.
	EventID string
	// MessageID is the card message that was clicked, when known.
	MessageID   string
	User        User
	UserIsAdmin bool
	Action      string
	TaskID      int64
	// Group is Button.Group of the clicked button.
	Group string
	Time  time.Time
}

// ActionResult is what the adapter answers a click with, inside the
// platform's 3-second window: a toast and, if set, the card's new face.
type ActionResult struct {
	Toast string
	// ToastKind is "success", "info", "warning" or "error".
	ToastKind string
	Card      *Card
	Mentions  []User
}

// Intake is the bot's side of the contract: what adapters call. Every
// method is safe for concurrent use.
type Intake interface {
	// Accept records m durably and returns nil once it is committed (or was
	// committed before: a redelivery). Only then may the adapter
	// acknowledge the event to the platform; on an error it must not, so
	// that the platform delivers it again. Processing and replies follow
	// from the store, after Accept has returned.
	Accept(ctx context.Context, m Message) error
	// HandleAction applies a card click and answers it from the committed
	// state; messages the click causes are already recorded for sending.
	HandleAction(ctx context.Context, a Action) ActionResult
	// Post records r for the send stage, like every other outgoing
	// message (an adapter uses it for the card update of a click it had to
	// answer before the bot was done).
	Post(ctx context.Context, r Reply) error
}

// Adapter connects one platform. Lifecycle: New → Start → Close; Close is
// safe after a failed or partial Start and more than once.
type Adapter interface {
	// Platform returns one of the Platform* constants.
	Platform() string
	// Start connects and begins handing events to in. It returns once the
	// adapter is running (or failed to start); the work goes on in the
	// background until Close.
	Start(ctx context.Context, in Intake) error
	Sender
	Close() error
}

// Sender posts a reply with one attempt. The send stage owns retries,
// backoff and rate limits; an adapter only classifies a failure as a
// *SendError, whose Retry says whether trying again makes sense.
type Sender interface {
	Send(ctx context.Context, r Reply) error
}

// AdminChecker is an optional Adapter capability: asking the platform who
// administers a group. The bot asks it while processing a message, after
// the event was acknowledged, so the lookup never delays the ack.
type AdminChecker interface {
	IsGroupAdmin(ctx context.Context, chatID, userID string) (bool, error)
}

// NameResolver is an optional Adapter capability: a user's display name
// when the event did not carry it. Like AdminChecker, it is asked while
// processing.
type NameResolver interface {
	UserName(ctx context.Context, userID string) string
}

// Route says how an adapter would deliver a reply.
type Route struct {
	// Name labels metrics and logs ("im.create", "sessionWebhook", …).
	Name string
	// Idempotent: sending a Reply with the same Key again never posts a
	// second message (Lark uuid, DingTalk card outTrackId). A route
	// without it can post twice if the bot dies during the call.
	Idempotent bool
}

// Router is an optional Adapter capability. The send stage asks it before
// each send, so that it can record the attempt first on a route that is
// not idempotent. Without it every route counts as not idempotent.
type Router interface {
	Route(r Reply) Route
}

// Limits are a platform's send allowances; the send stage keeps them.
type Limits struct {
	// PerSecond bounds sends per app in any one second; PerMinute, when
	// non-zero, in any sliding minute as well.
	PerSecond float64
	PerMinute int
	// ChatPerSecond and ChatBurst bound sends to one chat.
	ChatPerSecond float64
	ChatBurst     int
}

// Limited is an optional Adapter capability: the platform's allowances.
// Without it the send stage uses conservative defaults.
type Limited interface {
	Limits() Limits
}

// Reason classifies a failed send; it doubles as a metrics label.
type Reason string

const (
	ReasonThrottled Reason = "throttled" // rate limited: retry after a pause
	ReasonTransient Reason = "transient" // network, 5xx: retry
	ReasonAuth      Reason = "auth"      // credentials or token rejected
	ReasonInvalid   Reason = "invalid"   // the platform rejected the message itself
	ReasonGone      Reason = "gone"      // chat or webhook no longer exists
	ReasonQuota     Reason = "quota"     // monthly quota used up
	ReasonOther     Reason = "other"
)

// SendError is a classified send failure. Err must never carry secrets.
type SendError struct {
	Reason Reason
	Retry  bool
	// RetryAfter, when non-zero, is the platform's own hint.
	RetryAfter time.Duration
	Err        error
}

func (e *SendError) Error() string {
	if e.Err == nil {
		return "send failed: " + string(e.Reason)
	}
	return "send failed (" + string(e.Reason) + "): " + e.Err.Error()
}

func (e *SendError) Unwrap() error { return e.Err }

// Mention tokens. The bot writes "<@id>" for a mention; adapters split the
// text with Spans and render each mention natively. User-typed text placed
// into replies goes through Escape, so nothing a user types becomes a token.
const (
	tokenOpen  = "<@"
	tokenClose = ">"
)

// MentionToken returns the token for u inside Reply.Text or Card.Body.
func MentionToken(u User) string { return tokenOpen + u.ID + tokenClose }

// Escape neutralises anything in user text that an adapter or platform
// could read as a mention: our own token opener and the platforms' @all
// forms. It inserts a zero-width space, so the text still reads the same.
func Escape(s string) string {
	if s == "" {
		return s
	}
	return escaper.Replace(s)
}

var escaper = strings.NewReplacer(
	"<@", "<\u200b@",
	"<at", "<\u200bat",
	"<AT", "<\u200bAT",
	"@all", "@\u200ball",
	"@所有人", "@\u200b所有人",
	"@everyone", "@\u200beveryone",
)

// Span is a piece of reply text: literal Text, or a Mention.
type Span struct {
	Text    string
	Mention *User
}

// Spans splits text into literal runs and mentions of the listed users. A
// token naming someone not in mentions, or "all", stays literal text with
// its "<@" broken, so it can never notify anyone.
func Spans(text string, mentions []User) []Span {
	var out []Span
	for text != "" {
		i := strings.Index(text, tokenOpen)
		if i < 0 {
			out = appendText(out, text)
			break
		}
		j := strings.Index(text[i+len(tokenOpen):], tokenClose)
		if j < 0 {
			out = appendText(out, text)
			break
		}
		id := text[i+len(tokenOpen) : i+len(tokenOpen)+j]
		out = appendText(out, text[:i])
		if u, ok := findUser(mentions, id); ok && !isAll(id) {
			uu := u
			out = append(out, Span{Mention: &uu})
		} else {
			out = appendText(out, "<\u200b@"+id+tokenClose)
		}
		text = text[i+len(tokenOpen)+j+len(tokenClose):]
	}
	return out
}

func appendText(out []Span, s string) []Span {
	if s == "" {
		return out
	}
	if n := len(out); n > 0 && out[n-1].Mention == nil {
		out[n-1].Text += s
		return out
	}
	return append(out, Span{Text: s})
}

func findUser(us []User, id string) (User, bool) {
	for _, u := range us {
		if u.ID == id {
			return u, true
		}
	}
	return User{}, false
}

func isAll(id string) bool {
	switch strings.ToLower(strings.TrimSpace(id)) {
	case "all", "@all", "everyone", "所有人", "":
		return true
	}
	return false
}

// PlainText renders text with mentions as "@Name", for logs, the console
// and platforms' fallback text.
func PlainText(text string, mentions []User) string {
	var b strings.Builder
	for _, s := range Spans(text, mentions) {
		if s.Mention != nil {
			b.WriteString("@" + s.Mention.Name)
			continue
		}
		b.WriteString(s.Text)
	}
	return b.String()
}

// MirrorState is what a task's mirror in the platform's task app should
// show.
type MirrorState string

const (
	MirrorOpen MirrorState = "open" // to do (also after a rejected delivery)
	MirrorDone MirrorState = "done" // delivered (/done) or accepted
	// MirrorGone: the task was cancelled; the mirror is deleted.
	MirrorGone MirrorState = "gone"
)

// MirrorTask is a task as the platform's task app should show it.
type MirrorTask struct {
	// Key is stable for the task, 10–100 ASCII characters: the idempotency
	// key of a create (Lark client_token, DingTalk sourceId).
	Key string
	// Ref is the platform's id of the mirror from an earlier MirrorTask
	// call; empty means it does not exist yet.
	Ref    string
	ChatID string
	// Summary is 主题-事项; Description the request, the latest progress
	// and a pointer back; Link the board's page of the task, or empty.
	Summary     string
	Description string
	Link        string
	Owner       User
	Followers   []User
	Creator     User
	Due         time.Time
	// Priority: 0 routine, 1 【重要】, 2 【紧急】.
	Priority int
	State    MirrorState
}

// TaskMirror is an optional Adapter capability: a copy of each task in the
// platform's own task app (Feishu Tasks, DingTalk 待办). MirrorTask makes
// one attempt to bring the mirror to t: it creates it when t.Ref is empty
// (idempotently by t.Key), updates it otherwise, deletes it for
// MirrorGone, and returns the mirror's id. Failures are *SendError; Reason
// gone means the mirror was deleted on the platform.
type TaskMirror interface {
	MirrorTask(ctx context.Context, t MirrorTask) (ref string, err error)
}

// MirrorEvent is a change made to a mirror in the platform's task app, as
// the adapter learned it from the platform (the events carry ids only, so
// the adapter reads the task before reporting).
type MirrorEvent struct {
	Platform string
	// EventID dedupes redeliveries.
	EventID string
	// Ref is the mirror's id, as returned by MirrorTask.
	Ref string
	// Done: the task app shows the task complete now; Deleted: the mirror
	// was deleted there.
	Done    bool
	Deleted bool
	// By is who made the change when the platform says; zero otherwise.
	By   User
	Time time.Time
}

// MirrorIntake is the bot's optional side of TaskMirror: an adapter whose
// Intake also implements it reports mirror changes, and acknowledges the
// platform's event only after MirrorChanged returned nil (committed).
type MirrorIntake interface {
	MirrorChanged(ctx context.Context, e MirrorEvent) error
}

// Health is an optional Adapter capability: whether the platform
// connection is up (a long connection or stream connected, or a webhook
// receiver started). /healthz reports it; without it an adapter is
// counted as up once started.
type Health interface {
	Connected() bool
}
