package inject

import (
	"hash/maphash"
	"strconv"
	"strings"
	"sync"

	utiljson "k8s.io/apimachinery/pkg/util/json"
	"sigs.k8s.io/yaml"
)

// valueCache turns a rendered template into the map that
// decodeJSONMap(yamlToJSON(…)) would give, without the JSON text in
// between. Pieces are decoded once and copied out, since a
// strategic merge changes the maps it is given.
type valueCache struct {
	mu    sync.Mutex
	m     map[string]pieceVal
	bytes int
	// seen holds hashes of pieces met once: a piece is kept on its second
	// sighting, so that pieces unique to one pod (its name, its ports)
	// neither cost a copy nor push the common ones out.
	seen map[uint64]struct{}
}

var pieceSeed = maphash.MakeSeed()

const maxSeen = 1 << 12

// pieceVal is a decoded piece: a mapping entry (key, val) or a list item
// (val).
type pieceVal struct {
	key string
	val any
}

func newValueCache() *valueCache {
	return &valueCache{m: map[string]pieceVal{}, seen: map[uint64]struct{}{}}
}

// again reports whether k was met before, and notes it.
func (c *valueCache) again(k string) bool {
	if len(k) > maxPiece {
		return false
	}
	h := maphash.String(pieceSeed, k)
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.seen[h]; ok {
		return true
	}
	if len(c.seen) >= maxSeen {
		c.seen = map[uint64]struct{}{}
	}
	c.seen[h] = struct{}{}
	return false
}

func (c *valueCache) get(k string) (pieceVal, bool) {
	if len(k) > maxPiece {
		return pieceVal{}, false
	}
	c.mu.Lock()
	v, ok := c.m[k]
	c.mu.Unlock()
	return v, ok
}

func (c *valueCache) put(k string, v pieceVal) {
	if len(k) > maxPiece {
		return
	}
	c.mu.Lock()
	// Decoded values take a few times their text.
	if c.bytes+4*len(k) > maxCacheBytes {
		c.m, c.bytes = map[string]pieceVal{}, 0
	}
	c.m[k] = v
	c.bytes += 4 * len(k)
	c.mu.Unlock()
}

// yamlToMap is decodeJSONMap(yamlToJSON(src)); ok is false when src is
// not a plain block mapping, or the result is not a JSON object: the
// caller then takes the text path.
func (c *valueCache) yamlToMap(src []byte) (map[string]any, bool) {
	if c == nil {
		return nil, false
	}
	txt := string(src)
	if !chunkableText(txt) {
		return nil, false
	}
	v, kind, ok := c.block(txt, lineSpans(txt))
	if !ok || kind != '{' {
		return nil, false
	}
	return v.(map[string]any), true
}

// span is a line of a text: txt[start:end], without its newline.
type span struct{ start, end int }

// lineSpans splits txt at newlines as strings.Split does.
func lineSpans(txt string) []span {
	out := make([]span, 0, strings.Count(txt, "\n")+1)
	start := 0
	for {
		i := strings.IndexByte(txt[start:], '\n')
		if i < 0 {
			return append(out, span{start, len(txt)})
		}
		out = append(out, span{start, start + i})
		start += i + 1
	}
}

