package render

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"unicode/utf16"
	"unicode/utf8"
)

// decodeJSON decodes a JSON object into the same value types decodeYAML
// produces: map[string]any, []any, string, int64 for integers that fit,
// float64 for other numbers, bool and nil.
//
// It is a small hand-written decoder: the generated CRDs are most of a
// render's input, and encoding/json with UseNumber and a second pass to
// convert the numbers took half of a render's time. Its results are those of
// encoding/json's Decoder (UseNumber, one Decode into a map[string]any, then
// a More check) followed by convertNumbers, which FuzzDecodeJSON checks:
//   - the value must be an object, or null (a nil map);
//   - after it, only white space, or white space then ']' or '}' (what
//     Decoder.More lets pass), may follow;
//   - invalid UTF-8 and lone or broken surrogate escapes in strings become
//     U+FFFD; control characters in strings are errors;
//   - of duplicate keys the last wins;
//   - more than 10000 levels of nesting is an error.
//
// Any error makes decodeDocument fall back to the YAML parser, so the exact
// error text does not matter, only whether there is one.
func decodeJSON(b []byte) (map[string]any, error) {
	d := jsonDecoders.Get().(*jsonDecoder)
	defer func() {
		d.b = nil
		jsonDecoders.Put(d)
	}()
	d.b, d.p = b, 0
	d.skipSpace()
	if d.p >= len(d.b) {
		return nil, errJSONEnd
	}
	var m map[string]any
	switch d.b[d.p] {
	case '{':
		v, err := d.object(1)
		if err != nil {
			return nil, err
		}
		m = v
	case 'n':
		if err := d.literal("null"); err != nil {
			return nil, err
		}
	default:
		// encoding/json checks the syntax of the whole value before it
		// reports a type mismatch; either way it is an error.
		return nil, fmt.Errorf("JSON document is not an object")
	}
	d.skipSpace()
	if d.p < len(d.b) && d.b[d.p] != ']' && d.b[d.p] != '}' {
		return nil, fmt.Errorf("more than one JSON value in a document")
	}
	return m, nil
}

// jsonDecoders keeps decoders, with their interned strings, between
// documents.
var jsonDecoders = sync.Pool{New: func() any { return &jsonDecoder{} }}

var errJSONEnd = errors.New("unexpected end of JSON input")

// jsonMaxDepth is encoding/json's nesting limit.
const jsonMaxDepth = 10000

type jsonDecoder struct {
	b []byte
	p int
	// stack holds the elements of the arrays being decoded, copied out at
	// each array's end into a slice of the exact size.
	stack []any
	// strs interns short strings: a CRD repeats the same keys and words
	// ("type", "description", "string") thousands of times.
	strs map[string]string
}

// jsonInternMax is the longest string interned, jsonInternCap the most
// strings kept.
const (
	jsonInternMax = 32
	jsonInternCap = 8192
)

func (d *jsonDecoder) syntaxError(what string) error {
	if d.p >= len(d.b) {
		return errJSONEnd
	}
	return fmt.Errorf("invalid character %q %s at offset %d", d.b[d.p], what, d.p)
}

func (d *jsonDecoder) skipSpace() {
	for d.p < len(d.b) {
		switch d.b[d.p] {
		case ' ', '\t', '\r', '\n':
			d.p++
		default:
			return
		}
	}
}

func (d *jsonDecoder) literal(word string) error {
	if len(d.b)-d.p < len(word) {
		return errJSONEnd
	}
	for i := 0; i < len(word); i++ {
		if d.b[d.p+i] != word[i] {
			d.p += i
			return d.syntaxError("in literal " + word)
		}
	}
	d.p += len(word)
	return nil
}

// value decodes the value at d.p (white space already skipped); depth is
// the nesting of the value's container.
func (d *jsonDecoder) value(depth int) (any, error) {
	if d.p >= len(d.b) {
		return nil, errJSONEnd
	}
	switch c := d.b[d.p]; c {
	case '{':
		m, err := d.object(depth + 1)
		if err != nil {
			return nil, err
		}
		return m, nil
	case '[':
		return d.array(depth + 1)
	case '"':
		return d.str()
	case 't':
		return true, d.literal("true")
	case 'f':
		return false, d.literal("false")
	case 'n':
		return nil, d.literal("null")
	default:
		if c == '-' || (c >= '0' && c <= '9') {
			return d.number()
		}
		return nil, d.syntaxError("looking for beginning of value")
	}
}

