package analyze

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/meshctl/meshctl/internal/analyzegen"
	"github.com/meshctl/meshctl/internal/cmdutil/cmdtest"
	"github.com/meshctl/meshctl/pkg/analyze"
)

const eraseLine = "\r\033[K"

// syncBuffer is a bytes.Buffer the progress goroutine and the test may
// share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestProgressText(t *testing.T) {
	t.Parallel()
	p := &progress{}
	if got, want := p.text(), "analyzing: read 0 documents"; got != want {
		t.Errorf("before reading: %q, want %q", got, want)
	}
	p.counts.Read.Store(12345)
	if got, want := p.text(), "analyzing: read 12,345 documents"; got != want {
		t.Errorf("reading: %q, want %q", got, want)
	}
	p.counts.Decoded.Store(12000)
	if got, want := p.text(), "analyzing: read 12,345 documents, decoded 12,000"; got != want {
		t.Errorf("reading and decoding: %q, want %q", got, want)
	}
	p.counts.Documents.Store(176003)
	if got, want := p.text(), "analyzing: decoded 12,000 of 176,003 documents"; got != want {
		t.Errorf("decoding: %q, want %q", got, want)
	}
	p.phase.Store(phaseCluster)
	if got, want := p.text(), "analyzing: reading the cluster"; got != want {
		t.Errorf("cluster: %q, want %q", got, want)
	}
	p.indexed.Store(1000000)
	p.phase.Store(phaseIndexing)
	if got, want := p.text(), "analyzing: indexing 1,000,000 resources"; got != want {
		t.Errorf("indexing: %q, want %q", got, want)
	}
	p.counts.Analyzers.Store(27)
	p.counts.AnalyzersDone.Store(12)
	p.phase.Store(phaseAnalyzing)
	if got, want := p.text(), "analyzing: running analyzers 12/27"; got != want {
		t.Errorf("analyzing: %q, want %q", got, want)
	}
}

func TestThousands(t *testing.T) {
	t.Parallel()
	for n, want := range map[int64]string{0: "0", 7: "7", 999: "999", 1000: "1,000", 44000: "44,000", 123456789: "123,456,789", -1234: "-1,234"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
}

// TestProgressLineErasedForOtherOutput checks that stderr writes made while
// the line shows start on a clean line, and that Stop leaves no line.
func TestProgressLineErasedForOtherOutput(t *testing.T) {
	t.Parallel()
	var w syncBuffer
	p := startProgress(&w, true, 0, time.Hour)
	if got := w.String(); got != "analyzing: read 0 documents" {
		t.Fatalf("first line %q", got)
	}
	fmt.Fprintf(p, "Warning: something\n")
	p.Stop()
	p.Stop() // a second Stop (the deferred one) is harmless
	got := w.String()
	if want := "analyzing: read 0 documents" + eraseLine + "Warning: something\n"; got != want {
		t.Fatalf("stderr %q: want the progress line, then %q", got, want)
	}
}

func TestProgressWritesNothingOffTerminal(t *testing.T) {
	t.Parallel()
	var w syncBuffer
	p := startProgress(&w, false, 0, time.Millisecond)
	p.counts.Read.Store(3)
	time.Sleep(20 * time.Millisecond)
	fmt.Fprintf(p, "Warning: something\n")
	p.Stop()
	if got, want := w.String(), "Warning: something\n"; got != want {
		t.Fatalf("stderr %q, want only %q", got, want)
	}
}

// runAnalyze runs `meshctl analyze file` with stderr taken for a terminal
// or not, progress shown from the start and redrawn every millisecond.
func runAnalyze(t *testing.T, stderrTTY bool, file string) (stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	f := cmdtest.Factory("", &out, &errOut)
	f.Term.StderrTTY = stderrTTY
	cmd := newCmd(f, func(o *Options) error {
		o.progressDelay, o.progressEvery = 0, time.Millisecond
		return o.Run(context.Background())
	})
	cmd.SetArgs([]string{file})
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	if err := cmd.Execute(); err != nil {
		t.Fatalf("analyze: %v (stderr %q)", err, errOut.String())
	}
	return out.String(), errOut.String()
}

func TestAnalyzeProgressOnTerminalOnly(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	if err := analyzegen.Generate(&b, 300); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "gen.yaml")
	if err := os.WriteFile(file, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	const summary = "No issues found when analyzing 1218 resources from 1218 documents.\n"

	stdout, stderr := runAnalyze(t, false, file)
	if stdout != "" || stderr != summary {
		t.Fatalf("pipe: stdout %q, stderr %q; want nothing and %q", stdout, stderr, summary)
	}

	stdout, stderr = runAnalyze(t, true, file)
	if stdout != "" {
		t.Fatalf("terminal: stdout %q, want nothing", stdout)
	}
	i := strings.LastIndex(stderr, eraseLine)
	if i < 0 || stderr[i+len(eraseLine):] != summary {
		t.Fatalf("terminal: stderr %q: want progress lines, erased, then %q", stderr, summary)
	}
	line := regexp.MustCompile(fmt.Sprintf(`^analyzing: (read [0-9,]+ documents(, decoded [0-9,]+)?|decoded [0-9,]+ of 1,218 documents|indexing 1,218 resources|running analyzers [0-9]+/%d)$`, len(analyze.All())))
	lines := strings.Split(stderr[:i], eraseLine)
	for _, l := range lines {
		if !line.MatchString(l) {
			t.Fatalf("terminal: unexpected progress line %q in %q", l, stderr)
		}
	}
}
