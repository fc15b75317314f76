package inject

import (
	"encoding"
	"encoding/json"
	"math"
	"reflect"
	"slices"
	"strconv"
	"unicode/utf8"

	yaml "go.yaml.in/yaml/v3"
	corev1 "k8s.io/api/core/v1"
	utiljson "k8s.io/apimachinery/pkg/util/json"
)

// podNode is jsonToNode(json.Marshal(p)) for an injected pod template,
// without the JSON text: it walks the values with their types as
// encoding/json does (field order, omitempty, the types' own MarshalJSON).
// ok is false for anything it has no case for (strings that are not valid
// UTF-8, floats, interfaces, other options); the caller then takes the
// JSON way.
func podNode(p *podTemplateJSON) (*yaml.Node, bool) {
	var e nodeEncoder
	v := reflect.ValueOf(p).Elem()
	return e.value(v, encodeInfoFor(v.Type()))
}

var (
	marshalerType     = reflect.TypeFor[json.Marshaler]()
	textMarshalerType = reflect.TypeFor[encoding.TextMarshaler]()
)

// encodeInfo is what nodeEncoder needs to know of a type.
type encodeInfo struct {
	marshaler   bool // T implements json.Marshaler
	unsupported bool
	fields      []encodeField
	elem        *encodeInfo // of pointers, slices and maps
}

type encodeField struct {
	name      string
	index     []int
	omitEmpty bool
	omitZero  bool
	isZero    func(reflect.Value) bool // the type's IsZero, for omitzero
	info      *encodeInfo
}

type isZeroer interface{ IsZero() bool }

var isZeroerType = reflect.TypeFor[isZeroer]()

// zero is encoding/json's omitzero test: the type's IsZero method,
// else the zero value.
func (f *encodeField) zero(v reflect.Value) bool {
	if f.isZero == nil {
		return v.IsZero()
	}
	return f.isZero(v)
}

func zeroFunc(t reflect.Type) (func(reflect.Value) bool, bool) {
	switch {
	case t.Kind() == reflect.Interface:
		return nil, false
	case t.Kind() == reflect.Pointer && t.Implements(isZeroerType):
		return func(v reflect.Value) bool { return v.IsNil() || v.Interface().(isZeroer).IsZero() }, true
	case t.Implements(isZeroerType):
		return func(v reflect.Value) bool { return v.Interface().(isZeroer).IsZero() }, true
	case reflect.PointerTo(t).Implements(isZeroerType):
		return func(v reflect.Value) bool {
			if !v.CanAddr() {
				v2 := reflect.New(v.Type()).Elem()
				v2.Set(v)
				v = v2
			}
			return v.Addr().Interface().(isZeroer).IsZero()
		}, true
	}
	return nil, true
}

var encodeInfos typeInfos[encodeInfo]

// encodeInfoFor returns the info of t, with those of the types it holds
// linked in.
func encodeInfoFor(t reflect.Type) *encodeInfo { return encodeInfos.get(t, buildEncodeInfo) }

func buildEncodeInfo(t reflect.Type, building map[reflect.Type]*encodeInfo) *encodeInfo {
	if ei, ok := encodeInfos.known(t); ok {
		return ei
	}
	if ei, ok := building[t]; ok {
		return ei
	}
	ei := &encodeInfo{marshaler: t.Implements(marshalerType)}
	building[t] = ei
	defer func() {
		switch t.Kind() {
		case reflect.Pointer, reflect.Slice, reflect.Map:
			ei.elem = buildEncodeInfo(t.Elem(), building)
		}
		for i := range ei.fields {
			f := &ei.fields[i]
			f.info = buildEncodeInfo(t.FieldByIndex(f.index).Type, building)
		}
	}()
	switch {
	case ei.marshaler:
	case t.Kind() != reflect.Pointer && reflect.PointerTo(t).Implements(marshalerType),
		t.Implements(textMarshalerType) || t.Kind() != reflect.Pointer && reflect.PointerTo(t).Implements(textMarshalerType):
		// Marshalers on pointers run only where the value is
		// addressable; text marshalers change keys and strings.
		ei.unsupported = true
	default:
		switch t.Kind() {
		case reflect.Struct:
			if !encodeFields(t, ei) {
				ei.unsupported = true
			}
		case reflect.Map:
			if kt := t.Key(); kt.Kind() != reflect.String || kt.Implements(textMarshalerType) || reflect.PointerTo(kt).Implements(textMarshalerType) {
				ei.unsupported = true
			}
		case reflect.Slice:
			if t.Elem().Kind() == reflect.Uint8 {
				ei.unsupported = true
			}
		case reflect.Bool, reflect.String, reflect.Pointer,
			reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
			reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		default:
			ei.unsupported = true
		}
	}
	return ei
}

