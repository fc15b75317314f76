package render

import (
	"bytes"
	"encoding/json"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	sigsyaml "sigs.k8s.io/yaml"

	"github.com/meshctl/meshctl/charts"
	"github.com/meshctl/meshctl/pkg/install/manifest"
	"github.com/meshctl/meshctl/pkg/version"
	"github.com/meshctl/meshctl/profiles"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (run go test -update after checking the change):\n%s", path, firstDiff(string(want), string(got)))
	}
}

func firstDiff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(wl) || i < len(gl); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return "line " + itoa(i+1) + ":\n  want: " + w + "\n  got:  " + g
		}
	}
	return ""
}

func itoa(i int) string { return strings.TrimSpace(strings.Repeat(" ", 0) + fmtInt(i)) }

func fmtInt(i int) string {
	if i == 0 {
		return "0"
	}
	var b []byte
	for ; i > 0; i /= 10 {
		b = append([]byte{byte('0' + i%10)}, b...)
	}
	return string(b)
}

func renderBytes(t *testing.T, o Options) []byte {
	t.Helper()
	m, err := Render(o)
	if err != nil {
		t.Fatal(err)
	}
	hideInjectionTemplate(t, m)
	var buf bytes.Buffer
	if err := Write(&buf, m.Objects); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// templateMarker stands for the sidecar injection template in the golden
// files: the template is maintained on its own, and the golden files check
// how it is embedded, not its text.
const templateMarker = "    <charts/istiod/files/injection-template.yaml>"

// hideInjectionTemplate replaces the injection template file's text in the
// injector ConfigMap by templateMarker, and fails when the ConfigMap does
// not embed the file verbatim (non-empty lines indented under "sidecar: |").
func hideInjectionTemplate(t *testing.T, m *manifest.Manifest) {
	t.Helper()
	raw, err := fs.ReadFile(charts.FS, "istiod/files/injection-template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
	for i, l := range lines {
		if l = strings.TrimRight(l, " \t"); l != "" {
			l = "    " + l
		}
		lines[i] = l
	}
	indented := strings.Join(lines, "\n")
	for _, o := range m.Objects {
		if o.Object.GetKind() != "ConfigMap" || !strings.HasPrefix(o.Object.GetName(), "istio-sidecar-injector") {
			continue
		}
		data := o.Object.Object["data"].(map[string]any)
		config := data["config"].(string)
		if !strings.Contains(config, "sidecar: |\n"+indented+"\n") && !strings.HasSuffix(config, "sidecar: |\n"+indented) {
			t.Fatalf("%s does not embed the injection template verbatim", o.Object.GetName())
		}
		data["config"] = strings.Replace(config, indented, templateMarker, 1)
	}
}

func TestGolden(t *testing.T) {
	t.Parallel()
	overlay, err := os.ReadFile("testdata/overlay.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]Options{
		"revision-canary.golden.yaml": {Revision: "canary"},
		"overlay.golden.yaml": {
			Files: []Input{{Source: "overlay.yaml", Data: overlay}},
			Sets: []string{
				"values.pilot.traceSampling=5",
				"components.ingressGateways[name:internal-gateway].k8s.hpaSpec.maxReplicas=6",
				"meshConfig.defaultConfig.proxyMetadata.ISTIO_META_DNS_CAPTURE=true",
			},
		},
	}
	for _, p := range profiles.Names() {
		cases["profile-"+p+".golden.yaml"] = Options{Sets: []string{"profile=" + p}}
	}
	for name, o := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got := renderBytes(t, o)
			if again := renderBytes(t, o); !bytes.Equal(got, again) {
				t.Fatal("two renders of the same input differ")
			}
			golden(t, name, got)
		})
	}
}

type kindName struct{ Kind, Name string }

