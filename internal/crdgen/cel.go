package crdgen

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Istio writes its CEL validation rules in the API's comments with a few
// macros of its own that its CRD generator expands before the rules reach
// the API server:
//
//	oneof(a, b, ...)          (has(a) ? 1 : 0) + (has(b) ? 1 : 0) + ... <= 1
//	default(x, d)             (has(x) ? x : d)
//	t.index(d, f1, ..., fn)   (has(t.f1) && ... && has(t.f1...fn)) ? t.f1...fn : d
//
// celRule parses a rule, expands those macros and prints it back in the
// canonical form of CEL's own unparser (double-quoted strings, the
// parentheses precedence needs plus those it adds for readability), so the
// API server compiles exactly what Istio's generator would emit.

// celNode is one node of a parsed CEL expression.
type celNode struct {
	kind   celKind
	text   string     // identifier, field, function or operator; a literal's text (decoded for strings)
	target *celNode   // select operand, method receiver
	args   []*celNode // call arguments, operator operands, list elements, map keys and values in turn
}

type celKind int

const (
	celIdent celKind = iota
	celString
	celNumber // int, uint or double, printed as written
	celBytes
	celSelect
	celCall  // a function or method call, macros included
	celOp    // unary ("!", "-") or binary operator, or "?:"
	celIndex // target[args[0]]
	celList  // [args...]
	celMap   // {args[0]: args[1], ...}
)

// opPrecedence follows CEL's operator table: the higher, the looser.
func opPrecedence(n *celNode) int {
	if n.kind != celOp {
		return 0
	}
	switch n.text {
	case "?:":
		return 8
	case "||":
		return 7
	case "&&":
		return 6
	case "==", "!=", "<", "<=", ">", ">=", "in":
		return 5
	case "+", "-":
		if len(n.args) == 1 {
			return 2
		}
		return 4
	case "*", "/", "%":
		return 3
	case "!":
		return 2
	}
	return 0
}

// macros are the CEL macros: they print as calls but are comprehensions or
// field tests, never "complex" for the unparser's parenthesis rules.
var celMacros = map[string]bool{"has": true, "all": true, "exists": true, "exists_one": true, "map": true, "filter": true}

// complexNode is what CEL's unparser calls a complex operator: a call or
// operator of two or more arguments.
func complexNode(n *celNode) bool {
	switch n.kind {
	case celOp:
		return len(n.args) >= 2
	case celCall:
		return len(n.args) >= 2 && !celMacros[n.text]
	}
	return false
}

// binaryOrTernary reports a binary operator or the conditional.
func binaryOrTernary(n *celNode) bool {
	return n.kind == celOp && len(n.args) >= 2
}

// expandIstioRule parses a rule as Istio's comments write it and returns it
// with the macros expanded, printed canonically.
func expandIstioRule(rule string) (string, error) {
	n, err := parseCEL(rule)
	if err != nil {
		return "", err
	}
	n, err = expandMacros(n)
	if err != nil {
		return "", fmt.Errorf("%w in %q", err, rule)
	}
	return printCEL(n), nil
}

// canonicalCEL parses a rule and prints it canonically, without expanding
// anything: two rules with the same canonical form are the same expression.
func canonicalCEL(rule string) (string, error) {
	n, err := parseCEL(rule)
	if err != nil {
		return "", err
	}
	return printCEL(n), nil
}

