package authz

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/meshctl/meshctl/internal/testutil/golden"
)

// Scenario is one step of the seed's security walkthrough, as our own YAML.
type scenario struct {
	name  string
	files []string
}

// Scenarios are shared with the integration test.
var scenarios = []scenario{
	{"1-no-policies", []string{"mesh-automtls-off.yaml"}},
	{"2-strict", []string{"mesh-automtls-off.yaml", "strict.yaml"}},
	{"3-strict-dr", []string{"mesh-automtls-off.yaml", "strict.yaml", "dr-local.yaml"}},
	{"4-strict-automtls", []string{"strict.yaml"}},
	{"4b-strict-dr-automtls", []string{"strict.yaml", "dr-local.yaml"}},
	{"5-deny-all", []string{"mesh-automtls-off.yaml", "strict.yaml", "dr-local.yaml", "deny-all.yaml"}},
	{"6-allow-istio-system", []string{"mesh-automtls-off.yaml", "strict.yaml", "dr-local.yaml", "allow-istio-system.yaml"}},
	{"7-meshpolicy-v1alpha1", []string{"mesh-automtls-off.yaml", "meshpolicy.yaml"}},
}

func scenarioPaths(sc scenario) []string {
	paths := []string{filepath.Join("testdata", "apps.yaml")}
	for _, f := range sc.files {
		paths = append(paths, filepath.Join("testdata", "scenarios", f))
	}
	return paths
}

func loadScenario(t testing.TB, sc scenario) *Snapshot {
	t.Helper()
	l := NewLoader("istio-system")
	if err := l.AddPaths(scenarioPaths(sc), nil); err != nil {
		t.Fatal(err)
	}
	s, err := l.Build(BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

var seedMatrix = MatrixOptions{
	From: []string{"sleep.foo", "sleep.bar", "sleep.legacy", "istio-ingressgateway.istio-system"},
	To:   []string{"httpbin.foo", "httpbin.bar", "httpbin.legacy"},
}

// goldenPath is where the golden file of that name is.
func goldenPath(name string) string { return filepath.Join("testdata", "golden", name) }

func TestScenarioGolden(t *testing.T) {
	t.Parallel()
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			s := loadScenario(t, sc)
			var b bytes.Buffer
			if err := s.Matrix(seedMatrix).WriteTable(&b); err != nil {
				t.Fatal(err)
			}
			b.WriteString("\n")
			for _, pair := range [][2]string{{"sleep.foo", "httpbin.bar"}, {"sleep.legacy", "httpbin.foo"}, {"sleep.foo", "httpbin.legacy"}, {"istio-ingressgateway.istio-system", "httpbin.foo"}} {
				w, err := s.Workload(pair[0], "")
				if err != nil {
					t.Fatal(err)
				}
				svc, err := s.Service(pair[1], "")
				if err != nil {
					t.Fatal(err)
				}
				b.WriteString("$ meshctl authz can " + pair[0] + " " + pair[1] + "\n")
				if err := WriteExplanation(&b, s.Evaluate(Request{From: w, To: svc})); err != nil {
					t.Fatal(err)
				}
				b.WriteString("\n")
			}
			golden.Check(t, goldenPath(sc.name+".txt"), b.Bytes())
		})
	}
}

