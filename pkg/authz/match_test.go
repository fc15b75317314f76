package authz

import (
	"bytes"
	"encoding/xml"
	"strings"
	"testing"
)

func TestMatchString(t *testing.T) {
	t.Parallel()
	cases := []struct {
		pattern, v string
		want       bool
	}{
		{"GET", "GET", true}, {"GET", "get", false}, {"GET", "POST", false},
		{"*", "anything", true}, {"*", "", false},
		{"PO*", "POST", true}, {"PO*", "PUT", false},
		{"*ST", "POST", true}, {"*ST", "PUT", false},
	}
	for _, c := range cases {
		if got := matchString(c.pattern, c.v); got != c.want {
			t.Errorf("matchString(%q, %q) = %v, want %v", c.pattern, c.v, got, c.want)
		}
	}
}

func TestMatchPath(t *testing.T) {
	t.Parallel()
	cases := []struct {
		pattern, path string
		want          bool
	}{
		{"/ip", "/ip", true},
		{"/ip", "/ip?x=1", true},
		{"/ip", "/ip/", false},
		{"/ip", "/headers", false},
		{"/api/*", "/api/v1/users", true},
		{"/api/*", "/apx", false},
		{"*/healthz", "/a/b/healthz", true},
		{"*/healthz", "/healthz/x", false},
		{"*", "/", true},
		{"/users/{*}/profile", "/users/alice/profile", true},
		{"/users/{*}/profile", "/users/a/b/profile", false},
		{"/users/{*}/profile", "/users//profile", false},
		{"/files/{**}", "/files/a/b/c.txt", true},
		{"/files/{**}", "/files", false},
		{"/files/{**}/raw", "/files/a/b/raw", true},
		{"/files/{**}/raw", "/files/raw", false},
		{"/img/{*}/*.png", "/img/x/cat.png", true},
		{"/img/{*}/*.png", "/img/x/cat.jpg", false},
	}
	for _, c := range cases {
		if got := matchPath(c.pattern, c.path); got != c.want {
			t.Errorf("matchPath(%q, %q) = %v, want %v", c.pattern, c.path, got, c.want)
		}
	}
}

func TestMatchHostPortIP(t *testing.T) {
	t.Parallel()
	if !matchHost("HTTPBIN.foo:8000", "httpbin.foo:8000") || matchHost("httpbin.foo", "httpbin.foo:8000") || !matchHost("httpbin.*", "httpbin.foo:8000") || !matchHost("*:8000", "httpbin.foo:8000") {
		t.Error("host matching")
	}
	if !matchPort("80", 80) || matchPort("80", 8000) || matchPort("http", 80) {
		t.Error("port matching")
	}
	ipCases := []struct {
		block, ip string
		want      bool
	}{
		{"10.0.0.0/8", "10.1.2.3", true}, {"10.0.0.0/8", "11.0.0.1", false},
		{"10.1.2.3", "10.1.2.3", true}, {"10.1.2.3", "10.1.2.4", false},
		{"10.0.0.0/8", "", false}, {"bad", "10.1.2.3", false}, {"fd00::/8", "fd00::1", true},
	}
	for _, c := range ipCases {
		if got := matchIP(c.block, c.ip); got != c.want {
			t.Errorf("matchIP(%q, %q) = %v, want %v", c.block, c.ip, got, c.want)
		}
	}
}

func TestMatchPrincipalTrustDomains(t *testing.T) {
	t.Parallel()
	mesh := Mesh{TrustDomain: "corp.example", TrustDomainAliases: []string{"old.example"}}
	peer := principal{td: "corp.example", ns: "foo", sa: "sleep"}
	cases := []struct {
		pattern string
		want    bool
	}{
		{"corp.example/ns/foo/sa/sleep", true},
		{"spiffe://corp.example/ns/foo/sa/sleep", true},
		{"cluster.local/ns/foo/sa/sleep", true}, // cluster.local means the mesh's own trust domain
		{"old.example/ns/foo/sa/sleep", true},   // an alias
		{"other.example/ns/foo/sa/sleep", false},
		{"corp.example/ns/bar/sa/sleep", false},
		{"*/ns/foo/sa/sleep", true},
		{"corp.example/ns/foo/*", true},
		{"*", true},
	}
	for _, c := range cases {
		if got := matchPrincipal(c.pattern, peer, mesh); got != c.want {
			t.Errorf("matchPrincipal(%q) = %v, want %v", c.pattern, got, c.want)
		}
	}
	if matchPrincipal("*", principal{}, mesh) {
		t.Error("a plaintext peer matched principals [*]")
	}
	if !matchNamespace("foo", peer) || matchNamespace("bar", peer) || !matchNamespace("f*", peer) || matchNamespace("*", principal{}) {
		t.Error("namespace matching")
	}
	if !matchServiceAccount("foo/sleep", "x", peer) || !matchServiceAccount("sleep", "foo", peer) || matchServiceAccount("sleep", "bar", peer) {
		t.Error("service account matching")
	}
}

