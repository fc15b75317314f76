// Package version implements `meshctl version`.
package version

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/meshctl/meshctl/internal/cmdutil"
	"github.com/meshctl/meshctl/pkg/kube"
	meshversion "github.com/meshctl/meshctl/pkg/version"
)

// Options are what one run of `meshctl version` needs.
type Options struct {
	Client bool
	Short  bool
	Output string

	f *cmdutil.Factory
}

// Result is what `meshctl version` prints, in every format.
type Result struct {
	Client       meshversion.Info `json:"client"`
	Kubernetes   string           `json:"kubernetesVersion,omitempty"`
	ControlPlane []ControlPlane   `json:"controlPlane,omitempty"`
}

// ControlPlane is one installed istiod revision.
type ControlPlane struct {
	Revision string `json:"revision"`
	Version  string `json:"version"`
	Ready    string `json:"ready"`
}

// NewCmd builds `meshctl version`. runF replaces the run for tests of flag
// parsing; pass nil in production.
func NewCmd(f *cmdutil.Factory) *cobra.Command { return newCmd(f, nil) }

func newCmd(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	o := &Options{f: f}
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print meshctl's version, and the cluster's and control plane's",
		Long: `Print meshctl's version and the Istio release it installs. With a reachable
cluster it also prints the Kubernetes server version and each installed istiod
revision. --client never touches the network.`,
		Example: `  meshctl version --client --short
  meshctl version -o json`,
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
	cmd.Flags().BoolVar(&o.Client, "client", false, "Print only the client version; never contact a cluster")
	cmd.Flags().BoolVar(&o.Short, "short", false, "Print only the version numbers")
	cmd.Flags().StringVarP(&o.Output, "output", "o", "", "Output format: one of json|yaml")
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions([]string{"json", "yaml"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// Validate checks the flags.
func (o *Options) Validate() error {
	switch o.Output {
	case "", "json", "yaml":
	default:
		return cmdutil.UsageErrorf("--output must be json or yaml, not %q", o.Output)
	}
	return nil
}

// Run prints the versions.
func (o *Options) Run(ctx context.Context) error {
	res := Result{Client: meshversion.Get()}
	if !o.Client {
		if err := o.fillRemote(ctx, &res); err != nil {
			// Still print what is known, then fail with the reason.
			_ = o.print(o.f.Out, res)
			return err
		}
	}
	return o.print(o.f.Out, res)
}

func (o *Options) fillRemote(ctx context.Context, res *Result) error {
	c, err := o.f.Kube()
	if err != nil {
		return err
	}
	sv, err := c.Kubernetes.Discovery().ServerVersion()
	if err != nil {
		return kube.Explain(err, c.Host())
	}
	res.Kubernetes = sv.GitVersion
	cps, err := controlPlanes(ctx, c, o.f.IstioNamespace())
	if err != nil {
		return kube.Explain(err, c.Host())
	}
	res.ControlPlane = cps
	return nil
}

// controlPlanes finds istiod Deployments in the control plane namespace and
// reads their revision and image tag.
func controlPlanes(ctx context.Context, c *kube.Client, ns string) ([]ControlPlane, error) {
	list, err := c.Kubernetes.AppsV1().Deployments(ns).List(ctx, metav1.ListOptions{LabelSelector: "app=istiod"})
	if err != nil {
		return nil, err
	}
	var out []ControlPlane
	for _, d := range list.Items {
		rev := d.Labels["istio.io/rev"]
		if rev == "" {
			rev = "default"
		}
		ver := "unknown"
		for _, ctr := range d.Spec.Template.Spec.Containers {
			if i := strings.LastIndex(ctr.Image, ":"); i >= 0 && !strings.Contains(ctr.Image[i:], "/") {
				ver = ctr.Image[i+1:]
			}
		}
		want := int32(1)
		if d.Spec.Replicas != nil {
			want = *d.Spec.Replicas
		}
		out = append(out, ControlPlane{Revision: rev, Version: ver, Ready: fmt.Sprintf("%d/%d", d.Status.ReadyReplicas, want)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Revision < out[j].Revision })
	return out, nil
}

func (o *Options) print(w io.Writer, r Result) error {
	switch o.Output {
	case "json":
		b, err := json.MarshalIndent(r, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w, "%s\n", b)
		return err
	case "yaml":
		b, err := yaml.Marshal(r)
		if err != nil {
			return err
		}
		_, err = w.Write(b)
		return err
	}
	if o.Short {
		fmt.Fprintf(w, "client: %s\n", r.Client.Version)
		if r.Kubernetes != "" {
			fmt.Fprintf(w, "kubernetes: %s\n", r.Kubernetes)
		}
		for _, cp := range r.ControlPlane {
			fmt.Fprintf(w, "control plane (%s): %s\n", cp.Revision, cp.Version)
		}
		return nil
	}
	fmt.Fprintf(w, "meshctl version: %s (Istio %s, %s, %s)\n", r.Client.Version, r.Client.IstioVersion, r.Client.GoVersion, r.Client.Platform)
	if o.Client {
		return nil
	}
	if r.Kubernetes != "" {
		fmt.Fprintf(w, "Kubernetes server version: %s\n", r.Kubernetes)
		if len(r.ControlPlane) == 0 {
			fmt.Fprintf(w, "control plane: not installed in namespace %s\n", o.f.IstioNamespace())
		}
	}
	for _, cp := range r.ControlPlane {
		fmt.Fprintf(w, "control plane version: %s (revision %s, %s ready)\n", cp.Version, cp.Revision, cp.Ready)
	}
	return nil
}
