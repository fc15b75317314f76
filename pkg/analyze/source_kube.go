package analyze

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/meshctl/meshctl/pkg/kube"
)

// KubeOptions say what to read from a cluster.
type KubeOptions struct {
	// Namespace limits the read to one namespace; "" reads all.
	Namespace string
	// Kinds to read: the inputs of the selected analyzers.
	Kinds []string
	// IstioNamespace holds the mesh and injector ConfigMaps.
	IstioNamespace string
	// PageSize is the list page size (500 when 0).
	PageSize int64
}

// KubeInput is what ReadCluster found.
type KubeInput struct {
	Resources []*Resource
	// Warnings name what could not be read (a missing permission) and why;
	// the analysis goes on without it.
	Warnings []string
	// NotServed lists kinds the server does not serve (their CRD is absent).
	NotServed []string
	// MissingSecrets are referenced Secrets ("namespace/name") that were
	// looked up and do not exist; pass them to SnapshotOptions.
	MissingSecrets []string
}

// ReadCluster reads the given kinds, page by page, from the cluster. It
// never lists Secrets or ConfigMaps: it fetches only the control plane's
// mesh config and injector ConfigMaps by name. A Forbidden answer becomes a
// warning naming the verb and the resource; other errors (unreachable
// server, timeout from ctx) end the read.
func ReadCluster(ctx context.Context, c *kube.Client, opts KubeOptions) (*KubeInput, error) {
	if opts.PageSize == 0 {
		opts.PageSize = 500
	}
	if opts.IstioNamespace == "" {
		opts.IstioNamespace = DefaultIstioNamespace
	}
	out := &KubeInput{}
	kindsToRead := append([]string(nil), opts.Kinds...)
	sort.Strings(kindsToRead)
	for _, kind := range kindsToRead {
		ki, ok := kindsByName[kind]
		if !ok {
			continue
		}
		var err error
		switch {
		case kind == KindSecret:
			continue // fetched by name below, once the Gateways are read
		case kind == KindConfigMap:
			err = readConfigMaps(ctx, c, opts, out)
		case kind == KindNamespace && opts.Namespace != "":
			err = getOne(ctx, c, ki, "", opts.Namespace, out)
		default:
			err = listKind(ctx, c, ki, opts, out)
		}
		if err != nil {
			return out, err
		}
	}
	if contains(kindsToRead, KindSecret) {
		if err := readGatewaySecrets(ctx, c, opts, out); err != nil {
			return out, err
		}
	}
	// The mesh config and the injector values say which cluster domain and
	// root namespace to use: read them even when no analyzer asks for
	// ConfigMaps.
	if !contains(kindsToRead, KindConfigMap) {
		if err := readConfigMaps(ctx, c, opts, out); err != nil {
			return out, err
		}
	}
	return out, nil
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func readConfigMaps(ctx context.Context, c *kube.Client, opts KubeOptions, out *KubeInput) error {
	ki := kindsByName[KindConfigMap]
	for _, name := range []string{"istio", "istio-sidecar-injector"} {
		if err := getOne(ctx, c, ki, opts.IstioNamespace, name, out); err != nil {
			return err
		}
	}
	return nil
}

// readGatewaySecrets fetches, by name, the Secrets the Gateways read so far
// reference, keeping only their metadata.
func readGatewaySecrets(ctx context.Context, c *kube.Client, opts KubeOptions, out *KubeInput) error {
	ki := kindsByName[KindSecret]
	refs := GatewaySecretRefs(NewSnapshot(out.Resources, SnapshotOptions{IstioNamespace: opts.IstioNamespace}))
	for _, ref := range refs {
		ns, name, _ := strings.Cut(ref, "/")
		before := len(out.Resources)
		warnings := len(out.Warnings)
		if err := getOne(ctx, c, ki, ns, name, out); err != nil {
			return err
		}
		if len(out.Resources) == before && len(out.Warnings) == warnings {
			out.MissingSecrets = append(out.MissingSecrets, ref)
		}
	}
	return nil
}

func getOne(ctx context.Context, c *kube.Client, ki *KindInfo, ns, name string, out *KubeInput) error {
	gvr := schema.GroupVersionResource{Group: ki.Group, Version: ki.Versions[0], Resource: ki.Resource}
	var ri = c.Dynamic.Resource(gvr)
	var (
		obj map[string]any
		err error
	)
	if ns != "" {
		u, e := ri.Namespace(ns).Get(ctx, name, metav1.GetOptions{})
		err = e
		if e == nil {
			obj = u.Object
		}
	} else {
		u, e := ri.Get(ctx, name, metav1.GetOptions{})
		err = e
		if e == nil {
			obj = u.Object
		}
	}
	switch {
	case err == nil:
	case apierrors.IsNotFound(err):
		return nil
	case apierrors.IsForbidden(err):
		out.Warnings = append(out.Warnings, fmt.Sprintf("cannot get %s %q: %v; analysing without it", resourceName(ki), name, kube.Explain(err, c.Host())))
		return nil
	default:
		return fmt.Errorf("getting %s %q: %w", resourceName(ki), name, kube.Explain(err, c.Host()))
	}
	if r, _ := DecodeObject(obj, ""); r != nil {
		out.Resources = append(out.Resources, r)
	}
	return nil
}

func resourceName(ki *KindInfo) string {
	if ki.Group == "" {
		return ki.Resource
	}
	return ki.Resource + "." + ki.Group
}

func listKind(ctx context.Context, c *kube.Client, ki *KindInfo, opts KubeOptions, out *KubeInput) error {
	var lastNotFound error
	for _, v := range ki.Versions {
		gvr := schema.GroupVersionResource{Group: ki.Group, Version: v, Resource: ki.Resource}
		err := listVersion(ctx, c, ki, gvr, opts, out)
		if err == nil {
			return nil
		}
		if apierrors.IsNotFound(err) {
			lastNotFound = err
			continue
		}
		if apierrors.IsForbidden(err) {
			where := "in all namespaces"
			if ki.Namespaced && opts.Namespace != "" {
				where = "in namespace " + opts.Namespace
			} else if !ki.Namespaced {
				where = "(cluster-scoped)"
			}
			out.Warnings = append(out.Warnings, fmt.Sprintf("cannot list %s %s: %v; analysing without them", resourceName(ki), where, kube.Explain(err, c.Host())))
			return nil
		}
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return fmt.Errorf("timed out reading %s (raise --timeout)", resourceName(ki))
		}
		return fmt.Errorf("listing %s: %w", resourceName(ki), kube.Explain(err, c.Host()))
	}
	if lastNotFound != nil {
		out.NotServed = append(out.NotServed, resourceName(ki))
	}
	return nil
}

func listVersion(ctx context.Context, c *kube.Client, ki *KindInfo, gvr schema.GroupVersionResource, opts KubeOptions, out *KubeInput) error {
	cont := ""
	var batch []*Resource
	for {
		lo := metav1.ListOptions{Limit: opts.PageSize, Continue: cont}
		ri := c.Dynamic.Resource(gvr)
		var (
			items []map[string]any
			next  string
		)
		if ki.Namespaced && opts.Namespace != "" {
			l, err := ri.Namespace(opts.Namespace).List(ctx, lo)
			if err != nil {
				return err
			}
			for i := range l.Items {
				items = append(items, l.Items[i].Object)
			}
			next = l.GetContinue()
		} else {
			l, err := ri.List(ctx, lo)
			if err != nil {
				return err
			}
			for i := range l.Items {
				items = append(items, l.Items[i].Object)
			}
			next = l.GetContinue()
		}
		for _, o := range items {
			if r, _ := DecodeObject(o, ""); r != nil {
				batch = append(batch, r)
			}
		}
		if next == "" {
			break
		}
		cont = next
	}
	out.Resources = append(out.Resources, batch...)
	return nil
}
