// Package proxystatus implements `meshctl proxy-status`: which proxies a
// running istiod serves and whether each is in sync with it.
package proxystatus

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	"github.com/meshctl/meshctl/internal/cmdutil"
	"github.com/meshctl/meshctl/pkg/istiod"
)

// Options are what one run needs.
type Options struct {
	// Proxy limits the output to one proxy (pod.namespace).
	Proxy  string
	Istiod cmdutil.IstiodFlags
	Output string

	f *cmdutil.Factory
}

// Row is one proxy, in every output format.
type Row struct {
	Name    string `json:"name"`
	Cluster string `json:"cluster"`
	CDS     string `json:"cds"`
	LDS     string `json:"lds"`
	EDS     string `json:"eds"`
	RDS     string `json:"rds"`
	ECDS    string `json:"ecds"`
	Istiod  string `json:"istiod"`
	Version string `json:"version"`
}

// NewCmd builds `meshctl proxy-status`.
func NewCmd(f *cmdutil.Factory) *cobra.Command { return newCmd(f, nil) }

func newCmd(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	o := &Options{f: f}
	cmd := &cobra.Command{
		Use:     "proxy-status [POD.NAMESPACE]",
		Aliases: []string{"ps"},
		Short:   "List the proxies istiod serves and whether each is in sync with it",
		Long: `List every proxy (sidecar or gateway) connected to istiod, and for each kind of
configuration istiod sends it (clusters CDS, listeners LDS, endpoints EDS,
routes RDS, extension configs ECDS) whether the proxy has acknowledged the
latest: SYNCED, STALE (istiod sent newer configuration than the proxy
acknowledged: the proxy is behind or refused it) or NOT SENT (nothing of that
kind was asked for or sent yet).

meshctl asks istiod's debug API: through the API server (the pods/proxy
subresource of each running istiod pod of the revision in the -i namespace),
or directly at --istiod-address, the address of istiod's debug port (8080).`,
		Example: `  meshctl proxy-status
  meshctl proxy-status productpage-v1-6b746f74dc-9stvs.bookinfo
  meshctl proxy-status --istiod-address 127.0.0.1:8080 -o json`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				o.Proxy = args[0]
			}
			if err := o.Validate(); err != nil {
				return err
			}
			if runF != nil {
				return runF(o)
			}
			return o.Run(cmd.Context())
		},
	}
	o.Istiod.AddTo(cmd)
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
	if o.Proxy != "" && !strings.Contains(o.Proxy, ".") {
		return cmdutil.UsageErrorf("name the proxy as POD.NAMESPACE, not %q", o.Proxy)
	}
	return nil
}

// Run lists the proxies.
func (o *Options) Run(ctx context.Context) error {
	sources, err := o.Istiod.Sources(ctx, o.f)
	if err != nil {
		return err
	}
	var rows []Row
	for _, d := range sources {
		st, err := istiod.SyncStatuses(ctx, d)
		if err != nil {
			return err
		}
		for _, s := range st {
			if o.Proxy != "" && s.ProxyID != o.Proxy {
				continue
			}
			rows = append(rows, rowOf(s, d.Where()))
		}
	}
	if o.Proxy != "" && len(rows) == 0 {
		return fmt.Errorf("proxy %s is not connected to istiod (%s)", o.Proxy, whereAll(sources))
	}
	return o.print(o.f.Out, rows)
}

func whereAll(ds []istiod.Debug) string {
	var w []string
	for _, d := range ds {
		w = append(w, d.Where())
	}
	return strings.Join(w, ", ")
}

func rowOf(s istiod.SyncStatus, where string) Row {
	version := s.IstioVersion
	if version == "" {
		version = s.ProxyVersion
	}
	return Row{
		Name:    s.ProxyID,
		Cluster: s.ClusterID,
		CDS:     istiod.State(s.ClusterSent, s.ClusterAcked),
		LDS:     istiod.State(s.ListenerSent, s.ListenerAcked),
		EDS:     istiod.State(s.EndpointSent, s.EndpointAcked),
		RDS:     istiod.State(s.RouteSent, s.RouteAcked),
		ECDS:    istiod.State(s.ExtensionConfigSent, s.ExtensionConfigAcked),
		Istiod:  where,
		Version: version,
	}
}

func (o *Options) print(w io.Writer, rows []Row) error {
	if rows == nil {
		rows = []Row{}
	}
	switch o.Output {
	case "json":
		b, err := json.MarshalIndent(rows, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w, "%s\n", b)
		return err
	case "yaml":
		b, err := yaml.Marshal(rows)
		if err != nil {
			return err
		}
		_, err = w.Write(b)
		return err
	}
	if len(rows) == 0 {
		_, err := fmt.Fprintln(w, "No proxies are connected to istiod.")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 3, ' ', 0)
	fmt.Fprintln(tw, "NAME\tCLUSTER\tCDS\tLDS\tEDS\tRDS\tECDS\tISTIOD\tVERSION")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Name, r.Cluster, r.CDS, r.LDS, r.EDS, r.RDS, r.ECDS, r.Istiod, r.Version)
	}
	return tw.Flush()
}
