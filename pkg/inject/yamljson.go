package inject

import (
	"encoding/json"
	"strings"
	"sync"

	"sigs.k8s.io/yaml"
)

// chunkCache converts rendered templates from YAML to JSON, parsing each
// piece of block structure (a mapping entry, a list item) once and reusing
// the result: the templates of two workloads differ in a few lines, so most
// pieces repeat. Anything beyond plain block structure — tabs, anchors,
// tags, flow collections or quoted strings over several lines — goes to the
// YAML library whole, as does any piece whose shape is not what it looked
// like.
type chunkCache struct {
	mu    sync.Mutex
	m     map[string]string
	bytes int
}

// Only small pieces are kept (large ones are quick to rebuild from their
// cached parts), and the cache starts over beyond maxCacheBytes, so that
// memory stays bounded whatever the stream.
const (
	maxPiece      = 1 << 10
	maxCacheBytes = 1 << 20
)

func newChunkCache() *chunkCache { return &chunkCache{m: map[string]string{}} }

func (c *chunkCache) get(k string) (string, bool) {
	if len(k) > maxPiece {
		return "", false
	}
	c.mu.Lock()
	v, ok := c.m[k]
	c.mu.Unlock()
	return v, ok
}

func (c *chunkCache) put(k, v string) {
	if len(k) > maxPiece {
		return
	}
	c.mu.Lock()
	if c.bytes+len(k)+len(v) > maxCacheBytes {
		c.m, c.bytes = map[string]string{}, 0
	}
	c.m[k] = v
	c.bytes += len(k) + len(v)
	c.mu.Unlock()
}

// yamlToJSON is sigs.k8s.io/yaml's YAMLToJSON, piece by piece where safe.
func (c *chunkCache) yamlToJSON(src []byte) ([]byte, error) {
	if c == nil || !chunkable(src) {
		return yaml.YAMLToJSON(src)
	}
	lines := strings.Split(string(src), "\n")
	if j, ok := c.block(lines); ok {
		return []byte(j), nil
	}
	return yaml.YAMLToJSON(src)
}

// oddToken reports an anchor, alias, tag, directive, block scalar or
// complex key indicator at the start of a token.
func oddToken(l string) bool {
	for i := 0; i < len(l); i++ {
		switch l[i] {
		case '&', '*', '!', '%', '@', '|', '>', '?':
			if i == 0 || strings.IndexByte(" [{,:-", l[i-1]) >= 0 {
				return true
			}
		}
	}
	return false
}

// simpleKey returns k for a line "  k:" whose key is plain letters, digits
// and _./- (a trailing space allowed).
func simpleKey(l string) (string, bool) {
	t := strings.TrimRight(strings.TrimLeft(l, " "), " ")
	if len(t) < 2 || t[len(t)-1] != ':' {
		return "", false
	}
	k := t[:len(t)-1]
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '/' || c == '-') {
			return "", false
		}
	}
	return k, true
}

// chunkable reports whether src is plain block YAML whose pieces can be
// parsed apart.
func chunkable(src []byte) bool { return chunkableText(string(src)) }

// chunkableText is chunkable of a string, line by line without splitting.
func chunkableText(src string) bool {
	for i := 0; i < len(src); i++ {
		if b := src[i]; (b < 0x20 && b != '\n') || b > 0x7e {
			return false
		}
	}
	for rest := src; ; {
		l := rest
		nl := strings.IndexByte(rest, '\n')
		if nl >= 0 {
			l, rest = rest[:nl], rest[nl+1:]
		}
		if !chunkableLine(l) {
			return false
		}
		if nl < 0 {
			return true
		}
	}
}

func chunkableLine(l string) bool {
	t := strings.TrimSpace(l)
	if t == "" || t[0] == '#' {
		return true
	}
	if strings.HasPrefix(l, "---") || strings.HasPrefix(l, "...") || strings.HasPrefix(t, "? ") || strings.HasSuffix(t, "|") || strings.HasSuffix(t, ">") ||
		strings.HasSuffix(t, "|-") || strings.HasSuffix(t, "|+") || strings.HasSuffix(t, ">-") || strings.HasSuffix(t, ">+") {
		return false
	}
	return !oddToken(l) && balanced(t)
}