// istioDemo is the (kind, name) set of Istio's own demo install of the
// same release (istioctl manifest generate --set profile=demo, 1.31),
// read from Istio's charts and profiles on release-1.31: istio-discovery
// with autoscaling off, istio-ingress and istio-egress, and base.
var istioDemo = []kindName{
	{"ServiceAccount", "istiod"},
	{"ClusterRole", "istio-reader-clusterrole-istio-system"},
	{"ClusterRole", "istiod-clusterrole-istio-system"},
	{"ClusterRole", "istiod-gateway-controller-istio-system"},
	{"ClusterRoleBinding", "istio-reader-clusterrole-istio-system"},
	{"ClusterRoleBinding", "istiod-clusterrole-istio-system"},
	{"ClusterRoleBinding", "istiod-gateway-controller-istio-system"},
	{"Role", "istiod"},
	{"RoleBinding", "istiod"},
	{"ConfigMap", "istio"},
	{"ConfigMap", "istio-sidecar-injector"},
	{"ConfigMap", "values"},
	{"MutatingWebhookConfiguration", "istio-sidecar-injector"},
	{"ValidatingWebhookConfiguration", "istio-validator-istio-system"},
	{"Service", "istiod"},
	{"Deployment", "istiod"},
	{"ServiceAccount", "istio-ingressgateway-service-account"},
	{"Role", "istio-ingressgateway-sds"},
	{"RoleBinding", "istio-ingressgateway-sds"},
	{"Service", "istio-ingressgateway"},
	{"Deployment", "istio-ingressgateway"},
	{"ServiceAccount", "istio-egressgateway-service-account"},
	{"Role", "istio-egressgateway-sds"},
	{"RoleBinding", "istio-egressgateway-sds"},
	{"Service", "istio-egressgateway"},
	{"Deployment", "istio-egressgateway"},
}

// istioDemoBase is the base chart's part of Istio's demo install.
var istioDemoBase = []kindName{
	{"ServiceAccount", "istio-reader-service-account"},
	{"CustomResourceDefinition", "authorizationpolicies.security.istio.io"},
	{"CustomResourceDefinition", "destinationrules.networking.istio.io"},
	{"CustomResourceDefinition", "envoyfilters.networking.istio.io"},
	{"CustomResourceDefinition", "gateways.networking.istio.io"},
	{"CustomResourceDefinition", "peerauthentications.security.istio.io"},
	{"CustomResourceDefinition", "proxyconfigs.networking.istio.io"},
	{"CustomResourceDefinition", "requestauthentications.security.istio.io"},
	{"CustomResourceDefinition", "serviceentries.networking.istio.io"},
	{"CustomResourceDefinition", "sidecars.networking.istio.io"},
	{"CustomResourceDefinition", "telemetries.telemetry.istio.io"},
	{"CustomResourceDefinition", "virtualservices.networking.istio.io"},
	{"CustomResourceDefinition", "wasmplugins.extensions.istio.io"},
	{"CustomResourceDefinition", "workloadentries.networking.istio.io"},
	{"CustomResourceDefinition", "workloadgroups.networking.istio.io"},
}

func kindNames(objs []manifest.Object, keep func(manifest.Object) bool) []kindName {
	var out []kindName
	for _, o := range objs {
		if keep(o) {
			out = append(out, kindName{o.Object.GetKind(), o.Object.GetName()})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Kind+"/"+out[i].Name < out[j].Kind+"/"+out[j].Name })
	return out
}

func sorted(l []kindName) []kindName {
	out := append([]kindName(nil), l...)
	sort.Slice(out, func(i, j int) bool { return out[i].Kind+"/"+out[i].Name < out[j].Kind+"/"+out[j].Name })
	return out
}

func TestDemoMatchesIstio(t *testing.T) {
	t.Parallel()
	m, err := Render(Options{Sets: []string{"profile=demo"}})
	if err != nil {
		t.Fatal(err)
	}
	got := kindNames(m.Objects, func(o manifest.Object) bool { return o.Component != manifest.Base })
	if want := sorted(istioDemo); !reflect.DeepEqual(got, want) {
		t.Errorf("demo without base:\n got  %v\n want %v", got, want)
	}
	t.Run("base", func(t *testing.T) {
		if !hasChart("base") {
			t.Skip("the base chart is not in the tree yet")
		}
		got := kindNames(m.Objects, func(o manifest.Object) bool { return o.Component == manifest.Base })
		if want := sorted(istioDemoBase); !reflect.DeepEqual(got, want) {
			t.Errorf("demo base:\n got  %v\n want %v", got, want)
		}
	})
}

