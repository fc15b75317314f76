package analyze

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/meshctl/meshctl/pkg/analyze/analyzetest"
)

func TestGeneratedConfigIsClean(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	if err := analyzetest.Generate(&b, 120); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "gen.yaml")
	if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	in, err := ReadFiles([]string{p}, nil, "default")
	if err != nil {
		t.Fatal(err)
	}
	if want := 120*4 + 3*3; len(in.Resources) != want || in.Documents != want {
		t.Fatalf("%d resources from %d documents, want %d", len(in.Resources), in.Documents, want)
	}
	if ms := Run(NewSnapshot(in.Resources, SnapshotOptions{}), All(), RunOptions{}); len(ms) != 0 {
		t.Fatalf("generated config has %d findings, first: %s", len(ms), ms[0])
	}
}

// BenchmarkAnalyzeFiles measures what `meshctl analyze FILE` does: read and
// decode every document, build the snapshot, run every analyzer.
func BenchmarkAnalyzeFiles(b *testing.B) {
	for _, apps := range []int{2000, 20000} {
		b.Run(fmt.Sprintf("apps=%d", apps), func(b *testing.B) {
			var buf bytes.Buffer
			if err := analyzetest.Generate(&buf, apps); err != nil {
				b.Fatal(err)
			}
			p := filepath.Join(b.TempDir(), "gen.yaml")
			if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(buf.Len()))
			b.ReportAllocs()
			var docs int
			for b.Loop() {
				in, err := ReadFiles([]string{p}, nil, "default")
				if err != nil {
					b.Fatal(err)
				}
				docs = in.Documents
				if ms := Run(NewSnapshot(in.Resources, SnapshotOptions{}), All(), RunOptions{}); len(ms) != 0 {
					b.Fatalf("%d findings", len(ms))
				}
			}
			b.ReportMetric(float64(docs), "docs")
		})
	}
}
