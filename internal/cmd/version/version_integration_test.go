package version_test

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/modfile"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/meshctl/meshctl/internal/cli"
	"github.com/meshctl/meshctl/internal/testcluster"
	"github.com/meshctl/meshctl/pkg/kube"
)

func TestMain(m *testing.M) { testcluster.Main(m) }

// serverVersion is the release the test API server was built from: the
// k8s.io/kubernetes requirement of the tools module.
func serverVersion(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile("../../../tools/kube-apiserver/go.mod")
	if err != nil {
		t.Fatal(err)
	}
	mf, err := modfile.Parse("go.mod", data, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range mf.Require {
		if r.Mod.Path == "k8s.io/kubernetes" {
			return r.Mod.Version
		}
	}
	t.Fatal("tools/kube-apiserver/go.mod does not require k8s.io/kubernetes")
	return ""
}

func run(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = cli.Main(args, genericiooptions.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut})
	return out.String(), errOut.String(), code
}

func TestVersionTalksToRealAPIServer(t *testing.T) {
	c := testcluster.Get(t)
	stdout, stderr, code := run(t, "version", "--kubeconfig", c.AdminKubeconfig)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "Kubernetes server version: "+serverVersion(t)) {
		t.Fatalf("server version missing:\n%s", stdout)
	}
	if !strings.Contains(stdout, "control plane: not installed in namespace istio-system") {
		t.Fatalf("control plane line missing:\n%s", stdout)
	}
}

func TestVersionReportsInstalledControlPlane(t *testing.T) {
	c := testcluster.Get(t)
	kc, err := kube.NewClientFromConfig(c.AdminConfig())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	ns := "cp-version"
	if _, err := kc.Kubernetes.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	one := int32(1)
	labels := map[string]string{"app": "istiod", "istio.io/rev": "canary"}
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "istiod-canary", Namespace: ns, Labels: labels},
		Spec: appsv1.DeploymentSpec{
			Replicas: &one,
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "discovery", Image: "docker.io/istio/pilot:1.31.4"}}},
			},
		},
	}
	if _, err := kc.Kubernetes.AppsV1().Deployments(ns).Create(ctx, d, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, code := run(t, "version", "--kubeconfig", c.AdminKubeconfig, "-i", ns, "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{`"revision": "canary"`, `"version": "1.31.4"`, `"ready": "0/1"`, `"kubernetesVersion": "` + serverVersion(t) + `"`} {
		if !strings.Contains(stdout, want) {
			t.Errorf("missing %s in:\n%s", want, stdout)
		}
	}
}

func TestVersionForbiddenUserGetsClearMessage(t *testing.T) {
	c := testcluster.Get(t)
	_, stderr, code := run(t, "version", "--kubeconfig", c.DevKubeconfig)
	if code != 1 {
		t.Fatalf("exit %d, want 1; stderr: %s", code, stderr)
	}
	want := `Error: permission denied: user "developer" cannot list resource "deployments" in API group "apps" in the namespace "istio-system"`
	if !strings.Contains(stderr, want) {
		t.Fatalf("stderr:\n%s\nwant it to contain:\n%s", stderr, want)
	}
}

func TestVersionUnreachableServerFailsWithinTimeout(t *testing.T) {
	t.Parallel()
	start := time.Now()
	// Port 1 on loopback refuses at once; the request timeout bounds the rest.
	for _, server := range []string{"https://127.0.0.1:1"} {
		_, stderr, code := run(t, "version", "--server", server, "--insecure-skip-tls-verify", "--request-timeout", "2s")
		if code != 1 {
			t.Fatalf("exit %d, want 1", code)
		}
		if !strings.Contains(stderr, "cannot reach the Kubernetes API server at https://127.0.0.1:1") || !strings.Contains(stderr, "--kubeconfig") {
			t.Fatalf("unhelpful error:\n%s", stderr)
		}
		if n := strings.Count(stderr, "Error:"); n != 1 {
			t.Fatalf("error printed %d times:\n%s", n, stderr)
		}
	}
	// Retries would take minutes; the bound leaves a busy machine room.
	if d := time.Since(start); d > 30*time.Second {
		t.Fatalf("took %s", d)
	}
}
