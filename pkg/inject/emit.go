package inject

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"strings"
	"sync"

	yaml "go.yaml.in/yaml/v3"
)

// jsonToNode decodes JSON into a YAML node tree that keeps the JSON's key
// order (encoding/json's struct field order for Kubernetes types). The input
// is encoding/json output, so a small scanner does; strings go through
// encoding/json for their escapes.
func jsonToNode(b []byte) (*yaml.Node, error) {
	s := &jsonScanner{b: b}
	n, err := s.value()
	if err != nil {
		return nil, err
	}
	s.space()
	if s.i != len(s.b) {
		return nil, fmt.Errorf("unexpected data after JSON value at offset %d", s.i)
	}
	return n, nil
}

type jsonScanner struct {
	b []byte
	i int
	// slab hands out nodes a chunk at a time; stack collects the children
	// of the open collections, so that each Content is allocated once, at
	// its size.
	slab  []yaml.Node
	stack []*yaml.Node
}

func (s *jsonScanner) node(kind yaml.Kind, tag, value string) *yaml.Node {
	if len(s.slab) == 0 {
		s.slab = make([]yaml.Node, 64)
	}
	n := &s.slab[0]
	s.slab = s.slab[1:]
	n.Kind, n.Tag, n.Value = kind, tag, value
	return n
}

// content returns the children pushed since mark (nil for none) and pops
// them.
func (s *jsonScanner) content(mark int) []*yaml.Node {
	if len(s.stack) == mark {
		return nil
	}
	c := make([]*yaml.Node, len(s.stack)-mark)
	copy(c, s.stack[mark:])
	clear(s.stack[mark:])
	s.stack = s.stack[:mark]
	return c
}

func (s *jsonScanner) space() {
	for s.i < len(s.b) && (s.b[s.i] == ' ' || s.b[s.i] == '\n' || s.b[s.i] == '\t' || s.b[s.i] == '\r') {
		s.i++
	}
}

func (s *jsonScanner) errf(what string) error {
	return fmt.Errorf("invalid JSON at offset %d: %s", s.i, what)
}

func (s *jsonScanner) value() (*yaml.Node, error) {
	s.space()
	if s.i >= len(s.b) {
		return nil, s.errf("unexpected end")
	}
	switch c := s.b[s.i]; {
	case c == '{':
		s.i++
		n := s.node(yaml.MappingNode, "!!map", "")
		s.space()
		if s.i < len(s.b) && s.b[s.i] == '}' {
			s.i++
			return n, nil
		}
		mark := len(s.stack)
		for {
			s.space()
			k, err := s.key()
			if err != nil {
				return nil, err
			}
			s.space()
			if s.i >= len(s.b) || s.b[s.i] != ':' {
				return nil, s.errf("want ':'")
			}
			s.i++
			v, err := s.value()
			if err != nil {
				return nil, err
			}
			s.stack = append(s.stack, s.node(yaml.ScalarNode, "!!str", k), v)
			s.space()
			if s.i < len(s.b) && s.b[s.i] == ',' {
				s.i++
				continue
			}
			if s.i < len(s.b) && s.b[s.i] == '}' {
				s.i++
				n.Content = s.content(mark)
				return n, nil
			}
			return nil, s.errf("want ',' or '}'")
		}
	case c == '[':
		s.i++
		n := s.node(yaml.SequenceNode, "!!seq", "")
		s.space()
		if s.i < len(s.b) && s.b[s.i] == ']' {
			s.i++
			return n, nil
		}
		mark := len(s.stack)
		for {
			v, err := s.value()
			if err != nil {
				return nil, err
			}
			s.stack = append(s.stack, v)
			s.space()
			if s.i < len(s.b) && s.b[s.i] == ',' {
				s.i++
				continue
			}
			if s.i < len(s.b) && s.b[s.i] == ']' {
				s.i++
				n.Content = s.content(mark)
				return n, nil
			}
			return nil, s.errf("want ',' or ']'")
		}
	case c == '"':
		v, err := s.str()
		if err != nil {
			return nil, err
		}
		return s.node(yaml.ScalarNode, "!!str", v), nil
	case bytes.HasPrefix(s.b[s.i:], []byte("true")):
		s.i += 4
		return s.node(yaml.ScalarNode, "!!bool", "true"), nil
	case bytes.HasPrefix(s.b[s.i:], []byte("false")):
		s.i += 5
		return s.node(yaml.ScalarNode, "!!bool", "false"), nil
	case bytes.HasPrefix(s.b[s.i:], []byte("null")):
		s.i += 4
		return s.node(yaml.ScalarNode, "!!null", "null"), nil
	default:
		start := s.i
		for s.i < len(s.b) && strings.IndexByte("+-0123456789.eE", s.b[s.i]) >= 0 {
			s.i++
		}
		num := string(s.b[start:s.i])
		if num == "" {
			return nil, s.errf("unexpected character")
		}
		tag := "!!int"
		if strings.ContainsAny(num, ".eE") {
			tag = "!!float"
		}
		return s.node(yaml.ScalarNode, tag, num), nil
	}
}

