package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestErrorsNameTheRealLine: a mistake in a file is reported once, at the
// file's line (and column) of the mistake, by every command that reads it.
// Before, each error said "(document 1, line 1)" and then quoted the YAML
// library's own line, relative to the document and, for bad indentation,
// the line of the enclosing block.
func TestErrorsNameTheRealLine(t *testing.T) {
	dir := isolate(t)
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// The mistakes sit in the second document, so that a line counted
	// from the document's start shows.
	service := "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {ports: [{port: 80}]}\n---\n"
	tab := write("tab.yaml", service+"apiVersion: v1\nkind: Pod\nmetadata:\n\tname: p\n")
	indent := write("indent.yaml", service+"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: a\nspec:\n  template:\n    spec:\n      containers:\n      - name: a\n        image: x\n       ports: []\n")
	unknown := write("unknown.yaml", service+"apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a}\nspec:\n  selector: {matchLabels: {app: a}}\n  template:\n    metadata: {labels: {app: a}}\n    spec:\n      containers:\n      - name: a\n        image: x\n        imagePullPolicyy: Always\n")
	overlay := write("overlay.yaml", "apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nspec:\n  profile: demo\n  valuez:\n    global: {}\n")
	overlayType := write("overlay-type.yaml", "apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nspec:\n  values:\n    global:\n      logAsJson: maybe\n")

	tabAt := tab + " (document 2, line 9, column 1): found character that cannot start any token"
	indentAt := indent + " (document 2, line 16, column 8): did not find expected key"
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"manifest", "generate", "-f", overlay}, overlay + " (document 1, line 5, column 3): spec.valuez: unknown field (did you mean spec.values?)"},
		{[]string{"manifest", "generate", "-f", overlayType}, overlayType + ` (document 1, line 6, column 7): spec.values.global.logAsJson: want true or false, got "maybe"`},
		{[]string{"manifest", "generate", "-f", tab}, tabAt},
		{[]string{"kube-inject", "-f", tab}, tabAt},
		{[]string{"kube-inject", "-f", indent}, indentAt},
		{[]string{"kube-inject", "-f", unknown}, unknown + ` (document 2, line 17, column 9): unknown field "imagePullPolicyy" in spec.template.spec.containers[0] (a): did you mean "imagePullPolicy"?`},
		{[]string{"x", "uninject", "-f", indent}, indentAt},
		{[]string{"analyze", tab}, tabAt},
		{[]string{"analyze", indent}, indentAt},
		{[]string{"authz", "matrix", "-f", indent}, indentAt},
		{[]string{"authn", "tls-check", "-f", tab}, tabAt},
	}
	for _, tc := range cases {
		_, stderr, code := run(t, tc.args...)
		if code != 1 || strings.Count(stderr, "Error:") != 1 || !strings.Contains(stderr, tc.want+"\n") {
			t.Errorf("%s: exit %d, stderr %q\nwant exit 1 and %q", strings.Join(tc.args, " "), code, stderr, tc.want)
			continue
		}
		if n := strings.Count(stderr, "line"); n != 1 || strings.Contains(stderr, "yaml:") {
			t.Errorf("%s: the place is not given once, in one form: %q", strings.Join(tc.args, " "), stderr)
		}
	}
}
