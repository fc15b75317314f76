package authz_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/meshctl/meshctl/internal/cli"
	"github.com/meshctl/meshctl/internal/testutil/golden"
)

const data = "../../../pkg/authz/testdata/"

// offline points --kubeconfig at a file that cannot be read: any attempt
// to reach a cluster fails the command.
func offline(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(p, []byte("not: [valid"), 0o000); err != nil {
		t.Fatal(err)
	}
	return p
}

func run(t *testing.T, stdin string, args ...string) (string, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := cli.Main(args, genericiooptions.IOStreams{In: strings.NewReader(stdin), Out: &out, ErrOut: &errOut})
	return out.String(), errOut.String(), code
}

func files(names ...string) []string {
	args := []string{"-f", data + "apps.yaml"}
	for _, n := range names {
		args = append(args, "-f", data+"scenarios/"+n)
	}
	return args
}

var seedOrder = []string{"--from", "sleep.foo", "--from", "sleep.bar", "--from", "sleep.legacy", "--to", "httpbin.foo", "--to", "httpbin.bar", "--to", "httpbin.legacy"}

func TestCommandsOffline(t *testing.T) {
	t.Parallel()
	strict := files("mesh-automtls-off.yaml", "strict.yaml")
	denyAll := files("mesh-automtls-off.yaml", "strict.yaml", "dr-local.yaml", "deny-all.yaml")
	cases := []struct {
		name string
		args []string
		code int
	}{
		{"matrix-strict.txt", append(append([]string{"authz", "matrix"}, strict...), seedOrder...), 0},
		{"matrix-strict.json", append(append([]string{"authz", "matrix", "-o", "json"}, strict...), seedOrder...), 0},
		{"matrix-strict.dot", append(append([]string{"authz", "matrix", "-o", "dot"}, strict...), seedOrder...), 0},
		{"matrix-deny-all.svg", append(append([]string{"authz", "matrix", "-o", "svg", "--from", "istio-ingressgateway.istio-system"}, denyAll...), seedOrder...), 0},
		{"can-strict.txt", append([]string{"authz", "can", "sleep.foo", "httpbin.bar"}, strict...), 0},
		{"can-deny-all.json", append([]string{"authz", "can", "sleep.bar", "httpbin", "-n", "foo", "-o", "json"}, denyAll...), 0},
		{"check-deny-all.txt", append([]string{"authz", "check", "httpbin", "-n", "foo"}, denyAll...), 0},
		{"tls-check-strict.txt", append([]string{"authn", "tls-check", "sleep.foo", "httpbin.bar"}, strict...), 0},
		{"tls-check-automtls.txt", append([]string{"authn", "tls-check", "sleep.foo"}, files("strict.yaml")...), 0},
		{"tls-check-no-client.json", append([]string{"authn", "tls-check", "-o", "json", "-", "httpbin.legacy"}, files("strict.yaml", "dr-local.yaml")...), 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			args := append([]string{"--kubeconfig", offline(t)}, tc.args...)
			out, errOut, code := run(t, "", args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d: %s", code, tc.code, errOut)
			}
			if strings.HasSuffix(tc.name, ".json") && !json.Valid([]byte(out)) {
				t.Fatalf("invalid JSON:\n%s", out)
			}
			golden.CheckString(t, filepath.Join("testdata", tc.name), out)
		})
	}
}

func TestJourneyTable(t *testing.T) {
	t.Parallel()
	args := append(append([]string{"--kubeconfig", offline(t), "authz", "matrix"}, files("mesh-automtls-off.yaml", "strict.yaml")...), seedOrder...)
	out, errOut, code := run(t, "", args...)
	if code != 0 {
		t.Fatal(errOut)
	}
	want := `FROM \ TO      httpbin.foo   httpbin.bar   httpbin.legacy
sleep.foo      503           503           200
sleep.bar      503           503           200
sleep.legacy   reset         reset         200
`
	if out != want {
		t.Fatalf("got\n%s\nwant\n%s", out, want)
	}
}

