package inject

import (
	"encoding"
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"

	yamlv3 "go.yaml.in/yaml/v3"
	corev1 "k8s.io/api/core/v1"
)

// podFromMap is json.Unmarshal(json.Marshal(m), pod) for the merged pod
// map, without the JSON text: it walks the map and the Pod's types
// together. ok is false wherever encoding/json's rules could give another
// result (keys that match a field only case-insensitively, numbers that
// are not integers, strings that are not valid UTF-8, types it has no case
// for); the caller then takes the JSON way. pod must be zero.
func podFromMap(m map[string]any, pod *corev1.Pod) bool {
	v := reflect.ValueOf(pod).Elem()
	return decodeMapValue(v, m, decodeInfoFor(v.Type()))
}

var (
	unmarshalerType     = reflect.TypeFor[json.Unmarshaler]()
	stringMapType       = reflect.TypeFor[map[string]string]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// decodeInfo is what decodeMapValue needs to know of a type.
type decodeInfo struct {
	unmarshaler bool // *T implements json.Unmarshaler
	unsupported bool
	fields      map[string]*decodeField // struct fields by JSON name
	names       []string
	elem        *decodeInfo // of pointers, slices and maps
}

type decodeField struct {
	index []int
	info  *decodeInfo
}

var decodeInfos typeInfos[decodeInfo]

// decodeInfoFor returns the info of t, with those of the types it holds
// linked in.
func decodeInfoFor(t reflect.Type) *decodeInfo { return decodeInfos.get(t, buildDecodeInfo) }

func buildDecodeInfo(t reflect.Type, building map[reflect.Type]*decodeInfo) *decodeInfo {
	if di, ok := decodeInfos.known(t); ok {
		return di
	}
	if di, ok := building[t]; ok {
		return di
	}
	di := &decodeInfo{unmarshaler: reflect.PointerTo(t).Implements(unmarshalerType)}
	building[t] = di
	defer func() {
		switch t.Kind() {
		case reflect.Pointer, reflect.Slice, reflect.Map:
			di.elem = buildDecodeInfo(t.Elem(), building)
		}
		for _, f := range di.fields {
			f.info = buildDecodeInfo(t.FieldByIndex(f.index).Type, building)
		}
	}()
	if !di.unmarshaler {
		switch t.Kind() {
		case reflect.Struct:
			di.fields = map[string]*decodeField{}
			if !collectFields(t, di) {
				di.unsupported = true
			}
		case reflect.Map:
			kt := t.Key()
			if kt.Kind() != reflect.String || reflect.PointerTo(kt).Implements(textUnmarshalerType) {
				di.unsupported = true
			}
		case reflect.Slice:
			if t.Elem().Kind() == reflect.Uint8 {
				di.unsupported = true // base64
			}
		case reflect.Bool, reflect.String, reflect.Pointer,
			reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
			reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
			reflect.Float64:
		default:
			di.unsupported = true
		}
		if t.Kind() != reflect.Pointer && reflect.PointerTo(t).Implements(textUnmarshalerType) {
			di.unsupported = true
		}
	}
	return di
}

// collectFields indexes a struct's JSON fields by name.
func collectFields(t reflect.Type, di *decodeInfo) bool {
	fields, ok := jsonFields(t)
	if !ok {
		return false
	}
	for _, f := range fields {
		di.fields[f.name] = &decodeField{index: f.index}
		di.names = append(di.names, f.name)
	}
	return true
}

// decodeMapValue stores x (a value of a decoded JSON map) in v, which is
// settable and zero.
func decodeMapValue(v reflect.Value, x any, di *decodeInfo) bool {
	t := v.Type()
	if x == nil {
		// null leaves pointers nil and other values as they are, but
		// reaches the Unmarshalers of values.
		if t.Kind() != reflect.Pointer && di.unmarshaler {
			return callUnmarshaler(v, x)
		}
		return true
	}
	if t.Kind() == reflect.Pointer {
		p := reflect.New(t.Elem())
		if !decodeMapValue(p.Elem(), x, di.elem) {
			return false
		}
		v.Set(p)
		return true
	}
	if di.unmarshaler {
		return callUnmarshaler(v, x)
	}
	if di.unsupported {
		return false
	}
	switch t.Kind() {
	case reflect.Struct:
		m, ok := x.(map[string]any)
		if !ok {
			return false
		}
		for k, val := range m {
			f, ok := di.fields[k]
			if !ok {
				for _, n := range di.names {
					if strings.EqualFold(n, k) {
						return false
					}
				}
				if !utf8.ValidString(k) {
					return false
				}
				continue
			}
			if !decodeMapValue(v.FieldByIndex(f.index), val, f.info) {
				return false
			}
		}
		return true
	case reflect.Map:
		m, ok := x.(map[string]any)
		if !ok {
			return false
		}
		if t == stringMapType {
			// Labels and annotations, without reflection.
			out := make(map[string]string, len(m))
			for k, val := range m {
				s, ok := val.(string)
				if !ok || !utf8.ValidString(k) || !utf8.ValidString(s) {
					return false
				}
				out[k] = s
			}
			v.Set(reflect.ValueOf(out))
			return true
		}
		out := reflect.MakeMapWithSize(t, len(m))
		et, kt := t.Elem(), t.Key()
		for k, val := range m {
			if !utf8.ValidString(k) {
				return false
			}
			e := reflect.New(et).Elem()
			if !decodeMapValue(e, val, di.elem) {
				return false
			}
			out.SetMapIndex(reflect.ValueOf(k).Convert(kt), e)
		}
		v.Set(out)
		return true
	case reflect.Slice:
		l, ok := x.([]any)
		if !ok {
			return false
		}
		out := reflect.MakeSlice(t, len(l), len(l))
		for i, it := range l {
			if !decodeMapValue(out.Index(i), it, di.elem) {
				return false
			}
		}
		v.Set(out)
		return true
	case reflect.String:
		s, ok := x.(string)
		if !ok || !utf8.ValidString(s) {
			return false
		}
		v.SetString(s)
		return true
	case reflect.Bool:
		b, ok := x.(bool)
		if !ok {
			return false
		}
		v.SetBool(b)
		return true
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, ok := x.(int64)
		if !ok || v.OverflowInt(n) {
			return false
		}
		v.SetInt(n)
		return true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n, ok := x.(int64)
		if !ok || n < 0 || v.OverflowUint(uint64(n)) {
			return false
		}
		v.SetUint(uint64(n))
		return true
	case reflect.Float64:
		switch n := x.(type) {
		case int64:
			if n > 1<<53 || n < -(1<<53) {
				return false
			}
			v.SetFloat(float64(n))
		case float64:
			v.SetFloat(n)
		default:
			return false
		}
		return true
	}
	return false
}

// callUnmarshaler hands an Unmarshaler the JSON of its value, as
// encoding/json does.
func callUnmarshaler(v reflect.Value, x any) bool {
	var b []byte
	switch x := x.(type) {
	case string:
		// What json.Marshal writes, quoted; appendJSONString takes the
		// library's way for anything to escape.
		b = appendJSONString(make([]byte, 0, len(x)+2), x)
	case int64:
		b = strconv.AppendInt(nil, x, 10)
	default:
		if !jsonPlain(x) {
			return false
		}
		var err error
		if b, err = json.Marshal(x); err != nil {
			return false
		}
	}
	return v.Addr().Interface().(json.Unmarshaler).UnmarshalJSON(b) == nil
}

// jsonPlain reports whether x holds only the types a decoded JSON map has.
func jsonPlain(x any) bool {
	switch x := x.(type) {
	case nil, string, bool, int64, float64:
		return true
	case map[string]any:
		for _, v := range x {
			if !jsonPlain(v) {
				return false
			}
		}
		return true
	case []any:
		for _, v := range x {
			if !jsonPlain(v) {
				return false
			}
		}
		return true
	}
	return false
}

// podFromNodes is decodePod's JSON way — podJSON, then
// sigsjson.UnmarshalCaseSensitivePreserveInts — without the JSON text, for
// a plain tree (see plainTree): the nodes are decoded straight into the
// Pod. ok is false for anything it has no case for (floats, numbers in
// other forms than decimal, type mismatches); the caller then takes the
// JSON way, which also words the errors. pod must be zero.
func podFromNodes(n *yamlv3.Node, pod *corev1.Pod) bool {
	v := reflect.ValueOf(pod).Elem()
	di := decodeInfoFor(v.Type())
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i].Value
		if k != "metadata" && k != "spec" {
			continue
		}
		f := di.fields[k]
		if !decodeNode(v.FieldByIndex(f.index), n.Content[i+1], f.info) {
			return false
		}
	}
	return true
}

