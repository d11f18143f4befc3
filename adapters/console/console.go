// Package console is the local simulated group: you type as a user, the bot
// answers exactly as it would in a Feishu or DingTalk group, through the
// same inbox, store and send stage. It doubles as the platform for
// end-to-end tests.
package console

import (
	"bufio"
	"collabbot/bot/chat"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
)

// ChatID is the console's one group.
const ChatID = "console-group"

// Clock is the console's simulated clock: real time plus an offset that
// /clock changes, so reminders can be watched without waiting.
type Clock struct {
	mu     sync.Mutex
	offset time.Duration
	real   func() time.Time
}

// NewClock returns a clock running at real time.
func NewClock(real func() time.Time) *Clock {
	if real == nil {
		real = time.Now
	}
	return &Clock{real: real}
}

// Now is the simulated time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.real().Add(c.offset)
}

// Set moves the simulated clock to t; it keeps running from there. Set
// does not refuse an earlier time: /clock does (see Adapter), and a program
// that restores a saved clock calls Set before the session starts.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset = t.Sub(c.real())
}

// Offset is how far the simulated time is ahead of real time (what a
// program saves to continue the clock on the next start).
func (c *Clock) Offset() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.offset
}

// SetOffset puts the simulated time d ahead of real time.
func (c *Clock) SetOffset(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset = d
}

// Options configure the console.
type Options struct {
	In  io.Reader
	Out io.Writer
	// User is who you type as at the start.
	User string
	// Clock is the simulated clock; nil = real time, and /clock is refused.
	Clock *Clock
	// Location renders /clock and parses its argument.
	Location *time.Location
	// OnClock runs after /clock moves the time (the reminder engine's
	// "send what is due now"; a program that keeps the clock per store
	// saves it here). /clock only moves the time forward.
	OnClock func(ctx context.Context, now time.Time)
	// Admins, when set, are the only admins; empty means everyone is one.
	// Start announces which (console.admins in the config file).
	Admins []string
	// Lang is the language of the console's own notes: "zh" (default) or
	// "en". The bot's replies follow the group's language.
	Lang string
	// Notes, when set, returns lines printed at Start after the welcome
	// text and the admin line (e.g. "the clock continues from …", start-up
	// warnings), each in parentheses.
	Notes func() []string
	// Prompt shows "name> " before each line (off for scripted tests).
	Prompt bool
	// Settle runs after each line is accepted and waits until the bot has
	// processed it and sent its answers, so a session reads in order.
	Settle func(ctx context.Context)
}

// Adapter is the console platform.
type Adapter struct {
	opt Options

	mu   sync.Mutex // serialises output and state
	user string
	seq  int
	// threads maps a task id to the message that created it in this session.
	threads map[string]string
	in      chat.Intake
	cancel  context.CancelFunc
	done    chan struct{}
	closed  bool
}

var (
	_ chat.Adapter = (*Adapter)(nil)
	_ chat.Limited = (*Adapter)(nil)
)

// New makes a console; Start begins reading.
func New(opt Options) *Adapter {
	if opt.User == "" {
		opt.User = "小王"
	}
	if opt.Location == nil {
		opt.Location = time.Local
	}
	return &Adapter{opt: opt, user: opt.User, done: make(chan struct{}), threads: map[string]string{}}
}

// SetOnClock sets the hook /clock runs after moving the time.
func (a *Adapter) SetOnClock(f func(ctx context.Context, now time.Time)) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.opt.OnClock = f
}

// Platform implements chat.Adapter.
func (a *Adapter) Platform() string { return chat.PlatformConsole }

// Limits implements chat.Limited: a terminal takes what it is given.
func (a *Adapter) Limits() chat.Limits {
	return chat.Limits{PerSecond: 1000, ChatPerSecond: 1000, ChatBurst: 1000}
}

// Start reads lines until the input ends or Close.
func (a *Adapter) Start(ctx context.Context, in chat.Intake) error {
	if a.opt.In == nil || a.opt.Out == nil {
		return errors.New("console: In and Out are required")
	}
	// ctx bounds only the start: the session runs until Close or the end
	// of input, like every adapter's.
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	a.mu.Lock()
	a.in, a.cancel = in, cancel
	a.mu.Unlock()
	a.printf("%s\n", banner)
	a.printf("(%s)\n", a.adminNote())
	if a.opt.Notes != nil {
		for _, n := range a.opt.Notes() {
			a.printf("(%s)\n", n)
		}
	}
	go a.loop(ctx)
	return nil
}

