package inject

import (
	"bytes"
	"encoding/json"
	"errors"
	"sort"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// errFallback means a change cannot be made as a text edit (a flow-style
// collection, a multi-line scalar); the document is then written from its
// node tree instead.
var errFallback = errors.New("change needs the whole document rewritten")

// patcher makes the changes injection and uninjection need, either as line
// edits of the original text (which keeps every other byte) or on the node
// tree (for JSON and flow-style YAML).
type patcher interface {
	insertKeys(m *yaml.Node, keyIndent int, pairs []*yaml.Node) error
	insertItems(seq *yaml.Node, at int, items []*yaml.Node, keyIndent int) error
	replaceScalar(n *yaml.Node, v, tag string) error
	// replaceNoted is replaceScalar that also adds a note (a comment right
	// after the value) or takes one away.
	replaceNoted(n *yaml.Node, v, tag, add, drop string) error
	// noteAfter adds a note after flow collection n, or takes one away,
	// where n ends its line; elsewhere it does nothing.
	noteAfter(n *yaml.Node, add, drop string) error
	// replaceEntry replaces the entry at key index idx with pairs; drop is a
	// note to take away from after the old value (see replaceNoted).
	replaceEntry(m *yaml.Node, idx int, pairs []*yaml.Node, drop string) error
	deleteEntry(m *yaml.Node, idx int) error
	deleteItem(seq *yaml.Node, idx int) error
	fillNull(m *yaml.Node, idx int, v *yaml.Node, keyIndent int) error
}

// ---- text edits ----

// lineEdit replaces the bytes [start, end) of the document with text.
type lineEdit struct {
	start, end int
	text       string
	seq        int
	// line: the edit starts a line, which then needs a newline before it.
	line bool
}

type textPatcher struct {
	src   string
	lines []string
	off   []int // offset of each line, and of the end
	st    style
	edits []lineEdit
	// flowDel holds the items to delete from each flow collection; they
	// become edits together, since neighbours share separators.
	flowDel   map[*yaml.Node]map[int]bool
	flowOrder []*yaml.Node
	// unsafe: the document has a flow collection over several lines,
	// which line edits cannot work around.
	unsafe bool
}

func newTextPatcher(src []byte, root *yaml.Node) *textPatcher {
	lines := strings.SplitAfter(string(src), "\n")
	if len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	t := &textPatcher{src: string(src), lines: lines, off: make([]int, len(lines)+1)}
	for i, l := range lines {
		t.off[i+1] = t.off[i] + len(l)
	}
	t.st = detectStyle(root, lines)
	t.unsafe = hasOddBreaks(src) || hasMultiLineFlow(root, lines)
	return t
}

// hasOddBreaks reports line breaks YAML knows but line edits do not: a
// lone carriage return, NEL, LS and PS.
func hasOddBreaks(src []byte) bool {
	for i, c := range src {
		if c == '\r' && (i+1 == len(src) || src[i+1] != '\n') {
			return true
		}
	}
	return bytes.Contains(src, []byte("\u0085")) || bytes.Contains(src, []byte("\u2028")) || bytes.Contains(src, []byte("\u2029"))
}

func hasMultiLineFlow(n *yaml.Node, lines []string) bool {
	if n.Line-1 >= len(lines) && n.Kind != yaml.DocumentNode {
		return n.Kind != yaml.ScalarNode || n.Value != ""
	}
	if (n.Kind == yaml.MappingNode || n.Kind == yaml.SequenceNode) && isFlow(n) {
		return !closesOnLine(lines[n.Line-1], n.Column-1)
	}
	if n.Kind == yaml.ScalarNode && n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) == 0 {
		return !scalarOnLine(lines[n.Line-1], n)
	}
	for _, c := range n.Content {
		if hasMultiLineFlow(c, lines) {
			return true
		}
	}
	return false
}

