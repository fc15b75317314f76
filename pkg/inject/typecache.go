package inject

import (
	"reflect"
	"strings"
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

// jsonField is a struct field as encoding/json sees it.
type jsonField struct {
	name                string
	index               []int
	typ                 reflect.Type
	omitEmpty, omitZero bool
}

// jsonFields lists a struct's JSON fields in encoding/json's order (by
// index sequence, embedded structs' fields in place); false for what the
// fast encoder and decoder do not handle: embedded pointers or non-structs,
// a name given twice, options other than omitempty, omitzero and inline.
func jsonFields(t reflect.Type) ([]jsonField, bool) {
	var out []jsonField
	ok := appendJSONFields(t, nil, &out)
	return out, ok
}

func appendJSONFields(t reflect.Type, index []int, out *[]jsonField) bool {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		jf := jsonField{typ: f.Type}
		for o := range strings.SplitSeq(opts, ",") {
			switch o {
			case "omitempty":
				jf.omitEmpty = true
			case "omitzero":
				jf.omitZero = true
			case "", "inline":
			default:
				return false // string
			}
		}
		jf.index = append(append([]int{}, index...), i)
		if f.Anonymous && name == "" {
			if f.Type.Kind() != reflect.Struct || !appendJSONFields(f.Type, jf.index, out) {
				return false
			}
			continue
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		for _, g := range *out {
			if g.name == name {
				return false
			}
		}
		jf.name = name
		*out = append(*out, jf)
	}
	return true
}