// encodeFields lists a struct's JSON fields in encoding/json's order.
func encodeFields(t reflect.Type, ei *encodeInfo) bool {
	fields, ok := jsonFields(t)
	if !ok {
		return false
	}
	for _, f := range fields {
		ef := encodeField{name: f.name, index: f.index, omitEmpty: f.omitEmpty, omitZero: f.omitZero}
		if f.omitZero {
			if ef.isZero, ok = zeroFunc(f.typ); !ok {
				return false
			}
		}
		ei.fields = append(ei.fields, ef)
	}
	return true
}

// isEmptyJSON is encoding/json's omitempty test.
func isEmptyJSON(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool:
		return !v.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int() == 0
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return v.Uint() == 0
	case reflect.Float32, reflect.Float64:
		return v.Float() == 0
	case reflect.Interface, reflect.Pointer:
		return v.IsNil()
	}
	return false
}

// nodeEncoder builds nodes as jsonToNode's scanner does.
type nodeEncoder struct {
	jsonScanner
}

func (e *nodeEncoder) null() *yaml.Node { return e.node(yaml.ScalarNode, "!!null", "null") }

func (e *nodeEncoder) value(v reflect.Value, ei *encodeInfo) (*yaml.Node, bool) {
	t := v.Type()
	if ei.unsupported {
		return nil, false
	}
	if ei.marshaler {
		if t.Kind() == reflect.Pointer && v.IsNil() {
			return e.null(), true
		}
		b, err := v.Interface().(json.Marshaler).MarshalJSON()
		if err != nil || !json.Valid(b) {
			return nil, false
		}
		sub := jsonScanner{b: b, slab: e.slab}
		n, err := sub.value()
		if err != nil {
			return nil, false
		}
		if sub.space(); sub.i != len(b) {
			return nil, false
		}
		e.slab = sub.slab
		return n, true
	}
	switch t.Kind() {
	case reflect.Struct:
		n := e.node(yaml.MappingNode, "!!map", "")
		mark := len(e.stack)
		for i := range ei.fields {
			f := &ei.fields[i]
			fv := v.FieldByIndex(f.index)
			if f.omitEmpty && isEmptyJSON(fv) || f.omitZero && f.zero(fv) {
				continue
			}
			c, ok := e.value(fv, f.info)
			if !ok {
				return nil, false
			}
			e.stack = append(e.stack, e.node(yaml.ScalarNode, "!!str", f.name), c)
		}
		n.Content = e.content(mark)
		return n, true
	case reflect.Map:
		if v.IsNil() {
			return e.null(), true
		}
		keys := make([]string, 0, v.Len())
		it := v.MapRange()
		for it.Next() {
			k := it.Key().String()
			if !utf8.ValidString(k) {
				return nil, false
			}
			keys = append(keys, k)
		}
		slices.Sort(keys)
		n := e.node(yaml.MappingNode, "!!map", "")
		mark := len(e.stack)
		kt := t.Key()
		for _, k := range keys {
			c, ok := e.value(v.MapIndex(reflect.ValueOf(k).Convert(kt)), ei.elem)
			if !ok {
				return nil, false
			}
			e.stack = append(e.stack, e.node(yaml.ScalarNode, "!!str", k), c)
		}
		n.Content = e.content(mark)
		return n, true
	case reflect.Slice:
		if v.IsNil() {
			return e.null(), true
		}
		n := e.node(yaml.SequenceNode, "!!seq", "")
		mark := len(e.stack)
		for i := 0; i < v.Len(); i++ {
			c, ok := e.value(v.Index(i), ei.elem)
			if !ok {
				return nil, false
			}
			e.stack = append(e.stack, c)
		}
		n.Content = e.content(mark)
		return n, true
	case reflect.Pointer:
		if v.IsNil() {
			return e.null(), true
		}
		return e.value(v.Elem(), ei.elem)
	case reflect.String:
		s := v.String()
		if !utf8.ValidString(s) {
			return nil, false
		}
		return e.node(yaml.ScalarNode, "!!str", s), true
	case reflect.Bool:
		if v.Bool() {
			return e.node(yaml.ScalarNode, "!!bool", "true"), true
		}
		return e.node(yaml.ScalarNode, "!!bool", "false"), true
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return e.node(yaml.ScalarNode, "!!int", strconv.FormatInt(v.Int(), 10)), true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return e.node(yaml.ScalarNode, "!!int", strconv.FormatUint(v.Uint(), 10)), true
	}
	return nil, false
}

