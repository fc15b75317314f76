package yamlstream

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	goccy "github.com/goccy/go-yaml"
	goccyparser "github.com/goccy/go-yaml/parser"
)

// Error is a mistake at a place in a document: every error about a
// document's content names the file, the document and the line (and the
// column where it is known) once, in this form:
//
//	app.yaml (document 2, line 17, column 9): found character that cannot start any token
type Error struct {
	Source string
	Index  int
	// Line and Column are 1-based and count from the start of the file;
	// Column is 0 when unknown.
	Line, Column int
	Err          error
}

func (e *Error) Error() string { return e.Place() + ": " + e.Err.Error() }

func (e *Error) Unwrap() error { return e.Err }

// Place is "app.yaml (document 2, line 17, column 9)".
func (e *Error) Place() string {
	s := fmt.Sprintf("%s (document %d, line %d", e.Source, e.Index, e.Line)
	if e.Column > 0 {
		s += ", column " + strconv.Itoa(e.Column)
	}
	return s + ")"
}

// At names a place in the document for messages; line and column count
// from the document's own start (1-based, column 0 when unknown), as a
// parser of Raw reports them.
func (d Document) At(line, column int) string {
	return d.ErrorAt(line, column, nil).Place()
}

// ErrorAt is err at a line and column of the document, counted from the
// document's own start.
func (d Document) ErrorAt(line, column int, err error) *Error {
	if line < 1 {
		line, column = 1, 0
	}
	return &Error{Source: d.Source, Index: d.Index, Line: d.Line + line - 1, Column: column, Err: err}
}

// yamlLine is the position the YAML libraries put at the front of their
// messages ("yaml: line 4: found character ...").
// sigs.k8s.io/yaml puts its own words first.
var yamlLine = regexp.MustCompile(`^(?:error converting YAML to JSON: )?(?:yaml: )?(?:line (\d+): )?`)

// SyntaxError places an error that a YAML library gave for the document's
// Raw at the real line and column. The libraries name a line relative to
// the document and, for a structure that does not close, the line where the
// structure began (the "did not find expected key" of a mis-indented line is
// reported at its parent); the document is parsed once more by a parser that
// keeps the offending token to find where the problem is. The message keeps
// the library's words, without its prefix.
func (d Document) SyntaxError(err error) error {
	var placed Placed
	if errors.As(err, &placed) {
		return err
	}
	line, column, msg := SyntaxPosition(d.Raw, err)
	return d.ErrorAt(line, column, errors.New(msg))
}

// SyntaxPosition is where in text, which a YAML library failed to read
// with err, the problem is (1-based; column 0 when unknown; line 0 when
// not known at all), and err's message without the library's prefix and
// line. See Document.SyntaxError.
func SyntaxPosition(text []byte, err error) (line, column int, msg string) {
	msg = err.Error()
	// A decoder's type errors come as a list, "yaml: unmarshal errors:\n
	// line 5: cannot unmarshal ...": the first is the one to fix first.
	if first, ok := strings.CutPrefix(msg, "yaml: unmarshal errors:\n"); ok {
		first, _, _ = strings.Cut(strings.TrimSpace(first), "\n")
		msg = first
	}
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		msg = msg[len(m[0]):]
		line, _ = strconv.Atoi(m[1])
	}
	// A type error's line is exact; a huge document is not parsed again.
	if !strings.Contains(msg, "cannot unmarshal") && len(text) <= maxReparse {
		if l, c, ok := syntaxPosition(text); ok && l >= line {
			line, column = l, c
		}
	}
	return line, column, strings.TrimSpace(msg)
}

// maxReparse bounds the documents parsed a second time for a position:
// the second parser keeps every token, several times the input's size.
const maxReparse = 4 << 20

// syntaxPosition is where a parser that keeps its tokens finds the first
// syntax error in doc, if it finds one.
func syntaxPosition(doc []byte) (line, column int, ok bool) {
	defer func() {
		if recover() != nil { // only a position is at stake: do without it
			line, column, ok = 0, 0, false
		}
	}()
	_, err := goccyparser.ParseBytes(doc, 0)
	var se *goccy.SyntaxError
	if !errors.As(err, &se) || se.Token == nil || se.Token.Position == nil {
		return 0, 0, false
	}
	return se.Token.Position.Line, se.Token.Position.Column, true
}

// Placed is an error that names its place in a file already.
type Placed interface{ Place() string }

// Wrap names the document in err unless err names its place already.
func (d Document) Wrap(err error) error {
	var p Placed
	if err == nil || errors.As(err, &p) {
		return err
	}
	return d.ErrorAt(1, 0, err)
}

// FieldAt names the place of the field at path ("spec.values.global") in
// the document, or of the deepest part of the path that is there; the
// document's start when it cannot be parsed.
func (d Document) FieldAt(path string) string {
	if l, c, ok := FieldPosition(d.Raw, path); ok {
		return d.At(l, c)
	}
	return d.Where()
}
