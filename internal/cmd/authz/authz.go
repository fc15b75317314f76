// Package authz implements `meshctl authz check|can|matrix`: who can call
// whom in the mesh, and which policy decides, predicted from configuration.
package authz

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/meshctl/meshctl/internal/cmdutil"
	"github.com/meshctl/meshctl/internal/cmdutil/authzinput"
	"github.com/meshctl/meshctl/pkg/authz"
)

// NewCmd builds `meshctl authz`.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "authz",
		Short: "Predict who can call whom, and which policy decides",
		Long: `Predict, from configuration alone, the outcome of calls between workloads:
mutual TLS negotiation (PeerAuthentication, DestinationRule, auto mTLS),
then AuthorizationPolicy (CUSTOM, DENY, ALLOW, AUDIT) and RequestAuthentication.
Works on files (-f, offline: no kubeconfig is read) or on a live cluster
(--use-kube).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newCheckCmd(f, nil), newCanCmd(f, nil), newMatrixCmd(f, nil))
	return cmd
}

// CheckOptions are what `authz check` needs.
type CheckOptions struct {
	Input    authzinput.Flags
	Workload string
	Output   string
	f        *cmdutil.Factory
}

func newCheckCmd(f *cmdutil.Factory, runF func(*CheckOptions) error) *cobra.Command {
	o := &CheckOptions{f: f}
	cmd := &cobra.Command{
		Use:   "check WORKLOAD",
		Short: "List the authorization policies that apply to a workload, in evaluation order",
		Long: `List the AuthorizationPolicies that apply to a workload in the order its
sidecar evaluates them (CUSTOM, DENY, ALLOW, AUDIT), each rule summarised, and
warn about policies that cannot work as written: an ALLOW policy without rules
(it denies everything, the ingress gateway included), source.principals or
source.namespaces without mutual TLS, selectors that match no workload.
WORKLOAD is NAME.NAMESPACE, or NAME with -n.`,
		Example: `  meshctl authz check httpbin -n foo -f samples/security/good/
  meshctl authz check httpbin.foo --use-kube`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Workload = args[0]
			if err := o.Validate(); err != nil {
				return err
			}
			if runF != nil {
				return runF(o)
			}
			return o.Run(cmd.Context())
		},
	}
	o.Input.Bind(cmd)
	addOutput(cmd, &o.Output, "text", "text", "json")
	return cmd
}

// Validate checks the flags.
func (o *CheckOptions) Validate() error {
	if err := o.Input.Validate(); err != nil {
		return err
	}
	return checkOutput(o.Output, "text", "json")
}

// Run prints the policies of one workload. Warnings go to stderr.
func (o *CheckOptions) Run(ctx context.Context) error {
	s, err := o.Input.Load(ctx, o.f)
	if err != nil {
		return err
	}
	w, err := s.Workload(o.Workload, o.Input.DefaultNamespace(o.f))
	if err != nil {
		return err
	}
	c := s.CheckWorkload(w)
	if o.Output == "json" {
		return writeJSON(o.f.Out, c)
	}
	for _, warn := range c.Warnings {
		fmt.Fprintf(o.f.ErrOut, "Warning: %s\n", warn)
	}
	return authz.WriteCheck(o.f.Out, c)
}

// CanOptions are what `authz can` needs.
type CanOptions struct {
	Input    authzinput.Flags
	From, To string
	Port     int32
	Method   string
	Path     string
	Host     string
	SourceIP string
	Headers  []string
	Claims   []string
	Output   string
	f        *cmdutil.Factory
}

func newCanCmd(f *cmdutil.Factory, runF func(*CanOptions) error) *cobra.Command {
	o := &CanOptions{f: f}
	cmd := &cobra.Command{
		Use:   "can FROM TO",
		Short: "Predict the outcome of one request, with the chain of reasons",
		Long: `Predict the outcome of one request from workload FROM to TO: 200 allowed,
403 denied by RBAC, 401 token rejected, 502 blocked by the client's sidecar,
503 TLS mismatch or refused upstream, reset, or timeout (dropped by a
NetworkPolicy, for a client without a sidecar). FROM is NAME.NAMESPACE (or
NAME with -n); TO is a service (NAME.NAMESPACE, NAME, or its cluster host
name), a ServiceEntry host, or an external host or IP address, each with an
optional :PORT.

