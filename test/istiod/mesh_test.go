// Package istiod measures meshctl against Istio's real control plane: the
// test cluster gets `meshctl install --set profile=demo`, then istiod
// (pilot-discovery, built from the pinned istio.io/istio module) runs against
// it with exactly that install's mesh config, injector config and CRDs.
package istiod

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/kubernetes"

	"github.com/meshctl/meshctl/internal/cli"
	"github.com/meshctl/meshctl/internal/testcluster"
)

func TestMain(m *testing.M) { testcluster.Main(m) }

// mesh is the shared control plane of the package's tests.
type mesh struct {
	c  *testcluster.Cluster
	d  *testcluster.Istiod
	kc kubernetes.Interface
}

var (
	meshOnce sync.Once
	shared   *mesh
	meshErr  error
)

// meshFor installs the demo profile and starts istiod once per package.
func meshFor(t *testing.T) *mesh {
	t.Helper()
	c := testcluster.Get(t)
	meshOnce.Do(func() { shared, meshErr = setUp(c) })
	if meshErr != nil {
		t.Fatal(meshErr)
	}
	return shared
}

func setUp(c *testcluster.Cluster) (*mesh, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	if out, code := meshctl(c, "install", "--set", "profile=demo", "-y", "--wait=false"); code != 0 {
		return nil, errorf("meshctl install: exit %d\n%s", code, out)
	}
	kc, err := kubernetes.NewForConfig(c.AdminConfig())
	if err != nil {
		return nil, err
	}
	d, err := c.StartIstiod(ctx, testcluster.IstiodOptions{})
	if err != nil {
		return nil, err
	}
	n, err := d.PointWebhooks(ctx, kc)
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, errorf("the install has no webhook that calls istiod")
	}
	return &mesh{c: c, d: d, kc: kc}, nil
}

// meshctl runs the CLI in process against the test cluster; it returns
// stdout and stderr together, and the exit code.
func meshctl(c *testcluster.Cluster, args ...string) (string, int) {
	var out bytes.Buffer
	args = append(args, "--kubeconfig", c.AdminKubeconfig)
	code := cli.Main(args, genericiooptions.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &out})
	return out.String(), code
}

var errorf = fmt.Errorf

// namespace creates a namespace with labels and its default service
// account (no controller manager runs to create it).
func (m *mesh) namespace(t *testing.T, name string, labels map[string]string) {
	t.Helper()
	ctx := context.Background()
	if _, err := m.kc.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := m.kc.CoreV1().ServiceAccounts(name).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// TestIstiodRunsOnTheInstall: istiod starts on what meshctl installed, takes
// the mesh config and the injector config from its ConfigMaps, issues its
// root certificate to the namespaces, and logs no configuration error.
func TestIstiodRunsOnTheInstall(t *testing.T) {
	m := meshFor(t)
	log := m.d.Log()
	if !strings.Contains(log, "initializing sidecar injector") {
		t.Errorf("istiod did not set up injection from meshctl's istio-sidecar-injector ConfigMap:\n%s", m.d.LogTail(40))
	}
	// istiod's CA publishes its root to every namespace.
	deadline := time.Now().Add(time.Minute)
	for {
		cm, err := m.kc.CoreV1().ConfigMaps("default").Get(context.Background(), "istio-ca-root-cert", metav1.GetOptions{})
		if err == nil && strings.Contains(cm.Data["root-cert.pem"], "BEGIN CERTIFICATE") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no istio-ca-root-cert in namespace default after a minute (%v):\n%s", err, m.d.LogTail(40))
		}
		time.Sleep(200 * time.Millisecond)
	}
	if bad := configErrors(log); len(bad) > 0 {
		t.Errorf("istiod logged %d configuration errors on meshctl's install:\n%s", len(bad), strings.Join(bad, "\n"))
	}
}

// environmentErrors are istiod's error lines that come from the test bed,
// not from the install: each says why it cannot happen in a cluster.
var environmentErrors = []string{}

// configErrors are istiod's error-level log lines not explained by the
// test bed.
func configErrors(log string) []string {
	var out []string
	for line := range strings.SplitSeq(log, "\n") {
		if !strings.Contains(line, "\terror\t") {
			continue
		}
		known := false
		for _, e := range environmentErrors {
			known = known || strings.Contains(line, e)
		}
		if !known {
			out = append(out, line)
		}
	}
	return out
}