// Done is closed when the input has ended or the console was closed.
func (a *Adapter) Done() <-chan struct{} { return a.done }

// Close stops reading. Safe before Start and more than once.
func (a *Adapter) Close() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return nil
	}
	a.closed = true
	if a.cancel != nil {
		a.cancel()
	} else {
		close(a.done)
	}
	return nil
}

const banner = `collabbot console: a simulated project group. Type as a group member.
  【主题-事项-需求-截止时间】 creates a task (@名字 mentions someone) · /help lists commands
  /as 名字 switch user · /reply #1 text answer in a task's thread · /click #1 ack|progress|done|assist press a card button
  /clock +1d · /clock 17:00 · /clock YYYY-MM-DD HH:MM move the simulated clock forward · /quit leave`

func (a *Adapter) zh() bool { return a.opt.Lang != "en" }

// adminNote says who may change the group's settings here, and how to
// change that.
func (a *Adapter) adminNote() string {
	if len(a.opt.Admins) == 0 {
		if a.zh() {
			return "本群管理员：所有人——在配置文件里设置 console.admins 可限制谁能用 /config"
		}
		return "admins here: everyone — set console.admins in the config file to restrict /config"
	}
	if a.zh() {
		return "本群管理员：" + strings.Join(a.opt.Admins, "、") + "——来自配置文件的 console.admins；用 /as " + a.opt.Admins[0] + " 以管理员身份操作，/config admin add @某人 可增加"
	}
	return "admins here: " + strings.Join(a.opt.Admins, ", ") + " — from console.admins in the config file; /as " + a.opt.Admins[0] + " to act as one, /config admin add @someone adds one"
}

func (a *Adapter) loop(ctx context.Context) {
	defer func() {
		a.mu.Lock()
		select {
		case <-a.done:
		default:
			close(a.done)
		}
		a.mu.Unlock()
	}()
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(a.opt.In)
		sc.Buffer(make([]byte, 64*1024), 1024*1024)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			case <-ctx.Done():
				return
			}
		}
		close(lines)
	}()
	for {
		a.prompt()
		select {
		case <-ctx.Done():
			return
		case line, ok := <-lines:
			if !ok {
				return
			}
			if !a.line(ctx, line) {
				return
			}
		}
	}
}

func (a *Adapter) prompt() {
	if a.opt.Prompt {
		a.mu.Lock()
		fmt.Fprintf(a.opt.Out, "%s> ", a.user)
		a.mu.Unlock()
	}
}

// line handles one input line; false ends the session.
func (a *Adapter) line(ctx context.Context, line string) bool {
	text := strings.TrimSpace(line)
	if text == "" {
		return true
	}
	cmd, arg, _ := strings.Cut(text, " ")
	arg = strings.TrimSpace(arg)
	switch cmd {
	case "/quit", "/exit", "/退出":
		return false
	case "/as", "/我是":
		if arg == "" {
			a.printf("usage: /as 名字\n")
			return true
		}
		a.mu.Lock()
		a.user = strings.TrimPrefix(arg, "@")
		a.mu.Unlock()
		a.printf("(you are now %s)\n", a.currentUser())
		return true
	case "/clock", "/时间":
		a.clock(ctx, arg)
		return true
	case "/click", "/点击":
		a.click(ctx, arg)
		return true
	case "/reply", "/回复":
		id, rest, ok := strings.Cut(arg, " ")
		if !ok || !strings.HasPrefix(id, "#") {
			a.printf("usage: /reply #1 进展说明\n")
			return true
		}
		a.mu.Lock()
		msgID, known := a.threads[strings.TrimPrefix(id, "#")]
		a.mu.Unlock()
		if !known {
			// The thread's first message was before this session: an
			// explicit update says the same.
			a.printf("(no thread for %s in this session; sending /update %s instead)\n", id, id)
			a.send(ctx, "/update "+id+" "+rest, "")
			return true
		}
		a.send(ctx, rest, msgID)
		return true
	}
	a.send(ctx, text, "")
	return true
}

func (a *Adapter) currentUser() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.user
}

func (a *Adapter) now() time.Time {
	if a.opt.Clock != nil {
		return a.opt.Clock.Now()
	}
	return time.Now()
}

