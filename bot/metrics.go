package bot

import (
	"errors"
	"reflect"
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"collabbot/bot/chat"
	"collabbot/rules"
)

// Metrics of the bot's own stage (the send stage has its own). Every label
// comes from a small fixed set, never from what users type or from ids:
//
//	collabbot_messages_in_total{platform,kind}
//	collabbot_commands_total{command,outcome}
//
// platform is one of the chat.Platform* names or a platform added with
// AddPlatform, else "other"; kind is one of the msgKind* values; command is
// a canonical command name, a feature's command name, or "unknown";
// outcome is "ok" (committed: the reply may still be a refusal such as a
// permission denial, which the bot does not tell apart from an answer) or
// "error" (the handler failed or panicked and the user got the apology).

// Kinds of incoming messages, as counted by Accept.
const (
	msgKindTask        = "task"         // free text the bot recognises: a task, a near miss, a tagged message
	msgKindCommand     = "command"      // a slash command
	msgKindThreadReply = "thread_reply" // a reply in a thread, maybe a task's
	msgKindDropped     = "chat_dropped" // plain chat: neither stored nor answered
	msgKindDirect      = "direct"       // a 1:1 chat with the bot
	msgKindFile        = "file"         // files without text
	msgKindRedelivery  = "redelivery"   // a message already accepted, delivered again
)

// Command outcomes.
const (
	outcomeOK    = "ok"
	outcomeError = "error"
)

type botMetrics struct {
	in        *prometheus.CounterVec
	commands  *prometheus.CounterVec
	mirrors   *prometheus.CounterVec
	platforms func(string) bool // a known platform name
}

func newBotMetrics(reg prometheus.Registerer, known func(string) bool) (*botMetrics, error) {
	if reg == nil {
		return nil, nil
	}
	m := &botMetrics{
		in: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "collabbot_messages_in_total",
			Help: "Incoming messages handed to the bot, by platform and kind (task, command, thread_reply, chat_dropped, direct, file, redelivery)."},
			[]string{"platform", "kind"}),
		commands: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "collabbot_commands_total",
			Help: "Slash commands processed, by canonical command name (unknown for names that are not commands) and outcome (ok or error)."},
			[]string{"command", "outcome"}),
		mirrors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "collabbot_task_mirror_pushes_total",
			Help: "Pushes of a task to the platform's task app (Feishu Tasks, DingTalk 待办), by platform and result (ok or the send failure reason)."},
			[]string{"platform", "result"}),
		platforms: known,
	}
	for _, c := range []prometheus.Collector{m.in, m.commands, m.mirrors} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// mirrorResult counts one push of a task mirror.
func (m *botMetrics) mirrorResult(platform string, err error) {
	if m == nil {
		return
	}
	if !m.platforms(platform) {
		platform = "other"
	}
	result := "ok"
	if err != nil {
		result = string(chat.ReasonOther)
		var se *chat.SendError
		if errors.As(err, &se) {
			result = string(se.Reason)
		}
	}
	m.mirrors.WithLabelValues(platform, result).Inc()
}

// received counts one incoming message of the given kind.
func (m *botMetrics) received(platform, kind string) {
	if m == nil {
		return
	}
	if !m.platforms(platform) {
		platform = "other"
	}
	m.in.WithLabelValues(platform, kind).Inc()
}

// commandDone counts m once it has been processed, when it is a command.
func (m *botMetrics) commandDone(msg chat.Message, ok bool) {
	if m == nil || msg.Direct {
		return
	}
	c, isCmd := splitCommand(stripLeadingMentions(strings.TrimSpace(msg.Text), msg.Mentions))
	if !isCmd {
		return
	}
	outcome := outcomeOK
	if !ok {
		outcome = outcomeError
	}
	m.commands.WithLabelValues(commandLabel(c), outcome).Inc()
}

// messageKind classifies m as handle would treat it; accepted is false for
// plain chat, which is never stored.
func messageKind(m chat.Message) string {
	if m.Direct {
		return msgKindDirect
	}
	text := stripLeadingMentions(strings.TrimSpace(m.Text), m.Mentions)
	switch _, isCmd := splitCommand(text); {
	case len(m.Files) > 0 && strings.TrimSpace(text) == "":
		return msgKindFile
	case isCmd:
		return msgKindCommand
	case rules.Recognisable(text):
		return msgKindTask
	case m.ReplyTo != "" || m.RootID != "" || len(m.Files) > 0:
		return msgKindThreadReply
	}
	return msgKindDropped
}

// commandLabel is c's metrics label: the canonical name of a built-in
// command, a feature command's ASCII spelling, or "unknown".
func commandLabel(c command) string {
	if c.name == "" {
		return "unknown"
	}
	name, isFeature := strings.CutPrefix(c.name, "feature:")
	if !isFeature {
		return name
	}
	if l, ok := featureLabels()[name]; ok {
		return l
	}
	return "unknown"
}

// featureLabels maps every registered feature spelling to its label: the
// shortest ASCII spelling of the same handler (alphabetically first among
// equals), so /会议, /meeting and /meet all count as "meet"; a handler
// without an ASCII spelling keeps each spelling. The set is the
// registry's, so it is bounded.
var featureLabels = sync.OnceValue(func() map[string]string {
	out := map[string]string{}
	for _, f := range features {
		best := map[uintptr]string{}
		for name, h := range f.names {
			p := reflect.ValueOf(h).Pointer()
			if b, ok := best[p]; isASCII(name) && (!ok || len(name) < len(b) || len(name) == len(b) && name < b) {
				best[p] = name
			}
		}
		for name, h := range f.names {
			if b, ok := best[reflect.ValueOf(h).Pointer()]; ok {
				out[name] = b
			} else {
				out[name] = name
			}
		}
	}
	return out
})

func isASCII(s string) bool {
	for i := range len(s) {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// OutboxKinds lists every kind the bot records in the outbox: replies,
// posts, the reminder kinds, the digest and the features' timed messages.
// The send stage labels its metrics with these (anything else is "other");
// a new feature kind must be added here (TestOutboxKindsComplete checks
// every kind* constant of the package).
func OutboxKinds() []string {
	ks := []string{kindReply, kindPost, string(kindDigest),
		kindMeetingStart, kindMeetingMinutes, kindRetro, kindReassign, kindIncident}
	for _, k := range rules.RemindKinds {
		ks = append(ks, string(k))
	}
	return ks
}

// knownPlatform reports whether name may label a metric: the built-in
// platform names and any platform added with AddPlatform.
func (b *Bot) knownPlatform(name string) bool {
	switch name {
	case chat.PlatformLark, chat.PlatformDingTalk, chat.PlatformConsole:
		return true
	}
	return b.platform(name) != nil
}