func (d *jsonDecoder) object(depth int) (map[string]any, error) {
	if depth > jsonMaxDepth {
		return nil, fmt.Errorf("exceeded max depth")
	}
	d.p++ // '{'
	m := map[string]any{}
	d.skipSpace()
	if d.p < len(d.b) && d.b[d.p] == '}' {
		d.p++
		return m, nil
	}
	for {
		if d.p >= len(d.b) {
			return nil, errJSONEnd
		}
		if d.b[d.p] != '"' {
			return nil, d.syntaxError("looking for beginning of object key string")
		}
		k, err := d.str()
		if err != nil {
			return nil, err
		}
		d.skipSpace()
		if d.p >= len(d.b) {
			return nil, errJSONEnd
		}
		if d.b[d.p] != ':' {
			return nil, d.syntaxError("after object key")
		}
		d.p++
		d.skipSpace()
		v, err := d.value(depth)
		if err != nil {
			return nil, err
		}
		m[k] = v
		d.skipSpace()
		if d.p >= len(d.b) {
			return nil, errJSONEnd
		}
		switch d.b[d.p] {
		case ',':
			d.p++
			d.skipSpace()
		case '}':
			d.p++
			return m, nil
		default:
			return nil, d.syntaxError("after object key:value pair")
		}
	}
}

func (d *jsonDecoder) array(depth int) ([]any, error) {
	if depth > jsonMaxDepth {
		return nil, fmt.Errorf("exceeded max depth")
	}
	d.p++ // '['
	d.skipSpace()
	if d.p < len(d.b) && d.b[d.p] == ']' {
		d.p++
		return []any{}, nil
	}
	base := len(d.stack)
	defer func() { clear(d.stack[base:]); d.stack = d.stack[:base] }()
	for {
		v, err := d.value(depth)
		if err != nil {
			return nil, err
		}
		d.stack = append(d.stack, v)
		d.skipSpace()
		if d.p >= len(d.b) {
			return nil, errJSONEnd
		}
		switch d.b[d.p] {
		case ',':
			d.p++
			d.skipSpace()
		case ']':
			d.p++
			return slices.Clone(d.stack[base:]), nil
		default:
			return nil, d.syntaxError("after array element")
		}
	}
}

// number decodes a number: int64 when it is an integer literal that fits,
// otherwise float64 (±Inf when out of range, as convertNumbers does).
func (d *jsonDecoder) number() (any, error) {
	start := d.p
	b := d.b
	p := d.p
	if b[p] == '-' {
		p++
	}
	integer := true
	switch {
	case p < len(b) && b[p] == '0':
		p++
	case p < len(b) && b[p] >= '1' && b[p] <= '9':
		for p < len(b) && b[p] >= '0' && b[p] <= '9' {
			p++
		}
	default:
		d.p = p
		return nil, d.syntaxError("in numeric literal")
	}
	if p < len(b) && b[p] == '.' {
		integer = false
		p++
		if p >= len(b) || b[p] < '0' || b[p] > '9' {
			d.p = p
			return nil, d.syntaxError("after decimal point in numeric literal")
		}
		for p < len(b) && b[p] >= '0' && b[p] <= '9' {
			p++
		}
	}
	if p < len(b) && (b[p] == 'e' || b[p] == 'E') {
		integer = false
		p++
		if p < len(b) && (b[p] == '+' || b[p] == '-') {
			p++
		}
		if p >= len(b) || b[p] < '0' || b[p] > '9' {
			d.p = p
			return nil, d.syntaxError("in exponent of numeric literal")
		}
		for p < len(b) && b[p] >= '0' && b[p] <= '9' {
			p++
		}
	}
	d.p = p
	lit := b[start:p]
	if integer {
		if n, ok := parseInt64(lit); ok {
			return n, nil
		}
	}
	f, _ := strconv.ParseFloat(string(lit), 64)
	return f, nil
}

