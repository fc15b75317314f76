package kubeinject_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestNothingToInjectIsVisible: an empty directory and a workload without
// a name are errors naming the directory or the document, not a silent
// exit 0 (the unnamed Deployment was reported as "deployment/ unchanged").
func TestNothingToInjectIsVisible(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	unnamed := write("unnamed.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: s}\n---\napiVersion: apps/v1\nkind: Deployment\nspec: {template: {spec: {containers: [{name: a, image: x}]}}}\n")
	inList := write("list.yaml", "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: a}\n  spec: {containers: [{name: a, image: x}]}\n- apiVersion: apps/v1\n  kind: DaemonSet\n  metadata: {labels: {a: b}}\n")
	generated := write("generated.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {generateName: web-}\nspec: {template: {spec: {containers: [{name: a, image: x}]}}}\n")
	write("empty/notes.txt", "not YAML\n")
	for _, tc := range []struct {
		file, want string
	}{
		{filepath.Join(dir, "empty"), filepath.Join(dir, "empty") + ": the directory holds no .yaml, .yml or .json file"},
		{unnamed, unnamed + " (document 2, line 5): Deployment has no metadata.name"},
		{inList, inList + " (document 1, line 1): DaemonSet (items[1]) has no metadata.name"},
	} {
		stdout, stderr, code := run(t, "", "kube-inject", "-f", tc.file)
		if code != 1 || strings.Contains(stdout, "DaemonSet") || !strings.HasSuffix(stderr, "\nError: "+tc.want+"\n") && stderr != "Error: "+tc.want+"\n" {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want exit 1 and %q", tc.file, code, stdout, stderr, tc.want)
		}
	}
	if stdout, stderr, code := run(t, "", "kube-inject", "-f", generated); code != 0 || !strings.Contains(stdout, "istio-proxy") {
		t.Errorf("generateName: exit %d, stderr %q", code, stderr)
	}
}
