package inject

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

func sameJSON(t testing.TB, a, b []byte) bool {
	t.Helper()
	var va, vb any
	if err := json.Unmarshal(a, &va); err != nil {
		t.Fatalf("invalid JSON %q: %v", a, err)
	}
	if err := json.Unmarshal(b, &vb); err != nil {
		t.Fatalf("invalid JSON %q: %v", b, err)
	}
	return reflect.DeepEqual(va, vb)
}

// TestChunkedMatchesLibrary: for the rendered template of every workload of
// every golden case, piecewise conversion gives the YAML library's JSON,
// and the pieces are really reused.
func TestChunkedMatchesLibrary(t *testing.T) {
	t.Parallel()
	cc := newChunkCache()
	converted := 0
	for _, c := range goldenCases {
		in := injectorFor(t, c.sets, c.revision)
		for _, p := range pods(t, readInput(t, c.input)) {
			if p.pod == nil || skipReason(p.w, p.pod, in.cfg.revision) != "" {
				continue
			}
			data, err := in.cfg.templateData(p.w, p.pod)
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := in.cfg.templates[0].Execute(&buf, data); err != nil {
				t.Fatal(err)
			}
			if !chunkable(buf.Bytes()) {
				t.Fatalf("%s: our own template's output should be chunkable", c.name)
			}
			want, err := yaml.YAMLToJSON(buf.Bytes())
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(buf.String(), "\n")
			got, ok := cc.block(lines)
			if !ok {
				t.Fatalf("%s: piecewise conversion gave up", c.name)
			}
			if !sameJSON(t, want, []byte(got)) {
				t.Fatalf("%s: piecewise JSON differs:\n%s\n%s", c.name, want, got)
			}
			converted++
		}
	}
	if converted < 20 || len(cc.m) == 0 {
		t.Fatalf("converted %d templates, %d pieces cached", converted, len(cc.m))
	}
}

func TestChunkedTable(t *testing.T) {
	t.Parallel()
	tests := []string{
		"a: 1\nb:\n  c: [1, 2]\n  d:\n  - x\n  - y: 1\n    z: 'q: r'\n",
		"list:\n- name: a\n  value: \"x\"\n-   name: b\n- plain\n-\n  nested: true\n",
		"a:\n  # comment\n  b: 1\n\n  c: ~\nd:\n",
		"a: |\n  text\n",           // block scalar: whole
		"a: &x 1\nb: *x\n",         // anchors: whole
		"a: [1,\n  2]\n",           // flow over lines: whole
		"- a\n- b: c\n",            // top-level list
		"a:\n  - 1\n  - 2\nb: 3\n", // indented list
		"'quoted key':\n  x: 1\n",
		"a:\n  'b: c'\n", // scalar under a key
	}
	for _, src := range tests {
		cc := newChunkCache()
		got, err := cc.yamlToJSON([]byte(src))
		want, werr := yaml.YAMLToJSON([]byte(src))
		if (err == nil) != (werr == nil) {
			t.Fatalf("%q: error %v, library %v", src, err, werr)
		}
		if err == nil && !sameJSON(t, want, got) {
			t.Errorf("%q: got %s, want %s", src, got, want)
		}
	}
}

// FuzzChunkedYAMLToJSON: whenever both succeed, piecewise conversion and
// the YAML library agree.
func FuzzChunkedYAMLToJSON(f *testing.F) {
	f.Add([]byte("a: 1\nb:\n  c: [1, 2]\n  d:\n  - x\n  - y: 1\n"))
	f.Add([]byte("list:\n- name: a\n  value: \"x\"\n- plain\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		if !chunkable(src) {
			return // the library itself does the work
		}
		cc := newChunkCache()
		got, err := cc.yamlToJSON(src)
		if err != nil {
			return
		}
		want, err := yaml.YAMLToJSON(src)
		if err != nil {
			t.Fatalf("library rejects %q that piecewise conversion read as %s", src, got)
		}
		var va, vb any
		if json.Unmarshal(want, &va) != nil || json.Unmarshal(got, &vb) != nil {
			return
		}
		if again, _ := yaml.YAMLToJSON(src); !bytes.Equal(again, want) {
			return // duplicate keys: the library's answer changes run to run
		}
		if !reflect.DeepEqual(va, vb) {
			t.Fatalf("%q: got %s, want %s", src, got, want)
		}
	})
}
