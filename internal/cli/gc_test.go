package cli

import (
	"os"
	"runtime/debug"
	"testing"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/meshctl/meshctl/internal/cmdutil"
)

func gcPercent() int {
	p := debug.SetGCPercent(100)
	debug.SetGCPercent(p)
	return p
}

// TestGCAroundTheCommandsRun: the settings a command records hold while it
// runs, and no longer once Main is done with it; the tree's own commands
// that ask for them still do.
func TestGCAroundTheCommandsRun(t *testing.T) {
	for _, n := range []string{"GOGC", "GOMEMLIMIT"} {
		t.Setenv(n, "")
		os.Unsetenv(n)
	}
	defer cmdutil.SaveGC()()
	before := gcPercent()

	root, _ := NewRootCmd(genericiooptions.NewTestIOStreamsDiscard())
	var during int
	child := &cobra.Command{Use: "probe", RunE: func(*cobra.Command, []string) error {
		during = gcPercent()
		return nil
	}}
	cmdutil.SetGC(child, cmdutil.GC{Percent: 317})
	root.AddCommand(child)
	root.SetArgs([]string{"probe"})
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	if during != 317 {
		t.Fatalf("GOGC during the run %d, want 317", during)
	}
	for _, path := range [][]string{{"manifest", "generate"}, {"kube-inject"}} {
		cmd, _, err := root.Find(path)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := cmdutil.GCOf(cmd); !ok {
			t.Errorf("%v no longer asks for its GC settings", path)
		}
	}

	// manifest generate turns collection off while it runs; Main puts the
	// setting back.
	debug.SetGCPercent(before) // undo the probe's setting
	if code := Main([]string{"manifest", "generate"}, genericiooptions.NewTestIOStreamsDiscard()); code != 0 {
		t.Fatalf("manifest generate exited %d", code)
	}
	if after := gcPercent(); after != before {
		t.Fatalf("GOGC after Main %d, want %d", after, before)
	}
}
