// Package experimental implements `meshctl x`, the home of experimental
// commands, and `meshctl x uninject`. An experimental command of another
// package is added under "x" by the cli package, which builds the tree.
package experimental

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/meshctl/meshctl/internal/cmdutil"
	"github.com/meshctl/meshctl/internal/cmdutil/streamio"
	"github.com/meshctl/meshctl/pkg/inject"
)

// NewCmd builds `meshctl x`.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "x",
		Aliases: []string{"experimental"},
		Short:   "Experimental commands, whose interface may still change",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return cmd.Help()
		},
	}
	cmd.AddCommand(NewUninjectCmd(f))
	return cmd
}

// UninjectOptions are what one run of `meshctl x uninject` needs.
type UninjectOptions struct {
	IO streamio.Options
	f  *cmdutil.Factory
}

// NewUninjectCmd builds `meshctl x uninject`.
func NewUninjectCmd(f *cmdutil.Factory) *cobra.Command { return newUninjectCmd(f, nil) }

func newUninjectCmd(f *cmdutil.Factory, runF func(*UninjectOptions) error) *cobra.Command {
	o := &UninjectOptions{f: f}
	cmd := &cobra.Command{
		Use:         "uninject -f FILE|DIR|- [-o FILE | --in-place]",
		Annotations: map[string]string{cmdutil.OfflineAnnotation: "true"},
		Short:       "Remove a sidecar injection from Kubernetes YAML or JSON files",
		Long: `Remove what kube-inject (or the injection webhook) added to workloads, found
through the sidecar.istio.io/status annotation: the injected containers,
volumes and pull secrets, the annotations and labels, and the probe rewrites
(the originals come from the proxy's ISTIO_KUBE_APP_PROBERS). For output of
meshctl kube-inject, uninject gives back the original bytes: flow style, named
probe ports (kept in a "# was: NAME" comment) and labels or annotations you had
set yourself included; docs/guides/kube-inject.md lists the few inputs whose
injected output cannot be told apart. No configuration and no cluster are
needed.`,
		Example: `  meshctl x uninject -f deploy-injected.yaml > deploy.yaml
  meshctl x uninject -f k8s/ --in-place`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.IO.Validate(); err != nil {
				return cmdutil.UsageErrorf("%v", err)
			}
			if runF != nil {
				return runF(o)
			}
			return o.Run(cmd.Context())
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVarP(&o.IO.Files, "filename", "f", nil, "Input file or directory (recursive: .yaml, .yml, .json); - reads standard input (repeatable)")
	fl.StringVarP(&o.IO.Output, "output", "o", "", "Write the result to this file (atomically) instead of standard output")
	fl.BoolVar(&o.IO.InPlace, "in-place", false, "Rewrite each input file (atomically)")
	return cmd
}

// Run uninjects.
func (o *UninjectOptions) Run(ctx context.Context) error {
	opts := o.IO
	opts.Stdin, opts.Stdout, opts.Context = o.f.In, o.f.Out, ctx
	report := func(r inject.Result) { fmt.Fprintln(o.f.ErrOut, r.String()) }
	p := inject.NewUninjector().NewPipeline(report, 0)
	err := streamio.Run(opts, p)
	if cerr := p.Close(); err == nil {
		err = cerr
	}
	return err
}
