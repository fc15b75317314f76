package inject

import (
	"reflect"
	"sync"
)

// typeInfos caches what the fast encoder and decoder know of each Go type,
// built once per type with the infos of the types it holds linked in
// (recursive types included).
type typeInfos[I any] struct {
	done sync.Map // reflect.Type -> *I, complete
	mu   sync.Mutex
}

// get returns t's info, building it (and its children's) with build, which
// records each info in building before filling it so that cycles close.
func (c *typeInfos[I]) get(t reflect.Type, build func(reflect.Type, map[reflect.Type]*I) *I) *I {
	if v, ok := c.done.Load(t); ok {
		return v.(*I)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	building := map[reflect.Type]*I{}
	info := build(t, building)
	for t, i := range building {
		c.done.LoadOrStore(t, i)
	}
	if v, ok := c.done.Load(t); ok {
		return v.(*I)
	}
	return info
}

// known returns t's info when it is complete.
func (c *typeInfos[I]) known(t reflect.Type) (*I, bool) {
	v, ok := c.done.Load(t)
	if !ok {
		return nil, false
	}
	return v.(*I), true
}
