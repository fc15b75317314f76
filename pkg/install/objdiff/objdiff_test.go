package objdiff

import (
	"bytes"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func TestValues(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		a, b any
		want string
	}{
		{"equal", map[string]any{"a": 1.0, "b": []any{"x"}}, map[string]any{"b": []any{"x"}, "a": int64(1)}, ""},
		{"changed", map[string]any{"a": "x"}, map[string]any{"a": "y"}, "~ a: \"x\" -> \"y\"\n"},
		{"added and removed", map[string]any{"a": 1.0}, map[string]any{"b": 2.0}, "- a: 1\n+ b: 2\n"},
		{"named lists ignore order", map[string]any{"l": []any{map[string]any{"name": "p", "v": 1.0}, map[string]any{"name": "q"}}},
			map[string]any{"l": []any{map[string]any{"name": "q"}, map[string]any{"name": "p", "v": 2.0}}}, "~ l[name:p].v: 1 -> 2\n"},
		{"plain lists by index", map[string]any{"l": []any{"a", "b"}}, map[string]any{"l": []any{"a"}}, "- l[1]: \"b\"\n"},
		{"type change", map[string]any{"a": map[string]any{"x": 1.0}}, map[string]any{"a": "s"}, "~ a: {\"x\":1} -> \"s\"\n"},
		{"multi-line strings by line", map[string]any{"c": "a: 1\nb: 2\nc: 3"}, map[string]any{"c": "a: 1\nb: 9\nc: 3\nd: 4"},
			"~ c:\n    - b: 2\n    + b: 9\n    + d: 4\n"},
		{"dotted keys escaped", map[string]any{"a.b": 1.0}, map[string]any{"a.b": 2.0}, "~ a\\.b: 1 -> 2\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			WriteChanges(&buf, Values(tt.a, tt.b), "")
			if buf.String() != tt.want {
				t.Errorf("got:\n%s\nwant:\n%s", buf.String(), tt.want)
			}
		})
	}
}

func obj(kind, ns, name string, spec map[string]any) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": kind, "spec": spec}}
	u.SetNamespace(ns)
	u.SetName(name)
	return u
}

func TestObjects(t *testing.T) {
	t.Parallel()
	a := []*unstructured.Unstructured{obj("Service", "ns", "s", map[string]any{"x": 1.0}), obj("ClusterRole", "", "r", nil)}
	b := []*unstructured.Unstructured{obj("Service", "ns", "s", map[string]any{"x": 2.0}), obj("ConfigMap", "ns", "c", nil)}
	d, err := Objects(a, b, Filter{})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	d.Write(&buf, "A", "B")
	want := "- ClusterRole r (only in A)\n+ ConfigMap ns/c (only in B)\n~ Service ns/s\n    ~ spec.x: 1 -> 2\n"
	if buf.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", buf.String(), want)
	}
	d, _ = Objects(a, b, Filter{Select: []string{"clusterrole"}})
	if len(d.OnlyA) != 1 || len(d.OnlyB) != 0 || len(d.Changed) != 0 {
		t.Errorf("select: %+v", d)
	}
	d, _ = Objects(a, b, Filter{Ignore: []string{"Service", "ClusterRole", "ConfigMap"}})
	if !d.Empty() {
		t.Errorf("ignore: %+v", d)
	}
	if _, err := Objects(append(a, a[0]), b, Filter{}); err == nil {
		t.Error("a duplicate object must be an error")
	}
}
