package render

import "testing"

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
