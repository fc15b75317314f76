package objdiff

import (
	"bytes"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
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

// FuzzObjectValues: any two YAML maps compared as Pods (lists matched by
// the merge keys of Pod's type) compare without a panic, and a document
// never differs from itself.
func FuzzObjectValues(f *testing.F) {
	f.Add("spec: {containers: [{name: c, ports: [{containerPort: 80}, {containerPort: 80, protocol: UDP}]}]}\n",
		"spec: {containers: [{name: c, ports: [{containerPort: 79}, {containerPort: 80}]}]}\n")
	f.Add("spec: {containers: [{name: c}, {name: c}], volumes: [{name: 1}, {x: y}]}\n", "spec: {containers: {name: c}, volumes: []}\n")
	f.Add("spec: {containers: [{name: c, volumeMounts: [{mountPath: [a]}]}], tolerations: [[a]]}\n", "metadata: {labels: {a: b}}\nspec: 3\n")
	f.Fuzz(func(t *testing.T, a, b string) {
		var ma, mb map[string]any
		if yaml.Unmarshal([]byte(a), &ma) != nil || yaml.Unmarshal([]byte(b), &mb) != nil || ma == nil || mb == nil {
			return
		}
		for _, m := range []map[string]any{ma, mb} {
			m["apiVersion"], m["kind"] = "v1", "Pod"
		}
		ua, ub := &unstructured.Unstructured{Object: ma}, &unstructured.Unstructured{Object: mb}
		if cs := ObjectValues(ua, ua); len(cs) != 0 {
			t.Fatalf("a document differs from itself: %v", cs)
		}
		var buf bytes.Buffer
		WriteChanges(&buf, ObjectValues(ua, ub), "")
	})
}
