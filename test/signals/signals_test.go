// Package signals stops meshctl with SIGINT and SIGTERM in the middle of
// long offline runs, as a user's Ctrl-C or a CI runner's timeout does, and
// checks that it stops promptly, writes nothing partial and exits 130/143.
// meshctl runs as a child process: this test binary re-executed.
package signals

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/meshctl/meshctl/internal/cli"
)

// TestMain runs meshctl instead of the tests when re-executed.
func TestMain(m *testing.M) {
	if os.Getenv("MESHCTL_SIGNALS_CHILD") == "1" {
		args := os.Args[1:]
		for i, a := range args {
			if a == "--" {
				args = args[i+1:]
				break
			}
		}
		os.Exit(cli.Main(args, genericiooptions.IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr}))
	}
	os.Exit(m.Run())
}

// bigStream writes n Deployments (with a Service each) to a file.
func bigStream(t *testing.T, n int) string {
	t.Helper()
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, `apiVersion: v1
kind: Service
metadata: {name: app-%d, namespace: default}
spec:
  selector: {app: app-%d}
  ports: [{name: http, port: 80}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: app-%d, namespace: default}
spec:
  selector: {matchLabels: {app: app-%d}}
  template:
    metadata: {labels: {app: app-%d, version: v1}}
    spec:
      containers:
      - name: app
        image: example/app:1
        ports: [{containerPort: 80}]
---
`, i, i, i, i, i)
	}
	p := filepath.Join(t.TempDir(), "big.yaml")
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

type stopped struct {
	code            int
	stdout, stderr  string
	afterSignal     time.Duration
	finishedEarlier bool
}

// when says at what moment of a run the signal is sent: delay after the
// start or, with wait, delay after stderr shows text (any text when text
// is empty). With onTerminal stderr is a pseudo-terminal, where analyze
// draws its progress line.
type when struct {
	onTerminal bool
	wait       bool
	text       string
	delay      time.Duration
}

// interrupt starts meshctl with args, sends sig at the moment w names and
// waits.
func interrupt(t *testing.T, sig syscall.Signal, w when, args ...string) stopped {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"--"}, args...)...)
	cmd.Env = append(os.Environ(), "MESHCTL_SIGNALS_CHILD=1", "KUBECONFIG="+filepath.Join(t.TempDir(), "none"))
	var out bytes.Buffer
	errOut := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = &out, errOut
	copied := make(chan struct{})
	if w.onTerminal {
		ptmx, tty, err := pty.Open()
		if err != nil {
			t.Fatalf("no pseudo-terminal for the progress line: %v", err)
		}
		defer ptmx.Close()
		cmd.Stderr = tty
		go func() {
			defer close(copied)
			_, _ = io.Copy(errOut, ptmx) // ends with EIO once the child has gone
		}()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		tty.Close() // the child holds the only copy now
	} else {
		close(copied)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var s stopped
	seen := func() bool {
		if w.text == "" {
			return errOut.Len() > 0
		}
		return strings.Contains(errOut.String(), w.text)
	}
	if w.wait {
		for !seen() {
			select {
			case <-done:
				<-copied
				t.Fatalf("%v: finished (exit %d) before stderr showed %q: the input is too small to test with; stderr:\n%s",
					args, cmd.ProcessState.ExitCode(), w.text, tail(errOut.String()))
			case <-time.After(5 * time.Millisecond):
			}
		}
	}
	select {
	case <-done:
		s.finishedEarlier = true
	case <-time.After(w.delay):
		if err := cmd.Process.Signal(sig); err != nil {
			t.Fatal(err)
		}
		sent := time.Now()
		select {
		case <-done:
			s.afterSignal = time.Since(sent)
		case <-time.After(60 * time.Second):
			_ = cmd.Process.Kill()
			<-done
			t.Fatalf("%v: still running 60 s after %v", args, sig)
		}
	}
	<-copied
	// A terminal turns each \n into \r\n.
	s.code, s.stdout, s.stderr = cmd.ProcessState.ExitCode(), out.String(), strings.ReplaceAll(errOut.String(), "\r\n", "\n")
	return s
}

