package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDuplicateKeysAreErrorsEverywhere: every command that reads files
// refuses a key given twice and names both lines, where YAML decoding kept
// the last one (an overlay's second profile won; kube-inject kept the
// second name; analyze found no issue).
func TestDuplicateKeysAreErrorsEverywhere(t *testing.T) {
	dir := isolate(t)
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	pod := write("pod.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {ports: [{port: 80}]}\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n  labels: {app: a}\n  name: b\nspec: {containers: [{name: a, image: x}]}\n")
	overlay := write("overlay.yaml", "apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nspec:\n  profile: demo\n  hub: example.com\n  profile: minimal\n")
	podErr := pod + ` (document 2, line 11, column 3): key "name" is given twice (first at line 9)`
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"manifest", "generate", "-f", overlay}, overlay + ` (document 1, line 6, column 3): key "profile" is given twice (first at line 4)`},
		{[]string{"kube-inject", "-f", pod}, podErr},
		{[]string{"x", "uninject", "-f", pod}, podErr},
		{[]string{"analyze", pod}, podErr},
		{[]string{"authz", "matrix", "-f", pod}, podErr},
		{[]string{"authn", "tls-check", "-f", pod}, podErr},
	} {
		stdout, stderr, code := run(t, tc.args...)
		if code != 1 || strings.Count(stderr, "Error:") != 1 || !strings.Contains(stderr, tc.want) || strings.Contains(stdout, "name: b") {
			t.Errorf("%s: exit %d, stderr %q; want exit 1 and %q", strings.Join(tc.args, " "), code, stderr, tc.want)
		}
	}
}
