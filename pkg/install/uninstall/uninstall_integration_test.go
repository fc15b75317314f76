package uninstall_test

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiextv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/meshctl/meshctl/internal/testcluster"
	"github.com/meshctl/meshctl/pkg/install/apply"
	"github.com/meshctl/meshctl/pkg/install/manifest"
	"github.com/meshctl/meshctl/pkg/install/render"
	"github.com/meshctl/meshctl/pkg/install/uninstall"
	"github.com/meshctl/meshctl/pkg/kube"
)

func TestMain(m *testing.M) { testcluster.Main(m) }

func crd(plural string, labels map[string]string) *apiextv1.CustomResourceDefinition {
	return &apiextv1.CustomResourceDefinition{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apiextensions.k8s.io/v1", Kind: "CustomResourceDefinition"},
		ObjectMeta: metav1.ObjectMeta{Name: plural + ".example.meshctl.io", Labels: labels},
		Spec: apiextv1.CustomResourceDefinitionSpec{
			Group: "example.meshctl.io", Scope: apiextv1.NamespaceScoped,
			Names: apiextv1.CustomResourceDefinitionNames{Plural: plural, Kind: strings.ToUpper(plural[:1]) + plural[1:], ListKind: strings.ToUpper(plural[:1]) + plural[1:] + "List"},
			Versions: []apiextv1.CustomResourceDefinitionVersion{{Name: "v1", Served: true, Storage: true,
				Schema: &apiextv1.CustomResourceValidation{OpenAPIV3Schema: &apiextv1.JSONSchemaProps{Type: "object", XPreserveUnknownFields: ptr(true)}}}},
		},
	}
}

func ptr[T any](v T) *T { return &v }

