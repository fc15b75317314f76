package objdiff

import (
	"bytes"
	"testing"

	"sigs.k8s.io/yaml"
)

// FuzzValues: any two YAML documents compare without a panic, a document
// never differs from itself, and differences print.
func FuzzValues(f *testing.F) {
	f.Add("a: 1\nl: [{name: x, v: 1}]\n", "a: 2\nl: [{name: x, v: 2}, {name: y}]\n")
	f.Add("s: |\n  one\n  two\n", "s: |\n  one\n  three\n")
	f.Add("n: .nan\n", "n: .inf\n")
	f.Fuzz(func(t *testing.T, a, b string) {
		var va, vb any
		if yaml.Unmarshal([]byte(a), &va) != nil || yaml.Unmarshal([]byte(b), &vb) != nil {
			return
		}
		if cs := Values(va, va); len(cs) != 0 {
			t.Fatalf("a document differs from itself: %v", cs)
		}
		var buf bytes.Buffer
		WriteChanges(&buf, Values(va, vb), "")
	})
}