// decodeNode stores the value of a plain node in v, which is settable and
// zero, as encoding/json (matching keys case-sensitively) would store its
// JSON.
func decodeNode(v reflect.Value, n *yamlv3.Node, di *decodeInfo) bool {
	t := v.Type()
	null := n.Kind == yamlv3.ScalarNode && n.ShortTag() == "!!null"
	if null {
		if t.Kind() != reflect.Pointer && di.unmarshaler {
			return v.Addr().Interface().(json.Unmarshaler).UnmarshalJSON([]byte("null")) == nil
		}
		return true
	}
	if t.Kind() == reflect.Pointer {
		p := reflect.New(t.Elem())
		if !decodeNode(p.Elem(), n, di.elem) {
			return false
		}
		v.Set(p)
		return true
	}
	if di.unmarshaler {
		b, ok := appendNodeJSON(nil, n)
		return ok && v.Addr().Interface().(json.Unmarshaler).UnmarshalJSON(b) == nil
	}
	if di.unsupported {
		return false
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yamlv3.MappingNode {
			return false
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i].Value
			f, ok := di.fields[k]
			if !ok {
				continue // case-sensitive: an unknown key
			}
			if !decodeNode(v.FieldByIndex(f.index), n.Content[i+1], f.info) {
				return false
			}
		}
		return true
	case reflect.Map:
		if n.Kind != yamlv3.MappingNode {
			return false
		}
		if t == stringMapType {
			out := make(map[string]string, len(n.Content)/2)
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, val := n.Content[i], n.Content[i+1]
				if val.Kind != yamlv3.ScalarNode || val.ShortTag() != "!!str" || !utf8.ValidString(k.Value) || !utf8.ValidString(val.Value) {
					return false
				}
				out[k.Value] = val.Value
			}
			v.Set(reflect.ValueOf(out))
			return true
		}
		out := reflect.MakeMapWithSize(t, len(n.Content)/2)
		et, kt := t.Elem(), t.Key()
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i].Value
			if !utf8.ValidString(k) {
				return false
			}
			e := reflect.New(et).Elem()
			if !decodeNode(e, n.Content[i+1], di.elem) {
				return false
			}
			out.SetMapIndex(reflect.ValueOf(k).Convert(kt), e)
		}
		v.Set(out)
		return true
	case reflect.Slice:
		if n.Kind != yamlv3.SequenceNode {
			return false
		}
		out := reflect.MakeSlice(t, len(n.Content), len(n.Content))
		for i, c := range n.Content {
			if !decodeNode(out.Index(i), c, di.elem) {
				return false
			}
		}
		v.Set(out)
		return true
	}
	if n.Kind != yamlv3.ScalarNode {
		return false
	}
	switch tag := n.ShortTag(); t.Kind() {
	case reflect.String:
		if tag != "!!str" || !utf8.ValidString(n.Value) {
			return false
		}
		v.SetString(n.Value)
		return true
	case reflect.Bool:
		if tag != "!!bool" || n.Value != "true" && n.Value != "false" {
			return false
		}
		v.SetBool(n.Value == "true")
		return true
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		i, ok := decimal(n, tag)
		if !ok || v.OverflowInt(i) {
			return false
		}
		v.SetInt(i)
		return true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		i, ok := decimal(n, tag)
		if !ok || i < 0 || v.OverflowUint(uint64(i)) {
			return false
		}
		v.SetUint(uint64(i))
		return true
	}
	return false
}

// decimal reads an integer scalar written in plain decimal digits (an
// optional minus, no leading zeros), as YAML and JSON both read it.
func decimal(n *yamlv3.Node, tag string) (int64, bool) {
	s := n.Value
	if tag != "!!int" || n.Style != 0 {
		return 0, false
	}
	d := strings.TrimPrefix(s, "-")
	if d == "" || len(d) > 18 || (d[0] == '0' && len(d) > 1) {
		return 0, false
	}
	for i := 0; i < len(d); i++ {
		if d[i] < '0' || d[i] > '9' {
			return 0, false
		}
	}
	i, err := strconv.ParseInt(s, 10, 64)
	return i, err == nil
}