func TestOwnershipLabels(t *testing.T) {
	t.Parallel()
	for _, rev := range []string{"", "canary"} {
		m, err := Render(Options{Sets: []string{"profile=demo"}, Revision: rev})
		if err != nil {
			t.Fatal(err)
		}
		if len(m.Objects) == 0 {
			t.Fatal("no objects")
		}
		for _, o := range m.Objects {
			l := o.Object.GetLabels()
			wantRev, wantName := "default", "installed-state"
			if rev != "" && o.Component != manifest.Base {
				wantRev, wantName = rev, "installed-state-"+rev
			}
			want := map[string]string{
				manifest.LabelManagedBy: manifest.ManagedByValue,
				manifest.LabelInstall:   wantName,
				manifest.LabelComponent: o.Component,
				manifest.LabelRevision:  wantRev,
			}
			for k, v := range want {
				if l[k] != v {
					t.Errorf("%s: label %s = %q, want %q", o.Key(), k, l[k], v)
				}
			}
		}
	}
}

func TestRevisionSideBySide(t *testing.T) {
	t.Parallel()
	def, err := Render(Options{})
	if err != nil {
		t.Fatal(err)
	}
	can, err := Render(Options{Sets: []string{"revision=canary"}})
	if err != nil {
		t.Fatal(err)
	}
	if can.Revision != "canary" || can.Name != "installed-state-canary" {
		t.Errorf("manifest revision %q name %q", can.Revision, can.Name)
	}
	defObjs := map[string]manifest.Object{}
	for _, o := range def.Objects {
		defObjs[o.Key()] = o
	}
	names := map[string]bool{}
	for _, o := range can.Objects {
		names[o.Object.GetKind()+"/"+o.Object.GetName()] = true
		d, clash := defObjs[o.Key()]
		switch {
		case o.Component == manifest.Base:
			if !clash || !reflect.DeepEqual(d.Object.Object, o.Object.Object) {
				t.Errorf("%s: shared base object differs between revisions", o.Key())
			}
		case clash && o.Component == manifest.Pilot:
			t.Errorf("%s: the canary control plane would overwrite the default one's", o.Key())
		}
	}
	for _, want := range []string{
		"Deployment/istiod-canary", "Service/istiod-canary", "ServiceAccount/istiod-canary",
		"ConfigMap/istio-canary", "ConfigMap/istio-sidecar-injector-canary", "ConfigMap/values-canary",
		"MutatingWebhookConfiguration/istio-sidecar-injector-canary",
		"ValidatingWebhookConfiguration/istio-validator-canary-istio-system",
		"ClusterRole/istiod-clusterrole-canary-istio-system", "Role/istiod-canary",
	} {
		if !names[want] {
			t.Errorf("canary render has no %s", want)
		}
	}
	// The canary's injection webhook selects only istio.io/rev=canary.
	for _, o := range can.Objects {
		if o.Object.GetKind() != "MutatingWebhookConfiguration" {
			continue
		}
		hooks, _, _ := unstructuredSlice(o.Object.Object, "webhooks")
		if len(hooks) != 2 {
			t.Fatalf("canary webhook has %d webhooks, want 2 (namespace and object label)", len(hooks))
		}
		text := renderOne(t, o)
		if !strings.Contains(text, "- canary") || strings.Contains(text, "istio-injection\n      operator: In") {
			t.Errorf("canary webhook selectors:\n%s", text)
		}
	}
}

func unstructuredSlice(obj map[string]any, key string) ([]any, bool, error) {
	l, ok := obj[key].([]any)
	return l, ok, nil
}

func renderOne(t *testing.T, o manifest.Object) string {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, []manifest.Object{o}); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// find returns the object of a kind and name.
func find(t *testing.T, m *manifest.Manifest, kind, name string) map[string]any {
	t.Helper()
	for _, o := range m.Objects {
		if o.Object.GetKind() == kind && o.Object.GetName() == name {
			return o.Object.Object
		}
	}
	t.Fatalf("no %s %s", kind, name)
	return nil
}

func has(m *manifest.Manifest, kind, name string) bool {
	for _, o := range m.Objects {
		if o.Object.GetKind() == kind && o.Object.GetName() == name {
			return true
		}
	}
	return false
}