// key reads an object key; the field names of the Pod's types come
// without an allocation.
func (s *jsonScanner) key() (string, error) {
	if s.i < len(s.b) && s.b[s.i] == '"' {
		if end := bytes.IndexByte(s.b[s.i+1:], '"'); end >= 0 {
			raw := s.b[s.i+1 : s.i+1+end]
			if bytes.IndexByte(raw, '\\') < 0 {
				if k, ok := podFieldNames()[string(raw)]; ok {
					s.i += end + 2
					return k, nil
				}
			}
		}
	}
	return s.str()
}

// podFieldNames are the JSON names of the fields of the Pod's types. The walk
// runs on first use rather than at package init, which every meshctl command
// would pay for.
var podFieldNames = sync.OnceValue(func() map[string]string {
	names := map[string]string{}
	seen := map[reflect.Type]bool{}
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Map {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct || seen[t] {
			return
		}
		seen[t] = true
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if name, _, _ := strings.Cut(f.Tag.Get("json"), ","); name != "" && name != "-" {
				names[name] = name
			}
			walk(f.Type)
		}
	}
	walk(reflect.TypeFor[podTemplateJSON]())
	return names
})

func (s *jsonScanner) str() (string, error) {
	if s.i >= len(s.b) || s.b[s.i] != '"' {
		return "", s.errf("want a string")
	}
	start := s.i
	s.i++
	escaped := false
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case '\\':
			escaped = true
			s.i += 2
			continue
		case '"':
			s.i++
			if !escaped {
				return string(s.b[start+1 : s.i-1]), nil
			}
			var v string
			if err := json.Unmarshal(s.b[start:s.i], &v); err != nil {
				return "", err
			}
			return v, nil
		}
		s.i++
	}
	return "", s.errf("unterminated string")
}

// style is how inserted YAML is laid out, learnt from the document.
type style struct {
	unit int // spaces per nesting level
	// seqIndent is how far a block sequence's dashes sit right of its key:
	// 0 for kubectl's style ("key:\n- a"), usually unit otherwise.
	seqIndent int
}

// writeEntries writes the key/value pairs of mapping node m in block style,
// keys at column indent.
func (s style) writeEntries(w *bytes.Buffer, pairs []*yaml.Node, indent int) {
	for i := 0; i+1 < len(pairs); i += 2 {
		pad(w, indent)
		w.WriteString(scalarText(pairs[i].Value, true))
		w.WriteByte(':')
		s.writeValue(w, pairs[i+1], indent)
	}
}

// writeValue writes a value that follows "key:" on the current line.
func (s style) writeValue(w *bytes.Buffer, v *yaml.Node, indent int) {
	switch v.Kind {
	case yaml.MappingNode:
		if len(v.Content) == 0 {
			w.WriteString(" {}\n")
			return
		}
		w.WriteByte('\n')
		s.writeEntries(w, v.Content, indent+s.unit)
	case yaml.SequenceNode:
		if len(v.Content) == 0 {
			w.WriteString(" []\n")
			return
		}
		w.WriteByte('\n')
		s.writeItems(w, v.Content, indent+s.seqIndent)
	default:
		s.writeScalar(w, v, indent+s.unit)
	}
}

