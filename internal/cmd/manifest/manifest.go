// Package manifest implements `meshctl manifest` and its offline
// subcommands `generate` and `diff`. The cli package adds `apply`, which
// the install package builds, when it assembles the tree.
package manifest

import (
	"github.com/spf13/cobra"

	"github.com/meshctl/meshctl/internal/cmdutil"
)

// NewCmd builds `meshctl manifest`.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "manifest",
		Short: "Render, compare and apply Istio install manifests",
		Long: `Render the Kubernetes manifests of an Istio install from a profile and
overrides, compare two manifests, or apply them to a cluster.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newGenerateCmd(f, nil), newDiffCmd(f, nil))
	return cmd
}
