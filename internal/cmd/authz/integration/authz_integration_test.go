// Package integration applies the seed's security scenarios to a real API
// server and checks that `--use-kube` gives the same answers as the files.
package integration

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/meshctl/meshctl/internal/cli"
	"github.com/meshctl/meshctl/internal/testcluster"
	"github.com/meshctl/meshctl/pkg/kube"
)

func TestMain(m *testing.M) { testcluster.Main(m) }

const data = "../../../../pkg/authz/testdata/"

func installCRDs(t *testing.T, kc *kube.Client) {
	t.Helper()
	testcluster.Get(t).InstallIstioCRDs(t)
	kc.Mapper.Reset()
}

// apply creates or replaces every document of the files.
func apply(t *testing.T, _ *kube.Client, paths ...string) {
	t.Helper()
	testcluster.Get(t).Apply(t, paths...)
}

// clearPolicies deletes every policy and the mesh ConfigMap, so that each
// scenario starts from the apps alone.
func clearPolicies(t *testing.T, kc *kube.Client) {
	t.Helper()
	ctx := context.Background()
	for _, gvr := range []schema.GroupVersionResource{
		{Group: "security.istio.io", Version: "v1", Resource: "peerauthentications"},
		{Group: "security.istio.io", Version: "v1", Resource: "authorizationpolicies"},
		{Group: "security.istio.io", Version: "v1", Resource: "requestauthentications"},
		{Group: "networking.istio.io", Version: "v1", Resource: "destinationrules"},
	} {
		for _, ns := range []string{"foo", "bar", "legacy", "istio-system"} {
			if err := kc.Dynamic.Resource(gvr).Namespace(ns).DeleteCollection(ctx, metav1.DeleteOptions{}, metav1.ListOptions{}); err != nil {
				t.Fatal(kube.Explain(err, kc.Host()))
			}
		}
	}
	if err := kc.Kubernetes.CoreV1().ConfigMaps("istio-system").Delete(ctx, "istio", metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
		t.Fatal(err)
	}
}

func run(args ...string) (string, string, int) {
	var out, errOut bytes.Buffer
	code := cli.Main(args, genericiooptions.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut})
	return out.String(), errOut.String(), code
}

var scenarios = []struct {
	name  string
	files []string
}{
	{"1-no-policies", []string{"mesh-automtls-off.yaml"}},
	{"2-strict", []string{"mesh-automtls-off.yaml", "strict.yaml"}},
	{"3-strict-dr", []string{"mesh-automtls-off.yaml", "strict.yaml", "dr-local.yaml"}},
	{"4-strict-automtls", []string{"strict.yaml"}},
	{"4b-strict-dr-automtls", []string{"strict.yaml", "dr-local.yaml"}},
	{"5-deny-all", []string{"mesh-automtls-off.yaml", "strict.yaml", "dr-local.yaml", "deny-all.yaml"}},
	{"6-allow-istio-system", []string{"mesh-automtls-off.yaml", "strict.yaml", "dr-local.yaml", "allow-istio-system.yaml"}},
}

var order = []string{"--from", "sleep.foo", "--from", "sleep.bar", "--from", "sleep.legacy", "--from", "istio-ingressgateway.istio-system",
	"--to", "httpbin.foo", "--to", "httpbin.bar", "--to", "httpbin.legacy"}

// TestLiveEqualsFiles applies each scenario and compares every command's
// answer through --use-kube with the answer from the same files offline.
// The scenarios share the namespaces, so they run one after another.
func TestLiveEqualsFiles(t *testing.T) {
	c := testcluster.Get(t)
	kc, err := kube.NewClientFromConfig(c.AdminConfig())
	if err != nil {
		t.Fatal(err)
	}
	installCRDs(t, kc)
	apply(t, kc, data+"apps.yaml")
	for _, sc := range scenarios {
		clearPolicies(t, kc)
		var fileArgs []string
		paths := []string{data + "apps.yaml"}
		for _, f := range sc.files {
			paths = append(paths, data+"scenarios/"+f)
		}
		apply(t, kc, paths[1:]...)
		for _, p := range paths {
			fileArgs = append(fileArgs, "-f", p)
		}
		commands := [][]string{
			append([]string{"authz", "matrix"}, order...),
			append([]string{"authz", "matrix", "-o", "json"}, order...),
			{"authz", "can", "sleep.foo", "httpbin.bar"},
			{"authz", "can", "istio-ingressgateway.istio-system", "httpbin.foo", "-o", "json"},
			{"authz", "check", "httpbin.foo"},
			{"authn", "tls-check", "sleep.foo"},
		}
		for _, cmd := range commands {
			name := sc.name + ": " + strings.Join(cmd[:2], " ")
			offOut, offErr, offCode := run(append(append([]string{"--kubeconfig", filepath.Join(t.TempDir(), "none")}, cmd...), fileArgs...)...)
			liveOut, liveErr, liveCode := run(append(append([]string{"--kubeconfig", c.AdminKubeconfig}, cmd...), "--use-kube", "-A")...)
			if offCode != 0 || liveCode != 0 {
				t.Fatalf("%s: exit offline %d (%s), live %d (%s)", name, offCode, offErr, liveCode, liveErr)
			}
			if testcluster.WithoutFileLocations(offOut) != liveOut {
				t.Errorf("%s: live differs from files\n--- live\n%s\n--- files\n%s", name, liveOut, offOut)
			}
		}
		if sc.name == "2-strict" {
			out, _, _ := run("--kubeconfig", c.AdminKubeconfig, "authz", "matrix", "--use-kube", "-A", "--from", "sleep.legacy", "--to", "httpbin.foo")
			if !strings.Contains(out, "reset") {
				t.Errorf("live strict: legacy -> foo not reset:\n%s", out)
			}
		}
	}
}

func TestLiveNamespaceScopeAndForbidden(t *testing.T) {
	c := testcluster.Get(t)
	// A developer without RBAC gets a readable Forbidden error, exit 1.
	_, errOut, code := run("--kubeconfig", c.DevKubeconfig, "authz", "matrix", "--use-kube", "-n", "foo")
	if code != 1 || !strings.Contains(errOut, `permission denied: user "developer" cannot get resource "namespaces"`) {
		t.Fatalf("exit %d: %s", code, errOut)
	}
}
