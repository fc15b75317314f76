package authz

import (
	"context"
	"strings"

	"github.com/spf13/cobra"

	"github.com/meshctl/meshctl/internal/cmdutil"
	"github.com/meshctl/meshctl/internal/cmdutil/authzinput"
	"github.com/meshctl/meshctl/pkg/authz"
)

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
