package install

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/meshctl/meshctl/internal/cmdutil"
	"github.com/meshctl/meshctl/internal/installflags"
	"github.com/meshctl/meshctl/pkg/install/apply"
	"github.com/meshctl/meshctl/pkg/install/manifest"
	"github.com/meshctl/meshctl/pkg/install/render"
	"github.com/meshctl/meshctl/pkg/install/verify"
)

// VerifyOptions are what one verify-install needs.
type VerifyOptions struct {
	Flags installflags.Flags
	f     *cmdutil.Factory
}

// NewVerifyCmd builds `meshctl verify-install`.
func NewVerifyCmd(f *cmdutil.Factory) *cobra.Command { return newVerifyCmd(f, nil) }

func newVerifyCmd(f *cmdutil.Factory, runF func(*VerifyOptions) error) *cobra.Command {
	o := &VerifyOptions{f: f}
	cmd := &cobra.Command{
		Use:   "verify-install",
		Short: "Check that the cluster holds the install, as applied and ready",
		Long: `Compare the cluster with an install: every object must exist, every field
meshctl applies must still hold the applied value, and Deployments, CRDs and
webhooks must be ready. Without -f, --set or --revision, each install recorded
in the control plane namespace is checked against what its record renders.

Drift is found with a server-side dry run of the apply (nothing is written),
so the user needs the same permissions as for install.

Exit code 0 when everything matches and is ready, 79 otherwise.`,
		Example: `  meshctl verify-install
  meshctl verify-install --set profile=demo`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(o)
			}
			return o.Run(cmd.Context())
		},
	}
	o.Flags.AddFlags(cmd.Flags())
	return cmd
}

func (o *VerifyOptions) fromFlags() bool {
	return len(o.Flags.Sets) > 0 || len(o.Flags.Files) > 0 || o.Flags.Revision != ""
}

// Run verifies and prints a report per install.
func (o *VerifyOptions) Run(ctx context.Context) error {
	var installs []*manifest.Manifest
	if o.fromFlags() {
		m, err := o.Flags.Render(o.f.In)
		if err != nil {
			return err
		}
		installs = append(installs, m)
	}
	kc, err := connect(o.f)
	if err != nil {
		return err
	}
	if !o.fromFlags() {
		ns := o.f.IstioNamespace()
		recs, err := apply.ReadRecords(ctx, kc, ns)
		if err != nil {
			return err
		}
		if len(recs) == 0 {
			return fmt.Errorf("no install record in namespace %s: install with meshctl first, or pass -f/--set/--revision to say what to verify", ns)
		}
		for _, r := range recs {
			m, err := RenderRecord(r)
			if err != nil {
				return err
			}
			installs = append(installs, m)
		}
	}
	ok := true
	for _, m := range installs {
		rep, err := verify.Verify(ctx, kc, m)
		if err != nil {
			return err
		}
		rep.Write(o.f.Out)
		ok = ok && rep.OK()
	}
	if !ok {
		return &cmdutil.ThresholdError{}
	}
	return nil
}

// RenderRecord renders what an install record describes: its merged
// IstioOperator, taken as the one overlay.
func RenderRecord(r *apply.Record) (*manifest.Manifest, error) {
	merged, err := render.Merge(render.Options{Files: []render.Input{{Source: "install record " + apply.RecordName(r.Name), Data: []byte(r.IstioOperator)}}})
	if err != nil {
		return nil, fmt.Errorf("install record %s: %w", r.Name, err)
	}
	return merged.Render()
}
