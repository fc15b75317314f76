package analyze

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/meshctl/meshctl/internal/analyzegen"
)

func TestGeneratedConfigIsClean(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		opts       analyzegen.Options
		namespaces int
	}{
		{analyzegen.Options{Apps: 120}, 3},
		{analyzegen.Options{Apps: 120, Namespaces: 1}, 1},
		{analyzegen.Options{Apps: 120, Namespaces: 7}, 7},
	} {
		t.Run(fmt.Sprintf("namespaces=%d", c.opts.Namespaces), func(t *testing.T) {
			t.Parallel()
			var b bytes.Buffer
			if err := analyzegen.GenerateOptions(&b, c.opts); err != nil {
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
			if want := 120*4 + 3*c.namespaces; len(in.Resources) != want || in.Documents != want {
				t.Fatalf("%d resources from %d documents, want %d", len(in.Resources), in.Documents, want)
			}
			nss := map[string]bool{}
			for _, r := range in.Resources {
				nss[r.Namespace] = true
			}
			if len(nss) != c.namespaces {
				t.Fatalf("resources in %d namespaces (%v), want %d", len(nss), nss, c.namespaces)
			}
			if ms := Run(NewSnapshot(in.Resources, SnapshotOptions{}), All(), RunOptions{}); len(ms) != 0 {
				t.Fatalf("generated config has %d findings, first: %s", len(ms), ms[0])
			}
		})
	}
}

// BenchmarkAnalyzeFiles measures what `meshctl analyze FILE` does: read and
// decode every document, build the snapshot, run every analyzer. The
// "namespaces=1" cases put every app in one namespace, where a check that
// compares each object with the others of its namespace shows as growth
// faster than the input's.
func BenchmarkAnalyzeFiles(b *testing.B) {
	for _, c := range []analyzegen.Options{
		{Apps: 2000},
		{Apps: 20000},
		{Apps: 2000, Namespaces: 1},
		{Apps: 20000, Namespaces: 1},
	} {
		name := fmt.Sprintf("apps=%d", c.Apps)
		if c.Namespaces > 0 {
			name += fmt.Sprintf("/namespaces=%d", c.Namespaces)
		}
		b.Run(name, func(b *testing.B) {
			var buf bytes.Buffer
			if err := analyzegen.GenerateOptions(&buf, c); err != nil {
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
