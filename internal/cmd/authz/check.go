package authz

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/meshctl/meshctl/internal/cmdutil"
	"github.com/meshctl/meshctl/internal/cmdutil/authzinput"
	"github.com/meshctl/meshctl/pkg/authz"
)

// CheckOptions are what `authz check` needs.
type CheckOptions struct {
	Input    authzinput.Flags
	Workload string
	Output   string
	f        *cmdutil.Factory
}

func newCheckCmd(f *cmdutil.Factory, runF func(*CheckOptions) error) *cobra.Command {
	o := &CheckOptions{f: f}
	cmd := &cobra.Command{
		Use:   "check WORKLOAD",
		Short: "List the authorization policies that apply to a workload, in evaluation order",
		Long: `List the AuthorizationPolicies that apply to a workload in the order its
sidecar evaluates them (CUSTOM, DENY, ALLOW, AUDIT), each rule summarised, and
warn about policies that cannot work as written: an ALLOW policy without rules
(it denies everything, the ingress gateway included), source.principals or
source.namespaces without mutual TLS, selectors that match no workload.
WORKLOAD is NAME.NAMESPACE, or NAME with -n.`,
		Example: `  meshctl authz check httpbin -n foo -f samples/security/good/
  meshctl authz check httpbin.foo --use-kube`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Workload = args[0]
			if err := o.Validate(); err != nil {
				return err
			}
			if runF != nil {
				return runF(o)
			}
			return o.Run(cmd.Context())
		},
	}
	o.Input.Bind(cmd)
	addOutput(cmd, &o.Output, "text", "text", "json")
	return cmd
}

// Validate checks the flags.
func (o *CheckOptions) Validate() error {
	if err := o.Input.Validate(); err != nil {
		return err
	}
	return checkOutput(o.Output, "text", "json")
}

// Run prints the policies of one workload. Warnings go to stderr.
func (o *CheckOptions) Run(ctx context.Context) error {
	s, err := o.Input.Load(ctx, o.f)
	if err != nil {
		return err
	}
	w, err := s.Workload(o.Workload, o.Input.DefaultNamespace(o.f))
	if err != nil {
		return err
	}
	c := s.CheckWorkload(w)
	if o.Output == "json" {
		return writeJSON(o.f.Out, c)
	}
	for _, warn := range c.Warnings {
		fmt.Fprintf(o.f.ErrOut, "Warning: %s\n", warn)
	}
	return authz.WriteCheck(o.f.Out, c)
}
