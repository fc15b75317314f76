package apply

import (
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apiextv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/meshctl/meshctl/pkg/install/manifest"
)

func obj(apiVersion, kind, ns, name string) *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetAPIVersion(apiVersion)
	u.SetKind(kind)
	u.SetNamespace(ns)
	u.SetName(name)
	return u
}

func TestPhasesGroupCRDsAndNamespacesFirst(t *testing.T) {
	t.Parallel()
	m := &manifest.Manifest{Objects: []manifest.Object{
		{Component: manifest.Pilot, Object: obj("apps/v1", "Deployment", "istio-system", "istiod")},
		{Component: manifest.EgressGateways, Object: obj("apps/v1", "Deployment", "istio-system", "egress")},
		{Component: manifest.Base, Object: obj("apiextensions.k8s.io/v1", "CustomResourceDefinition", "", "a.b")},
		{Component: "Extra", Object: obj("v1", "ConfigMap", "istio-system", "x")},
		{Component: manifest.Base, Object: obj("v1", "Namespace", "", "istio-system")},
		{Component: manifest.Base, Object: obj("v1", "ServiceAccount", "istio-system", "reader")},
	}}
	var got []string
	for _, p := range phases(m) {
		var names []string
		for _, o := range p.objects {
			names = append(names, o.Object.GetName())
		}
		got = append(got, p.name+"="+strings.Join(names, "+"))
	}
	want := "CRDs=a.b,Namespace=istio-system,Istio core=reader,Istiod=istiod,Egress gateways=egress,Extra=x"
	if strings.Join(got, ",") != want {
		t.Fatalf("phases\n got %s\nwant %s", strings.Join(got, ","), want)
	}
}

func TestDeploymentStatus(t *testing.T) {
	t.Parallel()
	two := int32(2)
	cases := []struct {
		name        string
		gen         int64
		st          appsv1.DeploymentStatus
		ready       bool
		stuck       bool
		reasonParts []string
	}{
		{"available", 1, appsv1.DeploymentStatus{ObservedGeneration: 1, Replicas: 2, UpdatedReplicas: 2, AvailableReplicas: 2}, true, false, nil},
		{"never observed", 1, appsv1.DeploymentStatus{}, false, false, []string{"has not seen the latest spec", "0/2 replicas available"}},
		{"old spec observed", 2, appsv1.DeploymentStatus{ObservedGeneration: 1, Replicas: 2, UpdatedReplicas: 2, AvailableReplicas: 2}, false, false, []string{"has not seen the latest spec"}},
		{"rolling", 1, appsv1.DeploymentStatus{ObservedGeneration: 1, Replicas: 3, UpdatedReplicas: 2, AvailableReplicas: 3}, false, false, []string{"3/2 replicas available, 2 updated"}},
		{"quota", 1, appsv1.DeploymentStatus{ObservedGeneration: 1, Conditions: []appsv1.DeploymentCondition{
			{Type: appsv1.DeploymentReplicaFailure, Status: corev1.ConditionTrue, Reason: "FailedCreate", Message: "exceeded quota"},
			{Type: appsv1.DeploymentAvailable, Status: corev1.ConditionFalse, Reason: "MinimumReplicasUnavailable"}}},
			false, false, []string{"ReplicaFailure=True (FailedCreate): exceeded quota", "Available=False (MinimumReplicasUnavailable)"}},
		{"deadline", 1, appsv1.DeploymentStatus{ObservedGeneration: 1, Conditions: []appsv1.DeploymentCondition{
			{Type: appsv1.DeploymentProgressing, Status: corev1.ConditionFalse, Reason: "ProgressDeadlineExceeded", Message: "timed out"}}},
			false, true, []string{"Progressing=False (ProgressDeadlineExceeded): timed out"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Generation: tc.gen}, Spec: appsv1.DeploymentSpec{Replicas: &two}, Status: tc.st}
			s := deploymentStatus(d)
			if s.ready != tc.ready || s.stuck != tc.stuck {
				t.Fatalf("ready=%v stuck=%v, want %v %v (%s)", s.ready, s.stuck, tc.ready, tc.stuck, s.reason)
			}
			for _, p := range tc.reasonParts {
				if !strings.Contains(s.reason, p) {
					t.Errorf("reason %q lacks %q", s.reason, p)
				}
			}
		})
	}
}

func TestCRDStatus(t *testing.T) {
	t.Parallel()
	crd := &apiextv1.CustomResourceDefinition{}
	if s := crdStatus(crd); s.ready || s.reason != "not established yet" {
		t.Fatalf("new CRD: %+v", s)
	}
	crd.Status.Conditions = []apiextv1.CustomResourceDefinitionCondition{{Type: apiextv1.NamesAccepted, Status: apiextv1.ConditionFalse, Reason: "MultipleNamesNotAllowed", Message: "taken"}}
	if s := crdStatus(crd); !s.stuck {
		t.Fatalf("name clash should be stuck: %+v", s)
	}
	crd.Status.Conditions = []apiextv1.CustomResourceDefinitionCondition{{Type: apiextv1.Established, Status: apiextv1.ConditionTrue}}
	if s := crdStatus(crd); !s.ready {
		t.Fatalf("established CRD: %+v", s)
	}
}