// podMap is decodeJSONMap(json.Marshal(pod)) without the JSON text: the
// map the strategic merge starts from, built from the typed pod with
// encoding/json's rules, and numbers as the decoding makes them (int64
// where integral, else float64). ok is false for what podNode refuses too.
func podMap(pod *corev1.Pod) (map[string]any, bool) {
	v := reflect.ValueOf(pod).Elem()
	m, ok := mapValue(v, encodeInfoFor(v.Type()))
	if !ok {
		return nil, false
	}
	out, isMap := m.(map[string]any)
	return out, isMap
}

func mapValue(v reflect.Value, ei *encodeInfo) (any, bool) {
	if ei.unsupported {
		return nil, false
	}
	t := v.Type()
	if ei.marshaler {
		if t.Kind() == reflect.Pointer && v.IsNil() {
			return nil, true
		}
		b, err := v.Interface().(json.Marshaler).MarshalJSON()
		if err != nil || !json.Valid(b) {
			return nil, false
		}
		return jsonLeaf(b)
	}
	switch t.Kind() {
	case reflect.Struct:
		// The entries first, for a map of their number.
		type entry struct {
			k string
			v any
		}
		var buf [32]entry
		entries := buf[:0]
		for i := range ei.fields {
			f := &ei.fields[i]
			fv := v.FieldByIndex(f.index)
			if f.omitEmpty && isEmptyJSON(fv) || f.omitZero && f.zero(fv) {
				continue
			}
			c, ok := mapValue(fv, f.info)
			if !ok {
				return nil, false
			}
			entries = append(entries, entry{f.name, c})
		}
		out := make(map[string]any, len(entries))
		for _, e := range entries {
			out[e.k] = e.v
		}
		return out, true
	case reflect.Map:
		if v.IsNil() {
			return nil, true
		}
		out := make(map[string]any, v.Len())
		it := v.MapRange()
		for it.Next() {
			k := it.Key().String()
			if !utf8.ValidString(k) {
				return nil, false
			}
			c, ok := mapValue(it.Value(), ei.elem)
			if !ok {
				return nil, false
			}
			out[k] = c
		}
		return out, true
	case reflect.Slice:
		if v.IsNil() {
			return nil, true
		}
		out := make([]any, v.Len())
		for i := range out {
			c, ok := mapValue(v.Index(i), ei.elem)
			if !ok {
				return nil, false
			}
			out[i] = c
		}
		return out, true
	case reflect.Pointer:
		if v.IsNil() {
			return nil, true
		}
		return mapValue(v.Elem(), ei.elem)
	case reflect.String:
		s := v.String()
		if !utf8.ValidString(s) {
			return nil, false
		}
		return s, true
	case reflect.Bool:
		return v.Bool(), true
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int(), true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if u := v.Uint(); u <= math.MaxInt64 {
			return int64(u), true
		}
	}
	return nil, false
}

// jsonLeaf decodes a MarshalJSON result as decodeJSONMap decodes values:
// plain strings, null and decimal integers here, the rest by the library.
func jsonLeaf(b []byte) (any, bool) {
	switch {
	case string(b) == "null":
		return nil, true
	case len(b) >= 2 && b[0] == '"' && b[len(b)-1] == '"':
		s := b[1 : len(b)-1]
		plain := true
		for _, c := range s {
			if c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
				plain = false
				break
			}
		}
		if plain {
			return string(s), true
		}
	}
	var x any
	if err := utiljson.Unmarshal(b, &x); err != nil {
		return nil, false
	}
	return x, true
}
