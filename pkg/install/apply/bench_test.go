package apply_test

import (
	"context"
	"testing"

	"github.com/meshctl/meshctl/internal/testcluster"
	"github.com/meshctl/meshctl/pkg/install/apply"
	"github.com/meshctl/meshctl/pkg/install/render"
	"github.com/meshctl/meshctl/pkg/kube"
)

// BenchmarkApplyDemoNoOp measures re-applying the demo profile when nothing
// changed: the install record's hashes and the live objects decide, without
// a dry run, and nothing is written.
func BenchmarkApplyDemoNoOp(b *testing.B) {
	benchApply(b, true)
}

// BenchmarkApplyDemoNoOpWithoutRecord is the same re-apply when no install
// record exists: every object costs a server-side dry run.
func BenchmarkApplyDemoNoOpWithoutRecord(b *testing.B) {
	benchApply(b, false)
}

func benchApply(b *testing.B, record bool) {
	kc, err := kube.NewClientFromConfig(testcluster.Get(b).AdminConfig())
	if err != nil {
		b.Fatal(err)
	}
	ns := "bench-norecord"
	if record {
		ns = "bench-record"
	}
	m, err := render.Render(render.Options{Sets: []string{"profile=demo", "namespace=" + ns}})
	if err != nil {
		b.Fatal(err)
	}
	opts := apply.Options{Namespace: ns, Prune: true}
	if record {
		opts.Record = &apply.Record{}
	}
	ctx := context.Background()
	if _, err := apply.Apply(ctx, kc, m, opts); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		res, err := apply.Apply(ctx, kc, m, opts)
		if err != nil {
			b.Fatal(err)
		}
		if res.Writes != 0 {
			b.Fatalf("%d writes", res.Writes)
		}
	}
	b.ReportMetric(float64(len(m.Objects)), "objects")
}
