package apply_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/yaml"

	"github.com/meshctl/meshctl/internal/testcluster"
	"github.com/meshctl/meshctl/pkg/install/apply"
	"github.com/meshctl/meshctl/pkg/install/manifest"
	"github.com/meshctl/meshctl/pkg/kube"
	"github.com/meshctl/meshctl/pkg/yamlstream"
)

func TestMain(m *testing.M) { testcluster.Main(m) }

// load reads testdata/widgets.yaml for namespace ns.
func load(t *testing.T, ns string) *manifest.Manifest {
	t.Helper()
	f, err := os.Open("testdata/widgets.yaml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m := &manifest.Manifest{Name: "installed-state", Profile: "test"}
	err = yamlstream.Read("widgets.yaml", f, func(d yamlstream.Document) error {
		if d.IsEmpty() {
			return nil
		}
		u := &unstructured.Unstructured{}
		if err := yaml.Unmarshal([]byte(strings.ReplaceAll(string(d.Raw), "NS", ns)), &u.Object); err != nil {
			return err
		}
		m.Objects = append(m.Objects, manifest.Object{Component: u.GetLabels()[manifest.LabelComponent], Object: u})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	manifest.Sort(m.Objects)
	return m
}

func client(t *testing.T) *kube.Client {
	t.Helper()
	kc, err := kube.NewClientFromConfig(testcluster.Get(t).AdminConfig())
	if err != nil {
		t.Fatal(err)
	}
	return kc
}

func without(m *manifest.Manifest, names ...string) *manifest.Manifest {
	out := *m
	out.Objects = nil
	drop := map[string]bool{}
	for _, n := range names {
		drop[n] = true
	}
	for _, o := range m.Objects {
		if !drop[o.Object.GetKind()+"/"+o.Object.GetName()] {
			out.Objects = append(out.Objects, o)
		}
	}
	return &out
}

func TestApplyRunsPhasesInOrderAndIsIdempotent(t *testing.T) {
	kc := client(t)
	ctx := context.Background()
	ns := "liba"
	m := load(t, ns)
	var phases []string
	res, err := apply.Apply(ctx, kc, m, apply.Options{Namespace: ns, Prune: true, Record: &apply.Record{}, Progress: func(e apply.Event) {
		if e.Type == apply.PhaseDone {
			phases = append(phases, e.Phase)
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(phases, ","), "CRDs,Namespace,Istio core,Istiod,Ingress gateways"; got != want {
		t.Fatalf("phases %s, want %s", got, want)
	}
	if res.Count(apply.Created) != len(m.Objects) || res.Writes != len(m.Objects)+1 { // + the record
		t.Fatalf("first apply: %d created, %d writes; want %d, %d", res.Count(apply.Created), res.Writes, len(m.Objects), len(m.Objects)+1)
	}
	// The custom resource went in after its CRD was established.
	gvr := schema.GroupVersionResource{Group: "example.meshctl.io", Version: "v1", Resource: "widgets" + ns}
	w, err := kc.Dynamic.Resource(gvr).Namespace(ns).Get(ctx, "default-widget", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if size, _, _ := unstructured.NestedInt64(w.Object, "spec", "size"); size != 3 {
		t.Fatalf("widget size %d", size)
	}
	mf := w.GetManagedFields()
	if len(mf) != 1 || mf[0].Manager != apply.FieldManager || mf[0].Operation != metav1.ManagedFieldsOperationApply {
		t.Fatalf("managed fields: %+v", mf)
	}

	res, err = apply.Apply(ctx, kc, m, apply.Options{Namespace: ns, Prune: true, Record: &apply.Record{}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Writes != 0 || res.Count(apply.Unchanged) != len(m.Objects) {
		t.Fatalf("re-apply: %d writes, %d unchanged of %d", res.Writes, res.Count(apply.Unchanged), len(m.Objects))
	}
	rec, err := apply.ReadRecord(ctx, kc, ns, m.Name)
	if err != nil || rec == nil || len(rec.Objects) != len(m.Objects) || rec.Objects[0] != "apiextensions.k8s.io/CustomResourceDefinition//widgets"+ns+".example.meshctl.io" {
		t.Fatalf("record: %+v %v", rec, err)
	}
}

func TestDryRunOnAnEmptyClusterCreatesNothing(t *testing.T) {
	kc := client(t)
	ctx := context.Background()
	ns := "libb"
	m := load(t, ns)
	res, err := apply.Apply(ctx, kc, m, apply.Options{Namespace: ns, DryRun: true, Prune: true, Record: &apply.Record{}})
	if err != nil {
		t.Fatal(err)
	}
	// Even the custom resource, whose CRD is only dry-run created, is reported.
	if res.Count(apply.Created) != len(m.Objects) {
		t.Fatalf("dry run: %+v", res.Objects)
	}
	if _, err := kc.Kubernetes.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("dry run created the namespace: %v", err)
	}
	if _, err := kc.APIExtensions.ApiextensionsV1().CustomResourceDefinitions().Get(ctx, "widgets"+ns+".example.meshctl.io", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("dry run created the CRD: %v", err)
	}
	if _, err := kc.Kubernetes.AdmissionregistrationV1().ValidatingWebhookConfigurations().Get(ctx, "widget-validator-"+ns, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("dry run created the webhook: %v", err)
	}
}

func TestConflictsAreNamedAndTakenOverOnlyWhenForced(t *testing.T) {
	kc := client(t)
	ctx := context.Background()
	ns := "libc"
	m := load(t, ns)
	if _, err := apply.Apply(ctx, kc, m, apply.Options{Namespace: ns}); err != nil {
		t.Fatal(err)
	}
	// Another tool takes the mesh config over with a forced apply.
	force := true
	patch := `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"widgetd","namespace":"` + ns + `"},"data":{"mesh":"other\n"}}`
	if _, err := kc.Kubernetes.CoreV1().ConfigMaps(ns).Patch(ctx, "widgetd", types.ApplyPatchType, []byte(patch), metav1.PatchOptions{FieldManager: "helm", Force: &force}); err != nil {
		t.Fatal(err)
	}
	_, err := apply.Apply(ctx, kc, m, apply.Options{Namespace: ns})
	var ce *apply.ConflictError
	if !errors.As(err, &ce) || len(ce.Conflicts) != 1 {
		t.Fatalf("want one conflict, got %v", err)
	}
	if c := ce.Conflicts[0]; c.Object != "ConfigMap "+ns+"/widgetd" || c.Field != ".data.mesh" || c.Manager != "helm" {
		t.Fatalf("conflict %+v", c)
	}
	cm, _ := kc.Kubernetes.CoreV1().ConfigMaps(ns).Get(ctx, "widgetd", metav1.GetOptions{})
	if cm.Data["mesh"] != "other\n" {
		t.Fatalf("an unforced apply changed a conflicting field: %q", cm.Data["mesh"])
	}
	res, err := apply.Apply(ctx, kc, m, apply.Options{Namespace: ns, ForceConflicts: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Count(apply.Changed) != 1 {
		t.Fatalf("forced apply: %+v", res.Objects)
	}
	cm, _ = kc.Kubernetes.CoreV1().ConfigMaps(ns).Get(ctx, "widgetd", metav1.GetOptions{})
	if !strings.Contains(cm.Data["mesh"], "discoveryAddress") {
		t.Fatalf("forced apply did not restore the field: %q", cm.Data["mesh"])
	}
}

func setStatus(t *testing.T, kc *kube.Client, ns, name string, s appsv1.DeploymentStatus) {
	t.Helper()
	ctx := context.Background()
	d, err := kc.Kubernetes.AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	s.ObservedGeneration = d.Generation
	d.Status = s
	if _, err := kc.Kubernetes.AppsV1().Deployments(ns).UpdateStatus(ctx, d, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func TestWaitHonoursItsDeadlineAndStopsEarlyWhenStuck(t *testing.T) {
	kc := client(t)
	ctx := context.Background()
	ns := "libd"
	m := load(t, ns)
	start := time.Now()
	_, err := apply.Apply(ctx, kc, m, apply.Options{Namespace: ns, Wait: true, ReadinessTimeout: 2 * time.Second})
	took := time.Since(start)
	var nr *apply.NotReadyError
	if !errors.As(err, &nr) || nr.Stuck {
		t.Fatalf("want a timeout, got %v", err)
	}
	// The upper bound leaves room for a busy machine (CI's is busy): the
	// point is that the wait ends at its deadline, not never.
	if took < 2*time.Second || took > 30*time.Second {
		t.Errorf("2s timeout took %s", took)
	}
	names := []string{}
	for _, o := range nr.Objects {
		names = append(names, o.Object)
	}
	if strings.Join(names, ",") != "Deployment "+ns+"/widgetd,Deployment "+ns+"/widget-gateway" {
		t.Fatalf("not ready: %v", names)
	}

	// The controller gives up on widgetd; the gateway becomes available.
	setStatus(t, kc, ns, "widget-gateway", appsv1.DeploymentStatus{Replicas: 1, UpdatedReplicas: 1, AvailableReplicas: 1, ReadyReplicas: 1})
	setStatus(t, kc, ns, "widgetd", appsv1.DeploymentStatus{Replicas: 1, UpdatedReplicas: 1, UnavailableReplicas: 1, Conditions: []appsv1.DeploymentCondition{{
		Type: appsv1.DeploymentProgressing, Status: corev1.ConditionFalse, Reason: "ProgressDeadlineExceeded", Message: `ReplicaSet "widgetd-7d9f" has timed out progressing.`}}})
	start = time.Now()
	_, err = apply.Apply(ctx, kc, m, apply.Options{Namespace: ns, Wait: true, ReadinessTimeout: time.Minute})
	if !errors.As(err, &nr) || !nr.Stuck || len(nr.Objects) != 1 || !strings.Contains(nr.Objects[0].Reason, "ProgressDeadlineExceeded") {
		t.Fatalf("want widgetd stuck, got %v", err)
	}
	// Well short of the minute, with room for a busy machine.
	if time.Since(start) > 40*time.Second {
		t.Errorf("a stuck deployment was waited for %s of a minute", time.Since(start))
	}
}

func TestPruneDeletesOnlyStaleObjectsOfThisInstall(t *testing.T) {
	kc := client(t)
	ctx := context.Background()
	ns := "libe"
	m := load(t, ns)
	if _, err := apply.Apply(ctx, kc, m, apply.Options{Namespace: ns, Prune: true, Record: &apply.Record{}}); err != nil {
		t.Fatal(err)
	}
	// The same install name and revision in another namespace: out of scope.
	other := load(t, "libeother")
	if _, err := apply.Apply(ctx, kc, other, apply.Options{Namespace: "libeother", Prune: true, Record: &apply.Record{}}); err != nil {
		t.Fatal(err)
	}
	next := without(m, "Deployment/widget-gateway", "ConfigMap/widgetd", "Namespace/"+ns, "ValidatingWebhookConfiguration/widget-validator-"+ns)
	var listed []string
	res, err := apply.Apply(ctx, kc, next, apply.Options{Namespace: ns, Prune: true, Record: &apply.Record{}, Progress: func(e apply.Event) {
		if e.Type == apply.Pruning {
			listed = e.Keys
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	want := "Deployment " + ns + "/widget-gateway,ValidatingWebhookConfiguration widget-validator-" + ns + ",ConfigMap " + ns + "/widgetd"
	if strings.Join(listed, ",") != want || res.Count(apply.Pruned) != 3 {
		t.Fatalf("pruned %v (%d), want %s", listed, res.Count(apply.Pruned), want)
	}
	if _, err := kc.Kubernetes.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{}); err != nil {
		t.Fatalf("a namespace was pruned: %v", err)
	}
	for _, n := range []string{"widgetd", "widget-gateway"} {
		if _, err := kc.Kubernetes.AppsV1().Deployments("libeother").Get(ctx, n, metav1.GetOptions{}); err != nil {
			t.Fatalf("another namespace's install lost %s: %v", n, err)
		}
	}
	if _, err := kc.Kubernetes.AdmissionregistrationV1().ValidatingWebhookConfigurations().Get(ctx, "widget-validator-libeother", metav1.GetOptions{}); err != nil {
		t.Fatalf("another install's webhook was pruned: %v", err)
	}
}

func TestInvalidObjectsAreReportedWithEachCause(t *testing.T) {
	kc := client(t)
	ctx := context.Background()
	ns := "libf"
	m := load(t, ns)
	for _, o := range m.Objects {
		if o.Object.GetKind() == "Service" {
			_ = unstructured.SetNestedSlice(o.Object.Object, []any{map[string]any{"name": "grpc", "port": int64(0)}}, "spec", "ports")
			_ = unstructured.SetNestedField(o.Object.Object, "Sideways", "spec", "type")
		}
	}
	_, err := apply.Apply(ctx, kc, m, apply.Options{Namespace: ns})
	if err == nil {
		t.Fatal("an invalid Service was accepted")
	}
	msg := err.Error()
	for _, want := range []string{"applying Service " + ns + "/widgetd: ", `the Service "widgetd" is invalid`, "\n  * spec.ports[0].port: ", "\n  * spec.type: "} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q:\n%s", want, msg)
		}
	}
}

// TestReapplyKeepsWhatIstiodSetsAtRunTime plays istiod's validation
// controller: it updates the webhook to failurePolicy Fail and fills its CA
// bundle. A re-apply must neither conflict nor undo that, and stays a no-op.
func TestReapplyKeepsWhatIstiodSetsAtRunTime(t *testing.T) {
	kc := client(t)
	ctx := context.Background()
	ns := "libg"
	m := load(t, ns)
	if _, err := apply.Apply(ctx, kc, m, apply.Options{Namespace: ns}); err != nil {
		t.Fatal(err)
	}
	vwcs := kc.Kubernetes.AdmissionregistrationV1().ValidatingWebhookConfigurations()
	w, err := vwcs.Get(ctx, "widget-validator-"+ns, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	fail := admissionv1.Fail
	w.Webhooks[0].FailurePolicy = &fail
	w.Webhooks[0].ClientConfig.CABundle = []byte("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
	if _, err := vwcs.Update(ctx, w, metav1.UpdateOptions{FieldManager: "pilot-discovery"}); err != nil {
		t.Fatal(err)
	}
	res, err := apply.Apply(ctx, kc, m, apply.Options{Namespace: ns})
	if err != nil {
		t.Fatalf("re-apply after istiod's update: %v", err)
	}
	if res.Writes != 0 {
		t.Fatalf("re-apply wrote %d times: %+v", res.Writes, res.Objects)
	}
	w, err = vwcs.Get(ctx, "widget-validator-"+ns, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if *w.Webhooks[0].FailurePolicy != admissionv1.Fail || len(w.Webhooks[0].ClientConfig.CABundle) == 0 {
		t.Fatalf("istiod's changes were undone: %v %q", *w.Webhooks[0].FailurePolicy, w.Webhooks[0].ClientConfig.CABundle)
	}
}

// TestFastNoOpPathStillSeesEditsAndRemovals: the no-op check that trusts the
// install record must still notice a value someone removed and a field the
// new configuration no longer sets.
func TestFastNoOpPathStillSeesEditsAndRemovals(t *testing.T) {
	kc := client(t)
	ctx := context.Background()
	ns := "libh"
	m := load(t, ns)
	opts := apply.Options{Namespace: ns, Record: &apply.Record{}}
	if _, err := apply.Apply(ctx, kc, m, opts); err != nil {
		t.Fatal(err)
	}
	res, err := apply.Apply(ctx, kc, m, opts)
	if err != nil || res.Writes != 0 {
		t.Fatalf("no-op: %v, %d writes", err, res.Writes)
	}

	// Someone removes a label meshctl applied.
	cms := kc.Kubernetes.CoreV1().ConfigMaps(ns)
	cm, err := cms.Get(ctx, "widgetd", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	delete(cm.Labels, manifest.LabelComponent)
	if _, err := cms.Update(ctx, cm, metav1.UpdateOptions{FieldManager: "someone"}); err != nil {
		t.Fatal(err)
	}
	res, err = apply.Apply(ctx, kc, m, opts)
	if err != nil || res.Count(apply.Changed) != 1 {
		t.Fatalf("after a label was removed: %v, %+v", err, res)
	}
	if cm, _ = cms.Get(ctx, "widgetd", metav1.GetOptions{}); cm.Labels[manifest.LabelComponent] != manifest.Pilot {
		t.Fatalf("label not restored: %v", cm.Labels)
	}

	// A new version no longer sets a field: it goes from the cluster.
	for _, o := range m.Objects {
		if o.Object.GetKind() == "ConfigMap" {
			_ = unstructured.SetNestedStringMap(o.Object.Object, map[string]string{"other": "x"}, "data")
		}
	}
	res, err = apply.Apply(ctx, kc, m, opts)
	if err != nil || res.Count(apply.Changed) != 1 {
		t.Fatalf("after the config changed: %v, %+v", err, res)
	}
	if cm, _ = cms.Get(ctx, "widgetd", metav1.GetOptions{}); cm.Data["mesh"] != "" || cm.Data["other"] != "x" {
		t.Fatalf("data after removal: %v", cm.Data)
	}
	if res, err = apply.Apply(ctx, kc, m, opts); err != nil || res.Writes != 0 {
		t.Fatalf("no-op after the change: %v, %d writes", err, res.Writes)
	}
}
