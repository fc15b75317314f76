package install

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/meshctl/meshctl/pkg/install/apply"
)

// progress renders apply events on stderr: one line per phase with its
// time, the prune list, and, on a terminal only, a spinner naming what is
// still awaited.
type progress struct {
	w       io.Writer
	tty     bool
	verb    string // "installed", "applied (dry run)"
	mu      sync.Mutex
	pending []string // phases started and not done
	stop    chan struct{}
	done    chan struct{}
	line    bool // a spinner line is on screen
}

func newProgress(w io.Writer, tty bool, verb string) *progress {
	p := &progress{w: w, tty: tty, verb: verb}
	if tty {
		p.stop, p.done = make(chan struct{}), make(chan struct{})
		go p.spin()
	}
	return p
}

var frames = []string{"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"}

func (p *progress) spin() {
	defer close(p.done)
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for i := 0; ; i++ {
		select {
		case <-p.stop:
			p.mu.Lock()
			p.clear()
			p.mu.Unlock()
			return
		case <-t.C:
			p.mu.Lock()
			if len(p.pending) > 0 {
				p.clear()
				fmt.Fprintf(p.w, "%s Processing: %s", frames[i%len(frames)], strings.Join(p.pending, ", "))
				p.line = true
			}
			p.mu.Unlock()
		}
	}
}

// clear erases the spinner line; the caller holds mu.
func (p *progress) clear() {
	if p.line {
		fmt.Fprint(p.w, "\r\033[K")
		p.line = false
	}
}

// Close stops the spinner.
func (p *progress) Close() {
	if p.tty {
		close(p.stop)
		<-p.done
	}
}

func (p *progress) printf(format string, a ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clear()
	fmt.Fprintf(p.w, format, a...)
}

// Event handles one apply event.
func (p *progress) Event(e apply.Event) {
	switch e.Type {
	case apply.PhaseStarted:
		p.mu.Lock()
		p.pending = append(p.pending, e.Phase)
		p.mu.Unlock()
	case apply.PhaseDone:
		p.mu.Lock()
		for i, n := range p.pending {
			if n == e.Phase {
				p.pending = append(p.pending[:i], p.pending[i+1:]...)
				break
			}
		}
		p.mu.Unlock()
		p.printf("✔ %s %s (%s)\n", e.Phase, p.verb, seconds(e.Duration))
	case apply.Pruning:
		p.printf("Pruning %d object(s) this install no longer renders:\n", e.Objects)
		for _, k := range e.Keys {
			p.printf("  - %s\n", k)
		}
	case apply.Waiting:
		p.printf("Waiting for %d object(s) to be ready...\n", len(e.Keys))
	}
}

func seconds(d time.Duration) string {
	return fmt.Sprintf("%.1fs", d.Seconds())
}