// policyCase evaluates one AuthorizationPolicy on httpbin.foo (STRICT, so
// clients with a sidecar have an identity) against one request.
type policyCase struct {
	name   string
	policy string
	from   string
	req    Request
	want   Outcome
	reason string
}

const base = `apiVersion: v1
kind: Namespace
metadata: {name: foo, labels: {istio-injection: enabled}}
---
apiVersion: v1
kind: Namespace
metadata: {name: bar, labels: {istio-injection: enabled}}
---
apiVersion: v1
kind: Namespace
metadata: {name: legacy}
---
apiVersion: v1
kind: Service
metadata: {name: httpbin, namespace: foo}
spec: {selector: {app: httpbin}, ports: [{name: http, port: 8000, targetPort: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: db, namespace: foo}
spec: {selector: {app: httpbin}, ports: [{name: tcp-db, port: 5432, targetPort: 5432}]}
---
apiVersion: v1
kind: Pod
metadata: {name: httpbin, namespace: foo, labels: {app: httpbin}}
spec: {serviceAccountName: httpbin, containers: [{name: httpbin, image: x}]}
---
apiVersion: v1
kind: Pod
metadata: {name: sleep, namespace: bar, labels: {app: sleep}}
spec: {serviceAccountName: sleep, containers: [{name: sleep, image: x}]}
status: {podIP: 10.0.0.7}
---
apiVersion: v1
kind: Pod
metadata: {name: sleep, namespace: legacy, labels: {app: sleep}}
spec: {containers: [{name: sleep, image: x}]}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: istio, namespace: istio-system}
data:
  mesh: |
    trustDomain: corp.example
---
apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata: {name: jwt, namespace: foo}
spec:
  jwtRules:
  - issuer: https://issuer.example
    audiences: [httpbin]
---
`

func snapshotOf(t testing.TB, docs string) *Snapshot {
	t.Helper()
	return buildWith(t, docs, BuildOptions{})
}

func ap(action, rules string) string {
	return "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: p, namespace: foo}\nspec:\n  action: " + action + "\n  rules:\n" + rules
}

