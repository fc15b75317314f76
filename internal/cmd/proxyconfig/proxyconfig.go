// Package proxyconfig implements `meshctl proxy-config`: the clusters,
// listeners, routes, endpoints and secrets istiod generated for one proxy.
package proxyconfig

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	"github.com/meshctl/meshctl/internal/cmdutil"
	"github.com/meshctl/meshctl/pkg/istiod"
)

// Kinds of configuration the command shows.
var kinds = []string{"clusters", "listeners", "routes", "endpoints", "secrets", "all"}

// Options are what one run needs.
type Options struct {
	Kind   string
	Proxy  string
	Istiod cmdutil.IstiodFlags
	Output string

	f *cmdutil.Factory
}

// NewCmd builds `meshctl proxy-config`.
func NewCmd(f *cmdutil.Factory) *cobra.Command { return newCmd(f, nil) }

func newCmd(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	o := &Options{f: f}
	cmd := &cobra.Command{
		Use:     "proxy-config (clusters|listeners|routes|endpoints|secrets|all) POD.NAMESPACE",
		Aliases: []string{"pc"},
		Short:   "Show the clusters, listeners, routes, endpoints and secrets istiod sends one proxy",
		Long: `Show what istiod generated for one connected proxy (POD.NAMESPACE, as
proxy-status lists it): its clusters (each upstream service, port and subset,
how it is secured, ISTIO_MUTUAL where auto mTLS chooses it per endpoint, and
the DestinationRule that shaped it), its listeners (one row per filter chain:
what it matches and where it sends the connection) and its routes (per
virtual host: the match and the destination clusters with their weights),
its endpoints (per cluster: address, health and tlsMode, which is what auto
mTLS decides by) and its secrets.

Secrets lists the certificates and trust bundles the proxy's clusters and
listeners name. Those istiod serves (credentialName certificates of
gateways and DestinationRules) show their serial number and expiry; the
workload certificate (default) and root (ROOTCA) come from the pod's
istio-agent, which istiod does not see, so only their names and uses are
shown. Private keys are never printed, not even with -o json.

-o json|yaml prints the configuration itself, in Envoy's form. istiod is
reached as by proxy-status: through the API server, or at --istiod-address.`,
		Example: `  meshctl proxy-config clusters productpage-v1-6b746f74dc-9stvs.bookinfo
  meshctl proxy-config routes reviews-v2-5b667bcbf8-tpjkn.bookinfo -o json
  meshctl proxy-config endpoints productpage-v1-6b746f74dc-9stvs.bookinfo
  meshctl proxy-config secrets istio-ingressgateway-5c8d6b8f9d-k2m4x.istio-system
  meshctl proxy-config all sleep-7b9f8bfcd-x4x9q.foo --istiod-address 127.0.0.1:8080`,
		Args: cobra.ExactArgs(2),
		ValidArgsFunction: func(_ *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
			if len(args) == 0 {
				return kinds, cobra.ShellCompDirectiveNoFileComp
			}
			return nil, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Kind, o.Proxy = args[0], args[1]
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
	cmd.Flags().StringVarP(&o.Output, "output", "o", "", "Output format: one of json|yaml (the configuration in Envoy's form)")
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions([]string{"json", "yaml"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// Validate checks the arguments and flags.
func (o *Options) Validate() error {
	known := false
	for _, k := range kinds {
		known = known || k == o.Kind
	}
	if !known {
		return cmdutil.UsageErrorf("unknown kind %q: one of %s", o.Kind, strings.Join(kinds, ", "))
	}
	if !strings.Contains(o.Proxy, ".") {
		return cmdutil.UsageErrorf("name the proxy as POD.NAMESPACE, not %q", o.Proxy)
	}
	switch o.Output {
	case "", "json", "yaml":
	default:
		return cmdutil.UsageErrorf("--output must be json or yaml, not %q", o.Output)
	}
	return nil
}

// Run shows the configuration.
func (o *Options) Run(ctx context.Context) error {
	d, err := o.source(ctx)
	if err != nil {
		return err
	}
	dump, err := istiod.FetchConfigDump(ctx, d, o.Proxy)
	if err != nil {
		if strings.Contains(err.Error(), "404") {
			return fmt.Errorf("proxy %s is not connected to istiod (%s)", o.Proxy, d.Where())
		}
		return err
	}
	if o.Output != "" {
		return o.printRaw(dump)
	}
	w := o.f.Out
	show := func(k string) bool { return o.Kind == k || o.Kind == "all" }
	sep := ""
	if show("clusters") {
		printClusters(w, dump.ClusterRows())
		sep = "\n"
	}
	if show("listeners") {
		fmt.Fprint(w, sep)
		printListeners(w, dump.ListenerRows())
		sep = "\n"
	}
	if show("routes") {
		fmt.Fprint(w, sep)
		printRoutes(w, dump.RouteRows())
		sep = "\n"
	}
	if show("endpoints") {
		fmt.Fprint(w, sep)
		printEndpoints(w, dump.EndpointRows())
		sep = "\n"
	}
	if show("secrets") {
		fmt.Fprint(w, sep)
		printSecrets(w, dump.SecretRows(time.Now()))
	}
	return nil
}

// source finds the istiod the proxy is connected to: the one address or
// pod, or the first of several istiod pods that lists the proxy.
func (o *Options) source(ctx context.Context) (istiod.Debug, error) {
	sources, err := o.Istiod.Sources(ctx, o.f)
	if err != nil {
		return nil, err
	}
	if len(sources) == 1 {
		return sources[0], nil
	}
	for _, d := range sources {
		st, err := istiod.SyncStatuses(ctx, d)
		if err != nil {
			return nil, err
		}
		for _, s := range st {
			if s.ProxyID == o.Proxy {
				return d, nil
			}
		}
	}
	return nil, fmt.Errorf("proxy %s is not connected to any istiod in namespace %s", o.Proxy, o.f.IstioNamespace())
}

func (o *Options) printRaw(d *istiod.ConfigDump) error {
	var v any
	switch o.Kind {
	case "clusters":
		v = orEmpty(d.Clusters)
	case "listeners":
		v = orEmpty(d.Listeners)
	case "routes":
		v = orEmpty(d.Routes)
	case "endpoints":
		v = orEmpty(d.Endpoints)
	case "secrets":
		// Istiod's secrets (keys removed) and what the proxy names.
		v = map[string]any{"served": orEmpty(d.Secrets), "rows": d.SecretRows(time.Now())}
	default:
		v = map[string]any{"clusters": orEmpty(d.Clusters), "listeners": orEmpty(d.Listeners), "routes": orEmpty(d.Routes), "endpoints": orEmpty(d.Endpoints), "secrets": orEmpty(d.Secrets)}
	}
	var b []byte
	var err error
	if o.Output == "yaml" {
		b, err = yaml.Marshal(v)
	} else {
		b, err = json.MarshalIndent(v, "", "  ")
		b = append(b, '\n')
	}
	if err != nil {
		return err
	}
	_, err = o.f.Out.Write(b)
	return err
}

func orEmpty(l []map[string]any) []map[string]any {
	if l == nil {
		return []map[string]any{}
	}
	return l
}

func table(w io.Writer, header string, rows [][]string) {
	tw := tabwriter.NewWriter(w, 0, 4, 3, ' ', 0)
	fmt.Fprintln(tw, header)
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	_ = tw.Flush()
}

func printClusters(w io.Writer, rows []istiod.ClusterRow) {
	var out [][]string
	for _, r := range rows {
		out = append(out, []string{r.FQDN, r.Port, r.Subset, r.Direction, r.Type, r.TLS, r.DestinationRule})
	}
	table(w, "SERVICE FQDN\tPORT\tSUBSET\tDIRECTION\tTYPE\tTLS\tDESTINATION RULE", out)
}

func printListeners(w io.Writer, rows []istiod.ListenerRow) {
	var out [][]string
	for _, r := range rows {
		out = append(out, []string{r.Address, r.Port, r.Match, r.Destination})
	}
	table(w, "ADDRESS\tPORT\tMATCH\tDESTINATION", out)
}

func printRoutes(w io.Writer, rows []istiod.RouteRow) {
	if len(rows) == 0 {
		fmt.Fprintln(w, "No routes: the proxy has asked for none yet (routes follow its HTTP listeners).")
		return
	}
	var out [][]string
	for _, r := range rows {
		out = append(out, []string{r.Name, r.Domains, r.Match, r.Destination})
	}
	table(w, "NAME\tDOMAINS\tMATCH\tDESTINATION", out)
}

func printEndpoints(w io.Writer, rows []istiod.EndpointRow) {
	if len(rows) == 0 {
		fmt.Fprintln(w, "No endpoints: the proxy has subscribed to none yet (endpoints follow its EDS clusters).")
		return
	}
	var out [][]string
	for _, r := range rows {
		out = append(out, []string{r.Endpoint, r.Status, r.TLSMode, r.Cluster})
	}
	table(w, "ENDPOINT\tSTATUS\tTLS MODE\tCLUSTER", out)
}

func printSecrets(w io.Writer, rows []istiod.SecretRow) {
	if len(rows) == 0 {
		fmt.Fprintln(w, "No secrets: the proxy's configuration names no certificate.")
		return
	}
	var out [][]string
	for _, r := range rows {
		out = append(out, []string{r.Name, r.Source, r.Type, r.Serial, r.NotAfter, fmt.Sprint(r.UsedBy)})
	}
	table(w, "NAME\tSOURCE\tTYPE\tSERIAL NUMBER\tNOT AFTER\tUSED BY", out)
}
