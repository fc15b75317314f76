package inject

import (
	"bytes"
	"testing"

	"github.com/meshctl/meshctl/internal/injectgen"
	"github.com/meshctl/meshctl/pkg/yamlstream"
	"sigs.k8s.io/yaml"
)

// renderedBench renders the template for the pods of n benchmark pairs.
func renderedBench(b *testing.B, n int) [][]byte {
	var src bytes.Buffer
	if err := injectgen.Write(&src, n); err != nil {
		b.Fatal(err)
	}
	in := injectorFor(b, nil, "")
	var out [][]byte
	err := yamlstream.Read("bench", &src, func(d yamlstream.Document) error {
		doc, err := parse(d)
		if err != nil || doc == nil {
			return err
		}
		for _, t := range targets(doc.Content[0]) {
			if t.pod == nil {
				continue
			}
			pod, err := decodePod(d, t.pod)
			if err != nil {
				return err
			}
			data, err := in.cfg.templateData(t.workload, pod)
			if err != nil {
				return err
			}
			var buf bytes.Buffer
			if err := in.cfg.templates[0].Execute(&buf, data); err != nil {
				return err
			}
			out = append(out, buf.Bytes())
		}
		return nil
	})
	if err != nil || len(out) != n {
		b.Fatalf("%d templates: %v", len(out), err)
	}
	return out
}

// BenchmarkTemplateDecode compares the two ways from a rendered template
// to the map the strategic merge takes (per template).
func BenchmarkTemplateDecode(b *testing.B) {
	srcs := renderedBench(b, 200)
	b.Run("text", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			j, err := yaml.YAMLToJSON(srcs[i%len(srcs)])
			if err != nil {
				b.Fatal(err)
			}
			if _, err := decodeJSONMap(j); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("map", func(b *testing.B) {
		vc := newValueCache()
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if _, ok := vc.yamlToMap(srcs[i%len(srcs)]); !ok {
				b.Fatal("gave up")
			}
			i++
		}
	})
}
