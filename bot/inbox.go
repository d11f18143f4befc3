package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"collabbot/bot/chat"
	"collabbot/store"
)

// The path of a message: an adapter hands it to Accept, which commits it
// to the store's inbox (and its id to the processed-event log) and only
// then returns, so the adapter acknowledges only what is committed. A
// worker (one per chat, in order) then applies it: the changes, the
// replies recorded in the outbox and the inbox entry's removal commit in
// one transaction; the send stage, kicked afterwards, posts the replies.
// After a crash, Start processes whatever the inbox still holds.

// Outbox kinds recorded by the bot itself; reminders use rules.RemindKind.
const (
	kindReply = "reply" // an answer to a message or click
	kindPost  = "post"  // a message an adapter asked to have sent
)

// processor runs the inbox workers.
type processor struct {
	workers int
	// accepting counts Accept calls committing now; workers give way
	// to them (yieldToIntake).
	accepting atomic.Int64

	mu      sync.Mutex
	shards  []*shard
	queued  map[uint64]bool // in a shard or being applied, so Rescan skips it
	started bool
	closed  bool
	cancel  context.CancelFunc
	wg      sync.WaitGroup
}

// shard is one worker's queue of inbox sequence numbers.
type shard struct {
	mu   sync.Mutex
	cond *sync.Cond
	seqs []uint64
	done bool
}

func (s *shard) push(seq uint64) {
	s.mu.Lock()
	s.seqs = append(s.seqs, seq)
	s.mu.Unlock()
	s.cond.Signal()
}

// Accept implements chat.Intake: it returns once m is committed, or at once
// when m is plain chat (never stored) or a redelivery (already committed).
func (b *Bot) Accept(ctx context.Context, m chat.Message) error {
	e, err := b.accept(ctx, m)
	if err != nil || e == nil {
		return err
	}
	b.enqueue(e)
	return nil
}

