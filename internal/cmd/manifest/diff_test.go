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

// A kind in --select that no object on either side has, or one in --ignore
// that is no kind at all, is an error naming it, with the nearest known
// kind when it looks like a typo. A typo used to print nothing and exit 0.
func TestDiffSelectorsThatMatchNothing(t *testing.T) {
	t.Parallel()
	const ab = "testdata/a.yaml testdata/b.yaml "
	tests := []struct {
		args string
		want string
	}{
		{ab + "--select Deploymnet", `--select "Deploymnet": no object of that kind in either input; did you mean "Deployment"?`},
		{ab + "--select deployment,Srevice", `--select "Srevice": no object of that kind in either input; did you mean "Service"?`},
		// Known kinds beyond those in the inputs are hints too.
		{ab + "--select HorizontalPodAutoscalr", `--select "HorizontalPodAutoscalr": no object of that kind in either input; did you mean "HorizontalPodAutoscaler"?`},
		{ab + "--select VirtualServcie", `--select "VirtualServcie": no object of that kind in either input; did you mean "VirtualService"?`},
		// A real kind that neither input has: nothing to compare.
		{ab + "--select Gateway", `--select "Gateway": no object of that kind in either input (they have ConfigMap, Deployment, Service)`},
		{ab + "--select Zzzzzzzzzz", `--select "Zzzzzzzzzz": no object of that kind in either input (they have ConfigMap, Deployment, Service)`},
		{ab + "--ignore Servcie", `--ignore "Servcie": no such kind; did you mean "Service"?`},
		{ab + "--ignore ConfigMap,Deploymnet --select Srevice", `--select "Srevice": no object of that kind in either input; did you mean "Service"?; --ignore "Deploymnet": no such kind; did you mean "Deployment"?`},
	}
	for _, tt := range tests {
		t.Run(tt.args, func(t *testing.T) {
			t.Parallel()
			out, err, code := runDiff(t, strings.Fields(tt.args)...)
			if code != 2 {
				t.Fatalf("exit code %d (%v), want 2", code, err)
			}
			if err.Error() != tt.want {
				t.Errorf("error:\n%s\nwant:\n%s", err, tt.want)
			}
			if out != "" {
				t.Errorf("nothing may reach stdout on error, got %q", out)
			}
		})
	}
}

// Selectors that do match keep working, case-insensitively; a known kind
// that neither input has may be ignored.
func TestDiffSelectorsThatMatch(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args string
		code int
		want string
	}{
		{"testdata/a.yaml testdata/b.yaml --select configmap", 1, "- ConfigMap shop/only-in-a (only in testdata/a.yaml)\n+ ConfigMap shop/only-in-b (only in testdata/b.yaml)\n"},
		{"testdata/a.yaml testdata/b.yaml --ignore Deployment,Service,ConfigMap,CustomResourceDefinition,Gateway", 0, ""},
		// A kind only one side has selects.
		{"testdata/a.yaml testdata/b.yaml --select ConfigMap,Service", 1, "- ConfigMap shop/only-in-a (only in testdata/a.yaml)\n+ ConfigMap shop/only-in-b (only in testdata/b.yaml)\n~ Service shop/web\n    + spec.ports[port:8080]: {\"name\":\"http\",\"port\":8080}\n    - spec.ports[port:80]: {\"name\":\"http\",\"port\":80}\n"},
	}
	for _, tt := range tests {
		t.Run(tt.args, func(t *testing.T) {
			t.Parallel()
			out, err, code := runDiff(t, strings.Fields(tt.args)...)
			if code != tt.code {
				t.Fatalf("exit code %d (%v), want %d", code, err, tt.code)
			}
			if out != tt.want {
				t.Errorf("got:\n%s\nwant:\n%s", out, tt.want)
			}
		})
	}
}

// List items are matched by their key, not by their place: the
// strategic-merge-patch key of a built-in kind's list (containerPort, port,
// mountPath, name; the protocol too where the key repeats), else a name
// every item has once, else the position. One inserted port used to show as
// every later port changed.
func TestDiffListsByKey(t *testing.T) {
	t.Parallel()
	out, err, code := runDiff(t, "testdata/keys-a.yaml", "testdata/keys-b.yaml")
	if code != 1 {
		t.Fatalf("exit code %d (%v), want 1", code, err)
	}
	want := strings.Join([]string{
		"~ Deployment istio-system/istio-ingressgateway",
		`    + spec.template.spec.containers[name:istio-proxy].args[2]: "--concurrency=2"`,
		`    ~ spec.template.spec.containers[name:istio-proxy].env[name:ISTIO_META_ROUTER_MODE].value: "standard" -> "sni-dnat"`,
		`    + spec.template.spec.containers[name:istio-proxy].env[name:PROXY_CONFIG]: {"name":"PROXY_CONFIG","value":"{}"}`,
		`    ~ spec.template.spec.containers[name:istio-proxy].image: "proxyv2:1.30" -> "proxyv2:1.31"`,
		`    + spec.template.spec.containers[name:istio-proxy].ports[containerPort:15090]: {"containerPort":15090,"name":"http-envoy-prom","protocol":"TCP"}`,
		`    + spec.template.spec.containers[name:istio-proxy].volumeMounts[mountPath:/etc/istio/custom-bootstrap]: {"mountPath":"/etc/istio/custom-bootstrap","name":"istio-envoy","subPath":"custom"}`,
		`    ~ spec.template.spec.tolerations[0].key: "a" -> "b"`,
		"~ Service istio-system/istio-ingressgateway",
		`    + spec.ports[port:31400]: {"name":"tcp","port":31400,"targetPort":31400}`,
		"~ Service kube-system/kube-dns",
		`    ~ spec.ports[port:53,protocol:UDP].name: "dns" -> "dns-udp"`,
		"~ VirtualService shop/reviews",
		`    ~ spec.http[name:v2].route[0].destination.subset: "v2" -> "v3"`,
	}, "\n") + "\n"
	if out != want {
		t.Errorf("got:\n%s\nwant:\n%s", out, want)
	}
}
