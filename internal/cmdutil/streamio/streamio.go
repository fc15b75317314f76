// Package streamio runs a per-document transformation (inject, uninject)
// over the files of -f and writes the result to standard output, to one file
// (-o) or back to each input (--in-place). Writes to regular files are
// atomic: every output goes to a temporary file in the directory of the
// file (through any symlinks) and is renamed into place only when all inputs
// were processed without error, so an error leaves nothing written.
// Devices, FIFOs and sockets (-o /dev/stdout) are written directly.
package streamio

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"

	"github.com/meshctl/meshctl/internal/cmdutil"
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
	// Context stops the run between documents when it is done (nil: never).
	Context context.Context
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
	ctx := o.Context
	if ctx == nil {
		ctx = context.Background()
	}
	if o.InPlace {
		return inPlace(ctx, paths, fn)
	}
	if o.Output == "" {
		bw := bufio.NewWriterSize(o.Stdout, 64<<10)
		if err := concat(ctx, paths, o.Stdin, bw, fn); err != nil {
			_ = bw.Flush()
			return err
		}
		return bw.Flush()
	}
	return cmdutil.WriteAtomically(o.Output, func(w io.Writer) error { return concat(ctx, paths, o.Stdin, w, fn) }, nil)
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

func concat(ctx context.Context, paths []string, stdin io.Reader, w io.Writer, fn Processor) error {
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
			if err := ctx.Err(); err != nil {
				return context.Cause(ctx)
			}
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

func inPlace(ctx context.Context, paths []string, fn Processor) error {
	var done []cmdutil.PendingFile
	cleanup := func() {
		for _, p := range done {
			_ = os.Remove(p.Tmp)
		}
	}
	for _, p := range paths {
		if _, direct, err := cmdutil.ResolveTarget(p); err != nil || direct {
			cleanup()
			if err == nil {
				err = fmt.Errorf("--in-place rewrites regular files only; %s is not one", p)
			}
			return err
		}
		var k cmdutil.PendingFile
		err := cmdutil.WriteAtomically(p, func(w io.Writer) error { return concat(ctx, []string{p}, nil, w, fn) }, &k)
		if err != nil {
			cleanup()
			return err
		}
		done = append(done, k)
	}
	if err := ctx.Err(); err != nil {
		cleanup()
		return context.Cause(ctx)
	}
	for _, p := range done {
		if err := os.Rename(p.Tmp, p.Target); err != nil {
			cleanup()
			return fmt.Errorf("replacing %s: %w", p.Target, err)
		}
	}
	return nil
}