func TestCheckWarnsOnStderr(t *testing.T) {
	t.Parallel()
	args := append([]string{"--kubeconfig", offline(t), "authz", "check", "httpbin.foo"}, files("deny-all.yaml")...)
	out, errOut, code := run(t, "", args...)
	if code != 0 {
		t.Fatal(errOut)
	}
	if !strings.Contains(out, "ALLOW  foo/deny-all  (no rules: denies every request, including from the ingress gateway)") {
		t.Errorf("stdout:\n%s", out)
	}
	if strings.Contains(out, "warning") {
		t.Errorf("warnings on stdout:\n%s", out)
	}
}

func TestStdinAndErrors(t *testing.T) {
	t.Parallel()
	apps, err := os.ReadFile(data + "apps.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		stdin   string
		args    []string
		code    int
		wantOut string
		wantErr string
	}{
		{"stdin", string(apps), []string{"authz", "can", "sleep.legacy", "httpbin.foo", "-f", "-"}, 0, "200: ", ""},
		{"no input", "", []string{"authz", "matrix"}, 2, "", "give input files with -f"},
		{"-A without kube", "", []string{"authz", "matrix", "-A", "-f", "-"}, 2, "", "-A needs --use-kube"},
		{"bad output", "", []string{"authz", "matrix", "-f", "-", "-o", "png"}, 2, "", "--output must be one of table|json|dot|svg"},
		{"bad header", "", []string{"authz", "can", "a.b", "c.d", "-f", "-", "--header", "novalue"}, 2, "", "--header must be KEY=VALUE"},
		{"unknown workload", string(apps), []string{"authz", "can", "nope.foo", "httpbin.foo", "-f", "-"}, 1, "", `no workload "nope" in namespace "foo"`},
		{"unknown service", string(apps), []string{"authz", "can", "sleep.foo", "nope.foo", "-f", "-"}, 1, "", `no service "nope" in namespace "foo"`},
		{"bad port", string(apps), []string{"authz", "can", "sleep.foo", "httpbin.foo", "--port", "9", "-f", "-"}, 2, "", "has no port 9"},
		{"bad yaml", "apiVersion: v1\nkind: Service\nmetadata: [\n", []string{"authz", "matrix", "-f", "-"}, 1, "", "<stdin>"},
		{"bad policy", "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: x, namespace: foo}\nspec:\n  action: MAYBE\n", []string{"authz", "matrix", "-f", "-"}, 1, "", `AuthorizationPolicy "x"`},
		{"missing file", "", []string{"authz", "matrix", "-f", "does-not-exist.yaml"}, 1, "", "does-not-exist.yaml"},
		{"auto-mtls override", string(apps) + "---\napiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: default, namespace: istio-system}\nspec: {mtls: {mode: STRICT}}\n", []string{"authz", "can", "sleep.foo", "httpbin.bar", "-f", "-", "--auto-mtls=false"}, 0, "503: httpbin.bar requires mutual TLS", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			out, errOut, code := run(t, tc.stdin, append([]string{"--kubeconfig", offline(t)}, tc.args...)...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tc.code, out, errOut)
			}
			if !strings.Contains(out, tc.wantOut) || !strings.Contains(errOut, tc.wantErr) {
				t.Fatalf("stdout: %s\nstderr: %s\nwant %q / %q", out, errOut, tc.wantOut, tc.wantErr)
			}
		})
	}
}

