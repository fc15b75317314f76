package cli

import (
	"os"
	"runtime/debug"
	"testing"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/meshctl/meshctl/internal/cmdutil"
)

// TestGCAroundTheCommandsRun: the settings a command records hold while it
// runs, and no longer once Main is done with it; the tree's own commands
// that ask for them still do.
func TestGCAroundTheCommandsRun(t *testing.T) {
	for _, n := range []string{"GOGC", "GOMEMLIMIT"} {
		t.Setenv(n, "")
		os.Unsetenv(n)
	}
	before := debug.SetGCPercent(100)
	debug.SetGCPercent(before)
	var during int
	root := &cobra.Command{Use: "root"}
	child := &cobra.Command{Use: "child", RunE: func(*cobra.Command, []string) error {
		during = debug.SetGCPercent(100)
		debug.SetGCPercent(during)
		return nil
	}}
	cmdutil.SetGC(child, cmdutil.GC{Percent: 317})
	root.AddCommand(child)
	restore := gcAroundRun(root)
	root.SetArgs([]string{"child"})
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	restore()
	after := debug.SetGCPercent(100)
	debug.SetGCPercent(after)
	if during != 317 || after != before {
		t.Fatalf("GOGC during the run %d (want 317), after %d (want %d)", during, after, before)
	}

	tree, _ := NewRootCmd(genericiooptions.NewTestIOStreamsDiscard())
	for _, path := range [][]string{{"manifest", "generate"}, {"kube-inject"}} {
		cmd, _, err := tree.Find(path)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := cmdutil.GCOf(cmd); !ok {
			t.Errorf("%v no longer asks for its GC settings", path)
		}
	}
}
