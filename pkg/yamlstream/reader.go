// Package yamlstream reads Kubernetes documents from files, directories and
// standard input, one document at a time, and remembers where each came
// from (file, document number, first line) so that every later error or
// finding can point at it. Documents are returned as their original bytes:
// callers that must preserve formatting (kube-inject) can, and callers that
// want objects decode them.
package yamlstream

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Stdin is the path that stands for standard input.
const Stdin = "-"

// Document is one YAML or JSON document of a stream.
type Document struct {
	// Source is the file name ("-" or "<stdin>" for standard input).
	Source string
	// Index is the document's 1-based position in its source.
	Index int
	// Line is the 1-based line of the source where the document's content starts.
	Line int
	// Raw is the document's bytes without its "---" separator line. A YAML
	// document keeps its comments and trailing newline.
	Raw []byte
	// JSON is true when the source was JSON.
	JSON bool
	// Separator is the separator line that preceded the document in the
	// source, "" for the first document when it had none. Writers that want
	// to reproduce the stream byte for byte emit it before Raw.
	Separator string
}

// Where names the document for messages: "app.yaml (document 2, line 14)".
func (d Document) Where() string {
	return fmt.Sprintf("%s (document %d, line %d)", d.Source, d.Index, d.Line)
}

// IsEmpty reports whether the document holds only whitespace and comments.
func (d Document) IsEmpty() bool { return isBlank(d.Raw) }

// MaxDocumentSize bounds a single document, so that a runaway input (a
// binary file, a missing separator in a generated stream) is an error rather
// than unbounded memory. 64 MiB is far beyond any real manifest.
const MaxDocumentSize = 64 << 20

// ExpandPaths turns files and directories into the ordered list of files to
// read: directories are walked recursively for .yaml, .yml and .json files
// in lexical order; "-" is kept as is. A path that does not exist, and a
// directory holding no such file (a mistyped or wrong directory, which
// would otherwise read as "nothing to do"), are errors.
func ExpandPaths(paths []string) ([]string, error) {
	var out []string
	for _, p := range paths {
		if p == Stdin {
			out = append(out, p)
			continue
		}
		info, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !info.IsDir() {
			out = append(out, p)
			continue
		}
		var found []string
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && IsManifestFile(path) {
				found = append(found, path)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		if len(found) == 0 {
			return nil, fmt.Errorf("%s: the directory holds no .yaml, .yml or .json file", p)
		}
		sort.Strings(found)
		out = append(out, found...)
	}
	return out, nil
}

// IsManifestFile reports whether a file name has a manifest extension.
func IsManifestFile(name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".yaml", ".yml", ".json":
		return true
	}
	return false
}

// ReadPaths calls fn for every document of every path, in order. stdin is
// read for "-". Reading stops at the first error from fn or from the input.
func ReadPaths(paths []string, stdin io.Reader, fn func(Document) error) error {
	files, err := ExpandPaths(paths)
	if err != nil {
		return err
	}
	for _, p := range files {
		if err := readPath(p, stdin, fn); err != nil {
			return err
		}
	}
	return nil
}

func readPath(p string, stdin io.Reader, fn func(Document) error) error {
	if p == Stdin {
		return Read("<stdin>", stdin, fn)
	}
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	return Read(p, f, fn)
}

// Read splits one stream into documents and calls fn for each. A stream whose
// first non-blank byte is '{' or '[' is JSON (one or more concatenated
// values); anything else is YAML split on "---" lines.
func Read(source string, r io.Reader, fn func(Document) error) error {
	br := bufio.NewReaderSize(r, 64<<10)
	if isJSONStream(br) {
		return readJSON(source, br, fn)
	}
	return readYAML(source, br, fn)
}

func isJSONStream(br *bufio.Reader) bool {
	for n := 1; ; n++ {
		b, err := br.Peek(n)
		if len(b) < n || err != nil {
			return false
		}
		switch c := b[n-1]; c {
		case ' ', '\t', '\r', '\n':
			if n >= 4096 {
				return false
			}
			continue
		case '{', '[':
			return true
		default:
			return false
		}
	}
}

