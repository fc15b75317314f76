// Package authn implements `meshctl authn tls-check`: per host and port, the
// mutual TLS mode a server accepts and a client sends, and who decided.
package authn

import (
	"context"
	"encoding/json"

	"github.com/spf13/cobra"

	"github.com/meshctl/meshctl/internal/cmdutil"
	"github.com/meshctl/meshctl/internal/cmdutil/authzinput"
	"github.com/meshctl/meshctl/pkg/authz"
)

// NewCmd builds `meshctl authn`.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "authn",
		Short: "Inspect mutual TLS between clients and servers",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newTLSCheckCmd(f, nil))
	return cmd
}

// Options are what `authn tls-check` needs.
type Options struct {
	Input    authzinput.Flags
	Workload string
	Service  string
	Output   string
	f        *cmdutil.Factory
}

func newTLSCheckCmd(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	o := &Options{f: f}
	cmd := &cobra.Command{
		Use:   "tls-check [WORKLOAD] [SERVICE]",
		Short: "Show, per HOST:PORT, the server and client mutual TLS modes and whether they agree",
		Long: `For every service port (or SERVICE only), show the mode the server workload
accepts (from the most specific PeerAuthentication, port level included; NONE
for a workload without a sidecar), the mode the client sends (DestinationRule
TLS setting, auto mTLS, or PLAINTEXT for a client without a sidecar), and a
status: OK, CONFLICT or AUTO. WORKLOAD is the client (NAME.NAMESPACE); without
it a sidecar client in the service's namespace is assumed.`,
		Example: `  meshctl authn tls-check sleep.foo httpbin.bar -f samples/security/good/
  meshctl authn tls-check sleep.foo --use-kube -A`,
		Args: cobra.MaximumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				o.Workload = args[0]
			}
			if len(args) > 1 {
				o.Service = args[1]
			}
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
	cmd.Flags().StringVarP(&o.Output, "output", "o", "table", "Output format: one of table|json")
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions([]string{"table", "json"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// Validate checks the flags.
func (o *Options) Validate() error {
	if err := o.Input.Validate(); err != nil {
		return err
	}
	if o.Output != "table" && o.Output != "json" {
		return cmdutil.UsageErrorf("--output must be one of table|json, not %q", o.Output)
	}
	return nil
}

// Run prints the table.
func (o *Options) Run(ctx context.Context) error {
	s, err := o.Input.Load(ctx, o.f)
	if err != nil {
		return err
	}
	ns := o.Input.DefaultNamespace(o.f)
	var client *authz.Workload
	if o.Workload != "" && o.Workload != "-" {
		if client, err = s.Workload(o.Workload, ns); err != nil {
			return err
		}
	}
	svcs := s.Services
	if o.Service != "" {
		svc, err := s.Service(o.Service, ns)
		if err != nil {
			return err
		}
		svcs = []*authz.Service{svc}
	}
	rows := s.TLSCheck(client, svcs)
	if o.Output == "json" {
		b, err := json.MarshalIndent(rows, "", "  ")
		if err != nil {
			return err
		}
		_, err = o.f.Out.Write(append(b, '\n'))
		return err
	}
	return authz.WriteTLSCheck(o.f.Out, rows)
}
