package analyze

import (
	"encoding/base64"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/structpb"
)

// FieldError is one schema problem, with the path of the field.
type FieldError struct {
	Path    string
	Message string
}

func (e FieldError) Error() string { return e.Path + ": " + e.Message }

// fillMessage decodes a generic JSON value (as produced by encoding/json or
// sigs.k8s.io/yaml) into m, checking it against m's descriptor as it goes:
// unknown fields, wrong types, bad enum values, out-of-range numbers and
// several members of one oneof are reported with their field path. Fields
// in error are left unset; the rest is decoded, so analyzers still see the
// valid part of a resource.
func fillMessage(m protoreflect.Message, v any, path string, errs *[]FieldError) {
	obj, ok := v.(map[string]any)
	if !ok {
		if v == nil {
			return
		}
		*errs = append(*errs, FieldError{path, fmt.Sprintf("must be an object, not %s", typeName(v))})
		return
	}
	desc := m.Descriptor()
	fields := desc.Fields()
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	oneofSeen := map[protoreflect.FullName]string{}
	for _, k := range keys {
		val := obj[k]
		fp := path + "." + k
		fd := fields.ByJSONName(k)
		if fd == nil {
			fd = fields.ByName(protoreflect.Name(k))
		}
		if fd == nil {
			*errs = append(*errs, FieldError{fp, fmt.Sprintf("unknown field %q in %s", k, desc.Name())})
			continue
		}
		if val == nil {
			continue
		}
		if od := fd.ContainingOneof(); od != nil && !od.IsSynthetic() {
			if other, dup := oneofSeen[od.FullName()]; dup {
				*errs = append(*errs, FieldError{fp, fmt.Sprintf("only one of %q and %q may be set", other, k)})
				continue
			}
			oneofSeen[od.FullName()] = k
		}
		switch {
		case fd.IsMap():
			mv, ok := val.(map[string]any)
			if !ok {
				*errs = append(*errs, FieldError{fp, fmt.Sprintf("must be an object, not %s", typeName(val))})
				continue
			}
			mp := m.Mutable(fd).Map()
			mk := make([]string, 0, len(mv))
			for x := range mv {
				mk = append(mk, x)
			}
			sort.Strings(mk)
			for _, x := range mk {
				key, err := mapKey(fd.MapKey(), x)
				if err != nil {
					*errs = append(*errs, FieldError{fp + "." + x, err.Error()})
					continue
				}
				ep := fp + "." + x
				if fd.MapValue().Kind() == protoreflect.MessageKind {
					el := mp.NewValue()
					if fillValueMessage(el.Message(), mv[x], ep, errs) {
						mp.Set(key, el)
					}
					continue
				}
				if sv, ok := scalar(fd.MapValue(), mv[x], ep, errs); ok {
					mp.Set(key, sv)
				}
			}
		case fd.IsList():
			lv, ok := val.([]any)
			if !ok {
				*errs = append(*errs, FieldError{fp, fmt.Sprintf("must be a list, not %s", typeName(val))})
				continue
			}
			list := m.Mutable(fd).List()
			for i, e := range lv {
				ep := fmt.Sprintf("%s[%d]", fp, i)
				if fd.Kind() == protoreflect.MessageKind {
					el := list.NewElement()
					if fillValueMessage(el.Message(), e, ep, errs) {
						list.Append(el)
					}
					continue
				}
				if sv, ok := scalar(fd, e, ep, errs); ok {
					list.Append(sv)
				}
			}
		case fd.Kind() == protoreflect.MessageKind || fd.Kind() == protoreflect.GroupKind:
			el := m.NewField(fd)
			if fillValueMessage(el.Message(), val, fp, errs) {
				m.Set(fd, el)
			}
		default:
			if sv, ok := scalar(fd, val, fp, errs); ok {
				m.Set(fd, sv)
			}
		}
	}
}

