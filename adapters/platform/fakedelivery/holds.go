package fakedelivery

import (
	"context"
	"sync"
)

// Holds keeps a fake's answers to the client's calls back until a test
// releases them: a send made to hang before it is processed (released
// while the client still waits, it goes through; a client that gives up or
// dies first leaves nothing sent) or after (the message went out, the
// client never learned it). T is what the fake's hang hook is told: the
// fault, the API. The zero value is ready to use.
type Holds[T any] struct {
	mu      sync.Mutex
	held    int
	total   int
	release chan struct{} // closed and replaced by Release
	closed  chan struct{} // closed by Close
	onHang  func(T)
}

func (h *Holds[T]) initLocked() {
	if h.release == nil {
		h.release = make(chan struct{})
		h.closed = make(chan struct{})
	}
}

// SetOnHang sets a function called (on the call's goroutine) each time a
// call starts to be held, with what Hold was given.
func (h *Holds[T]) SetOnHang(f func(T)) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.onHang = f
}

// Held counts the calls held right now.
func (h *Holds[T]) Held() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.held
}

// Total counts the calls that were ever held.
func (h *Holds[T]) Total() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.total
}

// Release lets every held call go on.
func (h *Holds[T]) Release() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.initLocked()
	close(h.release)
	h.release = make(chan struct{})
}

// Close gives up every held call and every later one: the fake is going
// away.
func (h *Holds[T]) Close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.initLocked()
	select {
	case <-h.closed:
	default:
		close(h.closed)
	}
}

// Hold holds a call until Release (true, if the client still waits: ctx,
// the request's context, has not ended) or until the client goes away or
// the fake closes (false). Call it without the fake's own lock held.
func (h *Holds[T]) Hold(ctx context.Context, what T) bool {
	h.mu.Lock()
	h.initLocked()
	h.held++
	h.total++
	rel, closed, hook := h.release, h.closed, h.onHang
	h.mu.Unlock()
	defer func() {
		h.mu.Lock()
		h.held--
		h.mu.Unlock()
	}()
	if hook != nil {
		hook(what)
	}
	select {
	case <-rel:
		return ctx.Err() == nil
	case <-ctx.Done():
		return false
	case <-closed:
		return false
	}
}