func TestWarningsForPicksTheDeploymentsLatestDistinctReasons(t *testing.T) {
	t.Parallel()
	at := func(s int) metav1.Time { return metav1.NewTime(time.Unix(int64(1000+s), 0)) }
	ev := func(kind, name, reason, msg string, s int) corev1.Event {
		return corev1.Event{InvolvedObject: corev1.ObjectReference{Kind: kind, Name: name}, Reason: reason, Message: msg, LastTimestamp: at(s)}
	}
	events := []corev1.Event{
		ev("Pod", "istiod-abc-1", "Failed", "ErrImagePull old", 1),
		ev("Pod", "istiod-abc-1", "Failed", "ErrImagePull new", 5),
		ev("Pod", "istiod-abc-2", "FailedScheduling", "0/3 nodes are available", 4),
		ev("ReplicaSet", "istiod-abc", "FailedCreate", "quota", 3),
		ev("Pod", "istiod-canary-x-1", "Failed", "ErrImagePull", 9), // another name that starts with "istiod-"... is included
		ev("Pod", "istiodx-1", "Failed", "not ours", 10),
	}
	got := warningsFor(events, "istiod")
	want := "Pod istiod-canary-x-1: Failed ErrImagePull; Pod istiod-abc-2: FailedScheduling 0/3 nodes are available; ReplicaSet istiod-abc: FailedCreate quota"
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	if warningsFor(events, "gateway") != "" {
		t.Fatal("events of other objects were attributed")
	}
}

func TestSameIgnoresOnlyBookkeeping(t *testing.T) {
	t.Parallel()
	a := obj("v1", "ConfigMap", "ns", "c")
	a.SetResourceVersion("1")
	a.SetManagedFields([]metav1.ManagedFieldsEntry{{Manager: "meshctl"}})
	_ = unstructured.SetNestedField(a.Object, "x", "data", "k")
	b := a.DeepCopy()
	b.SetResourceVersion("2")
	b.SetManagedFields([]metav1.ManagedFieldsEntry{{Manager: "meshctl"}, {Manager: "other"}})
	if !Same(a, b) {
		t.Fatal("bookkeeping differences made objects differ")
	}
	_ = unstructured.SetNestedField(b.Object, "y", "data", "k")
	if Same(a, b) {
		t.Fatal("a data change went unnoticed")
	}
	c := a.DeepCopy()
	c.SetLabels(map[string]string{"l": "v"})
	if Same(a, c) {
		t.Fatal("a label change went unnoticed")
	}
}

func TestManagerOfAndConflictText(t *testing.T) {
	t.Parallel()
	if got := managerOf(`conflict with "kubectl-edit" using apps/v1`); got != "kubectl-edit" {
		t.Fatalf("managerOf = %q", got)
	}
	if got := managerOf("no quotes"); got != "no quotes" {
		t.Fatalf("managerOf = %q", got)
	}
	e := &ConflictError{Conflicts: []FieldConflict{{Object: "Deployment ns/istiod", Field: ".spec.replicas", Manager: "hpa"}}}
	want := "apply conflicts with fields managed by others (rerun with --force-conflicts to take them over):\n  * Deployment ns/istiod: .spec.replicas is managed by \"hpa\""
	if e.Error() != want {
		t.Fatalf("got %q", e.Error())
	}
	nr := &NotReadyError{Timeout: 3 * time.Second, Objects: []NotReady{{Object: "Deployment ns/istiod", Reason: "0/1 replicas available"}}}
	if nr.Error() != "not ready after 3s:\n  * Deployment ns/istiod: 0/1 replicas available" {
		t.Fatalf("got %q", nr.Error())
	}
}

func TestRecordRoundTrip(t *testing.T) {
	t.Parallel()
	r := &Record{Name: "installed-state-canary", Revision: "canary", Profile: "demo", MeshctlVersion: "v0.1.0",
		IstioOperator: "spec:\n  profile: demo\n", Objects: []string{"apps/Deployment/istio-system/istiod-canary", "/Service/istio-system/istiod-canary"}}
	u := r.object("istio-system")
	if u.GetName() != "meshctl-install-installed-state-canary" || u.GetLabels()[LabelRecord] != r.Name || u.GetLabels()[manifest.LabelInstall] != "" {
		t.Fatalf("record object metadata: %v %v", u.GetName(), u.GetLabels())
	}
	data, _, _ := unstructured.NestedStringMap(u.Object, "data")
	back := recordFrom(data, u.GetLabels()[LabelRecord])
	if back.Name != r.Name || back.Revision != r.Revision || back.Profile != r.Profile || back.MeshctlVersion != r.MeshctlVersion ||
		back.IstioOperator != r.IstioOperator || strings.Join(back.Objects, ",") != strings.Join(r.Objects, ",") {
		t.Fatalf("round trip:\n%+v\n%+v", r, back)
	}
	if got := KindsOf(back.Objects); len(got) != 2 || got[0].Group != "apps" || got[0].Kind != "Deployment" || got[1].Kind != "Service" {
		t.Fatalf("KindsOf = %v", got)
	}
}