func TestPolicyMatchers(t *testing.T) {
	t.Parallel()
	jwt := map[string][]string{"iss": {"https://issuer.example"}, "sub": {"alice"}, "aud": {"httpbin"}, "groups": {"admin", "dev"}, "org.team": {"blue"}}
	cases := []policyCase{
		{name: "allow namespace hit", policy: ap("ALLOW", "  - from: [{source: {namespaces: [bar]}}]\n"), from: "sleep.bar", want: Allowed},
		{name: "allow namespace miss", policy: ap("ALLOW", "  - from: [{source: {namespaces: [baz]}}]\n"), from: "sleep.bar", want: Denied, reason: `source.namespaces [baz] does not match peer namespace "bar"`},
		{name: "allow namespace plaintext", policy: ap("ALLOW", "  - from: [{source: {namespaces: [legacy]}}]\n") + "\n---\napiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: default, namespace: foo}\nspec: {mtls: {mode: PERMISSIVE}}\n", from: "sleep.legacy", want: Denied, reason: "no namespace without mutual TLS"},
		{name: "notNamespaces", policy: ap("DENY", "  - from: [{source: {notNamespaces: [foo]}}]\n"), from: "sleep.bar", want: Denied},
		{name: "notNamespaces own", policy: ap("DENY", "  - from: [{source: {notNamespaces: [bar]}}]\n"), from: "sleep.bar", want: Allowed},
		{name: "principal cluster.local alias", policy: ap("ALLOW", "  - from: [{source: {principals: [cluster.local/ns/bar/sa/sleep]}}]\n"), from: "sleep.bar", want: Allowed},
		{name: "principal wrong sa", policy: ap("ALLOW", "  - from: [{source: {principals: [corp.example/ns/bar/sa/other]}}]\n"), from: "sleep.bar", want: Denied},
		{name: "notPrincipals star denies plaintext", policy: ap("DENY", "  - from: [{source: {notPrincipals: ['*']}}]\n") + "\n---\napiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: default, namespace: foo}\nspec: {mtls: {mode: PERMISSIVE}}\n", from: "sleep.legacy", want: Denied},
		{name: "serviceAccounts", policy: ap("ALLOW", "  - from: [{source: {serviceAccounts: [bar/sleep]}}]\n"), from: "sleep.bar", want: Allowed},
		{name: "ipBlocks hit", policy: ap("ALLOW", "  - from: [{source: {ipBlocks: [10.0.0.0/24]}}]\n"), from: "sleep.bar", want: Allowed},
		{name: "notIpBlocks", policy: ap("DENY", "  - from: [{source: {notIpBlocks: [10.0.0.0/24]}}]\n"), from: "sleep.bar", want: Allowed},
		{name: "remoteIpBlocks override", policy: ap("ALLOW", "  - from: [{source: {remoteIpBlocks: [192.168.0.0/16]}}]\n"), from: "sleep.bar", req: Request{SourceIP: "192.168.1.1"}, want: Allowed},
		{name: "methods", policy: ap("ALLOW", "  - to: [{operation: {methods: [GET, HEAD]}}]\n"), from: "sleep.bar", req: Request{Method: "POST"}, want: Denied, reason: `operation.methods [GET HEAD] does not match method "POST"`},
		{name: "notMethods", policy: ap("DENY", "  - to: [{operation: {notMethods: [GET]}}]\n"), from: "sleep.bar", req: Request{Method: "DELETE"}, want: Denied},
		{name: "paths prefix", policy: ap("ALLOW", "  - to: [{operation: {paths: ['/status/*']}}]\n"), from: "sleep.bar", req: Request{Path: "/status/200"}, want: Allowed},
		{name: "notPaths", policy: ap("DENY", "  - to: [{operation: {notPaths: ['/public/*']}}]\n"), from: "sleep.bar", req: Request{Path: "/admin"}, want: Denied},
		{name: "ports target port", policy: ap("ALLOW", "  - to: [{operation: {ports: ['80']}}]\n"), from: "sleep.bar", want: Allowed},
		{name: "ports service port does not count", policy: ap("ALLOW", "  - to: [{operation: {ports: ['8000']}}]\n"), from: "sleep.bar", want: Denied},
		{name: "hosts", policy: ap("ALLOW", "  - to: [{operation: {hosts: ['httpbin.foo:8000']}}]\n"), from: "sleep.bar", want: Allowed},
		{name: "notHosts", policy: ap("DENY", "  - to: [{operation: {notHosts: ['httpbin.foo*']}}]\n"), from: "sleep.bar", req: Request{Host: "evil.example"}, want: Denied},
		{name: "header condition", policy: ap("ALLOW", "  - when: [{key: 'request.headers[X-User]', values: [alice]}]\n"), from: "sleep.bar", req: Request{Headers: map[string]string{"x-user": "alice"}}, want: Allowed},
		{name: "header condition missing", policy: ap("ALLOW", "  - when: [{key: 'request.headers[X-User]', values: [alice]}]\n"), from: "sleep.bar", want: Denied},
		{name: "notValues", policy: ap("DENY", "  - when: [{key: source.namespace, notValues: [foo]}]\n"), from: "sleep.bar", want: Denied},
		{name: "jwt claim", policy: ap("ALLOW", "  - when: [{key: 'request.auth.claims[groups]', values: [admin]}]\n"), from: "sleep.bar", req: Request{Claims: jwt}, want: Allowed},
		{name: "jwt nested claim", policy: ap("ALLOW", "  - when: [{key: 'request.auth.claims[org][team]', values: [blue]}]\n"), from: "sleep.bar", req: Request{Claims: jwt}, want: Allowed},
		{name: "jwt claim miss", policy: ap("ALLOW", "  - when: [{key: 'request.auth.claims[groups]', values: [ops]}]\n"), from: "sleep.bar", req: Request{Claims: jwt}, want: Denied},
		{name: "requestPrincipals", policy: ap("ALLOW", "  - from: [{source: {requestPrincipals: ['https://issuer.example/*']}}]\n"), from: "sleep.bar", req: Request{Claims: jwt}, want: Allowed},
		{name: "requestPrincipals without token", policy: ap("ALLOW", "  - from: [{source: {requestPrincipals: ['*']}}]\n"), from: "sleep.bar", want: Denied},
		{name: "unknown issuer 401", policy: ap("AUDIT", "  - {}\n"), from: "sleep.bar", req: Request{Claims: map[string][]string{"iss": {"https://evil.example"}}}, want: Unauthenticated},
		{name: "wrong audience 401", policy: ap("AUDIT", "  - {}\n"), from: "sleep.bar", req: Request{Claims: map[string][]string{"iss": {"https://issuer.example"}, "aud": {"x"}}}, want: Unauthenticated},
		{name: "deny wins over allow", policy: ap("DENY", "  - from: [{source: {namespaces: [bar]}}]\n") + "\n---\n" + strings.Replace(ap("ALLOW", "  - {}\n"), "name: p", "name: q", 1), from: "sleep.bar", want: Denied},
		{name: "empty rule allows", policy: ap("ALLOW", "  - {}\n"), from: "sleep.bar", want: Allowed},
		{name: "deny without rules denies nothing", policy: "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: p, namespace: foo}\nspec: {action: DENY}\n", from: "sleep.bar", want: Allowed},
		{name: "dry run allow is not enforced", policy: "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: p, namespace: foo, annotations: {istio.io/dry-run: 'true'}}\nspec: {}\n", from: "sleep.bar", want: Allowed},
		{name: "selector elsewhere", policy: "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: p, namespace: foo}\nspec: {selector: {matchLabels: {app: other}}}\n", from: "sleep.bar", want: Allowed},
		{name: "root namespace applies", policy: "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: p, namespace: istio-system}\nspec: {}\n", from: "sleep.bar", want: Denied},
		{name: "other namespace does not apply", policy: "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: p, namespace: bar}\nspec: {}\n", from: "sleep.bar", want: Allowed},
		{name: "custom predicted allowed", policy: "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: p, namespace: foo}\nspec: {action: CUSTOM, provider: {name: opa}, rules: [{}]}\n", from: "sleep.bar", want: Allowed, reason: `provider "opa"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			s := snapshotOf(t, base+c.policy)
			w, err := s.Workload(c.from, "")
			if err != nil {
				t.Fatal(err)
			}
			svc, _ := s.Service("httpbin.foo", "")
			req := c.req
			req.From, req.To = w, svc
			r := s.Evaluate(req)
			if r.Outcome != c.want {
				t.Fatalf("outcome %s, want %s: %s\n%+v", r.Outcome, c.want, r.Summary, r.Backend)
			}
			if c.reason != "" {
				var b bytes.Buffer
				_ = WriteExplanation(&b, r)
				if !strings.Contains(b.String(), c.reason) {
					t.Fatalf("explanation lacks %q:\n%s", c.reason, b.String())
				}
			}
		})
	}
}

func TestTCPPortsAndHTTPOnlyFields(t *testing.T) {
	t.Parallel()
	// On a TCP port an ALLOW rule with methods is ignored (denied); a DENY
	// rule with methods is widened (denied).
	for _, action := range []string{"ALLOW", "DENY"} {
		s := snapshotOf(t, base+ap(action, "  - to: [{operation: {methods: [GET]}}]\n"))
		w, _ := s.Workload("sleep.bar", "")
		svc, _ := s.Service("db.foo", "")
		if r := s.Evaluate(Request{From: w, To: svc}); r.Outcome != Denied {
			t.Errorf("%s on TCP: %s (%s)", action, r.Outcome, r.Summary)
		}
	}
}

func TestPeerAuthenticationPrecedence(t *testing.T) {
	t.Parallel()
	pa := func(name, ns, sel, mode, port string) string {
		s := "---\napiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: " + name + ", namespace: " + ns + "}\nspec:\n"
		if sel != "" {
			s += "  selector: {matchLabels: {app: " + sel + "}}\n"
		}
		if mode != "" {
			s += "  mtls: {mode: " + mode + "}\n"
		}
		if port != "" {
			s += "  portLevelMtls: {80: {mode: " + port + "}}\n"
		}
		return s
	}
	cases := []struct {
		name, docs, want, policy string
	}{
		{"none", "", ModePermissive, ""},
		{"mesh", pa("default", "istio-system", "", "STRICT", ""), ModeStrict, "istio-system/default"},
		{"namespace over mesh", pa("default", "istio-system", "", "STRICT", "") + pa("ns", "foo", "", "DISABLE", ""), ModeDisable, "foo/ns"},
		{"unset inherits", pa("default", "istio-system", "", "STRICT", "") + pa("ns", "foo", "", "UNSET", ""), ModeStrict, "istio-system/default"},
		{"workload over namespace", pa("ns", "foo", "", "STRICT", "") + pa("wl", "foo", "httpbin", "PERMISSIVE", ""), ModePermissive, "foo/wl"},
		{"port level", pa("ns", "foo", "", "STRICT", "") + pa("wl", "foo", "httpbin", "", "DISABLE"), ModeDisable, "foo/wl"},
		{"other namespace ignored", pa("ns", "bar", "", "STRICT", ""), ModePermissive, ""},
		{"root selector not for other ns", pa("x", "istio-system", "httpbin", "STRICT", ""), ModePermissive, ""},
	}
	for _, c := range cases {
		s := snapshotOf(t, base+c.docs)
		w, _ := s.Workload("httpbin.foo", "")
		got := s.ServerMode(w, 80)
		if got.Mode != c.want || got.Policy != c.policy {
			t.Errorf("%s: %+v, want %s from %q", c.name, got, c.want, c.policy)
		}
	}
}

func TestDestinationRulePrecedence(t *testing.T) {
	t.Parallel()
	dr := func(name, ns, host, mode, export string) string {
		s := "---\napiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: " + name + ", namespace: " + ns + "}\nspec:\n  host: '" + host + "'\n"
		if export != "" {
			s += "  exportTo: ['" + export + "']\n"
		}
		return s + "  trafficPolicy: {tls: {mode: " + mode + "}}\n"
	}
	cases := []struct {
		name, docs, want, rule string
	}{
		{"wildcard", dr("all", "istio-system", "*.local", "ISTIO_MUTUAL", ""), ClientIstioMutual, "istio-system/all"},
		{"exact beats wildcard", dr("all", "istio-system", "*.local", "ISTIO_MUTUAL", "") + dr("one", "istio-system", "httpbin.foo.svc.cluster.local", "DISABLE", ""), ClientDisable, "istio-system/one"},
		{"short name in service namespace", dr("short", "foo", "httpbin", "SIMPLE", ""), ClientSimple, "foo/short"},
		{"client namespace first", dr("svcns", "foo", "httpbin", "DISABLE", "") + dr("mine", "bar", "httpbin.foo.svc.cluster.local", "ISTIO_MUTUAL", ""), ClientIstioMutual, "bar/mine"},
		{"not exported", dr("private", "foo", "httpbin", "ISTIO_MUTUAL", "."), ClientDisable, ""},
		// istiod reads the client's, the service's and the root namespace
		// only (measured against it in test/istiod).
		{"third namespace never applies", dr("elsewhere", "legacy", "*.foo.svc.cluster.local", "ISTIO_MUTUAL", ""), ClientDisable, ""},
		{"port level", "---\napiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: pl, namespace: foo}\nspec:\n  host: httpbin\n  trafficPolicy:\n    tls: {mode: DISABLE}\n    portLevelSettings: [{port: {number: 8000}, tls: {mode: ISTIO_MUTUAL}}]\n", ClientIstioMutual, "foo/pl"},
	}
	for _, c := range cases {
		s := snapshotOf(t, base+c.docs)
		s.Mesh.AutoMTLS = false
		w, _ := s.Workload("sleep.bar", "")
		svc, _ := s.Service("httpbin.foo", "")
		got := s.ClientMode(w, svc, 8000)
		if got.Mode != c.want || got.DestinationRule != c.rule {
			t.Errorf("%s: %+v, want %s from %q", c.name, got, c.want, c.rule)
		}
	}
}

func TestSidecarDetection(t *testing.T) {
	t.Parallel()
	docs := `apiVersion: v1
kind: Namespace
metadata: {name: rev, labels: {istio.io/rev: canary}}
---
apiVersion: v1
kind: Namespace
metadata: {name: closed, labels: {istio-injection: disabled}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: optin, namespace: plain}
spec: {template: {metadata: {labels: {sidecar.istio.io/inject: "true"}}, spec: {containers: [{name: a}]}}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: optout, namespace: rev}
spec: {template: {metadata: {labels: {sidecar.istio.io/inject: "false"}}, spec: {containers: [{name: a}]}}}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: revved, namespace: rev}
spec: {template: {spec: {containers: [{name: a}]}}}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: host, namespace: rev}
spec: {template: {spec: {hostNetwork: true, containers: [{name: a}]}}}
---
apiVersion: batch/v1
kind: Job
metadata: {name: injected, namespace: closed}
spec: {template: {spec: {containers: [{name: a}, {name: istio-proxy}]}}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: disabled, namespace: closed}
spec: {template: {spec: {containers: [{name: a}]}}}
`
	s := snapshotOf(t, docs)
	want := map[string]bool{"optin.plain": true, "optout.rev": false, "revved.rev": true, "host.rev": false, "injected.closed": true, "disabled.closed": false}
	for id, sc := range want {
		w, err := s.Workload(id, "")
		if err != nil {
			t.Fatal(err)
		}
		if w.Sidecar != sc {
			t.Errorf("%s: sidecar %v (%s), want %v", id, w.Sidecar, w.SidecarReason, sc)
		}
	}
}

func TestCheckWarnings(t *testing.T) {
	t.Parallel()
	docs := base + "---\napiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: default, namespace: foo}\nspec: {mtls: {mode: DISABLE}}\n---\n" +
		ap("ALLOW", "  - from: [{source: {namespaces: [bar]}}]\n") +
		"---\napiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: ghost, namespace: foo}\nspec: {selector: {matchLabels: {app: ghost}}}\n"
	s := snapshotOf(t, docs)
	w, _ := s.Workload("httpbin.foo", "")
	c := s.CheckWorkload(w)
	joined := strings.Join(c.Warnings, "\n")
	for _, want := range []string{"ALLOW foo/p uses source.principals or source.namespaces, but httpbin.foo does not accept mutual TLS", "AuthorizationPolicy foo/ghost: selector app=ghost matches no workload"} {
		if !strings.Contains(joined, want) {
			t.Errorf("warnings lack %q:\n%s", want, joined)
		}
	}
	if len(c.Policies) != 1 || c.Policies[0].Rules[0] != "from namespaces [bar]" {
		t.Errorf("policies: %+v", c.Policies)
	}
}

func TestSVGIsWellFormed(t *testing.T) {
	t.Parallel()
	s := loadScenario(t, scenarios[4])
	var b bytes.Buffer
	if err := s.Matrix(MatrixOptions{}).WriteSVG(&b); err != nil {
		t.Fatal(err)
	}
	d := xml.NewDecoder(&b)
	rects := 0
	for {
		tok, err := d.Token()
		if err != nil {
			if err.Error() == "EOF" {
				break
			}
			t.Fatalf("SVG is not well-formed XML: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "rect" {
			rects++
		}
	}
	m := s.Matrix(MatrixOptions{})
	if want := 1 + len(m.Cells) + len(legend()); rects != want {
		t.Errorf("%d rects, want %d", rects, want)
	}
}

func TestMixedBackends(t *testing.T) {
	t.Parallel()
	docs := base + `---
apiVersion: v1
kind: Pod
metadata: {name: httpbin-v2, namespace: foo, labels: {app: httpbin, version: v2}}
spec: {serviceAccountName: httpbin, containers: [{name: httpbin, image: x}]}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: v2-only, namespace: foo}
spec: {selector: {matchLabels: {version: v2}}}
`
	s := snapshotOf(t, docs)
	w, _ := s.Workload("sleep.bar", "")
	svc, _ := s.Service("httpbin.foo", "")
	r := s.Evaluate(Request{From: w, To: svc})
	if r.Outcome != Mixed || len(r.Backend) != 2 || r.Backend[0].Outcome != Allowed || r.Backend[1].Outcome != Denied {
		t.Fatalf("%s: %+v", r.Outcome, r.Backend)
	}
}

func TestAutoMTLSRespectsWorkloadDisable(t *testing.T) {
	t.Parallel()
	docs := base + `---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: wl, namespace: foo}
spec: {selector: {matchLabels: {app: httpbin}}, mtls: {mode: DISABLE}}
`
	s := snapshotOf(t, docs)
	w, _ := s.Workload("sleep.bar", "")
	svc, _ := s.Service("httpbin.foo", "")
	if r := s.Evaluate(Request{From: w, To: svc}); r.Outcome != Allowed {
		t.Fatalf("auto mTLS to a DISABLE workload: %s (%s)", r.Outcome, r.Summary)
	}
	docs += `---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: m, namespace: foo}
spec: {host: httpbin, trafficPolicy: {tls: {mode: ISTIO_MUTUAL}}}
`
	s = snapshotOf(t, docs)
	w, _ = s.Workload("sleep.bar", "")
	svc, _ = s.Service("httpbin.foo", "")
	if r := s.Evaluate(Request{From: w, To: svc}); r.Outcome != TLSMismatch {
		t.Fatalf("explicit ISTIO_MUTUAL to a DISABLE workload: %s (%s)", r.Outcome, r.Summary)
	}
}
