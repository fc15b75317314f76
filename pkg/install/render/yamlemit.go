package render

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// yamlEmitter prints a JSON-compatible value (map[string]any, []any,
// string, int64, int, float64, bool, nil) as block YAML with keys sorted,
// byte for byte as go.yaml.in/yaml/v2's Marshal prints the same value with
// its maps turned into sorted MapSlices. It follows that emitter's rules:
// two-space indentation, sequences in mappings not indented, empty
// collections as {} and [], scalars plain when they would not be read back
// as another type and the text allows it, else single- or double-quoted or
// literal blocks, and plain and quoted scalars folded at spaces past column
// 80. FuzzEncodeYAML checks the equivalence on random values.
//
// Values it does not handle (other Go types, or strings that are not valid
// UTF-8, which yaml.v2 prints as !!binary) make it give up; encodeYAML then
// prints that document with yaml.v2.
type yamlEmitter struct {
	out []byte
	// column is the output column in characters, as the emitter counts it.
	column int
	// whitespace: the last thing written was white space (or nothing);
	// indention: only indentation has been written on this line.
	whitespace bool
	indention  bool
	failed     bool
	keys       []string
	// chunked: instead of growing out, full chunks go to parts, out[start:]
	// being the part of the current chunk not in parts yet.
	chunked bool
	parts   [][]byte
	start   int
}

const (
	yamlChunkSize = 64 << 10
	yamlLineRoom  = 1 << 10
)

// yamlChunks prints documents into chunks of yamlChunkSize that are never
// copied or freed while it is in use: little garbage, a few allocations.
type yamlChunks struct{ cur []byte }

// appendDocument appends to parts the pieces of prefix followed by v
// printed as YAML (as appendYAML prints it).
func (c *yamlChunks) appendDocument(parts [][]byte, prefix string, v map[string]any) ([][]byte, error) {
	if cap(c.cur)-len(c.cur) < yamlLineRoom+len(prefix) {
		c.cur = make([]byte, 0, yamlChunkSize)
	}
	start := len(c.cur)
	e := yamlEmitter{out: append(c.cur, prefix...), whitespace: true, indention: true, chunked: true, start: start}
	e.node(v, -1, 0)
	if !e.failed {
		e.writeIndent(0) // document end
		c.cur = e.out
		parts = append(parts, e.parts...)
		return append(parts, e.out[e.start:]), nil
	}
	if len(e.parts) == 0 {
		c.cur = e.out[:start]
	} else {
		c.cur = e.out[:0]
	}
	b, err := encodeYAMLv2(v)
	if err != nil {
		return parts, err
	}
	return append(parts, []byte(prefix), b), nil
}

const (
	yamlIndent = 2
	yamlWidth  = 80
	// yamlMaxSimpleKey is the longest key, in bytes, written as "key:";
	// longer ones are written as "? key".
	yamlMaxSimpleKey = 128
)

// yamlCtx is where a node is: the context flags of yaml.v2's emitter.
type yamlCtx uint8

const (
	ctxSequence yamlCtx = 1 << iota
	ctxMapping
	ctxSimpleKey
)

type yamlStyle uint8

const (
	stylePlain yamlStyle = iota
	styleSingle
	styleDouble
	styleLiteral
)

// appendEmitYAML appends v printed as a YAML document to dst, or returns
// dst and false if v holds a value the emitter does not handle.
func appendEmitYAML(dst []byte, v map[string]any) ([]byte, bool) {
	e := yamlEmitter{out: dst, whitespace: true, indention: true}
	e.node(v, -1, 0)
	if e.failed {
		return dst, false
	}
	e.writeIndent(0) // document end
	return e.out, true
}

