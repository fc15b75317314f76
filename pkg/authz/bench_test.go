package authz_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/meshctl/meshctl/internal/authzgen"
	"github.com/meshctl/meshctl/pkg/authz"
	"github.com/meshctl/meshctl/pkg/yamlstream"
)

func load(b *testing.B, data []byte) *authz.Snapshot {
	b.Helper()
	l := authz.NewLoader("istio-system")
	if err := l.AddStream("gen.yaml", bytes.NewReader(data)); err != nil {
		b.Fatal(err)
	}
	s, err := l.Build(authz.BuildOptions{})
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// TestAddStreamIsAddDocumentInTurn: the loader that converts documents on
// every core builds the same snapshot, warnings and first error as
// AddDocument called on each document in order.
func TestAddStreamIsAddDocumentInTurn(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	sz := authzgen.Sizes{Workloads: 40, Services: 40, Policies: 80, Sidecars: 20, ServiceEntries: 40, VirtualServices: 40, NetworkPolicies: 40}
	if err := authzgen.Write(&buf, sz); err != nil {
		t.Fatal(err)
	}
	gen := buf.String()
	docs := strings.Split(gen, "\n---\n")
	mid := strings.Join(docs[:len(docs)/2], "\n---\n") + "\n---\n"
	const twice = "apiVersion: v1\nkind: Service\nmetadata: {name: twice, namespace: ns0}\nspec: {ports: [{port: 80}]}\n---\n"
	for name, in := range map[string]string{
		"generated":          gen,
		"read twice":         twice + gen + "\n---\n" + twice,
		"bad YAML":           mid + "kind: Service\n\tmetadata: x\n---\n" + gen,
		"bad object":         mid + "apiVersion: v1\nkind: Service\nmetadata: {name: x}\nspec: {ports: 5}\n---\n" + gen,
		"defined twice":      twice + mid + strings.Replace(twice, "80", "81", 1) + gen,
		"bad stream at end":  gen + "\n---\n{\"kind\": [",
		"only blank":         "\n---\n\n---\n",
		"error then garbage": mid + "kind: [\n---\n" + gen + "\n---\n{\"kind\": [",
	} {
		one, parallel := authz.NewLoader("istio-system"), authz.NewLoader("istio-system")
		errOne := yamlstream.Read("in.yaml", strings.NewReader(in), one.AddDocument)
		errParallel := parallel.AddStream("in.yaml", strings.NewReader(in))
		if wantErr := strings.Contains(name, "bad") || strings.Contains(name, "error") || name == "defined twice"; wantErr != (errOne != nil) {
			t.Errorf("%s: one at a time, error %v", name, errOne)
		}
		if fmt.Sprint(errOne) != fmt.Sprint(errParallel) {
			t.Errorf("%s: error %v, one at a time %v", name, errParallel, errOne)
			continue
		}
		if strings.Join(one.Warnings, "\n") != strings.Join(parallel.Warnings, "\n") {
			t.Errorf("%s: warnings %q, one at a time %q", name, parallel.Warnings, one.Warnings)
		}
		if (name == "read twice") != (len(parallel.Warnings) == 1) {
			t.Errorf("%s: warnings %q", name, parallel.Warnings)
		}
		if errOne != nil {
			continue
		}
		var a, b bytes.Buffer
		for _, x := range []struct {
			l *authz.Loader
			w *bytes.Buffer
		}{{one, &a}, {parallel, &b}} {
			s, err := x.l.Build(authz.BuildOptions{})
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if err := s.Matrix(authz.MatrixOptions{}).WriteJSON(x.w); err != nil {
				t.Fatal(err)
			}
		}
		if a.String() != b.String() {
			t.Errorf("%s: the matrices differ", name)
		}
		if name == "generated" && !strings.Contains(b.String(), `"outcome": "200"`) {
			t.Errorf("the generated matrix has no allowed cell")
		}
	}
}

// BenchmarkMatrix measures `authz matrix` on synthetic meshes: the whole
// evaluation of every workload x service, and separately the loading of the
// YAML. Issue 8's target size is 200x200 with 400 policies. Issue 15's adds
// reachability ("+reach"): 100 Sidecars, 200 ServiceEntries, 200
// VirtualServices (and their subset DestinationRules) and 200
// NetworkPolicies, with half and double that size to show the growth. Each
// ServiceEntry host is a column of its own, so 200x200+reach has 200 x 400
// cells.
func BenchmarkMatrix(b *testing.B) {
	reach := func(w, svc, p int) authzgen.Sizes {
		return authzgen.Sizes{Workloads: w, Services: svc, Policies: p, Sidecars: w / 2, ServiceEntries: svc, VirtualServices: svc, NetworkPolicies: w}
	}
	for _, sz := range []authzgen.Sizes{
		{Workloads: 100, Services: 100, Policies: 200}, {Workloads: 200, Services: 200, Policies: 400}, {Workloads: 400, Services: 400, Policies: 800},
		reach(100, 100, 200), reach(200, 200, 400), reach(400, 400, 800),
	} {
		var buf bytes.Buffer
		if err := authzgen.Write(&buf, sz); err != nil {
			b.Fatal(err)
		}
		name := fmt.Sprintf("%dx%d/%d", sz.Workloads, sz.Services, sz.Policies)
		if sz.Sidecars+sz.ServiceEntries+sz.VirtualServices+sz.NetworkPolicies > 0 {
			name += "+reach"
		}
		b.Run("evaluate/"+name, func(b *testing.B) {
			s := load(b, buf.Bytes())
			b.ReportAllocs()
			b.ResetTimer()
			var m *authz.Matrix
			for i := 0; i < b.N; i++ {
				m = s.Matrix(authz.MatrixOptions{})
			}
			b.ReportMetric(float64(len(m.Cells)), "cells")
		})
		b.Run("load/"+name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(buf.Len()))
			for i := 0; i < b.N; i++ {
				load(b, buf.Bytes())
			}
		})
	}
}

