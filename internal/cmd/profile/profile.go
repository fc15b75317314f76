// Package profile implements `meshctl profile list|dump|diff`: the built-in
// install profiles and what a profile plus overrides amounts to.
package profile

import (
	"github.com/spf13/cobra"

	"github.com/meshctl/meshctl/internal/cmdutil"
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