func TestOwnedSelectorAndScope(t *testing.T) {
	t.Parallel()
	if got := OwnedSelector("installed-state", ""); got != "app.kubernetes.io/managed-by=meshctl,install.operator.istio.io/owning-resource=installed-state,istio.io/rev=default" {
		t.Fatalf("selector %q", got)
	}
	in := obj("v1", "Service", "istio-system", "istiod")
	other := obj("v1", "Service", "elsewhere", "istiod")
	cluster := obj("rbac.authorization.k8s.io/v1", "ClusterRole", "", "istiod-elsewhere")
	keys := map[string]bool{manifest.Key(cluster): true}
	if !InScope(in, "istio-system", nil) || InScope(other, "istio-system", nil) || InScope(cluster, "istio-system", nil) || !InScope(cluster, "istio-system", keys) {
		t.Fatal("scope rules broken")
	}
	if !neverPruned("CustomResourceDefinition") || !neverPruned("Namespace") || neverPruned("Deployment") {
		t.Fatal("neverPruned")
	}
}

func TestSubset(t *testing.T) {
	t.Parallel()
	live := map[string]any{
		"metadata": map[string]any{"name": "x", "labels": map[string]any{"a": "1", "b": "2"}, "resourceVersion": "5"},
		"spec": map[string]any{"replicas": int64(2), "ports": []any{
			map[string]any{"port": int64(80), "protocol": "TCP"},
			map[string]any{"port": int64(443), "protocol": "TCP"},
		}},
	}
	cases := []struct {
		name string
		want map[string]any
		ok   bool
	}{
		{"fewer keys", map[string]any{"metadata": map[string]any{"labels": map[string]any{"a": "1"}}}, true},
		{"defaulted list items", map[string]any{"spec": map[string]any{"ports": []any{map[string]any{"port": int64(80)}, map[string]any{"port": float64(443)}}}}, true},
		{"null matches missing", map[string]any{"metadata": map[string]any{"creationTimestamp": nil}}, true},
		{"changed value", map[string]any{"spec": map[string]any{"replicas": int64(3)}}, false},
		{"missing key", map[string]any{"metadata": map[string]any{"labels": map[string]any{"c": "3"}}}, false},
		{"shorter list", map[string]any{"spec": map[string]any{"ports": []any{map[string]any{"port": int64(80)}}}}, false},
		{"type change", map[string]any{"spec": map[string]any{"replicas": "2"}}, false},
		{"empty map the server dropped", map[string]any{"spec": map[string]any{"resources": map[string]any{}}}, false},
	}
	for _, tc := range cases {
		if got := Subset(tc.want, live); got != tc.ok {
			t.Errorf("%s: Subset = %v", tc.name, got)
		}
	}
}

func TestRecordHashesRoundTrip(t *testing.T) {
	t.Parallel()
	r := &Record{Name: "n", Objects: []string{"/ConfigMap/ns/a", "/ConfigMap/ns/b", "/ConfigMap/ns/c"}, Hashes: map[string]string{"/ConfigMap/ns/a": "h1", "/ConfigMap/ns/c": "h3"}}
	data, _, _ := unstructured.NestedStringMap(r.object("ns").Object, "data")
	if data[keyHashes] != "/ConfigMap/ns/a h1\n/ConfigMap/ns/c h3" {
		t.Fatalf("hashes %q", data[keyHashes])
	}
	back := recordFrom(data, "n")
	if len(back.Hashes) != 2 || back.Hashes["/ConfigMap/ns/a"] != "h1" || back.Hashes["/ConfigMap/ns/c"] != "h3" {
		t.Fatalf("round trip: %v", back.Hashes)
	}
	u := obj("v1", "ConfigMap", "ns", "a")
	h1, _ := configHash(u)
	u2 := obj("v1", "ConfigMap", "ns", "a")
	h2, _ := configHash(u2)
	u2.SetLabels(map[string]string{"x": "y"})
	h3, _ := configHash(u2)
	if h1 != h2 || h1 == h3 || len(h1) != 64 {
		t.Fatalf("hashes %s %s %s", h1, h2, h3)
	}
}
