// Package cmdutil holds what every meshctl command shares: the I/O streams,
// the cluster flags, the configuration, the lazily built Kubernetes client and
// the typed errors that the root command maps to exit codes. Command packages
// import it; it imports no command.
package cmdutil

import (
	"sync"

	"github.com/spf13/viper"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/meshctl/meshctl/pkg/kube"
)

// DefaultIstioNamespace is where the control plane lives unless -i says otherwise.
const DefaultIstioNamespace = "istio-system"

// Factory is handed to every command constructor. Nothing in it connects to a
// cluster until Kube is called, so offline commands never read a kubeconfig.
type Factory struct {
	genericiooptions.IOStreams

	// ConfigFlags are kubectl's cluster flags (--kubeconfig, --context, -n, ...).
	ConfigFlags *genericclioptions.ConfigFlags
	// Viper is the one configuration instance: config file, MESHCTL_* env, flags.
	Viper *viper.Viper
	// Term describes the terminal meshctl is writing to.
	Term Terminal

	// Kube returns the client for the selected cluster, built once on first use.
	// Tests replace it with a literal.
	Kube func() (*kube.Client, error)

	once   sync.Once
	client *kube.Client
	err    error
}

// NewFactory builds a factory over the given streams and cluster flags.
func NewFactory(streams genericiooptions.IOStreams, flags *genericclioptions.ConfigFlags, v *viper.Viper) *Factory {
	f := &Factory{IOStreams: streams, ConfigFlags: flags, Viper: v, Term: DetectTerminal(streams)}
	f.Kube = f.defaultKube
	return f
}

func (f *Factory) defaultKube() (*kube.Client, error) {
	f.once.Do(func() { f.client, f.err = kube.NewClient(f.ConfigFlags) })
	return f.client, f.err
}

// IstioNamespace is the control plane namespace (-i/--istio-namespace).
func (f *Factory) IstioNamespace() string {
	if ns := f.Viper.GetString("istio-namespace"); ns != "" {
		return ns
	}
	return DefaultIstioNamespace
}

// Verbosity is the -v level.
func (f *Factory) Verbosity() int { return f.Viper.GetInt("verbosity") }

// Namespace is the namespace a command works in: -n, else the kubeconfig
// context's namespace, else "default". The second result says whether the
// user chose it explicitly with -n. It reads the kubeconfig only when -n is
// absent, so offline commands should call ExplicitNamespace instead.
func (f *Factory) Namespace() (string, bool, error) {
	if ns := f.ExplicitNamespace(); ns != "" {
		return ns, true, nil
	}
	ns, _, err := f.ConfigFlags.ToRawKubeConfigLoader().Namespace()
	if err != nil {
		return "", false, err
	}
	if ns == "" {
		ns = "default"
	}
	return ns, false, nil
}

// ExplicitNamespace is the value of -n/--namespace, or "" when it was not
// given. It never reads a kubeconfig.
func (f *Factory) ExplicitNamespace() string {
	if f.ConfigFlags.Namespace != nil {
		return *f.ConfigFlags.Namespace
	}
	return ""
}