func expandMacros(n *celNode) (*celNode, error) {
	if n == nil {
		return nil, nil
	}
	var err error
	if n.target, err = expandMacros(n.target); err != nil {
		return nil, err
	}
	for i, a := range n.args {
		if n.args[i], err = expandMacros(a); err != nil {
			return nil, err
		}
	}
	if n.kind != celCall {
		return n, nil
	}
	has := func(x *celNode) (*celNode, error) {
		if x.kind != celSelect {
			return nil, fmt.Errorf("%s needs fields (a.b), not %s", n.text, printCEL(x))
		}
		return &celNode{kind: celCall, text: "has", args: []*celNode{x}}, nil
	}
	cond := func(c, t, f *celNode) *celNode { return &celNode{kind: celOp, text: "?:", args: []*celNode{c, t, f}} }
	switch {
	case n.text == "oneof" && n.target == nil:
		if len(n.args) == 0 {
			return nil, fmt.Errorf("oneof() without fields")
		}
		var sum *celNode
		for _, a := range n.args {
			h, err := has(a)
			if err != nil {
				return nil, err
			}
			term := cond(h, &celNode{kind: celNumber, text: "1"}, &celNode{kind: celNumber, text: "0"})
			if sum == nil {
				sum = term
			} else {
				sum = &celNode{kind: celOp, text: "+", args: []*celNode{sum, term}}
			}
		}
		return &celNode{kind: celOp, text: "<=", args: []*celNode{sum, {kind: celNumber, text: "1"}}}, nil
	case n.text == "default" && n.target == nil:
		if len(n.args) != 2 {
			return nil, fmt.Errorf("default() takes a field and a value")
		}
		h, err := has(n.args[0])
		if err != nil {
			return nil, err
		}
		return cond(h, n.args[0], n.args[1]), nil
	case n.text == "index" && n.target != nil:
		if len(n.args) < 2 {
			return nil, fmt.Errorf("index() takes a default and one or more fields")
		}
		var test *celNode
		path := n.target
		for _, f := range n.args[1:] {
			if f.kind != celIdent {
				return nil, fmt.Errorf("index() fields must be names, not %s", printCEL(f))
			}
			path = &celNode{kind: celSelect, text: f.text, target: path}
			h, _ := has(path)
			if test == nil {
				test = h
			} else {
				test = &celNode{kind: celOp, text: "&&", args: []*celNode{test, h}}
			}
		}
		return cond(test, path, n.args[0]), nil
	}
	return n, nil
}

// printCEL writes an expression the way CEL's unparser does.
func printCEL(n *celNode) string {
	var b strings.Builder
	writeCEL(&b, n)
	return b.String()
}

func writeNested(b *strings.Builder, n *celNode, nested bool) {
	if nested {
		b.WriteByte('(')
	}
	writeCEL(b, n)
	if nested {
		b.WriteByte(')')
	}
}

func writeCEL(b *strings.Builder, n *celNode) {
	switch n.kind {
	case celIdent, celNumber:
		b.WriteString(n.text)
	case celString:
		b.WriteString(strconv.Quote(n.text))
	case celBytes:
		b.WriteByte('b')
		b.WriteString(strconv.Quote(n.text))
	case celSelect:
		// A unary operand is nested too, which CEL's unparser forgets.
		writeNested(b, n.target, binaryOrTernary(n.target) || n.target.kind == celOp)
		b.WriteByte('.')
		b.WriteString(n.text)
	case celIndex:
		writeNested(b, n.target, binaryOrTernary(n.target) || n.target.kind == celOp)
		b.WriteByte('[')
		writeCEL(b, n.args[0])
		b.WriteByte(']')
	case celCall:
		if n.target != nil {
			writeNested(b, n.target, binaryOrTernary(n.target) || n.target.kind == celOp)
			b.WriteByte('.')
		}
		b.WriteString(n.text)
		b.WriteByte('(')
		for i, a := range n.args {
			if i > 0 {
				b.WriteString(", ")
			}
			writeCEL(b, a)
		}
		b.WriteByte(')')
	case celList:
		b.WriteByte('[')
		for i, a := range n.args {
			if i > 0 {
				b.WriteString(", ")
			}
			writeCEL(b, a)
		}
		b.WriteByte(']')
	case celMap:
		b.WriteByte('{')
		for i := 0; i+1 < len(n.args); i += 2 {
			if i > 0 {
				b.WriteString(", ")
			}
			writeCEL(b, n.args[i])
			b.WriteString(": ")
			writeCEL(b, n.args[i+1])
		}
		b.WriteByte('}')
	case celOp:
		switch len(n.args) {
		case 1:
			b.WriteString(n.text)
			writeNested(b, n.args[0], complexNode(n.args[0]))
		case 2:
			l, r := n.args[0], n.args[1]
			p := opPrecedence(n)
			lp := complexNode(l) && p < opPrecedence(l)
			rp := complexNode(r) && p < opPrecedence(r)
			if !rp && n.text != "&&" && n.text != "||" {
				rp = r.kind == celOp && p == opPrecedence(r)
			}
			writeNested(b, l, lp)
			b.WriteString(" " + n.text + " ")
			writeNested(b, r, rp)
		case 3:
			for i, a := range n.args {
				if i == 1 {
					b.WriteString(" ? ")
				} else if i == 2 {
					b.WriteString(" : ")
				}
				writeNested(b, a, complexNode(a))
			}
		}
	}
}

