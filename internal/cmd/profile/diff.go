package profile

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/meshctl/meshctl/internal/cmdutil"
	"github.com/meshctl/meshctl/pkg/install/objdiff"
	"github.com/meshctl/meshctl/pkg/install/render"
)

// DiffOptions are what one run of `profile diff` needs.
type DiffOptions struct {
	A, B string

	f *cmdutil.Factory
}

func newDiffCmd(f *cmdutil.Factory, runF func(*DiffOptions) error) *cobra.Command {
	o := &DiffOptions{f: f}
	cmd := &cobra.Command{
		Use:   "diff PROFILE_A PROFILE_B",
		Short: "Show how two profiles differ",
		Long: `Compare two profiles, each merged over default, field by field. Lines start
with "-" for a field only the first has, "+" for one only the second has and
"~" for a changed value. Exits 0 when they are the same, 1 when they differ
and 2 when they cannot be compared (like diff(1)).`,
		Example:           `  meshctl profile diff default demo`,
		Args:              cobra.ExactArgs(2),
		ValidArgsFunction: completeProfiles(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.A, o.B = args[0], args[1]
			if runF != nil {
				return runF(o)
			}
			return o.Run()
		},
	}
	return cmd
}

// Run prints the differences.
func (o *DiffOptions) Run() error {
	// As diff(1): 1 means "they differ", so trouble is 2.
	a, err := render.ProfileDoc(o.A)
	if err != nil {
		return &cmdutil.CodeError{Code: 2, Err: err}
	}
	b, err := render.ProfileDoc(o.B)
	if err != nil {
		return &cmdutil.CodeError{Code: 2, Err: err}
	}
	cs := objdiff.Values(a, b)
	if len(cs) == 0 {
		fmt.Fprintf(o.f.ErrOut, "profiles %s and %s are the same\n", o.A, o.B)
		return nil
	}
	objdiff.WriteChanges(o.f.Out, cs, "")
	return &cmdutil.SilentError{Code: 1}
}
