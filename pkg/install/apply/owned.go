package apply

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/meshctl/meshctl/pkg/install/manifest"
	"github.com/meshctl/meshctl/pkg/kube"
)

// installKinds are the kinds an Istio install renders. Pruning and
// uninstall look for meshctl's objects among these, the kinds of the
// current render and the kinds of the install record.
var installKinds = []schema.GroupKind{
	{Group: "apiextensions.k8s.io", Kind: "CustomResourceDefinition"},
	{Kind: "Namespace"},
	{Kind: "ServiceAccount"},
	{Group: "rbac.authorization.k8s.io", Kind: "ClusterRole"},
	{Group: "rbac.authorization.k8s.io", Kind: "ClusterRoleBinding"},
	{Group: "rbac.authorization.k8s.io", Kind: "Role"},
	{Group: "rbac.authorization.k8s.io", Kind: "RoleBinding"},
	{Kind: "Secret"},
	{Kind: "ConfigMap"},
	{Group: "admissionregistration.k8s.io", Kind: "MutatingWebhookConfiguration"},
	{Group: "admissionregistration.k8s.io", Kind: "ValidatingWebhookConfiguration"},
	{Kind: "Service"},
	{Group: "apps", Kind: "Deployment"},
	{Group: "apps", Kind: "DaemonSet"},
	{Group: "policy", Kind: "PodDisruptionBudget"},
	{Group: "autoscaling", Kind: "HorizontalPodAutoscaler"},
}

// KindsOf returns the group/kinds of object keys (group/Kind/namespace/name).
func KindsOf(keys []string) []schema.GroupKind {
	var out []schema.GroupKind
	for _, k := range keys {
		parts := strings.SplitN(k, "/", 3)
		if len(parts) == 3 {
			out = append(out, schema.GroupKind{Group: parts[0], Kind: parts[1]})
		}
	}
	return out
}

// ListOwned lists the objects that match selector among the install kinds
// and extra, in every namespace, sorted in install order. It checks each
// object's labels again: whatever the selector, an object without
// app.kubernetes.io/managed-by=meshctl is never returned.
func ListOwned(ctx context.Context, c *kube.Client, selector string, extra []schema.GroupKind) ([]*unstructured.Unstructured, error) {
	return listOwned(ctx, c, selector, append(append([]schema.GroupKind{}, installKinds...), extra...))
}

