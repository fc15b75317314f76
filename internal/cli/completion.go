package cli

import (
	"context"
	"sort"
	"time"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/meshctl/meshctl/internal/cmdutil"
)

// completionTimeout keeps shell completion snappy when the cluster is slow or
// unreachable: no suggestions is better than a frozen prompt.
const completionTimeout = 2 * time.Second

// registerClusterCompletions completes namespace flags from the live cluster.
func registerClusterCompletions(root *cobra.Command, f *cmdutil.Factory) {
	complete := func(_ *cobra.Command, _ []string, _ string) ([]string, cobra.ShellCompDirective) {
		return ListNamespaces(f), cobra.ShellCompDirectiveNoFileComp
	}
	_ = root.RegisterFlagCompletionFunc("namespace", complete)
	_ = root.RegisterFlagCompletionFunc("istio-namespace", complete)
}

// ListNamespaces returns the cluster's namespace names, or nil when the
// cluster cannot be asked quickly.
func ListNamespaces(f *cmdutil.Factory) []string {
	c, err := f.Kube()
	if err != nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), completionTimeout)
	defer cancel()
	list, err := c.Kubernetes.CoreV1().Namespaces().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil
	}
	names := make([]string, 0, len(list.Items))
	for _, ns := range list.Items {
		names = append(names, ns.Name)
	}
	sort.Strings(names)
	return names
}