// block decodes lines of txt holding one block node; kind is '{' for a
// mapping, '[' for a list and 'n' for no content (null). The value is the
// caller's own.
func (c *valueCache) block(txt string, lines []span) (any, byte, bool) {
	first := -1
	for i, l := range lines {
		if _, ok := isContent(txt[l.start:l.end]); ok {
			first = i
			break
		}
	}
	if first < 0 {
		return nil, 'n', true
	}
	fl := txt[lines[first].start:lines[first].end]
	ind := indentOf(fl)
	t, _ := isContent(fl)
	seq := t == "-" || strings.HasPrefix(t, "- ")
	// Pieces are runs of lines: [from, to) in lines.
	var pieces [][2]int
	for i := first; i < len(lines); i++ {
		l := txt[lines[i].start:lines[i].end]
		t, ok := isContent(l)
		if ok {
			li := indentOf(l)
			dash := t == "-" || strings.HasPrefix(t, "- ")
			switch {
			case li < ind:
				return nil, 0, false
			case li == ind && seq && !dash:
				return nil, 0, false
			case li == ind && (seq || !dash):
				pieces = append(pieces, [2]int{i, i})
			}
		}
		if len(pieces) == 0 {
			continue
		}
		pieces[len(pieces)-1][1] = i + 1
	}
	if seq {
		out := make([]any, 0, len(pieces))
		for _, p := range pieces {
			v, ok := c.piece(txt, lines[p[0]:p[1]], true)
			if !ok {
				return nil, 0, false
			}
			out = append(out, v.val)
		}
		return out, '[', true
	}
	out := make(map[string]any, len(pieces))
	spelt := make(map[string]string, len(pieces))
	for _, p := range pieces {
		v, ok := c.piece(txt, lines[p[0]:p[1]], false)
		if !ok {
			return nil, 0, false
		}
		// As in a JSON object read into a map, the last of equal keys
		// wins; but keys of different YAML types that come out equal
		// (the int 0 and the float .0 are both "0") are two keys to the
		// library, which then writes them in no fixed order: its text path
		// settles them.
		first := txt[lines[p[0]].start:lines[p[0]].end]
		raw, _, _ := strings.Cut(strings.TrimSpace(first), ":")
		if was, dup := spelt[v.key]; dup && keyKind(was) != keyKind(raw) {
			return nil, 0, false
		}
		spelt[v.key] = raw
		out[v.key] = v.val
	}
	return out, '{', true
}

// piece decodes one mapping entry or list item; the value is the caller's
// own.
func (c *valueCache) piece(txt string, lines []span, item bool) (pieceVal, bool) {
	// The lines joined with newlines, as they stand in txt.
	key := txt[lines[0].start:lines[len(lines)-1].end]
	if v, ok := c.get(key); ok {
		return pieceVal{v.key, deepCopyJSON(v.val)}, true
	}
	var out pieceVal
	first := txt[lines[0].start:lines[0].end]
	t := strings.TrimSpace(first)
	switch {
	case !item && len(lines) > 1 && len(first) < 512 && plainKey(first):
		child, kind, ok := c.block(txt, lines[1:])
		if !ok || kind == 'n' {
			return c.leaf(key, item)
		}
		name, _ := simpleKey(first)
		out = pieceVal{key: name, val: child}
	case item && (t == "-" || strings.HasPrefix(t, "- ")) && len(lines) > 1 && looksLikeEntry(strings.TrimSpace(t[1:])):
		// The item's lines with its dash made a space: a mapping.
		ind := indentOf(first)
		shifted := first[:ind] + " " + first[ind+1:] + key[len(first):]
		child, kind, ok := c.block(shifted, lineSpans(shifted))
		if !ok || kind != '{' {
			return c.leaf(key, item)
		}
		out = pieceVal{val: child}
	default:
		return c.leaf(key, item)
	}
	if c.again(key) {
		c.put(key, pieceVal{out.key, deepCopyJSON(out.val)})
	}
	return out, true
}

// leaf decodes a piece with the YAML library; pieces that hold more or
// less than one entry or item are refused.
func (c *valueCache) leaf(text string, item bool) (pieceVal, bool) {
	if v, ok := simpleLeaf(text, item); ok {
		return v, true
	}

	j, err := yaml.YAMLToJSON([]byte(text))
	if err != nil {
		return pieceVal{}, false
	}
	s := string(j)
	open, closing := "{", "}"
	if item {
		open, closing = "[", "]"
	}
	if !strings.HasPrefix(s, open) || !strings.HasSuffix(s, closing) || len(s) < 3 {
		return pieceVal{}, false
	}
	var out pieceVal
	if item {
		var l []any
		if utiljson.Unmarshal(j, &l) != nil || len(l) != 1 {
			return pieceVal{}, false
		}
		out.val = l[0]
	} else {
		m := map[string]any{}
		if utiljson.Unmarshal(j, &m) != nil || len(m) != 1 {
			return pieceVal{}, false
		}
		for k, v := range m {
			out = pieceVal{key: k, val: v}
		}
	}
	if c.again(text) {
		c.put(text, pieceVal{out.key, deepCopyJSON(out.val)})
	}
	return out, true
}