func TestPrecedenceAndOverrides(t *testing.T) {
	t.Parallel()
	file := Input{Source: "f.yaml", Data: []byte(`apiVersion: install.istio.io/v1alpha1
kind: IstioOperator
spec:
  profile: demo
  tag: from-file
  values:
    pilot:
      autoscaleEnabled: true
      autoscaleMin: 2
`)}
	m, err := Render(Options{Files: []Input{file}, Sets: []string{"tag=from-set", "components.egressGateways[name:istio-egressgateway].enabled=false"}})
	if err != nil {
		t.Fatal(err)
	}
	if m.Profile != "demo" {
		t.Errorf("profile = %q, want demo (from the file)", m.Profile)
	}
	dep := find(t, m, "Deployment", "istiod")
	img := dep["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)["containers"].([]any)[0].(map[string]any)["image"]
	if img != "docker.io/istio/pilot:from-set" {
		t.Errorf("image = %v: --set must win over -f", img)
	}
	if !has(m, "HorizontalPodAutoscaler", "istiod") || !has(m, "PodDisruptionBudget", "istiod") {
		t.Error("the file's autoscaling (min 2) must win over demo's: want an HPA and a PDB")
	}
	if has(m, "Deployment", "istio-egressgateway") {
		t.Error("--set disabled the egress gateway, but it was rendered")
	}
	if _, ok := dep["spec"].(map[string]any)["replicas"]; ok {
		t.Error("an autoscaled Deployment must not fix replicas")
	}
}

func TestDefaultTagIsTheIstioRelease(t *testing.T) {
	t.Parallel()
	m, err := Merge(Options{})
	if err != nil {
		t.Fatal(err)
	}
	if m.IOP.Spec.Tag != version.Istio() || m.IOP.Spec.Hub != "docker.io/istio" {
		t.Errorf("hub/tag = %s/%s, want docker.io/istio/%s", m.IOP.Spec.Hub, m.IOP.Spec.Tag, version.Istio())
	}
}

func TestErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		o    Options
		want string
	}{
		{"unknown profile", Options{Sets: []string{"profile=nope"}}, `unknown profile "nope"`},
		{"bad set path", Options{Sets: []string{"values.pilot.autoscaleEnabeld=false"}}, "did you mean values.pilot.autoscaleEnabled?"},
		{"bad file", Options{Files: []Input{{Source: "x.yaml (document 1, line 1)", Data: []byte("apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nspec:\n  components:\n    pilot:\n      k8s:\n        replicas: 1\n")}}}, "x.yaml (document 1, line 1): spec.components.pilot.k8s.replicas: unknown field"},
		{"bad revision", Options{Revision: "Canary_1"}, "lower-case letters"},
		{"reserved revision", Options{Revision: "default"}, "reserved"},
		{"ambient", Options{Sets: []string{"components.cni.enabled=true"}}, "not supported"},
		{"duplicate gateways", Options{Sets: []string{"components.ingressGateways[1].name=istio-ingressgateway", "components.ingressGateways[1].enabled=true"}}, "both render"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Render(tt.o)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestEmptyProfileRendersNothing(t *testing.T) {
	t.Parallel()
	m, err := Render(Options{Sets: []string{"profile=empty"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Objects) != 0 {
		t.Errorf("empty profile rendered %d objects", len(m.Objects))
	}
}

func TestSplitDocuments(t *testing.T) {
	t.Parallel()
	got := splitDocuments("a: 1\n---\nb: 2\n--- # comment\nc: 3\n---\n")
	var s []string
	for _, p := range got {
		s = append(s, strings.TrimSpace(string(p)))
	}
	if want := []string{"a: 1", "b: 2", "c: 3"}; !reflect.DeepEqual(s, want) {
		t.Errorf("got %q, want %q", s, want)
	}
}

// The injector ConfigMap is in Istio's format, so that its data can be fed
// to kube-inject (--injectConfigFile, --valuesFile) and to istiod.
func TestInjectorConfigMapFormat(t *testing.T) {
	t.Parallel()
	m, err := Render(Options{Sets: []string{"values.sidecarInjectorWebhook.neverInjectSelector[0].matchLabels.skip=yes"}})
	if err != nil {
		t.Fatal(err)
	}
	cm := find(t, m, "ConfigMap", "istio-sidecar-injector")
	data := cm["data"].(map[string]any)
	var config struct {
		Policy               string            `json:"policy"`
		AlwaysInjectSelector []map[string]any  `json:"alwaysInjectSelector"`
		NeverInjectSelector  []map[string]any  `json:"neverInjectSelector"`
		InjectedAnnotations  map[string]string `json:"injectedAnnotations"`
		DefaultTemplates     []string          `json:"defaultTemplates"`
		Templates            map[string]string `json:"templates"`
	}
	if err := yamlUnmarshalStrict([]byte(data["config"].(string)), &config); err != nil {
		t.Fatalf("config: %v", err)
	}
	raw, err := fs.ReadFile(charts.FS, "istiod/files/injection-template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if config.Policy != "enabled" || !reflect.DeepEqual(config.DefaultTemplates, []string{"sidecar"}) {
		t.Errorf("policy %q, default templates %q", config.Policy, config.DefaultTemplates)
	}
	if len(config.NeverInjectSelector) != 1 {
		t.Errorf("neverInjectSelector = %v", config.NeverInjectSelector)
	}
	if strings.TrimSpace(config.Templates["sidecar"]) != trimLines(string(raw)) {
		t.Error("templates.sidecar is not the injection template file")
	}
	var values struct {
		Global struct {
			Hub   string `json:"hub"`
			Tag   string `json:"tag"`
			Proxy struct {
				Image string `json:"image"`
			} `json:"proxy"`
			ProxyInit struct {
				Image string `json:"image"`
			} `json:"proxy_init"`
		} `json:"global"`
		Pilot struct {
			CNI struct {
				Enabled bool `json:"enabled"`
			} `json:"cni"`
		} `json:"pilot"`
		Revision string `json:"revision"`
	}
	if err := json.Unmarshal([]byte(data["values"].(string)), &values); err != nil {
		t.Fatalf("values: %v", err)
	}
	g := values.Global
	if g.Hub != "docker.io/istio" || g.Tag != version.Istio() || g.Proxy.Image != "proxyv2" || g.ProxyInit.Image != "proxyv2" {
		t.Errorf("values.global = %+v", g)
	}
}

func trimLines(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " \t")
	}
	return strings.Join(lines, "\n")
}

func yamlUnmarshalStrict(b []byte, v any) error { return sigsyaml.UnmarshalStrict(b, v) }

// InjectionData is the data of the ConfigMaps a full render produces.
func TestInjectionData(t *testing.T) {
	t.Parallel()
	for _, o := range []Options{{Sets: []string{"profile=demo"}}, {Revision: "canary"}, {Sets: []string{"profile=empty"}}} {
		merged, err := Merge(o)
		if err != nil {
			t.Fatal(err)
		}
		inj, err := merged.InjectionData()
		if err != nil {
			t.Fatal(err)
		}
		if inj.Revision != merged.IOP.Spec.Revision {
			t.Errorf("revision %q", inj.Revision)
		}
		if merged.Profile == "empty" {
			if !strings.Contains(inj.Config, "templates:") {
				t.Error("empty profile: no injection config")
			}
			continue
		}
		full, err := merged.Render()
		if err != nil {
			t.Fatal(err)
		}
		suffix := ""
		if r := merged.IOP.Spec.Revision; r != "" {
			suffix = "-" + r
		}
		injector := find(t, full, "ConfigMap", "istio-sidecar-injector"+suffix)["data"].(map[string]any)
		mesh := find(t, full, "ConfigMap", "istio"+suffix)["data"].(map[string]any)
		if inj.Config != injector["config"] || inj.Values != injector["values"] || inj.Mesh != mesh["mesh"] {
			t.Errorf("%v: injection data differs from the rendered ConfigMaps", o)
		}
		if merged.Profile == "demo" && !strings.Contains(inj.Mesh, "accessLogFile: /dev/stdout") {
			t.Error("demo mesh config has no access log")
		}
	}
}