// scalarOnLine reports whether a plain or quoted scalar ends on its first
// line.
func scalarOnLine(l string, n *yaml.Node) bool {
	l = strings.TrimRight(l, "\r\n")
	c := n.Column - 1
	if c > len(l) {
		return false
	}
	rest := l[c:]
	switch {
	case n.Style&yaml.DoubleQuotedStyle != 0:
		for j := 1; j < len(rest); j++ {
			if rest[j] == '\\' {
				j++
				continue
			}
			if rest[j] == '"' {
				return true
			}
		}
		return false
	case n.Style&yaml.SingleQuotedStyle != 0:
		for j := 1; j < len(rest); j++ {
			if rest[j] == '\'' {
				if j+1 < len(rest) && rest[j+1] == '\'' {
					j++
					continue
				}
				return true
			}
		}
		return false
	}
	if n.Value == "" || n.Tag == "!!null" {
		return true
	}
	if k := strings.Index(rest, " #"); k >= 0 {
		rest = rest[:k]
	}
	return strings.HasPrefix(strings.TrimRight(rest, " \t"), n.Value) || !strings.Contains(n.Value, " ") && strings.HasPrefix(rest, n.Value)
}

// closesOnLine reports whether the flow collection opening at column c of
// line l closes on the same line.
func closesOnLine(l string, c int) bool {
	depth := 0
	var quote byte
	for i := c; i < len(l); i++ {
		ch := l[i]
		switch {
		case quote != 0:
			if ch == '\\' && quote == '"' {
				i++
			} else if ch == quote {
				quote = 0
			}
		case ch == '"' || ch == '\'':
			quote = ch
		case ch == '[' || ch == '{':
			depth++
		case ch == ']' || ch == '}':
			depth--
			if depth == 0 {
				return true
			}
		case ch == '#' && i > 0 && l[i-1] == ' ':
			return false
		}
	}
	return false
}

// detectStyle learns the indentation unit and the sequence style from the
// first nested block mapping and block sequence under a key.
func detectStyle(root *yaml.Node, lines []string) style {
	st := style{unit: 2, seqIndent: 0}
	foundMap, foundSeq := false, false
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		if n.Kind != yaml.MappingNode || n.Style&yaml.FlowStyle != 0 {
			for _, c := range n.Content {
				walk(c)
			}
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if v.Style&yaml.FlowStyle == 0 && len(v.Content) > 0 {
				switch v.Kind {
				case yaml.MappingNode:
					if !foundMap && v.Line > k.Line {
						st.unit, foundMap = v.Column-k.Column, true
					}
				case yaml.SequenceNode:
					if !foundSeq && v.Content[0].Line > k.Line {
						if d := dashCol(lines, v.Content[0]); d >= 0 {
							st.seqIndent, foundSeq = d-(k.Column-1), true
						}
					}
				}
			}
			walk(v)
		}
	}
	walk(root)
	if st.unit <= 0 {
		st.unit = 2
	}
	if st.seqIndent < 0 {
		st.seqIndent = 0
	}
	return st
}

func dashCol(lines []string, item *yaml.Node) int {
	if item.Line-1 >= len(lines) {
		return -1
	}
	l := lines[item.Line-1]
	for c := item.Column - 2; c >= 0 && c < len(l); c-- {
		if l[c] == '-' {
			return c
		}
		if l[c] != ' ' {
			return -1
		}
	}
	return -1
}

func indentOf(l string) int {
	return len(l) - len(strings.TrimLeft(l, " "))
}

func isDash(t string) bool {
	return t == "-" || strings.HasPrefix(t, "- ") || strings.HasPrefix(t, "-\n") || strings.HasPrefix(t, "-\r")
}

// scan returns the line index just past the block that starts at line start
// and whose continuation lines are indented more than ind (or, when
// dashContinues, start a sequence item at ind).
func (t *textPatcher) scan(start, ind int, dashContinues bool) int {
	last := start
	for i := start + 1; i < len(t.lines); i++ {
		tr := strings.TrimSpace(t.lines[i])
		if tr == "" || tr[0] == '#' {
			continue
		}
		li := indentOf(t.lines[i])
		if li > ind || (dashContinues && li == ind && isDash(tr)) {
			last = i
			continue
		}
		break
	}
	return last + 1
}

func (t *textPatcher) entryEnd(m *yaml.Node, idx int) int {
	k := m.Content[idx]
	return t.scan(k.Line-1, k.Column-1, true)
}

func (t *textPatcher) itemEnd(seq *yaml.Node, idx int) (int, error) {
	it := seq.Content[idx]
	d := dashCol(t.lines, it)
	if d < 0 {
		return 0, errFallback
	}
	return t.scan(it.Line-1, d, false), nil
}

// add replaces del lines from line at with text.
func (t *textPatcher) add(at, del int, text string) {
	t.edits = append(t.edits, lineEdit{start: t.off[at], end: t.off[at+del], text: text, seq: len(t.edits), line: true})
}

