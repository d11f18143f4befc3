package platformtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"collabbot/bot/bottest"
	"collabbot/bot/chat"
	"collabbot/bot/deliver"
	"collabbot/store"
)

// Run runs the contract's subtests against the driver's adapter.
func Run(t *testing.T, d Driver) {
	tests := []struct {
		name string
		fn   func(*env)
		// running: the subtest needs an adapter that goes on running after
		// Start's context ends, as every pipeline started by bottest does.
		running bool
	}{
		{"StartContextBoundsOnlyStart", testStartContext, false},
		{"AckAfterCommit", testAckAfterCommit, true},
		{"RedeliveryAnswersOnce", testRedeliveryAnswersOnce, true},
		{"RestartLosesNothing", testRestartLosesNothing, true},
		{"CloseBeforeStart", testCloseBeforeStart, false},
		{"NoSecretsInLogsOrErrors", testNoSecrets, true},
		{"NeverMentionsAll", testNeverMentionsAll, true},
		{"ThrottledSendArrivesOnce", testThrottledSendArrivesOnce, true},
		{"ScheduledMessageCrashMidSend", testScheduledCrashMidSend, true},
	}
	runs := true
	for _, tc := range tests {
		ok := t.Run(tc.name, func(t *testing.T) {
			if s, ok := d.(Skipper); ok {
				if why := s.Skip(tc.name); why != "" {
					t.Skip(why)
				}
			}
			if tc.running && !runs {
				t.Skip("skipped: the adapter stops when Start's context ends (StartContextBoundsOnlyStart failed), and bottest.Start cancels that context once Start returns")
			}
			tc.fn(newEnv(t, d))
		})
		if tc.name == "StartContextBoundsOnlyStart" {
			runs = ok
		}
	}
}

// env is one subtest's world: a fresh fake and a store path that restarts
// reuse.
type env struct {
	t        *testing.T
	platform string
	f        Fake
	path     string
	zhang    chat.User
}

func newEnv(t *testing.T, d Driver) *env {
	f := d.NewFake(t)
	return &env{
		t:        t,
		platform: d.Platform(),
		f:        f,
		path:     filepath.Join(t.TempDir(), "contract.db"),
		zhang:    f.Member("张三"),
	}
}

// start runs a real bot on the subtest's store with a new adapter; quick
// retries keep the throttling and restart cases fast.
func (e *env) start() (*bottest.Pipeline, chat.Adapter) {
	e.t.Helper()
	ad := e.f.NewAdapter(e.t)
	p := bottest.Start(e.t, bottest.Options{Path: e.path,
		Deliver: deliver.Options{RetryBase: 20 * time.Millisecond, RetryMax: 200 * time.Millisecond,
			DrainTimeout: 200 * time.Millisecond}}, ad)
	return p, ad
}