// TestGeneratedMeshIsUsable keeps the benchmark honest: the generated mesh
// has the sizes asked for and a mix of outcomes.
func TestGeneratedMeshIsUsable(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	if err := authzgen.Write(&buf, authzgen.Sizes{Workloads: 40, Services: 40, Policies: 80}); err != nil {
		t.Fatal(err)
	}
	l := authz.NewLoader("istio-system")
	if err := yamlstream.Read("gen.yaml", &buf, l.AddDocument); err != nil {
		t.Fatal(err)
	}
	s, err := l.Build(authz.BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Workloads) != 40 || len(s.Services) != 40 || len(s.PeerAuthns)+len(s.DestRules)+len(s.AuthzPolicies) != 80 {
		t.Fatalf("sizes: %d workloads, %d services, %d+%d+%d policies", len(s.Workloads), len(s.Services), len(s.PeerAuthns), len(s.DestRules), len(s.AuthzPolicies))
	}
	counts := map[authz.Outcome]int{}
	for _, c := range s.Matrix(authz.MatrixOptions{}).Cells {
		counts[c.Outcome]++
	}
	for _, o := range []authz.Outcome{authz.Allowed, authz.Denied, authz.TLSMismatch, authz.Reset} {
		if counts[o] == 0 {
			t.Errorf("no %s cell in the generated matrix: %v", o, counts)
		}
	}
}