// addBytes replaces the bytes [start, end) with text.
func (t *textPatcher) addBytes(start, end int, text string) {
	t.edits = append(t.edits, lineEdit{start: start, end: end, text: text, seq: len(t.edits)})
}

// pos is the offset of a node's first character (columns count
// characters, not bytes).
func (t *textPatcher) pos(n *yaml.Node) (int, error) {
	i := n.Line - 1
	if i < 0 || i >= len(t.lines) {
		return 0, errFallback
	}
	l := t.lines[i]
	c := 0
	for k := range l {
		if c == n.Column-1 {
			return t.off[i] + k, nil
		}
		c++
	}
	return 0, errFallback
}

// flowSpans finds, in a flow collection on one line, the offsets of its
// closing bracket and of where each item (each key: value of a mapping)
// starts and ends.
func (t *textPatcher) flowSpans(n *yaml.Node) (closing int, starts, ends []int, err error) {
	open, err := t.pos(n)
	if err != nil {
		return 0, nil, nil, err
	}
	lineEnd := strings.IndexByte(t.src[open:], '\n')
	if lineEnd < 0 {
		lineEnd = len(t.src)
	} else {
		lineEnd += open
	}
	closing = -1
	depth := 0
	var quote byte
scan:
	for i := open; i < lineEnd; i++ {
		ch := t.src[i]
		switch {
		case quote != 0:
			if ch == '\\' && quote == '"' {
				i++
			} else if ch == quote {
				if quote == '\'' && i+1 < lineEnd && t.src[i+1] == '\'' {
					i++
				} else {
					quote = 0
				}
			}
		case ch == '"' || ch == '\'':
			quote = ch
		case ch == '[' || ch == '{':
			depth++
		case ch == ']' || ch == '}':
			depth--
			if depth == 0 {
				closing = i
				break scan
			}
		}
	}
	if closing < 0 || (t.src[open] != '{' && t.src[open] != '[') {
		return 0, nil, nil, errFallback
	}
	step := 1
	if n.Kind == yaml.MappingNode {
		step = 2
	}
	for i := 0; i < len(n.Content); i += step {
		p, err := t.pos(n.Content[i])
		if err != nil || p <= open || p >= closing {
			return 0, nil, nil, errFallback
		}
		starts = append(starts, p)
	}
	// An item ends at the last non-blank before the comma that separates it
	// from the next one (or before the closing bracket and a trailing comma).
	back := func(p int, comma bool) (int, bool) {
		for p > open && (t.src[p-1] == ' ' || t.src[p-1] == '\t') {
			p--
		}
		if comma {
			if p <= open || t.src[p-1] != ',' {
				return p, false
			}
			p--
			for p > open && (t.src[p-1] == ' ' || t.src[p-1] == '\t') {
				p--
			}
		}
		return p, true
	}
	for k := range starts {
		var e int
		if k+1 < len(starts) {
			var ok bool
			if e, ok = back(starts[k+1], true); !ok {
				return 0, nil, nil, errFallback
			}
		} else {
			e, _ = back(closing, false)
			if e > open && t.src[e-1] == ',' {
				e, _ = back(closing, true)
			}
		}
		if e <= starts[k] {
			return 0, nil, nil, errFallback
		}
		ends = append(ends, e)
	}
	return closing, starts, ends, nil
}

// flowInsert puts items (flow text) into flow collection n before item at.
func (t *textPatcher) flowInsert(n *yaml.Node, at int, items []string) error {
	closing, starts, ends, err := t.flowSpans(n)
	if err != nil {
		return err
	}
	text := strings.Join(items, ", ")
	switch {
	case len(starts) == 0:
		t.addBytes(closing, closing, text)
	case at < len(starts):
		t.addBytes(starts[at], starts[at], text+", ")
	default:
		t.addBytes(ends[len(ends)-1], ends[len(ends)-1], ", "+text)
	}
	return nil
}

// flowDelete marks item i of flow collection n for deletion.
func (t *textPatcher) flowDelete(n *yaml.Node, i int) {
	if t.flowDel == nil {
		t.flowDel = map[*yaml.Node]map[int]bool{}
	}
	if t.flowDel[n] == nil {
		t.flowDel[n] = map[int]bool{}
		t.flowOrder = append(t.flowOrder, n)
	}
	t.flowDel[n][i] = true
}

