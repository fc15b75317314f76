// Package analyze implements `meshctl analyze`.
package analyze

import (
	"context"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	meshconfig "istio.io/api/mesh/v1alpha1"

	"github.com/meshctl/meshctl/internal/cmdutil"
	"github.com/meshctl/meshctl/pkg/analyze"
	meshversion "github.com/meshctl/meshctl/pkg/version"
)

// Options are what one run of `meshctl analyze` needs.
type Options struct {
	Files            []string
	UseKube          bool
	AllNamespaces    bool
	ListAnalyzers    bool
	Analyzers        []string
	Output           string
	FailureThreshold string
	OutputThreshold  string
	Suppress         []string
	WriteBaseline    string
	Baseline         string
	ClusterDomain    string
	Timeout          time.Duration
	MeshConfigFile   string

	failLevel, outLevel analyze.Level
	suppressions        []analyze.Suppression
	selected            []analyze.Analyzer

	// progressDelay is how long a run goes before it shows progress (on a
	// terminal), progressEvery how often the line is rewritten.
	progressDelay, progressEvery time.Duration

	f *cmdutil.Factory
}

// NewCmd builds `meshctl analyze`.
func NewCmd(f *cmdutil.Factory) *cobra.Command { return newCmd(f, nil) }

func newCmd(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	o := &Options{f: f, progressDelay: time.Second, progressEvery: 200 * time.Millisecond}
	cmd := &cobra.Command{
		Use:   "analyze [FILE|DIR|-]...",
		Short: "Find mistakes in Istio configuration, in files or on a live cluster",
		Long: `Analyze Istio configuration and report problems with Istio's message codes
(IST0101, ...). With file or directory arguments ("-" reads stdin) the
analysis is offline and reads no kubeconfig; --use-kube adds the cluster's
resources under the files (files win). With no arguments it analyzes the
live cluster: the current namespace, -n NAMESPACE, or -A for all.

The exit code is 79 when a finding reaches --failure-threshold (default
Error), whatever the output format. Suppress findings with --suppress
'CODE=Kind namespace/name' (wildcards allowed), with the annotation
galley.istio.io/analyze-suppress on a resource, or accept today's findings
with --write-baseline FILE and fail later only on new ones with --baseline FILE.`,
		Example: `  meshctl analyze samples/helloworld/
  kustomize build overlays/prod | meshctl analyze -
  meshctl analyze -n bookinfo
  meshctl analyze -A -o sarif > analysis.sarif
  meshctl analyze --suppress 'IST0102=Namespace *' config/`,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Files = args
			if err := o.Validate(); err != nil {
				return err
			}
			if runF != nil {
				return runF(o)
			}
			return o.Run(cmd.Context())
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&o.UseKube, "use-kube", false, "With file arguments, also read the live cluster's resources (files win); without files the cluster is always read")
	fl.BoolVarP(&o.AllNamespaces, "all-namespaces", "A", false, "Analyze every namespace of the live cluster (files are always analyzed in every namespace they hold)")
	fl.BoolVarP(&o.ListAnalyzers, "list-analyzers", "L", false, "List the analyzers and the codes they report, then exit")
	fl.StringSliceVar(&o.Analyzers, "analyzer", nil, "Run only these analyzers (names, groups such as 'virtualservice', or globs; repeatable)")
	fl.StringVarP(&o.Output, "output", "o", analyze.FormatLog, "Output format: one of "+strings.Join(analyze.Formats, "|"))
	fl.StringVar(&o.FailureThreshold, "failure-threshold", "Error", "Exit with code 79 when a finding is at or above this level: Info, Warning or Error")
	fl.StringVar(&o.OutputThreshold, "output-threshold", "Info", "Print findings at or above this level: Info, Warning or Error")
	fl.StringArrayVarP(&o.Suppress, "suppress", "S", nil, "Hide findings: 'CODE=Kind namespace/name', wildcards allowed (repeatable)")
	fl.StringVar(&o.WriteBaseline, "write-baseline", "", "Write the current findings to FILE as the accepted baseline and exit 0")
	fl.StringVar(&o.Baseline, "baseline", "", "Report only findings that are not in the baseline FILE")
	fl.StringVar(&o.ClusterDomain, "cluster-domain", "", "Cluster DNS domain for completing short host names (default: the injector config's, else cluster.local)")
	fl.DurationVar(&o.Timeout, "timeout", 30*time.Second, "Give up reading the live cluster after this long")
	fl.StringVar(&o.MeshConfigFile, "meshConfigFile", "", "Mesh config file (a MeshConfig or the istio ConfigMap) instead of the cluster's")
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions(analyze.Formats, cobra.ShellCompDirectiveNoFileComp))
	levels := []string{"Info", "Warning", "Error"}
	_ = cmd.RegisterFlagCompletionFunc("failure-threshold", cobra.FixedCompletions(levels, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("output-threshold", cobra.FixedCompletions(levels, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("analyzer", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		var names []string
		for _, a := range analyze.All() {
			names = append(names, a.Name())
		}
		return names, cobra.ShellCompDirectiveNoFileComp
	})
	return cmd
}

// Validate checks the flags.
func (o *Options) Validate() error {
	ok := false
	for _, f := range analyze.Formats {
		if o.Output == f {
			ok = true
		}
	}
	if !ok {
		return cmdutil.UsageErrorf("--output must be one of %s, not %q", strings.Join(analyze.Formats, ", "), o.Output)
	}
	var err error
	if o.failLevel, err = analyze.ParseLevel(o.FailureThreshold); err != nil {
		return cmdutil.UsageErrorf("--failure-threshold: %v", err)
	}
	if o.outLevel, err = analyze.ParseLevel(o.OutputThreshold); err != nil {
		return cmdutil.UsageErrorf("--output-threshold: %v", err)
	}
	o.suppressions = nil
	for _, s := range o.Suppress {
		sp, err := analyze.ParseSuppression(s)
		if err != nil {
			return cmdutil.UsageErrorf("--suppress: %v", err)
		}
		o.suppressions = append(o.suppressions, sp)
	}
	if o.selected, err = analyze.Select(o.Analyzers); err != nil {
		return cmdutil.UsageErrorf("--analyzer: %v", err)
	}
	if o.Timeout <= 0 {
		return cmdutil.UsageErrorf("--timeout must be positive")
	}
	if o.WriteBaseline != "" && o.Baseline != "" && o.WriteBaseline == o.Baseline {
		return cmdutil.UsageErrorf("--write-baseline and --baseline name the same file")
	}
	return nil
}

func (o *Options) live() bool { return len(o.Files) == 0 || o.UseKube }

// Run analyzes and prints.
func (o *Options) Run(ctx context.Context) error {
	if o.ListAnalyzers {
		return listAnalyzers(o.f.Out, o.selected)
	}
	var mesh *meshconfig.MeshConfig
	if o.MeshConfigFile != "" {
		b, err := os.ReadFile(o.MeshConfigFile)
		if err != nil {
			return fmt.Errorf("reading mesh config: %w", err)
		}
		if mesh, err = analyze.ParseMeshConfig(b); err != nil {
			return fmt.Errorf("%s: %w", o.MeshConfigFile, err)
		}
	}

	// The namespace: offline runs never read a kubeconfig for it.
	ns := o.f.ExplicitNamespace()
	if o.live() && ns == "" && !o.AllNamespaces {
		n, _, err := o.f.Namespace()
		if err != nil {
			return fmt.Errorf("finding the current namespace: %w", err)
		}
		ns = n
	}
	if ns == "" {
		ns = "default"
	}

	// Progress, on a terminal, for runs longer than progressDelay; what
	// goes to stderr until it stops is written through it.
	prog := startProgress(o.f.ErrOut, o.f.Term.StderrTTY, o.progressDelay, o.progressEvery)
	defer prog.Stop()
	var errOut io.Writer = prog

	var resources []*analyze.Resource
	var missingSecrets []string
	scope := ""
	if len(o.Files) > 0 {
		in, err := analyze.ReadFilesProgress(ctx, o.Files, o.f.In, ns, &prog.counts)
		if err != nil {
			return err
		}
		resources = append(resources, in.Resources...)
		o.reportSkipped(errOut, in.Skipped)
		scope = fmt.Sprintf("%s from %s", plural(len(in.Resources), "resource"), plural(in.Documents, "document"))
	}
	if o.live() {
		prog.phase.Store(phaseCluster)
		client, err := o.f.Kube()
		if err != nil {
			return err
		}
		rctx, cancel := context.WithTimeout(ctx, o.Timeout)
		defer cancel()
		kopts := analyze.KubeOptions{Kinds: analyze.Inputs(o.selected), IstioNamespace: o.f.IstioNamespace()}
		where := "all namespaces"
		if !o.AllNamespaces {
			kopts.Namespace = ns
			where = "namespace " + ns
		}
		in, err := analyze.ReadCluster(rctx, client, kopts)
		if err != nil {
			return err
		}
		for _, w := range in.Warnings {
			fmt.Fprintf(errOut, "Warning: %s\n", w)
		}
		if o.f.Verbosity() > 0 {
			for _, k := range in.NotServed {
				fmt.Fprintf(errOut, "not served by the cluster (no CRD): %s\n", k)
			}
		}
		resources = append(resources, in.Resources...)
		missingSecrets = in.MissingSecrets
		if scope != "" {
			scope += " and " + where
		} else {
			scope = where
		}
	}

	prog.indexed.Store(int64(len(resources)))
	prog.phase.Store(phaseIndexing)
	snap, err := untilDone(ctx, func() *analyze.Snapshot {
		return analyze.NewSnapshot(resources, analyze.SnapshotOptions{
			ClusterDomain: o.ClusterDomain, IstioNamespace: o.f.IstioNamespace(), MeshConfig: mesh,
			MissingSecrets: missingSecrets,
		})
	})
	if err != nil {
		return err
	}
	for _, d := range snap.Duplicates() {
		fmt.Fprintf(errOut, "Warning: %s is defined twice (%s and %s); the later one is analyzed\n", d.Ref, d.First, d.Later)
	}
	prog.phase.Store(phaseAnalyzing)
	runOpts := analyze.RunOptions{Context: ctx, Progress: &prog.counts}
	if len(o.Files) == 0 && !o.AllNamespaces {
		runOpts.Namespace = ns
	}
	msgs, err := untilDone(ctx, func() []analyze.Message { return analyze.Run(snap, o.selected, runOpts) })
	prog.Stop() // the findings follow: no progress line among them
	if err != nil {
		return err
	}
	if ctx.Err() != nil {
		return context.Cause(ctx) // some analyzers did not run: no report
	}
	msgs, nSuppressed := analyze.Suppress(msgs, o.suppressions)

	if o.WriteBaseline != "" {
		if err := writeBaseline(o.WriteBaseline, msgs); err != nil {
			return err
		}
		fmt.Fprintf(o.f.ErrOut, "Wrote %d findings to baseline %s\n", len(msgs), o.WriteBaseline)
		return nil
	}
	nKnown := 0
	if o.Baseline != "" {
		b, err := readBaseline(o.Baseline)
		if err != nil {
			return err
		}
		msgs, nKnown = b.Filter(msgs)
	}

	var shown []analyze.Message
	failed := false
	for _, m := range msgs {
		if m.Level >= o.outLevel {
			shown = append(shown, m)
		}
		if m.Level >= o.failLevel {
			failed = true
		}
	}
	var rules []*analyze.MessageType
	for _, a := range o.selected {
		rules = append(rules, a.Codes()...)
	}
	if len(shown) > 0 || o.Output != analyze.FormatLog {
		err := analyze.Write(o.f.Out, o.Output, shown, analyze.FormatOptions{
			Color:       cmdutil.ColorAllowed(o.f.Term.StdoutTTY),
			ToolVersion: meshversion.Get().Version,
			Rules:       rules,
		})
		if err != nil {
			return err
		}
	}
	if nSuppressed > 0 || nKnown > 0 {
		fmt.Fprintf(o.f.ErrOut, "%d findings suppressed, %d already in the baseline\n", nSuppressed, nKnown)
	}
	if len(shown) == 0 {
		if len(msgs) == 0 {
			fmt.Fprintf(o.f.ErrOut, "No issues found when analyzing %s.\n", scope)
		} else {
			fmt.Fprintf(o.f.ErrOut, "No issues at or above %s when analyzing %s (%d below).\n", o.outLevel, scope, len(msgs))
		}
	}
	if failed {
		return &cmdutil.ThresholdError{}
	}
	return nil
}

func (o *Options) reportSkipped(errOut io.Writer, sk []analyze.Skipped) {
	if len(sk) == 0 {
		return
	}
	if o.f.Verbosity() > 0 {
		for _, s := range sk {
			fmt.Fprintf(errOut, "skipped %s\n", s)
		}
		return
	}
	fmt.Fprintf(errOut, "Skipped %d objects of kinds that are not analyzed (-v 1 lists them)\n", len(sk))
}

func listAnalyzers(w io.Writer, as []analyze.Analyzer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tCODES\tDESCRIPTION")
	for _, a := range as {
		var codes []string
		for _, t := range a.Codes() {
			codes = append(codes, t.Code)
		}
		sort.Strings(codes)
		fmt.Fprintf(tw, "%s\t%s\t%s\n", a.Name(), strings.Join(codes, ","), a.Description())
	}
	return tw.Flush()
}

func writeBaseline(path string, ms []analyze.Message) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("writing baseline: %w", err)
	}
	if err := analyze.NewBaseline(ms).Write(f); err != nil {
		f.Close()
		return fmt.Errorf("writing baseline %s: %w", path, err)
	}
	return f.Close()
}

// untilDone runs work that does not look at the context (building the
// snapshot, an analyzer) and returns its result, or the context's cause as
// soon as it is done: the process then exits with the work unfinished, and
// nothing is reported for it.
func untilDone[T any](ctx context.Context, work func() T) (T, error) {
	out := make(chan T, 1)
	go func() { out <- work() }()
	select {
	case v := <-out:
		return v, nil
	case <-ctx.Done():
		var zero T
		return zero, context.Cause(ctx)
	}
}

// plural is "1 resource", "2 resources".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func readBaseline(path string) (analyze.Baseline, error) {
	f, err := os.Open(path)
	if err != nil {
		return analyze.Baseline{}, fmt.Errorf("--baseline: %w", err)
	}
	defer f.Close()
	b, err := analyze.ReadBaseline(f)
	if err != nil {
		return analyze.Baseline{}, fmt.Errorf("%s: %w", path, err)
	}
	return b, nil
}
