package manifest

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/meshctl/meshctl/internal/cmdutil"
)

// runDiff runs `manifest diff` with args and returns its stdout, the error
// and the exit code the CLI would give it.
func runDiff(t *testing.T, args ...string) (string, error, int) {
	t.Helper()
	var out bytes.Buffer
	err := execute(newDiffCmd(newFactory("", &out, &bytes.Buffer{}), nil), args...)
	return out.String(), err, cmdutil.ExitCode(err)
}

// writeFile writes body to name in a fresh directory and returns its path.
func writeFile(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// Exit codes are diff(1)'s: 0 the same, 1 different, 2 trouble. A missing
// file used to exit 1, as if the manifests differed.
func TestDiffExitCodes(t *testing.T) {
	t.Parallel()
	dup := writeFile(t, "dup.yaml", "kind: ConfigMap\napiVersion: v1\nmetadata: {name: c}\n---\nkind: ConfigMap\napiVersion: v1\nmetadata: {name: c}\n")
	bad := writeFile(t, "bad.yaml", "kind: [\n")
	tests := []struct {
		name    string
		args    []string
		code    int
		errText string
	}{
		{"same", []string{"testdata/a.yaml", "testdata/a-reordered.json"}, 0, ""},
		{"different", []string{"testdata/a.yaml", "testdata/b.yaml"}, 1, ""},
		{"first file missing", []string{"testdata/no-such.yaml", "testdata/b.yaml"}, 2, "no-such.yaml"},
		{"second file missing", []string{"testdata/a.yaml", "testdata/no-such.yaml"}, 2, "no-such.yaml"},
		{"bad YAML", []string{"testdata/a.yaml", bad}, 2, "bad.yaml"},
		{"an object twice", []string{dup, "testdata/a.yaml"}, 2, "first input has ConfigMap c twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			out, err, code := runDiff(t, tt.args...)
			if code != tt.code {
				t.Fatalf("exit code %d (%v), want %d", code, err, tt.code)
			}
			if tt.code == 2 {
				if err == nil || !strings.Contains(err.Error(), tt.errText) {
					t.Errorf("error %v, want it to contain %q", err, tt.errText)
				}
				if out != "" {
					t.Errorf("nothing may reach stdout on error, got %q", out)
				}
			}
		})
	}
}
