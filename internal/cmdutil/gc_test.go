package cmdutil

import (
	"os"
	"runtime/debug"
	"testing"

	"github.com/spf13/cobra"
)

func currentGC() (int, int64) {
	p := debug.SetGCPercent(100)
	debug.SetGCPercent(p)
	return p, debug.SetMemoryLimit(-1)
}

func TestGCAppliedAndRestored(t *testing.T) {
	unsetEnv(t, "GOGC", "GOMEMLIMIT")
	cmd := &cobra.Command{Use: "x"}
	SetGC(cmd, GC{Percent: -1, MemoryLimit: 32 << 20})
	g, ok := GCOf(cmd)
	if !ok || g.Percent != -1 || g.MemoryLimit != 32<<20 {
		t.Fatalf("GCOf = %+v, %v", g, ok)
	}
	p0, l0 := currentGC()
	restore := SaveGC()
	ApplyGC(g)
	if p, l := currentGC(); p != -1 || l != 32<<20 {
		t.Errorf("while running: GOGC %d, limit %d", p, l)
	}
	restore()
	if p, l := currentGC(); p != p0 || l != l0 {
		t.Errorf("after: GOGC %d, limit %d; want %d, %d", p, l, p0, l0)
	}
}

func TestUsersGOGCWins(t *testing.T) {
	t.Setenv("GOGC", "100")
	unsetEnv(t, "GOMEMLIMIT")
	p0, _ := currentGC()
	defer SaveGC()()
	ApplyGC(GC{Percent: 150})
	if p, _ := currentGC(); p != p0 {
		t.Errorf("GOGC is set, yet the command's percent (%d) replaced %d", p, p0)
	}
	if _, ok := GCOf(&cobra.Command{}); ok {
		t.Error("a command without settings has some")
	}
}

func unsetEnv(t *testing.T, names ...string) {
	t.Helper()
	for _, n := range names {
		t.Setenv(n, "") // restored after the test
		if err := os.Unsetenv(n); err != nil {
			t.Fatal(err)
		}
	}
}
