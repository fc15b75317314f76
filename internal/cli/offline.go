package cli

import (
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/meshctl/meshctl/internal/cmdutil"
)

// clusterFlag marks kubectl's cluster flags (--kubeconfig, --context, -n,
// ...) among the root's persistent flags.
const clusterFlag = "meshctl.io/cluster-flag"

// markClusterFlags annotates every flag of fs as a cluster flag.
func markClusterFlags(fs *pflag.FlagSet) {
	fs.VisitAll(func(f *pflag.Flag) { _ = fs.SetAnnotation(f.Name, clusterFlag, []string{"true"}) })
}

// isOffline reports whether the command, or a command above it, never
// talks to a cluster.
func isOffline(c *cobra.Command) bool {
	for ; c != nil; c = c.Parent() {
		if c.Annotations[cmdutil.OfflineAnnotation] == "true" {
			return true
		}
	}
	return false
}

// WithOfflineFlagsHidden runs fn (which prints c's usage or reference
// page) with the cluster flags hidden when c never uses a cluster: 22 of
// the usage's lines were cluster flags even for `profile diff`. They stay
// accepted, so scripts that pass --context everywhere keep working.
func WithOfflineFlagsHidden(c *cobra.Command, fn func() error) error {
	if !isOffline(c) {
		return fn()
	}
	var hidden []*pflag.Flag
	c.InheritedFlags().VisitAll(func(f *pflag.Flag) {
		if f.Annotations[clusterFlag] != nil && !f.Hidden {
			f.Hidden = true
			hidden = append(hidden, f)
		}
	})
	defer func() {
		for _, f := range hidden {
			f.Hidden = false
		}
	}()
	return fn()
}

// hideClusterFlagsWhenOffline makes every usage and help of an offline
// command leave out the cluster flags.
func hideClusterFlagsWhenOffline(root *cobra.Command) {
	usage := root.UsageFunc()
	root.SetUsageFunc(func(c *cobra.Command) error {
		return WithOfflineFlagsHidden(c, func() error { return usage(c) })
	})
}

func offline(c *cobra.Command) {
	if c.Annotations == nil {
		c.Annotations = map[string]string{}
	}
	c.Annotations[cmdutil.OfflineAnnotation] = "true"
}