// parseInt64 parses an optionally negative run of decimal digits, false on
// overflow.
func parseInt64(lit []byte) (int64, bool) {
	neg := lit[0] == '-'
	if neg {
		lit = lit[1:]
	}
	if len(lit) > 19 {
		return 0, false
	}
	var u uint64
	for _, c := range lit {
		u = u*10 + uint64(c-'0')
	}
	if len(lit) == 19 && u > 1<<63 { // 19 digits cannot overflow uint64
		return 0, false
	}
	if neg {
		return -int64(u), true // -(1<<63) wraps to itself, as it should
	}
	if u > 1<<63-1 {
		return 0, false
	}
	return int64(u), true
}

// str decodes the string starting at the quote at d.p.
func (d *jsonDecoder) str() (string, error) {
	b := d.b
	p := d.p + 1
	start := p
	// Fast path: no escapes, no control characters, ASCII or valid UTF-8.
	for p < len(b) {
		c := b[p]
		if c == '"' {
			d.p = p + 1
			return d.intern(b[start:p]), nil
		}
		if c == '\\' || c < ' ' {
			break
		}
		if c < utf8.RuneSelf {
			p++
			continue
		}
		r, size := utf8.DecodeRune(b[p:])
		if r == utf8.RuneError && size == 1 {
			break
		}
		p += size
	}
	out := make([]byte, p-start, p-start+16)
	copy(out, b[start:p])
	for {
		if p >= len(b) {
			d.p = p
			return "", errJSONEnd
		}
		c := b[p]
		switch {
		case c == '"':
			d.p = p + 1
			return string(out), nil
		case c < ' ':
			d.p = p
			return "", d.syntaxError("in string literal")
		case c == '\\':
			p++
			if p >= len(b) {
				d.p = p
				return "", errJSONEnd
			}
			switch b[p] {
			case '"', '\\', '/':
				out = append(out, b[p])
			case 'b':
				out = append(out, '\b')
			case 'f':
				out = append(out, '\f')
			case 'n':
				out = append(out, '\n')
			case 'r':
				out = append(out, '\r')
			case 't':
				out = append(out, '\t')
			case 'u':
				r := hex4(b, p+1)
				if r < 0 {
					d.p = p
					return "", d.syntaxError("in \\u hexadecimal character escape")
				}
				p += 4
				if utf16.IsSurrogate(r) {
					// A valid pair is consumed whole; anything else
					// leaves the next escape alone.
					if p+2 < len(b) && b[p+1] == '\\' && b[p+2] == 'u' {
						if r1 := hex4(b, p+3); r1 >= 0 {
							if dec := utf16.DecodeRune(r, r1); dec != utf8.RuneError {
								out = utf8.AppendRune(out, dec)
								p += 7
								continue
							}
						}
					}
					r = utf8.RuneError
				}
				out = utf8.AppendRune(out, r)
			default:
				d.p = p
				return "", d.syntaxError("in string escape code")
			}
			p++
		case c < utf8.RuneSelf:
			out = append(out, c)
			p++
		default:
			r, size := utf8.DecodeRune(b[p:])
			if r == utf8.RuneError && size == 1 {
				out = utf8.AppendRune(out, utf8.RuneError)
			} else {
				out = append(out, b[p:p+size]...)
			}
			p += size
		}
	}
}

// intern returns b as a string, the same string for the same short bytes.
func (d *jsonDecoder) intern(b []byte) string {
	if len(b) > jsonInternMax {
		return string(b)
	}
	if s, ok := d.strs[string(b)]; ok {
		return s
	}
	if d.strs == nil {
		d.strs = make(map[string]string, 256)
	}
	s := string(b)
	if len(d.strs) < jsonInternCap {
		d.strs[s] = s
	}
	return s
}

// hex4 reads four hexadecimal digits at b[p:], or returns -1.
func hex4(b []byte, p int) rune {
	if len(b)-p < 4 {
		return -1
	}
	var r rune
	for _, c := range b[p : p+4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return -1
		}
		r = r*16 + rune(c)
	}
	return r
}