// settle waits until the inbox is empty and nothing is queued in the
// outbox, backing-off entries included (bottest's Settle does not wait for
// those).
func (e *env) settle(p *bottest.Pipeline) {
	e.t.Helper()
	p.Settle(e.t)
	deadline := time.Now().Add(10 * time.Second)
	for {
		var inbox, queued int
		_ = p.DB.View(func(tx *store.Tx) error {
			inbox, queued = tx.InboxLen(), tx.PendingOutboxCount()
			return nil
		})
		if inbox == 0 && queued == 0 {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("not settled after 10s: %d in the inbox, %d queued to send\nlogs:\n%s", inbox, queued, e.f.Logs())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// taskText is a well-formed task for 张三 whose request carries tag, so
// that the bot's confirmation (which quotes the request) can be told apart
// on platforms that do not thread replies.
func (e *env) taskText(tag string) string {
	return fmt.Sprintf("@%s 【产品研发-需求确认-需前端提供技术评估方案（编号%s）-2099-09-15】", e.zhang.Name, tag)
}

func marker(tag string) string { return "编号" + tag }

// deliver delivers and requires a success ack.
func (e *env) deliver(chatID, msgID, text string) {
	e.t.Helper()
	if !e.f.Deliver(e.t, chatID, msgID, text, e.zhang) {
		e.t.Fatalf("message %s was not acknowledged\nlogs:\n%s", msgID, e.f.Logs())
	}
}

// replies returns the posts answering msgID, known by the tag its text
// quotes; a post that names another message as its parent, or another
// chat, is an error.
func (e *env) replies(chatID, msgID, tag string) []Post {
	e.t.Helper()
	var out []Post
	for _, p := range e.f.Posts() {
		if !strings.Contains(p.Text, marker(tag)) {
			continue
		}
		if p.ReplyTo != "" && p.ReplyTo != msgID {
			e.t.Errorf("the answer to %s replies to %s: %+v", msgID, p.ReplyTo, p)
		}
		if p.ChatID != "" && p.ChatID != chatID {
			e.t.Errorf("the answer to %s (chat %s) went to chat %s", msgID, chatID, p.ChatID)
		}
		out = append(out, p)
	}
	return out
}

// wantOneReply checks that msgID got exactly one answer and returns it.
func (e *env) wantOneReply(chatID, msgID, tag string) Post {
	e.t.Helper()
	rs := e.replies(chatID, msgID, tag)
	if len(rs) != 1 {
		e.t.Errorf("message %s in %s: %d replies, want exactly 1: %+v", msgID, chatID, len(rs), rs)
		if len(rs) == 0 {
			return Post{}
		}
	}
	return rs[0]
}

func (e *env) tasks(db *store.DB, chatID string) int {
	e.t.Helper()
	n := 0
	err := db.View(func(tx *store.Tx) error {
		return tx.Tasks(store.GroupKey{Platform: e.platform, ChatID: chatID}, func(*store.Task) error {
			n++
			return nil
		})
	})
	if err != nil {
		e.t.Fatalf("read tasks: %v", err)
	}
	return n
}

// 0. Start's context bounds the start only (chat.Adapter: "the work goes
// on in the background until Close"): cancelled once Start has returned,
// the adapter still hands messages to the bot and sends its replies.
func testStartContext(e *env) {
	ad := e.f.NewAdapter(e.t)
	p := bottest.Start(e.t, bottest.Options{Path: e.path}) // no adapter: this one is started by hand
	p.Stage.AddSender(e.platform, ad)
	p.Bot.AddPlatform(e.platform, ad)
	ctx, cancel := context.WithCancel(context.Background())
	err := ad.Start(ctx, p.Bot)
	cancel()
	if err != nil {
		e.t.Fatalf("Start: %v", err)
	}
	defer ad.Close()
	time.Sleep(50 * time.Millisecond) // room for work tied to ctx to notice
	const chatID, msgID = "grp-startctx", "msg-startctx-1"
	if !e.f.Deliver(e.t, chatID, msgID, e.taskText("X1"), e.zhang) {
		e.t.Fatalf("a message delivered after Start's context ended was not acknowledged: the adapter's work is bound to Start's ctx\nlogs:\n%s", e.f.Logs())
	}
	e.settle(p)
	e.wantOneReply(chatID, msgID, "X1")
}

// 1. The ack goes out only after the message is committed: at the instant
// the platform receives it, the store knows the event.
func testAckAfterCommit(e *env) {
	p, _ := e.start()
	const chatID, msgID = "grp-ack", "msg-ack-1"
	type seen struct {
		id        string
		committed bool
	}
	acks := make(chan seen, 8)
	e.f.OnAck(func(id string) {
		var ok bool
		_ = p.DB.View(func(tx *store.Tx) error { ok = tx.SeenEvent(e.platform, id); return nil })
		acks <- seen{id, ok}
	})
	defer e.f.OnAck(nil)
	e.deliver(chatID, msgID, e.taskText("A1"))
	select {
	case s := <-acks:
		if s.id != msgID {
			e.t.Errorf("ack for %q, want %q", s.id, msgID)
		}
		if !s.committed {
			e.t.Errorf("message %s was acknowledged before the store had it (SeenEvent false at the ack)", msgID)
		}
	case <-time.After(5 * time.Second):
		e.t.Fatal("Deliver reported an ack but the fake's ack hook never ran")
	}
	e.settle(p)
	e.wantOneReply(chatID, msgID, "A1")
	if n := e.tasks(p.DB, chatID); n != 1 {
		e.t.Errorf("%d tasks in the store, want 1", n)
	}
}

// 2. A redelivered message (twice at once, and once more later) is acked
// each time and answered once.
func testRedeliveryAnswersOnce(e *env) {
	p, _ := e.start()
	const chatID, msgID = "grp-redeliver", "msg-redeliver-1"
	text := e.taskText("R1")
	var wg sync.WaitGroup
	acked := make([]bool, 2)
	for i := range acked {
		wg.Go(func() { acked[i] = e.f.Deliver(e.t, chatID, msgID, text, e.zhang) })
	}
	wg.Wait()
	if !acked[0] || !acked[1] {
		e.t.Fatalf("concurrent deliveries of one message: acked %v, want both (a redelivery is acked too)", acked)
	}
	e.settle(p)
	e.deliver(chatID, msgID, text)
	e.settle(p)
	e.wantOneReply(chatID, msgID, "R1")
	if n := e.tasks(p.DB, chatID); n != 1 {
		e.t.Errorf("%d tasks from one redelivered message, want 1", n)
	}
}

// 3. Messages acknowledged just before a stop are all processed and
// answered, once, after the restart.
func testRestartLosesNothing(e *env) {
	const k, chats = 20, 4
	p, _ := e.start()
	type msg struct{ chat, id, tag string }
	// Half one by one, half at once, so that the stop finds them at every
	// stage: committed and not processed, processed and not sent, sent.
	msgs := make([]msg, k)
	acked := make([]bool, k)
	var wg sync.WaitGroup
	for i := range k {
		msgs[i] = msg{fmt.Sprintf("grp-restart-%d", i%chats), fmt.Sprintf("msg-restart-%02d", i), fmt.Sprintf("K%02d", i)}
		deliver := func() { acked[i] = e.f.Deliver(e.t, msgs[i].chat, msgs[i].id, e.taskText(msgs[i].tag), e.zhang) }
		if i < k/2 {
			deliver()
		} else {
			wg.Go(deliver)
		}
	}
	wg.Wait()
	for i, ok := range acked {
		if !ok {
			e.t.Fatalf("message %s was not acknowledged\nlogs:\n%s", msgs[i].id, e.f.Logs())
		}
	}
	var inbox, queued int
	_ = p.DB.View(func(tx *store.Tx) error {
		inbox, queued = tx.InboxLen(), tx.PendingOutboxCount()
		return nil
	})
	p.Stop() // at once: most of it is still in the inbox or the outbox
	e.t.Logf("stopped with %d messages in the inbox and %d replies queued, %d posted", inbox, queued, len(e.f.Posts()))
	p, _ = e.start()
	e.settle(p)
	total := 0
	for c := range chats {
		total += e.tasks(p.DB, fmt.Sprintf("grp-restart-%d", c))
	}
	if total != k {
		e.t.Errorf("%d tasks after the restart, want %d", total, k)
	}
	var unmentioned []string
	for _, m := range msgs {
		if r := e.wantOneReply(m.chat, m.id, m.tag); r.Text != "" && !contains(r.MentionedIDs, e.zhang.ID) {
			unmentioned = append(unmentioned, m.id)
		}
	}
	if len(unmentioned) > 0 {
		// Not part of this contract (nothing is lost), but worth seeing.
		e.t.Logf("NOTE: %d of %d replies do not @-mention the owner for real: %v", len(unmentioned), k, unmentioned)
	}
}

// 4. Close without Start is safe, twice, and leaves no goroutine behind.
func testCloseBeforeStart(e *env) {
	before := runtime.NumGoroutine()
	ad := e.f.NewAdapter(e.t)
	for i := range 2 {
		done := make(chan error, 1)
		go func() { done <- ad.Close() }()
		select {
		case err := <-done:
			if err != nil {
				e.t.Errorf("Close #%d before Start: %v", i+1, err)
			}
		case <-time.After(5 * time.Second):
			e.t.Fatalf("Close #%d before Start did not return", i+1)
		}
	}
	const slack = 1
	deadline := time.Now().Add(2 * time.Second)
	for {
		n := runtime.NumGoroutine()
		if n <= before {
			return
		}
		if time.Now().After(deadline) {
			if n > before+slack {
				buf := make([]byte, 1<<20)
				e.t.Errorf("goroutines: %d before New, %d after Close\n%s", before, n, buf[:runtime.Stack(buf, true)])
			}
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// 5. After real traffic, a throttled send and a send that cannot go
// anywhere, no credential is in the logs or in an error.
func testNoSecrets(e *env) {
	p, ad := e.start()
	const chatID = "grp-secrets"
	e.deliver(chatID, "msg-secrets-1", e.taskText("S1"))
	e.settle(p)
	e.wantOneReply(chatID, "msg-secrets-1", "S1")

	ctx := context.Background()
	var errs []error
	e.f.Throttle(1)
	err := ad.Send(ctx, chat.Reply{Platform: e.platform, ChatID: "grp-secrets-other", Text: "节流测试", Key: "contract:throttled"})
	var se *chat.SendError
	switch {
	case err == nil:
		e.t.Error("a send the platform throttled returned nil")
	case !errors.As(err, &se):
		e.t.Errorf("a throttled send returned %T %v, want a *chat.SendError", err, err)
	case se.Reason != chat.ReasonThrottled || !se.Retry:
		e.t.Errorf("a throttled send: reason %s retry %v, want throttled and retryable (%v)", se.Reason, se.Retry, err)
	}
	errs = append(errs, err)
	err = ad.Send(ctx, chat.Reply{Platform: e.platform, ChatID: "", Text: "无处可发", Key: "contract:nochat"})
	if err == nil {
		e.t.Error("a reply without a chat was sent without error")
	} else if !errors.As(err, &se) || se.Retry {
		e.t.Errorf("a reply without a chat: %T %v, want a *chat.SendError that is not retryable", err, err)
	}
	errs = append(errs, err)

	p.Stop() // the adapter's last words are in the logs too
	secrets := e.f.Secrets()
	if len(secrets) == 0 {
		e.t.Fatal("the driver reports no secrets to look for")
	}
	logs := e.f.Logs()
	for _, s := range secrets {
		if s == "" {
			continue
		}
		if strings.Contains(logs, s) {
			e.t.Errorf("secret %.4s… appears in the logs", s)
		}
		for _, err := range errs {
			if err != nil && strings.Contains(err.Error(), s) {
				e.t.Errorf("secret %.4s… appears in an error: %v", s, err)
			}
		}
	}
}

// allForms is every way a user could type "everyone".
const allForms = `通知@all @所有人 <at user_id="all">所有人</at> <at id=all></at> @everyone 看`

// 6. A task whose text holds every @all form gets its reply, which
// mentions the owner for real and nobody as "all".
func testNeverMentionsAll(e *env) {
	p, _ := e.start()
	const chatID, msgID = "grp-atall", "msg-atall-1"
	text := fmt.Sprintf("@%s 【产品研发-需求确认-%s需前端提供技术评估方案（%s）-2099-09-15】", e.zhang.Name, allForms, marker("M1"))
	e.deliver(chatID, msgID, text)
	e.settle(p)
	r := e.wantOneReply(chatID, msgID, "M1")
	if !contains(r.MentionedIDs, e.zhang.ID) {
		e.t.Errorf("the reply does not mention %s (%s) for real: mentions %v\n%s", e.zhang.Name, e.zhang.ID, r.MentionedIDs, r.Text)
	}
	for _, p := range e.f.Posts() {
		if p.MentionsAll {
			e.t.Errorf("a post mentions everyone: %+v", p)
		}
		for _, id := range p.MentionedIDs {
			switch strings.ToLower(strings.TrimSpace(id)) {
			case "all", "@all", "@_all", "所有人", "everyone":
				e.t.Errorf("a post mentions %q: %+v", id, p)
			}
		}
	}
}

// 7. A reply the platform throttles twice arrives, once.
func testThrottledSendArrivesOnce(e *env) {
	p, _ := e.start()
	const chatID, msgID = "grp-throttle", "msg-throttle-1"
	e.f.Throttle(2)
	e.deliver(chatID, msgID, e.taskText("T1"))
	e.settle(p)
	e.wantOneReply(chatID, msgID, "T1")
	var failed []string
	_ = p.DB.View(func(tx *store.Tx) error {
		return tx.OutboxEntries(func(o *store.OutboxEntry) error {
			if o.State == store.OutboxFailed {
				failed = append(failed, o.Key+": "+o.Reason+" "+o.Error)
			}
			return nil
		})
	})
	if len(failed) > 0 {
		e.t.Errorf("outbox entries given up: %v", failed)
	}
}

// 8. A scheduled (at-most-once) message whose send hangs when the bot
// stops: after the restart it is posted exactly once on an idempotent
// route, at most once otherwise, and then it is recorded as given up for
// an unknown outcome unless its send was confirmed.
func testScheduledCrashMidSend(e *env) {
	const chatID = "grp-crash"
	now := time.Now()
	r := chat.Reply{Platform: e.platform, ChatID: chatID, Key: "nudge:contract:1",
		Text:     fmt.Sprintf("⏰ 提醒 %s：任务 #1 明天到期（%s）", chat.MentionToken(e.zhang), marker("C1")),
		Mentions: []chat.User{e.zhang}}
	msg, err := json.Marshal(r)
	if err != nil {
		e.t.Fatal(err)
	}
	db, err := store.Open(e.path, &store.Options{Timeout: 5 * time.Second})
	if err != nil {
		e.t.Fatal(err)
	}
	err = db.Update(func(tx *store.Tx) error {
		_, err := tx.AddOutbox(&store.OutboxEntry{Key: r.Key, Group: store.GroupKey{Platform: e.platform, ChatID: chatID},
			Kind: "nudge", AtMostOnce: true, State: store.OutboxPending, Occasion: now, DecidedAt: now, Message: msg})
		return err
	})
	db.Close()
	if err != nil {
		e.t.Fatal(err)
	}

	reached, release := e.f.HangNextSend()
	defer release()
	p, ad := e.start()
	route := chat.Route{Name: "send"}
	if rt, ok := ad.(chat.Router); ok {
		route = rt.Route(r)
	}
	select {
	case <-reached:
	case <-time.After(10 * time.Second):
		e.t.Fatalf("the scheduled message's send never reached the platform\nlogs:\n%s", e.f.Logs())
	}
	p.Stop() // the send stage lets the call run DrainTimeout, then cancels it
	release()

	p, _ = e.start()
	e.settle(p)
	var entry *store.OutboxEntry
	err = p.DB.View(func(tx *store.Tx) error {
		var err error
		entry, err = tx.Outbox(r.Key)
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
	posts := 0
	for _, p := range e.f.Posts() {
		if strings.Contains(p.Text, marker("C1")) {
			posts++
		}
	}
	e.t.Logf("route %s (idempotent %v): %d posts, outbox entry %s %s %s", route.Name, route.Idempotent, posts, entry.State, entry.Reason, entry.Error)
	if route.Idempotent {
		if posts != 1 {
			e.t.Errorf("idempotent route %s: %d posts after the crash and the restart, want exactly 1", route.Name, posts)
		}
		if entry.State != store.OutboxSent {
			e.t.Errorf("idempotent route %s: outbox entry %s (%s %s), want sent", route.Name, entry.State, entry.Reason, entry.Error)
		}
		return
	}
	if posts > 1 {
		e.t.Errorf("route %s without an idempotency key: an at-most-once message was posted %d times", route.Name, posts)
	}
	switch {
	case entry.State == store.OutboxSent:
		if posts != 1 {
			e.t.Errorf("outbox entry marked sent but %d posts", posts)
		}
	case entry.State == store.OutboxFailed && entry.Reason == string(deliver.ReasonUnknown):
	default:
		e.t.Errorf("route %s without an idempotency key: outbox entry %s (reason %q, %s), want failed with reason %q (or sent)",
			route.Name, entry.State, entry.Reason, entry.Error, deliver.ReasonUnknown)
	}
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}
