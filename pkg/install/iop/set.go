package iop

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/meshctl/meshctl/pkg/suggest"
)

// stepKind is the kind of one step of a --set path.
type stepKind int

const (
	stepKey    stepKind = iota // .name
	stepIndex                  // [N]
	stepSelect                 // [key:value]
)

// step is one step of a --set path.
type step struct {
	kind  stepKind
	key   string // stepKey: the key; stepSelect: the item field
	value string // stepSelect: the value the item field must have
	index int    // stepIndex
}

// Set is one parsed --set flag: a path under the IstioOperator's spec and
// a value.
type Set struct {
	Raw   string // as typed
	Path  string // normalized, without "spec."
	steps []step
	Value any
}

// ParseSet parses "path=value" as istioctl users type it: segments split on
// ".", "\." escapes a dot, "[N]" indexes a list and "[key:value]" selects
// the list item whose key has that value. The value is an integer, a float,
// a boolean or else a string; hub, tag, revision, profile, namespace and
// proxy metadata stay strings.
func ParseSet(s string) (Set, error) {
	path, value, ok := cutOutsideBrackets(s, '=')
	if !ok {
		return Set{}, fmt.Errorf("--set %q: want path=value", s)
	}
	steps, err := parsePath(path)
	if err != nil {
		return Set{}, fmt.Errorf("--set %q: %w", s, err)
	}
	if steps[0].kind == stepKey && steps[0].key == "spec" {
		steps = steps[1:]
		if len(steps) == 0 {
			return Set{}, fmt.Errorf("--set %q: a path below spec is needed", s)
		}
	}
	if steps[0].kind != stepKey {
		return Set{}, fmt.Errorf("--set %q: path must start with a field name", s)
	}
	norm := formatPath(steps)
	return Set{Raw: s, Path: norm, steps: steps, Value: typedValue(steps, value)}, nil
}

// cutOutsideBrackets splits s at the first sep that is not inside [...]
// and not escaped.
func cutOutsideBrackets(s string, sep byte) (string, string, bool) {
	depth := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '[':
			depth++
		case ']':
			if depth > 0 {
				depth--
			}
		case sep:
			if depth == 0 {
				return s[:i], s[i+1:], true
			}
		}
	}
	return s, "", false
}

func parsePath(p string) ([]step, error) {
	if p == "" {
		return nil, fmt.Errorf("empty path")
	}
	var steps []step
	var cur strings.Builder
	haveKey := false // a segment's key has been started (possibly empty after ']')
	flush := func() error {
		if cur.Len() == 0 {
			if !haveKey {
				return fmt.Errorf("empty segment in path %q", p)
			}
			return nil
		}
		steps = append(steps, step{kind: stepKey, key: cur.String()})
		cur.Reset()
		return nil
	}
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch c {
		case '\\':
			if i+1 >= len(p) {
				return nil, fmt.Errorf("path %q ends with a backslash", p)
			}
			i++
			cur.WriteByte(p[i])
		case '.':
			if err := flush(); err != nil {
				return nil, err
			}
			haveKey = false
		case '[':
			if cur.Len() > 0 {
				if err := flush(); err != nil {
					return nil, err
				}
			} else if len(steps) == 0 {
				return nil, fmt.Errorf("path %q starts with a selector", p)
			} else if !haveKey {
				return nil, fmt.Errorf("selector without a field in path %q", p)
			}
			end := strings.IndexByte(p[i:], ']')
			if end < 0 {
				return nil, fmt.Errorf("unclosed [ in path %q", p)
			}
			sel := p[i+1 : i+end]
			i += end
			st, err := parseSelector(sel)
			if err != nil {
				return nil, fmt.Errorf("path %q: %w", p, err)
			}
			steps = append(steps, st)
			haveKey = true
			if i+1 < len(p) && p[i+1] != '.' && p[i+1] != '[' {
				return nil, fmt.Errorf("path %q: want . or [ after ]", p)
			}
		default:
			cur.WriteByte(c)
			haveKey = true
		}
	}
	if cur.Len() > 0 {
		steps = append(steps, step{kind: stepKey, key: cur.String()})
	} else if !haveKey {
		return nil, fmt.Errorf("empty segment in path %q", p)
	}
	return steps, nil
}

func parseSelector(sel string) (step, error) {
	if k, v, ok := strings.Cut(sel, ":"); ok {
		if k == "" {
			return step{}, fmt.Errorf("selector [%s] has no field name", sel)
		}
		return step{kind: stepSelect, key: k, value: v}, nil
	}
	n, err := strconv.Atoi(sel)
	if err != nil || n < 0 {
		return step{}, fmt.Errorf("selector [%s] is neither [N] nor [key:value]", sel)
	}
	return step{kind: stepIndex, index: n}, nil
}