// flowDeletions turns the marked items into edits: each run of deleted
// items goes with the separator before it, or after it for a run at the
// start, so that deleting what flowInsert added gives back the text.
func (t *textPatcher) flowDeletions() error {
	for _, n := range t.flowOrder {
		_, starts, ends, err := t.flowSpans(n)
		if err != nil {
			return err
		}
		del := t.flowDel[n]
		for a := 0; a < len(starts); a++ {
			if !del[a] {
				continue
			}
			b := a
			for b+1 < len(starts) && del[b+1] {
				b++
			}
			switch {
			case a > 0:
				t.addBytes(ends[a-1], ends[b], "")
			case b+1 < len(starts):
				t.addBytes(starts[0], starts[b+1], "")
			default:
				t.addBytes(starts[0], ends[b], "")
			}
			a = b
		}
	}
	return nil
}

func isFlow(n *yaml.Node) bool { return n.Style&yaml.FlowStyle != 0 }

func (t *textPatcher) insertKeys(m *yaml.Node, keyIndent int, pairs []*yaml.Node) error {
	var b bytes.Buffer
	if isFlow(m) {
		var items []string
		for i := 0; i+1 < len(pairs); i += 2 {
			items = append(items, flowText(pairs[i])+": "+flowText(pairs[i+1]))
		}
		return t.flowInsert(m, len(m.Content)/2, items)
	}
	if len(m.Content) == 0 {
		return errFallback
	}
	t.st.writeEntries(&b, pairs, m.Content[0].Column-1)
	t.add(t.entryEnd(m, len(m.Content)-2), 0, b.String())
	return nil
}

func (t *textPatcher) insertItems(seq *yaml.Node, at int, items []*yaml.Node, keyIndent int) error {
	var b bytes.Buffer
	if isFlow(seq) {
		var texts []string
		for _, it := range items {
			texts = append(texts, flowText(it))
		}
		return t.flowInsert(seq, at, texts)
	}
	if len(seq.Content) == 0 {
		return errFallback
	}
	d := dashCol(t.lines, seq.Content[0])
	if d < 0 {
		return errFallback
	}
	t.st.writeItems(&b, items, d)
	pos := 0
	if at < len(seq.Content) {
		pos = seq.Content[at].Line - 1
	} else {
		end, err := t.itemEnd(seq, len(seq.Content)-1)
		if err != nil {
			return err
		}
		pos = end
	}
	t.add(pos, 0, b.String())
	return nil
}

func (t *textPatcher) replaceScalar(n *yaml.Node, v, tag string) error {
	return t.replaceNoted(n, v, tag, "", "")
}

func (t *textPatcher) replaceNoted(n *yaml.Node, v, tag, add, drop string) error {
	if n.Kind != yaml.ScalarNode || n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		return errFallback
	}
	start, err := t.pos(n)
	if err != nil {
		return err
	}
	i := n.Line - 1
	c := start - t.off[i]
	l := strings.TrimRight(t.lines[i], "\r\n")
	if c > len(l) {
		return errFallback
	}
	// In a flow collection the value may be followed by more on its line,
	// and a note cannot be written.
	flow := isFlowContext(l[:c])
	if flow && (add != "" || drop != "") {
		add, drop = "", ""
	}
	end := -1
	switch {
	case n.Style&yaml.DoubleQuotedStyle != 0:
		for j := c + 1; j < len(l); j++ {
			if l[j] == '\\' {
				j++
				continue
			}
			if l[j] == '"' {
				end = j + 1
				break
			}
		}
	case n.Style&yaml.SingleQuotedStyle != 0:
		for j := c + 1; j < len(l); j++ {
			if l[j] == '\'' {
				if j+1 < len(l) && l[j+1] == '\'' {
					j++
					continue
				}
				end = j + 1
				break
			}
		}
	case flow:
		// A plain scalar in a flow collection ends at a flow indicator.
		if strings.Contains(n.Value, "\n") || !strings.HasPrefix(l[c:], n.Value) {
			return errFallback
		}
		end = c + len(n.Value)
		if end < len(l) && !strings.ContainsRune(" \t,]}", rune(l[end])) {
			return errFallback
		}
	default:
		end = len(l)
		if k := strings.Index(l[c:], " #"); k >= 0 {
			end = c + k
		}
		for end > c && l[end-1] == ' ' {
			end--
		}
		if strings.Contains(n.Value, "\n") || l[c:end] != n.Value && tag == "" {
			return errFallback
		}
	}
	if end < 0 {
		return errFallback
	}
	var text string
	switch {
	case n.Style&yaml.DoubleQuotedStyle != 0:
		b, _ := json.Marshal(v)
		text = string(b)
	case n.Style&yaml.SingleQuotedStyle != 0:
		text = "'" + strings.ReplaceAll(v, "'", "''") + "'"
	case tag != "!!str":
		text = v
	case flow:
		text = flowScalarText(v, false)
	default:
		text = scalarText(v, false)
	}
	rest := l[end:]
	// A note not found as written (its spacing edited) stays.
	if drop != "" && strings.HasPrefix(rest, " "+drop) && (len(rest) == len(drop)+1 || rest[len(drop)+1] == ' ') {
		rest = rest[len(drop)+1:]
	}
	if add != "" {
		text += " " + add
	}
	t.addBytes(start, t.off[i]+len(l)-len(rest), text)
	return nil
}

