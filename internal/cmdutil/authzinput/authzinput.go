// Package authzinput holds the flags that `meshctl authz` and `meshctl authn`
// share to choose their input (files, stdin or a live cluster) and turns
// them into an authz.Snapshot.
package authzinput

import (
	"context"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/meshctl/meshctl/internal/cmdutil"
	"github.com/meshctl/meshctl/pkg/authz"
	"github.com/meshctl/meshctl/pkg/authz/kubesource"
)

// Flags are the input flags.
type Flags struct {
	Files          []string
	UseKube        bool
	AllNamespaces  bool
	MeshConfigFile string
	AutoMTLS       bool
	ClusterDomain  string

	autoSet func() bool
}

// Bind adds the flags to a command.
func (fl *Flags) Bind(cmd *cobra.Command) {
	fs := cmd.Flags()
	fs.StringArrayVarP(&fl.Files, "filename", "f", nil, "Read objects from a file, a directory (recursively) or - for stdin; repeatable")
	fs.BoolVar(&fl.UseKube, "use-kube", false, "Read objects from the cluster of the current kubeconfig context")
	fs.BoolVarP(&fl.AllNamespaces, "all-namespaces", "A", false, "With --use-kube, read every namespace")
	fs.StringVar(&fl.MeshConfigFile, "meshConfigFile", "", "Mesh config YAML to use instead of the istio ConfigMap")
	fs.BoolVar(&fl.AutoMTLS, "auto-mtls", true, "Override the mesh config's enableAutoMtls (the seed's Istio 1.4 era: false)")
	fs.StringVar(&fl.ClusterDomain, "cluster-domain", "", "DNS suffix of service hosts (default: the injector config's global.proxy.clusterDomain, else cluster.local)")
	fl.autoSet = func() bool { return fs.Changed("auto-mtls") }
	_ = cmd.MarkFlagFilename("filename", "yaml", "yml", "json")
	_ = cmd.MarkFlagFilename("meshConfigFile", "yaml", "yml")
}

// Validate checks that some input was chosen.
func (fl *Flags) Validate() error {
	if len(fl.Files) == 0 && !fl.UseKube {
		return cmdutil.UsageErrorf("give input files with -f, or --use-kube to read the cluster")
	}
	if fl.AllNamespaces && !fl.UseKube {
		return cmdutil.UsageErrorf("-A needs --use-kube")
	}
	return nil
}

// Load builds the snapshot. Without --use-kube no kubeconfig is read.
func (fl *Flags) Load(ctx context.Context, f *cmdutil.Factory) (*authz.Snapshot, error) {
	l := authz.NewLoader(f.IstioNamespace())
	if fl.UseKube {
		c, err := f.Kube()
		if err != nil {
			return nil, err
		}
		var nss []string
		if !fl.AllNamespaces {
			ns, _, err := f.Namespace()
			if err != nil {
				return nil, err
			}
			nss = []string{ns}
		}
		warnings, err := kubesource.Load(ctx, c, l, kubesource.Options{Namespaces: nss, IstioNamespace: f.IstioNamespace()})
		for _, w := range warnings {
			fmt.Fprintf(f.ErrOut, "Warning: %s\n", w)
		}
		if err != nil {
			return nil, err
		}
	}
	if len(fl.Files) > 0 {
		err := l.AddPaths(fl.Files, f.In)
		for _, w := range l.Warnings {
			fmt.Fprintf(f.ErrOut, "Warning: %s\n", w)
		}
		if err != nil {
			return nil, fmt.Errorf("reading input: %w", err)
		}
	}
	if fl.MeshConfigFile != "" {
		data, err := os.ReadFile(fl.MeshConfigFile)
		if err != nil {
			return nil, fmt.Errorf("reading mesh config: %w", err)
		}
		l.SetMeshConfig(data, fl.MeshConfigFile)
	}
	opts := authz.BuildOptions{ClusterDomain: fl.ClusterDomain}
	if fl.autoSet != nil && fl.autoSet() {
		v := fl.AutoMTLS
		opts.AutoMTLS = &v
	}
	return l.Build(opts)
}

// DefaultNamespace is the namespace for bare workload names: -n, else
// "default" (offline), never read from a kubeconfig unless --use-kube.
func (fl *Flags) DefaultNamespace(f *cmdutil.Factory) string {
	if ns := f.ExplicitNamespace(); ns != "" {
		return ns
	}
	if fl.UseKube {
		if ns, _, err := f.Namespace(); err == nil {
			return ns
		}
	}
	return "default"
}