// fillValueMessage fills a message field, handling the well-known types
// that have a special JSON form. It reports whether the value was usable.
func fillValueMessage(m protoreflect.Message, v any, path string, errs *[]FieldError) bool {
	switch m.Descriptor().FullName() {
	case "google.protobuf.Duration":
		s, ok := v.(string)
		if !ok {
			*errs = append(*errs, FieldError{path, fmt.Sprintf("must be a duration string such as \"5s\", not %s", typeName(v))})
			return false
		}
		d, err := time.ParseDuration(s)
		if err != nil {
			*errs = append(*errs, FieldError{path, fmt.Sprintf("invalid duration %q", s)})
			return false
		}
		fs := m.Descriptor().Fields()
		m.Set(fs.ByName("seconds"), protoreflect.ValueOfInt64(int64(d/time.Second)))
		m.Set(fs.ByName("nanos"), protoreflect.ValueOfInt32(int32(d%time.Second)))
		return true
	case "google.protobuf.BoolValue", "google.protobuf.StringValue", "google.protobuf.UInt32Value",
		"google.protobuf.Int32Value", "google.protobuf.UInt64Value", "google.protobuf.Int64Value",
		"google.protobuf.DoubleValue", "google.protobuf.FloatValue", "google.protobuf.BytesValue":
		fd := m.Descriptor().Fields().ByName("value")
		sv, ok := scalar(fd, v, path, errs)
		if ok {
			m.Set(fd, sv)
		}
		return ok
	case "google.protobuf.Struct", "google.protobuf.Value", "google.protobuf.ListValue":
		pv, err := structpb.NewValue(v)
		if err != nil {
			*errs = append(*errs, FieldError{path, err.Error()})
			return false
		}
		switch m.Descriptor().FullName() {
		case "google.protobuf.Struct":
			if pv.GetStructValue() == nil {
				*errs = append(*errs, FieldError{path, fmt.Sprintf("must be an object, not %s", typeName(v))})
				return false
			}
			copyMessage(m, pv.GetStructValue().ProtoReflect())
		case "google.protobuf.ListValue":
			if pv.GetListValue() == nil {
				*errs = append(*errs, FieldError{path, fmt.Sprintf("must be a list, not %s", typeName(v))})
				return false
			}
			copyMessage(m, pv.GetListValue().ProtoReflect())
		default:
			copyMessage(m, pv.ProtoReflect())
		}
		return true
	case "google.protobuf.Any", "google.protobuf.Timestamp", "google.protobuf.Empty":
		// Accepted as is; meshctl's analyzers do not read them.
		return true
	}
	_, isObject := v.(map[string]any)
	fillMessage(m, v, path, errs)
	return isObject
}

func copyMessage(dst, src protoreflect.Message) {
	src.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		dst.Set(fd, v)
		return true
	})
}

func mapKey(fd protoreflect.FieldDescriptor, s string) (protoreflect.MapKey, error) {
	switch fd.Kind() {
	case protoreflect.StringKind:
		return protoreflect.ValueOfString(s).MapKey(), nil
	case protoreflect.BoolKind:
		b, err := strconv.ParseBool(s)
		return protoreflect.ValueOfBool(b).MapKey(), err
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		n, err := strconv.ParseUint(s, 10, 32)
		if err != nil {
			return protoreflect.MapKey{}, fmt.Errorf("invalid key %q: want a number", s)
		}
		return protoreflect.ValueOfUint32(uint32(n)).MapKey(), nil
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		n, err := strconv.ParseInt(s, 10, 32)
		if err != nil {
			return protoreflect.MapKey{}, fmt.Errorf("invalid key %q: want a number", s)
		}
		return protoreflect.ValueOfInt32(int32(n)).MapKey(), nil
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return protoreflect.MapKey{}, fmt.Errorf("invalid key %q: want a number", s)
		}
		return protoreflect.ValueOfUint64(n).MapKey(), nil
	default:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return protoreflect.MapKey{}, fmt.Errorf("invalid key %q: want a number", s)
		}
		return protoreflect.ValueOfInt64(n).MapKey(), nil
	}
}