func (e *yamlEmitter) node(v any, indent int, ctx yamlCtx) {
	if e.failed {
		return
	}
	switch t := v.(type) {
	case map[string]any:
		if len(t) == 0 {
			e.emptyFlow("{}")
			return
		}
		e.mapping(t, indent)
	case []any:
		if len(t) == 0 {
			e.emptyFlow("[]")
			return
		}
		e.sequence(t, indent, ctx)
	case string:
		e.str(t, indent, ctx)
	case int64:
		e.scalar(strconv.FormatInt(t, 10), stylePlain, indent, ctx)
	case int:
		e.scalar(strconv.Itoa(t), stylePlain, indent, ctx)
	case float64:
		var s string
		switch {
		case math.IsInf(t, 1):
			s = ".inf"
		case math.IsInf(t, -1):
			s = "-.inf"
		case math.IsNaN(t):
			s = ".nan"
		default:
			s = strconv.FormatFloat(t, 'g', -1, 64)
		}
		e.scalar(s, stylePlain, indent, ctx)
	case bool:
		if t {
			e.scalar("true", stylePlain, indent, ctx)
		} else {
			e.scalar("false", stylePlain, indent, ctx)
		}
	case nil:
		e.scalar("null", stylePlain, indent, ctx)
	default:
		e.failed = true
	}
}

// childIndent is the indentation of a block collection's entries.
func childIndent(indent int, indentless bool) int {
	switch {
	case indent < 0:
		return 0
	case indentless:
		return indent
	default:
		return indent + yamlIndent
	}
}

// scalarIndent is the indentation of a scalar's continuation lines.
func scalarIndent(indent int) int {
	if indent < 0 {
		return yamlIndent
	}
	return indent + yamlIndent
}

func (e *yamlEmitter) mapping(m map[string]any, indent int) {
	ind := childIndent(indent, false)
	start := len(e.keys)
	for k := range m {
		e.keys = append(e.keys, k)
	}
	keys := e.keys[start:]
	slices.Sort(keys)
	for i := range keys {
		k := e.keys[start+i] // e.keys may move while values are printed
		if e.failed {
			break
		}
		e.writeIndent(ind)
		var a scalarAnalysis
		if len(k) > 0 {
			a, _ = analyzePrintableASCII(k)
		}
		if !a.printableASCII {
			if !utf8.ValidString(k) {
				e.failed = true
				break
			}
			a = analyzeScalar(k)
		}
		if !a.multiline && len(k) <= yamlMaxSimpleKey {
			e.strAnalyzed(k, a, ind, ctxMapping|ctxSimpleKey)
			e.writeIndicator(":", false, false, false)
		} else {
			e.writeIndicator("?", true, false, true)
			e.strAnalyzed(k, a, ind, ctxMapping)
			e.writeIndent(ind)
			e.writeIndicator(":", true, false, true)
		}
		e.node(m[k], ind, ctxMapping)
	}
	e.keys = e.keys[:start]
}

func (e *yamlEmitter) sequence(l []any, indent int, ctx yamlCtx) {
	ind := childIndent(indent, ctx&ctxMapping != 0 && !e.indention)
	for _, v := range l {
		if e.failed {
			return
		}
		e.writeIndent(ind)
		e.writeIndicator("-", true, false, true)
		e.node(v, ind, ctxSequence)
	}
}

func (e *yamlEmitter) emptyFlow(s string) {
	if !e.whitespace {
		e.put(' ')
	}
	e.out = append(e.out, s...)
	e.column += 2
	e.whitespace = false
	e.indention = false
}

func (e *yamlEmitter) str(s string, indent int, ctx yamlCtx) {
	if len(s) > 0 {
		if a, ok := analyzePrintableASCII(s); ok {
			e.strAnalyzed(s, a, indent, ctx)
			return
		}
	}
	if !utf8.ValidString(s) {
		e.failed = true
		return
	}
	e.strAnalyzed(s, analyzeScalar(s), indent, ctx)
}

