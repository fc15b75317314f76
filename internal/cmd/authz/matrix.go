package authz

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/meshctl/meshctl/internal/cmdutil"
	"github.com/meshctl/meshctl/internal/cmdutil/authzinput"
	"github.com/meshctl/meshctl/pkg/authz"
)

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
