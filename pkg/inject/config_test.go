package inject

import (
	"bytes"
	"strings"
	"testing"

	"github.com/meshctl/meshctl/internal/testutil/golden"
	"github.com/meshctl/meshctl/pkg/install/render"
)

func TestConfigMapDataFormats(t *testing.T) {
	t.Parallel()
	raw := "defaultConfig:\n  statusPort: 15021\ntrustDomain: example.org\n"
	whole := `apiVersion: v1
kind: ConfigMap
metadata:
  name: istio
  namespace: istio-system
data:
  mesh: |-
    defaultConfig:
      statusPort: 15021
    trustDomain: example.org
`
	for name, in := range map[string]string{"raw": raw, "configmap": whole} {
		m, err := ParseMesh([]byte(in))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if m.TrustDomain != "example.org" || m.DefaultConfig.StatusPort != 15021 {
			t.Errorf("%s: got trust domain %q, status port %d", name, m.TrustDomain, m.DefaultConfig.StatusPort)
		}
		// Defaults stay where the file says nothing.
		if m.DefaultConfig.ProxyAdminPort != 15000 || m.DefaultConfig.DiscoveryAddress == "" {
			t.Errorf("%s: defaults lost: %v", name, m.DefaultConfig)
		}
	}
	if _, err := ConfigMapData([]byte("kind: ConfigMap\ndata:\n  other: x\n"), MeshKey); err == nil || !strings.Contains(err.Error(), `"mesh"`) {
		t.Errorf("missing key: got %v", err)
	}
}

func TestParseInjectorConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, err string
	}{
		{"ok", "policy: enabled\ntemplates:\n  sidecar: |\n    spec: {}\n", ""},
		{"legacy single template", "policy: enabled\ntemplate: |\n  spec: {}\n", ""},
		{"no templates", "policy: enabled\n", "no templates"},
		{"unknown default", "templates:\n  sidecar: x\ndefaultTemplates: [gateway]\n", `"gateway" is not defined`},
		{"unknown field", "templatez: {}\n", "unknown field"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := ParseInjectorConfig([]byte(tc.in))
			if tc.err == "" {
				if err != nil {
					t.Fatal(err)
				}
				if _, ok := c.Templates["sidecar"]; !ok || c.DefaultTemplates[0] != "sidecar" {
					t.Fatalf("got %+v", c)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("want error containing %q, got %v", tc.err, err)
			}
		})
	}
}

// TestFilesEqualRendered: the ConfigMaps fed back as files (as `kubectl get
// cm -o yaml` prints them) inject exactly like the rendered profile.
func TestFilesEqualRendered(t *testing.T) {
	t.Parallel()
	m, err := render.Render(render.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var injCM, meshCM []byte
	for _, o := range m.Objects {
		if o.Object.GetKind() != "ConfigMap" {
			continue
		}
		b, err := o.Object.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		switch o.Object.GetName() {
		case InjectorConfigMap:
			injCM = b
		case MeshConfigMap:
			meshCM = b
		}
	}
	var c Config
	if c.Injector, err = ParseInjectorConfig(injCM); err != nil {
		t.Fatal(err)
	}
	if c.Values, err = ParseValues(injCM); err != nil {
		t.Fatal(err)
	}
	if c.Mesh, err = ParseMesh(meshCM); err != nil {
		t.Fatal(err)
	}
	fromFiles, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	src := readInput(t, "helloworld.yaml")
	a, _ := run(t, fromFiles, src)
	b, _ := run(t, injectorFor(t, nil, ""), src)
	if !bytes.Equal(a, b) {
		t.Fatalf("files and rendered profile differ:\n%s", golden.Diff(b, a))
	}
}

func TestBadInputNamesFileDocumentLine(t *testing.T) {
	t.Parallel()
	in := injectorFor(t, nil, "")
	tests := []struct{ name, src, want string }{
		{"yaml syntax", "apiVersion: v1\nkind: Service\n---\napiVersion: apps/v1\nkind: Deployment\nspec: [\n", "app.yaml (document 2, line 6, column 7): did not find expected node content"},
		{"bad pod template", "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: x\nspec:\n  template:\n    spec:\n      containers: 5\n", "app.yaml (document 1, line 8, column 7): invalid pod template: json: cannot unmarshal number"},
		{"bad proxy config", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n  annotations:\n    proxy.istio.io/config: '{{'\nspec:\n  containers:\n  - name: a\n", "app.yaml (document 1, line 6, column 5): annotation proxy.istio.io/config: did not find expected node content"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			err := in.Inject("app.yaml", strings.NewReader(tc.src), &out, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("want error containing %q, got %v", tc.want, err)
			}
		})
	}
}

