package manifest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
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
	Install installflags.Flags
	// Output is the format, yaml or json; OutputDir the directory that
	// gets one file per component instead of standard output.
	Output    string
	OutputDir string

	f *cmdutil.Factory
}

func newGenerateCmd(f *cmdutil.Factory, runF func(*GenerateOptions) error) *cobra.Command {
	o := &GenerateOptions{f: f}
	cmd := &cobra.Command{
		Use:         "generate",
		Annotations: map[string]string{cmdutil.OfflineAnnotation: "true"},
		Short:       "Print the Kubernetes manifests of an Istio install",
		Long: `Render the install that a profile and overrides describe, with no cluster:
CRDs, service accounts, cluster roles and bindings, roles and bindings, config
maps, webhooks, services, deployments, PDBs and HPAs, in install order. The
output is the same bytes on every run.

Precedence, lowest first: the default profile, the chosen profile
(--set profile=NAME or spec.profile in a file), -f files in order, --set flags
in order, --revision.

-o json prints one v1 List holding the objects, in the same order.

With --output-dir (-d), one file per component (01-Base.yaml, 02-Pilot.yaml,
...) is written into the directory instead, each replaced whole; files of
that form left by an earlier render whose component is gone are removed, so
the directory holds exactly this render. (-o DIR from earlier releases still
works for a path that cannot be a format, with a warning.)`,
		Example: `  meshctl manifest generate --set profile=demo
  meshctl manifest generate -f my-overlay.yaml --set meshConfig.accessLogFile=/dev/stdout
  meshctl manifest generate --set profile=minimal -o json
  meshctl manifest generate --revision canary -d out/`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.Validate(); err != nil {
				return err
			}
			if runF != nil {
				return runF(o)
			}
			return o.Run()
		},
	}
	cmdutil.SetGC(cmd, renderGC)
	o.Install.AddFlags(cmd.Flags())
	cmd.Flags().StringVarP(&o.Output, "output", "o", "yaml", "Output format: one of "+strings.Join(generateFormats, "|"))
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions(generateFormats, cobra.ShellCompDirectiveNoFileComp))
	cmd.Flags().StringVarP(&o.OutputDir, "output-dir", "d", "", "Write one file per component into this directory instead of standard output")
	_ = cmd.MarkFlagDirname("output-dir")
	_ = cmd.RegisterFlagCompletionFunc("set", completeSet)
	return cmd
}

var generateFormats = []string{"yaml", "json"}

// Validate checks the output flags. An -o value that is a path (it has a
// slash, or names a directory) is the directory of earlier releases: it
// is kept working with a warning, as it cannot be mistaken for a format.
func (o *GenerateOptions) Validate() error {
	if slices.Contains(generateFormats, o.Output) {
		return nil
	}
	if info, err := os.Stat(o.Output); strings.ContainsRune(o.Output, '/') || (err == nil && info.IsDir()) {
		if o.OutputDir != "" {
			return cmdutil.UsageErrorf("-o %s is a directory and --output-dir is %s: give the directory once, with --output-dir", o.Output, o.OutputDir)
		}
		fmt.Fprintf(o.f.ErrOut, "Warning: -o DIR is deprecated (-o is the output format, %s); use --output-dir %s\n", strings.Join(generateFormats, " or "), o.Output)
		o.Output, o.OutputDir = "yaml", o.Output
		return nil
	}
	return cmdutil.UsageErrorf("unknown output format %q: use one of %s (for one file per component, --output-dir DIR)", o.Output, strings.Join(generateFormats, "|"))
}

// completeSet offers the profile names after "profile=".
func completeSet(_ *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	return ProfileSetCompletions(toComplete), cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
}

// Run renders and writes the manifests.
func (o *GenerateOptions) Run() error {
	m, err := o.Install.Render(o.f.In)
	if err != nil {
		return err
	}
	if o.OutputDir == "" {
		return writeObjects(o.f.Out, o.Output, m.Objects)
	}
	return writeDir(o.OutputDir, o.Output, m)
}

// writeObjects writes objects as a YAML stream, or as one indented JSON
// v1 List (keys sorted, so the bytes are the same every run).
func writeObjects(w io.Writer, format string, objs []installmanifest.Object) error {
	if format != "json" {
		return render.Write(w, objs)
	}
	items := make([]any, len(objs))
	for i, obj := range objs {
		items[i] = obj.Object.Object
	}
	b, err := json.MarshalIndent(map[string]any{"apiVersion": "v1", "kind": "List", "items": items}, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// renderGC: a one-shot render makes some megabytes of short-lived garbage;
// in a process that exits right after, collecting it costs more time than
// it saves memory, so collection is off while the heap stays below
// renderHeapLimit.
var renderGC = cmdutil.GC{Percent: -1, MemoryLimit: renderHeapLimit}

// renderHeapLimit bounds the Go runtime's memory while garbage collection
// is off. The demo profile, the largest, needs about 25 MiB in all (start-up
// included) and so never collects; a much larger install collects as it
// nears the limit instead of growing without bound.
const renderHeapLimit = 32 << 20

// writeDir writes one file per component, numbered in install order. Each
// file is written to a temporary name and renamed, so a reader never sees
// half of one; files of that naming left by an earlier render for a
// component this one does not have are removed (demo then minimal must not
// leave demo's gateways behind). Other files are left alone.
func writeDir(dir, format string, m *installmanifest.Manifest) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("creating output directory: %w", err)
	}
	byComp := map[string][]installmanifest.Object{}
	for _, obj := range m.Objects {
		byComp[obj.Component] = append(byComp[obj.Component], obj)
	}
	written := map[string]bool{}
	for i, c := range installmanifest.ComponentOrder {
		objs := byComp[c]
		if len(objs) == 0 {
			continue
		}
		var buf bytes.Buffer
		if err := writeObjects(&buf, format, objs); err != nil {
			return err
		}
		name := componentFile(i, c, format)
		if err := cmdutil.WriteAtomically(filepath.Join(dir, name), func(w io.Writer) error { _, err := w.Write(buf.Bytes()); return err }, nil); err != nil {
			return err
		}
		written[name] = true
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("reading output directory: %w", err)
	}
	ours := map[string]bool{}
	for i, c := range installmanifest.ComponentOrder {
		for _, f := range generateFormats {
			ours[componentFile(i, c, f)] = true
		}
	}
	for _, e := range entries {
		if ours[e.Name()] && !written[e.Name()] && e.Type().IsRegular() {
			if err := os.Remove(filepath.Join(dir, e.Name())); err != nil {
				return fmt.Errorf("removing %s, left by an earlier render: %w", e.Name(), err)
			}
		}
	}
	return nil
}

// componentFile is the name of a component's file: 02-Pilot.yaml.
func componentFile(order int, component, format string) string {
	return fmt.Sprintf("%02d-%s.%s", order+1, component, format)
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
