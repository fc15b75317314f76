// Package install implements `meshctl install` (also `meshctl manifest
// apply`), `meshctl verify-install` and `meshctl uninstall`: thin commands
// over pkg/install/apply, verify and uninstall.
package install

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	"github.com/meshctl/meshctl/internal/cmdutil"
	"github.com/meshctl/meshctl/internal/installflags"
	"github.com/meshctl/meshctl/pkg/install/apply"
	"github.com/meshctl/meshctl/pkg/install/manifest"
	"github.com/meshctl/meshctl/pkg/kube"
	"github.com/meshctl/meshctl/pkg/version"
)

// Options are what one install needs.
type Options struct {
	Flags            installflags.Flags
	SkipConfirmation bool
	DryRun           bool
	ForceConflicts   bool
	Wait             bool
	ReadinessTimeout time.Duration

	f *cmdutil.Factory
}

// NewCmd builds `meshctl install`.
func NewCmd(f *cmdutil.Factory) *cobra.Command { return newCmd(f, "install", nil) }

// NewApplyCmd builds `meshctl manifest apply`, the same command under the
// manifest family.
func NewApplyCmd(f *cmdutil.Factory) *cobra.Command { return newCmd(f, "apply", nil) }

func newCmd(f *cmdutil.Factory, use string, runF func(*Options) error) *cobra.Command {
	o := &Options{f: f}
	cmd := &cobra.Command{
		Use:   use,
		Short: "Install or upgrade the Istio control plane on the cluster",
		Long: `Render the install from a profile, -f overlays and --set values (as manifest
generate does) and apply it to the cluster with server-side apply (field
manager "meshctl"), in order: CRDs (until established), the namespace, then
Base, Istiod with its webhooks, and the gateways.

Re-applying the same input changes nothing: every object is compared with
what a server-side dry run of the apply returns, and only changed objects are
written. Objects this install and revision own (by meshctl's labels) that the
input no longer renders are listed, then deleted; nothing without meshctl's
labels is ever deleted. A record of the install (merged IstioOperator, meshctl
version, revision, objects) is kept in a ConfigMap in the control plane
namespace for verify-install and uninstall.

On a terminal meshctl asks before changing anything; elsewhere pass -y.
--dry-run sends every write as a server-side dry run and prints what would be
created, changed, unchanged and pruned: it changes nothing.`,
		Example: `  meshctl install --set profile=demo -y
  meshctl install -f my-mesh.yaml --dry-run
  meshctl manifest apply --set profile=minimal --revision canary -y --readiness-timeout 2m`,
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
	o.Flags.AddFlags(cmd.Flags())
	addConfirmFlags(cmd, &o.SkipConfirmation, &o.DryRun)
	cmd.Flags().BoolVar(&o.ForceConflicts, "force-conflicts", false, "Take over fields that another field manager owns instead of reporting the conflict")
	cmd.Flags().BoolVar(&o.Wait, "wait", true, "Wait until Deployments are available, CRDs established and webhooks configured")
	cmd.Flags().DurationVar(&o.ReadinessTimeout, "readiness-timeout", 5*time.Minute, "How long to wait for readiness before naming what is not ready and failing")
	return cmd
}

func addConfirmFlags(cmd *cobra.Command, skip, dry *bool) {
	cmd.Flags().BoolVarP(skip, "skip-confirmation", "y", false, "Do not ask for confirmation")
	cmd.Flags().BoolVar(dry, "dry-run", false, "Send every write as a server-side dry run and print what would change; change nothing")
}

// Validate checks the flags.
func (o *Options) Validate() error {
	if o.ReadinessTimeout <= 0 {
		return cmdutil.UsageErrorf("--readiness-timeout must be positive, not %s", o.ReadinessTimeout)
	}
	return nil
}

// Run renders, confirms, applies and reports.
func (o *Options) Run(ctx context.Context) error {
	merged, err := o.Flags.Merge(o.f.In)
	if err != nil {
		return err
	}
	m, err := merged.Render()
	if err != nil {
		return err
	}
	iop, err := yaml.Marshal(merged.Doc)
	if err != nil {
		return fmt.Errorf("encoding the merged IstioOperator: %w", err)
	}
	ns := merged.Namespace()
	kc, err := connect(o.f)
	if err != nil {
		return err
	}
	if !o.DryRun && !o.SkipConfirmation {
		q := fmt.Sprintf("This will install the Istio %s profile (revision %s, %d objects) into namespace %s of cluster context %s.",
			m.Profile, apply.RevisionLabel(m.Revision), len(m.Objects), ns, contextName(kc))
		if err := confirm(o.f, q, "-y/--skip-confirmation"); err != nil {
			return err
		}
	}
	verb := "installed"
	if o.DryRun {
		verb = "checked (dry run)"
	} else if !o.Wait {
		verb = "applied"
	}
	p := newProgress(o.f.ErrOut, o.f.Term.StderrTTY, verb)
	res, err := apply.Apply(ctx, kc, m, apply.Options{
		Namespace:        ns,
		DryRun:           o.DryRun,
		ForceConflicts:   o.ForceConflicts,
		Wait:             o.Wait,
		ReadinessTimeout: o.ReadinessTimeout,
		Prune:            true,
		Record:           &apply.Record{Profile: m.Profile, MeshctlVersion: version.Get().Version, IstioOperator: string(iop)},
		Progress:         p.Event,
	})
	p.Close()
	if res != nil {
		writeResults(o.f.Out, res, o.DryRun)
	}
	if err != nil {
		var nr *apply.NotReadyError
		var ce *apply.ConflictError
		if errors.As(err, &nr) || errors.As(err, &ce) {
			return err
		}
		return fmt.Errorf("installing: %w", err)
	}
	summary(o.f.ErrOut, res, o.DryRun, m)
	return nil
}

// connect returns the client once the server has answered one request, so
// that an unreachable server or rejected credentials fail first and alone.
func connect(f *cmdutil.Factory) (*kube.Client, error) {
	kc, err := f.Kube()
	if err != nil {
		return nil, err
	}
	if _, err := kc.Kubernetes.Discovery().ServerVersion(); err != nil {
		return nil, kube.Explain(err, kc.Host())
	}
	return kc, nil
}

func contextName(kc *kube.Client) string {
	if kc.Context != "" {
		return fmt.Sprintf("%q", kc.Context)
	}
	return kc.Host()
}

// writeResults prints one line per object on stdout: what happened to it.
func writeResults(w io.Writer, res *apply.Result, dryRun bool) {
	suffix := ""
	if dryRun {
		suffix = " (dry run)"
	}
	for _, r := range res.Objects {
		fmt.Fprintf(w, "%-9s %s%s\n", r.Action, r.Ref(), suffix)
	}
}

func summary(w io.Writer, res *apply.Result, dryRun bool, m *manifest.Manifest) {
	counts := fmt.Sprintf("%d created, %d changed, %d unchanged, %d pruned",
		res.Count(apply.Created), res.Count(apply.Changed), res.Count(apply.Unchanged), res.Count(apply.Pruned))
	switch {
	case dryRun:
		fmt.Fprintf(w, "Dry run: %s; nothing was changed.\n", counts)
	case res.Writes == 0:
		fmt.Fprintf(w, "✔ Installation of %s (revision %s) is up to date: %s.\n", m.Name, apply.RevisionLabel(m.Revision), counts)
	default:
		fmt.Fprintf(w, "✔ Installation of %s (revision %s) complete: %s.\n", m.Name, apply.RevisionLabel(m.Revision), counts)
	}
}