// parseCEL parses the subset of CEL that validation rules use: every
// operator, member and index access, calls, list and map literals, strings
// (single, double, triple quoted and raw), numbers, bytes.
func parseCEL(src string) (*celNode, error) {
	toks, err := lexCEL(src)
	if err != nil {
		return nil, fmt.Errorf("CEL %q: %w", src, err)
	}
	p := &celParser{toks: toks}
	n, err := p.expr()
	if err == nil && p.pos < len(p.toks) {
		err = fmt.Errorf("unexpected %q", p.toks[p.pos].text)
	}
	if err != nil {
		return nil, fmt.Errorf("CEL %q: %w", src, err)
	}
	return n, nil
}

type celTokKind int

const (
	tokIdent celTokKind = iota
	tokNumber
	tokString
	tokBytes
	tokPunct
)

type celTok struct {
	kind celTokKind
	text string // decoded for strings and bytes
}

var celPuncts = []string{"==", "!=", "<=", ">=", "&&", "||", "<", ">", "!", "+", "-", "*", "/", "%", "?", ":", ".", ",", "(", ")", "[", "]", "{", "}"}

func lexCEL(src string) ([]celTok, error) {
	var toks []celTok
	i := 0
	for i < len(src) {
		c := src[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '/' && strings.HasPrefix(src[i:], "//"):
			for i < len(src) && src[i] != '\n' {
				i++
			}
		case c == '"' || c == '\'' || stringPrefix(src[i:]) > 0:
			kind, raw := tokString, false
			for _, p := range src[i : i+stringPrefix(src[i:])] {
				switch p {
				case 'r', 'R':
					raw = true
				case 'b', 'B':
					kind = tokBytes
				}
			}
			i += stringPrefix(src[i:])
			s, n, err := lexString(src[i:], raw)
			if err != nil {
				return nil, err
			}
			toks = append(toks, celTok{kind, s})
			i += n
		case c >= '0' && c <= '9' || c == '.' && i+1 < len(src) && src[i+1] >= '0' && src[i+1] <= '9':
			j := i
			if strings.HasPrefix(src[i:], "0x") || strings.HasPrefix(src[i:], "0X") {
				j += 2
				for j < len(src) && strings.IndexByte("0123456789abcdefABCDEF", src[j]) >= 0 {
					j++
				}
			} else {
				for j < len(src) && (src[j] >= '0' && src[j] <= '9' || src[j] == '.' ||
					src[j] == 'e' || src[j] == 'E' ||
					(src[j] == '-' || src[j] == '+') && (src[j-1] == 'e' || src[j-1] == 'E')) {
					j++
				}
			}
			if j < len(src) && (src[j] == 'u' || src[j] == 'U') {
				j++
			}
			toks = append(toks, celTok{tokNumber, src[i:j]})
			i = j
		case c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			j := i
			for j < len(src) && (src[j] == '_' || src[j] >= 'a' && src[j] <= 'z' || src[j] >= 'A' && src[j] <= 'Z' || src[j] >= '0' && src[j] <= '9') {
				j++
			}
			toks = append(toks, celTok{tokIdent, src[i:j]})
			i = j
		default:
			found := false
			for _, p := range celPuncts {
				if strings.HasPrefix(src[i:], p) {
					toks = append(toks, celTok{tokPunct, p})
					i += len(p)
					found = true
					break
				}
			}
			if !found {
				r, _ := utf8.DecodeRuneInString(src[i:])
				return nil, fmt.Errorf("unexpected character %q at %d", r, i)
			}
		}
	}
	return toks, nil
}

// stringPrefix is the length of a string literal's prefix (r, b, rb, ...)
// at the start of s, 0 when s does not start with one.
func stringPrefix(s string) int {
	n := 0
	for n < len(s) && n < 2 && strings.IndexByte("rRbB", s[n]) >= 0 {
		n++
	}
	if n == 2 && strings.EqualFold(s[:1], s[1:2]) {
		return 0 // "rr", "bb": not a prefix
	}
	if n > 0 && n < len(s) && (s[n] == '"' || s[n] == '\'') {
		return n
	}
	return 0
}

