// Package bot routes platform-neutral messages to commands, keeps tasks in
// the store and renders platform-neutral replies. It never imports an
// adapter: adapters call Handler and implement Sender.
package bot

import (
	"errors"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/time/rate"

	"collabbot/bot/chat"
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
	// LadderStep and ReviewWindow are working time (see rules.AddWorkingTime).
	LadderStep   time.Duration
	ReviewWindow time.Duration
	NudgeScope   int // 0 = every open task
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
		LadderStep:        rules.DefaultLadderStep,
		ReviewWindow:      rules.DefaultReviewWindow,
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
	// Workers is how many goroutines process the inbox (zero = 8). One
	// chat's messages always go to the same one, in order.
	Workers int
	// Registerer receives the bot's metrics (see metrics.go); nil = none.
	Registerer prometheus.Registerer
}

// Bot is the platform-neutral brain. It implements Handler.
type Bot struct {
	db     *store.DB
	cal    rules.Calendar
	def    Defaults
	admins map[string]bool
	now    func() time.Time
	log    *slog.Logger

	mu        sync.RWMutex
	platforms map[string]chat.Sender // for the optional capabilities
	// people links one person's ids across platforms (SetPeople).
	people map[string][]string
	// mirrorKick wakes the task-mirror loop after a task write;
	// mirrorLimits pace its calls per platform.
	mirrorKick   chan struct{}
	mirrorLimits map[string]*rate.Limiter
	outbox       Outbox

	proc processor
	met  *botMetrics // nil: no metrics
	due  dueState    // the due index (due.go)
}

// Outbox is the send stage as the bot sees it: told when a group has
// something new to send.
type Outbox interface {
	Kick(g store.GroupKey)
}

var _ chat.Intake = (*Bot)(nil)

// New makes a Bot. The store stays the caller's to close.
func New(cfg Config) (*Bot, error) {
	if cfg.Store == nil {
		return nil, errors.New("bot: Config.Store is nil")
	}
	b := &Bot{
		db:         cfg.Store,
		cal:        cfg.Calendar,
		def:        cfg.Defaults,
		admins:     map[string]bool{},
		now:        cfg.Now,
		log:        cfg.Log,
		platforms:  map[string]chat.Sender{},
		mirrorKick: make(chan struct{}, 1),
	}
	cfg.Store.OnTaskWrite(b.markMirror)
	b.proc.workers = cfg.Workers
	if b.proc.workers <= 0 {
		b.proc.workers = 8
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
	b.registerDueHooks()
	met, err := newBotMetrics(cfg.Registerer, b.knownPlatform)
	if err != nil {
		return nil, err
	}
	b.met = met
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

// AddPlatform tells the bot about a platform's adapter, whose optional
// capabilities (chat.AdminChecker, chat.NameResolver) it uses while
// processing that platform's messages.
func (b *Bot) AddPlatform(platform string, s chat.Sender) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.platforms[platform] = s
}

func (b *Bot) platform(name string) chat.Sender {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.platforms[name]
}

// SetOutbox connects the send stage, which is kicked after every commit
// that records outgoing messages. Set it before Start.
func (b *Bot) SetOutbox(o Outbox) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.outbox = o
}

func (b *Bot) kick(g store.GroupKey) {
	b.mu.RLock()
	o := b.outbox
	b.mu.RUnlock()
	if o != nil {
		o.Kick(g)
	}
}

// request is one message being handled: the parts every command needs.
type request struct {
	msg   chat.Message
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
func (r *request) reply(text string, mentions ...store.User) chat.Reply {
	replyTo := r.msg.MessageID
	if r.msg.Via != "" {
		replyTo = "" // nothing in the chat to reply to
	}
	return chat.Reply{
		Platform:    r.msg.Platform,
		ChatID:      r.msg.ChatID,
		ReplyTo:     replyTo,
		ReplyHandle: r.msg.ReplyHandle,
		Text:        text,
		Mentions:    fromStoreUsers(mentions),
		Key:         "reply:" + r.msg.Platform + ":" + r.msg.MessageID,
	}
}

// handle applies m inside tx and returns the replies it causes. The
// caller records the replies in the outbox and removes the inbox entry in
// the same transaction, so a crash leaves either all of it or none.
func (b *Bot) handle(tx *store.Tx, m chat.Message, now time.Time) ([]chat.Reply, error) {
	if m.Direct {
		if out, ok, err := b.directCommand(tx, m, now); ok || err != nil {
			return out, err
		}
		return b.direct(m), nil
	}
	text := stripLeadingMentions(strings.TrimSpace(m.Text), m.Mentions)
	cmd, isCmd := splitCommand(text)
	g, err := tx.EnsureGroup(store.GroupKey{Platform: m.Platform, ChatID: m.ChatID}, now)
	if err != nil {
		return nil, err
	}
	r := &request{msg: m, now: now, text: text, group: g, tx: tx}
	r.set = b.effective(g)
	r.lang = r.set.Lang
	r.admin = b.isAdmin(m.Platform, m.Sender.ID, m.SenderIsAdmin, g)
	if len(m.Files) > 0 && strings.TrimSpace(text) == "" {
		return b.fileHint(r)
	}
	if isCmd {
		return b.command(r, cmd)
	}
	return b.freeText(r)
}

// concernsBot reports whether m may need the bot at all: plain chat is
// never answered and never stored.
func concernsBot(m chat.Message) bool {
	if m.Direct || m.ReplyTo != "" || m.RootID != "" || len(m.Files) > 0 {
		return true
	}
	text := stripLeadingMentions(strings.TrimSpace(m.Text), m.Mentions)
	if _, isCmd := splitCommand(text); isCmd {
		return true
	}
	return rules.Recognisable(text)
}

// direct answers a 1:1 chat: the bot works in groups, so it explains itself.
func (b *Bot) direct(m chat.Message) []chat.Reply {
	lang := b.def.Lang
	return []chat.Reply{{Platform: m.Platform, ChatID: m.ChatID, ReplyTo: m.MessageID, ReplyHandle: m.ReplyHandle,
		Text: tr(lang, msgDirectIntro) + "\n\n" + helpText(lang), Key: "reply:" + m.Platform + ":" + m.MessageID}}
}

// stripLeadingMentions removes "@Name" for the message's mentions (and any
// other leading @word) from the start of text.
func stripLeadingMentions(text string, mentions []chat.User) string {
	for {
		text = strings.TrimLeft(text, " \t\u00a0\u3000\u200b")
		if !strings.HasPrefix(text, "@") {
			return text
		}
		cut := false
		for _, u := range mentions {
			// text starts with "@": comparing the rest, rather than
			// building "@"+u.Name, keeps the chat gate free of
			// allocations whatever the name's length.
			if u.Name != "" && strings.HasPrefix(text[1:], u.Name) {
				text = text[1+len(u.Name):]
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

func toStore(u chat.User) store.User { return store.User{ID: u.ID, Name: displayName(u)} }

func displayName(u chat.User) string {
	if u.Name != "" {
		return u.Name
	}
	return u.ID
}

func fromStore(u store.User) chat.User { return chat.User{ID: u.ID, Name: u.Name} }

func fromStoreUsers(us []store.User) []chat.User {
	var out []chat.User
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
func mention(u store.User) string { return chat.MentionToken(fromStore(u)) }
