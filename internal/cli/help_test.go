package cli

import (
	"os"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"
)

// TestHelpTextIsWrapped: every command's long help is wrapped at 80
// columns, so that no paragraph runs on past a terminal's edge (profile
// dump's once did).
func TestHelpTextIsWrapped(t *testing.T) {
	t.Parallel()
	root, _ := NewRootCmd(genericiooptions.NewTestIOStreamsDiscard())
	var walk func(c *cobra.Command)
	checked := 0
	walk = func(c *cobra.Command) {
		if c.Name() == "completion" {
			return // cobra's own text
		}
		for i, line := range strings.Split(c.Long, "\n") {
			if n := utf8.RuneCountInString(line); n > 80 {
				t.Errorf("%s: line %d of the long help has %d columns: %q", c.CommandPath(), i+1, n, line)
			}
		}
		checked++
		for _, s := range c.Commands() {
			walk(s)
		}
	}
	walk(root)
	if checked < 20 {
		t.Fatalf("only %d commands checked", checked)
	}
}

// TestOfflineHelpLeavesOutClusterFlags: the help of a command that never
// uses a cluster has no cluster flags (22 lines of them buried profile
// diff's), a command that does keeps them, and the flags are still
// accepted where hidden.
func TestOfflineHelpLeavesOutClusterFlags(t *testing.T) {
	isolate(t)
	for _, tc := range []struct {
		args    []string
		cluster bool
	}{
		{[]string{"profile", "diff", "--help"}, false},
		{[]string{"manifest", "generate", "--help"}, false},
		{[]string{"x", "uninject", "--help"}, false},
		{[]string{"completion", "bash", "--help"}, false},
		{[]string{"version", "--help"}, true},
		{[]string{"manifest", "apply", "--help"}, true},
		{[]string{"analyze", "--help"}, true},
	} {
		stdout, _, code := run(t, tc.args...)
		if code != 0 || strings.Contains(stdout, "--kubeconfig") != tc.cluster || strings.Contains(stdout, "--context") != tc.cluster {
			t.Errorf("%s: exit %d, cluster flags shown = %v, want %v", strings.Join(tc.args, " "), code, strings.Contains(stdout, "--kubeconfig"), tc.cluster)
		}
		if !strings.Contains(stdout, "--config string") {
			t.Errorf("%s: the global --config flag is missing", strings.Join(tc.args, " "))
		}
	}
	if stdout, stderr, code := run(t, "--context", "nowhere", "profile", "list"); code != 0 || !strings.Contains(stdout, "demo") {
		t.Errorf("a hidden cluster flag is refused: exit %d, %s", code, stderr)
	}
	// One tree, two helps: hiding for the first does not leak into the next.
	root, _ := NewRootCmd(genericiooptions.NewTestIOStreamsDiscard())
	var offline, online strings.Builder
	for _, h := range []struct {
		path []string
		out  *strings.Builder
	}{{[]string{"profile", "diff"}, &offline}, {[]string{"version"}, &online}} {
		c, _, err := root.Find(h.path)
		if err != nil {
			t.Fatal(err)
		}
		c.SetOut(h.out)
		c.SetErr(h.out)
		if err := c.Usage(); err != nil {
			t.Fatal(err)
		}
	}
	if strings.Contains(offline.String(), "--kubeconfig") || !strings.Contains(online.String(), "--kubeconfig") {
		t.Errorf("usage in one tree: offline shows cluster flags %v, online %v", strings.Contains(offline.String(), "--kubeconfig"), strings.Contains(online.String(), "--kubeconfig"))
	}
}

// TestOutputTableMatchesTheCommands: docs/output-and-exit-codes.md has a
// row for every command, and the -o values of each row are the ones the
// command's flag accepts.
func TestOutputTableMatchesTheCommands(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../../docs/output-and-exit-codes.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		cells := strings.Split(line, " | ")
		if len(cells) >= 3 && strings.HasPrefix(cells[0], "| `") {
			rows[strings.Trim(cells[0], "| `")] = cells[1]
		}
	}
	root, _ := NewRootCmd(genericiooptions.NewTestIOStreamsDiscard())
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, s := range c.Commands() {
			walk(s)
		}
		if !c.Runnable() || c.HasSubCommands() || c == root {
			return
		}
		name := strings.TrimPrefix(c.CommandPath(), "meshctl ")
		if c.Parent().Name() == "completion" {
			name = "completion SHELL"
		}
		row, ok := rows[name]
		if !ok {
			t.Errorf("no row for %s", name)
			return
		}
		o := c.Flags().Lookup("output")
		if o == nil {
			return
		}
		_, values, found := strings.Cut(o.Usage, "one of ")
		if !found {
			return // -o FILE
		}
		values, _, _ = strings.Cut(values, " ")
		for _, v := range strings.Split(values, "|") {
			if !strings.Contains(row, "`"+v+"`") {
				t.Errorf("%s: the row %q lacks -o %s", name, row, v)
			}
		}
	}
	walk(root)
}