// strAnalyzed prints a string: the style yaml.v2 asks for (literal if it
// has a newline, plain if it would read back as a string, else double
// quoted), then the emitter's choice among what the text allows.
func (e *yamlEmitter) strAnalyzed(s string, a scalarAnalysis, indent int, ctx yamlCtx) {
	style := styleDouble
	switch {
	case !a.printableASCII && strings.IndexByte(s, '\n') >= 0:
		style = styleLiteral
	case plainIsString(s):
		style = stylePlain
	}
	e.scalarAnalyzed(s, a, style, indent, ctx)
}

func (e *yamlEmitter) scalar(s string, style yamlStyle, indent int, ctx yamlCtx) {
	e.scalarAnalyzed(s, analyzeScalar(s), style, indent, ctx)
}

func (e *yamlEmitter) scalarAnalyzed(s string, a scalarAnalysis, style yamlStyle, indent int, ctx yamlCtx) {
	simpleKey := ctx&ctxSimpleKey != 0
	if simpleKey && a.multiline {
		style = styleDouble
	}
	if style == stylePlain && (!a.plainAllowed || (len(s) == 0 && simpleKey)) {
		style = styleSingle
	}
	if style == styleSingle && !a.singleAllowed {
		style = styleDouble
	}
	if style == styleLiteral && (!a.blockAllowed || simpleKey) {
		style = styleDouble
	}
	ind := scalarIndent(indent)
	switch style {
	case stylePlain:
		e.writePlain(s, a.printableASCII, !simpleKey, ind)
	case styleSingle:
		e.writeSingle(s, !simpleKey, ind)
	case styleDouble:
		e.writeDouble(s, !simpleKey, ind)
	case styleLiteral:
		e.writeLiteral(s, ind)
	}
}

// scalarAnalysis is what the text of a scalar allows (outside flow
// collections, where all of these scalars are).
type scalarAnalysis struct {
	multiline     bool
	plainAllowed  bool
	singleAllowed bool
	blockAllowed  bool
	// printableASCII: the string is printable ASCII only (so valid UTF-8
	// without line breaks).
	printableASCII bool
}

func analyzeScalar(s string) scalarAnalysis {
	if len(s) == 0 {
		return scalarAnalysis{plainAllowed: true, singleAllowed: true}
	}
	if a, ok := analyzePrintableASCII(s); ok {
		return a
	}
	return analyzeAny(s)
}

// analyzeAny is analyzeScalar for any non-empty valid UTF-8 string.
func analyzeAny(s string) scalarAnalysis {
	indicators := strings.HasPrefix(s, "---") || strings.HasPrefix(s, "...")
	var (
		lineBreaks, special                        bool
		leadingSpace, leadingBreak, trailingSpace  bool
		trailingBreak, breakSpace, spaceBreak      bool
		prevSpace, prevBreak, followedByWhitespace bool
		precededByWhitespace                       = true
	)
	for i, w := 0, 0; i < len(s); i += w {
		c := s[i]
		w = utf8Width(c)
		followedByWhitespace = i+w >= len(s) || s[i+w] == ' ' || s[i+w] == '\t'
		if i == 0 {
			switch c {
			case '#', ',', '[', ']', '{', '}', '&', '*', '!', '|', '>', '\'', '"', '%', '@', '`':
				indicators = true
			case '?', ':', '-':
				if followedByWhitespace {
					indicators = true
				}
			}
		} else {
			switch c {
			case ':':
				if followedByWhitespace {
					indicators = true
				}
			case '#':
				if precededByWhitespace {
					indicators = true
				}
			}
		}
		if !isPrintable(s, i) {
			special = true
		}
		switch {
		case c == ' ':
			if i == 0 {
				leadingSpace = true
			}
			if i+w == len(s) {
				trailingSpace = true
			}
			if prevBreak {
				breakSpace = true
			}
			prevSpace, prevBreak = true, false
		case isBreak(s, i):
			lineBreaks = true
			if i == 0 {
				leadingBreak = true
			}
			if i+w == len(s) {
				trailingBreak = true
			}
			if prevSpace {
				spaceBreak = true
			}
			prevSpace, prevBreak = false, true
		default:
			prevSpace, prevBreak = false, false
		}
		precededByWhitespace = c == ' ' || c == '\t' || c == 0 || isBreak(s, i)
	}
	a := scalarAnalysis{multiline: lineBreaks, plainAllowed: true, singleAllowed: true, blockAllowed: true}
	if leadingSpace || leadingBreak || trailingSpace || trailingBreak || lineBreaks || indicators {
		a.plainAllowed = false
	}
	if trailingSpace {
		a.blockAllowed = false
	}
	if breakSpace {
		a.plainAllowed = false
		a.singleAllowed = false
	}
	if spaceBreak || special {
		a.plainAllowed = false
		a.singleAllowed = false
		a.blockAllowed = false
	}
	return a
}

