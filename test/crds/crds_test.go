// Package crds checks the generated Istio CRDs against a real API server:
// they are accepted and established, valid Istio config of every kind is
// stored, and invalid config is rejected by the schema with the field named.
package crds

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apiextv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"sigs.k8s.io/yaml"

	"github.com/meshctl/meshctl/internal/crdgen"
	"github.com/meshctl/meshctl/internal/testcluster"
	"github.com/meshctl/meshctl/pkg/kube"
	"github.com/meshctl/meshctl/pkg/yamlstream"
)

func TestMain(m *testing.M) { testcluster.Main(m) }

type doc struct {
	obj   *unstructured.Unstructured
	field string // for invalid documents: the field the server must name
	// message, for a document a CEL rule rejects: the rule's message.
	message string
}

func readDocs(t *testing.T, name string) []doc {
	t.Helper()
	var out []doc
	err := yamlstream.ReadPaths([]string{filepath.Join("testdata", name)}, nil, func(d yamlstream.Document) error {
		u := &unstructured.Unstructured{}
		if err := yaml.Unmarshal(d.Raw, &u.Object); err != nil {
			t.Fatalf("%s: %v", d.Where(), err)
		}
		field, message := "", ""
		for _, line := range strings.Split(string(d.Raw), "\n") {
			if f, ok := strings.CutPrefix(line, "# field: "); ok {
				field = f
			}
			if m, ok := strings.CutPrefix(line, "# message: "); ok {
				message = m
			}
		}
		out = append(out, doc{obj: u, field: field, message: message})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestGeneratedCRDsOnARealAPIServer(t *testing.T) {
	c := testcluster.Get(t)
	kc, err := kube.NewClientFromConfig(c.AdminConfig())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	// The committed file, exactly as the base chart ships it.
	data, err := os.ReadFile(filepath.Join("..", "..", crdgen.OutputPath))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	err = yamlstream.Read(crdgen.OutputPath, bytes.NewReader(data), func(d yamlstream.Document) error {
		if d.IsEmpty() {
			return nil
		}
		crd := &apiextv1.CustomResourceDefinition{}
		if err := yaml.UnmarshalStrict(d.Raw, crd); err != nil {
			t.Fatalf("%s: %v", d.Where(), err)
		}
		if _, err := kc.APIExtensions.ApiextensionsV1().CustomResourceDefinitions().Create(ctx, crd, metav1.CreateOptions{}); err != nil {
			t.Fatalf("creating %s: %v", crd.Name, kube.Explain(err, ""))
		}
		names = append(names, crd.Name)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// The 14 kinds of the brief plus TrafficExtension, which client-go 1.31
	// serves and Istio's 1.31 base chart installs.
	if len(names) != 15 {
		t.Fatalf("created %d CRDs, want 15", len(names))
	}
	c.WaitCRDsServed(t, names...)
	kc.Mapper.Reset()

	ns := "crds-test"
	if _, err := kc.Kubernetes.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	create := func(u *unstructured.Unstructured) error {
		gvk := u.GroupVersionKind()
		m, err := kc.Mapper.RESTMapping(schema.GroupKind{Group: gvk.Group, Kind: gvk.Kind}, gvk.Version)
		if err != nil {
			return err
		}
		_, err = kc.Dynamic.Resource(m.Resource).Namespace(ns).Create(ctx, u, metav1.CreateOptions{})
		return err
	}

	// Every other object of the base chart, with every option that adds
	// one, is accepted by the API server (CEL expressions compiled).
	t.Run("base chart objects are accepted", func(t *testing.T) {
		objs := renderBase(t, map[string]any{
			"experimental":    map[string]any{"stableValidationPolicy": true},
			"defaultRevision": "default",
			"global":          map[string]any{"imagePullSecrets": []any{"regcred"}, "istioNamespace": ns},
		})
		n := 0
		for _, u := range objs {
			if u.GetKind() == "CustomResourceDefinition" {
				continue
			}
			gvk := u.GroupVersionKind()
			m, err := kc.Mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
			if err != nil {
				t.Fatal(err)
			}
			r := kc.Dynamic.Resource(m.Resource)
			var ri dynamic.ResourceInterface = r
			if u.GetNamespace() != "" {
				ri = r.Namespace(u.GetNamespace())
			}
			if _, err := ri.Create(ctx, u, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}}); err != nil {
				t.Errorf("%s %s: %v", u.GetKind(), u.GetName(), kube.Explain(err, ""))
			}
			n++
		}
		if n != 4 {
			t.Errorf("checked %d objects, want 4 (service account, webhook, policy, binding)", n)
		}
	})

	t.Run("valid config is stored", func(t *testing.T) {
		for _, d := range readDocs(t, "valid.yaml") {
			if err := create(d.obj); err != nil {
				t.Errorf("%s %s/%s rejected: %v", d.obj.GetAPIVersion(), d.obj.GetKind(), d.obj.GetName(), kube.Explain(err, ""))
			}
		}
	})
	// istiod writes status through the status subresource: conditions,
	// analysis messages, and generations as protojson writes them (quoted).
	t.Run("status as istiod writes it", func(t *testing.T) {
		gvr := schema.GroupVersionResource{Group: "networking.istio.io", Version: "v1", Resource: "virtualservices"}
		vs, err := kc.Dynamic.Resource(gvr).Namespace(ns).Get(ctx, "helloworld", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		vs.Object["status"] = map[string]any{
			"observedGeneration": "1",
			"conditions": []any{map[string]any{
				"type": "Reconciled", "status": "True", "observedGeneration": 1,
				"lastTransitionTime": "2026-01-02T03:04:05Z",
			}},
			"validationMessages": []any{map[string]any{
				"level": "WARNING",
				"type":  map[string]any{"code": "IST0101", "name": "ReferencedResourceNotFound"},
			}},
			"someFutureField": true,
		}
		got, err := kc.Dynamic.Resource(gvr).Namespace(ns).UpdateStatus(ctx, vs, metav1.UpdateOptions{})
		if err != nil {
			t.Fatal(kube.Explain(err, ""))
		}
		msgs, _, _ := unstructured.NestedSlice(got.Object, "status", "validationMessages")
		future, _, _ := unstructured.NestedBool(got.Object, "status", "someFutureField")
		if len(msgs) != 1 || !future {
			t.Errorf("status not kept: %v", got.Object["status"])
		}
		// A level that is not one of the enum's is still refused.
		vs = got
		if err := unstructured.SetNestedSlice(vs.Object, []any{map[string]any{"level": "LOUD"}}, "status", "validationMessages"); err != nil {
			t.Fatal(err)
		}
		_, err = kc.Dynamic.Resource(gvr).Namespace(ns).UpdateStatus(ctx, vs, metav1.UpdateOptions{})
		if err == nil || !strings.Contains(kube.Explain(err, "").Error(), "status.validationMessages[0].level") {
			t.Errorf("bad level: %v", err)
		}
	})
	t.Run("invalid config is rejected naming the field", func(t *testing.T) {
		docs := readDocs(t, "invalid.yaml")
		rules := 0
		if len(docs) < 5 {
			t.Fatalf("only %d invalid documents", len(docs))
		}
		for _, d := range docs {
			err := create(d.obj)
			if err == nil {
				t.Errorf("%s/%s was accepted; want a schema error on %s", d.obj.GetKind(), d.obj.GetName(), d.field)
				continue
			}
			msg := kube.Explain(err, "").Error()
			t.Logf("%s/%s: %s", d.obj.GetKind(), d.obj.GetName(), msg)
			// The field is named as the API server names fields: followed
			// by ": " and the reason, or quoted for a oneOf that failed.
			if !strings.Contains(msg, d.field+": ") && !strings.Contains(msg, `"`+d.field+`"`) {
				t.Errorf("%s/%s: error does not name %s:\n%s", d.obj.GetKind(), d.obj.GetName(), d.field, msg)
			}
			if d.message != "" {
				rules++
				// A CEL rule's rejection: the field, then the rule's message.
				if !strings.Contains(msg, d.field+": Invalid value: ") || !strings.Contains(msg, d.message) {
					t.Errorf("%s/%s: error is not the rule's %q on %s:\n%s", d.obj.GetKind(), d.obj.GetName(), d.message, d.field, msg)
				}
			}
		}
		if rules < 10 {
			t.Errorf("only %d documents rejected by CEL rules", rules)
		}
	})
}