// lockedBuffer is written by the child's stderr copier and read by the test.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Len()
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// analyzeApps is how many apps analyze (and x uninject) read: enough that
// analyze is still reading when its progress line first shows, a second
// in (here it reads for about six seconds).
const analyzeApps = 40000

func TestSignalsStopOfflineWork(t *testing.T) {
	big := bigStream(t, 12000)
	bigAnalyze := bigStream(t, analyzeApps)
	dir := t.TempDir()
	// kube-inject reports each resource on stderr as it goes: the signal
	// comes once it has started. analyze draws a progress line on a
	// terminal after a second: the signal comes when the line first shows,
	// while it reads. (Its indexing and analyzers take a fraction of a
	// second even here; that they give way to a signal is tested in
	// internal/cmd/analyze.)
	cases := []struct {
		name string
		sig  syscall.Signal
		want int
		when when
		args []string
		out  string
	}{
		{"kube-inject -o, SIGINT", syscall.SIGINT, 130, when{wait: true, delay: 200 * time.Millisecond}, []string{"kube-inject", "-f", big, "-o", filepath.Join(dir, "out.yaml")}, filepath.Join(dir, "out.yaml")},
		{"kube-inject to stdout, SIGTERM", syscall.SIGTERM, 143, when{wait: true, delay: 200 * time.Millisecond}, []string{"kube-inject", "-f", big}, ""},
		{"x uninject --in-place, SIGINT", syscall.SIGINT, 130, when{delay: 300 * time.Millisecond}, []string{"x", "uninject", "-f", bigAnalyze, "--in-place"}, ""},
		{"analyze while reading, SIGINT", syscall.SIGINT, 130, when{onTerminal: true, wait: true, text: "analyzing: read"}, []string{"analyze", bigAnalyze}, ""},
		{"analyze while reading, SIGTERM", syscall.SIGTERM, 143, when{onTerminal: true, wait: true, text: "analyzing: read"}, []string{"analyze", bigAnalyze}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := interrupt(t, c.sig, c.when, c.args...)
			if s.finishedEarlier {
				t.Fatalf("finished (exit %d) before the signal: the input is too small to test with", s.code)
			}
			if s.code != c.want {
				t.Fatalf("exit %d, want %d; stderr:\n%s", s.code, c.want, tail(s.stderr))
			}
			name := "SIGINT"
			if c.sig == syscall.SIGTERM {
				name = "SIGTERM"
			}
			if !strings.HasSuffix(s.stderr, "Error: interrupted by "+name+"\n") {
				t.Errorf("stderr does not end with the interruption:\n%s", tail(s.stderr))
			}
			if c.out != "" {
				if _, err := os.Stat(c.out); !os.IsNotExist(err) {
					t.Errorf("-o file written despite the interruption: %v", err)
				}
			}
			if strings.Contains(s.stdout, "No issues found") || strings.Contains(s.stderr, "No issues found") {
				t.Error("analyze reported a result for work it did not finish")
			}
			t.Logf("stopped %v after the signal", s.afterSignal)
		})
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		t.Errorf("left in the output directory: %s", e.Name())
	}
	if entries, _ := os.ReadDir(filepath.Dir(bigAnalyze)); len(entries) != 1 {
		t.Errorf("--in-place left files beside its input: %v", entries)
	}
	if b, err := os.ReadFile(bigAnalyze); err != nil || !strings.HasPrefix(string(b), "apiVersion: v1\nkind: Service\nmetadata: {name: app-0,") {
		t.Errorf("--in-place changed its input despite the interruption (%v)", err)
	}
}

func tail(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > 5 {
		lines = lines[len(lines)-5:]
	}
	return strings.Join(lines, "\n")
}
