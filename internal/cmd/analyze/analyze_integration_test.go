package analyze_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/meshctl/meshctl/internal/testcluster"
	"github.com/meshctl/meshctl/pkg/analyze"
	"github.com/meshctl/meshctl/pkg/kube"
	"github.com/meshctl/meshctl/pkg/yamlstream"
)

func TestMain(m *testing.M) { testcluster.Main(m) }

// installIstioCRDs creates the base chart's CRDs, with their schemas, and
// waits until the server serves them.
func installIstioCRDs(t *testing.T, c *kube.Client) {
	t.Helper()
	testcluster.Get(t).InstallIstioCRDs(t)
	c.Mapper.Reset()
}

// applyStream creates every object of a YAML stream, namespaces first. An
// object the server rejects as invalid (a CRD schema catching what IST0106
// reports) is skipped.
func applyStream(t *testing.T, c *kube.Client, src, source string) {
	t.Helper()
	var objs []*unstructured.Unstructured
	err := yamlstream.Read(source, strings.NewReader(src), func(d yamlstream.Document) error {
		if d.IsEmpty() {
			return nil
		}
		var m map[string]any
		if err := yaml.Unmarshal(d.Raw, &m); err != nil {
			return err
		}
		if m != nil {
			objs = append(objs, &unstructured.Unstructured{Object: m})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.SliceStable(objs, func(i, j int) bool { return objs[i].GetKind() == "Namespace" && objs[j].GetKind() != "Namespace" })
	ctx := context.Background()
	for _, o := range objs {
		gvk := o.GroupVersionKind()
		m, err := c.Mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		if err != nil {
			t.Fatalf("%s: %v", gvk, err)
		}
		ri := c.Dynamic.Resource(m.Resource)
		if m.Scope.Name() == "namespace" {
			ns := o.GetNamespace()
			if ns == "" {
				ns = "default"
			}
			ensureNamespace(t, c, ns)
			_, err = ri.Namespace(ns).Create(ctx, o, metav1.CreateOptions{})
		} else {
			_, err = ri.Create(ctx, o, metav1.CreateOptions{})
		}
		if apierrors.IsInvalid(err) {
			t.Logf("the server rejected %s %s: %v", gvk.Kind, o.GetName(), err)
			continue
		}
		if err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatalf("creating %s %s: %v", gvk.Kind, o.GetName(), err)
		}
	}
}

func ensureNamespace(t *testing.T, c *kube.Client, ns string) {
	t.Helper()
	_, err := c.Kubernetes.CoreV1().Namespaces().Get(context.Background(), ns, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		u := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": ns}}}
		_, err = c.Dynamic.Resource(nsGVR).Create(context.Background(), u, metav1.CreateOptions{})
		if apierrors.IsAlreadyExists(err) {
			err = nil
		}
	}
	if err != nil {
		t.Fatal(err)
	}
}

// finding is a message without its file location, to compare offline and
// live runs.
type finding struct {
	Code, Level, Message string
	Resource             struct{ Kind, Namespace, Name string }
}

func findings(t *testing.T, stdout string, keep func(ns string) bool) []string {
	t.Helper()
	var fs []finding
	if err := json.Unmarshal([]byte(stdout), &fs); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	var out []string
	for _, f := range fs {
		ns := f.Resource.Namespace
		if f.Resource.Kind == "Namespace" {
			ns = f.Resource.Name
		}
		if keep(ns) {
			out = append(out, fmt.Sprintf("%s %s %s %s/%s: %s", f.Level, f.Code, f.Resource.Kind, f.Resource.Namespace, f.Resource.Name, f.Message))
		}
	}
	sort.Strings(out)
	return out
}

func TestLiveMatchesOffline(t *testing.T) {
	c := testcluster.Get(t)
	admin, err := kube.NewClientFromConfig(c.AdminConfig())
	if err != nil {
		t.Fatal(err)
	}
	installIstioCRDs(t, admin)
	for _, sample := range []string{"bookinfo", "security", "egress"} {
		t.Run(sample, func(t *testing.T) {
			dir := filepath.Join(samples, sample, "broken")
			entries, err := os.ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			nss := map[string]bool{}
			for _, e := range entries {
				data, err := os.ReadFile(filepath.Join(dir, e.Name()))
				if err != nil {
					t.Fatal(err)
				}
				applyStream(t, admin, string(data), e.Name())
				for _, l := range strings.Split(string(data), "\n") {
					if v, ok := strings.CutPrefix(strings.TrimSpace(l), "namespace: "); ok {
						nss[v] = true
					}
				}
			}
			// Offline analysis cannot know the cluster's Secrets, so it never
			// reports a Gateway credential missing; create the one the
			// bookinfo Gateway names so that both runs agree.
			applyStream(t, admin, "apiVersion: v1\nkind: Secret\nmetadata: {name: bookinfo-cert, namespace: istio-system}\ntype: Opaque\n", "secret.yaml")
			keep := func(ns string) bool { return nss[ns] }
			offOut, offErr, offCode := run(t, "", "analyze", "--kubeconfig", badKubeconfig(t), "-o", "json", dir)
			liveOut, liveErr, liveCode := run(t, "", "analyze", "--kubeconfig", c.AdminKubeconfig, "-A", "-o", "json")
			if offCode != 79 || liveCode != 79 {
				t.Fatalf("exit codes offline %d, live %d\n%s\n%s", offCode, liveCode, offErr, liveErr)
			}
			off, live := findings(t, offOut, keep), findings(t, liveOut, keep)
			// The CRDs' schemas make the server reject or prune what the
			// schema analyzer reports: compare everything else, about the
			// resources that schema errors do not touch.
			bad := schemaSubjects(off)
			off, live = without(off, bad), without(live, bad)
			if strings.Join(off, "\n") != strings.Join(live, "\n") {
				t.Fatalf("offline and live differ\n--- offline\n%s\n--- live\n%s", strings.Join(off, "\n"), strings.Join(live, "\n"))
			}
			if len(off) < 3 {
				t.Fatalf("too few findings to compare: %v", off)
			}
		})
	}
}

// subject is "Kind ns/name" of a finding line.
func subject(f string) string { return strings.SplitN(strings.SplitN(f, " ", 3)[2], ":", 2)[0] }

// schemaSubjects are the resources with an IST0106 finding.
func schemaSubjects(fs []string) map[string]bool {
	bad := map[string]bool{}
	for _, f := range fs {
		if strings.Contains(f, " IST0106 ") {
			bad[subject(f)] = true
		}
	}
	return bad
}

// without drops the findings about the given resources.
func without(fs []string, bad map[string]bool) []string {
	var out []string
	for _, f := range fs {
		if !bad[subject(f)] {
			out = append(out, f)
		}
	}
	return out
}

func TestLiveNamespaceAndFilesOverCluster(t *testing.T) {
	c := testcluster.Get(t)
	admin, err := kube.NewClientFromConfig(c.AdminConfig())
	if err != nil {
		t.Fatal(err)
	}
	installIstioCRDs(t, admin)
	src := "apiVersion: v1\nkind: Namespace\nmetadata: {name: layering}\n---\n" +
		"apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: v, namespace: layering}\nspec: {hosts: [a], http: [{route: [{destination: {host: missing}}]}]}\n"
	applyStream(t, admin, src, "layering.yaml")
	stdout, _, code := run(t, "", "analyze", "--kubeconfig", c.AdminKubeconfig, "-n", "layering")
	if code != 79 || !strings.Contains(stdout, `Error [IST0101] (VirtualService layering/v) Referenced host not found: "missing"`) || !strings.Contains(stdout, "Info [IST0102] (Namespace layering)") {
		t.Fatalf("exit %d:\n%s", code, stdout)
	}
	// A file that defines the missing Service and labels the namespace wins
	// over the cluster's copy.
	f := writeFile(t, t.TempDir(), "fix.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: layering, labels: {istio-injection: enabled}}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: missing, namespace: layering}\nspec: {ports: [{name: http, port: 80}]}\n")
	stdout, stderr, code := run(t, "", "analyze", "--kubeconfig", c.AdminKubeconfig, "-n", "layering", "--use-kube", f)
	if code != 0 || stdout != "" {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
}

func TestLiveForbiddenIsAWarning(t *testing.T) {
	c := testcluster.Get(t)
	stdout, stderr, code := run(t, "", "analyze", "--kubeconfig", c.DevKubeconfig, "-n", "default", "--analyzer", "virtualservice.DestinationHostAnalyzer")
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	for _, want := range []string{
		`Warning: cannot list virtualservices.networking.istio.io in namespace default: permission denied: user "developer" cannot list resource "virtualservices" in API group "networking.istio.io" in the namespace "default"`,
		`Warning: cannot list services in namespace default: permission denied: user "developer" cannot list resource "services"`,
		"No issues found when analyzing namespace default.",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if strings.Contains(stderr, "pods") || strings.Contains(stderr, "deployments") {
		t.Errorf("read kinds the selected analyzer does not need:\n%s", stderr)
	}
	if strings.Contains(stderr, "secrets") || strings.Contains(stderr, "cannot list configmaps") {
		t.Errorf("read Secrets or listed ConfigMaps:\n%s", stderr)
	}
}

var nsGVR = schemaGVR("", "v1", "namespaces")

func TestLiveReadIsPagedAndBounded(t *testing.T) {
	c := testcluster.Get(t)
	admin, err := kube.NewClientFromConfig(c.AdminConfig())
	if err != nil {
		t.Fatal(err)
	}
	installIstioCRDs(t, admin)
	var b strings.Builder
	for i := 0; i < 7; i++ {
		fmt.Fprintf(&b, "---\napiVersion: v1\nkind: Service\nmetadata: {name: s%d, namespace: paging}\nspec: {ports: [{name: http, port: 80}]}\n", i)
	}
	applyStream(t, admin, b.String(), "paging.yaml")
	in, err := analyze.ReadCluster(context.Background(), admin, analyze.KubeOptions{Namespace: "paging", Kinds: []string{analyze.KindService, analyze.KindVirtualService}, PageSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	services := 0
	for _, r := range in.Resources {
		switch r.Kind {
		case analyze.KindService:
			services++
		case analyze.KindConfigMap:
		default:
			t.Errorf("read a %s, which was not asked for", r.Kind)
		}
	}
	if services != 7 || len(in.Warnings) != 0 {
		t.Fatalf("%d services over pages of 2 (want 7), warnings %v", services, in.Warnings)
	}

	// An impossible deadline is a clear error, not a hang.
	_, stderr, code := run(t, "", "analyze", "--kubeconfig", c.AdminKubeconfig, "-n", "paging", "--timeout", "1ns")
	if code != 1 || !strings.Contains(stderr, "--timeout") {
		t.Fatalf("exit %d: %s", code, stderr)
	}
}

func TestLiveGatewaySecrets(t *testing.T) {
	c := testcluster.Get(t)
	admin, err := kube.NewClientFromConfig(c.AdminConfig())
	if err != nil {
		t.Fatal(err)
	}
	installIstioCRDs(t, admin)
	src := `apiVersion: apps/v1
kind: Deployment
metadata: {name: edge, namespace: gwsecret}
spec:
  selector: {matchLabels: {app: edge}}
  template:
    metadata: {labels: {app: edge}}
    spec: {containers: [{name: istio-proxy, image: proxyv2}]}
---
apiVersion: v1
kind: Service
metadata: {name: edge, namespace: gwsecret}
spec: {selector: {app: edge}, ports: [{name: https, port: 443}]}
---
apiVersion: v1
kind: Secret
metadata: {name: present-cert, namespace: gwsecret}
type: Opaque
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: edge, namespace: gwsecret}
spec:
  selector: {app: edge}
  servers:
  - port: {number: 443, name: https-a, protocol: HTTPS}
    tls: {mode: SIMPLE, credentialName: present-cert}
    hosts: [a.example.com]
  - port: {number: 443, name: https-b, protocol: HTTPS}
    tls: {mode: SIMPLE, credentialName: missing-cert}
    hosts: [b.example.com]
`
	applyStream(t, admin, src, "gwsecret.yaml")
	stdout, stderr, code := run(t, "", "analyze", "--kubeconfig", c.AdminKubeconfig, "-n", "gwsecret", "--analyzer", "gateway.SecretAnalyzer")
	want := `Error [IST0101] (Gateway gwsecret/edge) Referenced credentialName not found: "missing-cert"`
	if code != 79 || strings.TrimSpace(stdout) != want {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	// Offline, the cluster's Secrets are unknown: no finding.
	f := writeFile(t, t.TempDir(), "gw.yaml", src)
	if stdout, _, code := run(t, "", "analyze", "--kubeconfig", badKubeconfig(t), "--analyzer", "gateway.SecretAnalyzer", f); code != 0 || stdout != "" {
		t.Fatalf("offline: exit %d\n%s", code, stdout)
	}
}
