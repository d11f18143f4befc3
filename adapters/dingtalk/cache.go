package dingtalk

import (
	"sync"
	"time"
)

// ttlCache is a small bounded map whose entries expire; the oldest entries
// go first when it is full. Safe for concurrent use.
type ttlCache[V any] struct {
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

func newTTLCache[V any](ttl time.Duration, max int) *ttlCache[V] {
	return &ttlCache[V]{ttl: ttl, max: max, items: map[string]ttlItem[V]{}}
}

func (c *ttlCache[V]) get(k string) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	it, ok := c.items[k]
	if !ok || time.Now().After(it.exp) {
		var zero V
		return zero, false
	}
	return it.v, true
}

func (c *ttlCache[V]) put(k string, v V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.putLocked(k, v)
}

func (c *ttlCache[V]) putLocked(k string, v V) {
	c.seq++
	c.items[k] = ttlItem[V]{v: v, exp: time.Now().Add(c.ttl), seq: c.seq}
	c.order = append(c.order, ttlKey{k, c.seq})
	c.evictLocked()
}

// add stores k unless it is already present; it reports whether it stored.
func (c *ttlCache[V]) add(k string, v V) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if it, ok := c.items[k]; ok && time.Now().Before(it.exp) {
		return false
	}
	c.putLocked(k, v)
	return true
}

// update stores f(old, found) under k.
func (c *ttlCache[V]) update(k string, f func(old V, found bool) V) {
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

func (c *ttlCache[V]) remove(k string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.items, k)
}

func (c *ttlCache[V]) evictLocked() {
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
