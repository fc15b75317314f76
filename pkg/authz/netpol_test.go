package authz

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/meshctl/meshctl/internal/testutil/golden"
)

// The NetworkPolicy walk, as samples/netpol holds it, over the security
// scenarios' apps (sleep and httpbin in foo and bar with sidecars, in
// legacy without).
const (
	netpolDir  = "../../samples/netpol"
	netpolApps = "../../samples/security/scenarios/apps.yaml"
)

var netpolSteps = []string{"1-default-deny", "2-allow-from-namespace", "3-allow-from-pods", "4-port-restricted", "5-egress-deny", "6-with-mtls-and-deny"}

func loadNetpol(t testing.TB, step string) *Snapshot {
	t.Helper()
	l := NewLoader("istio-system")
	if err := l.AddPaths([]string{netpolApps, filepath.Join(netpolDir, step)}, nil); err != nil {
		t.Fatal(err)
	}
	s, err := l.Build(BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// evalRef evaluates a request from workload NAME.NS to a destination as
// the command line names them (with an optional :PORT).
func evalRef(t *testing.T, s *Snapshot, from, to string) Result {
	t.Helper()
	w, err := s.Workload(from, "")
	if err != nil {
		t.Fatal(err)
	}
	d, port, err := s.Destination(to, "")
	if err != nil {
		t.Fatal(err)
	}
	return s.Evaluate(Request{From: w, To: d, Port: port})
}

// decidingStep is the step and policy of the last reason: the one that
// gave the outcome.
func decidingStep(r Result) (step, policy, result string) {
	reasons := r.Client
	if len(r.Backend) > 0 {
		reasons = r.Backend[0].Reasons
	}
	if len(reasons) == 0 {
		return "", "", ""
	}
	last := reasons[len(reasons)-1]
	return last.Step, last.Policy, last.Result
}

// TestNetworkPolicyWalk states each step cell by cell with the step and
// policy that decided: a dropped connection is 503 for a client whose
// sidecar answers the HTTP request, a timeout for one without a sidecar.
func TestNetworkPolicyWalk(t *testing.T) {
	t.Parallel()
	type cell struct{ from, to string }
	type want struct {
		outcome      Outcome
		step, policy string
	}
	drop := func(o Outcome, p string) want { return want{o, "network", p} }
	ok := want{outcome: Allowed}
	cases := map[string]map[cell]want{
		// Default deny: nothing reaches bar, not even bar itself; other
		// namespaces are not isolated.
		"1-default-deny": {
			{"sleep.foo", "httpbin.bar"}:    drop(TLSMismatch, "bar/default-deny-ingress"),
			{"sleep.bar", "httpbin.bar"}:    drop(TLSMismatch, "bar/default-deny-ingress"),
			{"sleep.legacy", "httpbin.bar"}: drop(Timeout, "bar/default-deny-ingress"),
			{"sleep.legacy", "httpbin.foo"}: ok, {"sleep.bar", "httpbin.legacy"}: ok,
		},
		"2-allow-from-namespace": {
			{"sleep.foo", "httpbin.bar"}:    want{Allowed, "mtls", ""},
			{"sleep.bar", "httpbin.bar"}:    drop(TLSMismatch, "bar/allow-from-foo"),
			{"sleep.legacy", "httpbin.bar"}: drop(Timeout, "bar/allow-from-foo"),
		},
		// A podSelector alone picks pods of the policy's namespace.
		"3-allow-from-pods": {
			{"sleep.bar", "httpbin.bar"}:    want{Allowed, "mtls", ""},
			{"sleep.foo", "httpbin.bar"}:    drop(TLSMismatch, "bar/default-deny-ingress"),
			{"sleep.legacy", "httpbin.bar"}: drop(Timeout, "bar/default-deny-ingress"),
		},
		// The pod's port passes; the Service's port in the rule does not.
		"4-port-restricted": {
			{"sleep.legacy", "httpbin.bar"}: want{Allowed, "mtls", ""},
			{"sleep.foo", "httpbin.bar"}:    want{Allowed, "mtls", ""},
			{"sleep.foo", "httpbin.foo"}:    drop(TLSMismatch, "foo/httpbin-port"),
			{"sleep.legacy", "httpbin.foo"}: drop(Timeout, "foo/httpbin-port"),
		},
		// Egress deny in foo: foo's pods reach nothing (DNS aside), the
		// external host neither; others still reach foo.
		"5-egress-deny": {
			{"sleep.foo", "httpbin.foo"}:    drop(TLSMismatch, "foo/default-deny-egress"),
			{"sleep.foo", "httpbin.legacy"}: drop(TLSMismatch, "foo/default-deny-egress"),
			{"sleep.foo", "www.baidu.com"}:  drop(TLSMismatch, "foo/default-deny-egress"),
			{"sleep.foo", "10.1.2.3:443"}:   drop(Reset, "foo/default-deny-egress"),
			{"sleep.bar", "httpbin.foo"}:    ok,
			{"sleep.legacy", "httpbin.foo"}: ok,
		},
		// Network, then mTLS, then authorization: each decides for one client.
		"6-with-mtls-and-deny": {
			{"sleep.bar", "httpbin.bar"}:                         drop(TLSMismatch, "bar/from-foo-and-legacy"),
			{"sleep.legacy", "httpbin.bar"}:                      want{Reset, "mtls", ""},
			{"sleep.foo", "httpbin.bar"}:                         want{Denied, "deny", "bar/deny-foo-sleep"},
			{"istio-ingressgateway.istio-system", "httpbin.bar"}: drop(TLSMismatch, "bar/from-foo-and-legacy"),
		},
	}
	for _, step := range netpolSteps {
		s := loadNetpol(t, step)
		for c, w := range cases[step] {
			r := evalRef(t, s, c.from, c.to)
			if r.Outcome != w.outcome {
				t.Errorf("%s: %s -> %s = %s, want %s (%s)", step, c.from, c.to, r.Outcome, w.outcome, r.Summary)
				continue
			}
			if w.step == "" {
				continue
			}
			if st, pol, _ := decidingStep(r); st != w.step || pol != w.policy {
				t.Errorf("%s: %s -> %s: decided by %s %q, want %s %q", step, c.from, c.to, st, pol, w.step, w.policy)
			}
		}
	}
	// An allowed connection names the rule that let it in.
	r := evalRef(t, loadNetpol(t, "2-allow-from-namespace"), "sleep.foo", "httpbin.bar")
	if rs := r.Backend[0].Reasons; rs[0].Step != "network" || rs[0].Result != "allowed" || !strings.Contains(rs[0].Text, "bar/allow-from-foo ingress rule 0") {
		t.Errorf("sleep.foo -> httpbin.bar: want the network step naming bar/allow-from-foo rule 0 first, got %+v", rs)
	}
	// The deciding policy is located in its file.
	r = evalRef(t, loadNetpol(t, "1-default-deny"), "sleep.foo", "httpbin.bar")
	if rs := r.Backend[0].Reasons; rs[0].Where != filepath.Join(netpolDir, "1-default-deny", "deny-ingress.yaml")+" (document 1, line 1)" {
		t.Errorf("sleep.foo -> httpbin.bar: the network reason is at %q", rs[0].Where)
	}
	// The Service-port mistake comes with the port to write.
	r = evalRef(t, loadNetpol(t, "4-port-restricted"), "sleep.foo", "httpbin.foo")
	if !strings.Contains(r.Summary, "names port 8000, the Service's port") || !strings.Contains(r.Summary, "write 80") {
		t.Errorf("sleep.foo -> httpbin.foo: want the Service-port hint, got %s", r.Summary)
	}
}

func TestNetworkPolicyGolden(t *testing.T) {
	t.Parallel()
	opts := MatrixOptions{
		From: []string{"sleep.foo", "sleep.bar", "sleep.legacy", "istio-ingressgateway.istio-system"},
		To:   []string{"httpbin.foo", "httpbin.bar", "httpbin.legacy", "www.baidu.com"},
	}
	var b bytes.Buffer
	for _, step := range netpolSteps {
		s := loadNetpol(t, step)
		b.WriteString("# " + step + "\n")
		if err := s.Matrix(opts).WriteTable(&b); err != nil {
			t.Fatal(err)
		}
		b.WriteString("\n")
	}
	for _, c := range [][3]string{{"4-port-restricted", "sleep.legacy", "httpbin.foo"}, {"5-egress-deny", "sleep.foo", "www.baidu.com"}, {"6-with-mtls-and-deny", "sleep.foo", "httpbin.bar"}} {
		b.WriteString("# " + c[0] + "\n$ meshctl authz can " + c[1] + " " + c[2] + "\n")
		if err := WriteExplanation(&b, evalRef(t, loadNetpol(t, c[0]), c[1], c[2])); err != nil {
			t.Fatal(err)
		}
		b.WriteString("\n")
	}
	golden.Check(t, goldenPath("netpol.txt"), b.Bytes())
}

// TestNetworkPolicyRules covers the rule forms the walk does not.
func TestNetworkPolicyRules(t *testing.T) {
	t.Parallel()
	apps := `
apiVersion: v1
kind: Namespace
metadata: {name: web, labels: {team: web}}
---
apiVersion: v1
kind: Namespace
metadata: {name: ops, labels: {team: ops}}
---
apiVersion: v1
kind: Pod
metadata: {name: api, namespace: web, labels: {app: api}}
spec:
  containers:
  - name: api
    image: api
    ports: [{name: grpc, containerPort: 9090}, {name: http, containerPort: 8080}]
status: {podIP: 10.0.0.5}
---
apiVersion: v1
kind: Service
metadata: {name: api, namespace: web}
spec:
  selector: {app: api}
  ports: [{name: grpc, port: 9090}, {name: http, port: 80, targetPort: http}]
---
apiVersion: v1
kind: Pod
metadata: {name: client, namespace: ops, labels: {app: client, role: admin}}
spec: {containers: [{name: c, image: c}]}
status: {podIP: 10.1.0.7}
---
apiVersion: v1
kind: Service
metadata: {name: client, namespace: ops}
spec:
  selector: {app: client}
  ports: [{name: http, port: 80}]
---
apiVersion: v1
kind: Pod
metadata: {name: other, namespace: ops, labels: {app: other}}
spec: {containers: [{name: c, image: c}]}
status: {podIP: 10.1.0.8}
`
	cases := []struct {
		name, ns, policy string
		from, to         string
		want             Outcome
	}{
		{"named port", "web", `
spec:
  podSelector: {matchLabels: {app: api}}
  ingress: [{ports: [{port: http}]}]`, "client.ops", "api.web:80", Allowed},
		{"named port, other port", "web", `
spec:
  podSelector: {matchLabels: {app: api}}
  ingress: [{ports: [{port: http}]}]`, "client.ops", "api.web:9090", Timeout},
		{"port range", "web", `
spec:
  podSelector: {}
  ingress: [{ports: [{port: 9000, endPort: 9100}]}]`, "client.ops", "api.web:9090", Allowed},
		{"UDP only", "web", `
spec:
  podSelector: {}
  ingress: [{ports: [{protocol: UDP, port: 9090}]}]`, "client.ops", "api.web:9090", Timeout},
		{"namespace and pod selector in one peer are both required", "web", `
spec:
  podSelector: {}
  ingress: [{from: [{namespaceSelector: {matchLabels: {team: ops}}, podSelector: {matchLabels: {role: admin}}}]}]`, "other.ops", "api.web:9090", Timeout},
		{"namespace and pod selector, both match", "web", `
spec:
  podSelector: {}
  ingress: [{from: [{namespaceSelector: {matchLabels: {team: ops}}, podSelector: {matchLabels: {role: admin}}}]}]`, "client.ops", "api.web:9090", Allowed},
		{"ipBlock with except", "web", `
spec:
  podSelector: {}
  ingress: [{from: [{ipBlock: {cidr: 10.1.0.0/16, except: [10.1.0.7/32]}}]}]`, "client.ops", "api.web:9090", Timeout},
		{"ipBlock", "web", `
spec:
  podSelector: {}
  ingress: [{from: [{ipBlock: {cidr: 10.1.0.0/16, except: [10.1.0.7/32]}}]}]`, "other.ops", "api.web:9090", Allowed},
		{"egress rules make an egress policy without policyTypes", "web", `
spec:
  podSelector: {}
  egress: [{to: [{ipBlock: {cidr: 10.9.0.0/16}}]}]`, "api.web", "client.ops:80", Timeout},
		{"policy of another namespace does not isolate", "ops", `
spec:
  podSelector: {}
  policyTypes: [Ingress]`, "client.ops", "api.web:9090", Allowed},
		{"egress to every address reaches an external host", "ops", `
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress: [{to: [{ipBlock: {cidr: 0.0.0.0/0}}]}]`, "client.ops", "example.com:443", Allowed},
		{"egress to one block does not surely reach a host name", "ops", `
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress: [{to: [{ipBlock: {cidr: 93.184.0.0/16}}]}]`, "client.ops", "example.com:443", Timeout},
		{"egress to an IP in the block", "ops", `
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress: [{to: [{ipBlock: {cidr: 93.184.0.0/16}}]}]`, "client.ops", "93.184.1.2:443", Allowed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			doc := apps + "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: np, namespace: " + c.ns + "}\n" + c.policy + "\n"
			l := NewLoader("istio-system")
			if err := l.AddPaths([]string{"-"}, strings.NewReader(doc)); err != nil {
				t.Fatal(err)
			}
			s, err := l.Build(BuildOptions{})
			if err != nil {
				t.Fatal(err)
			}
			r := evalRef(t, s, c.from, c.to)
			if r.Outcome != c.want {
				t.Errorf("%s -> %s = %s, want %s (%s)", c.from, c.to, r.Outcome, c.want, r.Summary)
			}
		})
	}
}

// TestSVGLegendFits: every legend entry, the timeout one included, is
// drawn inside the picture, however narrow the grid.
func TestSVGLegendFits(t *testing.T) {
	t.Parallel()
	s := loadNetpol(t, "1-default-deny")
	var b bytes.Buffer
	if err := s.Matrix(MatrixOptions{From: []string{"sleep.legacy"}, To: []string{"httpbin.bar"}}).WriteSVG(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	var width int
	if _, err := fmt.Sscanf(out, `<svg xmlns="http://www.w3.org/2000/svg" width="%d"`, &width); err != nil {
		t.Fatal(err)
	}
	for _, o := range legend() {
		text := ">" + legendText(o) + "</text>"
		i := strings.Index(out, text)
		if i < 0 {
			t.Fatalf("legend entry %q missing", legendText(o))
		}
		line := out[strings.LastIndex(out[:i], "\n")+1 : i]
		var x, y int
		if _, err := fmt.Sscanf(line[strings.LastIndex(line, "<text"):], `<text x="%d" y="%d"`, &x, &y); err != nil {
			t.Fatal(err)
		}
		if end := x + 7*len(legendText(o)); end > width {
			t.Errorf("legend %q ends at %d, beyond the width %d", legendText(o), end, width)
		}
	}
	if !strings.Contains(out, ">timeout</text>") {
		t.Errorf("the dropped cell is not labelled timeout:\n%s", out)
	}
}

// TestMatrixJSONIsMarshalIndent: the streamed JSON is the library's,
// byte for byte, for a full, a one-cell and an empty matrix, and for
// matrices whose cells fill several of the blocks marshalled in parallel
// (exactly, and with a partial last block), with text JSON escapes.
func TestMatrixJSONIsMarshalIndent(t *testing.T) {
	t.Parallel()
	s := loadNetpol(t, "6-with-mtls-and-deny")
	large := func(n int) *Matrix {
		m := &Matrix{Clients: []string{"a.x"}, Services: []string{"b.y"}}
		for i := range n {
			m.Cells = append(m.Cells, Cell{From: "a.x", To: fmt.Sprintf("b%d.y", i), Port: int32(i), Outcome: Allowed, Summary: fmt.Sprintf("<%d> & \"ü\"\u2028", i), Upstream: strings.Repeat("u", i%3)})
		}
		return m
	}
	if n := reflect.TypeFor[Cell]().NumField(); n != 6 {
		t.Fatalf("Cell has %d fields: writeCell writes 6", n)
	}
	for _, m := range []*Matrix{
		s.Matrix(MatrixOptions{}),
		s.Matrix(MatrixOptions{From: []string{"sleep.foo"}, To: []string{"httpbin.bar"}}),
		{Clients: []string{}, Services: []string{}, Cells: []Cell{}},
		large(3 * cellsPerBlock),
		large(20*cellsPerBlock + 7),
	} {
		var got bytes.Buffer
		if err := m.WriteJSON(&got); err != nil {
			t.Fatal(err)
		}
		want, err := json.MarshalIndent(m, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if got.String() != string(want)+"\n" {
			t.Errorf("streamed JSON differs from MarshalIndent:\n%s\nwant\n%s", got.String(), want)
		}
	}
}
