// Package cli assembles meshctl's command tree: the root command with its
// global flags and configuration, every subcommand, and the mapping from
// errors to exit codes.
package cli

import (
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/spf13/viper"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/meshctl/meshctl/internal/cmd/analyze"
	"github.com/meshctl/meshctl/internal/cmd/authn"
	"github.com/meshctl/meshctl/internal/cmd/authz"
	"github.com/meshctl/meshctl/internal/cmd/experimental"
	"github.com/meshctl/meshctl/internal/cmd/install"
	"github.com/meshctl/meshctl/internal/cmd/kubeinject"
	"github.com/meshctl/meshctl/internal/cmd/manifest"
	"github.com/meshctl/meshctl/internal/cmd/profile"
	"github.com/meshctl/meshctl/internal/cmd/proxyconfig"
	"github.com/meshctl/meshctl/internal/cmd/proxystatus"
	"github.com/meshctl/meshctl/internal/cmd/version"
	"github.com/meshctl/meshctl/internal/cmdutil"
)

// NewRootCmd builds the whole command tree over the given streams.
func NewRootCmd(streams genericiooptions.IOStreams) (*cobra.Command, *cmdutil.Factory) {
	v := viper.New()
	configFlags := genericclioptions.NewConfigFlags(true).WithDiscoveryBurst(300).WithDiscoveryQPS(50.0)
	f := cmdutil.NewFactory(streams, configFlags, v)

	root := &cobra.Command{
		Use:   "meshctl",
		Short: "Install, inject, analyze and secure an Istio service mesh",
		Long: `meshctl manages an Istio service mesh on Kubernetes: it renders and installs the
control plane from profiles, injects sidecars into YAML offline, analyzes mesh
config in files and live clusters, and explains which security policies decide
whether one workload can call another.

` + cmdutil.ExitCodesHelp,
		SilenceErrors:     true,
		SilenceUsage:      true,
		DisableAutoGenTag: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			if g, ok := cmdutil.GCOf(cmd); ok {
				cmdutil.ApplyGC(g) // cli.Main restores the settings
			}
			return loadConfig(cmd, v)
		},
	}
	root.SetIn(streams.In)
	root.SetOut(streams.Out)
	root.SetErr(streams.ErrOut)

	pf := root.PersistentFlags()
	// meshctl caches discovery in memory for one run only; it never writes
	// ~/.kube/cache, so the flag that moves that cache would do nothing.
	configFlags.CacheDir = nil
	cluster := pflag.NewFlagSet("cluster", pflag.ContinueOnError)
	configFlags.AddFlags(cluster)
	markClusterFlags(cluster)
	pf.AddFlagSet(cluster)
	pf.StringP("istio-namespace", "i", cmdutil.DefaultIstioNamespace, "Istio control plane namespace")
	pf.IntP("verbosity", "v", 0, "Log verbosity: 0 quiet, higher numbers print more on stderr")
	pf.String("config", "", "meshctl config file (default $XDG_CONFIG_HOME/meshctl/config.yaml)")
	_ = v.BindPFlag("istio-namespace", pf.Lookup("istio-namespace"))
	_ = v.BindPFlag("verbosity", pf.Lookup("verbosity"))
	registerClusterCompletions(root, f)

	// Every command is added here, in plain sight: the root is the one
	// place that knows the whole tree, so no command package imports a
	// sibling. `manifest apply` is install's command under manifest's family.
	manifestCmd := manifest.NewCmd(f)
	manifestCmd.AddCommand(install.NewApplyCmd(f))
	root.AddCommand(
		analyze.NewCmd(f),
		authn.NewCmd(f),
		authz.NewCmd(f),
		experimental.NewCmd(f),
		install.NewCmd(f),
		install.NewUninstallCmd(f),
		install.NewVerifyCmd(f),
		kubeinject.NewCmd(f),
		manifestCmd,
		profile.NewCmd(f),
		proxyconfig.NewCmd(f),
		proxystatus.NewCmd(f),
		version.NewCmd(f),
	)

	// cobra adds `completion` lazily at Execute; adding it now puts it in the
	// generated reference and lets tests reach it like any other command.
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		if c.Name() == "completion" || c.Name() == "help" {
			offline(c)
		}
	}
	markUsageErrors(root)
	hideClusterFlagsWhenOffline(root)
	return root, f
}

// markUsageErrors makes argument and flag mistakes UsageErrors everywhere in
// the tree, so that they, and only they, print the usage and exit 2.
func markUsageErrors(root *cobra.Command) {
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return &cmdutil.UsageError{Err: err}
	})
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if args := c.Args; args != nil {
			c.Args = func(cmd *cobra.Command, a []string) error {
				if err := args(cmd, a); err != nil {
					return &cmdutil.UsageError{Err: err}
				}
				return nil
			}
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}

// flagsOf lists the flags that configuration may set for cmd: its own and
// the inherited persistent ones.
func flagsOf(cmd *cobra.Command) *pflag.FlagSet {
	fs := pflag.NewFlagSet(cmd.Name(), pflag.ContinueOnError)
	fs.AddFlagSet(cmd.Flags())
	fs.AddFlagSet(cmd.InheritedFlags())
	return fs
}

func envName(flag string) string {
	return "MESHCTL_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}
