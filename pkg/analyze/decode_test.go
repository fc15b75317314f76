package analyze

import (
	"reflect"
	"strings"
	"testing"

	networking "istio.io/api/networking/v1alpha3"

	"github.com/meshctl/meshctl/pkg/yamlstream"
)

func TestSchemaErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		spec string
		want []string
	}{
		{"valid", "hosts: [a]\nhttp: [{timeout: 5s, retries: {attempts: 3, perTryTimeout: 1m}, route: [{destination: {host: a, port: {number: 80}}, weight: 100}], headers: {request: {set: {x-env: prod}}}}]", nil},
		{"unknown field", "hosts: [a]\nhttp: [{rout: []}]", []string{`spec.http[0].rout: unknown field "rout" in HTTPRoute`, "spec.http[0]: an HTTP route needs route, redirect, directResponse or delegate"}},
		{"wrong type", "hosts: a", []string{"spec.hosts: must be a list, not a string"}},
		{"bad duration", "hosts: [a]\nhttp: [{timeout: soon, route: [{destination: {host: a}}]}]", []string{`spec.http[0].timeout: invalid duration "soon"`}},
		{"negative port", "hosts: [a]\nhttp: [{route: [{destination: {host: a, port: {number: -1}}}]}]", []string{"spec.http[0].route[0].destination.port.number: must be an integer between 0 and 4294967295, not -1"}},
		{"oneof twice", "hosts: [a]\nhttp: [{match: [{uri: {exact: /a, prefix: /b}}], route: [{destination: {host: a}}]}]", []string{`spec.http[0].match[0].uri.prefix: only one of "exact" and "prefix" may be set`}},
		{"missing host", "hosts: [a]\nhttp: [{route: [{weight: 100}]}]", []string{"spec.http[0].route[0].destination: required"}},
		{"not an object", "[1, 2]", []string{"spec: must be an object, not a list"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			src := "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: v}\nspec:\n  " + strings.ReplaceAll(tc.spec, "\n", "\n  ") + "\n"
			rs := load(t, src)
			if len(rs) != 1 {
				t.Fatalf("%d resources", len(rs))
			}
			var got []string
			for _, fe := range rs[0].FieldErrors {
				got = append(got, fe.Error())
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
	rs := load(t, "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: v}\nspec:\n  hosts: [a]\n  http: [{timeout: 1m30s, route: [{destination: {host: a}}]}]\n")
	vs := rs[0].Spec.(*networking.VirtualService)
	if got := vs.GetHttp()[0].GetTimeout().AsDuration().String(); got != "1m30s" {
		t.Errorf("timeout decoded as %s", got)
	}
}

func TestDecodeDocument(t *testing.T) {
	t.Parallel()
	src := `apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Service
  metadata: {name: a}
  spec: {ports: [{name: http, port: 80}]}
- apiVersion: v1
  kind: ServiceAccount
  metadata: {name: sa}
---
foo: bar
---
# only a comment
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: k8s-gw}
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: edge}
spec: {servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*"]}]}
`
	var rs []*Resource
	var sk []Skipped
	err := yamlstream.Read("in.yaml", strings.NewReader(src), func(d yamlstream.Document) error {
		r, s, err := DecodeDocument(d, "shop")
		rs = append(rs, r...)
		sk = append(sk, s...)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 2 || rs[0].Kind != "Service" || rs[0].Namespace != "shop" || rs[1].Kind != "Gateway" || rs[1].Namespace != "edge" || rs[1].Line != 20 {
		t.Fatalf("resources: %+v %+v", rs[0], rs[len(rs)-1])
	}
	var reasons []string
	for _, s := range sk {
		reasons = append(reasons, s.String())
	}
	want := []string{
		"in.yaml:1: v1 ServiceAccount sa: kind not analyzed",
		"in.yaml:12: not a Kubernetes object (no apiVersion or kind)",
		"in.yaml:16: gateway.networking.k8s.io/v1 Gateway k8s-gw: kind not analyzed",
	}
	if strings.Join(reasons, "\n") != strings.Join(want, "\n") {
		t.Fatalf("skipped:\n%s", strings.Join(reasons, "\n"))
	}
	_, _, err = DecodeDocument(yamlstream.Document{Source: "bad.yaml", Index: 2, Line: 7, Raw: []byte("a: [b\n")}, "default")
	if err == nil || !strings.Contains(err.Error(), "bad.yaml (document 2, line 7, column 4): did not find expected ',' or ']'") {
		t.Fatalf("bad YAML error = %v", err)
	}
}

func TestDuplicatesAndLayering(t *testing.T) {
	t.Parallel()
	a := &Resource{Kind: "Namespace", Name: "x", File: "a.yaml", Line: 1}
	b := &Resource{Kind: "Namespace", Name: "x", File: "b.yaml", Line: 3, Labels: map[string]string{"istio-injection": "enabled"}}
	live := &Resource{Kind: "Namespace", Name: "x"}
	s := NewSnapshot([]*Resource{a, b, live}, SnapshotOptions{})
	if got := s.Get("Namespace", "", "x"); got != b {
		t.Fatalf("got %+v, want the later file resource", got)
	}
	d := s.Duplicates()
	if len(d) != 1 || d[0].First != "a.yaml:1" || d[0].Later != "b.yaml:3" {
		t.Fatalf("duplicates = %+v", d)
	}
}

func TestMeshConfig(t *testing.T) {
	t.Parallel()
	mc, err := ParseMeshConfig([]byte("rootNamespace: mesh-root\nunknownFutureField: 1\n"))
	if err != nil || mc.GetRootNamespace() != "mesh-root" {
		t.Fatalf("%v %v", mc, err)
	}
	cm := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: istio}\ndata:\n  mesh: |\n    rootNamespace: other\n"
	mc, err = ParseMeshConfig([]byte(cm))
	if err != nil || mc.GetRootNamespace() != "other" {
		t.Fatalf("%v %v", mc, err)
	}
	if _, err := ParseMeshConfig([]byte("rootNamespace: [")); err == nil {
		t.Fatal("bad YAML accepted")
	}
	// The injector's cluster domain completes short names.
	src := `apiVersion: v1
kind: ConfigMap
metadata: {name: istio-sidecar-injector, namespace: istio-system}
data:
  values: '{"global":{"proxy":{"clusterDomain":"corp.example"}}}'
`
	s := NewSnapshot(load(t, src), SnapshotOptions{})
	if got := s.FQDN("a", "b"); got != "a.b.svc.corp.example" {
		t.Fatalf("FQDN = %s", got)
	}
	if got := NewSnapshot(load(t, src), SnapshotOptions{ClusterDomain: "flag.example"}).FQDN("a", "b"); got != "a.b.svc.flag.example" {
		t.Fatalf("flag should win: %s", got)
	}
}

func TestSelect(t *testing.T) {
	t.Parallel()
	as, err := Select([]string{"virtualservice"})
	if err != nil || len(as) != 5 {
		t.Fatalf("%d analyzers, %v", len(as), err)
	}
	as, err = Select([]string{"schema.ValidationAnalyzer", "*.CaCertificateAnalyzer"})
	if err != nil || len(as) != 2 {
		t.Fatalf("%d analyzers, %v", len(as), err)
	}
	if _, err := Select([]string{"nope"}); err == nil {
		t.Fatal("unknown analyzer accepted")
	}
	in := Inputs(as)
	if len(in) == 0 || in[0] > in[len(in)-1] {
		t.Fatalf("inputs = %v", in)
	}
	codes := map[string]bool{}
	for _, a := range All() {
		for _, c := range a.Codes() {
			codes[c.Code] = true
		}
	}
	for _, c := range []string{"IST0002", "IST0101", "IST0102", "IST0103", "IST0106", "IST0107", "IST0108", "IST0109", "IST0110", "IST0111", "IST0112", "IST0118", "IST0123", "IST0125", "IST0127", "IST0128", "IST0129", "IST0130", "IST0131", "IST0132", "IST0135", "IST0137", "IST0144", "IST0145", "IST0162", "IST0167", "IST0173", "IST0174"} {
		if !codes[c] {
			t.Errorf("no analyzer reports %s", c)
		}
	}
}

func FuzzReadAndAnalyze(f *testing.F) {
	f.Add([]byte("apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: a}\nspec: {hosts: [a], http: [{route: [{destination: {host: b, subset: c}}]}]}\n"))
	f.Add([]byte("apiVersion: v1\nkind: List\nitems: [{apiVersion: v1, kind: Service, metadata: {name: s}, spec: {ports: [{port: 1}]}}]\n---\n{\"a\": 1}\n"))
	f.Add([]byte("apiVersion: authentication.istio.io/v1alpha1\nkind: Policy\nmetadata: {name: p}\nspec: {targets: [{name: x, ports: [{number: 1}]}], peers: [{mtls: null}], origins: [{jwt: {issuer: i}}]}\n"))
	f.Add([]byte("apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {name: g}\nspec: {selector: {a: b}, servers: [{port: {number: 99999999999}, hosts: [1]}]}\n"))
	f.Add([]byte("- a\n- b: &x {c: *x}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var rs []*Resource
		_ = yamlstream.Read("fuzz.yaml", strings.NewReader(string(data)), func(d yamlstream.Document) error {
			r, _, err := DecodeDocument(d, "default")
			rs = append(rs, r...)
			return err
		})
		ms := Run(NewSnapshot(rs, SnapshotOptions{}), All(), RunOptions{})
		for _, m := range ms {
			if m.Type == nil || m.Text == "" {
				t.Fatalf("empty message %+v", m)
			}
		}
	})
}

func TestParseYAML(t *testing.T) {
	t.Parallel()
	m, err := parseYAML(yamlstream.Document{Raw: []byte("a: 1\nb: 1.5\nc: true\nd: null\ne: '1'\nf: 0x10\ng: [x, {h: i}]\nbase: &b {k: v, w: 1}\nmerged:\n  <<: *b\n  w: 2\n")})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"a": int64(1), "b": 1.5, "c": true, "d": nil, "e": "1", "f": int64(16),
		"g":      []any{"x", map[string]any{"h": "i"}},
		"base":   map[string]any{"k": "v", "w": int64(1)},
		"merged": map[string]any{"k": "v", "w": int64(2)},
	}
	if !reflect.DeepEqual(m, want) {
		t.Fatalf("got %#v", m)
	}
	// Nested aliases that would expand to billions of nodes are refused.
	bomb := "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\ng: [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n"
	if _, err := parseYAML(yamlstream.Document{Raw: []byte(bomb)}); err == nil {
		t.Fatal("alias bomb accepted")
	}
	if _, err := parseYAML(yamlstream.Document{Raw: []byte("- a\n")}); err == nil {
		t.Fatal("a list document accepted")
	}
}

func TestKubernetesDecodeErrorNamesField(t *testing.T) {
	t.Parallel()
	rs := load(t, "apiVersion: v1\nkind: Service\nmetadata: {name: x}\nspec: {ports: [{port: abc}]}\n")
	if len(rs) != 1 || len(rs[0].FieldErrors) != 1 {
		t.Fatalf("%+v", rs)
	}
	if got := rs[0].FieldErrors[0].Error(); got != "spec.ports.port: must be an integer, not a JSON string" {
		t.Fatalf("error = %q", got)
	}
}
