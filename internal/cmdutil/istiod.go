package cmdutil

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/meshctl/meshctl/pkg/istiod"
	"github.com/meshctl/meshctl/pkg/kube"
)

// IstiodFlags say how the commands that ask a running istiod reach it
// (proxy-status, proxy-config).
type IstiodFlags struct {
	// Address reaches istiod's debug port directly instead of through the
	// API server.
	Address  string
	Revision string
}

// AddTo registers --istiod-address and -r/--revision.
func (i *IstiodFlags) AddTo(cmd *cobra.Command) {
	cmd.Flags().StringVar(&i.Address, "istiod-address", "", "Address (host:port) of istiod's debug port, instead of reaching istiod through the API server")
	cmd.Flags().StringVarP(&i.Revision, "revision", "r", "", "Control plane revision whose istiod to ask")
}

// Sources are the istiods to ask: the one address, or every running istiod
// pod of the revision in the Istio namespace, through the API server.
func (i *IstiodFlags) Sources(ctx context.Context, f *Factory) ([]istiod.Debug, error) {
	if i.Address != "" {
		return []istiod.Debug{istiod.Direct{Address: i.Address}}, nil
	}
	c, err := f.Kube()
	if err != nil {
		return nil, err
	}
	ns := f.IstioNamespace()
	pods, err := istiod.FindPods(ctx, c.Kubernetes, ns, i.Revision)
	if err != nil {
		return nil, kube.Explain(err, c.Host())
	}
	if len(pods) == 0 {
		return nil, fmt.Errorf("no running istiod pod in namespace %s (reach one directly with --istiod-address)", ns)
	}
	var out []istiod.Debug
	for _, p := range pods {
		out = append(out, istiod.PodProxy{Kube: c.Kubernetes, Namespace: ns, Pod: p})
	}
	return out, nil
}
