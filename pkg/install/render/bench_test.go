package render

import (
	"io"
	"testing"

	"github.com/meshctl/meshctl/pkg/install/helmrender"
)

// BenchmarkRenderDemo measures merging and rendering the demo profile,
// with the charts already loaded (as in a second render in one process).
func BenchmarkRenderDemo(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		m, err := Render(Options{Sets: []string{"profile=demo"}})
		if err != nil {
			b.Fatal(err)
		}
		if len(m.Objects) == 0 {
			b.Fatal("no objects")
		}
	}
}

// BenchmarkRenderDemoCold also loads the charts, as the first render of a
// process does.
func BenchmarkRenderDemoCold(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		chartMu.Lock()
		chartCache = map[string]*helmrender.Chart{}
		chartMu.Unlock()
		if _, err := Render(Options{Sets: []string{"profile=demo"}}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWriteDemo measures printing the demo install as YAML.
func BenchmarkWriteDemo(b *testing.B) {
	m, err := Render(Options{Sets: []string{"profile=demo"}})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := Write(io.Discard, m.Objects); err != nil {
			b.Fatal(err)
		}
	}
}