// analyzePrintableASCII is analyzeScalar for the common case of a
// non-empty string of printable ASCII (no breaks, tabs or controls);
// false for other strings.
func analyzePrintableASCII(s string) (scalarAnalysis, bool) {
	indicators := false
	switch s[0] {
	case '#', ',', '[', ']', '{', '}', '&', '*', '!', '|', '>', '\'', '"', '%', '@', '`':
		indicators = true
	case '?', ':', '-':
		indicators = len(s) == 1 || s[1] == ' ' || (s[0] == '-' && strings.HasPrefix(s, "---"))
	case '.':
		indicators = strings.HasPrefix(s, "...")
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x20 || c > 0x7E:
			return scalarAnalysis{}, false
		case c == ':' && i > 0:
			if i+1 == len(s) || s[i+1] == ' ' {
				indicators = true
			}
		case c == '#' && i > 0:
			if s[i-1] == ' ' {
				indicators = true
			}
		}
	}
	trailingSpace := s[len(s)-1] == ' '
	return scalarAnalysis{
		plainAllowed:   !indicators && s[0] != ' ' && !trailingSpace,
		singleAllowed:  true,
		blockAllowed:   !trailingSpace,
		printableASCII: true,
	}, true
}

// utf8Width is the length of the UTF-8 sequence that starts with c.
func utf8Width(c byte) int {
	switch {
	case c < 0x80:
		return 1
	case c&0xE0 == 0xC0:
		return 2
	case c&0xF0 == 0xE0:
		return 3
	default:
		return 4
	}
}

// isPrintable is the emitter's test of what may appear unescaped: LF,
// printable ASCII, and BMP characters from U+00A0 except surrogates, U+FEFF,
// U+FFFE and U+FFFF. Tabs, CR, C1 controls and characters beyond the BMP
// are not.
func isPrintable(s string, i int) bool {
	c := s[i]
	switch {
	case c == 0x0A || (c >= 0x20 && c <= 0x7E):
		return true
	case c == 0xC2:
		return s[i+1] >= 0xA0
	case c > 0xC2 && c < 0xED:
		return true
	case c == 0xED:
		return s[i+1] < 0xA0
	case c == 0xEE:
		return true
	case c == 0xEF:
		return !(s[i+1] == 0xBB && s[i+2] == 0xBF) && !(s[i+1] == 0xBF && (s[i+2] == 0xBE || s[i+2] == 0xBF))
	}
	return false
}

// isBreak: CR, LF, NEL, LS or PS.
func isBreak(s string, i int) bool {
	switch s[i] {
	case '\r', '\n':
		return true
	case 0xC2:
		return s[i+1] == 0x85
	case 0xE2:
		return s[i+1] == 0x80 && (s[i+2] == 0xA8 || s[i+2] == 0xA9)
	}
	return false
}

func (e *yamlEmitter) put(c byte) {
	e.out = append(e.out, c)
	e.column++
}

func (e *yamlEmitter) putBreak() {
	e.out = append(e.out, '\n')
	e.column = 0
}

