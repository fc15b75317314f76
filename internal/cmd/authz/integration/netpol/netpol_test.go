// Package netpol applies samples/netpol to a real API server and checks
// that `--use-kube` gives the same answers as the files. It has a cluster
// of its own: its apps share names with the visibility walk's.
package netpol

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/dynamic"

	"github.com/meshctl/meshctl/internal/cli"
	"github.com/meshctl/meshctl/internal/testcluster"
)

func TestMain(m *testing.M) { testcluster.Main(m) }

const (
	samples = "../../../../../samples/"
	apps    = samples + "security/scenarios/apps.yaml"
	steps   = samples + "netpol/"
)

func run(args ...string) (string, string, int) {
	var out, errOut bytes.Buffer
	code := cli.Main(args, genericiooptions.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut})
	return out.String(), errOut.String(), code
}

// TestLiveEqualsFiles applies each step (after removing the previous
// one's policies) and compares matrix and can through --use-kube with the
// same files offline (whose answers also give each policy's file and line).
func TestLiveEqualsFiles(t *testing.T) {
	c := testcluster.Get(t)
	c.InstallIstioCRDs(t)
	c.Apply(t, apps)
	dirs, err := filepath.Glob(steps + "[0-9]-*")
	if err != nil || len(dirs) < 6 {
		t.Fatalf("want six steps, found %v (%v)", dirs, err)
	}
	order := []string{"--from", "sleep.foo", "--from", "sleep.bar", "--from", "sleep.legacy", "--from", "istio-ingressgateway.istio-system",
		"--to", "httpbin.foo", "--to", "httpbin.bar", "--to", "httpbin.legacy", "--to", "www.baidu.com"}
	dropped, located := 0, 0
	for _, dir := range dirs {
		step := filepath.Base(dir)
		clear(t, c)
		c.Apply(t, dir)
		commands := [][]string{
			append([]string{"authz", "matrix"}, order...),
			append([]string{"authz", "matrix", "-o", "json"}, order...),
			{"authz", "can", "sleep.legacy", "httpbin.foo"},
			{"authz", "can", "sleep.foo", "httpbin.bar", "-o", "json"},
			{"authz", "can", "sleep.foo", "www.baidu.com"},
		}
		for _, cmd := range commands {
			name := step + ": " + strings.Join(cmd, " ")
			offOut, offErr, offCode := run(append(append([]string{"--kubeconfig", filepath.Join(t.TempDir(), "none")}, cmd...), "-f", apps, "-f", dir)...)
			liveOut, liveErr, liveCode := run(append(append([]string{"--kubeconfig", c.AdminKubeconfig}, cmd...), "--use-kube", "-A")...)
			if offCode != 0 || liveCode != 0 {
				t.Fatalf("%s: exit offline %d (%s), live %d (%s)", name, offCode, offErr, liveCode, liveErr)
			}
			if testcluster.WithoutFileLocations(offOut) != liveOut {
				t.Errorf("%s: live differs from files\n--- live\n%s\n--- files\n%s", name, liveOut, offOut)
			}
			dropped += strings.Count(liveOut, "the packets are dropped")
			located += strings.Count(offOut, "samples/netpol/"+step)
		}
	}
	// The answers must have come from the policies read live.
	out, _, _ := run("--kubeconfig", c.AdminKubeconfig, "authz", "can", "sleep.bar", "httpbin.bar", "--use-kube", "-A")
	if !strings.HasPrefix(out, "503: NetworkPolicy bar/from-foo-and-legacy isolates httpbin.bar") {
		t.Errorf("live, last step: sleep.bar -> httpbin.bar: want 503 from the NetworkPolicy, got\n%s", out)
	}
	if located == 0 {
		t.Error("no offline answer locates its policies in the step's files")
	}
	if dropped == 0 {
		t.Error("no live answer names a dropped connection")
	}
}

// clear deletes the steps' NetworkPolicies, PeerAuthentications and
// AuthorizationPolicies, and the VM sample's entries.
func clear(t *testing.T, c *testcluster.Cluster) {
	t.Helper()
	dc, err := dynamic.NewForConfig(c.AdminConfig())
	if err != nil {
		t.Fatal(err)
	}
	for _, gvr := range []schema.GroupVersionResource{
		{Group: "networking.k8s.io", Version: "v1", Resource: "networkpolicies"},
		{Group: "security.istio.io", Version: "v1", Resource: "peerauthentications"},
		{Group: "security.istio.io", Version: "v1", Resource: "authorizationpolicies"},
		{Group: "networking.istio.io", Version: "v1", Resource: "serviceentries"},
		{Group: "networking.istio.io", Version: "v1", Resource: "workloadentries"},
	} {
		for _, ns := range []string{"foo", "bar", "legacy", "istio-system", "vm"} {
			if err := dc.Resource(gvr).Namespace(ns).DeleteCollection(context.Background(), metav1.DeleteOptions{}, metav1.ListOptions{}); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestWorkloadEntriesLive: a VM's WorkloadEntry and a ServiceEntry's
// inline endpoint (samples/egress/vm) read live give the file's answers.
func TestWorkloadEntriesLive(t *testing.T) {
	c := testcluster.Get(t)
	c.InstallIstioCRDs(t)
	c.Apply(t, apps)
	clear(t, c)
	vm := samples + "egress/vm/"
	c.Apply(t, vm)
	for _, cmd := range [][]string{
		{"authz", "matrix", "--from", "sleep.foo", "--from", "sleep.bar", "--from", "sleep.legacy", "--to", "mysql.vm.example", "--to", "cache.vm.example"},
		{"authz", "can", "sleep.bar", "mysql.vm.example", "-o", "json"},
	} {
		offOut, offErr, offCode := run(append(append([]string{"--kubeconfig", filepath.Join(t.TempDir(), "none")}, cmd...), "-f", apps, "-f", vm)...)
		liveOut, liveErr, liveCode := run(append(append([]string{"--kubeconfig", c.AdminKubeconfig}, cmd...), "--use-kube", "-A")...)
		if offCode != 0 || liveCode != 0 {
			t.Fatalf("%v: exit offline %d (%s), live %d (%s)", cmd, offCode, offErr, liveCode, liveErr)
		}
		if testcluster.WithoutFileLocations(offOut) != liveOut {
			t.Errorf("%v: live differs from files\n--- live\n%s\n--- files\n%s", cmd, liveOut, offOut)
		}
		// sleep.bar is not the VM's allowed client: its proxy answers 403.
		if !strings.Contains(liveOut, "403") {
			t.Errorf("%v: the VM's proxy does not refuse sleep.bar:\n%s", cmd, liveOut)
		}
	}
}
