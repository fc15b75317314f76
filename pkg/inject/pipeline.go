package inject

import (
	"bytes"
	"io"
	"runtime"
	"sync"

	"github.com/meshctl/meshctl/pkg/yamlstream"
)

// Pipeline processes documents on several goroutines and writes them in
// their input order. At most a small window of documents is in flight, so
// memory stays bounded by the largest documents, not the stream.
type Pipeline struct {
	process func(yamlstream.Document) ([]byte, []Result, error)
	report  func(Result)
	window  int
	jobs    chan *job
	pending []*job
	wg      sync.WaitGroup
	err     error
	closed  bool
}

type job struct {
	d    yamlstream.Document
	w    io.Writer
	out  []byte
	res  []Result
	err  error
	done chan struct{}
}

// NewPipeline starts an injection pipeline of workers (GOMAXPROCS of them
// when workers < 1).
func (in *Injector) NewPipeline(report func(Result), workers int) *Pipeline {
	return newPipeline(in.InjectDocument, report, workers)
}

// NewPipeline starts an uninjection pipeline of workers (GOMAXPROCS of
// them when workers < 1).
func (u *Uninjector) NewPipeline(report func(Result), workers int) *Pipeline {
	return newPipeline(u.UninjectDocument, report, workers)
}

func newPipeline(process func(yamlstream.Document) ([]byte, []Result, error), report func(Result), workers int) *Pipeline {
	if workers < 1 {
		workers = runtime.GOMAXPROCS(0)
	}
	p := &Pipeline{process: process, report: report, window: 4 * workers}
	p.jobs = make(chan *job, p.window)
	for i := 0; i < workers; i++ {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			for j := range p.jobs {
				if j.d.IsEmpty() {
					j.out = j.d.Raw
				} else {
					j.out, j.res, j.err = p.process(j.d)
				}
				close(j.done)
			}
		}()
	}
	return p
}

// Add queues a document whose result goes to w.
func (p *Pipeline) Add(d yamlstream.Document, w io.Writer) error {
	if p.err != nil {
		return p.err
	}
	j := &job{d: d, w: w, done: make(chan struct{})}
	p.pending = append(p.pending, j)
	p.jobs <- j
	for len(p.pending) >= p.window {
		if err := p.complete(); err != nil {
			return err
		}
	}
	return nil
}

func (p *Pipeline) complete() error {
	j := p.pending[0]
	<-j.done
	p.pending[0] = nil
	p.pending = p.pending[1:]
	if p.err != nil {
		return p.err
	}
	if j.err != nil {
		p.err = j.err
		return p.err
	}
	if p.report != nil {
		for _, r := range j.res {
			p.report(r)
		}
	}
	p.err = writeDoc(j.w, j.d, j.out)
	return p.err
}

// Flush waits for every queued document and writes it.
func (p *Pipeline) Flush() error {
	for len(p.pending) > 0 {
		if err := p.complete(); err != nil {
			// Let the workers finish what they hold.
			for _, j := range p.pending {
				<-j.done
			}
			p.pending = nil
			return err
		}
	}
	return p.err
}

// Close flushes and stops the workers.
func (p *Pipeline) Close() error {
	err := p.Flush()
	if !p.closed {
		p.closed = true
		close(p.jobs)
		p.wg.Wait()
	}
	return err
}

// writeDoc writes a processed document: YAML with its separator, JSON on a
// line of its own.
func writeDoc(w io.Writer, d yamlstream.Document, out []byte) error {
	if d.JSON {
		if !bytes.HasSuffix(out, []byte("\n")) {
			out = append(out[:len(out):len(out)], '\n')
		}
	} else if _, err := io.WriteString(w, d.Separator); err != nil {
		return err
	}
	_, err := w.Write(out)
	return err
}
