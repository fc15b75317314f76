package install

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/meshctl/meshctl/internal/cmdutil"
	"github.com/meshctl/meshctl/internal/installflags"
	"github.com/meshctl/meshctl/pkg/install/uninstall"
)

// UninstallOptions are what one uninstall needs.
type UninstallOptions struct {
	Flags            installflags.Flags
	Purge            bool
	SkipConfirmation bool
	DryRun           bool
	Wait             bool
	Timeout          time.Duration

	f *cmdutil.Factory
}

// NewUninstallCmd builds `meshctl uninstall`.
func NewUninstallCmd(f *cmdutil.Factory) *cobra.Command { return newUninstallCmd(f, nil) }

func newUninstallCmd(f *cmdutil.Factory, runF func(*UninstallOptions) error) *cobra.Command {
	o := &UninstallOptions{f: f}
	cmd := &cobra.Command{
		Use:   "uninstall",
		Short: "Remove a revision, an install, or everything meshctl installed",
		Long: `Delete what meshctl installed. Say what:

  --revision R   the objects of revision R ("default" for the default one)
  -f / --set     the objects those options render (as install would)
  --purge        everything meshctl installed: CRDs, the namespace it
                 created and the cluster-wide objects shared by revisions too

Without --purge, CRDs, namespaces and the shared Base objects are kept (other
revisions use them). Only objects that carry meshctl's managed-by label are
ever deleted. The list is printed first; on a terminal meshctl asks before
deleting (elsewhere pass -y), then waits until the objects are gone.`,
		Example: `  meshctl uninstall --revision canary -y
  meshctl uninstall --purge -y`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.Validate(cmd); err != nil {
				return err
			}
			if runF != nil {
				return runF(o)
			}
			return o.Run(cmd.Context())
		},
	}
	o.Flags.AddFlags(cmd.Flags())
	cmd.Flags().BoolVar(&o.Purge, "purge", false, "Delete everything meshctl installed, CRDs and cluster-wide objects included")
	addConfirmFlags(cmd, &o.SkipConfirmation, &o.DryRun)
	cmd.Flags().BoolVar(&o.Wait, "wait", true, "Wait until the deleted objects are gone")
	cmd.Flags().DurationVar(&o.Timeout, "timeout", 5*time.Minute, "How long to wait for the objects to be gone")
	return cmd
}

// Validate checks that exactly one selection was made.
func (o *UninstallOptions) Validate(cmd *cobra.Command) error {
	rendered := len(o.Flags.Sets) > 0 || len(o.Flags.Files) > 0
	revision := cmd.Flags().Changed("revision")
	switch {
	case o.Purge && (rendered || revision):
		return cmdutil.UsageErrorf("--purge removes everything meshctl installed: do not combine it with --revision, -f or --set")
	case !o.Purge && !rendered && !revision:
		return cmdutil.UsageErrorf("say what to uninstall: --revision R, -f/--set (what they render), or --purge (everything)")
	case o.Timeout <= 0:
		return cmdutil.UsageErrorf("--timeout must be positive, not %s", o.Timeout)
	}
	return nil
}

// Run plans, lists, confirms, deletes and waits.
func (o *UninstallOptions) Run(ctx context.Context) error {
	sel := uninstall.Selection{Purge: o.Purge, Revision: o.Flags.Revision, Namespace: o.f.IstioNamespace()}
	what := "everything meshctl installed"
	if !o.Purge && (len(o.Flags.Sets) > 0 || len(o.Flags.Files) > 0) {
		merged, err := o.Flags.Merge(o.f.In)
		if err != nil {
			return err
		}
		m, err := merged.Render()
		if err != nil {
			return err
		}
		sel.Manifest, sel.Namespace = m, merged.Namespace()
		what = "install " + m.Name
	} else if !o.Purge {
		what = "revision " + uninstallRevision(o.Flags.Revision)
	}
	kc, err := connect(o.f)
	if err != nil {
		return err
	}
	plan, err := uninstall.Plan(ctx, kc, sel)
	if err != nil {
		return err
	}
	if len(plan) == 0 {
		fmt.Fprintf(o.f.ErrOut, "Nothing to uninstall: no object of %s carries meshctl's labels.\n", what)
		return nil
	}
	verb := "delete"
	if o.DryRun {
		verb = "delete (dry run)"
	}
	for _, u := range plan {
		fmt.Fprintf(o.f.Out, "%s %s\n", verb, uninstall.Ref(u))
	}
	// Deleting a CRD deletes every resource of its kind: say which.
	instances, err := uninstall.Instances(ctx, kc, plan)
	if err != nil {
		return err
	}
	if len(instances) > 0 {
		fmt.Fprintf(o.f.ErrOut, "Warning: deleting these CRDs also deletes the %d custom resources of their kinds:\n", len(instances))
		const show = 20
		for i, ref := range instances {
			if i == show {
				fmt.Fprintf(o.f.ErrOut, "  ... and %d more\n", len(instances)-show)
				break
			}
			fmt.Fprintf(o.f.ErrOut, "  %s\n", ref)
		}
	}
	if !o.DryRun && !o.SkipConfirmation {
		q := fmt.Sprintf("This will delete the %d objects above (%s) from cluster context %s.", len(plan), what, contextName(kc))
		if len(instances) > 0 {
			q = fmt.Sprintf("This will delete the %d objects above (%s) and %d custom resources from cluster context %s.", len(plan), what, len(instances), contextName(kc))
		}
		if err := confirm(o.f, q, "-y/--skip-confirmation"); err != nil {
			return err
		}
	}
	start := time.Now()
	p := newProgress(o.f.ErrOut, o.f.Term.StderrTTY, "")
	last := -1
	err = uninstall.Delete(ctx, kc, plan, uninstall.Options{
		DryRun: o.DryRun, Wait: o.Wait, Timeout: o.Timeout,
		Progress: func(remaining []string) {
			p.mu.Lock()
			p.pending = remaining
			p.mu.Unlock()
			if len(remaining) != last && len(remaining) > 0 && !o.f.Term.StderrTTY {
				p.printf("Waiting for %d object(s) to be deleted...\n", len(remaining))
			}
			last = len(remaining)
		},
	})
	p.Close()
	if err != nil {
		return fmt.Errorf("uninstalling: %w", err)
	}
	if o.DryRun {
		fmt.Fprintf(o.f.ErrOut, "Dry run: %d objects would be deleted; nothing was changed.\n", len(plan))
		return nil
	}
	fmt.Fprintf(o.f.ErrOut, "✔ Uninstalled %s: %d objects deleted (%s)\n", what, len(plan), seconds(time.Since(start)))
	return nil
}

func uninstallRevision(r string) string {
	if r == "" {
		return "default"
	}
	return r
}