// TestSeedResults states the seed's check.sh results cell by cell, so that
// a golden file rewritten by mistake cannot hide a wrong answer.
func TestSeedResults(t *testing.T) {
	t.Parallel()
	gw := "istio-ingressgateway.istio-system"
	cases := map[string]map[[2]string]Outcome{
		"1-no-policies": {
			{"sleep.foo", "httpbin.foo"}: Allowed, {"sleep.foo", "httpbin.legacy"}: Allowed,
			{"sleep.legacy", "httpbin.bar"}: Allowed, {"sleep.legacy", "httpbin.legacy"}: Allowed,
		},
		"2-strict": {
			{"sleep.foo", "httpbin.foo"}: TLSMismatch, {"sleep.foo", "httpbin.bar"}: TLSMismatch,
			{"sleep.bar", "httpbin.foo"}: TLSMismatch, {"sleep.foo", "httpbin.legacy"}: Allowed,
			{"sleep.legacy", "httpbin.foo"}: Reset, {"sleep.legacy", "httpbin.bar"}: Reset,
			{"sleep.legacy", "httpbin.legacy"}: Allowed,
		},
		"3-strict-dr": {
			{"sleep.foo", "httpbin.foo"}: Allowed, {"sleep.bar", "httpbin.foo"}: Allowed,
			{"sleep.foo", "httpbin.legacy"}: TLSMismatch, {"sleep.bar", "httpbin.legacy"}: TLSMismatch,
			{"sleep.legacy", "httpbin.foo"}: Reset, {"sleep.legacy", "httpbin.legacy"}: Allowed,
		},
		"4-strict-automtls": {
			{"sleep.foo", "httpbin.bar"}: Allowed, {"sleep.foo", "httpbin.legacy"}: Allowed,
			{"sleep.legacy", "httpbin.foo"}: Reset, {"sleep.legacy", "httpbin.legacy"}: Allowed,
			{gw, "httpbin.foo"}: Allowed,
		},
		"4b-strict-dr-automtls": {
			{"sleep.foo", "httpbin.bar"}: Allowed, {"sleep.foo", "httpbin.legacy"}: TLSMismatch,
		},
		"5-deny-all": {
			{"sleep.foo", "httpbin.foo"}: Denied, {"sleep.bar", "httpbin.foo"}: Denied,
			{gw, "httpbin.foo"}: Denied, {"sleep.foo", "httpbin.bar"}: Allowed,
			{"sleep.legacy", "httpbin.foo"}: Reset,
		},
		"6-allow-istio-system": {
			{gw, "httpbin.foo"}: Allowed, {"sleep.foo", "httpbin.foo"}: Denied,
			{"sleep.bar", "httpbin.foo"}: Denied, {gw, "httpbin.bar"}: Allowed,
		},
		"7-meshpolicy-v1alpha1": {
			{"sleep.foo", "httpbin.bar"}: TLSMismatch, {"sleep.legacy", "httpbin.foo"}: Reset,
			{"sleep.bar", "httpbin.legacy"}: Allowed,
		},
	}
	for _, sc := range scenarios {
		want := cases[sc.name]
		if want == nil {
			t.Fatalf("no expectations for %s", sc.name)
		}
		s := loadScenario(t, sc)
		for pair, out := range want {
			w, err := s.Workload(pair[0], "")
			if err != nil {
				t.Fatal(err)
			}
			svc, err := s.Service(pair[1], "")
			if err != nil {
				t.Fatal(err)
			}
			r := s.Evaluate(Request{From: w, To: svc})
			if r.Outcome != out {
				t.Errorf("%s: %s -> %s = %s, want %s (%s)", sc.name, pair[0], pair[1], r.Outcome, out, r.Summary)
			}
		}
	}
}

func TestJourneyExplanation(t *testing.T) {
	t.Parallel()
	s := loadScenario(t, scenarios[1])
	w, _ := s.Workload("sleep.foo", "")
	svc, _ := s.Service("httpbin.bar", "")
	var b bytes.Buffer
	if err := WriteExplanation(&b, s.Evaluate(Request{From: w, To: svc})); err != nil {
		t.Fatal(err)
	}
	want := "503: httpbin.bar requires mutual TLS (PeerAuthentication istio-system/default, STRICT);\n     sleep.foo sends plaintext (no DestinationRule TLS setting, auto mTLS off)\n"
	if !strings.HasPrefix(b.String(), want) {
		t.Errorf("got\n%s\nwant prefix\n%s", b.String(), want)
	}
}

// TestSamplesMatchTestdata keeps the user-facing samples honest: each
// sample step predicts the same table as the golden scenario of that name.
func TestSamplesMatchTestdata(t *testing.T) {
	t.Parallel()
	dir := filepath.Join("..", "..", "samples", "security", "scenarios")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Skipf("no samples: %v", err)
	}
	n := 0
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		n++
		var sc *scenario
		for i := range scenarios {
			if scenarios[i].name == e.Name() {
				sc = &scenarios[i]
			}
		}
		if sc == nil {
			t.Errorf("sample %s has no golden scenario", e.Name())
			continue
		}
		l := NewLoader("istio-system")
		if err := l.AddPaths([]string{filepath.Join(dir, "apps.yaml"), filepath.Join(dir, e.Name())}, nil); err != nil {
			t.Fatal(err)
		}
		got, err := l.Build(BuildOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var a, b bytes.Buffer
		_ = got.Matrix(seedMatrix).WriteTable(&a)
		_ = loadScenario(t, *sc).Matrix(seedMatrix).WriteTable(&b)
		if a.String() != b.String() {
			t.Errorf("sample %s:\n%s\ngolden:\n%s", e.Name(), a.String(), b.String())
		}
	}
	if n < 6 {
		t.Errorf("%d sample steps, want 6", n)
	}
}
