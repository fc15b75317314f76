package render

import (
	"bytes"
	"io/fs"
	"os"
	"reflect"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/meshctl/meshctl/charts"
)

// decodeYAML and encodeYAML agree with sigs.k8s.io/yaml on every rendered
// document of the golden files.
func TestCodecMatchesSigsYAML(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("testdata/profile-demo.golden.yaml")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, doc := range splitDocuments(string(data)) {
		if len(bytes.TrimSpace(doc)) == 0 {
			continue
		}
		n++
		got, err := decodeYAML(doc)
		if err != nil {
			t.Fatal(err)
		}
		var want map[string]any
		if err := yaml.Unmarshal(doc, &want); err != nil {
			t.Fatal(err)
		}
		gb, _ := yaml.Marshal(got)
		wb, _ := yaml.Marshal(want)
		if !bytes.Equal(gb, wb) {
			t.Fatalf("document %d decodes differently", n)
		}
		enc, err := encodeYAML(got)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(enc, wb) {
			t.Fatalf("document %d encodes differently:\n%s\nwant:\n%s", n, enc, wb)
		}
	}
	if n < 20 {
		t.Fatalf("only %d documents", n)
	}
}

func TestDecodeYAMLTypes(t *testing.T) {
	t.Parallel()
	got, err := decodeYAML([]byte("a: 1\nb: 1.5\nc: true\nd: null\n1: x\ne: [2]\nf: {g: 18446744073709551615}\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"a": int64(1), "b": 1.5, "c": true, "d": nil, "1": "x", "e": []any{int64(2)}, "f": map[string]any{"g": float64(18446744073709551615)}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %#v\nwant %#v", got, want)
	}
	if _, err := decodeYAML([]byte("- a\n")); err == nil {
		t.Error("a list document must be an error")
	}
}

func benchDocs(b *testing.B) [][]byte {
	data, err := os.ReadFile("testdata/profile-demo.golden.yaml")
	if err != nil {
		b.Fatal(err)
	}
	return splitDocuments(string(data))
}

func BenchmarkDecodeDemo(b *testing.B) {
	docs := benchDocs(b)
	b.ReportAllocs()
	for b.Loop() {
		for _, d := range docs {
			if _, err := decodeYAML(d); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func BenchmarkDecodeDemoSigs(b *testing.B) {
	docs := benchDocs(b)
	b.ReportAllocs()
	for b.Loop() {
		for _, d := range docs {
			var m map[string]any
			if err := yaml.Unmarshal(d, &m); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// The generated CRDs are JSON documents; decoding them as JSON must give
// exactly what the YAML parser gives, so output does not depend on the path.
func TestJSONAndYAMLDecodeAgree(t *testing.T) {
	t.Parallel()
	raw, err := fs.ReadFile(charts.FS, "base/files/crds.gen.yaml")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, part := range splitDocuments(string(raw)) {
		if len(bytes.TrimSpace(bytes.TrimLeft(part, "#"))) == 0 || part[0] == '#' {
			continue
		}
		fromJSON, err := decodeJSON(part)
		if err != nil {
			t.Fatalf("document %d is not JSON: %v", n+1, err)
		}
		fromYAML, err := decodeYAML(part)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(fromJSON, fromYAML) {
			t.Fatalf("document %d decodes differently as JSON and as YAML", n+1)
		}
		viaDoc, _ := decodeDocument(part)
		if !reflect.DeepEqual(viaDoc, fromYAML) {
			t.Fatalf("decodeDocument differs for document %d", n+1)
		}
		n++
	}
	if n != 15 {
		t.Fatalf("checked %d CRDs, want 15", n)
	}
	// Flow-style YAML that only looks like JSON still decodes.
	m, err := decodeDocument([]byte("{kind: ConfigMap, apiVersion: v1}"))
	if err != nil || m["kind"] != "ConfigMap" {
		t.Fatalf("flow YAML: %v %v", m, err)
	}
}
