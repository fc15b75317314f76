package kubeinject_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"sigs.k8s.io/yaml"

	"github.com/meshctl/meshctl/internal/cli"
	"github.com/meshctl/meshctl/internal/testcluster"
	"github.com/meshctl/meshctl/pkg/install/render"
	"github.com/meshctl/meshctl/pkg/kube"
)

func TestMain(m *testing.M) { testcluster.Main(m) }

const (
	input  = "../../../pkg/inject/testdata/in/helloworld.yaml"
	golden = "../../../pkg/inject/testdata/golden/helloworld.yaml"
)

func run(t *testing.T, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = cli.Main(args, genericiooptions.IOStreams{In: strings.NewReader(stdin), Out: &out, ErrOut: &errOut})
	return out.String(), errOut.String(), code
}

func read(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestOfflineReadsNoKubeconfig: by default the configuration is rendered in
// process; a kubeconfig that does not exist is never touched.
func TestOfflineReadsNoKubeconfig(t *testing.T) {
	t.Parallel()
	stdout, stderr, code := run(t, "", "kube-inject", "-f", input, "--kubeconfig", "/nonexistent/kubeconfig")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if stdout != read(t, golden) {
		t.Fatal("output differs from the library's golden file")
	}
	want := "service/helloworld unchanged\ndeployment/helloworld-v1 injected\ndeployment/helloworld-v2 injected\n"
	if stderr != want {
		t.Fatalf("report:\n%s\nwant:\n%s", stderr, want)
	}
}

func TestStdinAndUninject(t *testing.T) {
	t.Parallel()
	src := read(t, input)
	injected, _, code := run(t, src, "kube-inject", "-f", "-")
	if code != 0 || injected != read(t, golden) {
		t.Fatalf("exit %d, or output differs", code)
	}
	back, stderr, code := run(t, injected, "x", "uninject", "-f", "-")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if back != src {
		t.Fatal("x uninject did not restore the input")
	}
	if !strings.Contains(stderr, "deployment/helloworld-v1 uninjected") {
		t.Fatalf("report: %s", stderr)
	}
}

func TestFlagErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"kube-inject"}, "no input"},
		{[]string{"kube-inject", "-f", input, "-o", "x.yaml", "--in-place"}, "cannot be used together"},
		{[]string{"kube-inject", "-f", "-", "--in-place"}, "standard input"},
		{[]string{"kube-inject", "-f", input, "--use-kube", "--set", "profile=demo"}, "--use-kube"},
		{[]string{"kube-inject", "-f", input, "--use-kube", "--meshConfigFile", "m.yaml"}, "--use-kube"},
		{[]string{"x", "uninject"}, "no input"},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			t.Parallel()
			_, stderr, code := run(t, "", tc.args...)
			if code != 2 || !strings.Contains(stderr, tc.want) {
				t.Fatalf("exit %d, stderr %q; want exit 2 mentioning %q", code, stderr, tc.want)
			}
		})
	}
}