// TestTemplatesAnnotation: inject.istio.io/templates picks the templates by
// name, in order; an unknown name is an error naming the document and the
// template.
func TestTemplatesAnnotation(t *testing.T) {
	t.Parallel()
	base := injectorFor(t, nil, "")
	c := base.cfg.Config
	tm := map[string]string{}
	for k, v := range c.Injector.Templates {
		tm[k] = v
	}
	tm["label"] = "metadata:\n  labels:\n    picked: {{ .DeploymentMeta.Name | quote }}\n"
	c.Injector.Templates = tm
	in, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	pod := func(ann string) string {
		return "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n  annotations:\n    inject.istio.io/templates: " + ann + "\nspec:\n  containers:\n  - name: a\n    image: a\n"
	}
	var out bytes.Buffer
	if err := in.Inject("app.yaml", strings.NewReader(pod(`"label"`)), &out, nil); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "picked: x") || strings.Contains(out.String(), "istio-proxy") {
		t.Fatalf("only the label template should apply:\n%s", out.String())
	}
	out.Reset()
	if err := in.Inject("app.yaml", strings.NewReader(pod(`"sidecar, label"`)), &out, nil); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "picked: x") || !strings.Contains(out.String(), "- name: istio-proxy") {
		t.Fatalf("both templates should apply:\n%s", out.String())
	}
	// The status names what every selected template added, as Istio's
	// accumulated template pod does, not only the last template's.
	if !strings.Contains(out.String(), `"containers":["istio-proxy"]`) || !strings.Contains(out.String(), `"initContainers":["istio-init"]`) {
		t.Fatalf("the status must list the sidecar template's names:\n%s", out.String())
	}
	err = in.Inject("app.yaml", strings.NewReader(pod(`"sidecar,nope"`)), &out, nil)
	if err == nil || !strings.Contains(err.Error(), "app.yaml (document 1, line 1)") || !strings.Contains(err.Error(), `"nope" is not defined`) {
		t.Fatalf("want an error naming the document and the template, got %v", err)
	}
}

// TestOwnProxyContainer: a pod that declares its own istio-proxy container
// customises the proxy: the sidecar template (the default) and the gateway
// template fill that container in and keep the user's settings of it, and
// uninjection gives the user's container back.
func TestOwnProxyContainer(t *testing.T) {
	t.Parallel()
	in := injectorFor(t, nil, "")
	pod := func(ann string) string {
		s := "apiVersion: v1\nkind: Pod\nmetadata:\n  name: gw\n"
		if ann != "" {
			s += "  annotations:\n    inject.istio.io/templates: " + ann + "\n"
		}
		return s + "spec:\n  containers:\n  - name: istio-proxy\n    image: auto\n    args: [\"proxy\", \"router\", \"--custom\"]\n"
	}
	for _, ann := range []string{"", "sidecar"} {
		var out, rep bytes.Buffer
		if err := in.Inject("gw.yaml", strings.NewReader(pod(ann)), &out, func(r Result) { rep.WriteString(r.String()) }); err != nil {
			t.Fatal(err)
		}
		got := out.String()
		if rep.String() != "pod/gw injected" {
			t.Fatalf("templates %q: want the pod injected, got %q", ann, rep.String())
		}
		for _, want := range []string{"image: docker.io/istio/proxyv2:", `args: ["proxy", "router", "--custom"]`, "- name: istio-init", `proxy.istio.io/overrides: '{"containers":[{"name":"istio-proxy","args":["proxy","router","--custom"],"resources":{}}]}'`} {
			if !strings.Contains(got, want) {
				t.Errorf("templates %q: missing %q in\n%s", ann, want, got)
			}
		}
		back, _ := run(t, NewUninjector(), out.Bytes())
		if string(back) != pod(ann) {
			t.Fatalf("templates %q: uninject did not restore the pod:\n%s", ann, golden.Diff([]byte(pod(ann)), back))
		}
	}
	var out bytes.Buffer
	if err := in.Inject("gw.yaml", strings.NewReader(pod("gateway")), &out, nil); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	for _, want := range []string{"image: docker.io/istio/proxyv2:", `args: ["proxy", "router", "--custom"]`, "- name: PILOT_CERT_PROVIDER", `proxy.istio.io/overrides: '{"containers":[{"name":"istio-proxy","args":["proxy","router","--custom"],"resources":{}}]}'`, "net.ipv4.ip_unprivileged_port_start"} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in\n%s", want, got)
		}
	}
	if strings.Contains(got, "initContainers:") || strings.Contains(got, "image: auto") {
		t.Errorf("gateway injection has an init container or kept image auto:\n%s", got)
	}
	back, _ := run(t, NewUninjector(), out.Bytes())
	if string(back) != pod("gateway") {
		t.Fatalf("uninject did not restore the pod:\n%s", golden.Diff([]byte(pod("gateway")), back))
	}
}

// TestNativeSidecarsSupported: istiod's auto rule, every node 1.33 or newer.
func TestNativeSidecarsSupported(t *testing.T) {
	t.Parallel()
	tests := []struct {
		versions []string
		want     bool
	}{
		{nil, true},
		{[]string{"v1.33.0"}, true},
		{[]string{"v1.37.2", "v1.33.1-eks-1234"}, true},
		{[]string{"v1.37.2", "v1.32.9"}, false},
		{[]string{"v1.29.0+k3s1"}, false},
		{[]string{"unknown"}, false},
		{[]string{"v2.0.0"}, false},
	}
	for _, tc := range tests {
		if got := NativeSidecarsSupported(tc.versions); got != tc.want {
			t.Errorf("NativeSidecarsSupported(%v) = %v, want %v", tc.versions, got, tc.want)
		}
	}
}
