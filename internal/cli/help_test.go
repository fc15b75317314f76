package cli

import (
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
