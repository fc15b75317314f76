package apply

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apiextv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/meshctl/meshctl/pkg/install/manifest"
	"github.com/meshctl/meshctl/pkg/kube"
)

// pollInterval is how often readiness is checked.
const pollInterval = 250 * time.Millisecond

// NotReady is one object that is not ready, and why.
type NotReady struct {
	Object string // Kind namespace/name
	Reason string
}

// NotReadyError lists the objects that did not become ready in time (or that
// are clearly stuck).
type NotReadyError struct {
	Timeout time.Duration
	// Stuck is true when meshctl gave up before the timeout because an
	// object cannot become ready without a change.
	Stuck   bool
	Objects []NotReady
}

func (e *NotReadyError) Error() string {
	var b strings.Builder
	if e.Stuck {
		b.WriteString("objects cannot become ready:")
	} else {
		fmt.Fprintf(&b, "not ready after %s:", e.Timeout)
	}
	for _, o := range e.Objects {
		fmt.Fprintf(&b, "\n  * %s: %s", o.Object, o.Reason)
	}
	return b.String()
}

// Waiter waits until objects are ready: Deployments available with every
// replica updated, CRDs established, webhook configurations present; other
// objects are ready once they exist.
type Waiter struct {
	Client  *kube.Client
	Timeout time.Duration
	// Interval between polls (default 250ms).
	Interval time.Duration
}

// status is one readiness check.
type status struct {
	ready bool
	// stuck means the object cannot become ready without a change.
	stuck  bool
	reason string
}

// Wait polls until every object is ready, the timeout expires or an object
// is clearly stuck. onProgress, when set, receives the set of ready keys
// after each poll. The timeout is a hard deadline: requests in flight are
// cut off by it, and only the short look-up of events that explains what is
// stuck runs after it.
func (w *Waiter) Wait(ctx context.Context, objs []manifest.Object, onProgress func(map[string]bool)) error {
	deadline := time.Now().Add(w.Timeout)
	wctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	ready := map[string]bool{}
	last := map[string]status{}
	for {
		stuck := false
		for _, o := range objs {
			k := o.Key()
			if ready[k] {
				continue
			}
			st, err := w.check(wctx, o)
			if err != nil {
				if wctx.Err() != nil {
					break
				}
				return err
			}
			last[k] = st
			ready[k] = st.ready
			stuck = stuck || st.stuck
		}
		if onProgress != nil {
			onProgress(ready)
		}
		all := true
		for _, o := range objs {
			all = all && ready[o.Key()]
		}
		if all {
			return nil
		}
		if stuck || wctx.Err() != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return w.explain(ctx, objs, ready, last, stuck)
		}
		interval := w.Interval
		if interval <= 0 {
			interval = pollInterval
		}
		select {
		case <-wctx.Done():
		case <-time.After(interval):
		}
	}
}

func (w *Waiter) check(ctx context.Context, o manifest.Object) (status, error) {
	u := o.Object
	switch u.GetKind() {
	case "Deployment":
		d, err := w.Client.Kubernetes.AppsV1().Deployments(u.GetNamespace()).Get(ctx, u.GetName(), metav1.GetOptions{})
		if err != nil {
			return notFoundStatus(err)
		}
		return deploymentStatus(d), nil
	case "CustomResourceDefinition":
		crd, err := w.Client.APIExtensions.ApiextensionsV1().CustomResourceDefinitions().Get(ctx, u.GetName(), metav1.GetOptions{})
		if err != nil {
			return notFoundStatus(err)
		}
		return crdStatus(crd), nil
	case "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration", "Service", "ServiceAccount", "ConfigMap":
		ri, _, err := Resource(w.Client, u)
		if err != nil {
			return status{}, err
		}
		if _, err := ri.Get(ctx, u.GetName(), metav1.GetOptions{}); err != nil {
			return notFoundStatus(err)
		}
	}
	return status{ready: true}, nil
}

func notFoundStatus(err error) (status, error) {
	if apierrors.IsNotFound(err) {
		return status{reason: "not found"}, nil
	}
	return status{}, err
}

