// Package uninstall removes what meshctl installed: one revision, what a
// given configuration renders, or (purge) everything meshctl installed.
// Only objects that carry meshctl's managed-by label are ever deleted.
package uninstall

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/meshctl/meshctl/pkg/install/apply"
	"github.com/meshctl/meshctl/pkg/install/manifest"
	"github.com/meshctl/meshctl/pkg/kube"
)

// Selection says what to uninstall. Exactly one of Purge, Manifest and
// Revision is used, in that order of precedence.
type Selection struct {
	// Purge selects everything meshctl installed, CRDs, namespaces and
	// cluster-wide shared objects included.
	Purge bool
	// Manifest selects the objects it renders that exist and carry
	// meshctl's labels.
	Manifest *manifest.Manifest
	// Revision selects the objects of one revision ("default" or "" for
	// the default one).
	Revision string
	// Namespace is the control plane namespace, where install records live.
	Namespace string
}

// shared reports whether an object is shared by every revision (CRDs,
// namespaces and the Base component): only a purge deletes it.
func shared(u *unstructured.Unstructured) bool {
	switch u.GetKind() {
	case "CustomResourceDefinition", "Namespace":
		return true
	}
	return u.GetLabels()[manifest.LabelComponent] == manifest.Base
}

// Plan lists the objects to delete, in deletion order (reverse install
// order), install records last.
func Plan(ctx context.Context, c *kube.Client, sel Selection) ([]*unstructured.Unstructured, error) {
	owned := manifest.LabelManagedBy + "=" + manifest.ManagedByValue
	var objs []*unstructured.Unstructured
	records := map[string]bool{} // install names whose record goes too
	switch {
	case sel.Purge:
		// Install records of every namespace included: they carry the
		// managed-by label.
		all, err := apply.ListOwned(ctx, c, owned, nil)
		if err != nil {
			return nil, err
		}
		objs = all
	case sel.Manifest != nil:
		for _, o := range sel.Manifest.Objects {
			if shared(o.Object) {
				continue
			}
			ri, _, err := apply.Resource(c, o.Object)
			if err != nil {
				continue // kind not served: nothing to delete
			}
			live, err := ri.Get(ctx, o.Object.GetName(), metav1.GetOptions{})
			if apierrors.IsNotFound(err) {
				continue
			}
			if err != nil {
				return nil, fmt.Errorf("reading %s: %w", o.Key(), kube.Explain(err, c.Host()))
			}
			if live.GetLabels()[manifest.LabelManagedBy] != manifest.ManagedByValue {
				continue
			}
			live.SetGroupVersionKind(o.Object.GroupVersionKind())
			objs = append(objs, live)
		}
		objs = reverse(objs)
		records[sel.Manifest.Name] = true
	default:
		rev := apply.RevisionLabel(sel.Revision)
		recs, err := apply.ReadRecords(ctx, c, sel.Namespace)
		if err != nil {
			return nil, err
		}
		keys := map[string]bool{}
		for _, r := range recs {
			if apply.RevisionLabel(r.Revision) == rev {
				records[r.Name] = true
				for _, k := range r.Objects {
					keys[k] = true
				}
			}
		}
		all, err := apply.ListOwned(ctx, c, owned+","+manifest.LabelRevision+"="+rev, apply.KindsOf(slices.Collect(maps.Keys(keys))))
		if err != nil {
			return nil, err
		}
		for i := len(all) - 1; i >= 0; i-- {
			if !shared(all[i]) && apply.InScope(all[i], sel.Namespace, keys) {
				objs = append(objs, all[i])
			}
		}
	}
	if sel.Purge {
		objs = reverse(objs)
		// Namespaces last: deleting one deletes what is left in it.
		var nss []*unstructured.Unstructured
		rest := objs[:0]
		for _, u := range objs {
			if u.GetKind() == "Namespace" {
				nss = append(nss, u)
			} else {
				rest = append(rest, u)
			}
		}
		objs = append(rest, nss...)
	}
	for _, name := range slices.Sorted(maps.Keys(records)) {
		cm, err := c.Kubernetes.CoreV1().ConfigMaps(sel.Namespace).Get(ctx, apply.RecordName(name), metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("reading the install record: %w", kube.Explain(err, c.Host()))
		}
		u := &unstructured.Unstructured{}
		u.SetAPIVersion("v1")
		u.SetKind("ConfigMap")
		u.SetNamespace(cm.Namespace)
		u.SetName(cm.Name)
		u.SetUID(cm.UID)
		u.SetLabels(cm.Labels)
		// Before the namespace, when it is deleted too.
		objs = insertBeforeNamespaces(objs, u)
	}
	return objs, nil
}

func insertBeforeNamespaces(objs []*unstructured.Unstructured, u *unstructured.Unstructured) []*unstructured.Unstructured {
	i := len(objs)
	for i > 0 && objs[i-1].GetKind() == "Namespace" {
		i--
	}
	objs = append(objs, nil)
	copy(objs[i+1:], objs[i:])
	objs[i] = u
	return objs
}

func reverse(objs []*unstructured.Unstructured) []*unstructured.Unstructured {
	out := make([]*unstructured.Unstructured, len(objs))
	for i, u := range objs {
		out[len(objs)-1-i] = u
	}
	return out
}

