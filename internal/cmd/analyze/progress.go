package analyze

import (
	"fmt"
	"io"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/meshctl/meshctl/pkg/analyze"
)

// Phases of a run, as the progress line names them.
const (
	phaseReading int32 = iota
	phaseCluster
	phaseIndexing
	phaseAnalyzing
)

// progress shows, on a terminal only and once a run has taken longer than
// delay, one line on stderr saying how far the run has got, rewritten in
// place and erased at the end. Stderr writes made during the run go
// through Writer, which erases the line first so that they stay whole.
// Off a terminal it writes nothing of its own.
type progress struct {
	w       io.Writer
	counts  analyze.Progress
	phase   atomic.Int32
	indexed atomic.Int64 // resources being indexed

	mu   sync.Mutex
	line bool // the progress line is on screen
	stop chan struct{}
	done chan struct{}
}

// startProgress starts showing progress on w if tty is true; with no
// delay the first line is drawn before it returns.
func startProgress(w io.Writer, tty bool, delay, every time.Duration) *progress {
	p := &progress{w: w}
	if !tty {
		return p
	}
	if delay <= 0 {
		p.draw()
	}
	p.stop, p.done = make(chan struct{}), make(chan struct{})
	go p.run(delay, every)
	return p
}

func (p *progress) run(delay, every time.Duration) {
	defer close(p.done)
	if delay > 0 {
		select {
		case <-p.stop:
			return
		case <-time.After(delay):
		}
		p.draw()
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
			p.draw()
		}
	}
}

// draw rewrites the progress line.
func (p *progress) draw() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clear()
	fmt.Fprint(p.w, p.text())
	p.line = true
}

// text is the progress line.
func (p *progress) text() string {
	c := &p.counts
	switch p.phase.Load() {
	case phaseCluster:
		return "analyzing: reading the cluster"
	case phaseIndexing:
		return "analyzing: indexing " + thousands(p.indexed.Load()) + " resources"
	case phaseAnalyzing:
		return fmt.Sprintf("analyzing: running analyzers %d/%d", c.AnalyzersDone.Load(), c.Analyzers.Load())
	}
	if total := c.Documents.Load(); total > 0 {
		return "analyzing: decoded " + thousands(c.Decoded.Load()) + " of " + thousands(total) + " documents"
	}
	read, decoded := c.Read.Load(), c.Decoded.Load()
	if decoded > 0 {
		return "analyzing: read " + thousands(read) + " documents, decoded " + thousands(decoded)
	}
	return "analyzing: read " + thousands(read) + " documents"
}

// clear erases the progress line; the caller holds mu.
func (p *progress) clear() {
	if p.line {
		fmt.Fprint(p.w, "\r\033[K")
		p.line = false
	}
}

// Write writes to stderr below the progress line: the line is erased and
// redrawn on the next tick.
func (p *progress) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clear()
	return p.w.Write(b)
}

// Stop erases the progress line for good; it returns once nothing more
// will be written.
func (p *progress) Stop() {
	if p.stop == nil {
		return
	}
	select {
	case <-p.stop:
	default:
		close(p.stop)
	}
	<-p.done
	p.mu.Lock()
	p.clear()
	p.mu.Unlock()
}

// thousands writes n with comma separators: 44,000.
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := n < 0
	if neg {
		s = s[1:]
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		s = "-" + s
	}
	return s
}
