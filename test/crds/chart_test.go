package crds

import (
	"sort"
	"strconv"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/meshctl/meshctl/charts"
	"github.com/meshctl/meshctl/pkg/install/helmrender"
	"github.com/meshctl/meshctl/pkg/yamlstream"
)

// renderBase renders the base chart as the helm command would, with vals
// over its defaults, and returns the objects.
func renderBase(t *testing.T, vals map[string]any) []*unstructured.Unstructured {
	t.Helper()
	c, err := helmrender.Load(charts.FS, "base", "")
	if err != nil {
		t.Fatal(err)
	}
	docs, err := c.Render(helmrender.Release{Name: "base", Namespace: "istio-system"}, vals)
	if err != nil {
		t.Fatal(err)
	}
	var out []*unstructured.Unstructured
	for _, d := range docs {
		err := yamlstream.Read(d.Template, strings.NewReader(d.Content), func(doc yamlstream.Document) error {
			if doc.IsEmpty() {
				return nil
			}
			u := &unstructured.Unstructured{}
			if err := yaml.Unmarshal(doc.Raw, &u.Object); err != nil {
				t.Fatalf("%s: %v", doc.Where(), err)
			}
			if len(u.Object) > 0 {
				out = append(out, u)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func summary(objs []*unstructured.Unstructured) string {
	counts := map[string]int{}
	for _, o := range objs {
		counts[o.GetKind()]++
	}
	var parts []string
	for k, n := range counts {
		parts = append(parts, k+"="+strconv.Itoa(n))
	}
	sort.Strings(parts)
	return strings.Join(parts, " ")
}

func find(objs []*unstructured.Unstructured, kind, name string) *unstructured.Unstructured {
	for _, o := range objs {
		if o.GetKind() == kind && o.GetName() == name {
			return o
		}
	}
	return nil
}

func TestBaseChart(t *testing.T) {
	t.Parallel()
	const (
		all      = "CustomResourceDefinition=15 ServiceAccount=1 ValidatingWebhookConfiguration=1"
		noHook   = "CustomResourceDefinition=15 ServiceAccount=1"
		withVAP  = "CustomResourceDefinition=15 ServiceAccount=1 ValidatingAdmissionPolicy=1 ValidatingAdmissionPolicyBinding=1 ValidatingWebhookConfiguration=1"
		clusterw = "CustomResourceDefinition=15 ValidatingWebhookConfiguration=1"
	)
	cases := []struct {
		name  string
		vals  string
		want  string
		check func(t *testing.T, objs []*unstructured.Unstructured)
	}{
		{name: "defaults", want: all, check: func(t *testing.T, objs []*unstructured.Unstructured) {
			wh := find(objs, "ValidatingWebhookConfiguration", "istiod-default-validator")
			if wh == nil {
				t.Fatal("no istiod-default-validator")
			}
			hook, _, _ := unstructured.NestedSlice(wh.Object, "webhooks")
			h := hook[0].(map[string]any)
			svc, _, _ := unstructured.NestedStringMap(h, "clientConfig", "service")
			if svc["name"] != "istiod" || svc["namespace"] != "istio-system" || svc["path"] != "/validate" {
				t.Errorf("webhook service %v", svc)
			}
			if h["failurePolicy"] != "Ignore" {
				t.Errorf("failurePolicy %v, want Ignore on install", h["failurePolicy"])
			}
			sa := find(objs, "ServiceAccount", "istio-reader-service-account")
			if sa == nil || sa.GetNamespace() != "istio-system" {
				t.Fatalf("reader service account: %v", sa)
			}
			if _, ok := sa.Object["imagePullSecrets"]; ok {
				t.Error("imagePullSecrets without any configured")
			}
		}},
		// meshctl's profiles: the default revision is managed by tags.
		{name: "no default revision", vals: `defaultRevision: ""`, want: noHook},
		{name: "canary default revision", vals: "defaultRevision: canary\nglobal: {istioNamespace: mesh}", want: all, check: func(t *testing.T, objs []*unstructured.Unstructured) {
			wh := find(objs, "ValidatingWebhookConfiguration", "istiod-default-validator")
			if wh.GetLabels()["istio.io/rev"] != "canary" {
				t.Errorf("labels %v", wh.GetLabels())
			}
			hook, _, _ := unstructured.NestedSlice(wh.Object, "webhooks")
			svc, _, _ := unstructured.NestedStringMap(hook[0].(map[string]any), "clientConfig", "service")
			if svc["name"] != "istiod-canary" || svc["namespace"] != "mesh" {
				t.Errorf("webhook service %v", svc)
			}
			if sa := find(objs, "ServiceAccount", "istio-reader-service-account"); sa.GetNamespace() != "mesh" {
				t.Errorf("reader service account in %q", sa.GetNamespace())
			}
		}},
		{name: "remote validation URL with CA", vals: "base: {validationURL: 'https://istiod.example.com:15017/validate', validationCABundle: Q0E=}", want: all, check: func(t *testing.T, objs []*unstructured.Unstructured) {
			wh := find(objs, "ValidatingWebhookConfiguration", "istiod-default-validator")
			hook, _, _ := unstructured.NestedSlice(wh.Object, "webhooks")
			h := hook[0].(map[string]any)
			cc, _, _ := unstructured.NestedMap(h, "clientConfig")
			if cc["url"] != "https://istiod.example.com:15017/validate" || cc["caBundle"] != "Q0E=" || cc["service"] != nil {
				t.Errorf("clientConfig %v", cc)
			}
			if h["failurePolicy"] != "Fail" {
				t.Errorf("failurePolicy %v, want Fail with a CA bundle", h["failurePolicy"])
			}
		}},
		{name: "excluded CRDs", vals: "base: {excludedCRDs: [envoyfilters.networking.istio.io, wasmplugins.extensions.istio.io]}", want: "CustomResourceDefinition=13 ServiceAccount=1 ValidatingWebhookConfiguration=1", check: func(t *testing.T, objs []*unstructured.Unstructured) {
			if find(objs, "CustomResourceDefinition", "envoyfilters.networking.istio.io") != nil {
				t.Error("excluded CRD rendered")
			}
			if find(objs, "CustomResourceDefinition", "virtualservices.networking.istio.io") == nil {
				t.Error("VirtualService CRD missing")
			}
		}},
		{name: "no CRD templates", vals: "base: {enableCRDTemplates: false}", want: "ServiceAccount=1 ValidatingWebhookConfiguration=1"},
		{name: "no Istio config CRDs", vals: "base: {enableIstioConfigCRDs: false}", want: "ServiceAccount=1 ValidatingWebhookConfiguration=1"},
		{name: "cluster scope", vals: "global: {resourceScope: cluster}", want: clusterw},
		{name: "namespace scope", vals: "global: {resourceScope: namespace}", want: "ServiceAccount=1"},
		{name: "no reader", vals: "global: {enableReaderRBAC: false}", want: clusterw},
		{name: "own reader account", vals: "global: {readerServiceAccount: {name: my-reader, namespace: ops}}", want: clusterw},
		{name: "pull secrets", vals: "global: {imagePullSecrets: [regcred]}", want: all, check: func(t *testing.T, objs []*unstructured.Unstructured) {
			sa := find(objs, "ServiceAccount", "istio-reader-service-account")
			ps, _, _ := unstructured.NestedSlice(sa.Object, "imagePullSecrets")
			if len(ps) != 1 || ps[0].(map[string]any)["name"] != "regcred" {
				t.Errorf("imagePullSecrets %v", ps)
			}
		}},
		{name: "stable validation policy", vals: "experimental: {stableValidationPolicy: true}", want: withVAP, check: func(t *testing.T, objs []*unstructured.Unstructured) {
			b := find(objs, "ValidatingAdmissionPolicyBinding", "stable-channel-default-policy-binding.istio.io")
			if p, _, _ := unstructured.NestedString(b.Object, "spec", "policyName"); p != "stable-channel-default-policy.istio.io" {
				t.Errorf("binding names policy %q", p)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			vals := map[string]any{}
			if err := yaml.Unmarshal([]byte(tc.vals), &vals); err != nil {
				t.Fatal(err)
			}
			objs := renderBase(t, vals)
			if got := summary(objs); got != tc.want {
				t.Fatalf("rendered %s\nwant     %s", got, tc.want)
			}
			if tc.check != nil {
				tc.check(t, objs)
			}
		})
	}
}

// The chart's CRDs are the committed file's, byte for byte.
func TestBaseChartCRDsAreTheGeneratedFile(t *testing.T) {
	t.Parallel()
	c, err := helmrender.Load(charts.FS, "base", "")
	if err != nil {
		t.Fatal(err)
	}
	docs, err := c.Render(helmrender.Release{Name: "base", Namespace: "istio-system"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want, err := charts.FS.ReadFile("base/files/crds.gen.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range docs {
		if d.Template == "templates/crds.yaml" {
			if strings.TrimSpace(d.Content) != strings.TrimSpace(string(want)) {
				t.Fatal("templates/crds.yaml does not emit files/crds.gen.yaml unchanged")
			}
			return
		}
	}
	t.Fatal("templates/crds.yaml rendered nothing")
}
