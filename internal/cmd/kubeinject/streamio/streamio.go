// Package streamio runs a per-document transformation (inject, uninject)
// over the files of -f and writes the result to standard output, to one file
// (-o) or back to each input (--in-place). File writes are atomic: every
// output goes to a temporary file in the target's directory and is renamed
// into place only when all inputs were processed without error, so an error
// leaves nothing written.
package streamio

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/meshctl/meshctl/pkg/yamlstream"
)

// Processor takes documents in order, each with the writer its result
// goes to, and may work on several at once; Flush writes everything added.
type Processor interface {
	Add(d yamlstream.Document, w io.Writer) error
	Flush() error
}

// Options say where documents come from and go.
type Options struct {
	Files   []string
	Output  string
	InPlace bool
	Stdin   io.Reader
	Stdout  io.Writer
}

// Validate checks the combination of flags.
func (o Options) Validate() error {
	if len(o.Files) == 0 {
		return fmt.Errorf("no input: give -f FILE, DIR or - for standard input")
	}
	if o.InPlace && o.Output != "" {
		return fmt.Errorf("--in-place and -o cannot be used together")
	}
	if o.InPlace {
		for _, f := range o.Files {
			if f == yamlstream.Stdin {
				return fmt.Errorf("--in-place cannot rewrite standard input")
			}
		}
	}
	return nil
}

// Run transforms every document of the inputs.
func Run(o Options, fn Processor) error {
	paths, err := yamlstream.ExpandPaths(o.Files)
	if err != nil {
		return err
	}
	if o.InPlace {
		return inPlace(paths, fn)
	}
	if o.Output == "" {
		bw := bufio.NewWriterSize(o.Stdout, 64<<10)
		if err := concat(paths, o.Stdin, bw, fn); err != nil {
			_ = bw.Flush()
			return err
		}
		return bw.Flush()
	}
	return atomicWrite(o.Output, func(w io.Writer) error { return concat(paths, o.Stdin, w, fn) }, nil)
}

// lastByte remembers the last byte written, so that documents of several
// files are joined with a separator on a line of its own.
type lastByte struct {
	w    io.Writer
	last byte
	n    int64
}

func (l *lastByte) Write(p []byte) (int, error) {
	n, err := l.w.Write(p)
	if n > 0 {
		l.last = p[n-1]
		l.n += int64(n)
	}
	return n, err
}

func concat(paths []string, stdin io.Reader, w io.Writer, fn Processor) error {
	lw := &lastByte{w: w}
	for i, p := range paths {
		if i > 0 {
			// The join below looks at what was written last.
			if err := fn.Flush(); err != nil {
				return err
			}
		}
		first := true
		err := readPath(p, stdin, func(d yamlstream.Document) error {
			if first && i > 0 && lw.n > 0 && !d.JSON {
				if lw.last != '\n' {
					if _, err := io.WriteString(lw, "\n"); err != nil {
						return err
					}
				}
				if d.Separator == "" {
					if _, err := io.WriteString(lw, "---\n"); err != nil {
						return err
					}
				}
			}
			first = false
			return fn.Add(d, lw)
		})
		if err != nil {
			_ = fn.Flush()
			return err
		}
	}
	return fn.Flush()
}

func readPath(p string, stdin io.Reader, fn func(yamlstream.Document) error) error {
	if p == yamlstream.Stdin {
		return yamlstream.Read("<stdin>", stdin, fn)
	}
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	return yamlstream.Read(p, f, fn)
}

func inPlace(paths []string, fn Processor) error {
	type pending struct{ tmp, target string }
	var done []pending
	cleanup := func() {
		for _, p := range done {
			_ = os.Remove(p.tmp)
		}
	}
	for _, p := range paths {
		var tmp string
		err := atomicWrite(p, func(w io.Writer) error { return concat([]string{p}, nil, w, fn) }, &tmp)
		if err != nil {
			cleanup()
			return err
		}
		done = append(done, pending{tmp, p})
	}
	for _, p := range done {
		if err := os.Rename(p.tmp, p.target); err != nil {
			cleanup()
			return fmt.Errorf("replacing %s: %w", p.target, err)
		}
	}
	return nil
}

// atomicWrite writes through a temporary file next to target. With keep
// nil it renames the file into place; otherwise it leaves the rename to the
// caller and stores the temporary name in keep.
func atomicWrite(target string, write func(io.Writer) error, keep *string) error {
	dir := filepath.Dir(target)
	f, err := os.CreateTemp(dir, "."+filepath.Base(target)+".meshctl-*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", target, err)
	}
	tmp := f.Name()
	mode := os.FileMode(0o644)
	if st, err := os.Stat(target); err == nil {
		mode = st.Mode().Perm()
	}
	bw := bufio.NewWriterSize(f, 64<<10)
	err = write(bw)
	if err == nil {
		err = bw.Flush()
	}
	if err == nil {
		err = f.Chmod(mode)
	}
	if cerr := f.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(tmp)
		return err
	}
	if keep != nil {
		*keep = tmp
		return nil
	}
	if err := os.Rename(tmp, target); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", target, err)
	}
	return nil
}