// lexString reads a quoted string at the start of s and returns its value
// and the bytes it took.
func lexString(s string, raw bool) (string, int, error) {
	q := s[:1]
	if strings.HasPrefix(s, q+q+q) {
		q = q + q + q
	}
	var b strings.Builder
	i := len(q)
	for {
		if i >= len(s) {
			return "", 0, fmt.Errorf("unterminated string")
		}
		if strings.HasPrefix(s[i:], q) {
			return b.String(), i + len(q), nil
		}
		c := s[i]
		if len(q) == 1 && (c == '\n' || c == '\r') {
			return "", 0, fmt.Errorf("newline in string")
		}
		if c != '\\' || raw {
			b.WriteByte(c)
			i++
			continue
		}
		if i+1 >= len(s) {
			return "", 0, fmt.Errorf("unterminated escape")
		}
		e := s[i+1]
		i += 2
		switch e {
		case '\\', '"', '\'', '`', '?':
			b.WriteByte(e)
		case 'a':
			b.WriteByte('\a')
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'v':
			b.WriteByte('\v')
		case 'x', 'X', 'u', 'U':
			n := map[byte]int{'x': 2, 'X': 2, 'u': 4, 'U': 8}[e]
			if i+n > len(s) {
				return "", 0, fmt.Errorf("short \\%c escape", e)
			}
			v, err := strconv.ParseUint(s[i:i+n], 16, 32)
			if err != nil {
				return "", 0, fmt.Errorf("bad \\%c escape", e)
			}
			if e == 'x' || e == 'X' {
				b.WriteByte(byte(v))
			} else {
				b.WriteRune(rune(v))
			}
			i += n
		case '0', '1', '2', '3':
			if i+2 > len(s) {
				return "", 0, fmt.Errorf("short octal escape")
			}
			v, err := strconv.ParseUint(s[i-1:i+2], 8, 8)
			if err != nil {
				return "", 0, fmt.Errorf("bad octal escape")
			}
			b.WriteByte(byte(v))
			i += 2
		default:
			return "", 0, fmt.Errorf("unknown escape \\%c", e)
		}
	}
}

type celParser struct {
	toks []celTok
	pos  int
}

func (p *celParser) peek() (celTok, bool) {
	if p.pos < len(p.toks) {
		return p.toks[p.pos], true
	}
	return celTok{}, false
}

// accept consumes the punctuation or keyword s if it comes next.
func (p *celParser) accept(s string) bool {
	if t, ok := p.peek(); ok && (t.kind == tokPunct || t.kind == tokIdent) && t.text == s {
		p.pos++
		return true
	}
	return false
}

func (p *celParser) expect(s string) error {
	if !p.accept(s) {
		if t, ok := p.peek(); ok {
			return fmt.Errorf("want %q, have %q", s, t.text)
		}
		return fmt.Errorf("want %q at the end", s)
	}
	return nil
}

func (p *celParser) expr() (*celNode, error) {
	c, err := p.binary(0)
	if err != nil {
		return nil, err
	}
	if !p.accept("?") {
		return c, nil
	}
	t, err := p.binary(0)
	if err != nil {
		return nil, err
	}
	if err := p.expect(":"); err != nil {
		return nil, err
	}
	f, err := p.expr()
	if err != nil {
		return nil, err
	}
	return &celNode{kind: celOp, text: "?:", args: []*celNode{c, t, f}}, nil
}

// binaryLevels lists the binary operators from the loosest to the tightest.
var binaryLevels = [][]string{
	{"||"},
	{"&&"},
	{"==", "!=", "<=", ">=", "<", ">", "in"},
	{"+", "-"},
	{"*", "/", "%"},
}

