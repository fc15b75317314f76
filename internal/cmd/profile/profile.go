// Package profile implements `meshctl profile list|dump|diff`: the built-in
// install profiles and what a profile plus overrides amounts to.
package profile

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	"github.com/meshctl/meshctl/internal/cmdutil"
	"github.com/meshctl/meshctl/internal/installflags"
	"github.com/meshctl/meshctl/pkg/install/iop"
	"github.com/meshctl/meshctl/pkg/install/objdiff"
	"github.com/meshctl/meshctl/pkg/install/render"
	"github.com/meshctl/meshctl/profiles"
)

// NewCmd builds `meshctl profile`.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:         "profile",
		Annotations: map[string]string{cmdutil.OfflineAnnotation: "true"},
		Short:       "List, show and compare the built-in install profiles",
		Long: `Istio install profiles are IstioOperator overlays on the default profile:
default, demo, minimal, empty, remote and preview. These commands show what
they contain; none needs a cluster.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newListCmd(f), newDumpCmd(f, nil), newDiffCmd(f, nil))
	return cmd
}

// completeProfiles completes built-in profile names, up to max arguments.
func completeProfiles(max int) cobra.CompletionFunc {
	return func(_ *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
		if len(args) >= max {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return profiles.Names(), cobra.ShellCompDirectiveNoFileComp
	}
}

func newListCmd(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the built-in profiles",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			for _, p := range profiles.Names() {
				fmt.Fprintln(f.Out, p)
			}
			return nil
		},
	}
}

// DumpOptions are what one run of `profile dump` needs.
type DumpOptions struct {
	Profile    string
	ConfigPath string
	Output     string
	Install    installflags.Flags

	f *cmdutil.Factory
}

func newDumpCmd(f *cmdutil.Factory, runF func(*DumpOptions) error) *cobra.Command {
	o := &DumpOptions{f: f}
	cmd := &cobra.Command{
		Use:   "dump [PROFILE]",
		Short: "Print a profile merged over default, with any overrides",
		Long: `Print the IstioOperator that a profile (default when none is named) amounts
to, merged over the default profile and with -f and --set applied, as istioctl
would, with the charts' default values filled in under spec.values.

--config-path prints only the part at that path (--set syntax, relative to
spec, e.g. components.pilot or values.global.proxy). -o flags prints the same
as --set flags. A whole dump as flags renders the same install when given back
as --set flags: it leaves out the gateway chart's defaults, which istiod's
values would otherwise record as set (a --config-path shows them).`,
		Example: `  meshctl profile dump demo
  meshctl profile dump --config-path values.global.proxy -o flags
  meshctl profile dump minimal -o json`,
		Args:              cobra.MaximumNArgs(1),
		ValidArgsFunction: completeProfiles(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				o.Profile = args[0]
			}
			if err := o.Validate(); err != nil {
				return err
			}
			if runF != nil {
				return runF(o)
			}
			return o.Run()
		},
	}
	cmd.Flags().StringVarP(&o.Output, "output", "o", "yaml", "Output format: one of yaml|json|flags")
	cmd.Flags().StringVarP(&o.ConfigPath, "config-path", "p", "", "Print only the configuration at this path (relative to spec)")
	o.Install.AddFlags(cmd.Flags())
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions([]string{"yaml", "json", "flags"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// Validate checks the flags.
func (o *DumpOptions) Validate() error {
	switch o.Output {
	case "yaml", "json", "flags":
	default:
		return cmdutil.UsageErrorf("--output must be yaml, json or flags, not %q", o.Output)
	}
	return nil
}

// Run prints the merged profile.
func (o *DumpOptions) Run() error {
	opts, err := o.Install.Options(o.f.In)
	if err != nil {
		return err
	}
	opts.Profile = o.Profile
	m, err := render.Merge(opts)
	if err != nil {
		return err
	}
	withDefaults := m.WithChartDefaults
	if o.Output == "flags" && o.ConfigPath == "" {
		// A whole dump as flags is meant to be given back with --set.
		withDefaults = m.WithIstiodChartDefaults
	}
	doc, err := withDefaults()
	if err != nil {
		return err
	}
	var v any = doc
	prefix := ""
	if o.ConfigPath != "" {
		if v, err = iop.Get(doc, o.ConfigPath); err != nil {
			return fmt.Errorf("--config-path: %w", err)
		}
		prefix = strings.TrimPrefix(o.ConfigPath, "spec.")
	}
	return write(o.f.Out, v, o.Output, prefix)
}

func write(w io.Writer, v any, format, prefix string) error {
	switch format {
	case "json":
		b, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w, "%s\n", b)
		return err
	case "flags":
		if prefix == "" {
			if doc, ok := v.(map[string]any); ok {
				v = doc["spec"]
			}
		}
		for _, l := range iop.Flags(prefix, v) {
			fmt.Fprintln(w, l)
		}
		return nil
	default:
		b, err := yaml.Marshal(v)
		if err != nil {
			return err
		}
		_, err = w.Write(b)
		return err
	}
}

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
