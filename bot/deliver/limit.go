package deliver

import (
	"context"
	"errors"
	"math"
	"sync"
	"time"

	"collabbot/bot/chat"
)

type platformSender struct {
	chat.Sender
	lim *limiter
}

// transitMargin lengthens every window a little. The platform counts a
// call when it arrives, the stage when it lets it go; the time in between
// varies by some milliseconds from call to call, and a window exactly as
// long as the platform's would now and then let one call too many arrive
// inside the platform's window.
const transitMargin = 50 * time.Millisecond

// limiter is one platform's send budget, the only one there is: replies,
// card updates and scheduled messages all draw from it. Per app a sliding
// one-second window and an optional sliding minute (a token bucket would
// let a burst plus a period's refill through in one period); per chat (or
// per user, for direct messages) a sliding window of ChatBurst sends per
// ChatBurst/ChatPerSecond seconds, which never exceeds either.
type limiter struct {
	lim chat.Limits
	app *budget

	mu    sync.Mutex
	chats map[string]*window
}

func newLimiter(l chat.Limits) *limiter {
	if l.PerSecond <= 0 {
		l.PerSecond = 10
	}
	if l.ChatPerSecond <= 0 {
		l.ChatPerSecond = 1
	}
	if l.ChatBurst <= 0 {
		l.ChatBurst = 1
	}
	b := &budget{}
	b.windows = append(b.windows, rateWindow(l.PerSecond, 1))
	if l.PerMinute > 0 {
		b.windows = append(b.windows, &window{n: l.PerMinute, span: time.Minute + transitMargin})
	}
	return &limiter{lim: l, app: b, chats: map[string]*window{}}
}

// rateWindow allows rate per second as a window of n sends, n at least
// burst (and at least the whole part of rate), over n/rate seconds.
func rateWindow(rate float64, burst int) *window {
	n := max(burst, int(math.Floor(rate)), 1)
	span := time.Duration(float64(n) / rate * float64(time.Second))
	return &window{n: n, span: span + transitMargin}
}

// merge overrides l's non-zero fields with o's.
func merge(l, o chat.Limits) chat.Limits {
	if o.PerSecond > 0 {
		l.PerSecond = o.PerSecond
	}
	if o.PerMinute > 0 {
		l.PerMinute = o.PerMinute
	}
	if o.ChatPerSecond > 0 {
		l.ChatPerSecond = o.ChatPerSecond
	}
	if o.ChatBurst > 0 {
		l.ChatBurst = o.ChatBurst
	}
	return l
}

// chatKey is what the per-chat allowance counts: the chat, or the user
// of a direct message (Lark: 5/s per chat and per user).
func chatKey(r chat.Reply) string {
	if r.ToUser != "" {
		return "user\x00" + r.ToUser
	}
	return r.ChatID
}

// reserveChat takes one send from key's allowance and returns 0, or
// returns how long until there is one, taking nothing.
func (l *limiter) reserveChat(key string, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	w := l.chats[key]
	if w == nil {
		if len(l.chats) >= 50000 {
			// Forget idle chats: a fresh window is what an idle chat's
			// would be anyway.
			for k, v := range l.chats {
				if v.room(now) {
					delete(l.chats, k)
				}
			}
		}
		w = rateWindow(l.lim.ChatPerSecond, l.lim.ChatBurst)
		l.chats[key] = w
	}
	if w.room(now) {
		w.take(now)
		return 0
	}
	return w.free(now)
}

// waitChat is reserveChat that waits (Flush, which sends synchronously),
// until ctx ends or stop is closed.
func (l *limiter) waitChat(ctx context.Context, stop <-chan struct{}, key string) error {
	for {
		d := l.reserveChat(key, time.Now())
		if d <= 0 {
			return nil
		}
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-stop:
			t.Stop()
			return errStopped
		case <-t.C:
		}
	}
}

// window counts the sends of the last span; n fit in it.
type window struct {
	n     int
	span  time.Duration
	times []time.Time // admissions within the last span, oldest first
}

func (w *window) prune(now time.Time) {
	cut := now.Add(-w.span)
	i := 0
	for i < len(w.times) && !w.times[i].After(cut) {
		i++
	}
	w.times = w.times[i:]
}

func (w *window) room(now time.Time) bool {
	w.prune(now)
	return len(w.times) < w.n
}

func (w *window) take(now time.Time) { w.times = append(w.times, now) }

// free is how long until there is room; call after room said no.
func (w *window) free(now time.Time) time.Duration {
	return max(w.times[len(w.times)-w.n].Add(w.span).Sub(now)+time.Nanosecond, time.Nanosecond)
}

// budget is the app-wide allowance. When it is spent, waiting sends are
// let go as it frees up: every send that answers a person before any
// scheduled one, first come first served within each class.
type budget struct {
	mu      sync.Mutex
	windows []*window
	waiting [2][]*waiter // by class: interactive, then bulk
	timer   *time.Timer
}

type waiter struct {
	ready   chan struct{}
	granted bool
}

func (b *budget) room(now time.Time) bool {
	for _, w := range b.windows {
		if !w.room(now) {
			return false
		}
	}
	return true
}

func (b *budget) take(now time.Time) {
	for _, w := range b.windows {
		w.take(now)
	}
}

// errStopped: the stage closed while a send waited for its allowance.
var errStopped = errors.New("deliver: stage closed")

// wait blocks until one send is allowed, ctx ends or stop is closed.
func (b *budget) wait(ctx context.Context, stop <-chan struct{}, interactive bool) error {
	q := 1
	if interactive {
		q = 0
	}
	b.mu.Lock()
	now := time.Now()
	ahead := len(b.waiting[0]) > 0 || (q == 1 && len(b.waiting[1]) > 0)
	if !ahead && b.room(now) {
		b.take(now)
		b.mu.Unlock()
		return nil
	}
	w := &waiter{ready: make(chan struct{})}
	b.waiting[q] = append(b.waiting[q], w)
	b.arm(now)
	b.mu.Unlock()
	err := errStopped
	select {
	case <-w.ready:
		return nil
	case <-ctx.Done():
		err = ctx.Err()
	case <-stop:
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if w.granted {
		return nil // the slot is ours; the caller's send will see ctx
	}
	for i, x := range b.waiting[q] {
		if x == w {
			b.waiting[q] = append(b.waiting[q][:i:i], b.waiting[q][i+1:]...)
			break
		}
	}
	return err
}

// arm sets the timer for when the budget next has room. Call with b.mu.
func (b *budget) arm(now time.Time) {
	if b.timer != nil {
		return
	}
	var d time.Duration
	for _, w := range b.windows {
		if !w.room(now) {
			d = max(d, w.free(now))
		}
	}
	b.timer = time.AfterFunc(d, b.release)
}

// release lets waiting sends go while there is room.
func (b *budget) release() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.timer = nil
	now := time.Now()
	for {
		q := 0
		if len(b.waiting[0]) == 0 {
			q = 1
		}
		if len(b.waiting[q]) == 0 {
			return
		}
		if !b.room(now) {
			b.arm(now)
			return
		}
		b.take(now)
		w := b.waiting[q][0]
		b.waiting[q] = b.waiting[q][1:]
		w.granted = true
		close(w.ready)
	}
}