func listOwned(ctx context.Context, c *kube.Client, selector string, all []schema.GroupKind) ([]*unstructured.Unstructured, error) {
	seen := map[schema.GroupKind]bool{}
	var kinds []schema.GroupKind
	for _, gk := range all {
		if !seen[gk] {
			seen[gk] = true
			kinds = append(kinds, gk)
		}
	}
	// One list per kind, concurrently: a prune check costs one round trip,
	// not one per kind.
	lists := make([][]*unstructured.Unstructured, len(kinds))
	errs := make([]error, len(kinds))
	var wg sync.WaitGroup
	for i, gk := range kinds {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lists[i], errs[i] = listKind(ctx, c, gk, selector)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	var out []*unstructured.Unstructured
	for _, l := range lists {
		out = append(out, l...)
	}
	objs := make([]manifest.Object, len(out))
	for i, u := range out {
		objs[i] = manifest.Object{Component: u.GetLabels()[manifest.LabelComponent], Object: u}
	}
	manifest.Sort(objs)
	for i := range objs {
		out[i] = objs[i].Object
	}
	return out, nil
}

func listKind(ctx context.Context, c *kube.Client, gk schema.GroupKind, selector string) ([]*unstructured.Unstructured, error) {
	mapping, err := c.Mapper.RESTMapping(gk)
	if meta.IsNoMatchError(err) {
		return nil, nil // not served: nothing of this kind exists
	}
	if err != nil {
		return nil, fmt.Errorf("looking up %s: %w", gk, kube.Explain(err, c.Host()))
	}
	list, err := c.Dynamic.Resource(mapping.Resource).List(ctx, metav1.ListOptions{LabelSelector: selector})
	if err != nil {
		return nil, fmt.Errorf("listing %s: %w", mapping.Resource.Resource, kube.Explain(err, c.Host()))
	}
	var out []*unstructured.Unstructured
	for i := range list.Items {
		u := &list.Items[i]
		if u.GetLabels()[manifest.LabelManagedBy] != manifest.ManagedByValue {
			continue
		}
		u.SetGroupVersionKind(mapping.GroupVersionKind)
		out = append(out, u)
	}
	return out, nil
}

// RevisionLabel is the istio.io/rev value of a revision ("" is "default").
func RevisionLabel(rev string) string {
	if rev == "" {
		return manifest.DefaultRevision
	}
	return rev
}

// OwnedSelector selects the objects of one install and revision.
func OwnedSelector(install, rev string) string {
	return manifest.LabelManagedBy + "=" + manifest.ManagedByValue + "," +
		manifest.LabelInstall + "=" + install + "," +
		manifest.LabelRevision + "=" + RevisionLabel(rev)
}

// neverPruned are kinds whose deletion destroys what users created (every
// custom resource of a CRD, everything in a namespace): only
// uninstall --purge removes them.
func neverPruned(kind string) bool {
	return kind == "CustomResourceDefinition" || kind == "Namespace"
}

// InScope tells whether an object found by its labels belongs to the install
// whose control plane namespace is ns and whose record lists keys: it is
// listed in the record, or it lives in that namespace. Two installs of the
// same name and revision in different namespaces thus never touch each
// other's objects.
func InScope(u *unstructured.Unstructured, ns string, keys map[string]bool) bool {
	return keys[manifest.Key(u)] || (ns != "" && u.GetNamespace() == ns)
}

// PrunePlan lists the objects that this install and revision own and m no
// longer renders, in deletion order (reverse install order). Only objects
// in scope (see InScope) are candidates: the previous record's objects and
// those in the control plane namespace ns.
func PrunePlan(ctx context.Context, c *kube.Client, m *manifest.Manifest, ns string, recorded []string) ([]*unstructured.Unstructured, error) {
	keys := map[string]bool{}
	for _, k := range recorded {
		keys[k] = true
	}
	extra := KindsOf(recorded)
	rendered := map[string]bool{}
	var kinds []schema.GroupKind
	for _, o := range m.Objects {
		rendered[o.Key()] = true
		kinds = append(kinds, o.Object.GroupVersionKind().GroupKind())
	}
	// Kinds that are never pruned are not even listed (CRDs are large).
	var prunable []schema.GroupKind
	for _, gk := range append(append(append([]schema.GroupKind{}, installKinds...), kinds...), extra...) {
		if !neverPruned(gk.Kind) {
			prunable = append(prunable, gk)
		}
	}
	owned, err := listOwned(ctx, c, OwnedSelector(m.Name, m.Revision), prunable)
	if err != nil {
		return nil, err
	}
	var out []*unstructured.Unstructured
	for i := len(owned) - 1; i >= 0; i-- {
		u := owned[i]
		if rendered[manifest.Key(u)] || neverPruned(u.GetKind()) || !InScope(u, ns, keys) {
			continue
		}
		out = append(out, u)
	}
	return out, nil
}

func (a *Applier) prune(ctx context.Context, m *manifest.Manifest) ([]ObjectResult, error) {
	var recorded []string
	if a.Opts.Namespace != "" {
		r, err := ReadRecord(ctx, a.Client, a.Opts.Namespace, m.Name)
		if err != nil {
			return nil, fmt.Errorf("pruning: %w", err)
		}
		if r != nil {
			recorded = r.Objects
		}
	}
	plan, err := PrunePlan(ctx, a.Client, m, a.Opts.Namespace, recorded)
	if err != nil {
		return nil, fmt.Errorf("pruning: %w", err)
	}
	if len(plan) == 0 {
		return nil, nil
	}
	refs := make([]string, len(plan))
	for i, u := range plan {
		refs[i] = ref(u.GetKind(), u.GetNamespace(), u.GetName())
	}
	a.emit(Event{Type: Pruning, Keys: refs, Objects: len(plan)})
	var out []ObjectResult
	for _, u := range plan {
		if err := Delete(ctx, a.Client, u, a.Opts.DryRun); err != nil {
			return out, fmt.Errorf("pruning: %w", err)
		}
		a.wrote()
		out = append(out, ObjectResult{Component: u.GetLabels()[manifest.LabelComponent], Kind: u.GetKind(), Namespace: u.GetNamespace(), Name: u.GetName(), Action: Pruned})
	}
	return out, nil
}

// Delete deletes the object u was read as: the UID precondition keeps a
// recreated object of the same name safe. Already gone is not an error.
func Delete(ctx context.Context, c *kube.Client, u *unstructured.Unstructured, dryRun bool) error {
	ri, _, err := Resource(c, u)
	if err != nil {
		return err
	}
	uid := u.GetUID()
	bg := metav1.DeletePropagationBackground
	opts := metav1.DeleteOptions{PropagationPolicy: &bg, Preconditions: &metav1.Preconditions{UID: &uid}}
	if dryRun {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	if err := ri.Delete(ctx, u.GetName(), opts); err != nil && !isGone(err) {
		return fmt.Errorf("deleting %s: %w", ref(u.GetKind(), u.GetNamespace(), u.GetName()), kube.Explain(err, c.Host()))
	}
	return nil
}

// SortKeys sorts object results by reference, for stable listings.
func SortKeys(rs []ObjectResult) {
	sort.SliceStable(rs, func(i, j int) bool { return rs[i].Ref() < rs[j].Ref() })
}
