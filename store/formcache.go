package store

import (
	"sync"
	"time"
)

// formCacheTTL is how long a form read by its public key is reused. The public endpoints
// read the form on every submission; an admin's change reaches this process at once (the
// writes clear the cache) and other replicas within the TTL.
const formCacheTTL = 5 * time.Second

// formCacheMax bounds the cache; past it the cache starts over.
const formCacheMax = 1024

// formCache keeps recently read public forms by key. Unknown keys are not kept, so a
// caller probing keys costs a query each, as before.
type formCache struct {
	mu sync.Mutex
	m  map[string]cachedForm
}

type cachedForm struct {
	f  PublicForm
	at time.Time
}

func (c *formCache) get(key string) (PublicForm, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[key]
	if !ok || time.Since(e.at) > formCacheTTL {
		return PublicForm{}, false
	}
	return e.f, true
}

func (c *formCache) put(key string, f PublicForm) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= formCacheMax {
		c.m = map[string]cachedForm{}
	}
	c.m[key] = cachedForm{f: f, at: time.Now()}
}

// clear forgets every form; the writes of forms and purposes call it.
func (c *formCache) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m = nil
}
