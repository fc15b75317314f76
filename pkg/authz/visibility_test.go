package authz

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/meshctl/meshctl/internal/testutil/golden"
)

// The seed's network-visibility walk, as samples/egress/visibility holds it.
const visibilityDir = "../../samples/egress/visibility"

var visibilitySteps = []string{"1-allow-any", "2-registry-only", "3-serviceentry", "4-strict-sidecar", "5-sidecar-override", "6-ingress-default-endpoint"}

func loadVisibility(t testing.TB, step string, extra ...string) *Snapshot {
	t.Helper()
	l := NewLoader("istio-system")
	paths := append([]string{filepath.Join(visibilityDir, "apps.yaml"), filepath.Join(visibilityDir, step)}, extra...)
	if err := l.AddPaths(paths, nil); err != nil {
		t.Fatal(err)
	}
	s, err := l.Build(BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

var visibilityMatrix = MatrixOptions{
	From: []string{"probe.default", "sleep.foo", "httpbin.foo", "httpbin.bar"},
	To:   []string{"productpage.default", "httpbin.foo", "httpbin.bar", "sleep.foo", "www.baidu.com"},
}

func TestVisibilityGolden(t *testing.T) {
	t.Parallel()
	for _, step := range visibilitySteps {
		t.Run(step, func(t *testing.T) {
			s := loadVisibility(t, step)
			var b bytes.Buffer
			if err := s.Matrix(visibilityMatrix).WriteTable(&b); err != nil {
				t.Fatal(err)
			}
			for _, pair := range [][2]string{{"probe.default", "www.baidu.com"}, {"probe.default", "productpage.default"}, {"sleep.foo", "httpbin.bar"}} {
				d, port, err := s.Destination(pair[1], "")
				if err != nil {
					t.Fatal(err)
				}
				w, err := s.Workload(pair[0], "")
				if err != nil {
					t.Fatal(err)
				}
				b.WriteString("\n$ meshctl authz can " + pair[0] + " " + pair[1] + "\n")
				if err := WriteExplanation(&b, s.Evaluate(Request{From: w, To: d, Port: port})); err != nil {
					t.Fatal(err)
				}
			}
			golden.Check(t, goldenPath("visibility-"+step+".txt"), b.Bytes())
		})
	}
}

// TestVisibilityWalk states the seed's walk cell by cell, so that a
// golden file rewritten by mistake cannot hide a wrong answer.
func TestVisibilityWalk(t *testing.T) {
	t.Parallel()
	type cell struct{ from, to string }
	cases := map[string]map[cell]Outcome{
		// Before REGISTRY_ONLY everything is reachable, the external host too.
		"1-allow-any": {
			{"probe.default", "productpage.default"}: Allowed, {"probe.default", "httpbin.bar"}: Allowed,
			{"sleep.foo", "httpbin.bar"}: Allowed, {"probe.default", "www.baidu.com"}: Allowed,
		},
		// REGISTRY_ONLY and the global Sidecar: the own namespace works;
		// other namespaces and the external host are refused (502 where the
		// client's sidecar has an HTTP route on the port, a reset where not).
		"2-registry-only": {
			{"probe.default", "productpage.default"}: Allowed, {"sleep.foo", "httpbin.foo"}: Allowed,
			{"probe.default", "httpbin.bar"}: Reset, {"sleep.foo", "httpbin.bar"}: BadGateway,
			{"sleep.foo", "www.baidu.com"}: BadGateway, {"probe.default", "www.baidu.com"}: Reset,
		},
		// The ServiceEntry and default's own Sidecar: the external host
		// works from default, and productpage, which that Sidecar does not
		// list, no longer does; foo is still under the global Sidecar.
		"3-serviceentry": {
			{"probe.default", "www.baidu.com"}: Allowed, {"probe.default", "productpage.default"}: Reset,
			{"sleep.foo", "www.baidu.com"}: BadGateway, {"sleep.foo", "httpbin.foo"}: Allowed,
		},
		// The global Sidecar under STRICT mTLS: unknown services are passed
		// through in plaintext and refused (503 through an HTTP route,
		// a reset through the catch-all listener).
		"4-strict-sidecar": {
			{"sleep.foo", "httpbin.foo"}: Allowed, {"sleep.foo", "httpbin.bar"}: TLSMismatch,
			{"probe.default", "httpbin.bar"}: Reset, {"probe.default", "www.baidu.com"}: Allowed,
		},
		// sleep's own Sidecar (selector) with REGISTRY_ONLY; httpbin in the
		// same namespace keeps the global one and ALLOW_ANY.
		"5-sidecar-override": {
			{"sleep.foo", "httpbin.bar"}: BadGateway, {"sleep.foo", "www.baidu.com"}: BadGateway,
			{"sleep.foo", "httpbin.foo"}: Allowed, {"httpbin.foo", "httpbin.bar"}: Allowed,
			{"httpbin.foo", "www.baidu.com"}: Allowed,
		},
		// productpage's ingress listener sends 9080 to 127.0.0.1:10080,
		// where it does not listen; other services are unaffected.
		"6-ingress-default-endpoint": {
			{"probe.default", "productpage.default"}: TLSMismatch, {"sleep.foo", "productpage.default"}: TLSMismatch,
			{"probe.default", "httpbin.foo"}: Allowed,
		},
	}
	for _, step := range visibilitySteps {
		s := loadVisibility(t, step)
		for c, want := range cases[step] {
			w, err := s.Workload(c.from, "")
			if err != nil {
				t.Fatal(err)
			}
			d, port, err := s.Destination(c.to, "")
			if err != nil {
				t.Fatal(err)
			}
			if r := s.Evaluate(Request{From: w, To: d, Port: port}); r.Outcome != want {
				t.Errorf("%s: %s -> %s = %s, want %s (%s)", step, c.from, c.to, r.Outcome, want, r.Summary)
			}
		}
	}
	// Every reason names the object that decided.
	s := loadVisibility(t, "2-registry-only")
	w, _ := s.Workload("sleep.foo", "")
	d, _, _ := s.Destination("httpbin.bar", "")
	r := s.Evaluate(Request{From: w, To: d})
	if len(r.Client) != 1 || r.Client[0].Policy != "istio-system/default" || !strings.Contains(r.Client[0].Text, `add "bar/*"`) || r.Upstream != BlockAll {
		t.Errorf("sleep.foo -> httpbin.bar: want the global Sidecar named with its fix and upstream %s, got %+v (%s)", BlockAll, r.Client, r.Upstream)
	}
}

// The seed's traffic shifting, as samples/helloworld/shift holds it.
const shiftDir = "../../samples/helloworld/shift"

func loadShift(t testing.TB, step string) *Snapshot {
	t.Helper()
	l := NewLoader("istio-system")
	if err := l.AddPaths([]string{filepath.Join(shiftDir, "apps.yaml"), filepath.Join(shiftDir, step)}, nil); err != nil {
		t.Fatal(err)
	}
	s, err := l.Build(BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestTrafficShift: the requests of the seed's chapter and where they go.
func TestTrafficShift(t *testing.T) {
	t.Parallel()
	gw := "istio-ingressgateway.istio-system"
	cases := []struct {
		step, from  string
		req         Request
		want        Outcome
		upstream    string
		backends    []string
		routeAction string
	}{
		{"1-subsets", "sleep.default", Request{}, Allowed, "outbound|5000||helloworld.default.svc.cluster.local", []string{"helloworld-v1.default", "helloworld-v2.default"}, ""},
		{"2-all-v2", "sleep.default", Request{}, Allowed, "outbound|5000|v2|helloworld.default.svc.cluster.local", []string{"helloworld-v2.default"}, "route"},
		{"2-all-v2", gw, Request{Path: "/hello"}, Allowed, "outbound|5000||helloworld.default.svc.cluster.local", []string{"helloworld-v1.default", "helloworld-v2.default"}, ""},
		{"3-gateway", gw, Request{Path: "/hello"}, Allowed, "outbound|5000|v2|helloworld.default.svc.cluster.local", []string{"helloworld-v2.default"}, "route"},
		{"3-gateway", gw, Request{Path: "/"}, "404", "", nil, "none"},
		{"3-gateway", "sleep.default", Request{Path: "/hello"}, Allowed, "outbound|5000||helloworld.default.svc.cluster.local", []string{"helloworld-v1.default", "helloworld-v2.default"}, ""},
		{"4-fault", "sleep.default", Request{Headers: map[string]string{"X-Chaos": "abort"}}, TLSMismatch, "", nil, "abort"},
		{"4-fault", "sleep.default", Request{Path: "/old/x"}, "301", "", nil, "redirect"},
		{"4-fault", "sleep.default", Request{Path: "/hello"}, Allowed, "outbound|5000|v2|helloworld.default.svc.cluster.local", []string{"helloworld-v2.default"}, "route"},
	}
	for _, c := range cases {
		s := loadShift(t, c.step)
		w, err := s.Workload(c.from, "")
		if err != nil {
			t.Fatal(err)
		}
		d, _, err := s.Destination("helloworld.default", "")
		if err != nil {
			t.Fatal(err)
		}
		req := c.req
		req.From, req.To = w, d
		r := s.Evaluate(req)
		var got []string
		for _, b := range r.Backend {
			got = append(got, b.Workload)
		}
		action := ""
		if r.Route != nil {
			action = r.Route.Action
		}
		if r.Outcome != c.want || r.Upstream != c.upstream || strings.Join(got, ",") != strings.Join(c.backends, ",") || action != c.routeAction {
			t.Errorf("%s: %s %s%s: got %s via %q to %v (route %q: %s), want %s via %q to %v (route %q)", c.step, c.from, c.req.Path, fmt.Sprint(c.req.Headers), r.Outcome, r.Upstream, got, action, r.Summary, c.want, c.upstream, c.backends, c.routeAction)
		}
	}
	// The seed's 0/100 in words.
	s := loadShift(t, "3-gateway")
	w, _ := s.Workload(gw, "")
	d, _, _ := s.Destination("helloworld.default", "")
	var b bytes.Buffer
	if err := WriteExplanation(&b, s.Evaluate(Request{From: w, To: d, Path: "/hello"})); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, goldenPath("shift-gateway.txt"), b.Bytes())
	if !strings.Contains(b.String(), "subset v1 0%, helloworld.default.svc.cluster.local subset v2 100%") {
		t.Errorf("the explanation does not give the weights:\n%s", b.String())
	}
}