func (p *celParser) binary(level int) (*celNode, error) {
	if level == len(binaryLevels) {
		return p.unary()
	}
	l, err := p.binary(level + 1)
	if err != nil {
		return nil, err
	}
	for {
		t, ok := p.peek()
		isOp := t.kind == tokPunct || t.kind == tokIdent && t.text == "in"
		if !ok || !isOp || !containsStr(binaryLevels[level], t.text) {
			return l, nil
		}
		p.pos++
		r, err := p.binary(level + 1)
		if err != nil {
			return nil, err
		}
		l = &celNode{kind: celOp, text: t.text, args: []*celNode{l, r}}
	}
}

func containsStr(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (p *celParser) unary() (*celNode, error) {
	for _, op := range []string{"!", "-"} {
		if t, ok := p.peek(); ok && t.kind == tokPunct && t.text == op {
			p.pos++
			x, err := p.unary()
			if err != nil {
				return nil, err
			}
			return &celNode{kind: celOp, text: op, args: []*celNode{x}}, nil
		}
	}
	return p.member()
}

func (p *celParser) member() (*celNode, error) {
	n, err := p.primary()
	if err != nil {
		return nil, err
	}
	for {
		switch {
		case p.accept("."):
			t, ok := p.peek()
			if !ok || t.kind != tokIdent {
				return nil, fmt.Errorf("want a field name after '.'")
			}
			p.pos++
			if p.accept("(") {
				args, err := p.list(")")
				if err != nil {
					return nil, err
				}
				n = &celNode{kind: celCall, text: t.text, target: n, args: args}
			} else {
				n = &celNode{kind: celSelect, text: t.text, target: n}
			}
		case p.accept("["):
			i, err := p.expr()
			if err != nil {
				return nil, err
			}
			if err := p.expect("]"); err != nil {
				return nil, err
			}
			n = &celNode{kind: celIndex, target: n, args: []*celNode{i}}
		default:
			return n, nil
		}
	}
}

// list reads comma-separated expressions up to the closing token.
func (p *celParser) list(end string) ([]*celNode, error) {
	var out []*celNode
	if p.accept(end) {
		return out, nil
	}
	for {
		x, err := p.expr()
		if err != nil {
			return nil, err
		}
		out = append(out, x)
		if p.accept(end) {
			return out, nil
		}
		if err := p.expect(","); err != nil {
			return nil, err
		}
		if p.accept(end) { // trailing comma
			return out, nil
		}
	}
}

func (p *celParser) primary() (*celNode, error) {
	t, ok := p.peek()
	if !ok {
		return nil, fmt.Errorf("unexpected end")
	}
	p.pos++
	switch t.kind {
	case tokString:
		return &celNode{kind: celString, text: t.text}, nil
	case tokBytes:
		return &celNode{kind: celBytes, text: t.text}, nil
	case tokNumber:
		return &celNode{kind: celNumber, text: t.text}, nil
	case tokIdent:
		if t.text == "in" {
			return nil, fmt.Errorf("unexpected 'in'")
		}
		if p.accept("(") {
			args, err := p.list(")")
			if err != nil {
				return nil, err
			}
			return &celNode{kind: celCall, text: t.text, args: args}, nil
		}
		return &celNode{kind: celIdent, text: t.text}, nil
	}
	switch t.text {
	case "(":
		x, err := p.expr()
		if err != nil {
			return nil, err
		}
		return x, p.expect(")")
	case "[":
		elems, err := p.list("]")
		if err != nil {
			return nil, err
		}
		return &celNode{kind: celList, args: elems}, nil
	case "{":
		n := &celNode{kind: celMap}
		if p.accept("}") {
			return n, nil
		}
		for {
			k, err := p.expr()
			if err != nil {
				return nil, err
			}
			if err := p.expect(":"); err != nil {
				return nil, err
			}
			v, err := p.expr()
			if err != nil {
				return nil, err
			}
			n.args = append(n.args, k, v)
			if p.accept("}") {
				return n, nil
			}
			if err := p.expect(","); err != nil {
				return nil, err
			}
			if p.accept("}") {
				return n, nil
			}
		}
	case ".":
		// A leading dot names the root scope: .a.b
		t, ok := p.peek()
		if !ok || t.kind != tokIdent {
			return nil, fmt.Errorf("want a name after a leading '.'")
		}
		p.pos++
		return &celNode{kind: celIdent, text: "." + t.text}, nil
	}
	return nil, fmt.Errorf("unexpected %q", t.text)
}