// scalar converts a JSON value to the field's scalar kind.
func scalar(fd protoreflect.FieldDescriptor, v any, path string, errs *[]FieldError) (protoreflect.Value, bool) {
	bad := func(want string) (protoreflect.Value, bool) {
		*errs = append(*errs, FieldError{path, fmt.Sprintf("must be %s, not %s", want, describe(v))})
		return protoreflect.Value{}, false
	}
	switch fd.Kind() {
	case protoreflect.StringKind:
		s, ok := v.(string)
		if !ok {
			return bad("a string")
		}
		return protoreflect.ValueOfString(s), true
	case protoreflect.BytesKind:
		s, ok := v.(string)
		if !ok {
			return bad("a base64 string")
		}
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return bad("a base64 string")
		}
		return protoreflect.ValueOfBytes(b), true
	case protoreflect.BoolKind:
		b, ok := v.(bool)
		if !ok {
			return bad("true or false")
		}
		return protoreflect.ValueOfBool(b), true
	case protoreflect.EnumKind:
		ed := fd.Enum()
		switch x := v.(type) {
		case string:
			if ev := ed.Values().ByName(protoreflect.Name(x)); ev != nil {
				return protoreflect.ValueOfEnum(ev.Number()), true
			}
		case float64:
			if ev := ed.Values().ByNumber(protoreflect.EnumNumber(x)); ev != nil && x == math.Trunc(x) {
				return protoreflect.ValueOfEnum(ev.Number()), true
			}
		case int64:
			if ev := ed.Values().ByNumber(protoreflect.EnumNumber(x)); ev != nil && x >= math.MinInt32 && x <= math.MaxInt32 {
				return protoreflect.ValueOfEnum(ev.Number()), true
			}
		}
		names := make([]string, 0, ed.Values().Len())
		for i := 0; i < ed.Values().Len(); i++ {
			names = append(names, string(ed.Values().Get(i).Name()))
		}
		*errs = append(*errs, FieldError{path, fmt.Sprintf("invalid value %s: want one of %s", describe(v), strings.Join(names, ", "))})
		return protoreflect.Value{}, false
	case protoreflect.FloatKind, protoreflect.DoubleKind:
		f, ok := number(v)
		if !ok {
			return bad("a number")
		}
		if fd.Kind() == protoreflect.FloatKind {
			return protoreflect.ValueOfFloat32(float32(f)), true
		}
		return protoreflect.ValueOfFloat64(f), true
	}
	f, ok := number(v)
	if !ok || f != math.Trunc(f) {
		return bad("an integer")
	}
	switch fd.Kind() {
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		if f < 0 || f > math.MaxUint32 {
			return bad("an integer between 0 and 4294967295")
		}
		return protoreflect.ValueOfUint32(uint32(f)), true
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		if f < 0 {
			return bad("a non-negative integer")
		}
		return protoreflect.ValueOfUint64(uint64(f)), true
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		if f < math.MinInt32 || f > math.MaxInt32 {
			return bad("a 32-bit integer")
		}
		return protoreflect.ValueOfInt32(int32(f)), true
	default:
		return protoreflect.ValueOfInt64(int64(f)), true
	}
}

// number accepts JSON numbers and, as protobuf's JSON mapping does, numbers
// written as strings.
func number(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case int64:
		return float64(x), true
	case int:
		return float64(x), true
	case string:
		f, err := strconv.ParseFloat(x, 64)
		return f, err == nil
	}
	return 0, false
}

func typeName(v any) string {
	switch v.(type) {
	case map[string]any:
		return "an object"
	case []any:
		return "a list"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case float64, int64, int:
		return "a number"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", v)
}

func describe(v any) string {
	switch x := v.(type) {
	case string:
		return strconv.Quote(x)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case int64:
		return strconv.FormatInt(x, 10)
	case bool:
		return strconv.FormatBool(x)
	}
	return typeName(v)
}