// writeItems writes sequence items with their dashes at column indent.
func (s style) writeItems(w *bytes.Buffer, items []*yaml.Node, indent int) {
	for _, it := range items {
		pad(w, indent)
		w.WriteString("-")
		switch {
		case it.Kind == yaml.MappingNode && len(it.Content) > 0:
			// The first key follows the dash: its indentation becomes
			// one space.
			start := w.Len()
			s.writeEntries(w, it.Content, indent+2)
			b := w.Bytes()
			b[start] = ' '
			n := copy(b[start+1:], b[start+indent+2:])
			w.Truncate(start + 1 + n)
		case it.Kind == yaml.SequenceNode && len(it.Content) > 0:
			w.WriteByte('\n')
			s.writeItems(w, it.Content, indent+2)
		default:
			s.writeValue(w, it, indent)
		}
	}
}

// writeScalar writes " value\n"; multi-line strings become literal blocks
// indented to indent.
func (s style) writeScalar(w *bytes.Buffer, v *yaml.Node, indent int) {
	if v.Kind == yaml.MappingNode || v.Kind == yaml.SequenceNode {
		s.writeValue(w, v, indent-s.unit)
		return
	}
	if v.Tag == "!!str" && strings.Contains(v.Value, "\n") && literalOK(v.Value) {
		body := v.Value
		chomp := "-"
		if strings.HasSuffix(body, "\n") {
			chomp = ""
			body = body[:len(body)-1]
		}
		w.WriteString(" |" + chomp + "\n")
		for _, l := range strings.Split(body, "\n") {
			if l != "" {
				pad(w, indent)
				w.WriteString(l)
			}
			w.WriteByte('\n')
		}
		return
	}
	w.WriteByte(' ')
	if v.Tag == "!!str" {
		w.WriteString(scalarText(v.Value, false))
	} else {
		w.WriteString(v.Value)
	}
	if v.LineComment != "" {
		w.WriteString(" " + v.LineComment)
	}
	w.WriteByte('\n')
}

// literalOK reports whether s can be written as a literal block and read
// back unchanged.
func literalOK(s string) bool {
	if strings.HasSuffix(s, "\n\n") || strings.HasPrefix(s, " ") || strings.HasPrefix(s, "\n") {
		return false
	}
	for _, r := range s {
		if r == '\t' || r == '\r' || (r < 0x20 && r != '\n') {
			return false
		}
	}
	for _, l := range strings.Split(s, "\n") {
		if strings.HasSuffix(l, " ") {
			return false
		}
	}
	return true
}

func pad(w *bytes.Buffer, n int) {
	for n > len(spaces) {
		w.WriteString(spaces)
		n -= len(spaces)
	}
	if n > 0 {
		w.WriteString(spaces[:n])
	}
}

const spaces = "                                                                "

// scalarText is a string as a YAML scalar: plain when that reads back as
// the same string, double-quoted otherwise.
func scalarText(s string, key bool) string {
	if plainOK(s) {
		return s
	}
	if !key && !strings.ContainsAny(s, "'\n\t\\") && printable(s) {
		return "'" + s + "'"
	}
	b, _ := json.Marshal(s)
	return string(b)
}

func printable(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}

func plainOK(s string) bool {
	if s == "" || strings.TrimSpace(s) != s {
		return false
	}
	switch s[0] {
	case '?', ':', ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', '\'', '"', '%', '@', '`', '~', '<', '=':
		return false
	case '-', '+', '.':
		// "-p" and "--domain" are strings; "-", "- x", "-1", ".5" are not.
		if len(s) == 1 || s[1] == ' ' || s[1] == '.' || (s[1] >= '0' && s[1] <= '9') || strings.HasPrefix(s, "---") || strings.EqualFold(s[1:], "inf") || strings.EqualFold(s, ".nan") {
			return false
		}
	}
	if s[0] >= '0' && s[0] <= '9' {
		return false
	}
	// The words are five bytes at most (and anything not ASCII is refused
	// below).
	if len(s) <= 5 {
		switch strings.ToLower(s) {
		case "true", "false", "yes", "no", "on", "off", "y", "n", "null":
			return false
		}
	}
	if strings.Contains(s, ": ") || strings.Contains(s, " #") || strings.HasSuffix(s, ":") {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r > 0x7e {
			return false
		}
	}
	return true
}

