package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/creack/pty"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/meshctl/meshctl/internal/cmdutil"
)

func run(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Main(args, genericiooptions.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut})
	return out.String(), errOut.String(), code
}

// isolate points config and kubeconfig lookups at an empty directory.
func isolate(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", dir)
	t.Setenv("HOME", dir)
	t.Setenv("KUBECONFIG", filepath.Join(dir, "no-such-kubeconfig"))
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "MESHCTL_") {
			t.Setenv(strings.SplitN(kv, "=", 2)[0], "")
			os.Unsetenv(strings.SplitN(kv, "=", 2)[0])
		}
	}
	return dir
}

func TestExitCodes(t *testing.T) {
	isolate(t)
	cases := []struct {
		name      string
		args      []string
		code      int
		stderr    string
		wantUsage bool
	}{
		{"success", []string{"version", "--client"}, cmdutil.ExitOK, "", false},
		{"unknown command", []string{"frobnicate"}, cmdutil.ExitUsage, `Error: unknown command "frobnicate" for "meshctl"`, true},
		{"unknown flag", []string{"version", "--frob"}, cmdutil.ExitUsage, "Error: unknown flag: --frob", true},
		{"bad flag value", []string{"version", "-o", "xml", "--client"}, cmdutil.ExitUsage, `Error: --output must be json or yaml, not "xml"`, true},
		{"extra argument", []string{"version", "now"}, cmdutil.ExitUsage, "Error: unknown command", true},
		{"manifest diff: a missing file is trouble, not a difference", []string{"manifest", "diff", "no-such-a.yaml", "no-such-b.yaml"}, 2, "Error: stat no-such-a.yaml: no such file or directory", false},
		{"manifest diff: one argument", []string{"manifest", "diff", "a.yaml"}, cmdutil.ExitUsage, "Error: accepts 2 arg(s), received 1", true},
		{"failure", []string{"version", "--server", "https://127.0.0.1:1", "--request-timeout", "2s"}, cmdutil.ExitFailure, "Error: cannot reach the Kubernetes API server", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, stderr, code := run(t, tc.args...)
			if code != tc.code {
				t.Fatalf("exit code %d, want %d; stderr:\n%s", code, tc.code, stderr)
			}
			if !strings.Contains(stderr, tc.stderr) {
				t.Fatalf("stderr %q does not contain %q", stderr, tc.stderr)
			}
			// A usage error points to --help in one line instead of
			// printing the usage under the message.
			if got := strings.Contains(stderr, "--help' for usage.\n"); got != tc.wantUsage {
				t.Fatalf("pointer to --help printed = %v, want %v:\n%s", got, tc.wantUsage, stderr)
			}
			if strings.Contains(stderr, "Usage:") || strings.Count(stderr, "\n") > 4 {
				t.Fatalf("stderr buries the message:\n%s", stderr)
			}
			if tc.code != 0 && strings.Count(stderr, "Error:") != 1 {
				t.Fatalf("error must be printed exactly once:\n%s", stderr)
			}
		})
	}
}

func TestThresholdAndSilentErrorsMapToTheirCodes(t *testing.T) {
	t.Parallel()
	if got := cmdutil.ExitCode(&cmdutil.ThresholdError{}); got != 79 {
		t.Fatalf("threshold exit code %d", got)
	}
	if got := cmdutil.ExitCode(&cmdutil.SilentError{Code: 3}); got != 3 {
		t.Fatalf("silent exit code %d", got)
	}
	var buf bytes.Buffer
	printError(&buf, false, nil, &cmdutil.ThresholdError{})
	if buf.Len() != 0 {
		t.Fatalf("empty threshold error printed %q", buf.String())
	}
}

func TestHelpListsExitCodes(t *testing.T) {
	isolate(t)
	stdout, _, code := run(t, "--help")
	if code != 0 || !strings.Contains(stdout, "79  analysis or verification found problems") {
		t.Fatalf("help (exit %d) lacks exit codes:\n%s", code, stdout)
	}
}

