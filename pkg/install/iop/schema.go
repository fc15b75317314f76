package iop

import (
	"reflect"
	"sort"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// node is one place in a schema: what keys, indexes and values may follow.
type node interface {
	// field returns the schema of key under this node.
	field(key string) (node, bool)
	// elem returns the schema of a list item, when this node is a list.
	elem() (node, bool)
	// keys lists the known keys, for suggestions; nil when any key goes.
	keys() []string
}

// openNode accepts anything below it.
type openNode struct{}

func (openNode) field(string) (node, bool) { return openNode{}, true }
func (openNode) elem() (node, bool)        { return openNode{}, true }
func (openNode) keys() []string            { return nil }

// leafNode is a scalar: nothing below it.
type leafNode struct{}

func (leafNode) field(string) (node, bool) { return nil, false }
func (leafNode) elem() (node, bool)        { return nil, false }
func (leafNode) keys() []string            { return nil }

// mapNode is a map with free keys and values of one schema.
type mapNode struct{ val node }

func (m mapNode) field(string) (node, bool) { return m.val, true }
func (mapNode) elem() (node, bool)          { return nil, false }
func (mapNode) keys() []string              { return nil }

// listNode is a list of items of one schema.
type listNode struct{ item node }

func (listNode) field(string) (node, bool) { return nil, false }
func (l listNode) elem() (node, bool)      { return l.item, true }
func (listNode) keys() []string            { return nil }

// fixedNode is an object with a known set of keys.
type fixedNode struct{ fields map[string]func() node }

func (f fixedNode) field(key string) (node, bool) {
	if mk, ok := f.fields[key]; ok {
		return mk(), true
	}
	return nil, false
}
func (fixedNode) elem() (node, bool) { return nil, false }
func (f fixedNode) keys() []string {
	ks := make([]string, 0, len(f.fields))
	for k := range f.fields {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// structSchema derives a schema from a Go type's JSON tags; overrides give
// the schema of map[string]any fields by their JSON path.
func structSchema(t reflect.Type, path string, overrides map[string]node) node {
	if n, ok := overrides[path]; ok {
		return n
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		fields := map[string]func() node{}
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "" || name == "-" {
				continue
			}
			ft, p := f.Type, join(path, name)
			fields[name] = func() node { return structSchema(ft, p, overrides) }
		}
		return fixedNode{fields: fields}
	case reflect.Map:
		vt := t.Elem()
		if vt.Kind() == reflect.Interface {
			return openNode{}
		}
		return mapNode{val: structSchema(vt, path+".*", overrides)}
	case reflect.Slice:
		et := t.Elem()
		if et.Kind() == reflect.Interface {
			return listNode{item: openNode{}}
		}
		return listNode{item: structSchema(et, path+"[]", overrides)}
	case reflect.Interface:
		return openNode{}
	default:
		return leafNode{}
	}
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// protoSchema is a schema from a protobuf message descriptor, keyed by the
// fields' JSON names (and, as protojson accepts, their proto names).
type protoSchema struct {
	md protoreflect.MessageDescriptor
}

func protoNode(md protoreflect.MessageDescriptor) node {
	if w, ok := wrapperScalars[md.FullName()]; ok {
		return w
	}
	switch md.FullName() {
	case "google.protobuf.Struct", "google.protobuf.Value", "google.protobuf.Any", "google.protobuf.ListValue":
		return openNode{}
	case "google.protobuf.Duration", "google.protobuf.Timestamp",
		"google.protobuf.BoolValue", "google.protobuf.StringValue", "google.protobuf.Int32Value",
		"google.protobuf.Int64Value", "google.protobuf.UInt32Value", "google.protobuf.UInt64Value",
		"google.protobuf.DoubleValue", "google.protobuf.FloatValue":
		return leafNode{}
	}
	return protoSchema{md: md}
}

func (p protoSchema) field(key string) (node, bool) {
	fields := p.md.Fields()
	fd := fields.ByJSONName(key)
	if fd == nil {
		fd = fields.ByName(protoreflect.Name(key))
	}
	if fd == nil {
		return nil, false
	}
	return protoField(fd), true
}

func protoField(fd protoreflect.FieldDescriptor) node {
	value := func(fd protoreflect.FieldDescriptor) node {
		if fd.Kind() == protoreflect.MessageKind || fd.Kind() == protoreflect.GroupKind {
			return protoNode(fd.Message())
		}
		return protoScalar(fd)
	}
	switch {
	case fd.IsMap():
		return mapNode{val: value(fd.MapValue())}
	case fd.IsList():
		return listNode{item: value(fd)}
	default:
		return value(fd)
	}
}

func (protoSchema) elem() (node, bool) { return nil, false }
func (p protoSchema) keys() []string {
	fields := p.md.Fields()
	ks := make([]string, 0, fields.Len())
	for i := 0; i < fields.Len(); i++ {
		ks = append(ks, fields.Get(i).JSONName())
	}
	sort.Strings(ks)
	return ks
}

// valuesNode derives a schema from chart default values: a key known in
// the defaults has the schema of its default; an empty map or list takes
// anything.
func valuesNode(v any) node { return valuesNodeAt("", v) }

func valuesNodeAt(key string, v any) node {
	switch t := v.(type) {
	case map[string]any:
		if len(t) == 0 {
			return openNode{}
		}
		fields := make(map[string]func() node, len(t))
		for k, val := range t {
			fields[k] = func() node { return valuesNodeAt(k, val) }
		}
		return fixedNode{fields: fields}
	case []any:
		if len(t) == 0 {
			return listNode{item: openNode{}}
		}
		return listNode{item: valuesNodeAt("", t[0])}
	case nil:
		return openNode{}
	default:
		return valueScalar(key, v)
	}
}
