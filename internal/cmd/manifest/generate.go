package manifest

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"

	"github.com/meshctl/meshctl/internal/cmdutil"
	"github.com/meshctl/meshctl/internal/installflags"
	installmanifest "github.com/meshctl/meshctl/pkg/install/manifest"
	"github.com/meshctl/meshctl/pkg/install/render"
	"github.com/meshctl/meshctl/profiles"
)

// GenerateOptions are what one run of `manifest generate` needs.
type GenerateOptions struct {
	Install   installflags.Flags
	OutputDir string

	f *cmdutil.Factory
}

func newGenerateCmd(f *cmdutil.Factory, runF func(*GenerateOptions) error) *cobra.Command {
	o := &GenerateOptions{f: f}
	cmd := &cobra.Command{
		Use:   "generate",
		Short: "Print the Kubernetes manifests of an Istio install",
		Long: `Render the install that a profile and overrides describe, with no cluster:
CRDs, service accounts, cluster roles and bindings, roles and bindings, config
maps, webhooks, services, deployments, PDBs and HPAs, in install order. The
output is the same bytes on every run.

Precedence, lowest first: the default profile, the chosen profile
(--set profile=NAME or spec.profile in a file), -f files in order, --set flags
in order, --revision.

With --output-dir, one file per component (01-Base.yaml, 02-Pilot.yaml, ...)
is written into the directory instead.`,
		Example: `  meshctl manifest generate --set profile=demo
  meshctl manifest generate -f my-overlay.yaml --set meshConfig.accessLogFile=/dev/stdout
  meshctl manifest generate --revision canary -o out/`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(o)
			}
			return o.Run()
		},
	}
	o.Install.AddFlags(cmd.Flags())
	cmd.Flags().StringVarP(&o.OutputDir, "output-dir", "o", "", "Write one file per component into this directory instead of standard output")
	_ = cmd.MarkFlagDirname("output-dir")
	_ = cmd.RegisterFlagCompletionFunc("set", completeSet)
	return cmd
}

// completeSet offers the profile names after "profile=".
func completeSet(_ *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	return ProfileSetCompletions(toComplete), cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
}

// Run renders and writes the manifests.
func (o *GenerateOptions) Run() error {
	// A one-shot render makes some megabytes of short-lived garbage; in a
	// process that exits right after, collecting it costs more time than
	// it saves memory. Collect only if the heap grows past the limit.
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(renderHeapLimit))
	m, err := o.Install.Render(o.f.In)
	if err != nil {
		return err
	}
	if o.OutputDir == "" {
		return render.Write(o.f.Out, m.Objects)
	}
	return writeDir(o.OutputDir, m)
}

// renderHeapLimit bounds the Go runtime's memory while garbage collection
// is off. The demo profile, the largest, needs about 25 MiB in all (start-up
// included) and so never collects; a much larger install collects as it
// nears the limit instead of growing without bound.
const renderHeapLimit = 32 << 20

// writeDir writes one file per component, numbered in install order.
func writeDir(dir string, m *installmanifest.Manifest) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("creating output directory: %w", err)
	}
	byComp := map[string][]installmanifest.Object{}
	for _, obj := range m.Objects {
		byComp[obj.Component] = append(byComp[obj.Component], obj)
	}
	for i, c := range installmanifest.ComponentOrder {
		objs := byComp[c]
		if len(objs) == 0 {
			continue
		}
		var buf bytes.Buffer
		if err := render.Write(&buf, objs); err != nil {
			return err
		}
		name := filepath.Join(dir, fmt.Sprintf("%02d-%s.yaml", i+1, c))
		if err := os.WriteFile(name, buf.Bytes(), 0o644); err != nil {
			return fmt.Errorf("writing %s: %w", name, err)
		}
	}
	return nil
}

// ProfileSetCompletions completes "profile=<name>" for --set.
func ProfileSetCompletions(toComplete string) []string {
	if !strings.HasPrefix("profile=", toComplete) && !strings.HasPrefix(toComplete, "profile=") {
		return nil
	}
	var out []string
	for _, p := range profiles.Names() {
		out = append(out, "profile="+p)
	}
	return out
}