// deploymentStatus reads a Deployment's readiness from its status, as the
// deployment controller writes it.
func deploymentStatus(d *appsv1.Deployment) status {
	want := int32(1)
	if d.Spec.Replicas != nil {
		want = *d.Spec.Replicas
	}
	s := d.Status
	for _, c := range s.Conditions {
		if c.Type == appsv1.DeploymentProgressing && c.Status == corev1.ConditionFalse && c.Reason == "ProgressDeadlineExceeded" {
			return status{stuck: true, reason: conditionText(string(c.Type), string(c.Status), c.Reason, c.Message)}
		}
	}
	if s.ObservedGeneration >= d.Generation && s.UpdatedReplicas >= want && s.AvailableReplicas >= want && s.Replicas-s.UpdatedReplicas <= 0 {
		return status{ready: true}
	}
	var why []string
	if s.ObservedGeneration < d.Generation {
		why = append(why, "the deployment controller has not seen the latest spec")
	}
	why = append(why, fmt.Sprintf("%d/%d replicas available, %d updated", s.AvailableReplicas, want, s.UpdatedReplicas))
	for _, c := range s.Conditions {
		if c.Status != corev1.ConditionTrue || c.Type == appsv1.DeploymentReplicaFailure {
			why = append(why, conditionText(string(c.Type), string(c.Status), c.Reason, c.Message))
		}
	}
	return status{reason: strings.Join(why, "; ")}
}

func conditionText(typ, st, reason, msg string) string {
	s := typ + "=" + st
	if reason != "" {
		s += " (" + reason + ")"
	}
	if msg != "" {
		s += ": " + msg
	}
	return s
}

func crdStatus(crd *apiextv1.CustomResourceDefinition) status {
	for _, c := range crd.Status.Conditions {
		if c.Type == apiextv1.Established && c.Status == apiextv1.ConditionTrue {
			return status{ready: true}
		}
		if c.Type == apiextv1.NamesAccepted && c.Status == apiextv1.ConditionFalse {
			return status{stuck: true, reason: conditionText(string(c.Type), string(c.Status), c.Reason, c.Message)}
		}
	}
	return status{reason: "not established yet"}
}

// explain builds the error naming every object that is not ready, adding
// the latest warning events about it, its ReplicaSets and its pods (image
// pull failures, unschedulable pods...). It runs after the deadline, so it
// has its own short budget.
func (w *Waiter) explain(ctx context.Context, objs []manifest.Object, ready map[string]bool, last map[string]status, stuck bool) error {
	ectx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	e := &NotReadyError{Timeout: w.Timeout, Stuck: stuck}
	events := map[string][]corev1.Event{}
	for _, o := range objs {
		k := o.Key()
		if ready[k] {
			continue
		}
		u := o.Object
		reason := last[k].reason
		if reason == "" {
			reason = "readiness not checked before the deadline"
		}
		if u.GetKind() == "Deployment" {
			ns := u.GetNamespace()
			if _, ok := events[ns]; !ok {
				list, err := w.Client.Kubernetes.CoreV1().Events(ns).List(ectx, metav1.ListOptions{FieldSelector: "type=Warning"})
				if err == nil {
					events[ns] = list.Items
				} else {
					events[ns] = nil
				}
			}
			if ev := warningsFor(events[ns], u.GetName()); ev != "" {
				reason += "; " + ev
			}
		}
		e.Objects = append(e.Objects, NotReady{Object: ref(u.GetKind(), u.GetNamespace(), u.GetName()), Reason: reason})
	}
	if len(e.Objects) == 0 {
		return errors.New("readiness wait ended without a result")
	}
	return e
}

// warningsFor summarises the most recent warning events (at most three
// distinct reasons) about a Deployment, its ReplicaSets and its pods, whose
// names start with the Deployment's name and a dash.
func warningsFor(events []corev1.Event, name string) string {
	var mine []corev1.Event
	for _, ev := range events {
		n := ev.InvolvedObject.Name
		if n == name || strings.HasPrefix(n, name+"-") {
			mine = append(mine, ev)
		}
	}
	sort.SliceStable(mine, func(i, j int) bool { return eventTime(mine[i]).After(eventTime(mine[j])) })
	var out []string
	seen := map[string]bool{}
	for _, ev := range mine {
		if seen[ev.Reason] || len(out) == 3 {
			continue
		}
		seen[ev.Reason] = true
		out = append(out, fmt.Sprintf("%s %s: %s", ev.InvolvedObject.Kind, ev.InvolvedObject.Name, strings.TrimSpace(ev.Reason+" "+ev.Message)))
	}
	return strings.Join(out, "; ")
}