// formatPath writes steps back in --set syntax.
func formatPath(steps []step) string {
	var b strings.Builder
	for i, s := range steps {
		switch s.kind {
		case stepKey:
			if i > 0 {
				b.WriteByte('.')
			}
			b.WriteString(escapeKey(s.key))
		case stepIndex:
			fmt.Fprintf(&b, "[%d]", s.index)
		case stepSelect:
			fmt.Fprintf(&b, "[%s:%s]", s.key, s.value)
		}
	}
	return b.String()
}

// escapeKey backslash-escapes the characters that parsePath and
// cutOutsideBrackets give a meaning, so a formatted path parses back to the
// same key.
func escapeKey(k string) string {
	if !strings.ContainsAny(k, `\.[]=`) {
		return k
	}
	var b strings.Builder
	for i := 0; i < len(k); i++ {
		if strings.IndexByte(`\.[]=`, k[i]) >= 0 {
			b.WriteByte('\\')
		}
		b.WriteByte(k[i])
	}
	return b.String()
}

// typedValue types a --set value.
func typedValue(steps []step, v string) any {
	if keepString(steps) {
		return v
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		return n
	}
	if f, err := strconv.ParseFloat(v, 64); err == nil && !strings.ContainsAny(v, "xXpP_") {
		return f
	}
	switch v {
	case "true":
		return true
	case "false":
		return false
	}
	return v
}

// keepString reports whether the value at this path is always a string.
func keepString(steps []step) bool {
	last := ""
	for _, s := range steps {
		if s.kind == stepKey {
			if s.key == "proxyMetadata" {
				return true
			}
			last = s.key
		}
	}
	switch last {
	case "hub", "tag", "revision", "profile", "namespace", "name", "variant", "image":
		return true
	}
	return false
}

// Apply sets the value in doc (an IstioOperator document), creating maps
// and list items on the way: [N] may address one past the end of a list
// to append, and [key:value] adds an item with that key when none matches.
func (s Set) Apply(doc map[string]any) error {
	spec, _ := doc["spec"].(map[string]any)
	if spec == nil {
		spec = map[string]any{}
		doc["spec"] = spec
	}
	var cur any = spec
	setIn := func(v any) {}
	for i, st := range s.steps {
		last := i == len(s.steps)-1
		next := func() any {
			if last {
				return s.Value
			}
			if s.steps[i+1].kind == stepKey {
				return map[string]any{}
			}
			return []any{}
		}
		switch st.kind {
		case stepKey:
			m, ok := cur.(map[string]any)
			if !ok {
				return fmt.Errorf("--set %s: %s is not an object", s.Raw, formatPath(s.steps[:i]))
			}
			child, exists := m[st.key]
			if !last && exists && !compatible(child, s.steps[i+1]) {
				if containerKind(child) != "" {
					return fmt.Errorf("--set %s: %s is %s", s.Raw, formatPath(s.steps[:i+1]), containerKind(child))
				}
				exists = false
			}
			if last || !exists {
				child = next()
				m[st.key] = child
			}
			key := st.key
			setIn = func(v any) { m[key] = v }
			cur = child
		case stepIndex:
			l, ok := cur.([]any)
			if !ok {
				return fmt.Errorf("--set %s: %s is not a list", s.Raw, formatPath(s.steps[:i]))
			}
			switch {
			case st.index < len(l):
				if !last && !compatible(l[st.index], s.steps[i+1]) && containerKind(l[st.index]) != "" {
					return fmt.Errorf("--set %s: %s is %s", s.Raw, formatPath(s.steps[:i+1]), containerKind(l[st.index]))
				}
				if last || !compatible(l[st.index], s.steps[i+1]) {
					l[st.index] = next()
				}
			case st.index == len(l):
				l = append(l, next())
				setIn(l)
			default:
				return fmt.Errorf("--set %s: index %d is beyond the end of %s (%d items)", s.Raw, st.index, formatPath(s.steps[:i]), len(l))
			}
			idx, list := st.index, l
			setIn = func(v any) { list[idx] = v }
			cur = l[st.index]
		case stepSelect:
			l, ok := cur.([]any)
			if !ok {
				return fmt.Errorf("--set %s: %s is not a list", s.Raw, formatPath(s.steps[:i]))
			}
			found := -1
			for j, it := range l {
				if m, ok := it.(map[string]any); ok && fmt.Sprint(m[st.key]) == st.value {
					found = j
					break
				}
			}
			if found < 0 {
				l = append(l, map[string]any{st.key: st.value})
				setIn(l)
				found = len(l) - 1
			}
			if last {
				l[found] = s.Value
			}
			idx, list := found, l
			setIn = func(v any) { list[idx] = v }
			cur = l[found]
		}
	}
	return nil
}

