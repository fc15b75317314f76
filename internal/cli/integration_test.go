package cli

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/meshctl/meshctl/internal/testcluster"
	"github.com/meshctl/meshctl/pkg/kube"
)

func TestMain(m *testing.M) { testcluster.Main(m) }

func TestCompletionScripts(t *testing.T) {
	isolate(t)
	for shell, marker := range map[string]string{
		"bash":       "__start_meshctl",
		"zsh":        "#compdef meshctl",
		"fish":       "complete -c meshctl",
		"powershell": "Register-ArgumentCompleter",
	} {
		stdout, stderr, code := run(t, "completion", shell)
		if code != 0 || !strings.Contains(stdout, marker) {
			t.Errorf("completion %s: exit %d, marker %q missing (stderr %s)", shell, code, marker, stderr)
		}
	}
}

func TestNamespaceCompletionFromLiveCluster(t *testing.T) {
	c := testcluster.Get(t)
	isolate(t)
	kc, err := kube.NewClientFromConfig(c.AdminConfig())
	if err != nil {
		t.Fatal(err)
	}
	for _, ns := range []string{"foo", "bar", "legacy"} {
		if _, err := kc.Kubernetes.CoreV1().Namespaces().Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	stdout, stderr, code := run(t, "__complete", "version", "--kubeconfig", c.AdminKubeconfig, "-n", "")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, ns := range []string{"bar\n", "default\n", "foo\n", "legacy\n"} {
		if !strings.Contains(stdout, ns) {
			t.Errorf("completion lacks namespace %q:\n%s", ns, stdout)
		}
	}
	// An unreachable cluster gives no suggestions, quickly, and no error.
	stdout, _, code = run(t, "__complete", "version", "--server", "https://127.0.0.1:1", "-n", "")
	if code != 0 || strings.Contains(stdout, "default") {
		t.Fatalf("unreachable: exit %d, %q", code, stdout)
	}
}
