// Package kubeinject implements `meshctl kube-inject`: Istio's sidecar
// injection applied to YAML and JSON files, offline by default.
package kubeinject

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/meshctl/meshctl/internal/cmdutil"
	"github.com/meshctl/meshctl/internal/cmdutil/streamio"
	"github.com/meshctl/meshctl/internal/installflags"
	"github.com/meshctl/meshctl/pkg/inject"
	"github.com/meshctl/meshctl/pkg/kube"
)

// Options are what one run of `meshctl kube-inject` needs.
type Options struct {
	IO streamio.Options

	Install installflags.Flags

	InjectConfigFile string
	MeshConfigFile   string
	ValuesFile       string
	UseKube          bool

	f *cmdutil.Factory
}

// NewCmd builds `meshctl kube-inject`.
func NewCmd(f *cmdutil.Factory) *cobra.Command { return newCmd(f, nil) }

func newCmd(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	o := &Options{f: f}
	cmd := &cobra.Command{
		Use:   "kube-inject -f FILE|DIR|- [-o FILE | --in-place]",
		Short: "Add the Istio sidecar to the workloads of Kubernetes YAML or JSON files",
		Long: `Add the Istio sidecar to Pods, Deployments, ReplicaSets, ReplicationControllers,
DaemonSets, StatefulSets, Jobs, CronJobs and DeploymentConfigs (also inside
Lists), exactly as the injection webhook of the same configuration would.

The change is minimal: your own lines keep their order, formatting and comments;
injection inserts lines and rewrites only the probes it redirects to the agent.
Other documents pass through byte for byte. Injecting injected output replaces
the earlier injection, so running it twice changes nothing.

The configuration comes, by default and offline, from the profile rendered in
process (--set, --operatorFileName, --revision as for manifest generate; no
kubeconfig is read); --injectConfigFile, --meshConfigFile and --valuesFile
replace parts of it with files in the format of the ConfigMaps' data (or whole
ConfigMaps as kubectl prints them); --use-kube reads the ConfigMaps of the
installed control plane instead.

Workloads with hostNetwork, with sidecar.istio.io/inject=false (label, else
annotation) or in system namespaces are left unchanged. One line per resource
is reported on standard error.`,
		Example: `  meshctl kube-inject -f deploy.yaml > deploy-injected.yaml
  meshctl kube-inject -f k8s/ --in-place --revision canary
  kubectl get cm istio-sidecar-injector -n istio-system -o yaml > inject.yaml
  meshctl kube-inject -f app.yaml --injectConfigFile inject.yaml --valuesFile inject.yaml
  meshctl kube-inject -f app.yaml --use-kube -o app-injected.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.Validate(); err != nil {
				return err
			}
			if runF != nil {
				return runF(o)
			}
			return o.Run(cmd.Context())
		},
	}
	cmdutil.SetGC(cmd, cmdutil.GC{Percent: gcPercent})
	fl := cmd.Flags()
	fl.StringArrayVarP(&o.IO.Files, "filename", "f", nil, "Input file or directory (recursive: .yaml, .yml, .json); - reads standard input (repeatable)")
	fl.StringVarP(&o.IO.Output, "output", "o", "", "Write the result to this file (atomically) instead of standard output")
	fl.BoolVar(&o.IO.InPlace, "in-place", false, "Rewrite each input file with its injected form (atomically)")
	fl.StringArrayVar(&o.Install.Sets, "set", nil, "Override an IstioOperator field of the rendered configuration, as for manifest generate (repeatable)")
	fl.StringArrayVar(&o.Install.Files, "operatorFileName", nil, "IstioOperator overlay file for the rendered configuration (repeatable)")
	fl.StringVarP(&o.Install.Revision, "revision", "r", "", "Control plane revision to inject for")
	fl.StringVar(&o.InjectConfigFile, "injectConfigFile", "", "Injector configuration: data key \"config\" of ConfigMap istio-sidecar-injector, or the whole ConfigMap")
	fl.StringVar(&o.MeshConfigFile, "meshConfigFile", "", "Mesh configuration: data key \"mesh\" of ConfigMap istio, or the whole ConfigMap")
	fl.StringVar(&o.ValuesFile, "valuesFile", "", "Injector values: data key \"values\" of ConfigMap istio-sidecar-injector, or the whole ConfigMap")
	fl.BoolVar(&o.UseKube, "use-kube", false, "Read the configuration from the control plane installed in the cluster (-i namespace, --revision)")
	_ = cmd.MarkFlagFilename("filename", "yaml", "yml", "json")
	return cmd
}

// Validate checks the flags.
func (o *Options) Validate() error {
	if err := o.IO.Validate(); err != nil {
		return cmdutil.UsageErrorf("%v", err)
	}
	if o.UseKube && (len(o.Install.Sets) > 0 || len(o.Install.Files) > 0) {
		return cmdutil.UsageErrorf("--use-kube reads the installed configuration; it cannot be combined with --set or --operatorFileName")
	}
	if o.UseKube && (o.InjectConfigFile != "" || o.MeshConfigFile != "" || o.ValuesFile != "") {
		return cmdutil.UsageErrorf("--use-kube cannot be combined with --injectConfigFile, --meshConfigFile or --valuesFile")
	}
	return nil
}

// Run injects.
func (o *Options) Run(ctx context.Context) error {
	cfg, err := o.Config(ctx)
	if err != nil {
		return err
	}
	in, err := inject.New(cfg)
	if err != nil {
		return err
	}
	opts := o.IO
	opts.Context = ctx
	return process(opts, o.f.In, o.f.Out, o.f.ErrOut, in)
}

// process injects the inputs, reporting per resource.
func process(opts streamio.Options, stdin io.Reader, stdout, stderr io.Writer, in *inject.Injector) error {
	opts.Stdin, opts.Stdout = stdin, stdout
	report := func(r inject.Result) { fmt.Fprintln(stderr, r.String()) }
	p := in.NewPipeline(report, 0)
	err := streamio.Run(opts, p)
	if cerr := p.Close(); err == nil {
		err = cerr
	}
	return err
}

// gcPercent trades memory for time while injecting: the live heap is a
// few MB, so the heap peaks at about 2.5 times that. 200 is a few percent
// faster and 5 MB larger; a memory limit instead would make documents
// larger than the limit crawl.
const gcPercent = 150

// Config assembles the injection configuration from the flags.
func (o *Options) Config(ctx context.Context) (inject.Config, error) {
	if o.UseKube {
		return o.fromCluster(ctx)
	}
	var cfg inject.Config
	if o.InjectConfigFile == "" || o.ValuesFile == "" || o.MeshConfigFile == "" {
		m, err := o.Install.Render(o.f.In)
		if err != nil {
			return cfg, fmt.Errorf("rendering the injection configuration: %w", err)
		}
		if cfg, err = inject.FromManifest(m); err != nil {
			return cfg, err
		}
	}
	if o.InjectConfigFile != "" {
		b, err := os.ReadFile(o.InjectConfigFile)
		if err != nil {
			return cfg, err
		}
		if cfg.Injector, err = inject.ParseInjectorConfig(b); err != nil {
			return cfg, fmt.Errorf("%s: %w", o.InjectConfigFile, err)
		}
	}
	if o.ValuesFile != "" {
		b, err := os.ReadFile(o.ValuesFile)
		if err != nil {
			return cfg, err
		}
		if cfg.Values, err = inject.ParseValues(b); err != nil {
			return cfg, fmt.Errorf("%s: %w", o.ValuesFile, err)
		}
	}
	if o.MeshConfigFile != "" {
		b, err := os.ReadFile(o.MeshConfigFile)
		if err != nil {
			return cfg, err
		}
		if cfg.Mesh, err = inject.ParseMesh(b); err != nil {
			return cfg, fmt.Errorf("%s: %w", o.MeshConfigFile, err)
		}
	}
	return cfg, nil
}

func (o *Options) fromCluster(ctx context.Context) (inject.Config, error) {
	c, err := o.f.Kube()
	if err != nil {
		return inject.Config{}, err
	}
	ns := o.f.IstioNamespace()
	suffix := ""
	if o.Install.Revision != "" && o.Install.Revision != "default" {
		suffix = "-" + o.Install.Revision
	}
	cms := c.Kubernetes.CoreV1().ConfigMaps(ns)
	injName, meshName := inject.InjectorConfigMap+suffix, inject.MeshConfigMap+suffix
	injCM, err := cms.Get(ctx, injName, metav1.GetOptions{})
	if err != nil {
		if apierrors.IsNotFound(err) {
			return inject.Config{}, fmt.Errorf("no control plane%s installed in namespace %q: ConfigMap %s not found (install one, or drop --use-kube to inject with a rendered profile)", revText(o.Install.Revision), ns, injName)
		}
		return inject.Config{}, kube.Explain(err, c.Host())
	}
	mesh := map[string]string{}
	meshCM, err := cms.Get(ctx, meshName, metav1.GetOptions{})
	switch {
	case err == nil:
		mesh = meshCM.Data
	case apierrors.IsNotFound(err):
		// istiod falls back to the default mesh config too.
	default:
		return inject.Config{}, kube.Explain(err, c.Host())
	}
	cfg, err := inject.FromConfigMapData(injCM.Data, mesh)
	if err != nil {
		return cfg, fmt.Errorf("namespace %s: %w", ns, err)
	}
	// istiod's default ENABLE_NATIVE_SIDECARS=auto looks at the nodes.
	nodes, err := c.Kubernetes.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		fmt.Fprintf(o.f.ErrOut, "Warning: cannot list nodes (%v): native sidecars are decided as offline (off unless the values enable them)\n", kube.Explain(err, c.Host()))
		return cfg, nil
	}
	versions := make([]string, len(nodes.Items))
	for i, n := range nodes.Items {
		versions[i] = n.Status.NodeInfo.KubeletVersion
	}
	cfg.NativeAuto = inject.NativeSidecarsSupported(versions)
	return cfg, nil
}

func revText(r string) string {
	if r == "" || r == "default" {
		return ""
	}
	return fmt.Sprintf(" of revision %q", r)
}
