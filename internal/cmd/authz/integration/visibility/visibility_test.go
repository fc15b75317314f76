// Package visibility applies the seed's network-visibility walk to a real
// API server and checks that `--use-kube` gives the same answers as the
// files. It has a cluster of its own: the walk uses the namespaces
// default, foo and bar, which the security scenarios' package also fills.
package visibility

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"github.com/meshctl/meshctl/internal/cli"
	"github.com/meshctl/meshctl/internal/testcluster"
)

func TestMain(m *testing.M) { testcluster.Main(m) }

const walk = "../../../../../samples/egress/visibility/"

func run(args ...string) (string, string, int) {
	var out, errOut bytes.Buffer
	code := cli.Main(args, genericiooptions.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut})
	return out.String(), errOut.String(), code
}

// TestLiveEqualsFiles applies each step of the walk (after removing the
// previous one's objects) and compares the answers through --use-kube
// with the answers from the same files offline.
func TestLiveEqualsFiles(t *testing.T) {
	c := testcluster.Get(t)
	c.InstallIstioCRDs(t)
	kc, err := kubernetes.NewForConfig(c.AdminConfig())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kc.CoreV1().Namespaces().Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "istio-system"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	c.Apply(t, walk+"apps.yaml")
	dirs, err := filepath.Glob(walk + "[0-9]-*")
	if err != nil || len(dirs) < 6 {
		t.Fatalf("want the walk's six steps, found %v (%v)", dirs, err)
	}
	order := []string{"--from", "probe.default", "--from", "sleep.foo", "--from", "httpbin.foo", "--from", "httpbin.bar",
		"--to", "productpage.default", "--to", "httpbin.foo", "--to", "httpbin.bar", "--to", "sleep.foo", "--to", "www.baidu.com"}
	for _, dir := range dirs {
		step := filepath.Base(dir)
		clear(t, c)
		c.Apply(t, dir)
		commands := [][]string{
			append([]string{"authz", "matrix"}, order...),
			append([]string{"authz", "matrix", "-o", "json"}, order...),
			{"authz", "can", "probe.default", "www.baidu.com"},
			{"authz", "can", "probe.default", "productpage.default", "-o", "json"},
			{"authz", "can", "sleep.foo", "httpbin.bar:8000"},
		}
		for _, cmd := range commands {
			name := step + ": " + strings.Join(cmd, " ")
			offOut, offErr, offCode := run(append(append([]string{"--kubeconfig", filepath.Join(t.TempDir(), "none")}, cmd...), "-f", walk+"apps.yaml", "-f", dir)...)
			liveOut, liveErr, liveCode := run(append(append([]string{"--kubeconfig", c.AdminKubeconfig}, cmd...), "--use-kube", "-A")...)
			if offCode != 0 || liveCode != 0 {
				t.Fatalf("%s: exit offline %d (%s), live %d (%s)", name, offCode, offErr, liveCode, liveErr)
			}
			if testcluster.WithoutFileLocations(offOut) != liveOut {
				t.Errorf("%s: live differs from files\n--- live\n%s\n--- files\n%s", name, liveOut, offOut)
			}
		}
		if step == "5-sidecar-override" {
			out, _, _ := run("--kubeconfig", c.AdminKubeconfig, "authz", "can", "sleep.foo", "www.baidu.com", "--use-kube", "-A")
			if !strings.HasPrefix(out, "502: ") || !strings.Contains(out, "Sidecar foo/sleep") {
				t.Errorf("live: sleep.foo -> www.baidu.com under its own REGISTRY_ONLY Sidecar: want 502 naming Sidecar foo/sleep, got\n%s", out)
			}
		}
	}
}

// clear deletes the walk's Sidecars, ServiceEntries, PeerAuthentications
// and mesh config.
func clear(t *testing.T, c *testcluster.Cluster) {
	t.Helper()
	ctx := context.Background()
	dc, err := dynamic.NewForConfig(c.AdminConfig())
	if err != nil {
		t.Fatal(err)
	}
	for _, gvr := range []schema.GroupVersionResource{
		{Group: "networking.istio.io", Version: "v1", Resource: "sidecars"},
		{Group: "networking.istio.io", Version: "v1", Resource: "serviceentries"},
		{Group: "security.istio.io", Version: "v1", Resource: "peerauthentications"},
	} {
		for _, ns := range []string{"default", "foo", "bar", "istio-system"} {
			if err := dc.Resource(gvr).Namespace(ns).DeleteCollection(ctx, metav1.DeleteOptions{}, metav1.ListOptions{}); err != nil {
				t.Fatal(err)
			}
		}
	}
	kc, err := kubernetes.NewForConfig(c.AdminConfig())
	if err != nil {
		t.Fatal(err)
	}
	if err := kc.CoreV1().ConfigMaps("istio-system").Delete(ctx, "istio", metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
		t.Fatal(err)
	}
}