// deepCopyJSON copies the maps and lists of a decoded JSON value.
func deepCopyJSON(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			out[k] = deepCopyJSON(e)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = deepCopyJSON(e)
		}
		return out
	}
	return v
}

// simpleLeaf reads the commonest leaf without the YAML library: one line
// "key: word" or "- word" where key and word are plain scalars that can only
// be strings (a letter, then letters, digits and ._/-; none of YAML 1.1's
// boolean or null words, in any case).
func simpleLeaf(text string, item bool) (pieceVal, bool) {
	if strings.IndexByte(text, '\n') >= 0 {
		return pieceVal{}, false
	}
	t := strings.TrimLeft(text, " ")
	if item {
		w, ok := strings.CutPrefix(t, "- ")
		if !ok {
			return pieceVal{}, false
		}
		if q, ok := quotedWord(w); ok {
			return pieceVal{val: q}, true
		}
		if !stringWord(w) {
			return pieceVal{}, false
		}
		return pieceVal{val: w}, true
	}
	k, w, ok := strings.Cut(t, ": ")
	if !ok || !stringWord(k) {
		return pieceVal{}, false
	}
	if q, ok := quotedWord(w); ok {
		return pieceVal{key: k, val: q}, true
	}
	if !stringWord(w) {
		return pieceVal{}, false
	}
	return pieceVal{key: k, val: w}, true
}

// quotedWord reads a double-quoted scalar with nothing to unescape:
// printable ASCII without backslashes or quotes, and nothing after the
// closing quote.
func quotedWord(w string) (string, bool) {
	if len(w) < 2 || w[0] != '"' || w[len(w)-1] != '"' {
		return "", false
	}
	q := w[1 : len(w)-1]
	for i := 0; i < len(q); i++ {
		if c := q[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			return "", false
		}
	}
	return q, true
}

// stringWord reports whether a plain scalar is certainly a string to
// YAML 1.1 and 1.2.
func stringWord(w string) bool {
	if w == "" || !(w[0] >= 'a' && w[0] <= 'z' || w[0] >= 'A' && w[0] <= 'Z') {
		return false
	}
	for i := 1; i < len(w); i++ {
		c := w[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '/' || c == '-') {
			return false
		}
	}
	switch strings.ToLower(w) {
	case "y", "yes", "n", "no", "true", "false", "on", "off", "null":
		return false
	}
	return true
}

// keyKind is the YAML type a plain mapping key resolves to, roughly:
// enough to tell keys apart that only meet as JSON strings.
func keyKind(raw string) string {
	if raw == "" || raw[0] == '"' || raw[0] == '\'' {
		return "str"
	}
	switch strings.ToLower(raw) {
	case "y", "yes", "n", "no", "true", "false", "on", "off":
		return "bool"
	case "~", "null":
		return "null"
	}
	if _, err := strconv.ParseInt(strings.ReplaceAll(raw, "_", ""), 0, 64); err == nil {
		return "int"
	}
	if _, err := strconv.ParseFloat(strings.ReplaceAll(raw, "_", ""), 64); err == nil || strings.HasPrefix(strings.ToLower(raw), ".inf") || strings.HasPrefix(strings.ToLower(raw), "-.inf") || strings.ToLower(raw) == ".nan" {
		return "float"
	}
	return "str"
}
