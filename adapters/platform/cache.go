package platform

import (
	"sync"
	"time"
)

// TTLCache is a small bounded map whose entries expire; the oldest entries
// go first when it is full. Safe for concurrent use.
type TTLCache[V any] struct {
	mu    sync.Mutex
	ttl   time.Duration
	max   int
	seq   uint64
	items map[string]ttlItem[V]
	order []ttlKey
}

type ttlItem[V any] struct {
	v   V
	exp time.Time
	seq uint64
}

type ttlKey struct {
	k   string
	seq uint64
}

// NewTTLCache keeps at most max entries, each for ttl after its last Put.
func NewTTLCache[V any](ttl time.Duration, max int) *TTLCache[V] {
	return &TTLCache[V]{ttl: ttl, max: max, items: map[string]ttlItem[V]{}}
}

func (c *TTLCache[V]) Get(k string) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	it, ok := c.items[k]
	if !ok || time.Now().After(it.exp) {
		var zero V
		return zero, false
	}
	return it.v, true
}

func (c *TTLCache[V]) Put(k string, v V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.putLocked(k, v)
}

func (c *TTLCache[V]) putLocked(k string, v V) {
	c.seq++
	c.items[k] = ttlItem[V]{v: v, exp: time.Now().Add(c.ttl), seq: c.seq}
	c.order = append(c.order, ttlKey{k, c.seq})
	c.evictLocked()
}

// Add stores k unless it is already present; it reports whether it stored.
func (c *TTLCache[V]) Add(k string, v V) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if it, ok := c.items[k]; ok && time.Now().Before(it.exp) {
		return false
	}
	c.putLocked(k, v)
	return true
}

// Update stores f(old, found) under k.
func (c *TTLCache[V]) Update(k string, f func(old V, found bool) V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	it, ok := c.items[k]
	if ok && time.Now().After(it.exp) {
		ok = false
		var zero V
		it.v = zero
	}
	c.putLocked(k, f(it.v, ok))
}

func (c *TTLCache[V]) Remove(k string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.items, k)
}

func (c *TTLCache[V]) evictLocked() {
	now := time.Now()
	for len(c.order) > 0 {
		front := c.order[0]
		it, ok := c.items[front.k]
		stale := !ok || it.seq != front.seq
		if !stale && len(c.items) <= c.max && now.Before(it.exp) {
			break
		}
		if !stale {
			delete(c.items, front.k)
		}
		c.order = c.order[1:]
	}
	if len(c.order) > 2*c.max+16 {
		order := make([]ttlKey, 0, len(c.items))
		for _, k := range c.order {
			if it, ok := c.items[k.k]; ok && it.seq == k.seq {
				order = append(order, k)
			}
		}
		c.order = order
	}
}