// writeChar copies the character at s[*i].
func (e *yamlEmitter) writeChar(s string, i *int) {
	w := utf8Width(s[*i])
	e.out = append(e.out, s[*i:*i+w]...)
	e.column++
	*i += w
}

func (e *yamlEmitter) writeBreak(s string, i *int) {
	if s[*i] == '\n' {
		e.putBreak()
		*i++
		return
	}
	e.writeChar(s, i)
	e.column = 0
}

func (e *yamlEmitter) writeIndent(indent int) {
	if indent < 0 {
		indent = 0
	}
	// Room is made once a line: a new chunk for chunked output, else the
	// buffer doubles (append alone grows large slices by a quarter at a
	// time, which leaves several times the output in garbage).
	if cap(e.out)-len(e.out) < yamlLineRoom {
		if e.chunked {
			e.parts = append(e.parts, e.out[e.start:])
			e.out = make([]byte, 0, yamlChunkSize)
			e.start = 0
		} else {
			out := make([]byte, len(e.out), 2*cap(e.out)+4096)
			copy(out, e.out)
			e.out = out
		}
	}
	if !e.indention || e.column > indent || (e.column == indent && !e.whitespace) {
		e.putBreak()
	}
	for e.column < indent {
		e.put(' ')
	}
	e.whitespace = true
	e.indention = true
}

func (e *yamlEmitter) writeIndicator(ind string, needWhitespace, isWhitespace, isIndention bool) {
	if needWhitespace && !e.whitespace {
		e.put(' ')
	}
	e.out = append(e.out, ind...)
	e.column += len(ind)
	e.whitespace = isWhitespace
	e.indention = e.indention && isIndention
}

func (e *yamlEmitter) writePlain(s string, printableASCII, allowBreaks bool, indent int) {
	if !e.whitespace {
		e.put(' ')
	}
	// Fast path: printable ASCII with no spaces where a fold could happen.
	if e.column+len(s) <= yamlWidth+1 || !allowBreaks || strings.IndexByte(s, ' ') < 0 {
		if printableASCII || isPlainASCII(s) {
			e.out = append(e.out, s...)
			e.column += len(s)
			e.whitespace = false
			e.indention = false
			return
		}
	}
	spaces, breaks := false, false
	for i := 0; i < len(s); {
		switch {
		case s[i] == ' ':
			if allowBreaks && !spaces && e.column > yamlWidth && (i+1 >= len(s) || s[i+1] != ' ') {
				e.writeIndent(indent)
				i++
			} else {
				e.put(' ')
				i++
			}
			spaces = true
		case isBreak(s, i):
			if !breaks && s[i] == '\n' {
				e.putBreak()
			}
			e.writeBreak(s, &i)
			e.indention = true
			breaks = true
		default:
			if breaks {
				e.writeIndent(indent)
			}
			e.writeChar(s, &i)
			e.indention = false
			spaces, breaks = false, false
		}
	}
	e.whitespace = false
	e.indention = false
}

// isPlainASCII: only printable ASCII (no line breaks).
func isPlainASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7E {
			return false
		}
	}
	return true
}

func (e *yamlEmitter) writeSingle(s string, allowBreaks bool, indent int) {
	e.writeIndicator("'", true, false, false)
	spaces, breaks := false, false
	for i := 0; i < len(s); {
		switch {
		case s[i] == ' ':
			if allowBreaks && !spaces && e.column > yamlWidth && i > 0 && i < len(s)-1 && s[i+1] != ' ' {
				e.writeIndent(indent)
				i++
			} else {
				e.put(' ')
				i++
			}
			spaces = true
		case isBreak(s, i):
			if !breaks && s[i] == '\n' {
				e.putBreak()
			}
			e.writeBreak(s, &i)
			e.indention = true
			breaks = true
		default:
			if breaks {
				e.writeIndent(indent)
			}
			if s[i] == '\'' {
				e.put('\'')
			}
			e.writeChar(s, &i)
			e.indention = false
			spaces, breaks = false, false
		}
	}
	e.writeIndicator("'", false, false, false)
	e.whitespace = false
	e.indention = false
}