// TestPurgeRemovesEverythingMeshctlCreatedAndNothingElse installs demo into
// a namespace meshctl creates and minimal into one the user made, plus a
// labelled CRD, then purges. Decoys without meshctl's labels, a CRD among
// them, and the user's namespace survive.
func TestPurgeRemovesEverythingMeshctlCreatedAndNothingElse(t *testing.T) {
	c := testcluster.Get(t)
	kc, err := kube.NewClientFromConfig(c.AdminConfig())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	if _, err := kc.Kubernetes.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "users-mesh"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	base := map[string]string{manifest.LabelManagedBy: manifest.ManagedByValue, manifest.LabelInstall: "installed-state", manifest.LabelComponent: manifest.Base, manifest.LabelRevision: "default"}
	owned, err := runtime.DefaultUnstructuredConverter.ToUnstructured(crd("meshgadgets", base))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ ns, profile string }{{"purge-demo", "demo"}, {"users-mesh", "minimal"}} {
		m, err := render.Render(render.Options{Sets: []string{"profile=" + tc.profile, "namespace=" + tc.ns}})
		if err != nil {
			t.Fatal(err)
		}
		if tc.ns == "purge-demo" {
			m.Objects = append([]manifest.Object{{Component: manifest.Base, Object: &unstructured.Unstructured{Object: owned}}}, m.Objects...)
		}
		if _, err := apply.Apply(ctx, kc, m, apply.Options{Namespace: tc.ns, Prune: true, Record: &apply.Record{Profile: tc.profile}}); err != nil {
			t.Fatal(err)
		}
	}
	// Decoys: a CRD, a ConfigMap and a ClusterRole without meshctl's labels,
	// and a ConfigMap that names an install but not meshctl as its manager.
	if _, err := kc.APIExtensions.ApiextensionsV1().CustomResourceDefinitions().Create(ctx, crd("usergadgets", nil), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, cm := range []*corev1.ConfigMap{
		{ObjectMeta: metav1.ObjectMeta{Name: "user-config", Namespace: "users-mesh"}},
		{ObjectMeta: metav1.ObjectMeta{Name: "istio-lookalike", Namespace: "purge-demo", Labels: map[string]string{manifest.LabelInstall: "installed-state", manifest.LabelRevision: "default"}}},
	} {
		if _, err := kc.Kubernetes.CoreV1().ConfigMaps(cm.Namespace).Create(ctx, cm, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}

	// A resource of meshctl's CRD, made by the user: the purge deletes it
	// with its CRD, so it is listed first.
	gadget := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "example.meshctl.io/v1", "kind": "Meshgadgets",
		"metadata": map[string]any{"name": "g1", "namespace": "users-mesh"},
	}}
	kc.Mapper.Reset()
	gvr := schema.GroupVersionResource{Group: "example.meshctl.io", Version: "v1", Resource: "meshgadgets"}
	if _, err := kc.Dynamic.Resource(gvr).Namespace("users-mesh").Create(ctx, gadget, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	plan, err := uninstall.Plan(ctx, kc, uninstall.Selection{Purge: true, Namespace: "purge-demo"})
	if err != nil {
		t.Fatal(err)
	}
	instances, err := uninstall.Instances(ctx, kc, plan)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(instances, ",") != "Meshgadgets users-mesh/g1" {
		t.Errorf("custom resources the purge deletes: %q", instances)
	}
	var refs []string
	for _, u := range plan {
		refs = append(refs, uninstall.Ref(u))
	}
	joined := strings.Join(refs, "\n")
	for _, want := range []string{"CustomResourceDefinition meshgadgets.example.meshctl.io", "Deployment purge-demo/istio-egressgateway", "Deployment users-mesh/istiod",
		"MutatingWebhookConfiguration istio-sidecar-injector-users-mesh", "ConfigMap purge-demo/meshctl-install-installed-state", "ConfigMap users-mesh/meshctl-install-installed-state", "Namespace purge-demo"} {
		if !strings.Contains(joined+"\n", want+"\n") {
			t.Errorf("plan lacks %s", want)
		}
	}
	for _, not := range []string{"usergadgets", "user-config", "istio-lookalike", "Namespace users-mesh"} {
		if strings.Contains(joined, not) {
			t.Errorf("plan includes %s", not)
		}
	}
	if refs[len(refs)-1] != "Namespace purge-demo" {
		t.Errorf("the namespace must go last:\n%s", joined)
	}

	var last []string
	if err := uninstall.Delete(ctx, kc, plan, uninstall.Options{Wait: true, Timeout: 2 * time.Minute, Progress: func(r []string) { last = r }}); err != nil {
		t.Fatal(err)
	}
	if len(last) != 0 {
		t.Fatalf("still waiting for %v", last)
	}
	left, err := apply.ListOwned(ctx, kc, manifest.LabelManagedBy+"="+manifest.ManagedByValue, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range left {
		if u.GetKind() == "Namespace" && u.GetDeletionTimestamp() != nil {
			continue // terminating: no namespace controller runs here
		}
		t.Errorf("left behind: %s", uninstall.Ref(u))
	}
	if _, err := kc.APIExtensions.ApiextensionsV1().CustomResourceDefinitions().Get(ctx, "meshgadgets.example.meshctl.io", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("meshctl's CRD survived: %v", err)
	}
	if _, err := kc.APIExtensions.ApiextensionsV1().CustomResourceDefinitions().Get(ctx, "usergadgets.example.meshctl.io", metav1.GetOptions{}); err != nil {
		t.Errorf("the user's CRD was deleted: %v", err)
	}
	if ns, err := kc.Kubernetes.CoreV1().Namespaces().Get(ctx, "users-mesh", metav1.GetOptions{}); err != nil || ns.DeletionTimestamp != nil {
		t.Errorf("the user's namespace was deleted: %v", err)
	}
	if _, err := kc.Kubernetes.CoreV1().ConfigMaps("users-mesh").Get(ctx, "user-config", metav1.GetOptions{}); err != nil {
		t.Errorf("the user's ConfigMap was deleted: %v", err)
	}
}

func TestDryRunPurgeDeletesNothing(t *testing.T) {
	c := testcluster.Get(t)
	kc, err := kube.NewClientFromConfig(c.AdminConfig())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	m, err := render.Render(render.Options{Sets: []string{"profile=minimal", "namespace=purge-dry"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := apply.Apply(ctx, kc, m, apply.Options{Namespace: "purge-dry", Record: &apply.Record{}}); err != nil {
		t.Fatal(err)
	}
	plan, err := uninstall.Plan(ctx, kc, uninstall.Selection{Manifest: m, Namespace: "purge-dry"})
	if err != nil {
		t.Fatal(err)
	}
	// Everything rendered but the CRDs and Base, shared by every revision;
	// plus the record.
	want := 1
	for _, o := range m.Objects {
		if o.Component != manifest.Base && o.Object.GetKind() != "CustomResourceDefinition" {
			want++
		}
	}
	if len(plan) != want || want < 10 {
		t.Fatalf("plan has %d objects, want %d", len(plan), want)
	}
	if err := uninstall.Delete(ctx, kc, plan, uninstall.Options{DryRun: true, Wait: true, Timeout: time.Second}); err != nil {
		t.Fatal(err)
	}
	if _, err := kc.Kubernetes.AppsV1().Deployments("purge-dry").Get(ctx, "istiod", metav1.GetOptions{}); err != nil {
		t.Fatalf("dry run deleted istiod: %v", err)
	}
}