// TestAtomicOutput: -o and --in-place write everything or nothing.
func TestAtomicOutput(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good := filepath.Join(dir, "a.yaml")
	bad := filepath.Join(dir, "b.yaml")
	src := read(t, input)
	if err := os.WriteFile(good, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	badSrc := "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n---\nkind: Deployment\nspec: [\n"
	if err := os.WriteFile(bad, []byte(badSrc), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out", "injected.yaml")
	if err := os.Mkdir(filepath.Dir(out), 0o755); err != nil {
		t.Fatal(err)
	}

	_, stderr, code := run(t, "", "kube-inject", "-f", dir, "-o", out)
	if code == 0 || !strings.Contains(stderr, "b.yaml (document 2, line 7, column 7)") {
		t.Fatalf("exit %d, stderr %q: want an error naming file, document and line", code, stderr)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Fatalf("-o wrote a file despite the error: %v", err)
	}
	_, _, code = run(t, "", "kube-inject", "-f", dir, "--in-place")
	if code == 0 {
		t.Fatal("--in-place succeeded on a bad file")
	}
	if read(t, good) != src || read(t, bad) != badSrc {
		t.Fatal("--in-place changed a file despite the error")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 3 {
		t.Fatalf("temporary files left behind: %v", entries)
	}

	if err := os.Remove(bad); err != nil {
		t.Fatal(err)
	}
	if _, stderr, code := run(t, "", "kube-inject", "-f", dir, "-o", out); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if read(t, out) != read(t, golden) {
		t.Fatal("-o output differs from the golden file")
	}
	if _, stderr, code := run(t, "", "kube-inject", "-f", good, "--in-place"); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if read(t, good) != read(t, golden) {
		t.Fatal("--in-place output differs from the golden file")
	}
	if st, _ := os.Stat(good); st.Mode().Perm() != 0o600 {
		t.Fatalf("--in-place changed the file mode to %v", st.Mode().Perm())
	}
	if _, stderr, code := run(t, "", "x", "uninject", "-f", good, "--in-place"); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if read(t, good) != src {
		t.Fatal("uninject --in-place did not restore the file")
	}
}

// TestOutputThroughLinksAndFIFOs: -o and --in-place write through
// symlinks (the link stays, its file changes, with its mode) and write a
// FIFO directly instead of replacing it with a regular file.
func TestOutputThroughLinksAndFIFOs(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	want := read(t, golden)
	real := filepath.Join(dir, "real.yaml")
	if err := os.WriteFile(real, []byte("old\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.yaml")
	if err := os.Symlink("real.yaml", link); err != nil {
		t.Fatal(err)
	}
	if _, stderr, code := run(t, "", "kube-inject", "-f", input, "-o", link); code != 0 {
		t.Fatalf("-o symlink: exit %d: %s", code, stderr)
	}
	if st, err := os.Lstat(link); err != nil || st.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("-o replaced the symlink: %v %v", st.Mode(), err)
	}
	if read(t, real) != want {
		t.Fatal("-o did not write through the symlink")
	}
	if st, _ := os.Stat(real); st.Mode().Perm() != 0o600 {
		t.Fatalf("-o changed the mode to %v", st.Mode().Perm())
	}
	// A link to a file that does not exist yet creates that file.
	dangling := filepath.Join(dir, "dangling.yaml")
	if err := os.Symlink("sub/new.yaml", dangling); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, stderr, code := run(t, "", "kube-inject", "-f", input, "-o", dangling); code != 0 {
		t.Fatalf("-o dangling symlink: exit %d: %s", code, stderr)
	}
	if read(t, filepath.Join(dir, "sub", "new.yaml")) != want {
		t.Fatal("-o did not create the file the link names")
	}
	// --in-place through a symlink rewrites the file it names.
	src := filepath.Join(dir, "src.yaml")
	if err := os.WriteFile(src, []byte(read(t, input)), 0o644); err != nil {
		t.Fatal(err)
	}
	srcLink := filepath.Join(dir, "src-link.yaml")
	if err := os.Symlink(src, srcLink); err != nil {
		t.Fatal(err)
	}
	if _, stderr, code := run(t, "", "kube-inject", "-f", srcLink, "--in-place"); code != 0 {
		t.Fatalf("--in-place symlink: exit %d: %s", code, stderr)
	}
	if st, _ := os.Lstat(srcLink); st.Mode()&os.ModeSymlink == 0 || read(t, src) != want {
		t.Fatal("--in-place did not write through the symlink")
	}
	// A FIFO is written, not replaced.
	fifo := filepath.Join(dir, "pipe")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	got := make(chan string, 1)
	go func() {
		b, err := os.ReadFile(fifo)
		if err != nil {
			got <- err.Error()
			return
		}
		got <- string(b)
	}()
	if _, stderr, code := run(t, "", "x", "uninject", "-f", golden, "-o", fifo); code != 0 {
		t.Fatalf("-o FIFO: exit %d: %s", code, stderr)
	}
	if out := <-got; out != read(t, input) {
		t.Fatalf("the FIFO's reader got %q", out)
	}
	if st, err := os.Lstat(fifo); err != nil || st.Mode()&os.ModeNamedPipe == 0 {
		t.Fatalf("-o replaced the FIFO: %v %v", st.Mode(), err)
	}
	if _, stderr, code := run(t, "", "kube-inject", "-f", fifo, "--in-place"); code == 0 || !strings.Contains(stderr, "regular files only") {
		t.Fatalf("--in-place on a FIFO: exit %d, %s", code, stderr)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".meshctl-") {
			t.Errorf("temporary file left: %s", e.Name())
		}
	}
}

// TestSeveralFilesJoin: documents of several files are joined with
// separators, the way kubectl reads them.
func TestSeveralFilesJoin(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.yaml"), filepath.Join(dir, "b.yaml")
	_ = os.WriteFile(a, []byte("apiVersion: v1\nkind: Service\nmetadata:\n  name: a"), 0o644)
	_ = os.WriteFile(b, []byte("apiVersion: v1\nkind: Service\nmetadata:\n  name: b\n"), 0o644)
	stdout, stderr, code := run(t, "", "kube-inject", "-f", a, "-f", b)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	want := "apiVersion: v1\nkind: Service\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: b\n"
	if stdout != want {
		t.Fatalf("got:\n%s\nwant:\n%s", stdout, want)
	}
}

// configMapFiles writes the rendered ConfigMaps as `kubectl get cm -o yaml`
// would print them.
func configMapFiles(t *testing.T, dir string) (inj, mesh string) {
	t.Helper()
	m, err := render.Render(render.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range m.Objects {
		if o.Object.GetKind() != "ConfigMap" {
			continue
		}
		b, err := yaml.Marshal(o.Object.Object)
		if err != nil {
			t.Fatal(err)
		}
		switch o.Object.GetName() {
		case "istio-sidecar-injector":
			inj = filepath.Join(dir, "injector.yaml")
			_ = os.WriteFile(inj, b, 0o644)
		case "istio":
			mesh = filepath.Join(dir, "mesh.yaml")
			_ = os.WriteFile(mesh, b, 0o644)
		}
	}
	return inj, mesh
}

func TestConfigFiles(t *testing.T) {
	t.Parallel()
	inj, mesh := configMapFiles(t, t.TempDir())
	stdout, stderr, code := run(t, "", "kube-inject", "-f", input, "--injectConfigFile", inj, "--valuesFile", inj, "--meshConfigFile", mesh)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if stdout != read(t, golden) {
		t.Fatal("injection from ConfigMap files differs from the rendered profile's")
	}
}

// TestUseKube applies the rendered ConfigMaps to a real API server and
// injects with --use-kube: the result is the offline one.
func TestUseKube(t *testing.T) {
	c := testcluster.Get(t)
	kc, err := kube.NewClientFromConfig(c.AdminConfig())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	ns := "inject-use-kube"
	if _, err := kc.Kubernetes.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	// Nothing installed yet: a clear error.
	_, stderr, code := run(t, "", "kube-inject", "-f", input, "--use-kube", "-i", ns, "--kubeconfig", c.AdminKubeconfig)
	if code == 0 || !strings.Contains(stderr, `no control plane installed in namespace "inject-use-kube"`) {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}

	m, err := render.Render(render.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range m.Objects {
		if o.Object.GetKind() != "ConfigMap" {
			continue
		}
		cm := &corev1.ConfigMap{}
		b, _ := o.Object.MarshalJSON()
		if err := yaml.Unmarshal(b, cm); err != nil {
			t.Fatal(err)
		}
		cm.Namespace = ns
		if _, err := kc.Kubernetes.CoreV1().ConfigMaps(ns).Create(ctx, cm, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	// istiod's ENABLE_NATIVE_SIDECARS=auto: a cluster with no nodes gets
	// native sidecars, as the offline render with them enabled.
	stdout, stderr, code := run(t, "", "kube-inject", "-f", input, "--use-kube", "-i", ns, "--kubeconfig", c.AdminKubeconfig)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if stdout != read(t, "../../../pkg/inject/testdata/golden/native.yaml") {
		t.Fatal("--use-kube on a cluster without nodes differs from the offline injection with native sidecars")
	}
	// A 1.32 node: the proxy among the containers, as offline by default.
	node, err := kc.Kubernetes.CoreV1().Nodes().Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "old-kubelet"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	node.Status.NodeInfo.KubeletVersion = "v1.32.4"
	if _, err := kc.Kubernetes.CoreV1().Nodes().UpdateStatus(ctx, node, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = kc.Kubernetes.CoreV1().Nodes().Delete(ctx, "old-kubelet", metav1.DeleteOptions{}) }()
	stdout, stderr, code = run(t, "", "kube-inject", "-f", input, "--use-kube", "-i", ns, "--kubeconfig", c.AdminKubeconfig)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if stdout != read(t, golden) {
		t.Fatal("--use-kube with a 1.32 node differs from the offline one")
	}

	// A revision that is not installed.
	_, stderr, code = run(t, "", "kube-inject", "-f", input, "--use-kube", "-r", "canary", "-i", ns, "--kubeconfig", c.AdminKubeconfig)
	if code == 0 || !strings.Contains(stderr, `of revision "canary"`) || !strings.Contains(stderr, "istio-sidecar-injector-canary") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}

	// A user without RBAC gets the API server's refusal, explained.
	_, stderr, code = run(t, "", "kube-inject", "-f", input, "--use-kube", "-i", ns, "--kubeconfig", c.DevKubeconfig)
	if code == 0 || !strings.Contains(stderr, `user "developer" cannot get resource "configmaps"`) {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
}

// TestUnknownFieldIsAnError: the misspelled securityContext of a declared
// proxy (what the fuzzer found) exits 1 with one error naming the field,
// the file, the document and the line, and -o writes nothing.
func TestUnknownFieldIsAnError(t *testing.T) {
	t.Parallel()
	const bad = "../../../pkg/inject/testdata/bad/misspelled-proxy.yaml"
	out := filepath.Join(t.TempDir(), "out.yaml")
	for _, cmd := range [][]string{{"kube-inject", "-f", bad}, {"kube-inject", "-f", bad, "-o", out}} {
		_, stderr, code := run(t, "", cmd...)
		want := `Error: ` + bad + ` (document 2, line 38, column 9): unknown field "securityContewer reaxt" in spec.template.spec.containers[1] (istio-proxy): did you mean "securityContext"?`
		if code != 1 || !strings.Contains(stderr, want) || strings.Count(stderr, "Error:") != 1 {
			t.Fatalf("%v: exit %d, stderr:\n%s\nwant exit 1 and %q", cmd, code, stderr, want)
		}
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Fatalf("-o wrote a file despite the error: %v", err)
	}
}