func (t *textPatcher) noteAfter(n *yaml.Node, add, drop string) error {
	if !isFlow(n) {
		return nil
	}
	closing, _, _, err := t.flowSpans(n)
	if err != nil {
		return err
	}
	end := strings.IndexByte(t.src[closing:], '\n')
	if end < 0 {
		end = len(t.src)
	} else {
		end += closing
	}
	rest := strings.TrimSuffix(t.src[closing+1:end], "\r")
	if rest != "" && !strings.HasPrefix(rest, " #") {
		return nil
	}
	if drop != "" && strings.HasPrefix(rest, " "+drop) && (len(rest) == len(drop)+1 || rest[len(drop)+1] == ' ') {
		t.addBytes(closing+1, closing+2+len(drop), "")
	}
	if add != "" {
		t.addBytes(closing+1, closing+1, " "+add)
	}
	return nil
}

// isFlowContext reports whether a line prefix opens a flow collection.
func isFlowContext(prefix string) bool {
	return strings.ContainsAny(prefix, "{[")
}

func (t *textPatcher) replaceEntry(m *yaml.Node, idx int, pairs []*yaml.Node, drop string) error {
	if old := m.Content[idx+1]; !isFlow(m) && isFlow(old) && len(pairs) == 2 && old.Line == m.Content[idx].Line {
		// A flow value on its key's line is replaced in flow style, and
		// what follows it on the line stays.
		closing, _, _, err := t.flowSpans(old)
		if err != nil {
			return err
		}
		k, err := t.pos(m.Content[idx])
		if err != nil {
			return err
		}
		end := strings.IndexByte(t.src[closing:], '\n')
		if end < 0 {
			end = len(t.src)
		} else {
			end += closing
		}
		rest := strings.TrimSuffix(t.src[closing+1:end], "\r")
		if drop != "" && strings.HasPrefix(rest, " "+drop) && (len(rest) == len(drop)+1 || rest[len(drop)+1] == ' ') {
			rest = rest[len(drop)+1:]
		}
		text := flowText(pairs[0]) + ": " + flowText(pairs[1])
		if note := portNoteOf(pairs[1]); note != "" {
			text += " " + note
		}
		t.addBytes(k, closing+1+len(strings.TrimSuffix(t.src[closing+1:end], "\r"))-len(rest), text)
		return nil
	}
	if isFlow(m) {
		_, starts, ends, err := t.flowSpans(m)
		if err != nil {
			return err
		}
		var items []string
		for i := 0; i+1 < len(pairs); i += 2 {
			items = append(items, flowText(pairs[i])+": "+flowText(pairs[i+1]))
		}
		t.addBytes(starts[idx/2], ends[idx/2], strings.Join(items, ", "))
		return nil
	}
	k := m.Content[idx]
	var b bytes.Buffer
	t.st.writeEntries(&b, pairs, k.Column-1)
	start := k.Line - 1
	t.add(start, t.entryEnd(m, idx)-start, b.String())
	return nil
}

func (t *textPatcher) deleteEntry(m *yaml.Node, idx int) error {
	if isFlow(m) {
		t.flowDelete(m, idx/2)
		return nil
	}
	start := m.Content[idx].Line - 1
	t.add(start, t.entryEnd(m, idx)-start, "")
	return nil
}

func (t *textPatcher) deleteItem(seq *yaml.Node, idx int) error {
	if isFlow(seq) {
		t.flowDelete(seq, idx)
		return nil
	}
	end, err := t.itemEnd(seq, idx)
	if err != nil {
		return err
	}
	start := seq.Content[idx].Line - 1
	t.add(start, end-start, "")
	return nil
}