// balanced reports whether quotes and brackets close on the line.
func balanced(t string) bool {
	depth := 0
	var q byte
	for i := 0; i < len(t); i++ {
		ch := t[i]
		switch {
		case q == '"':
			if ch == '\\' {
				i++
			} else if ch == '"' {
				q = 0
			}
		case q == '\'':
			if ch == '\'' {
				if i+1 < len(t) && t[i+1] == '\'' {
					i++
				} else {
					q = 0
				}
			}
		case ch == '#' && (i == 0 || t[i-1] == ' '):
			return depth == 0
		case ch == '"' || ch == '\'':
			// A quote inside a plain scalar is just a character.
			if i == 0 || strings.IndexByte(" :-[{,", t[i-1]) >= 0 {
				q = ch
			}
		case ch == '[' || ch == '{':
			depth++
		case ch == ']' || ch == '}':
			depth--
		}
	}
	return q == 0 && depth == 0
}

func isContent(l string) (string, bool) {
	t := strings.TrimSpace(l)
	return t, t != "" && t[0] != '#'
}

// block converts lines holding one block node to JSON.
func (c *chunkCache) block(lines []string) (string, bool) {
	first := -1
	for i, l := range lines {
		if _, ok := isContent(l); ok {
			first = i
			break
		}
	}
	if first < 0 {
		return "null", true
	}
	ind := indentOf(lines[first])
	t, _ := isContent(lines[first])
	seq := t == "-" || strings.HasPrefix(t, "- ")
	var pieces [][]string
	for _, l := range lines[first:] {
		t, ok := isContent(l)
		if ok {
			li := indentOf(l)
			dash := t == "-" || strings.HasPrefix(t, "- ")
			switch {
			case li < ind:
				return "", false
			case li == ind && seq && !dash:
				return "", false
			case li == ind && (seq || !dash):
				pieces = append(pieces, nil)
			}
		}
		if len(pieces) == 0 {
			continue
		}
		pieces[len(pieces)-1] = append(pieces[len(pieces)-1], l)
	}
	parts := make([]string, 0, len(pieces))
	for _, p := range pieces {
		j, ok := c.piece(p, seq)
		if !ok {
			return "", false
		}
		parts = append(parts, j)
	}
	if seq {
		return "[" + strings.Join(parts, ",") + "]", true
	}
	return "{" + strings.Join(parts, ",") + "}", true
}

// piece converts one mapping entry or list item; the result has no outer
// braces or brackets.
func (c *chunkCache) piece(lines []string, item bool) (string, bool) {
	key := strings.Join(lines, "\n")
	if v, ok := c.get(key); ok {
		return v, true
	}
	var out string
	first := lines[0]
	t := strings.TrimSpace(first)
	switch {
	case !item && len(lines) > 1 && len(first) < 512 && plainKey(first):
		child, ok := c.block(lines[1:])
		if !ok || child == "null" {
			return c.leaf(key, item)
		}
		name, _ := simpleKey(first)
		k, _ := json.Marshal(name)
		out = string(k) + ":" + child
	case item && (t == "-" || strings.HasPrefix(t, "- ")) && len(lines) > 1 && looksLikeEntry(strings.TrimSpace(t[1:])):
		ind := indentOf(first)
		shifted := append([]string{first[:ind] + " " + first[ind+1:]}, lines[1:]...)
		child, ok := c.block(shifted)
		if !ok || !strings.HasPrefix(child, "{") {
			return c.leaf(key, item)
		}
		out = child
	default:
		return c.leaf(key, item)
	}
	c.put(key, out)
	return out, true
}

func plainKey(l string) bool {
	k, ok := simpleKey(l)
	return ok && plainOK(k)
}

// looksLikeEntry: "name: x" or "name:" starts a mapping.
func looksLikeEntry(t string) bool {
	if _, ok := simpleKey(t); ok {
		return true
	}
	i := strings.Index(t, ": ")
	if i < 0 {
		return false
	}
	_, ok := simpleKey(t[:i+1])
	return ok
}

// leaf parses a piece with the YAML library.
func (c *chunkCache) leaf(text string, item bool) (string, bool) {
	j, err := yaml.YAMLToJSON([]byte(text))
	if err != nil {
		return "", false
	}
	s := string(j)
	open, closing := "{", "}"
	if item {
		open, closing = "[", "]"
	}
	if !strings.HasPrefix(s, open) || !strings.HasSuffix(s, closing) || len(s) < 3 {
		return "", false
	}
	out := s[1 : len(s)-1]
	c.put(text, out)
	return out, true
}