func readJSON(source string, r io.Reader, fn func(Document) error) error {
	lc := &lineCounter{r: r}
	dec := json.NewDecoder(lc)
	for index := 1; ; index++ {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return fmt.Errorf("%s (document %d, line %d): invalid JSON: %w", source, index, lc.lineAt(dec.InputOffset()), err)
		}
		if len(raw) > MaxDocumentSize {
			return fmt.Errorf("%s (document %d): document larger than %d bytes", source, index, MaxDocumentSize)
		}
		start := dec.InputOffset() - int64(len(raw))
		d := Document{Source: source, Index: index, Line: lc.lineAt(start), Raw: append([]byte(nil), raw...), JSON: true}
		if err := fn(d); err != nil {
			return err
		}
	}
}

// lineCounter remembers where the newlines are in the bytes a decoder has
// read ahead, so that an offset can be turned into a line number. Offsets
// are asked in increasing order, so newlines before them are forgotten and
// memory stays bounded by the decoder's buffer.
type lineCounter struct {
	r       io.Reader
	off     int64
	pending []int64 // offsets of newlines not yet passed
	line    int     // newlines before the last asked offset
}

func (l *lineCounter) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	for i, c := range p[:n] {
		if c == '\n' {
			l.pending = append(l.pending, l.off+int64(i))
		}
	}
	l.off += int64(n)
	return n, err
}

// lineAt returns the 1-based line of offset.
func (l *lineCounter) lineAt(offset int64) int {
	i := 0
	for i < len(l.pending) && l.pending[i] < offset {
		i++
	}
	l.line += i
	l.pending = l.pending[i:]
	return l.line + 1
}

// readYAML splits on separator lines ("---" optionally followed by spaces or
// a comment) at column 0. It keeps memory bounded by the largest document.
func readYAML(source string, br *bufio.Reader, fn func(Document) error) error {
	var (
		doc       bytes.Buffer
		index     = 0
		lineNo    = 0
		startLine = 1
		sep       = ""
		sawAny    = false
	)
	flush := func(final bool) error {
		if final && !sawAny {
			return nil
		}
		// A leading separator produces an empty first "document" that is not
		// really there: skip it when it holds nothing at all.
		if index == 0 && doc.Len() == 0 && sep == "" && !final {
			return nil
		}
		index++
		raw := append([]byte(nil), doc.Bytes()...)
		d := Document{Source: source, Index: index, Line: startLine, Raw: raw, Separator: sep}
		doc.Reset()
		return fn(d)
	}
	for {
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			// A very long line: gather it whole.
			full := append([]byte(nil), line...)
			for errors.Is(err, bufio.ErrBufferFull) {
				line, err = br.ReadSlice('\n')
				full = append(full, line...)
				if len(full) > MaxDocumentSize {
					return fmt.Errorf("%s (document %d, line %d): line longer than %d bytes", source, index+1, lineNo+1, MaxDocumentSize)
				}
			}
			line = full
		}
		if len(line) > 0 {
			lineNo++
			sawAny = true
			if isSeparator(line) {
				if err := flush(false); err != nil {
					return err
				}
				sep = string(line)
				startLine = lineNo + 1
			} else {
				doc.Write(line)
				if doc.Len() > MaxDocumentSize {
					return fmt.Errorf("%s (document %d, line %d): document larger than %d bytes", source, index+1, startLine, MaxDocumentSize)
				}
			}
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				return flush(true)
			}
			return fmt.Errorf("reading %s: %w", source, err)
		}
	}
}

func isSeparator(line []byte) bool {
	if !bytes.HasPrefix(line, []byte("---")) {
		return false
	}
	rest := bytes.TrimRight(line[3:], "\r\n")
	if len(rest) == 0 {
		return true
	}
	// "--- # comment" and "---   " are separators; "---foo" is content.
	if rest[0] != ' ' && rest[0] != '\t' {
		return false
	}
	t := bytes.TrimSpace(rest)
	return len(t) == 0 || t[0] == '#'
}

func isBlank(b []byte) bool {
	for _, l := range bytes.Split(b, []byte("\n")) {
		t := bytes.TrimSpace(l)
		if len(t) > 0 && t[0] != '#' {
			return false
		}
	}
	return true
}