func (t *textPatcher) fillNull(m *yaml.Node, idx int, v *yaml.Node, keyIndent int) error {
	k, old := m.Content[idx], m.Content[idx+1]
	if isFlow(m) || old.Value != "" || old.Line != k.Line {
		return errFallback
	}
	var b bytes.Buffer
	switch v.Kind {
	case yaml.MappingNode:
		t.st.writeEntries(&b, v.Content, k.Column-1+t.st.unit)
	case yaml.SequenceNode:
		t.st.writeItems(&b, v.Content, k.Column-1+t.st.seqIndent)
	default:
		return errFallback
	}
	t.add(k.Line, 0, b.String())
	return nil
}

// result applies the edits to the original text.
func (t *textPatcher) result() ([]byte, error) {
	if t.unsafe {
		return nil, errFallback
	}
	if err := t.flowDeletions(); err != nil {
		return nil, err
	}
	sort.SliceStable(t.edits, func(i, j int) bool {
		if t.edits[i].start != t.edits[j].start {
			return t.edits[i].start < t.edits[j].start
		}
		return t.edits[i].seq < t.edits[j].seq
	})
	var b bytes.Buffer
	size := len(t.src) + len(t.edits)
	for _, e := range t.edits {
		size += len(e.text)
	}
	b.Grow(size)
	pos := 0
	for _, e := range t.edits {
		if e.start < pos {
			return nil, errFallback
		}
		b.WriteString(t.src[pos:e.start])
		if e.line && b.Len() > 0 && b.Bytes()[b.Len()-1] != '\n' && e.text != "" {
			b.WriteByte('\n')
		}
		b.WriteString(e.text)
		pos = e.end
	}
	b.WriteString(t.src[pos:])
	return b.Bytes(), nil
}

// ---- node edits ----

type nodePatcher struct{}

func (nodePatcher) insertKeys(m *yaml.Node, _ int, pairs []*yaml.Node) error {
	if len(m.Content) == 0 {
		m.Style = 0
	}
	m.Content = append(m.Content, pairs...)
	return nil
}

func (nodePatcher) insertItems(seq *yaml.Node, at int, items []*yaml.Node, _ int) error {
	if len(seq.Content) == 0 {
		seq.Style = 0
	}
	out := append([]*yaml.Node{}, seq.Content[:at]...)
	out = append(out, items...)
	seq.Content = append(out, seq.Content[at:]...)
	return nil
}

func (nodePatcher) replaceScalar(n *yaml.Node, v, tag string) error {
	n.Value, n.Tag = v, tag
	if tag != "!!str" {
		n.Style = 0
	}
	return nil
}

func (p nodePatcher) replaceNoted(n *yaml.Node, v, tag, add, drop string) error {
	if drop != "" {
		n.LineComment = strings.TrimPrefix(strings.TrimPrefix(n.LineComment, drop), " ")
	}
	if add != "" {
		n.LineComment = strings.TrimSuffix(add+" "+n.LineComment, " ")
	}
	return p.replaceScalar(n, v, tag)
}

func (nodePatcher) noteAfter(n *yaml.Node, add, drop string) error {
	if drop != "" {
		n.LineComment = strings.TrimPrefix(strings.TrimPrefix(n.LineComment, drop), " ")
	}
	if add != "" {
		n.LineComment = strings.TrimSuffix(add+" "+n.LineComment, " ")
	}
	return nil
}

func (nodePatcher) replaceEntry(m *yaml.Node, idx int, pairs []*yaml.Node, _ string) error {
	out := append([]*yaml.Node{}, m.Content[:idx]...)
	out = append(out, pairs...)
	m.Content = append(out, m.Content[idx+2:]...)
	return nil
}

func (nodePatcher) deleteEntry(m *yaml.Node, idx int) error {
	m.Content = append(m.Content[:idx:idx], m.Content[idx+2:]...)
	return nil
}

func (nodePatcher) deleteItem(seq *yaml.Node, idx int) error {
	seq.Content = append(seq.Content[:idx:idx], seq.Content[idx+1:]...)
	return nil
}

func (nodePatcher) fillNull(m *yaml.Node, idx int, v *yaml.Node, _ int) error {
	m.Content[idx+1] = v
	return nil
}