func (a *Adapter) isAdmin(user string) bool {
	if len(a.opt.Admins) == 0 {
		return true
	}
	for _, x := range a.opt.Admins {
		if x == user {
			return true
		}
	}
	return false
}

func (a *Adapter) send(ctx context.Context, text, replyTo string) {
	a.mu.Lock()
	a.seq++
	id := fmt.Sprintf("c%d-%d", a.now().UnixNano(), a.seq)
	user := a.user
	in := a.in
	a.mu.Unlock()
	m := chat.Message{
		Platform:      chat.PlatformConsole,
		ChatID:        ChatID,
		MessageID:     id,
		Sender:        chat.User{ID: user, Name: user},
		SenderIsAdmin: a.isAdmin(user),
		Text:          text,
		Mentions:      Mentions(text, user),
		ReplyTo:       replyTo,
		Time:          a.now(),
	}
	if err := in.Accept(ctx, m); err != nil {
		a.printf("(not delivered: %v)\n", err)
		return
	}
	a.settle(ctx)
}

func (a *Adapter) settle(ctx context.Context) {
	if a.opt.Settle != nil {
		a.opt.Settle(ctx)
	}
}

func (a *Adapter) click(ctx context.Context, arg string) {
	f := strings.Fields(arg)
	if len(f) != 2 || !strings.HasPrefix(f[0], "#") {
		a.printf("usage: /click #1 ack|progress|done|assist\n")
		return
	}
	id, err := strconv.ParseInt(strings.TrimPrefix(f[0], "#"), 10, 64)
	if err != nil {
		a.printf("usage: /click #1 ack|progress|done|assist\n")
		return
	}
	user := a.currentUser()
	a.mu.Lock()
	a.seq++
	ev := fmt.Sprintf("click-%d-%d", a.now().UnixNano(), a.seq)
	in := a.in
	a.mu.Unlock()
	res := in.HandleAction(ctx, chat.Action{Platform: chat.PlatformConsole, ChatID: ChatID, EventID: ev,
		User: chat.User{ID: user, Name: user}, UserIsAdmin: a.isAdmin(user), Action: f[1], TaskID: id, Time: a.now()})
	a.printf("(toast: %s)\n", res.Toast)
	if res.Card != nil {
		a.print(chat.Reply{Card: res.Card, Mentions: res.Mentions})
	}
	a.settle(ctx) // follow-ups come through Send
}

func (a *Adapter) clock(ctx context.Context, arg string) {
	if a.opt.Clock == nil {
		a.printf("(the clock is real time here)\n")
		return
	}
	const layout = "2006-01-02 15:04 Mon"
	now := a.now().In(a.opt.Location)
	if arg == "" {
		a.printf("(clock: %s)\n", now.Format(layout))
		return
	}
	t, ok := a.parseClock(arg, now)
	if !ok {
		a.printf("usage: /clock +2h | /clock +1d | /clock 17:00 (the next 17:00) | /clock 2026-09-30 17:00\n")
		return
	}
	// The reminder engine and the store assume time only moves forward: a
	// reminder decided at a later time must not be owed again, and records
	// must not appear out of order.
	cur := now.Truncate(time.Minute)
	switch {
	case t.Before(cur):
		if a.zh() {
			a.printf("(时间不能倒退：模拟时钟现在是 %s，%s 在它之前。提醒和存储都假定时间只向前走；要从头开始，请换一个存储文件：collabbot console -db 另一个.db)\n", now.Format(layout), t.Format(layout))
		} else {
			a.printf("(/clock refused: %s is before the simulated time %s; the clock only moves forward, as reminders and the store assume. To start over, use another store: collabbot console -db other.db)\n", t.Format(layout), now.Format(layout))
		}
		return
	case t.Equal(cur):
		a.printf("(clock: %s)\n", now.Format(layout))
		return
	}
	a.opt.Clock.Set(t)
	a.printf("(clock set to %s)\n", t.Format(layout))
	a.mu.Lock()
	hook := a.opt.OnClock
	a.mu.Unlock()
	if hook != nil {
		hook(ctx, t)
	}
}

