package analyze_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/cli-runtime/pkg/genericiooptions"
	"sigs.k8s.io/yaml"

	"github.com/meshctl/meshctl/internal/cli"
)

const samples = "../../../samples"

// badKubeconfig is a kubeconfig that fails to load: any command that reads
// it errors, so offline runs prove they never touch it.
func badKubeconfig(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(p, []byte("this: [is not a kubeconfig\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func run(t *testing.T, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = cli.Main(args, genericiooptions.IOStreams{In: strings.NewReader(stdin), Out: &out, ErrOut: &errOut})
	return out.String(), errOut.String(), code
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const (
	infoOnly    = "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n"
	warningOnly = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d, namespace: shop}\nspec:\n  selector: {matchLabels: {app: d}}\n  template:\n    metadata: {labels: {app: d}}\n    spec: {containers: [{name: d, image: d, securityContext: {runAsUser: 1337}}]}\n"
	errorOnly   = "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: v, namespace: shop}\nspec: {hosts: [a], http: [{route: [{destination: {host: nowhere}}]}]}\n"
)

func TestExitCodeFormatThresholdMatrix(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	inputs := []struct {
		name  string
		file  string
		level int // -1 clean, 0 info, 1 warning, 2 error
	}{
		{"clean", filepath.Join(samples, "helloworld", "good"), -1},
		{"info", writeFile(t, dir, "info.yaml", infoOnly), 0},
		{"warning", writeFile(t, dir, "warning.yaml", warningOnly), 1},
		{"error", writeFile(t, dir, "error.yaml", errorOnly), 2},
	}
	thresholds := []string{"Info", "Warning", "Error"}
	kc := badKubeconfig(t)
	for _, format := range []string{"log", "json", "yaml", "sarif"} {
		for ti, th := range thresholds {
			for _, in := range inputs {
				t.Run(format+"/"+th+"/"+in.name, func(t *testing.T) {
					stdout, stderr, code := run(t, "", "analyze", "--kubeconfig", kc, "-o", format, "--failure-threshold", th, in.file)
					want := 0
					if in.level >= ti {
						want = 79
					}
					if code != want {
						t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, want, stdout, stderr)
					}
					if strings.Contains(stderr, "Error:") {
						t.Fatalf("an error was printed: %s", stderr)
					}
					switch format {
					case "json", "sarif":
						var v any
						if err := json.Unmarshal([]byte(stdout), &v); err != nil {
							t.Fatalf("stdout is not JSON: %v\n%s", err, stdout)
						}
					case "yaml":
						var v any
						if err := yaml.Unmarshal([]byte(stdout), &v); err != nil {
							t.Fatalf("stdout is not YAML: %v\n%s", err, stdout)
						}
					case "log":
						if in.level < 0 && stdout != "" {
							t.Fatalf("clean run printed %q", stdout)
						}
						if in.level >= 0 && !strings.Contains(stdout, "[IST0") {
							t.Fatalf("no finding printed: %q", stdout)
						}
					}
					if in.level < 0 && !strings.Contains(stderr, "No issues found") {
						t.Fatalf("no confirmation on stderr: %q", stderr)
					}
					if strings.Contains(stdout, "\x1b[") {
						t.Fatal("colour on a pipe")
					}
				})
			}
		}
	}
}

func TestOutputThresholdHidesButStillFails(t *testing.T) {
	t.Parallel()
	f := writeFile(t, t.TempDir(), "all.yaml", infoOnly+"---\n"+warningOnly+"---\n"+errorOnly)
	stdout, stderr, code := run(t, "", "analyze", "--kubeconfig", badKubeconfig(t), "--output-threshold", "Error", f)
	if code != 79 || strings.Count(stdout, "\n") != 1 || !strings.HasPrefix(stdout, "Error [IST0101] (VirtualService shop/v ") {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	stdout, _, code = run(t, "", "analyze", "--kubeconfig", badKubeconfig(t), "--output-threshold", "Error", "--failure-threshold", "Error", writeFile(t, t.TempDir(), "w.yaml", warningOnly))
	if code != 0 || stdout != "" {
		t.Fatalf("exit %d, stdout %q", code, stdout)
	}
}

func TestStdinAndFileLocations(t *testing.T) {
	t.Parallel()
	stdout, stderr, code := run(t, infoOnly+"---\n"+errorOnly, "analyze", "--kubeconfig", badKubeconfig(t), "-")
	if code != 79 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	want := "Info [IST0102] (Namespace shop <stdin>:1:1) "
	if !strings.HasPrefix(stdout, want) {
		t.Fatalf("stdout:\n%s\nwant prefix %q", stdout, want)
	}
	if !strings.Contains(stdout, "Error [IST0101] (VirtualService shop/v <stdin>:8:51)") {
		t.Fatalf("stdout:\n%s", stdout)
	}
}

func TestHelloworldWalkthrough(t *testing.T) {
	t.Parallel()
	stdout, _, code := run(t, "", "analyze", "--kubeconfig", badKubeconfig(t), filepath.Join(samples, "helloworld", "broken", "helloworld-gateway.yaml"), filepath.Join(samples, "helloworld", "broken", "helloworld.yaml"))
	if code != 79 {
		t.Fatalf("exit %d", code)
	}
	want := `Error [IST0101] (VirtualService default/helloworld ` + filepath.Join(samples, "helloworld", "broken", "helloworld-gateway.yaml") + `:36:9) Referenced host+subset in destinationrule not found: "helloworld+v1"`
	if !strings.Contains(stdout, want) {
		t.Fatalf("stdout:\n%s\nwant line %s", stdout, want)
	}
}

func TestSuppressAndBaseline(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	kc := badKubeconfig(t)
	broken := filepath.Join(samples, "egress", "broken")
	_, _, code := run(t, "", "analyze", "--kubeconfig", kc, "--suppress", "IST0101=Sidecar shop/*", "--suppress", "IST0111=* *", broken)
	if code != 0 {
		t.Fatalf("suppressed run exit %d", code)
	}
	bl := filepath.Join(dir, "baseline.json")
	_, stderr, code := run(t, "", "analyze", "--kubeconfig", kc, "--write-baseline", bl, broken)
	if code != 0 || !strings.Contains(stderr, "Wrote 5 findings to baseline") {
		t.Fatalf("write-baseline exit %d: %s", code, stderr)
	}
	stdout, stderr, code := run(t, "", "analyze", "--kubeconfig", kc, "--baseline", bl, broken)
	if code != 0 || stdout != "" || !strings.Contains(stderr, "5 already in the baseline") {
		t.Fatalf("baseline run exit %d\nstdout:%s\nstderr:%s", code, stdout, stderr)
	}
	// A baseline that cannot be read names the flag.
	_, stderr, code = run(t, "", "analyze", "--kubeconfig", kc, "--baseline", filepath.Join(dir, "nonexistent.json"), broken)
	if code == 0 || !strings.Contains(stderr, "Error: --baseline: open ") || !strings.Contains(stderr, "nonexistent.json") {
		t.Fatalf("missing baseline: exit %d: %s", code, stderr)
	}
	// A new finding fails the run and is the only one printed.
	extra := writeFile(t, dir, "new.yaml", errorOnly)
	stdout, _, code = run(t, "", "analyze", "--kubeconfig", kc, "--baseline", bl, broken, extra)
	if code != 79 || strings.Count(stdout, "\n") != 1 || !strings.Contains(stdout, "VirtualService shop/v") {
		t.Fatalf("exit %d, stdout:\n%s", code, stdout)
	}
}

func TestFlagsAndList(t *testing.T) {
	t.Parallel()
	kc := badKubeconfig(t)
	for _, args := range [][]string{
		{"-o", "xml", "x.yaml"},
		{"--failure-threshold", "Fatal", "x.yaml"},
		{"--suppress", "IST0101", "x.yaml"},
		{"--analyzer", "nope", "x.yaml"},
	} {
		_, stderr, code := run(t, "", append([]string{"analyze", "--kubeconfig", kc}, args...)...)
		if code != 2 {
			t.Errorf("%v: exit %d, want 2 (%s)", args, code, stderr)
		}
	}
	stdout, _, code := run(t, "", "analyze", "-L", "--analyzer", "virtualservice")
	if code != 0 || !strings.HasPrefix(stdout, "NAME") || strings.Count(stdout, "\n") != 6 || !strings.Contains(stdout, "IST0101,IST0112  Checks that each VirtualService destination host exists") {
		t.Fatalf("list:\n%s", stdout)
	}
	_, stderr, code := run(t, "", "analyze", "--kubeconfig", kc, filepath.Join(samples, "bookinfo", "good"))
	if code != 0 || !strings.Contains(stderr, "Skipped 4 objects") {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	_, stderr, _ = run(t, "", "analyze", "--kubeconfig", kc, "-v", "1", filepath.Join(samples, "bookinfo", "good"))
	if !strings.Contains(stderr, "v1 ServiceAccount bookinfo-ratings: kind not analyzed") {
		t.Fatalf("-v does not list skipped objects: %s", stderr)
	}
	// Live mode does read the kubeconfig, and says so when it is broken.
	_, stderr, code = run(t, "", "analyze", "--kubeconfig", kc)
	if code != 1 || !strings.Contains(stderr, "kubeconfig") {
		t.Fatalf("live run with a bad kubeconfig: exit %d: %s", code, stderr)
	}
}

func TestClusterDomainAndMeshConfig(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	f := writeFile(t, dir, "app.yaml", `apiVersion: v1
kind: Service
metadata: {name: hello, namespace: shop}
spec: {selector: {app: hello}, ports: [{name: http, port: 80}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: hello, namespace: shop}
spec:
  selector: {matchLabels: {app: hello}}
  template:
    metadata: {labels: {app: hello}}
    spec: {containers: [{name: hello, image: hello}]}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: hello, namespace: shop}
spec: {hosts: [hello], http: [{route: [{destination: {host: hello.shop.svc.corp.example}}]}]}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: ingress-only, namespace: mesh-root}
spec: {selector: {matchLabels: {app: nothing}}}
`)
	kc := badKubeconfig(t)
	stdout, _, code := run(t, "", "analyze", "--kubeconfig", kc, f)
	if code != 79 || !strings.Contains(stdout, `Referenced host not found: "hello.shop.svc.corp.example"`) {
		t.Fatalf("default domain: exit %d\n%s", code, stdout)
	}
	if strings.Contains(stdout, "IST0127") {
		t.Fatalf("mesh-root is not the root namespace by default, and has no workloads:\n%s", stdout)
	}
	mesh := writeFile(t, dir, "mesh.yaml", "rootNamespace: mesh-root\n")
	stdout, stderr, code := run(t, "", "analyze", "--kubeconfig", kc, "--cluster-domain", "corp.example", "--meshConfigFile", mesh, f)
	if code != 0 || !strings.Contains(stdout, "Warning [IST0127] (AuthorizationPolicy mesh-root/ingress-only") || strings.Contains(stdout, "IST0101") {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
}

func TestDuplicatesAreWarnings(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	a := writeFile(t, dir, "a.yaml", infoOnly)
	b := writeFile(t, dir, "b.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop, labels: {istio-injection: enabled}}\n")
	_, stderr, code := run(t, "", "analyze", "--kubeconfig", badKubeconfig(t), a, b)
	if code != 0 || !strings.Contains(stderr, "Namespace shop is defined twice ("+a+":1 and "+b+":1)") {
		t.Fatalf("exit %d: %s", code, stderr)
	}
}

// TestScopeCounts: the closing line counts in words that agree with the
// numbers ("1 resource from 1 document").
func TestScopeCounts(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	one := writeFile(t, dir, "one.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels:\n    istio-injection: enabled\n")
	_, stderr, code := run(t, "", "analyze", "--kubeconfig", badKubeconfig(t), one)
	if code != 0 || !strings.Contains(stderr, "No issues found when analyzing 1 resource from 1 document.") {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	two := writeFile(t, dir, "two.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n  labels:\n    istio-injection: enabled\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: b\n  labels:\n    istio-injection: enabled\n")
	_, stderr, code = run(t, "", "analyze", "--kubeconfig", badKubeconfig(t), two)
	if code != 0 || !strings.Contains(stderr, "2 resources from 2 documents.") {
		t.Fatalf("exit %d: %s", code, stderr)
	}
}