const upperHex = "0123456789ABCDEF"

func (e *yamlEmitter) writeDouble(s string, allowBreaks bool, indent int) {
	e.writeIndicator(`"`, true, false, false)
	// yaml.v2 escapes every character of a string that starts with a
	// byte order mark.
	bom := strings.HasPrefix(s, "\uFEFF")
	spaces := false
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case bom || !isPrintable(s, i) || isBreak(s, i) || c == '"' || c == '\\':
			r, w := utf8.DecodeRuneInString(s[i:])
			i += w
			e.put('\\')
			switch r {
			case 0x00:
				e.put('0')
			case 0x07:
				e.put('a')
			case 0x08:
				e.put('b')
			case 0x09:
				e.put('t')
			case 0x0A:
				e.put('n')
			case 0x0B:
				e.put('v')
			case 0x0C:
				e.put('f')
			case 0x0D:
				e.put('r')
			case 0x1B:
				e.put('e')
			case '"':
				e.put('"')
			case '\\':
				e.put('\\')
			case 0x85:
				e.put('N')
			case 0xA0:
				e.put('_')
			case 0x2028:
				e.put('L')
			case 0x2029:
				e.put('P')
			default:
				digits := 8
				switch {
				case r <= 0xFF:
					e.put('x')
					digits = 2
				case r <= 0xFFFF:
					e.put('u')
					digits = 4
				default:
					e.put('U')
				}
				for k := (digits - 1) * 4; k >= 0; k -= 4 {
					e.put(upperHex[(r>>uint(k))&0x0F])
				}
			}
			spaces = false
		case c == ' ':
			if allowBreaks && !spaces && e.column > yamlWidth && i > 0 && i < len(s)-1 {
				e.writeIndent(indent)
				if s[i+1] == ' ' {
					e.put('\\')
				}
				i++
			} else {
				e.put(' ')
				i++
			}
			spaces = true
		default:
			e.writeChar(s, &i)
			spaces = false
		}
	}
	e.writeIndicator(`"`, false, false, false)
	e.whitespace = false
	e.indention = false
}

func (e *yamlEmitter) writeLiteral(s string, indent int) {
	e.writeIndicator("|", true, false, false)
	if s[0] == ' ' || isBreak(s, 0) {
		e.writeIndicator(string(rune('0'+yamlIndent)), false, false, false)
	}
	// Chomping: "-" when the text does not end in a line break, "+" when
	// it ends in two (or is one), none when it ends in exactly one.
	last := len(s) - 1
	for s[last]&0xC0 == 0x80 {
		last--
	}
	switch {
	case !isBreak(s, last):
		e.writeIndicator("-", false, false, false)
	case last == 0:
		e.writeIndicator("+", false, false, false)
	default:
		prev := last - 1
		for s[prev]&0xC0 == 0x80 {
			prev--
		}
		if isBreak(s, prev) {
			e.writeIndicator("+", false, false, false)
		}
	}
	e.putBreak()
	e.indention = true
	e.whitespace = true
	breaks := true
	for i := 0; i < len(s); {
		if isBreak(s, i) {
			e.writeBreak(s, &i)
			e.indention = true
			breaks = true
			continue
		}
		if breaks {
			e.writeIndent(indent)
		}
		// Copy the rest of the line at once.
		j := i
		for j < len(s) && s[j] != '\n' && s[j] != '\r' && s[j] != 0xC2 && s[j] != 0xE2 {
			j++
		}
		if j > i {
			e.out = append(e.out, s[i:j]...)
			e.column += utf8.RuneCountInString(s[i:j])
			i = j
		} else {
			e.writeChar(s, &i)
		}
		e.indention = false
		breaks = false
	}
}