// accept commits m to the inbox and returns its entry, or nil when there
// is nothing to process.
func (b *Bot) accept(ctx context.Context, m chat.Message) (*store.InboxEntry, error) {
	if !concernsBot(m) {
		b.met.received(m.Platform, msgKindDropped)
		return nil, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if m.Time.IsZero() {
		m.Time = b.now()
	}
	raw, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	var e *store.InboxEntry
	b.proc.accepting.Add(1)
	defer b.proc.accepting.Add(-1)
	err = b.db.Batch(func(tx *store.Tx) error {
		e = nil // Batch may run this function again
		if m.MessageID != "" {
			fresh, err := tx.MarkEvent(m.Platform, m.MessageID, b.now())
			if err != nil || !fresh {
				return err
			}
		}
		e = &store.InboxEntry{Platform: m.Platform, ChatID: m.ChatID, MessageID: m.MessageID, Received: b.now(), Message: raw}
		return tx.AddInbox(e)
	})
	if err != nil {
		b.log.Error("accept message", "platform", m.Platform, "chat", m.ChatID, "message", m.MessageID, "err", err)
		return nil, fmt.Errorf("bot: accept %s: %w", m.MessageID, err)
	}
	if e == nil {
		b.met.received(m.Platform, msgKindRedelivery)
	} else {
		b.met.received(m.Platform, messageKind(m))
	}
	return e, nil
}

// HandleMessage accepts m and processes it at once, returning the replies
// it recorded (they are sent by the send stage like any others). Tests and
// benchmarks use it; adapters call Accept.
func (b *Bot) HandleMessage(ctx context.Context, m chat.Message) []chat.Reply {
	e, err := b.accept(ctx, m)
	if err != nil {
		return []chat.Reply{b.internalError(m)}
	}
	if e == nil {
		return nil
	}
	out, _ := b.process(ctx, e.Seq)
	return out
}

// Post implements chat.Intake: r is recorded in the outbox and sent by the
// send stage.
func (b *Bot) Post(ctx context.Context, r chat.Reply) error {
	if r.Key == "" {
		return errors.New("bot: Post needs a Reply.Key")
	}
	g := store.GroupKey{Platform: r.Platform, ChatID: r.ChatID}
	now := b.now()
	err := b.db.Batch(func(tx *store.Tx) error {
		return b.record(tx, g, kindPost, []chat.Reply{r}, now)
	})
	if err != nil {
		return err
	}
	b.kick(g)
	return nil
}

// record puts replies into the outbox as pending messages.
func (b *Bot) record(tx *store.Tx, g store.GroupKey, kind string, replies []chat.Reply, now time.Time) error {
	for _, r := range replies {
		msg, err := json.Marshal(r)
		if err != nil {
			return err
		}
		_, err = tx.AddOutbox(&store.OutboxEntry{Key: r.Key, Group: g, Kind: kind, Urgent: true,
			State: store.OutboxPending, Occasion: now, DecidedAt: now, Message: msg})
		if err != nil {
			return err
		}
	}
	return nil
}

// keyReplies gives each of one message's replies its own idempotency key,
// or the platform would drop all but the first as a retry.
func keyReplies(out []chat.Reply) {
	for i := 1; i < len(out); i++ {
		out[i].Key = fmt.Sprintf("%s:%d", out[i].Key, i)
	}
}

func (b *Bot) internalError(m chat.Message) chat.Reply {
	return chat.Reply{Platform: m.Platform, ChatID: m.ChatID, ReplyTo: m.MessageID, ReplyHandle: m.ReplyHandle,
		Text: tr(b.def.Lang, msgInternalError), Key: "reply:" + m.Platform + ":" + m.MessageID}
}

// process applies the inbox entry seq, if it is still there, and returns
// the replies it recorded. A failure or panic in a command is answered
// with an apology and the entry removed, so one bad message never blocks
// its chat; ok is false only when even that could not be committed (the
// entry stays for a later try).
func (b *Bot) process(ctx context.Context, seq uint64) (out []chat.Reply, ok bool) {
	var e *store.InboxEntry
	err := b.db.View(func(tx *store.Tx) error {
		var err error
		e, err = tx.Inbox(seq)
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, true
	}
	if err != nil {
		b.log.Error("read inbox", "seq", seq, "err", err)
		return nil, false
	}
	var m chat.Message
	if err := json.Unmarshal(e.Message, &m); err != nil {
		b.log.Error("inbox entry does not decode; dropped", "seq", seq, "err", err)
		return nil, b.finishBroken(e, nil)
	}
	b.enrich(ctx, &m)
	now := m.Time
	if now.IsZero() {
		now = b.now()
	}
	err = b.applyRecovering(func() error {
		return b.db.Batch(func(tx *store.Tx) error {
			out = nil
			if _, err := tx.Inbox(seq); err != nil {
				return err // processed meanwhile, or unreadable
			}
			replies, err := b.handle(tx, m, now)
			if err != nil {
				return err
			}
			keyReplies(replies)
			if err := b.record(tx, e.Group(), kindReply, replies, b.now()); err != nil {
				return err
			}
			out = replies
			return tx.DeleteInbox(seq)
		})
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, true
	}
	if errors.Is(err, store.ErrUnavailable) || errors.Is(err, store.ErrFenced) {
		// Not the command's fault: nothing was committed, and the entry
		// stays for a later try (or for the replica that leads now).
		b.log.Warn("store unavailable; the message stays in the inbox", "platform", m.Platform, "chat", m.ChatID, "message", m.MessageID, "err", err)
		return nil, false
	}
	if err != nil {
		b.log.Error("handle message", "platform", m.Platform, "chat", m.ChatID, "message", m.MessageID, "err", err)
		rep := b.internalError(m)
		if !b.finishBroken(e, &rep) {
			return nil, false
		}
		b.met.commandDone(m, false)
		return []chat.Reply{rep}, true
	}
	b.met.commandDone(m, true)
	b.kick(e.Group())
	return out, true
}

// applyRecovering runs fn, turning a panic into an error so that one
// message cannot take the process down.
func (b *Bot) applyRecovering(fn func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			b.log.Error("panic while handling a message", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	return fn()
}

// finishBroken removes an entry that cannot be processed, recording rep
// (an apology) in the same transaction.
func (b *Bot) finishBroken(e *store.InboxEntry, rep *chat.Reply) bool {
	err := b.db.Update(func(tx *store.Tx) error {
		if rep != nil {
			if err := b.record(tx, e.Group(), kindReply, []chat.Reply{*rep}, b.now()); err != nil {
				return err
			}
		}
		return tx.DeleteInbox(e.Seq)
	})
	if err != nil {
		b.log.Error("remove failed inbox entry; it stays for a later try", "seq", e.Seq, "err", err)
		return false
	}
	b.kick(e.Group())
	return true
}

// enrich asks the platform, when its adapter can, whether the sender
// administers the group and what their name is. This happens after the
// ack, so a slow lookup never makes the platform redeliver.
func (b *Bot) enrich(ctx context.Context, m *chat.Message) {
	p := b.platform(m.Platform)
	if p == nil {
		return
	}
	defer func() {
		// An adapter's look-up must not take the worker down; the message
		// goes on with what the event said.
		if r := recover(); r != nil {
			b.log.Error("platform look-up panicked", "platform", m.Platform, "panic", fmt.Sprint(r))
		}
	}()
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if ac, ok := p.(chat.AdminChecker); ok && !m.Direct && !m.SenderIsAdmin {
		admin, err := ac.IsGroupAdmin(ctx, m.ChatID, m.Sender.ID)
		if err != nil {
			b.log.Warn("admin lookup failed", "platform", m.Platform, "chat", m.ChatID, "err", err)
		}
		m.SenderIsAdmin = admin
	}
	if nr, ok := p.(chat.NameResolver); ok && (m.Sender.Name == "" || m.Sender.Name == m.Sender.ID) {
		if n := nr.UserName(ctx, m.Sender.ID); n != "" {
			m.Sender.Name = n
		}
	}
}

// Start runs the inbox workers, first queueing whatever a crash left in
// the inbox. It returns at once; Close stops the workers.
func (b *Bot) Start(ctx context.Context) error {
	p := &b.proc
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return errors.New("bot: closed")
	}
	if p.started {
		p.mu.Unlock()
		return errors.New("bot: already started")
	}
	p.started = true
	ctx, p.cancel = context.WithCancel(ctx)
	p.queued = map[uint64]bool{}
	p.shards = make([]*shard, p.workers)
	for i := range p.shards {
		s := &shard{}
		s.cond = sync.NewCond(&s.mu)
		p.shards[i] = s
		p.wg.Go(func() { b.work(ctx, s) })
	}
	if b.anyMirror() {
		p.wg.Go(func() { b.mirrorLoop(ctx) })
	}
	p.mu.Unlock()
	left, err := b.inboxEntries()
	if err != nil {
		return fmt.Errorf("bot: read inbox: %w", err)
	}
	if len(left) > 0 {
		b.log.Info("processing messages accepted before the last stop", "count", len(left))
	}
	for _, e := range left {
		b.enqueue(e)
	}
	return nil
}

func (b *Bot) enqueue(e *store.InboxEntry) {
	p := &b.proc
	p.mu.Lock()
	shards := p.shards
	if len(shards) == 0 || p.queued[e.Seq] {
		// Not started: Start will find it in the inbox. Or queued already.
		p.mu.Unlock()
		return
	}
	p.queued[e.Seq] = true
	p.mu.Unlock()
	h := fnv.New32a()
	h.Write([]byte(e.Platform + "\x00" + e.ChatID))
	shards[h.Sum32()%uint32(len(shards))].push(e.Seq)
}

// maxBatch bounds how many inbox entries one worker applies in one
// transaction: under load a commit (an fsync) is shared by many messages,
// so processing keeps pace with intake.
const maxBatch = 128

func (b *Bot) work(ctx context.Context, s *shard) {
	for {
		s.mu.Lock()
		for len(s.seqs) == 0 && !s.done {
			s.cond.Wait()
		}
		if s.done {
			s.mu.Unlock()
			return
		}
		s.mu.Unlock()
		b.yieldToIntake(ctx)
		s.mu.Lock()
		if s.done {
			s.mu.Unlock()
			return
		}
		n := min(len(s.seqs), maxBatch)
		seqs := append([]uint64(nil), s.seqs[:n]...)
		s.seqs = s.seqs[n:]
		s.mu.Unlock()
		if len(seqs) > 1 && b.processBatch(ctx, seqs) {
			b.dequeued(seqs...)
			continue
		}
		for i, seq := range seqs {
			if ctx.Err() != nil {
				b.dequeued(seqs[i:]...) // stopped: the next Start finds them
				break
			}
			if _, ok := b.process(ctx, seq); !ok {
				if ctx.Err() != nil {
					b.dequeued(seq) // stopped: the next Start finds it
					continue
				}
				// The store refused even the apology: try again later
				// rather than lose the message.
				time.AfterFunc(5*time.Second, func() { s.push(seq) })
				continue
			}
			b.dequeued(seq)
		}
	}
}

// maxYield bounds how long a worker gives way to intake, so that a
// sustained flood of messages still gets answered.
const maxYield = 100 * time.Millisecond

// yieldToIntake waits while messages are being accepted, up to maxYield.
// The store has one writer: a worker's transaction, applying up to
// maxBatch messages, would hold back the commits that the platforms'
// acks wait for. Accepting first keeps the acks fast in a burst; the
// messages are committed, and are applied a moment later.
func (b *Bot) yieldToIntake(ctx context.Context) {
	if b.proc.accepting.Load() == 0 {
		return
	}
	deadline := time.Now().Add(maxYield)
	for b.proc.accepting.Load() > 0 && ctx.Err() == nil && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
}

// dequeued forgets that seqs were queued: they are applied (or left for
// the next Start).
func (b *Bot) dequeued(seqs ...uint64) {
	p := &b.proc
	p.mu.Lock()
	for _, seq := range seqs {
		delete(p.queued, seq)
	}
	p.mu.Unlock()
}

// inboxEntries reads the whole inbox in arrival order.
func (b *Bot) inboxEntries() ([]*store.InboxEntry, error) {
	var left []*store.InboxEntry
	err := b.db.View(func(tx *store.Tx) error {
		return tx.InboxEntries(func(e *store.InboxEntry) error {
			left = append(left, e)
			return nil
		})
	})
	return left, err
}

// Rescan queues the inbox entries that are not queued yet: those that
// other processes sharing the store accepted (replicas that do not lead
// accept into the same inbox), in arrival order. It needs Start.
func (b *Bot) Rescan() (int, error) {
	left, err := b.inboxEntries()
	if err != nil {
		return 0, err
	}
	p := &b.proc
	n := 0
	for _, e := range left {
		p.mu.Lock()
		fresh := len(p.shards) > 0 && !p.queued[e.Seq]
		p.mu.Unlock()
		if fresh {
			b.enqueue(e)
			n++
		}
	}
	return n, nil
}

// processBatch applies several inbox entries of one shard in one
// transaction, in order. It reports false, having changed nothing, when
// any of them fails; the caller then applies them one by one, so that one
// bad message is answered with an apology without undoing the others.
func (b *Bot) processBatch(ctx context.Context, seqs []uint64) bool {
	type item struct {
		e *store.InboxEntry
		m chat.Message
	}
	var items []item
	err := b.db.View(func(tx *store.Tx) error {
		for _, seq := range seqs {
			e, err := tx.Inbox(seq)
			if errors.Is(err, store.ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			var m chat.Message
			if err := json.Unmarshal(e.Message, &m); err != nil {
				return err
			}
			items = append(items, item{e, m})
		}
		return nil
	})
	if err != nil {
		return false
	}
	for i := range items {
		b.enrich(ctx, &items[i].m)
	}
	groups := map[store.GroupKey]bool{}
	var applied []chat.Message // committed, for the metrics
	err = b.applyRecovering(func() error {
		return b.db.Batch(func(tx *store.Tx) error {
			clear(groups)
			applied = applied[:0]
			for _, it := range items {
				if _, err := tx.Inbox(it.e.Seq); errors.Is(err, store.ErrNotFound) {
					continue
				}
				now := it.m.Time
				if now.IsZero() {
					now = b.now()
				}
				replies, err := b.handle(tx, it.m, now)
				if err != nil {
					return err
				}
				keyReplies(replies)
				if err := b.record(tx, it.e.Group(), kindReply, replies, b.now()); err != nil {
					return err
				}
				if err := tx.DeleteInbox(it.e.Seq); err != nil {
					return err
				}
				groups[it.e.Group()] = true
				applied = append(applied, it.m)
			}
			return nil
		})
	})
	if err != nil {
		return false
	}
	for _, m := range applied {
		b.met.commandDone(m, true)
	}
	for g := range groups {
		b.kick(g)
	}
	return true
}

// Drain processes every inbox entry now, in order, in the caller's
// goroutine (the console and tests, which want the answers before going
// on). Workers may process some of them first; each is applied once.
func (b *Bot) Drain(ctx context.Context) error {
	var seqs []uint64
	err := b.db.View(func(tx *store.Tx) error {
		return tx.InboxEntries(func(e *store.InboxEntry) error {
			seqs = append(seqs, e.Seq)
			return nil
		})
	})
	if err != nil {
		return err
	}
	for _, seq := range seqs {
		if err := ctx.Err(); err != nil {
			return err
		}
		b.process(ctx, seq)
	}
	return nil
}

// Close stops the inbox workers after the message each is applying; what
// is still queued stays in the inbox for the next Start. Safe without Start
// and more than once.
func (b *Bot) Close() error {
	b.halt(true)
	return nil
}

// Stop is Close for a replica that stops leading: the workers stop, and a
// later Start runs them again (Accept keeps working meanwhile; what it
// accepts waits in the inbox).
func (b *Bot) Stop() { b.halt(false) }

func (b *Bot) halt(final bool) {
	p := &b.proc
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = final
	if p.cancel != nil {
		p.cancel()
	}
	for _, s := range p.shards {
		s.mu.Lock()
		s.done = true
		s.mu.Unlock()
		s.cond.Broadcast()
	}
	p.shards, p.queued, p.started, p.cancel = nil, nil, false, nil
	p.mu.Unlock()
	p.wg.Wait()
}
