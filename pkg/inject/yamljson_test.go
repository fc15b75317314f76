package inject

import (
	"reflect"
	"testing"

	"sigs.k8s.io/yaml"
)

// TestBlockStructureTable: YAML the value cache decodes piece by piece
// gives the library's value; what it cannot (block scalars, anchors, flow
// over several lines) it leaves to the library whole.
func TestBlockStructureTable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		src    string
		direct bool
	}{
		{"a: 1\nb:\n  c: [1, 2]\n  d:\n  - x\n  - y: 1\n    z: 'q: r'\n", true},
		{"list:\n- name: a\n  value: \"x\"\n-   name: b\n- plain\n-\n  nested: true\n", true},
		{"a:\n  # comment\n  b: 1\n\n  c: ~\nd:\n", true},
		{"a: |\n  text\n", false},   // block scalar: whole
		{"a: &x 1\nb: *x\n", false}, // anchors: whole
		{"a: [1,\n  2]\n", false},   // flow over lines: whole
		{"a:\n  - 1\n  - 2\nb: 3\n", true},
		{"'quoted key':\n  x: 1\n", true},
	}
	for _, tc := range tests {
		got, ok := newValueCache().yamlToMap([]byte(tc.src))
		if ok != tc.direct {
			t.Errorf("%q: decoded piecewise %v, want %v", tc.src, ok, tc.direct)
		}
		if !ok {
			continue
		}
		j, err := yaml.YAMLToJSON([]byte(tc.src))
		if err != nil {
			t.Fatal(err)
		}
		want, err := decodeJSONMap(j)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%q: got %#v, want %#v", tc.src, got, want)
		}
	}
}