// Ref names an object kubectl-style.
func Ref(u *unstructured.Unstructured) string {
	if ns := u.GetNamespace(); ns != "" {
		return u.GetKind() + " " + ns + "/" + u.GetName()
	}
	return u.GetKind() + " " + u.GetName()
}

// Options tune the deletion.
type Options struct {
	DryRun bool
	// Wait waits until every object is gone (a namespace: terminating),
	// until Timeout.
	Wait    bool
	Timeout time.Duration
	// Progress, when set, is called after the deletes and after each poll
	// with the objects still present.
	Progress func(remaining []string)
}

// Delete deletes the planned objects in order and, when asked, waits until
// they are gone.
func Delete(ctx context.Context, c *kube.Client, plan []*unstructured.Unstructured, o Options) error {
	for _, u := range plan {
		if shared(u) && u.GetLabels()[manifest.LabelManagedBy] != manifest.ManagedByValue {
			return fmt.Errorf("refusing to delete %s: it lacks meshctl's labels", Ref(u))
		}
		if err := apply.Delete(ctx, c, u, o.DryRun); err != nil {
			return err
		}
	}
	if o.DryRun || !o.Wait {
		return nil
	}
	wctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	pending := plan
	why := map[*unstructured.Unstructured]string{} // the last reason each object is still there
	for {
		var still []*unstructured.Unstructured
		for _, u := range pending {
			gone, reason, err := isGone(wctx, c, u)
			why[u] = reason
			if err != nil {
				if wctx.Err() != nil {
					still = append(still, u)
					continue
				}
				return err
			}
			if !gone {
				still = append(still, u)
			}
		}
		pending = still
		if o.Progress != nil {
			refs := make([]string, len(pending))
			for i, u := range pending {
				refs[i] = Ref(u)
			}
			o.Progress(refs)
		}
		if len(pending) == 0 {
			return nil
		}
		select {
		case <-wctx.Done():
			if ctx.Err() != nil {
				return ctx.Err()
			}
			msg := fmt.Sprintf("still present after %s:", o.Timeout)
			for _, u := range pending {
				msg += "\n  * " + Ref(u)
				if why[u] != "" {
					msg += ": " + why[u]
				}
			}
			return fmt.Errorf("%s", msg)
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// isGone reports whether an object is deleted; a namespace counts once it
// is terminating, as its contents are removed by the namespace controller.
// When it is not gone, reason says what the server reports about it.
func isGone(ctx context.Context, c *kube.Client, u *unstructured.Unstructured) (gone bool, reason string, err error) {
	ri, _, err := apply.Resource(c, u)
	if err != nil {
		return true, "", nil
	}
	live, err := ri.Get(ctx, u.GetName(), metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return true, "", nil
	}
	if err != nil {
		return false, "", fmt.Errorf("reading %s: %w", Ref(u), kube.Explain(err, c.Host()))
	}
	if live.GetUID() != u.GetUID() {
		return true, "", nil // deleted and made again by someone else
	}
	if u.GetKind() == "Namespace" && live.GetDeletionTimestamp() != nil {
		return true, "", nil
	}
	return false, pendingReason(live), nil
}

// pendingReason explains why a deleted object is still there: its
// finalizers and, for a CRD, the API server's Terminating condition (the
// removal of its custom resources).
func pendingReason(live *unstructured.Unstructured) string {
	if live.GetDeletionTimestamp() == nil {
		return ""
	}
	var parts []string
	conds, _, _ := unstructured.NestedSlice(live.Object, "status", "conditions")
	for _, c := range conds {
		m, _ := c.(map[string]any)
		if m["type"] == "Terminating" {
			s := fmt.Sprintf("Terminating=%v", m["status"])
			if r, _ := m["reason"].(string); r != "" {
				s += " (" + r + ")"
			}
			if msg, _ := m["message"].(string); msg != "" {
				s += ": " + msg
			}
			parts = append(parts, s)
		}
	}
	if f := live.GetFinalizers(); len(f) > 0 {
		parts = append(parts, "waiting for finalizers "+strings.Join(f, ", "))
	}
	return strings.Join(parts, "; ")
}

// Instances lists the custom resources of the CRDs in a plan, kind and
// namespace/name, in a stable order. Deleting a CRD deletes every resource
// of its kind, whoever made it (for Istio's CRDs: all of the mesh's
// routing and security config), so the user must see them before agreeing.
func Instances(ctx context.Context, c *kube.Client, plan []*unstructured.Unstructured) ([]string, error) {
	var out []string
	for _, u := range plan {
		if u.GetKind() != "CustomResourceDefinition" {
			continue
		}
		gvr, kind, ok := apply.ServedResource(u)
		if !ok {
			continue
		}
		opts := metav1.ListOptions{Limit: 500}
		for {
			list, err := c.Dynamic.Resource(gvr).List(ctx, opts)
			if apierrors.IsNotFound(err) {
				break // the CRD is gone or not served
			}
			if err != nil {
				return nil, fmt.Errorf("listing %s: %w", gvr.GroupResource(), kube.Explain(err, c.Host()))
			}
			for _, item := range list.Items {
				ref := kind + " " + item.GetName()
				if ns := item.GetNamespace(); ns != "" {
					ref = kind + " " + ns + "/" + item.GetName()
				}
				out = append(out, ref)
			}
			if opts.Continue = list.GetContinue(); opts.Continue == "" {
				break
			}
		}
	}
	slices.Sort(out)
	return out, nil
}
