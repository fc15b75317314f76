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
	"github.com/meshctl/meshctl/pkg/install/render"
)

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