// TestGeneratedReachabilityIsUsable checks the reachability kinds: they
// are loaded in the numbers asked for, they only add to the mesh of the
// same sizes without them (so callers that ask for none get the bytes they
// always got), and the matrix shows what each kind does.
func TestGeneratedReachabilityIsUsable(t *testing.T) {
	t.Parallel()
	base := authzgen.Sizes{Workloads: 40, Services: 40, Policies: 80}
	sz := base
	sz.Sidecars, sz.ServiceEntries, sz.VirtualServices, sz.NetworkPolicies = 20, 40, 40, 40
	var plain, buf, again bytes.Buffer
	for _, w := range []struct {
		b *bytes.Buffer
		s authzgen.Sizes
	}{{&plain, base}, {&buf, sz}, {&again, sz}} {
		if err := authzgen.Write(w.b, w.s); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(buf.Bytes(), again.Bytes()) {
		t.Fatal("two writes of the same sizes differ")
	}
	if !bytes.HasPrefix(buf.Bytes(), plain.Bytes()) || buf.Len() == plain.Len() {
		t.Fatalf("the reachability kinds do not only append to the mesh without them (%d and %d bytes)", plain.Len(), buf.Len())
	}
	l := authz.NewLoader("istio-system")
	if err := yamlstream.Read("gen.yaml", &buf, l.AddDocument); err != nil {
		t.Fatal(err)
	}
	if len(l.Warnings) > 0 {
		t.Errorf("loader warnings: %v", l.Warnings)
	}
	s, err := l.Build(authz.BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if sz.SubsetRules() == 0 {
		t.Error("no DestinationRule defines subsets")
	}
	if len(s.Workloads) != 40 || len(s.Services) != 40+40 || len(s.PeerAuthns)+len(s.DestRules)+len(s.AuthzPolicies) != 80+sz.SubsetRules() {
		t.Errorf("sizes: %d workloads, %d services and service entry hosts, %d+%d+%d policies (%d subset rules)", len(s.Workloads), len(s.Services), len(s.PeerAuthns), len(s.DestRules), len(s.AuthzPolicies), sz.SubsetRules())
	}
	if len(s.Sidecars) != 20 || len(s.ServiceEntries) != 40 || len(s.VirtualServices) != 40 || len(s.NetPolicies) != 40 {
		t.Errorf("reachability: %d Sidecars, %d ServiceEntries, %d VirtualServices, %d NetworkPolicies", len(s.Sidecars), len(s.ServiceEntries), len(s.VirtualServices), len(s.NetPolicies))
	}
	m := s.Matrix(authz.MatrixOptions{})
	if len(m.Cells) != 40*80 {
		t.Fatalf("%d cells, want 40 x 80", len(m.Cells))
	}
	counts := map[authz.Outcome]int{}
	for _, c := range m.Cells {
		counts[c.Outcome]++
	}
	for o, n := range counts {
		if n > len(m.Cells)*3/4 {
			t.Errorf("outcome %s has %d of %d cells: not a mix (%v)", o, n, len(m.Cells), counts)
		}
	}
	for _, want := range []struct {
		what string
		ok   func(authz.Cell) bool
	}{
		{"allowed", func(c authz.Cell) bool { return c.Outcome == authz.Allowed }},
		{"denied by an AuthorizationPolicy", func(c authz.Cell) bool {
			return c.Outcome == authz.Denied && strings.Contains(c.Summary, "RBAC: access denied")
		}},
		{"reset by mutual TLS", func(c authz.Cell) bool {
			return c.Outcome == authz.Reset && strings.Contains(c.Summary, "requires mutual TLS")
		}},
		{"502 from a Sidecar under REGISTRY_ONLY", func(c authz.Cell) bool {
			return c.Outcome == authz.BadGateway && c.Upstream == authz.BlockAll && strings.Contains(c.Summary, "REGISTRY_ONLY (Sidecar ")
		}},
		{"reset by the BlackHoleCluster", func(c authz.Cell) bool {
			return c.Outcome == authz.Reset && c.Upstream == authz.BlackHoleCluster
		}},
		{"passed through (ALLOW_ANY)", func(c authz.Cell) bool {
			return c.Upstream == authz.PassthroughCluster
		}},
		{"a timeout from a NetworkPolicy drop", func(c authz.Cell) bool {
			return c.Outcome == authz.Timeout && strings.Contains(c.Summary, "NetworkPolicy ") && strings.Contains(c.Summary, "the packets are dropped")
		}},
		{"503 from a NetworkPolicy drop", func(c authz.Cell) bool {
			return c.Outcome == authz.TLSMismatch && strings.Contains(c.Summary, "NetworkPolicy ") && strings.Contains(c.Summary, "the packets are dropped")
		}},
		{"a NetworkPolicy naming the Service port", func(c authz.Cell) bool {
			return strings.Contains(c.Summary, "names port 8080, the Service's port")
		}},
		{"a weighted VirtualService route to subsets", func(c authz.Cell) bool {
			return strings.HasPrefix(c.Summary, "VirtualService ") && strings.Contains(c.Summary, " subset v1 90%, ") && strings.Contains(c.Upstream, "|v2|")
		}},
		{"a VirtualService traffic shift to another service", func(c authz.Cell) bool {
			return strings.Contains(c.Summary, "(shift) routes to ") && strings.Count(c.Upstream, "outbound|") == 2
		}},
		{"a fault abort", func(c authz.Cell) bool {
			return c.Outcome == "500" && strings.Contains(c.Summary, "every request is aborted with 500")
		}},
		{"a route to an undefined subset", func(c authz.Cell) bool {
			return strings.Contains(c.Summary, `defines no subset "v3"`)
		}},
		{"an external ServiceEntry", func(c authz.Cell) bool {
			return c.Outcome == authz.Allowed && strings.HasSuffix(c.To, ".example.com") && strings.Contains(c.Summary, "MESH_EXTERNAL")
		}},
	} {
		found := false
		for _, c := range m.Cells {
			if want.ok(c) {
				found = true
				break
			}
		}
		if !found {
			t.Errorf("no cell %s in the generated matrix (%v)", want.what, counts)
		}
	}
}