The explanation starts on the client's side when it matters (which Sidecar
scopes the client, whether it imports the destination, what the outbound
traffic policy does with a host it does not know, the VirtualService route),
then lists the NetworkPolicies that let the connection through or drop it,
mutual TLS negotiation and every policy and rule that matched or did not,
and why. Each object that decided is named, with its file and line when it
was read from files.`,
		Example: `  meshctl authz can sleep.foo httpbin.bar -f samples/security/good/
  meshctl authz can sleep.foo httpbin.foo --path /ip --method POST --header x-user=alice --use-kube
  meshctl authz can probe.default www.baidu.com:80 -f samples/egress/visibility/apps.yaml -f samples/egress/visibility/3-serviceentry/
  meshctl authz can sleep.foo httpbin.foo --jwt-claim iss=https://issuer.example --jwt-claim groups=admin -f policies/`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.From, o.To = args[0], args[1]
			if err := o.Validate(); err != nil {
				return err
			}
			if runF != nil {
				return runF(o)
			}
			return o.Run(cmd.Context())
		},
	}
	o.Input.Bind(cmd)
	fs := cmd.Flags()
	fs.Int32Var(&o.Port, "port", 0, "Service port to call (default: the service's first port)")
	fs.StringVar(&o.Method, "method", "GET", "HTTP method")
	fs.StringVar(&o.Path, "path", "/", "Request path")
	fs.StringVar(&o.Host, "host", "", "Host header (default: NAME.NAMESPACE:PORT, as curl sends it)")
	fs.StringVar(&o.SourceIP, "source-ip", "", "Client IP for ipBlocks and remoteIpBlocks (default: the pod IP when known)")
	fs.StringArrayVar(&o.Headers, "header", nil, "Request header KEY=VALUE; repeatable")
	fs.StringArrayVar(&o.Claims, "jwt-claim", nil, "Claim KEY=VALUE of a JWT the client presents (iss, sub, aud, groups, a.b for nested); repeatable")
	addOutput(cmd, &o.Output, "text", "text", "json")
	return cmd
}

// Validate checks the flags.
func (o *CanOptions) Validate() error {
	if err := o.Input.Validate(); err != nil {
		return err
	}
	if o.Port < 0 || o.Port > 65535 {
		return cmdutil.UsageErrorf("--port must be between 1 and 65535, not %d", o.Port)
	}
	for _, h := range o.Headers {
		if k, _, ok := strings.Cut(h, "="); !ok || k == "" {
			return cmdutil.UsageErrorf("--header must be KEY=VALUE, not %q", h)
		}
	}
	for _, c := range o.Claims {
		if k, _, ok := strings.Cut(c, "="); !ok || k == "" {
			return cmdutil.UsageErrorf("--jwt-claim must be KEY=VALUE, not %q", c)
		}
	}
	return checkOutput(o.Output, "text", "json")
}

// Run predicts the request.
func (o *CanOptions) Run(ctx context.Context) error {
	s, err := o.Input.Load(ctx, o.f)
	if err != nil {
		return err
	}
	ns := o.Input.DefaultNamespace(o.f)
	from, err := s.Workload(o.From, ns)
	if err != nil {
		return err
	}
	to, port, err := s.Destination(o.To, ns)
	if err != nil {
		return err
	}
	if port != 0 {
		if o.Port != 0 && o.Port != port {
			return cmdutil.UsageErrorf("%s names port %d and --port says %d", o.To, port, o.Port)
		}
		o.Port = port
	}
	if o.Port != 0 {
		if _, ok := to.Port(o.Port); !ok {
			return cmdutil.UsageErrorf("service %s has no port %d", to.ID(), o.Port)
		}
	}
	req := authz.Request{From: from, To: to, Port: o.Port, Method: o.Method, Path: o.Path, Host: o.Host, SourceIP: o.SourceIP, Headers: map[string]string{}}
	for _, h := range o.Headers {
		k, v, _ := strings.Cut(h, "=")
		req.Headers[k] = v
	}
	if len(o.Claims) > 0 {
		req.Claims = map[string][]string{}
		for _, c := range o.Claims {
			k, v, _ := strings.Cut(c, "=")
			req.Claims[k] = append(req.Claims[k], v)
		}
	}
	r := s.Evaluate(req)
	if o.Output == "json" {
		return writeJSON(o.f.Out, r)
	}
	return authz.WriteExplanation(o.f.Out, r)
}

