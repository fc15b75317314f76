package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/meshctl/meshctl/internal/cmdutil"
	"github.com/meshctl/meshctl/internal/testutil/golden"
)

// TestCommandTree: the whole command tree, each command with its aliases,
// whether it is hidden or offline, and the flags it defines, matches testdata/command-tree.golden, so that a
// command or flag lost while moving code shows as a removed line (go test
// -update rewrites the file after an intended change).
func TestCommandTree(t *testing.T) {
	t.Parallel()
	root, _ := NewRootCmd(genericiooptions.NewTestIOStreamsDiscard())
	got := describeTree(root)
	if n := strings.Count(got, "\nmeshctl "); n < 20 {
		t.Fatalf("only %d commands under the root:\n%s", n, got)
	}
	golden.CheckString(t, filepath.Join("testdata", "command-tree.golden"), got)
}

// describeTree lists every command, hidden ones included, one line each,
// with the flags it defines indented below it. Flags a command inherits
// are listed once, under the command that defines them, as persistent.
func describeTree(root *cobra.Command) string {
	home, _ := os.UserHomeDir()
	var b strings.Builder
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		b.WriteString(c.CommandPath())
		if len(c.Aliases) > 0 {
			fmt.Fprintf(&b, " (aliases: %s)", strings.Join(c.Aliases, ", "))
		}
		if c.Hidden {
			b.WriteString(" hidden")
		}
		if c.Annotations[cmdutil.OfflineAnnotation] == "true" {
			b.WriteString(" offline")
		}
		if c.Deprecated != "" {
			fmt.Fprintf(&b, " deprecated: %q", c.Deprecated)
		}
		b.WriteString("\n")
		persistent := c.PersistentFlags()
		c.LocalFlags().VisitAll(func(f *pflag.Flag) {
			if f.Shorthand != "" {
				fmt.Fprintf(&b, "  -%s, ", f.Shorthand)
			} else {
				b.WriteString("      ")
			}
			def := f.DefValue
			if home != "" && home != "/" {
				def = strings.ReplaceAll(def, home, "$HOME")
			}
			fmt.Fprintf(&b, "--%s %s default %q", f.Name, f.Value.Type(), def)
			if persistent.Lookup(f.Name) != nil {
				b.WriteString(" persistent")
			}
			if f.Hidden {
				b.WriteString(" hidden")
			}
			if f.Deprecated != "" {
				fmt.Fprintf(&b, " deprecated: %q", f.Deprecated)
			}
			b.WriteString("\n")
		})
		for _, s := range c.Commands() {
			walk(s)
		}
	}
	walk(root)
	return b.String()
}