// containerKind describes a map or list for messages, "" for other values.
func containerKind(v any) string {
	switch v.(type) {
	case map[string]any:
		return "an object"
	case []any:
		return "a list"
	}
	return ""
}

// compatible reports whether an existing value can hold the next step.
func compatible(v any, next step) bool {
	switch v.(type) {
	case map[string]any:
		return next.kind == stepKey
	case []any:
		return next.kind != stepKey
	}
	return false
}

// Check verifies that the path exists in the schema, suggesting the
// nearest valid path when it does not.
func (sc *Schema) CheckSet(s Set) error {
	n, ok := sc.root.field("spec")
	if !ok {
		return fmt.Errorf("schema has no spec")
	}
	for i, st := range s.steps {
		var c node
		switch st.kind {
		case stepKey:
			c, ok = n.field(st.key)
		default:
			c, ok = n.elem()
		}
		if !ok {
			e := &FieldError{Path: formatPath(s.steps[:i+1]), Msg: "unknown field"}
			if st.kind != stepKey {
				e.Msg = "is not a list"
			} else if isLeaf(n) {
				e.Msg = "is a single value, not an object"
			} else if best := suggest.Nearest(st.key, n.keys()); best != "" {
				fixed := append(append([]step{}, s.steps[:i]...), step{kind: stepKey, key: best})
				fixed = append(fixed, s.steps[i+1:]...)
				e.Suggestion = formatPath(fixed)
			} else if i == 0 {
				for _, prefix := range []string{"values", "meshConfig"} {
					cand := Set{steps: append([]step{{kind: stepKey, key: prefix}}, s.steps...)}
					if sc.CheckSet(cand) == nil {
						e.Suggestion = formatPath(cand.steps)
						break
					}
				}
			}
			return fmt.Errorf("--set %s: %w", s.Raw, e)
		}
		n = c
	}
	if _, isMap := s.Value.(map[string]any); !isMap {
		if _, isList := s.Value.([]any); !isList {
			if msg, hint := checkValue(s.Value, n); msg != "" {
				return fmt.Errorf("--set %s: %w", s.Raw, &FieldError{Path: formatPath(s.steps), Msg: msg, Suggestion: hint})
			}
		}
	}
	return nil
}

// Get returns the value at path (--set syntax, relative to spec; a leading
// "spec." is accepted) in an IstioOperator document. An empty path is the
// whole spec.
func Get(doc map[string]any, path string) (any, error) {
	var cur any = doc["spec"]
	if path == "" || path == "spec" {
		return cur, nil
	}
	steps, err := parsePath(path)
	if err != nil {
		return nil, err
	}
	if steps[0].kind == stepKey && steps[0].key == "spec" {
		steps = steps[1:]
	}
	for i, st := range steps {
		switch st.kind {
		case stepKey:
			m, ok := cur.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("%s: not found", formatPath(steps[:i+1]))
			}
			if cur, ok = m[st.key]; !ok {
				return nil, fmt.Errorf("%s: not found", formatPath(steps[:i+1]))
			}
		case stepIndex:
			l, ok := cur.([]any)
			if !ok || st.index >= len(l) {
				return nil, fmt.Errorf("%s: not found", formatPath(steps[:i+1]))
			}
			cur = l[st.index]
		case stepSelect:
			l, _ := cur.([]any)
			found := false
			for _, it := range l {
				if m, ok := it.(map[string]any); ok && fmt.Sprint(m[st.key]) == st.value {
					cur, found = it, true
					break
				}
			}
			if !found {
				return nil, fmt.Errorf("%s: not found", formatPath(steps[:i+1]))
			}
		}
	}
	return cur, nil
}

// Flags flattens a value into --set flags ("path=value"), sorted. prefix is
// the path of v. Empty maps and lists, which --set cannot express, are
// left out.
func Flags(prefix string, v any) []string {
	var out []string
	var walk func(p string, v any)
	walk = func(p string, v any) {
		switch t := v.(type) {
		case map[string]any:
			keys := make([]string, 0, len(t))
			for k := range t {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				ek := strings.ReplaceAll(k, ".", `\.`)
				if p != "" {
					ek = p + "." + ek
				}
				walk(ek, t[k])
			}
		case []any:
			for i, it := range t {
				walk(fmt.Sprintf("%s[%d]", p, i), it)
			}
		case nil:
		default:
			out = append(out, fmt.Sprintf("%s=%v", p, formatScalar(t)))
		}
	}
	walk(prefix, v)
	return out
}

func formatScalar(v any) string {
	switch t := v.(type) {
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64)
	default:
		return fmt.Sprint(t)
	}
}