// MatrixOptions are what `authz matrix` needs.
type MatrixOptions struct {
	Input   authzinput.Flags
	From    []string
	To      []string
	Port    int32
	Method  string
	Path    string
	Headers []string
	Output  string
	f       *cmdutil.Factory
}

func newMatrixCmd(f *cmdutil.Factory, runF func(*MatrixOptions) error) *cobra.Command {
	o := &MatrixOptions{f: f}
	cmd := &cobra.Command{
		Use:   "matrix",
		Short: "Predict the outcome of every client workload calling every service",
		Long: `Predict the outcome of a call from every client workload to every service, as
the table of the seed's check.sh script (FROM \ TO), JSON, Graphviz DOT, or an
SVG picture drawn by meshctl (no Graphviz needed). --from and --to select rows
and columns by NAME.NAMESPACE glob and keep the order given.`,
		Example: `  meshctl authz matrix -f samples/security/good/ --from 'sleep.*' --to 'httpbin.*'
  meshctl authz matrix --use-kube -A -o svg > mesh.svg
  meshctl authz matrix -f policies/ -o dot | dot -Tpng > mesh.png`,
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
	o.Input.Bind(cmd)
	fs := cmd.Flags()
	fs.StringArrayVar(&o.From, "from", nil, "Client workloads (NAME.NAMESPACE glob); repeatable, in row order")
	fs.StringArrayVar(&o.To, "to", nil, "Services and ServiceEntry hosts (NAME.NAMESPACE or host glob), or an external host or IP; repeatable, in column order")
	fs.Int32Var(&o.Port, "port", 0, "Service port to call (default: each service's first port)")
	fs.StringVar(&o.Method, "method", "GET", "HTTP method")
	fs.StringVar(&o.Path, "path", "/", "Request path")
	fs.StringArrayVar(&o.Headers, "header", nil, "Request header KEY=VALUE; repeatable")
	addOutput(cmd, &o.Output, "table", "table", "json", "dot", "svg")
	return cmd
}

// Validate checks the flags.
func (o *MatrixOptions) Validate() error {
	if err := o.Input.Validate(); err != nil {
		return err
	}
	if o.Port < 0 || o.Port > 65535 {
		return cmdutil.UsageErrorf("--port must be between 1 and 65535, not %d", o.Port)
	}
	for _, h := range o.Headers {
		if k, _, ok := strings.Cut(h, "="); !ok || k == "" {
			return cmdutil.UsageErrorf("--header must be KEY=VALUE, not %q", h)
		}
	}
	return checkOutput(o.Output, "table", "json", "dot", "svg")
}

// Run prints the matrix.
func (o *MatrixOptions) Run(ctx context.Context) error {
	s, err := o.Input.Load(ctx, o.f)
	if err != nil {
		return err
	}
	headers := map[string]string{}
	for _, h := range o.Headers {
		k, v, _ := strings.Cut(h, "=")
		headers[k] = v
	}
	m := s.Matrix(authz.MatrixOptions{From: o.From, To: o.To, Port: o.Port, Method: o.Method, Path: o.Path, Headers: headers})
	if len(m.Unmatched) > 0 {
		return fmt.Errorf("%s", strings.Join(m.Unmatched, "; "))
	}
	if len(m.Clients) == 0 || len(m.Services) == 0 {
		fmt.Fprintf(o.f.ErrOut, "Warning: the matrix is empty (%d client workloads, %d services selected)\n", len(m.Clients), len(m.Services))
	}
	switch o.Output {
	case "json":
		return m.WriteJSON(o.f.Out)
	case "dot":
		return m.WriteDOT(o.f.Out)
	case "svg":
		return m.WriteSVG(o.f.Out)
	}
	return m.WriteTable(o.f.Out)
}

func addOutput(cmd *cobra.Command, p *string, def string, formats ...string) {
	cmd.Flags().StringVarP(p, "output", "o", def, "Output format: one of "+strings.Join(formats, "|"))
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions(formats, cobra.ShellCompDirectiveNoFileComp))
}

func checkOutput(v string, formats ...string) error {
	for _, f := range formats {
		if v == f {
			return nil
		}
	}
	return cmdutil.UsageErrorf("--output must be one of %s, not %q", strings.Join(formats, "|"), v)
}

func writeJSON(w io.Writer, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}
