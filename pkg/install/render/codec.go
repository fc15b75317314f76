package render

import (
	"bytes"
	"fmt"
	"sort"

	yaml2 "go.yaml.in/yaml/v2"
)

// The rendered charts are parsed with the YAML library directly (or with
// decodeJSON for JSON documents) and printed with yamlEmitter, which prints
// exactly what the YAML library's Marshal prints: sigs.k8s.io/yaml would
// convert every document to JSON and back on the way in and on the way out.
// The output is the same as sigs.k8s.io/yaml's: keys in byte order, numbers
// and strings styled by the same rules.

// decodeDocument decodes one rendered document. Documents written as JSON
// (the generated CRDs are) go through decodeJSON, many times faster than
// the YAML parser; anything else, or JSON that does not parse, is YAML.
func decodeDocument(b []byte) (map[string]any, error) {
	if t := bytes.TrimLeft(b, " \t\r\n"); len(t) > 0 && t[0] == '{' {
		if m, err := decodeJSON(t); err == nil {
			return m, nil
		}
	}
	return decodeYAML(b)
}

// decodeYAML parses one YAML document into JSON-compatible values: maps
// with string keys, int64, float64, bool, string and nil.
func decodeYAML(b []byte) (map[string]any, error) {
	var v any
	if err := yaml2.Unmarshal(b, &v); err != nil {
		return nil, err
	}
	if v == nil {
		return nil, nil
	}
	c, err := jsonCompatible(v)
	if err != nil {
		return nil, err
	}
	m, ok := c.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("document is a %T, not an object", v)
	}
	return m, nil
}

func jsonCompatible(v any) (any, error) {
	switch t := v.(type) {
	case map[any]any:
		m := make(map[string]any, len(t))
		for k, val := range t {
			var ks string
			switch kt := k.(type) {
			case string:
				ks = kt
			case int, int64, uint64, float64, bool:
				ks = fmt.Sprint(kt)
			case nil:
				ks = "null"
			default:
				return nil, fmt.Errorf("unsupported map key %v", k)
			}
			c, err := jsonCompatible(val)
			if err != nil {
				return nil, err
			}
			m[ks] = c
		}
		return m, nil
	case []any:
		l := make([]any, len(t))
		for i, val := range t {
			c, err := jsonCompatible(val)
			if err != nil {
				return nil, err
			}
			l[i] = c
		}
		return l, nil
	case int:
		return int64(t), nil
	case uint64:
		return float64(t), nil
	default:
		return v, nil
	}
}

// appendYAML appends a JSON-compatible value printed as YAML with keys
// sorted, as yaml.v2 prints it: with yamlEmitter, or, for the rare document
// that holds a value the emitter does not handle, with yaml.v2 itself.
func appendYAML(dst []byte, v map[string]any) ([]byte, error) {
	if b, ok := appendEmitYAML(dst, v); ok {
		return b, nil
	}
	b, err := encodeYAMLv2(v)
	if err != nil {
		return dst, err
	}
	return append(dst, b...), nil
}

// encodeYAML prints a JSON-compatible value as YAML (see appendYAML).
func encodeYAML(v map[string]any) ([]byte, error) {
	return appendYAML(nil, v)
}

// encodeYAMLv2 prints v with yaml.v2 (the reference the emitter matches).
func encodeYAMLv2(v map[string]any) ([]byte, error) {
	return yaml2.Marshal(sortedSlice(v))
}

func sortedSlice(v any) any {
	switch t := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		ms := make(yaml2.MapSlice, len(keys))
		for i, k := range keys {
			ms[i] = yaml2.MapItem{Key: k, Value: sortedSlice(t[k])}
		}
		return ms
	case []any:
		l := make([]any, len(t))
		for i, x := range t {
			l[i] = sortedSlice(x)
		}
		return l
	default:
		return v
	}
}
