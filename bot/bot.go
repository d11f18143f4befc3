// Package bot routes platform-neutral messages to commands, keeps tasks in
// the store and renders platform-neutral replies. It never imports an
// adapter: adapters call Handler and implement Sender.
package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"collabbot/rules"
	"collabbot/store"
)

// Defaults are the global settings every group starts from (config file
// schedule.* and workday.*); /config overrides them per group.
type Defaults struct {
	Lang              string // "zh" or "en"
	Location          *time.Location
	WorkdayStart      rules.Clock
	WorkdayEnd        rules.Clock
	DailyNudge        rules.Clock
	WeeklyDay         time.Weekday
	WeeklyAt          rules.Clock
	NudgeEnabled      bool
	RequireAcceptance bool
	AckWindow         time.Duration
	UrgentAck         time.Duration
	ImportantAck      time.Duration
	HelpReping        time.Duration
	WarnWorkdays      int
}

// DefaultDefaults are the rules.md defaults.
func DefaultDefaults() Defaults {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		loc = time.FixedZone("CST", 8*3600)
	}
	return Defaults{
		Lang:              "zh",
		Location:          loc,
		WorkdayStart:      rules.Clock{Hour: 9},
		WorkdayEnd:        rules.Clock{Hour: 18},
		DailyNudge:        rules.Clock{Hour: 17},
		WeeklyDay:         time.Monday,
		WeeklyAt:          rules.Clock{Hour: 10},
		NudgeEnabled:      true,
		RequireAcceptance: true,
		AckWindow:         24 * time.Hour,
		UrgentAck:         15 * time.Minute,
		ImportantAck:      48 * time.Hour,
		HelpReping:        24 * time.Hour,
		WarnWorkdays:      2,
	}
}

// Config is what New needs.
type Config struct {
	Store    *store.DB
	Calendar rules.Calendar // nil = built-in China calendar
	Defaults Defaults       // zero value = DefaultDefaults()
	// Admins are user ids (optionally "platform:id") who administer every
	// group, on top of what the platform reports.
	Admins []string
	// Now is the clock; nil = time.Now. The console moves it with /clock.
	Now func() time.Time
	Log *slog.Logger
}

// Bot is the platform-neutral brain. It implements Handler.
type Bot struct {
	db     *store.DB
	cal    rules.Calendar
	def    Defaults
	admins map[string]bool
	now    func() time.Time
	log    *slog.Logger

	mu      sync.RWMutex
	senders map[string]Sender
}

var _ Handler = (*Bot)(nil)

// New makes a Bot. The store stays the caller's to close.
func New(cfg Config) (*Bot, error) {
	if cfg.Store == nil {
		return nil, errors.New("bot: Config.Store is nil")
	}
	b := &Bot{
		db:      cfg.Store,
		cal:     cfg.Calendar,
		def:     cfg.Defaults,
		admins:  map[string]bool{},
		now:     cfg.Now,
		log:     cfg.Log,
		senders: map[string]Sender{},
	}
	if b.cal == nil {
		b.cal = rules.NewCalendar(nil)
	}
	if b.def.Location == nil {
		b.def = DefaultDefaults()
	}
	if b.def.Lang == "" {
		b.def.Lang = "zh"
	}
	if b.now == nil {
		b.now = time.Now
	}
	if b.log == nil {
		b.log = slog.New(slog.DiscardHandler)
	}
	for _, a := range cfg.Admins {
		b.admins[a] = true
	}
	return b, nil
}

// Store returns the bot's store.
func (b *Bot) Store() *store.DB { return b.db }

// Calendar returns the working calendar in use.
func (b *Bot) Calendar() rules.Calendar { return b.cal }

// Defaults returns the global defaults.
func (b *Bot) Defaults() Defaults { return b.def }

// Now returns the bot's clock reading.
func (b *Bot) Now() time.Time { return b.now() }

// AddSender registers the sender for a platform's proactive messages.
func (b *Bot) AddSender(platform string, s Sender) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.senders[platform] = s
}

// Sender returns the platform's sender, or nil.
func (b *Bot) Sender(platform string) Sender {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.senders[platform]
}

// request is one message being handled: the parts every command needs.
type request struct {
	msg   Message
	now   time.Time
	text  string // the message text without leading mentions
	group *store.Group
	set   Effective
	lang  string
	tx    *store.Tx
	admin bool
}

func (r *request) key() store.GroupKey { return r.group.Key }

func (r *request) sender() store.User { return toStore(r.msg.Sender) }

// reply builds a reply to the triggering message.
func (r *request) reply(text string, mentions ...store.User) Reply {
	return Reply{
		Platform: r.msg.Platform,
		ChatID:   r.msg.ChatID,
		ReplyTo:  r.msg.MessageID,
		Text:     text,
		Mentions: fromStoreUsers(mentions),
		Key:      "reply:" + r.msg.Platform + ":" + r.msg.MessageID,
	}
}

