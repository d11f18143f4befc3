package deliver

import (
	"context"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"collabbot/bot/chat"
)

type platformSender struct {
	chat.Sender
	lim *limiter
}

// limiter keeps one platform's allowances: per app a sliding one-second
// window (a token bucket with a burst would let a burst plus a second's
// refill through in one second) and an optional sliding minute; per chat
// a token bucket.
type limiter struct {
	lim    chat.Limits
	second *window
	minute *window

	mu    sync.Mutex
	chats map[string]*rate.Limiter
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
	m := &limiter{lim: l, second: &window{n: max(1, int(l.PerSecond)), span: time.Second}, chats: map[string]*rate.Limiter{}}
	if l.PerMinute > 0 {
		m.minute = &window{n: l.PerMinute, span: time.Minute}
	}
	return m
}

// wait blocks until one send to chat is allowed, or ctx ends.
func (l *limiter) wait(ctx context.Context, chatID string) error {
	if err := l.chat(chatID).Wait(ctx); err != nil {
		return err
	}
	if l.minute != nil {
		if err := l.minute.wait(ctx); err != nil {
			return err
		}
	}
	return l.second.wait(ctx)
}

func (l *limiter) chat(id string) *rate.Limiter {
	l.mu.Lock()
	defer l.mu.Unlock()
	c := l.chats[id]
	if c == nil {
		if len(l.chats) >= 50000 {
			// Forget idle chats; a fresh bucket is full, which is what an
			// idle chat's bucket would be anyway.
			now := time.Now()
			for k, v := range l.chats {
				if v.TokensAt(now) >= float64(l.lim.ChatBurst) {
					delete(l.chats, k)
				}
			}
		}
		c = rate.NewLimiter(rate.Limit(l.lim.ChatPerSecond), l.lim.ChatBurst)
		l.chats[id] = c
	}
	return c
}

// window allows n events in any span-long interval (a sliding window, as
// Lark counts its per-minute cap), where a token bucket would let a burst
// plus a minute's refill through.
type window struct {
	n    int
	span time.Duration

	mu    sync.Mutex
	times []time.Time // the last n admissions, oldest first
}

func (w *window) wait(ctx context.Context) error {
	for {
		w.mu.Lock()
		now := time.Now()
		if len(w.times) < w.n {
			w.times = append(w.times, now)
			w.mu.Unlock()
			return nil
		}
		free := w.times[0].Add(w.span)
		if !now.Before(free) {
			w.times = append(w.times[1:], now)
			w.mu.Unlock()
			return nil
		}
		w.mu.Unlock()
		t := time.NewTimer(free.Sub(now))
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}
