// Package authz implements `meshctl authz check|can|matrix`: who can call
// whom in the mesh, and which policy decides, predicted from configuration.
package authz

import (
	"encoding/json"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/meshctl/meshctl/internal/cmdutil"
)

// NewCmd builds `meshctl authz`.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "authz",
		Short: "Predict who can call whom, and which policy decides",
		Long: `Predict, from configuration alone, the outcome of calls between workloads:
mutual TLS negotiation (PeerAuthentication, DestinationRule, auto mTLS),
then AuthorizationPolicy (CUSTOM, DENY, ALLOW, AUDIT) and RequestAuthentication.
Works on files (-f, offline: no kubeconfig is read) or on a live cluster
(--use-kube).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newCheckCmd(f, nil), newCanCmd(f, nil), newMatrixCmd(f, nil))
	return cmd
}

func addOutput(cmd *cobra.Command, p *string, def string, formats ...string) {
	cmd.Flags().StringVarP(p, "output", "o", def, "Output format: one of "+strings.Join(formats, "|"))
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions(formats, cobra.ShellCompDirectiveNoFileComp))
}

func checkOutput(v string, formats ...string) error {
	for _, f := range formats {
		if v == f {
			return nil
		}
	}
	return cmdutil.UsageErrorf("--output must be one of %s, not %q", strings.Join(formats, "|"), v)
}

func writeJSON(w io.Writer, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}