func writeConfig(t *testing.T, dir, body string) string {
	t.Helper()
	p := filepath.Join(dir, "meshctl", "config.yaml")
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// Configuration layers, lowest first: config file, MESHCTL_* env, flags.
func TestConfigLayering(t *testing.T) {
	dir := isolate(t)
	writeConfig(t, dir, "output: yaml\nversion:\n  short: true\n")
	stdout, stderr, code := run(t, "version", "--client")
	if code != 0 || !strings.Contains(stdout, "client:\n  goVersion:") {
		t.Fatalf("config file output: yaml not applied (exit %d):\n%s%s", code, stdout, stderr)
	}
	t.Setenv("MESHCTL_OUTPUT", "json")
	stdout, _, _ = run(t, "version", "--client")
	if !strings.HasPrefix(stdout, "{") {
		t.Fatalf("env must override the file:\n%s", stdout)
	}
	stdout, _, _ = run(t, "version", "--client", "-o", "yaml")
	if !strings.HasPrefix(stdout, "client:") {
		t.Fatalf("flag must override env:\n%s", stdout)
	}
	os.Unsetenv("MESHCTL_OUTPUT")
	writeConfig(t, dir, "version:\n  short: true\n")
	stdout, _, _ = run(t, "version", "--client")
	if !strings.HasPrefix(stdout, "client: ") {
		t.Fatalf("command section not applied:\n%s", stdout)
	}
}

func TestBadConfigFileNamesFileAndKey(t *testing.T) {
	dir := isolate(t)
	cases := []struct{ body, want string }{
		{"istio-namepsace: foo\n", `unknown key "istio-namepsace" (not a meshctl flag or command)`},
		{"version:\n  shrot: true\n", `unknown key "version.shrot" (no flag --shrot on 'meshctl version')`},
		{"verbosity: lots\n", `key "verbosity": invalid value "lots"`},
		{"output: [unclosed\n", "reading config file"},
	}
	for _, tc := range cases {
		p := writeConfig(t, dir, tc.body)
		_, stderr, code := run(t, "version", "--client")
		if code != cmdutil.ExitFailure || !strings.Contains(stderr, p) || !strings.Contains(stderr, tc.want) {
			t.Errorf("config %q: exit %d, stderr:\n%s\nwant file %s and %q", tc.body, code, stderr, p, tc.want)
		}
	}
	// An explicitly named config file must exist.
	_, stderr, code := run(t, "version", "--client", "--config", filepath.Join(dir, "missing.yaml"))
	if code != 1 || !strings.Contains(stderr, "missing.yaml") {
		t.Fatalf("missing --config: exit %d %s", code, stderr)
	}
}

func TestColourOnlyOnTerminalsAndNeverWithNoColor(t *testing.T) {
	isolate(t)
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal available: %v", err)
	}
	defer ptmx.Close()
	defer tty.Close()

	streams := genericiooptions.IOStreams{In: tty, Out: tty, ErrOut: tty}
	if term := cmdutil.DetectTerminal(streams); !term.StderrTTY || !term.Color {
		t.Fatalf("a terminal without NO_COLOR must get colour: %+v", term)
	}
	t.Setenv("NO_COLOR", "1")
	if term := cmdutil.DetectTerminal(streams); term.Color {
		t.Fatal("NO_COLOR must disable colour")
	}
	os.Unsetenv("NO_COLOR")
	piped := genericiooptions.IOStreams{In: strings.NewReader(""), Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}}
	if term := cmdutil.DetectTerminal(piped); term.Color || term.StdoutTTY {
		t.Fatalf("a pipe must not get colour: %+v", term)
	}

	// End to end: the error prefix is red on a terminal and plain in a pipe.
	var buf bytes.Buffer
	printError(&buf, true, nil, os.ErrNotExist)
	if !strings.HasPrefix(buf.String(), "\x1b[31mError:\x1b[0m") {
		t.Fatalf("colour error: %q", buf.String())
	}
	_, stderr, _ := run(t, "frobnicate")
	if strings.Contains(stderr, "\x1b[") {
		t.Fatalf("escape codes written to a pipe: %q", stderr)
	}
}

// TestBadValuesNameTheirSource: a bad value from MESHCTL_* or the config
// file is reported as that variable or that file and key, not as a flag
// the user never typed; a flag on the command line keeps its name.
func TestBadValuesNameTheirSource(t *testing.T) {
	dir := isolate(t)
	t.Setenv("MESHCTL_OUTPUT", "xml")
	_, stderr, code := run(t, "version", "--client")
	if code != cmdutil.ExitUsage || !strings.HasPrefix(stderr, `Error: environment variable MESHCTL_OUTPUT must be json or yaml, not "xml"`+"\n") {
		t.Errorf("environment: exit %d, stderr %q", code, stderr)
	}
	os.Unsetenv("MESHCTL_OUTPUT")
	cfg := writeConfig(t, dir, "analyze:\n  failure-threshold: bogus\n")
	_, stderr, code = run(t, "analyze", "-A", "no-such-dir")
	if want := "Error: config file " + cfg + ` (key "analyze.failure-threshold"): unknown level "bogus"`; code != cmdutil.ExitUsage || !strings.HasPrefix(stderr, want) {
		t.Errorf("config file: exit %d, stderr %q, want %q", code, stderr, want)
	}
	_, stderr, _ = run(t, "analyze", "--failure-threshold", "bogus2", "-A", "no-such-dir")
	if !strings.HasPrefix(stderr, `Error: --failure-threshold: unknown level "bogus2"`) {
		t.Errorf("flag: stderr %q", stderr)
	}
}
