package authz

import (
	"strings"
	"testing"

	"github.com/meshctl/meshctl/pkg/yamlstream"
)

func drDoc(name, ns, host, mode string) string {
	return "---\napiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: " + name + ", namespace: " + ns + "}\nspec:\n  host: '" + host + "'\n  trafficPolicy: {tls: {mode: " + mode + "}}\n"
}

const injectorCorp = "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: istio-sidecar-injector, namespace: istio-system}\ndata:\n  values: '{\"global\":{\"proxy\":{\"clusterDomain\":\"corp.example\"}}}'\n"

func buildWith(t testing.TB, docs string, opts BuildOptions) *Snapshot {
	t.Helper()
	l := NewLoader("istio-system")
	if err := yamlstream.Read("test.yaml", strings.NewReader(docs), l.AddDocument); err != nil {
		t.Fatal(err)
	}
	s, err := l.Build(opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// The cluster domain comes from the sidecar injector's values (as
// meshctl analyze reads it), or from BuildOptions, else cluster.local; short
// DestinationRule hosts complete with it and full hosts must use it.
func TestClusterDomain(t *testing.T) {
	t.Parallel()
	rules := drDoc("short", "foo", "httpbin", "SIMPLE") + drDoc("local", "bar", "httpbin.foo.svc.cluster.local", "MUTUAL")
	cases := []struct {
		name, docs, opt, fqdn, rule string
	}{
		{"default", base + rules, "", "httpbin.foo.svc.cluster.local", "bar/local"},
		{"injector values", base + injectorCorp + rules, "", "httpbin.foo.svc.corp.example", "foo/short"},
		{"option wins", base + injectorCorp + rules, "cluster.local", "httpbin.foo.svc.cluster.local", "bar/local"},
		{"option alone", base + rules, "corp.example", "httpbin.foo.svc.corp.example", "foo/short"},
		{"other namespace's injector ignored", base + strings.ReplaceAll(injectorCorp, "istio-system", "other") + rules, "", "httpbin.foo.svc.cluster.local", "bar/local"},
	}
	for _, c := range cases {
		s := buildWith(t, c.docs, BuildOptions{ClusterDomain: c.opt})
		svc, err := s.Service("httpbin.foo", "")
		if err != nil {
			t.Fatal(err)
		}
		if got := svc.FQDN(); got != c.fqdn {
			t.Errorf("%s: FQDN %q, want %q", c.name, got, c.fqdn)
		}
		w, _ := s.Workload("sleep.bar", "")
		if got := s.ClientMode(w, svc, 8000); got.DestinationRule != c.rule {
			t.Errorf("%s: client mode %+v, want the rule %s", c.name, got, c.rule)
		}
	}
}

// Istio compares DestinationRule hosts with service names as written:
// a host in capitals names no Kubernetes service.
func TestDestinationRuleHostIsCaseSensitive(t *testing.T) {
	t.Parallel()
	for _, host := range []string{"HTTPBIN", "Httpbin.foo.svc.cluster.local"} {
		s := snapshotOf(t, base+drDoc("caps", "foo", host, "DISABLE"))
		w, _ := s.Workload("sleep.bar", "")
		svc, _ := s.Service("httpbin.foo", "")
		if got := s.ClientMode(w, svc, 8000); got.DestinationRule != "" || got.Mode != ClientIstioMutual {
			t.Errorf("host %q: %+v, want auto mutual TLS and no rule", host, got)
		}
	}
}

// Sidecar presence follows the injection webhooks' selectors, where the
// earlier copy let a pod label override the namespace.
func TestSidecarFollowsWebhooks(t *testing.T) {
	t.Parallel()
	docs := `apiVersion: v1
kind: Namespace
metadata: {name: closed, labels: {istio-injection: disabled}}
---
apiVersion: v1
kind: Namespace
metadata: {name: open, labels: {istio-injection: enabled}}
---
apiVersion: v1
kind: Namespace
metadata: {name: odd, labels: {istio-injection: "yes", istio.io/rev: canary}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: optin, namespace: closed}
spec: {template: {metadata: {labels: {sidecar.istio.io/inject: "true"}}, spec: {containers: [{name: a}]}}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: revved, namespace: plain}
spec: {template: {metadata: {labels: {istio.io/rev: canary}}, spec: {containers: [{name: a}]}}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: annotated, namespace: plain}
spec: {template: {metadata: {annotations: {sidecar.istio.io/inject: "true"}}, spec: {containers: [{name: a}]}}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: vague, namespace: open}
spec: {template: {metadata: {labels: {sidecar.istio.io/inject: "yes"}}, spec: {containers: [{name: a}]}}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: rev, namespace: odd}
spec: {template: {spec: {containers: [{name: a}]}}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: dns, namespace: kube-system, labels: {}}
spec: {template: {metadata: {labels: {sidecar.istio.io/inject: "true"}}, spec: {containers: [{name: a}]}}}
`
	s := snapshotOf(t, docs)
	want := map[string]string{
		"optin.closed":    "false namespace label istio-injection=disabled",
		"revved.plain":    "true label istio.io/rev=canary",
		"annotated.plain": "false namespace not labelled for injection",
		"vague.open":      "true namespace label istio-injection=enabled",
		"rev.odd":         "false namespace label istio-injection=yes",
		"dns.kube-system": "false namespace kube-system is never injected",
	}
	for id, w := range want {
		wl, err := s.Workload(id, "")
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.TrimSpace(boolWord(wl.Sidecar) + " " + wl.SidecarReason); got != w {
			t.Errorf("%s: %q, want %q", id, got, w)
		}
	}
}

func boolWord(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// A DestinationRule without exportTo follows the mesh config's
// defaultDestinationRuleExportTo: with ".", a rule in foo no longer
// reaches the client in bar, which falls back to auto mutual TLS.
func TestDefaultDestinationRuleExportTo(t *testing.T) {
	t.Parallel()
	// base's mesh config with the private default added.
	private := strings.Replace(base, "    trustDomain: corp.example\n", "    trustDomain: corp.example\n    defaultDestinationRuleExportTo: [\".\"]\n", 1)
	if private == base {
		t.Fatal("base has no mesh config to change")
	}
	rule := drDoc("tls", "foo", "httpbin.foo.svc.cluster.local", "SIMPLE")
	for _, tc := range []struct {
		name, docs, client, want string
	}{
		{"no default: every namespace", base + rule, "sleep.bar", "foo/tls"},
		{"private default: other namespace", private + rule, "sleep.bar", ""},
	} {
		s := snapshotOf(t, tc.docs)
		w, err := s.Workload(tc.client, "")
		if err != nil {
			t.Fatal(err)
		}
		svc, _ := s.Service("httpbin.foo", "")
		if got := s.ClientMode(w, svc, 8000); got.DestinationRule != tc.want {
			t.Errorf("%s: client mode %+v, want the rule %q", tc.name, got, tc.want)
		}
	}
}
