package analyze_test

import (
	"bytes"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/meshctl/meshctl/internal/cli"
)

// analyzeOnTerminal runs analyze with stdout on a pseudo-terminal and
// returns what the terminal received.
func analyzeOnTerminal(t *testing.T, args ...string) string {
	t.Helper()
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal available: %v", err)
	}
	defer ptmx.Close()
	got := make(chan string, 1)
	go func() {
		var b bytes.Buffer
		_, _ = io.Copy(&b, ptmx)
		got <- b.String()
	}()
	var errOut bytes.Buffer
	code := cli.Main(append([]string{"analyze"}, args...), genericiooptions.IOStreams{In: strings.NewReader(""), Out: tty, ErrOut: &errOut})
	if code != 79 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	tty.Close()
	select {
	case s := <-got:
		return s
	case <-time.After(5 * time.Second):
		t.Fatal("terminal output not received")
	}
	return ""
}

func TestColourOnTerminalOnly(t *testing.T) {
	f := writeFile(t, t.TempDir(), "error.yaml", errorOnly)
	t.Setenv("NO_COLOR", "") // restored after the test
	os.Unsetenv("NO_COLOR")
	if out := analyzeOnTerminal(t, "--kubeconfig", badKubeconfig(t), f); !strings.Contains(out, "\x1b[31mError\x1b[0m [IST0101]") {
		t.Fatalf("no colour on a terminal: %q", out)
	}
	// Set but empty does not disable colour (no-color.org: non-empty).
	t.Setenv("NO_COLOR", "")
	if out := analyzeOnTerminal(t, "--kubeconfig", badKubeconfig(t), f); !strings.Contains(out, "\x1b[31mError\x1b[0m [IST0101]") {
		t.Fatalf("an empty NO_COLOR disabled colour: %q", out)
	}
	t.Setenv("NO_COLOR", "1")
	if out := analyzeOnTerminal(t, "--kubeconfig", badKubeconfig(t), f); strings.Contains(out, "\x1b[") || !strings.Contains(out, "Error [IST0101]") {
		t.Fatalf("colour despite NO_COLOR: %q", out)
	}
}
