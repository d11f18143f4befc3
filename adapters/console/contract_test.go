package console_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"collabbot/adapters/console"
	"collabbot/adapters/platform/platformtest"
	"collabbot/bot/chat"
)

// TestContract runs the adapter contract against the console. The console
// is its own platform, so the test wraps it: lines are typed into an
// io.Pipe, the "ack" is Accept's answer, and Send is wrapped to record
// posts and to throttle or hang on demand. The console has one group and
// makes its own message ids; the wrapper gives each typed line the chat and
// id the suite asked for, as a platform would.
func TestContract(t *testing.T) {
	platformtest.Run(t, consoleDriver{})
}

type consoleDriver struct{}

func (consoleDriver) Platform() string { return chat.PlatformConsole }

func (consoleDriver) NewFake(t *testing.T) platformtest.Fake { return &consoleFake{} }

// Skip implements platformtest.Skipper.
func (consoleDriver) Skip(subtest string) string {
	if subtest == "NoSecretsInLogsOrErrors" {
		return "the console has no credentials and no platform behind it: nothing to leak, and its Send prints whatever it is given"
	}
	return ""
}

type consoleFake struct {
	out       platformtest.LogBuffer // what every console printed
	deliverMu sync.Mutex             // one typed line at a time

	mu       sync.Mutex
	current  *consoleAdapter // started last: Deliver types into it
	pending  *typed          // the line being typed
	onAck    func(msgID string)
	posts    []platformtest.Post
	throttle int
	hang     *hang
}

type typed struct {
	chatID, msgID string
	done          chan error
}

type hang struct {
	once    sync.Once
	reached chan struct{}
	release chan struct{}
}

// consoleAdapter is a console whose input is a pipe, whose intake names
// the typed messages and whose Send the fake controls.
type consoleAdapter struct {
	*console.Adapter
	f  *consoleFake
	pr *io.PipeReader
	pw *io.PipeWriter
}

func (f *consoleFake) NewAdapter(t *testing.T) chat.Adapter {
	pr, pw := io.Pipe()
	a := &consoleAdapter{Adapter: console.New(console.Options{In: pr, Out: &f.out, User: "李四"}), f: f, pr: pr, pw: pw}
	t.Cleanup(func() { a.Close() })
	return a
}

func (a *consoleAdapter) Start(ctx context.Context, in chat.Intake) error {
	a.f.mu.Lock()
	a.f.current = a
	a.f.mu.Unlock()
	return a.Adapter.Start(ctx, &namingIntake{Intake: in, f: a.f})
}

func (a *consoleAdapter) Close() error {
	err := a.Adapter.Close()
	a.pw.Close() // ends the console's reader
	a.pr.Close()
	return err
}

func (a *consoleAdapter) Send(ctx context.Context, r chat.Reply) error {
	return a.f.send(ctx, a.Adapter, r)
}

// namingIntake gives the typed line the chat and message id Deliver was
// asked for, and reports Accept's answer as the ack.
type namingIntake struct {
	chat.Intake
	f *consoleFake
}

func (in *namingIntake) Accept(ctx context.Context, m chat.Message) error {
	in.f.mu.Lock()
	p, hook := in.f.pending, in.f.onAck
	in.f.pending = nil
	in.f.mu.Unlock()
	if p != nil {
		m.ChatID, m.MessageID = p.chatID, p.msgID
	}
	err := in.Intake.Accept(ctx, m)
	if err == nil && hook != nil {
		hook(m.MessageID)
	}
	if p != nil {
		p.done <- err
	}
	return err
}

func (f *consoleFake) Member(name string) chat.User { return chat.User{ID: name, Name: name} }

// Deliver types text as one line; the console finds the mentions itself.
func (f *consoleFake) Deliver(t *testing.T, chatID, msgID, text string, _ ...chat.User) bool {
	f.deliverMu.Lock()
	defer f.deliverMu.Unlock()
	p := &typed{chatID: chatID, msgID: msgID, done: make(chan error, 1)}
	f.mu.Lock()
	a := f.current
	f.pending = p
	f.mu.Unlock()
	if a == nil {
		t.Error("console: Deliver before any console was started")
		return false
	}
	// The write blocks until the console reads the line; a console that
	// stopped reading must not hang the test (Close ends the write).
	wrote := make(chan error, 1)
	go func() {
		_, err := fmt.Fprintln(a.pw, strings.ReplaceAll(text, "\n", " "))
		wrote <- err
	}()
	timeout := time.After(3 * time.Second)
	for {
		select {
		case err := <-wrote:
			if err != nil {
				t.Errorf("console: typing %s: %v", msgID, err)
				return false
			}
		case err := <-p.done:
			if err != nil {
				t.Logf("console: %s not accepted: %v", msgID, err)
			}
			return err == nil
		case <-timeout:
			f.mu.Lock()
			if f.pending == p {
				f.pending = nil
			}
			f.mu.Unlock()
			t.Logf("console: line %s never reached Accept within 3s", msgID)
			return false
		}
	}
}

func (f *consoleFake) OnAck(h func(msgID string)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.onAck = h
}

var errThrottled = errors.New("console: throttled by the test")

// send is the console's Send under the fake's control: throttled sends
// print nothing; a hanging send prints, then waits.
func (f *consoleFake) send(ctx context.Context, c *console.Adapter, r chat.Reply) error {
	f.mu.Lock()
	if f.throttle > 0 {
		f.throttle--
		f.mu.Unlock()
		return &chat.SendError{Reason: chat.ReasonThrottled, Retry: true, Err: errThrottled}
	}
	h := f.hang
	f.hang = nil
	f.mu.Unlock()
	if err := c.Send(ctx, r); err != nil {
		return err
	}
	if r.Update == "" { // a card update is not a post
		f.record(r)
	}
	if h == nil {
		return nil
	}
	h.once.Do(func() { close(h.reached) })
	select {
	case <-h.release:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (f *consoleFake) record(r chat.Reply) {
	body := r.Text
	text := chat.PlainText(r.Text, r.Mentions)
	if r.Card != nil {
		body = r.Card.Title + "\n" + r.Card.Body
		text = console.Render(r.Card, r.Mentions)
	}
	p := platformtest.Post{ChatID: r.ChatID, ReplyTo: r.ReplyTo, Text: text}
	for _, s := range chat.Spans(body, r.Mentions) {
		if s.Mention != nil {
			p.MentionedIDs = append(p.MentionedIDs, s.Mention.ID)
		}
	}
	for _, all := range []string{"@all", "@所有人", "@everyone"} {
		if strings.Contains(text, all) {
			p.MentionsAll = true
		}
	}
	f.mu.Lock()
	f.posts = append(f.posts, p)
	f.mu.Unlock()
}

func (f *consoleFake) Posts() []platformtest.Post {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]platformtest.Post(nil), f.posts...)
}

func (f *consoleFake) Throttle(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.throttle += n
}

func (f *consoleFake) HangNextSend() (<-chan struct{}, func()) {
	h := &hang{reached: make(chan struct{}), release: make(chan struct{})}
	f.mu.Lock()
	f.hang = h
	f.mu.Unlock()
	var once sync.Once
	return h.reached, func() { once.Do(func() { close(h.release) }) }
}

func (f *consoleFake) Secrets() []string { return nil }

func (f *consoleFake) Logs() string { return f.out.String() }