// parseClock reads /clock's argument against the simulated time now:
// "+2h", "+1d", "+1d2h30m" (forward from now), "17:00" (the next 17:00:
// today's, or tomorrow's once it has passed) or "2026-09-30 17:00".
func (a *Adapter) parseClock(arg string, now time.Time) (time.Time, bool) {
	if rest, ok := strings.CutPrefix(arg, "+"); ok {
		var days int
		if i := strings.IndexByte(rest, 'd'); i >= 0 {
			n, err := strconv.Atoi(rest[:i])
			if err != nil || n < 0 || n > 3660 {
				return time.Time{}, false
			}
			days, rest = n, rest[i+1:]
		}
		var d time.Duration
		if rest != "" {
			var err error
			if d, err = time.ParseDuration(rest); err != nil || d < 0 {
				return time.Time{}, false
			}
		}
		t := now.AddDate(0, 0, days).Add(d)
		if !t.After(now) {
			return time.Time{}, false
		}
		// Whole minutes, as the other forms and the display.
		return t.Truncate(time.Minute), true
	}
	if t, err := time.ParseInLocation("15:04", arg, a.opt.Location); err == nil {
		// The next time the clock shows HH:MM: today, or tomorrow when
		// that has passed.
		at := time.Date(now.Year(), now.Month(), now.Day(), t.Hour(), t.Minute(), 0, 0, a.opt.Location)
		if !at.After(now) {
			at = time.Date(now.Year(), now.Month(), now.Day()+1, t.Hour(), t.Minute(), 0, 0, a.opt.Location)
		}
		return at, true
	}
	t, err := time.ParseInLocation("2006-01-02 15:04", arg, a.opt.Location)
	return t, err == nil
}

// Send implements chat.Sender: every message the bot posts prints here.
func (a *Adapter) Send(ctx context.Context, r chat.Reply) error {
	// A card about a task answering a message marks that message as the
	// task's thread, which /reply needs to address it.
	if r.Card != nil && len(r.Card.Buttons) > 0 && r.ReplyTo != "" {
		a.mu.Lock()
		a.threads[strconv.FormatInt(r.Card.Buttons[0].TaskID, 10)] = r.ReplyTo
		a.mu.Unlock()
	}
	a.print(r)
	return nil
}

func (a *Adapter) print(r chat.Reply) {
	var sb strings.Builder
	sb.WriteString("🤖 collabbot")
	if r.Urgent {
		sb.WriteString(" [urgent]")
	}
	sb.WriteString(":\n")
	if r.Card != nil {
		sb.WriteString(Render(r.Card, r.Mentions))
	} else {
		sb.WriteString(indent(chat.PlainText(r.Text, r.Mentions)))
	}
	a.printf("%s\n", sb.String())
}

// Render draws a card as text: title, body and its buttons with the
// /click command that presses each.
func Render(c *chat.Card, mentions []chat.User) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "  ┌ %s\n", c.Title)
	for _, l := range strings.Split(chat.PlainText(c.Body, mentions), "\n") {
		fmt.Fprintf(&sb, "  │ %s\n", l)
	}
	if len(c.Buttons) > 0 {
		var bs []string
		for _, b := range c.Buttons {
			bs = append(bs, fmt.Sprintf("[%s] /click #%d %s", b.Label, b.TaskID, b.Action))
		}
		fmt.Fprintf(&sb, "  └ %s", strings.Join(bs, "  "))
	} else {
		sb.WriteString("  └")
	}
	return sb.String()
}

func indent(s string) string {
	return "  " + strings.ReplaceAll(s, "\n", "\n  ")
}

func (a *Adapter) printf(format string, args ...any) {
	a.mu.Lock()
	defer a.mu.Unlock()
	fmt.Fprintf(a.opt.Out, format, args...)
}

// Mentions finds "@名字" in text, in order, without duplicates and without
// the sender, the bot itself, or @all forms: the console's user ids are
// names.
func Mentions(text, sender string) []chat.User {
	var out []chat.User
	seen := map[string]bool{}
	rs := []rune(text)
	for i := 0; i < len(rs); i++ {
		if rs[i] != '@' {
			continue
		}
		j := i + 1
		for j < len(rs) && !isNameEnd(rs[j]) {
			j++
		}
		name := string(rs[i+1 : j])
		i = j - 1
		switch strings.ToLower(name) {
		case "", "all", "所有人", "everyone", "collabbot", "机器人", "bot":
			continue
		}
		if seen[name] {
			continue
		}
		seen[name] = true
		out = append(out, chat.User{ID: name, Name: name})
	}
	return out
}

func isNameEnd(r rune) bool {
	if unicode.IsSpace(r) || r == '@' {
		return true
	}
	return strings.ContainsRune("【】[]（）()，,。.：:；;！!？?#＃-－—–/", r)
}
