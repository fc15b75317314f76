package authz_test

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/meshctl/meshctl/pkg/authz"
	"github.com/meshctl/meshctl/pkg/authz/authztest"
	"github.com/meshctl/meshctl/pkg/yamlstream"
)

func load(b *testing.B, data []byte) *authz.Snapshot {
	b.Helper()
	l := authz.NewLoader("istio-system")
	if err := yamlstream.Read("gen.yaml", bytes.NewReader(data), l.AddDocument); err != nil {
		b.Fatal(err)
	}
	s, err := l.Build(authz.BuildOptions{})
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// BenchmarkMatrix measures `authz matrix` on synthetic meshes: the whole
// evaluation of every workload x service, and separately the loading of the
// YAML. Issue 8's target size is 200x200 with 400 policies.
func BenchmarkMatrix(b *testing.B) {
	for _, sz := range []authztest.Sizes{{Workloads: 100, Services: 100, Policies: 200}, {Workloads: 200, Services: 200, Policies: 400}, {Workloads: 400, Services: 400, Policies: 800}} {
		var buf bytes.Buffer
		if err := authztest.Write(&buf, sz); err != nil {
			b.Fatal(err)
		}
		name := fmt.Sprintf("%dx%d/%d", sz.Workloads, sz.Services, sz.Policies)
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
	if err := authztest.Write(&buf, authztest.Sizes{Workloads: 40, Services: 40, Policies: 80}); err != nil {
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
