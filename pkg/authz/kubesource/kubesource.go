// Package kubesource reads, from a live cluster, the objects the authz model
// needs (namespaces, pods, workload templates, services, the mesh config
// and Istio's security and networking policies) and hands them to an
// authz.Loader as the same JSON documents files would give.
package kubesource

import (
	"context"
	"encoding/json"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/meshctl/meshctl/pkg/authz"
	"github.com/meshctl/meshctl/pkg/kube"
)

// Options say what to read.
type Options struct {
	// Namespaces to read; empty means all namespaces. The Istio namespace
	// (root namespace and mesh config) is always read.
	Namespaces     []string
	IstioNamespace string
}

// Load lists the objects and adds them to l. It returns warnings for kinds
// that could not be read but are optional (Istio CRDs not installed).
func Load(ctx context.Context, c *kube.Client, l *authz.Loader, o Options) ([]string, error) {
	l.LivePods = true
	nss := o.Namespaces
	if len(nss) > 0 {
		seen := map[string]bool{}
		var uniq []string
		for _, n := range append(append([]string(nil), nss...), o.IstioNamespace) {
			if !seen[n] {
				seen[n] = true
				uniq = append(uniq, n)
			}
		}
		nss = uniq
	} else {
		nss = []string{metav1.NamespaceAll}
	}
	var warnings []string
	add := func(obj any, apiVersion, kind, where string) error {
		data, err := json.Marshal(obj)
		if err != nil {
			return err
		}
		var m map[string]any
		if err := json.Unmarshal(data, &m); err != nil {
			return err
		}
		m["apiVersion"], m["kind"] = apiVersion, kind
		data, err = json.Marshal(m)
		if err != nil {
			return err
		}
		return l.AddJSON(data, where)
	}
	host := c.Host()
	// Namespaces: labels decide injection.
	if len(o.Namespaces) == 0 {
		list, err := c.Kubernetes.CoreV1().Namespaces().List(ctx, metav1.ListOptions{})
		if err != nil {
			return nil, fmt.Errorf("listing namespaces: %w", kube.Explain(err, host))
		}
		for i := range list.Items {
			if err := add(&list.Items[i], "v1", "Namespace", authz.FromCluster); err != nil {
				return nil, err
			}
		}
	} else {
		for _, n := range nss {
			ns, err := c.Kubernetes.CoreV1().Namespaces().Get(ctx, n, metav1.GetOptions{})
			if apierrors.IsNotFound(err) {
				warnings = append(warnings, fmt.Sprintf("namespace %q not found", n))
				continue
			}
			if err != nil {
				return nil, fmt.Errorf("reading namespace %q: %w", n, kube.Explain(err, host))
			}
			if err := add(ns, "v1", "Namespace", authz.FromCluster); err != nil {
				return nil, err
			}
		}
	}
	cm, err := c.Kubernetes.CoreV1().ConfigMaps(o.IstioNamespace).Get(ctx, "istio", metav1.GetOptions{})
	switch {
	case err == nil:
		if err := add(cm, "v1", "ConfigMap", authz.FromCluster); err != nil {
			return nil, err
		}
	case apierrors.IsNotFound(err):
		warnings = append(warnings, fmt.Sprintf("no mesh config (ConfigMap %s/istio): using defaults", o.IstioNamespace))
	default:
		return nil, fmt.Errorf("reading the mesh config: %w", kube.Explain(err, host))
	}
	// The injector's values name the cluster domain; without them (absent
	// or not readable) it is cluster.local.
	if inj, err := c.Kubernetes.CoreV1().ConfigMaps(o.IstioNamespace).Get(ctx, "istio-sidecar-injector", metav1.GetOptions{}); err == nil {
		if err := add(inj, "v1", "ConfigMap", authz.FromCluster); err != nil {
			return nil, err
		}
	}
	for _, ns := range nss {
		where := authz.FromCluster
		type lister struct {
			what, apiVersion, kind string
			optional               bool
			list                   func() ([]any, error)
		}
		k, is := c.Kubernetes, c.Istio
		items := func(n int, get func(int) any) []any {
			out := make([]any, n)
			for i := range out {
				out[i] = get(i)
			}
			return out
		}
		opts := metav1.ListOptions{}
		listers := []lister{
			{"pods", "v1", "Pod", false, func() ([]any, error) {
				l, err := k.CoreV1().Pods(ns).List(ctx, opts)
				if err != nil {
					return nil, err
				}
				return items(len(l.Items), func(i int) any { return &l.Items[i] }), nil
			}},
			{"services", "v1", "Service", false, func() ([]any, error) {
				l, err := k.CoreV1().Services(ns).List(ctx, opts)
				if err != nil {
					return nil, err
				}
				return items(len(l.Items), func(i int) any { return &l.Items[i] }), nil
			}},
			{"deployments", "apps/v1", "Deployment", false, func() ([]any, error) {
				l, err := k.AppsV1().Deployments(ns).List(ctx, opts)
				if err != nil {
					return nil, err
				}
				return items(len(l.Items), func(i int) any { return &l.Items[i] }), nil
			}},
			{"statefulsets", "apps/v1", "StatefulSet", false, func() ([]any, error) {
				l, err := k.AppsV1().StatefulSets(ns).List(ctx, opts)
				if err != nil {
					return nil, err
				}
				return items(len(l.Items), func(i int) any { return &l.Items[i] }), nil
			}},
			{"daemonsets", "apps/v1", "DaemonSet", false, func() ([]any, error) {
				l, err := k.AppsV1().DaemonSets(ns).List(ctx, opts)
				if err != nil {
					return nil, err
				}
				return items(len(l.Items), func(i int) any { return &l.Items[i] }), nil
			}},
			{"replicasets", "apps/v1", "ReplicaSet", false, func() ([]any, error) {
				l, err := k.AppsV1().ReplicaSets(ns).List(ctx, opts)
				if err != nil {
					return nil, err
				}
				return items(len(l.Items), func(i int) any { return &l.Items[i] }), nil
			}},
			{"jobs", "batch/v1", "Job", false, func() ([]any, error) {
				l, err := k.BatchV1().Jobs(ns).List(ctx, opts)
				if err != nil {
					return nil, err
				}
				return items(len(l.Items), func(i int) any { return &l.Items[i] }), nil
			}},
			{"cronjobs", "batch/v1", "CronJob", false, func() ([]any, error) {
				l, err := k.BatchV1().CronJobs(ns).List(ctx, opts)
				if err != nil {
					return nil, err
				}
				return items(len(l.Items), func(i int) any { return &l.Items[i] }), nil
			}},
			{"networkpolicies", "networking.k8s.io/v1", "NetworkPolicy", false, func() ([]any, error) {
				l, err := k.NetworkingV1().NetworkPolicies(ns).List(ctx, opts)
				if err != nil {
					return nil, err
				}
				return items(len(l.Items), func(i int) any { return &l.Items[i] }), nil
			}},
			{"peerauthentications", "security.istio.io/v1", "PeerAuthentication", true, func() ([]any, error) {
				l, err := is.SecurityV1().PeerAuthentications(ns).List(ctx, opts)
				if err != nil {
					return nil, err
				}
				return items(len(l.Items), func(i int) any { return l.Items[i] }), nil
			}},
			{"authorizationpolicies", "security.istio.io/v1", "AuthorizationPolicy", true, func() ([]any, error) {
				l, err := is.SecurityV1().AuthorizationPolicies(ns).List(ctx, opts)
				if err != nil {
					return nil, err
				}
				return items(len(l.Items), func(i int) any { return l.Items[i] }), nil
			}},
			{"requestauthentications", "security.istio.io/v1", "RequestAuthentication", true, func() ([]any, error) {
				l, err := is.SecurityV1().RequestAuthentications(ns).List(ctx, opts)
				if err != nil {
					return nil, err
				}
				return items(len(l.Items), func(i int) any { return l.Items[i] }), nil
			}},
			{"destinationrules", "networking.istio.io/v1", "DestinationRule", true, func() ([]any, error) {
				l, err := is.NetworkingV1().DestinationRules(ns).List(ctx, opts)
				if err != nil {
					return nil, err
				}
				return items(len(l.Items), func(i int) any { return l.Items[i] }), nil
			}},
			{"sidecars", "networking.istio.io/v1", "Sidecar", true, func() ([]any, error) {
				l, err := is.NetworkingV1().Sidecars(ns).List(ctx, opts)
				if err != nil {
					return nil, err
				}
				return items(len(l.Items), func(i int) any { return l.Items[i] }), nil
			}},
			{"serviceentries", "networking.istio.io/v1", "ServiceEntry", true, func() ([]any, error) {
				l, err := is.NetworkingV1().ServiceEntries(ns).List(ctx, opts)
				if err != nil {
					return nil, err
				}
				return items(len(l.Items), func(i int) any { return l.Items[i] }), nil
			}},
			{"workloadentries", "networking.istio.io/v1", "WorkloadEntry", true, func() ([]any, error) {
				l, err := is.NetworkingV1().WorkloadEntries(ns).List(ctx, opts)
				if err != nil {
					return nil, err
				}
				return items(len(l.Items), func(i int) any { return l.Items[i] }), nil
			}},
			{"virtualservices", "networking.istio.io/v1", "VirtualService", true, func() ([]any, error) {
				l, err := is.NetworkingV1().VirtualServices(ns).List(ctx, opts)
				if err != nil {
					return nil, err
				}
				return items(len(l.Items), func(i int) any { return l.Items[i] }), nil
			}},
			{"gateways", "networking.istio.io/v1", "Gateway", true, func() ([]any, error) {
				l, err := is.NetworkingV1().Gateways(ns).List(ctx, opts)
				if err != nil {
					return nil, err
				}
				return items(len(l.Items), func(i int) any { return l.Items[i] }), nil
			}},
		}
		for _, li := range listers {
			objs, err := li.list()
			if err != nil {
				if li.optional && apierrors.IsNotFound(err) {
					warnings = append(warnings, fmt.Sprintf("%s: the Istio CRD is not installed; none read", li.what))
					continue
				}
				scope := "all namespaces"
				if ns != "" {
					scope = "namespace " + ns
				}
				return warnings, fmt.Errorf("listing %s in %s: %w", li.what, scope, kube.Explain(err, host))
			}
			for _, obj := range objs {
				if err := add(obj, li.apiVersion, li.kind, where); err != nil {
					return warnings, err
				}
			}
		}
	}
	return warnings, nil
}