func eventTime(ev corev1.Event) time.Time {
	for _, t := range []time.Time{ev.EventTime.Time, ev.LastTimestamp.Time, ev.FirstTimestamp.Time, ev.CreationTimestamp.Time} {
		if !t.IsZero() {
			return t
		}
	}
	return time.Time{}
}

// waitCRDs waits until the CRDs are established: later phases may create
// objects of their kinds. It uses the readiness timeout, or one minute.
func (a *Applier) waitCRDs(ctx context.Context, crds []manifest.Object) error {
	t := a.Opts.ReadinessTimeout
	if t <= 0 {
		t = time.Minute
	}
	// The API server establishes a CRD within milliseconds: poll often.
	w := &Waiter{Client: a.Client, Timeout: t, Interval: 20 * time.Millisecond}
	start := time.Now()
	if err := w.Wait(ctx, crds, nil); err != nil {
		return err
	}
	return a.waitServed(ctx, crds, t-time.Since(start))
}

// waitServed waits until discovery lists the kinds of the given CRDs. The
// API server marks a CRD Established before its discovery document is
// updated, so a mapper reset in between would not find the new kind.
func (a *Applier) waitServed(ctx context.Context, crds []manifest.Object, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		a.Client.Mapper.Reset()
		var missing []string
		for _, o := range crds {
			gvr, kind, ok := ServedResource(o.Object)
			if !ok {
				continue
			}
			gk, version := schema.GroupKind{Group: gvr.Group, Kind: kind}, gvr.Version
			if _, err := a.Client.Mapper.RESTMapping(gk, version); err != nil {
				if !meta.IsNoMatchError(err) {
					return fmt.Errorf("looking up %s: %w", gk, kube.Explain(err, a.Client.Host()))
				}
				missing = append(missing, gk.String())
			}
		}
		if len(missing) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("established CRDs not yet served by API discovery after %s: %s", timeout.Round(time.Second), strings.Join(missing, ", "))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// ServedResource returns a CRD's first served version as a resource, and
// its kind; ok is false when the CRD serves no version.
func ServedResource(crd *unstructured.Unstructured) (gvr schema.GroupVersionResource, kind string, ok bool) {
	group, _, _ := unstructured.NestedString(crd.Object, "spec", "group")
	plural, _, _ := unstructured.NestedString(crd.Object, "spec", "names", "plural")
	kind, _, _ = unstructured.NestedString(crd.Object, "spec", "names", "kind")
	versions, _, _ := unstructured.NestedSlice(crd.Object, "spec", "versions")
	for _, v := range versions {
		m, _ := v.(map[string]any)
		if served, _ := m["served"].(bool); served {
			name, _ := m["name"].(string)
			return schema.GroupVersionResource{Group: group, Version: name, Resource: plural}, kind, plural != "" && kind != ""
		}
	}
	return schema.GroupVersionResource{}, "", false
}

// Check tells once whether an object is ready and, when it is not, why.
func Check(ctx context.Context, c *kube.Client, o manifest.Object) (ready bool, reason string, err error) {
	w := &Waiter{Client: c}
	st, err := w.check(ctx, o)
	if err != nil {
		return false, "", err
	}
	if !st.ready {
		if o.Object.GetKind() == "Deployment" {
			list, err := c.Kubernetes.CoreV1().Events(o.Object.GetNamespace()).List(ctx, metav1.ListOptions{FieldSelector: "type=Warning"})
			if err == nil {
				if ev := warningsFor(list.Items, o.Object.GetName()); ev != "" {
					st.reason += "; " + ev
				}
			}
		}
	}
	return st.ready, st.reason, nil
}