// plainIsString reports whether s, written plain, reads back as the same
// string: yaml.v2's resolver gives it no other type (null, bool, int,
// float, timestamp, ...), and it is not a YAML 1.1 base-60 number, which
// yaml.v2 quotes for other parsers' sake.
func plainIsString(s string) bool {
	if s == "" {
		return false
	}
	switch c := s[0]; {
	case c == '+' || c == '-' || (c >= '0' && c <= '9'):
		return !resolvesAsNumber(s) && !isBase60Float(s)
	case c == '.':
		if isSpecialPlain(s) {
			return false
		}
		_, err := strconv.ParseFloat(s, 64)
		return err != nil
	case strings.IndexByte("yYnNtTfFoO~", c) >= 0:
		return !isSpecialPlain(s)
	}
	return true
}

// isSpecialPlain: the words YAML 1.1 reads as booleans, null and the float
// specials.
func isSpecialPlain(s string) bool {
	switch s {
	case "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON",
		"n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF",
		"~", "null", "Null", "NULL",
		".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF",
		"+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF":
		return true
	}
	return false
}

// resolvesAsNumber: s starts with a sign or a digit and yaml.v2's resolver
// reads it as a timestamp, an integer (any base strconv accepts, with
// underscores, or 0b binary) or a float.
func resolvesAsNumber(s string) bool {
	if isSpecialPlain(s) || isTimestamp(s) {
		return true
	}
	plain := strings.ReplaceAll(s, "_", "")
	if _, err := strconv.ParseInt(plain, 0, 64); err == nil {
		return true
	}
	if _, err := strconv.ParseUint(plain, 0, 64); err == nil {
		return true
	}
	if isYAMLFloat(plain) {
		if _, err := strconv.ParseFloat(plain, 64); err == nil {
			return true
		}
	}
	if rest, ok := strings.CutPrefix(plain, "0b"); ok {
		if _, err := strconv.ParseInt(rest, 2, 64); err == nil {
			return true
		}
		if _, err := strconv.ParseUint(rest, 2, 64); err == nil {
			return true
		}
	} else if rest, ok := strings.CutPrefix(plain, "-0b"); ok {
		if _, err := strconv.ParseInt("-"+rest, 2, 64); err == nil {
			return true
		}
	}
	return false
}

// isYAMLFloat matches [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
func isYAMLFloat(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			n++
		}
		return n
	}
	if i < len(s) && s[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	} else {
		if digits() == 0 {
			return false
		}
		if i < len(s) && s[i] == '.' {
			i++
			digits()
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(s)
}

// isBase60Float matches [-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?
func isBase60Float(s string) bool {
	if strings.IndexByte(s, ':') < 0 {
		return false
	}
	i := 0
	if s[i] == '+' || s[i] == '-' {
		i++
	}
	if i >= len(s) || s[i] < '0' || s[i] > '9' {
		return false
	}
	i++
	for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '_') {
		i++
	}
	groups := 0
	for i < len(s) && s[i] == ':' {
		i++
		// [0-5]?[0-9]: one digit, or [0-5] then a digit.
		switch {
		case i+1 < len(s) && s[i] >= '0' && s[i] <= '5' && s[i+1] >= '0' && s[i+1] <= '9':
			i += 2
		case i < len(s) && s[i] >= '0' && s[i] <= '9':
			i++
		default:
			return false
		}
		groups++
	}
	if groups == 0 {
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '_') {
			i++
		}
	}
	return i == len(s)
}

// timestampLayouts are the forms yaml.v2 reads as timestamps.
var timestampLayouts = []string{
	"2006-1-2T15:4:5.999999999Z07:00",
	"2006-1-2t15:4:5.999999999Z07:00",
	"2006-1-2 15:4:5.999999999",
	"2006-1-2",
}

func isTimestamp(s string) bool {
	if len(s) < 5 || s[4] != '-' {
		return false
	}
	for i := 0; i < 4; i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	for _, l := range timestampLayouts {
		if _, err := time.Parse(l, s); err == nil {
			return true
		}
	}
	return false
}
