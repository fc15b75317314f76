package inject

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"

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
		n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		s.space()
		if s.i < len(s.b) && s.b[s.i] == '}' {
			s.i++
			return n, nil
		}
		for {
			s.space()
			k, err := s.str()
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
			n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: k}, v)
			s.space()
			if s.i < len(s.b) && s.b[s.i] == ',' {
				s.i++
				continue
			}
			if s.i < len(s.b) && s.b[s.i] == '}' {
				s.i++
				return n, nil
			}
			return nil, s.errf("want ',' or '}'")
		}
	case c == '[':
		s.i++
		n := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		s.space()
		if s.i < len(s.b) && s.b[s.i] == ']' {
			s.i++
			return n, nil
		}
		for {
			v, err := s.value()
			if err != nil {
				return nil, err
			}
			n.Content = append(n.Content, v)
			s.space()
			if s.i < len(s.b) && s.b[s.i] == ',' {
				s.i++
				continue
			}
			if s.i < len(s.b) && s.b[s.i] == ']' {
				s.i++
				return n, nil
			}
			return nil, s.errf("want ',' or ']'")
		}
	case c == '"':
		v, err := s.str()
		if err != nil {
			return nil, err
		}
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v}, nil
	case bytes.HasPrefix(s.b[s.i:], []byte("true")):
		s.i += 4
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: "true"}, nil
	case bytes.HasPrefix(s.b[s.i:], []byte("false")):
		s.i += 5
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: "false"}, nil
	case bytes.HasPrefix(s.b[s.i:], []byte("null")):
		s.i += 4
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"}, nil
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
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: num}, nil
	}
}

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
			var b bytes.Buffer
			s.writeEntries(&b, it.Content, indent+2)
			w.WriteByte(' ')
			w.Write(b.Bytes()[indent+2:])
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
	for ; n > 0; n-- {
		w.WriteByte(' ')
	}
}

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
	switch strings.ToLower(s) {
	case "true", "false", "yes", "no", "on", "off", "y", "n", "null":
		return false
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
