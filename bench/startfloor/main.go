// Command startfloor is the least a CLI built on meshctl's required stack
// can cost at start-up. It links the libraries the mission names (cobra,
// viper, cli-runtime, client-go, Istio's client-go and Helm's engine) the
// way any command of such a tool must, and does nothing else: its
// `version --client` prints one line. bench/version.sh runs it beside
// meshctl, so the gap between the two is the part of meshctl's start-up
// that meshctl's own code controls.
package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"github.com/spf13/viper"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/engine"
	istioclient "istio.io/client-go/pkg/clientset/versioned"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
)

// linked keeps one entry point of each library reachable, so the linker
// keeps their packages (and their init work) as meshctl's build does.
var linked = []any{
	kubernetes.NewForConfig,
	dynamic.NewForConfig,
	discovery.NewDiscoveryClientForConfig,
	istioclient.NewForConfig,
	loader.LoadFiles,
	engine.Render,
}

func main() {
	cfg := viper.New()
	cfg.SetEnvPrefix("STARTFLOOR")
	cfg.AutomaticEnv()
	root := &cobra.Command{Use: "startfloor", SilenceUsage: true}
	genericclioptions.NewConfigFlags(true).AddFlags(root.PersistentFlags())
	version := &cobra.Command{
		Use: "version",
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintf(cmd.OutOrStdout(), "client version: floor (%d libraries)\n", len(linked))
			return err
		},
	}
	version.Flags().Bool("client", false, "client version only")
	if err := cfg.BindPFlags(version.Flags()); err != nil {
		fmt.Fprintln(os.Stderr, "Error:", err)
		os.Exit(1)
	}
	root.AddCommand(version)
	if err := root.Execute(); err != nil {
		os.Exit(1)
	}
}
