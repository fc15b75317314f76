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

	root.AddCommand(
		version.NewCmd(f),
		proxystatus.NewCmd(f),
		proxyconfig.NewCmd(f),
	)
	for _, add := range extraCommands {
		root.AddCommand(add(f))
	}
	for parent, adds := range extraSubcommands {
		for _, c := range root.Commands() {
			if c.Name() == parent {
				for _, add := range adds {
					c.AddCommand(add(f))
				}
			}
		}
	}

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

// extraCommands lets capability packages register top-level commands from
// commands.go without editing this file's constructor.
var extraCommands []func(*cmdutil.Factory) *cobra.Command

// extraSubcommands adds commands under a top-level command built by another
// package (for example "apply" under "manifest"), keyed by the parent's name,
// so that no command package imports a sibling.
var extraSubcommands = map[string][]func(*cmdutil.Factory) *cobra.Command{}

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
