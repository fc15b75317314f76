package cmdutil

import (
	"os"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
)

// gcAnnotation carries a command's GC settings in cobra.Command.Annotations.
const gcAnnotation = "meshctl.io/gc"

// GC is how the garbage collector runs while a command does, for commands
// whose one-shot work makes garbage far faster than it keeps memory live.
// The root applies it before the command runs and cli.Main restores what
// was there after; the user's own GOGC and GOMEMLIMIT win over it.
type GC struct {
	// Percent is as GOGC: -1 turns collection off (then MemoryLimit is
	// what bounds the heap), 0 leaves the setting alone.
	Percent int
	// MemoryLimit is as GOMEMLIMIT, in bytes; 0 leaves it alone.
	MemoryLimit int64
}

// SetGC records the command's GC settings.
func SetGC(cmd *cobra.Command, g GC) {
	if cmd.Annotations == nil {
		cmd.Annotations = map[string]string{}
	}
	cmd.Annotations[gcAnnotation] = strconv.Itoa(g.Percent) + " " + strconv.FormatInt(g.MemoryLimit, 10)
}

// GCOf is the GC settings recorded on cmd, if any.
func GCOf(cmd *cobra.Command) (GC, bool) {
	v, ok := cmd.Annotations[gcAnnotation]
	if !ok {
		return GC{}, false
	}
	p, l, _ := strings.Cut(v, " ")
	var g GC
	g.Percent, _ = strconv.Atoi(p)
	g.MemoryLimit, _ = strconv.ParseInt(l, 10, 64)
	return g, true
}

// SaveGC returns what restores the collector's settings as they are now.
func SaveGC() (restore func()) {
	percent := debug.SetGCPercent(100)
	debug.SetGCPercent(percent)
	limit := debug.SetMemoryLimit(-1) // a negative limit reads it
	return func() {
		debug.SetGCPercent(percent)
		debug.SetMemoryLimit(limit)
	}
}

// ApplyGC sets the collector as g says, where the environment does not
// say otherwise.
func ApplyGC(g GC) {
	if _, set := os.LookupEnv("GOGC"); !set && g.Percent != 0 {
		debug.SetGCPercent(g.Percent)
	}
	if _, set := os.LookupEnv("GOMEMLIMIT"); !set && g.MemoryLimit > 0 {
		debug.SetMemoryLimit(g.MemoryLimit)
	}
}