// flowText is a node in flow style, on one line.
func flowText(n *yaml.Node) string {
	var b strings.Builder
	writeFlow(&b, n)
	return b.String()
}

func writeFlow(b *strings.Builder, n *yaml.Node) {
	switch n.Kind {
	case yaml.MappingNode:
		b.WriteByte('{')
		for i := 0; i+1 < len(n.Content); i += 2 {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(flowScalarText(n.Content[i].Value, true))
			b.WriteString(": ")
			writeFlow(b, n.Content[i+1])
		}
		b.WriteByte('}')
	case yaml.SequenceNode:
		b.WriteByte('[')
		for i, it := range n.Content {
			if i > 0 {
				b.WriteString(", ")
			}
			writeFlow(b, it)
		}
		b.WriteByte(']')
	default:
		if n.Tag == "!!str" {
			b.WriteString(flowScalarText(n.Value, false))
		} else {
			b.WriteString(n.Value)
		}
	}
}

// flowScalarText is scalarText for a flow collection, where a plain scalar
// must not hold flow indicators.
func flowScalarText(s string, key bool) string {
	if plainOK(s) && !strings.ContainsAny(s, ",[]{}:#") {
		return s
	}
	if !key && !strings.ContainsAny(s, "'\n\t\\") && printable(s) {
		return "'" + s + "'"
	}
	b, _ := json.Marshal(s)
	return string(b)
}

// writeJSON writes a node tree as indented JSON in the tree's key order.
func writeJSON(w io.Writer, n *yaml.Node, unit string) error {
	var b bytes.Buffer
	if err := jsonValue(&b, n, "", unit); err != nil {
		return err
	}
	b.WriteByte('\n')
	_, err := w.Write(b.Bytes())
	return err
}

func jsonValue(b *bytes.Buffer, n *yaml.Node, ind, unit string) error {
	switch n.Kind {
	case yaml.DocumentNode:
		return jsonValue(b, n.Content[0], ind, unit)
	case yaml.MappingNode:
		if len(n.Content) == 0 {
			b.WriteString("{}")
			return nil
		}
		b.WriteString("{\n")
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, _ := json.Marshal(n.Content[i].Value)
			b.WriteString(ind + unit)
			b.Write(k)
			b.WriteString(": ")
			if err := jsonValue(b, n.Content[i+1], ind+unit, unit); err != nil {
				return err
			}
			if i+2 < len(n.Content) {
				b.WriteByte(',')
			}
			b.WriteByte('\n')
		}
		b.WriteString(ind + "}")
	case yaml.SequenceNode:
		if len(n.Content) == 0 {
			b.WriteString("[]")
			return nil
		}
		b.WriteString("[\n")
		for i, it := range n.Content {
			b.WriteString(ind + unit)
			if err := jsonValue(b, it, ind+unit, unit); err != nil {
				return err
			}
			if i+1 < len(n.Content) {
				b.WriteByte(',')
			}
			b.WriteByte('\n')
		}
		b.WriteString(ind + "]")
	case yaml.AliasNode:
		return jsonValue(b, n.Alias, ind, unit)
	default:
		switch n.ShortTag() {
		case "!!int", "!!float", "!!bool":
			var v any
			if err := n.Decode(&v); err != nil {
				return err
			}
			out, err := json.Marshal(v)
			if err != nil {
				return err
			}
			b.Write(out)
		case "!!null":
			b.WriteString("null")
		default:
			out, _ := json.Marshal(n.Value)
			b.Write(out)
		}
	}
	return nil
}