// HandleMessage implements Handler. Everything a message changes, and the
// record that it was processed, commit in one transaction: a redelivered
// message finds its id recorded and changes nothing, and a crash leaves
// either all of it or none.
func (b *Bot) HandleMessage(ctx context.Context, m Message) []Reply {
	now := m.Time
	if now.IsZero() {
		now = b.now()
	}
	text := stripLeadingMentions(strings.TrimSpace(m.Text), m.Mentions)
	if m.Direct {
		return b.direct(m, now)
	}
	cmd, isCmd := splitCommand(text)
	if !isCmd && !rules.Recognisable(text) && m.ReplyTo == "" && m.RootID == "" {
		// Plain chat is never answered and never stored.
		return nil
	}
	var out []Reply
	err := b.db.Batch(func(tx *store.Tx) error {
		out = nil // Batch may run this function again
		if m.MessageID != "" {
			fresh, err := tx.MarkEvent(m.Platform, m.MessageID, now)
			if err != nil || !fresh {
				return err
			}
		}
		g, err := tx.EnsureGroup(store.GroupKey{Platform: m.Platform, ChatID: m.ChatID}, now)
		if err != nil {
			return err
		}
		r := &request{msg: m, now: now, text: text, group: g, tx: tx}
		r.set = b.effective(g)
		r.lang = r.set.Lang
		r.admin = b.isAdmin(m.Platform, m.Sender.ID, m.SenderIsAdmin, g)
		if isCmd {
			out, err = b.command(r, cmd)
		} else {
			out, err = b.freeText(r)
		}
		return err
	})
	// One message may get several replies; each needs its own idempotency
	// key or the platform would drop all but the first as a retry.
	for i := 1; i < len(out); i++ {
		out[i].Key = fmt.Sprintf("%s:%d", out[i].Key, i)
	}
	if err != nil {
		b.log.Error("handle message", "platform", m.Platform, "chat", m.ChatID, "message", m.MessageID, "err", err)
		lang := b.def.Lang
		return []Reply{{Platform: m.Platform, ChatID: m.ChatID, ReplyTo: m.MessageID,
			Text: tr(lang, msgInternalError), Key: "reply:" + m.Platform + ":" + m.MessageID}}
	}
	return out
}

// direct answers a 1:1 chat: the bot works in groups, so it explains itself.
func (b *Bot) direct(m Message, now time.Time) []Reply {
	fresh := true
	if m.MessageID != "" {
		err := b.db.Batch(func(tx *store.Tx) error {
			var err error
			fresh, err = tx.MarkEvent(m.Platform, m.MessageID, now)
			return err
		})
		if err != nil {
			b.log.Error("mark direct message", "err", err)
		}
	}
	if !fresh {
		return nil
	}
	lang := b.def.Lang
	return []Reply{{Platform: m.Platform, ChatID: m.ChatID, ReplyTo: m.MessageID,
		Text: tr(lang, msgDirectIntro) + "\n\n" + helpText(lang), Key: "reply:" + m.Platform + ":" + m.MessageID}}
}

// stripLeadingMentions removes "@Name" for the message's mentions (and any
// other leading @word) from the start of text.
func stripLeadingMentions(text string, mentions []User) string {
	for {
		text = strings.TrimLeft(text, " \t\u00a0\u3000\u200b")
		if !strings.HasPrefix(text, "@") {
			return text
		}
		cut := false
		for _, u := range mentions {
			if u.Name != "" && strings.HasPrefix(text, "@"+u.Name) {
				text = text[len("@"+u.Name):]
				cut = true
				break
			}
		}
		if !cut {
			i := strings.IndexAny(text, " \t\u00a0\u3000")
			if i < 0 {
				return text
			}
			text = text[i:]
		}
	}
}

// isAdmin: the platform's word (the console's says everyone unless
// console.admins is set), configured admins, or the group's own admins.
func (b *Bot) isAdmin(platform, userID string, platformSays bool, g *store.Group) bool {
	if platformSays || b.admins[userID] || b.admins[platform+":"+userID] {
		return true
	}
	for _, a := range g.Settings.Admins {
		if a.ID == userID {
			return true
		}
	}
	return false
}

func toStore(u User) store.User { return store.User{ID: u.ID, Name: displayName(u)} }

func displayName(u User) string {
	if u.Name != "" {
		return u.Name
	}
	return u.ID
}

func fromStore(u store.User) User { return User{ID: u.ID, Name: u.Name} }

func fromStoreUsers(us []store.User) []User {
	var out []User
	seen := map[string]bool{}
	for _, u := range us {
		if u.ID == "" || seen[u.ID] {
			continue
		}
		seen[u.ID] = true
		out = append(out, fromStore(u))
	}
	return out
}

// mention returns the token for u; the user must also be passed in the
// reply's Mentions for it to notify anyone.
func mention(u store.User) string { return MentionToken(fromStore(u)) }