func TestMeshConfigFile(t *testing.T) {
	t.Parallel()
	mc := filepath.Join(t.TempDir(), "mesh.yaml")
	if err := os.WriteFile(mc, []byte("enableAutoMtls: true\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// The scenario's ConfigMap turns auto mTLS off; the file wins.
	args := append([]string{"--kubeconfig", offline(t), "authz", "can", "sleep.foo", "httpbin.bar", "--meshConfigFile", mc}, files("mesh-automtls-off.yaml", "strict.yaml")...)
	out, errOut, code := run(t, "", args...)
	if code != 0 || !strings.HasPrefix(out, "200: ") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
}

// --cluster-domain names the DNS suffix of service hosts when the inputs
// hold no injector config.
func TestClusterDomainFlag(t *testing.T) {
	t.Parallel()
	args := append([]string{"--kubeconfig", offline(t), "authn", "tls-check", "sleep.foo", "httpbin.bar", "--cluster-domain", "corp.example"}, files("mesh-automtls-off.yaml", "strict.yaml")...)
	out, errOut, code := run(t, "", args...)
	if code != 0 {
		t.Fatal(errOut)
	}
	if !strings.Contains(out, "\nhttpbin.bar.svc.corp.example:8000 ") || strings.Contains(out, "cluster.local") {
		t.Fatalf("hosts not in corp.example:\n%s", out)
	}
}

// TestMatrixPatternThatMatchesNothing: a --from or --to that selects
// nothing is an error naming it and what it could have selected.
func TestMatrixPatternThatMatchesNothing(t *testing.T) {
	t.Parallel()
	args := append([]string{"--kubeconfig", offline(t), "authz", "matrix", "--from", "nomatch.*", "--from", "sleep.foo", "--to", "httpbin.nowhere"}, files()...)
	stdout, stderr, code := run(t, "", args...)
	if code == 0 || stdout != "" {
		t.Fatalf("exit %d, stdout %q", code, stdout)
	}
	for _, want := range []string{`Error: --from "nomatch.*" matches no workload (known: `, `sleep.foo`, `--to "httpbin.nowhere" matches no service (known: `} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if strings.Count(stderr, "Error:") != 1 {
		t.Errorf("want one Error: line:\n%s", stderr)
	}
}

// TestSameObjectTwice: a file given twice counts once, with a warning;
// two different objects of one kind, namespace and name are an error
// naming both places.
func TestSameObjectTwice(t *testing.T) {
	t.Parallel()
	apps := data + "apps.yaml"
	once, _, code := run(t, "", "--kubeconfig", offline(t), "authz", "matrix", "-f", apps, "--from", "sleep.*", "--to", "httpbin.*")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	twice, stderr, code := run(t, "", "--kubeconfig", offline(t), "authz", "matrix", "-f", apps, "-f", apps, "--from", "sleep.*", "--to", "httpbin.*")
	if code != 0 || twice != once {
		t.Fatalf("exit %d; the same file twice changed the matrix:\n%s\nwant\n%s", code, twice, once)
	}
	if !strings.Contains(stderr, "Warning: Service foo/httpbin is read twice ("+apps+" (document ") || !strings.Contains(stderr, "it counts once") {
		t.Errorf("no warning for the object read twice:\n%s", stderr)
	}
	dir := t.TempDir()
	a := filepath.Join(dir, "a.yaml")
	b := filepath.Join(dir, "b.yaml")
	pa := "apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: default, namespace: foo}\nspec: {mtls: {mode: STRICT}}\n"
	if err := os.WriteFile(a, []byte(pa), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(b, []byte(strings.Replace(pa, "STRICT", "DISABLE", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	_, stderr, code = run(t, "", "--kubeconfig", offline(t), "authz", "matrix", "-f", apps, "-f", a, "-f", b)
	if code == 0 || !strings.Contains(stderr, "PeerAuthentication foo/default is defined twice with different content: "+a+" (document 1, line 1) and "+b+" (document 1, line 1)") {
		t.Fatalf("conflicting objects: exit %d: %s", code, stderr)
	}
	// Key order and formatting do not make a copy different.
	if err := os.WriteFile(b, []byte("kind: PeerAuthentication\napiVersion: security.istio.io/v1\nspec:\n  mtls:\n    mode: STRICT\nmetadata:\n  namespace: foo\n  name: default\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, stderr, code := run(t, "", "--kubeconfig", offline(t), "authz", "matrix", "-f", apps, "-f", a, "-f", b); code != 0 || !strings.Contains(stderr, "read twice") {
		t.Fatalf("a reordered copy: exit %d: %s", code, stderr)
	}
}
