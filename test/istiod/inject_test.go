package istiod

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"sigs.k8s.io/yaml"

	"github.com/meshctl/meshctl/internal/cli"
	"github.com/meshctl/meshctl/pkg/inject"
	"github.com/meshctl/meshctl/pkg/yamlstream"
)

// injectionInputs are the workloads compared: every input of kube-inject's
// golden tests and the seed's apps.
func injectionInputs(t *testing.T) []string {
	t.Helper()
	var files []string
	for _, g := range []string{"../../pkg/inject/testdata/in/*", "../../samples/helloworld/good/*.yaml", "../../samples/bookinfo/*.yaml", "../../samples/security/scenarios/apps.yaml"} {
		m, err := filepath.Glob(g)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) < 20 {
		t.Fatalf("only %d input files: the globs are wrong", len(files))
	}
	return files
}

// podsOf turns every workload of a file into the bare Pod its controller
// would create: its template, named after the workload (the webhook names a
// bare pod's workload after the pod), in namespace ns.
func podsOf(t *testing.T, file, ns string) []*corev1.Pod {
	t.Helper()
	var out []*corev1.Pod
	var add func(obj map[string]any, where string)
	add = func(obj map[string]any, where string) {
		kind, _ := obj["kind"].(string)
		if items, ok := obj["items"].([]any); ok && strings.HasSuffix(kind, "List") {
			for i, it := range items {
				if m, ok := it.(map[string]any); ok {
					add(m, where+"/items["+strconv.Itoa(i)+"]")
				}
			}
			return
		}
		meta, _ := obj["metadata"].(map[string]any)
		name, _ := meta["name"].(string)
		tmpl := obj // a Pod is its own template
		path, ok := inject.TemplatePath(kind)
		if !ok {
			return
		}
		for _, k := range path {
			tmpl, _ = tmpl[k].(map[string]any)
		}
		if tmpl == nil {
			return
		}
		b, err := json.Marshal(map[string]any{"metadata": tmpl["metadata"], "spec": tmpl["spec"]})
		if err != nil {
			t.Fatalf("%s: %v", where, err)
		}
		pod := &corev1.Pod{}
		if err := json.Unmarshal(b, pod); err != nil {
			t.Fatalf("%s: %v", where, err)
		}
		pod.TypeMeta = metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"}
		pod.Name = strings.ToLower(kind) + "-" + name
		pod.Namespace = ns
		pod.GenerateName = ""
		out = append(out, pod)
	}
	err := yamlstream.ReadPaths([]string{file}, nil, func(d yamlstream.Document) error {
		var obj map[string]any
		if err := yaml.Unmarshal(d.Raw, &obj); err != nil || obj == nil {
			return err
		}
		add(obj, d.Where())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// kubeInject runs `meshctl kube-inject` in process over a stream of pods;
// it returns the output and, by pod name, why a pod was skipped.
func (m *mesh) kubeInject(t *testing.T, src []byte, args ...string) ([]byte, map[string]string) {
	t.Helper()
	var out, errOut bytes.Buffer
	args = append([]string{"kube-inject", "-f", "-", "--kubeconfig", m.c.AdminKubeconfig}, args...)
	if code := cli.Main(args, genericiooptions.IOStreams{In: bytes.NewReader(src), Out: &out, ErrOut: &errOut}); code != 0 {
		t.Fatalf("meshctl %s: exit %d: %s", strings.Join(args, " "), code, errOut.String())
	}
	skipped := map[string]string{}
	for line := range strings.SplitSeq(errOut.String(), "\n") {
		if rest, ok := strings.CutPrefix(line, "pod/"); ok {
			if name, why, ok := strings.Cut(rest, " skipped: "); ok {
				skipped[name] = why
			}
		}
	}
	return out.Bytes(), skipped
}

// skipAllowed are the reasons kube-inject skips a pod that istiod injects,
// on purpose (the kube-inject guide says why): meshctl keeps a declared
// proxy where the user put it and names the fix where the place matters.
var skipAllowed = []string{
	"native sidecars run the proxy as an init container: declare it under initContainers",
	"holdApplicationUntilProxyStarts starts the proxy first: declare it first",
	"native sidecars start the proxy before the other init containers: declare it first",
	// Offline, a pod labelled for another revision is that revision's to
	// inject; in a namespace labelled istio-injection=enabled the default
	// revision's webhook takes it all the same.
	`injecting for "default"`,
}

// injectionAllowed are the differences between istiod's webhook and
// meshctl's offline injection that are intended; each is explained in
// docs/guides/kube-inject.md ("Compared with istiod").
var injectionAllowed = map[string]string{
	".metadata.annotations.proxy.istio.io/overrides": "kube-inject records the declared containers as written, so that uninject restores the YAML byte for byte; istiod records them as the API server defaulted them",
}

// TestAutoInjectionMatchesKubeInject: every workload of the injection
// goldens and the seed's apps is created as a Pod in a namespace labelled
// istio-injection=enabled, so that istiod's real webhook injects it; the
// same pod injected offline by `meshctl kube-inject` (with the cluster's
// config, and with the profile rendered from files) is created as a
// server-side dry run in a namespace no webhook selects, so that the API
// server defaults both the same way. The two are compared field by field.
//
// It runs twice, for both of istiod's sidecar forms: with no nodes, where
// istiod's ENABLE_NATIVE_SIDECARS=auto turns native sidecars on, and with a
// 1.32 node, where it keeps the proxy among the containers.
func TestAutoInjectionMatchesKubeInject(t *testing.T) {
	m := meshFor(t)
	t.Run("native sidecars", func(t *testing.T) {
		// Offline, auto is off (as with istioctl): the rendered files
		// name what the nodes decide in the cluster.
		m.compareInjection(t, "native", "--set", "profile=demo", "--set", "values.pilot.env.ENABLE_NATIVE_SIDECARS=true")
	})
	t.Run("sidecar containers", func(t *testing.T) {
		m.addNode(t, "node-1-32", "v1.32.4")
		m.compareInjection(t, "classic", "--set", "profile=demo")
	})
}

// addNode registers a node with a kubelet version and waits until istiod's
// webhook sees it: a probe pod stops getting a native sidecar.
func (m *mesh) addNode(t *testing.T, name, kubelet string) {
	t.Helper()
	ctx := context.Background()
	n, err := m.kc.CoreV1().Nodes().Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	n.Status.NodeInfo.KubeletVersion = kubelet
	if _, err := m.kc.CoreV1().Nodes().UpdateStatus(ctx, n, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	const ns = "node-probe"
	m.namespace(t, ns, map[string]string{"istio-injection": "enabled"})
	probe := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "probe", Namespace: ns}, Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "example.com/app:1"}}}}
	deadline := time.Now().Add(time.Minute)
	for {
		got, err := m.kc.CoreV1().Pods(ns).Create(ctx, probe, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Spec.Containers) == 2 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("istiod still injects native sidecars a minute after node %s (kubelet %s) was added", name, kubelet)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func (m *mesh) compareInjection(t *testing.T, round string, rendered ...string) {
	ctx := context.Background()
	ns, offNS := "webhook-"+round, "offline-"+round
	m.namespace(t, ns, map[string]string{"istio-injection": "enabled"})
	// No webhook selects this one: istio-injection=disabled rules out every
	// injector entry, as it does in a cluster.
	m.namespace(t, offNS, map[string]string{"istio-injection": "disabled"})

	var pods []*corev1.Pod
	seen := map[string]bool{}
	for _, f := range injectionInputs(t) {
		for _, p := range podsOf(t, f, ns) {
			if seen[p.Name] {
				p.Name = fmt.Sprintf("%s-%d", p.Name, len(pods))
			}
			seen[p.Name] = true
			pods = append(pods, p)
		}
	}
	var stream bytes.Buffer
	for _, p := range pods {
		b, err := yaml.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		stream.WriteString("---\n")
		stream.Write(b)
	}
	live, skipped := m.kubeInject(t, stream.Bytes(), "--use-kube")
	if fromFiles, _ := m.kubeInject(t, stream.Bytes(), rendered...); !bytes.Equal(live, fromFiles) {
		t.Errorf("kube-inject --use-kube and %s differ on the same install", strings.Join(rendered, " "))
	}
	offline := map[string]*corev1.Pod{}
	err := yamlstream.Read("kube-inject", bytes.NewReader(live), func(d yamlstream.Document) error {
		p := &corev1.Pod{}
		if err := yaml.Unmarshal(d.Raw, p); err != nil {
			return err
		}
		if p.Name != "" {
			offline[p.Name] = p
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	// Every service account the pods run as, in both namespaces (no
	// controller creates them).
	for _, p := range pods {
		if sa := p.Spec.ServiceAccountName; sa != "" && sa != "default" && !seen["sa/"+sa] {
			seen["sa/"+sa] = true
			for _, n := range []string{ns, offNS} {
				if _, err := m.kc.CoreV1().ServiceAccounts(n).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: sa}}, metav1.CreateOptions{}); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	// MESHCTL_ISTIOD_DUMP names a directory to write both pods of every
	// comparison to, for reading a difference whole.
	dump := os.Getenv("MESHCTL_ISTIOD_DUMP")

	identical, allowed, differing, rejected, reinjected := 0, 0, 0, 0, 0
	var report strings.Builder
	for _, p := range pods {
		off := offline[p.Name]
		if off == nil {
			t.Errorf("pod %s: kube-inject gave no pod", p.Name)
			continue
		}
		if _, ok := p.Annotations["sidecar.istio.io/status"]; ok {
			// Injected already: kube-inject replaces the earlier
			// injection (an upgrade of the YAML), the webhook leaves such a
			// pod alone. Both are what each is for; see the guide.
			reinjected++
			continue
		}
		// A server-side dry run defaults the offline pod as the webhook's
		// is, in a namespace no webhook selects (istiod would inject an
		// injected pod again, as reinvocation needs).
		offPod := off.DeepCopy()
		offPod.Namespace = offNS
		byMeshctl, offErr := m.kc.CoreV1().Pods(offNS).Create(ctx, offPod, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
		byWebhook, err := m.kc.CoreV1().Pods(ns).Create(ctx, p, metav1.CreateOptions{})
		if err != nil {
			// The API server refuses some inputs on their own (no
			// injection involved): say which and why.
			rejected++
			fmt.Fprintf(&report, "pod %s: refused by the API server before comparison: %v\n", p.Name, err)
			continue
		}
		if offErr != nil {
			t.Errorf("pod %s: the offline-injected pod is refused by the API server: %v", p.Name, offErr)
			continue
		}
		if dump != "" {
			for who, pod := range map[string]*corev1.Pod{"istiod": byWebhook, "meshctl": byMeshctl} {
				b, _ := yaml.Marshal(pod)
				_ = os.WriteFile(filepath.Join(dump, p.Name+"."+who+".yaml"), b, 0o644)
			}
		}
		_, webhookInjected := byWebhook.Annotations["sidecar.istio.io/status"]
		if why, ok := skipped[p.Name]; ok && webhookInjected {
			documented := false
			for _, a := range skipAllowed {
				documented = documented || strings.HasSuffix(why, a)
			}
			if documented {
				allowed++
			} else {
				differing++
				fmt.Fprintf(&report, "pod %s: istiod injects it, kube-inject skips it: %s\n", p.Name, why)
			}
			continue
		}
		diffs := podDiff(byWebhook, byMeshctl)
		var unexplained []string
		for _, d := range diffs {
			if _, ok := injectionAllowed[d.path]; !ok {
				unexplained = append(unexplained, d.String())
			}
		}
		switch {
		case len(diffs) == 0:
			identical++
		case len(unexplained) == 0:
			allowed++
		default:
			differing++
			fmt.Fprintf(&report, "pod %s: %d fields differ:\n  %s\n", p.Name, len(unexplained), strings.Join(unexplained, "\n  "))
		}
	}
	t.Logf("%d pods: %d identical, %d differ only as documented, %d differ, %d refused by the API server, %d injected already (not compared)", len(pods), identical, allowed, differing, rejected, reinjected)
	if differing > 0 || rejected > 0 {
		t.Errorf("istiod's webhook and meshctl kube-inject differ:\n%s", report.String())
	}
	if identical+allowed < len(pods)/2 {
		t.Fatalf("only %d of %d pods compared", identical+allowed, len(pods))
	}
}

type fieldDiff struct {
	path             string
	webhook, meshctl string
}

func (d fieldDiff) String() string {
	return fmt.Sprintf("%s: istiod %s, meshctl %s", d.path, d.webhook, d.meshctl)
}

// podDiff compares two stored pods field by field, leaving out what the API
// server assigns per object. Lists of named items are compared by name.
func podDiff(webhook, meshctl *corev1.Pod) []fieldDiff {
	flat := func(p *corev1.Pod) map[string]string {
		p = p.DeepCopy()
		p.UID, p.ResourceVersion, p.CreationTimestamp, p.ManagedFields, p.Generation = "", "", metav1.Time{}, nil, 0
		p.Namespace = "" // the offline pod is defaulted in a namespace of its own
		// The service account admission plugin names the token volume
		// with a random suffix per object.
		for i := range p.Spec.Volumes {
			if strings.HasPrefix(p.Spec.Volumes[i].Name, "kube-api-access-") {
				p.Spec.Volumes[i].Name = "kube-api-access"
			}
		}
		for _, cs := range [][]corev1.Container{p.Spec.Containers, p.Spec.InitContainers} {
			for i := range cs {
				for j := range cs[i].VolumeMounts {
					if strings.HasPrefix(cs[i].VolumeMounts[j].Name, "kube-api-access-") {
						cs[i].VolumeMounts[j].Name = "kube-api-access"
					}
				}
			}
		}
		b, _ := json.Marshal(p)
		var v any
		_ = json.Unmarshal(b, &v)
		out := map[string]string{}
		flatten("", v, out)
		return out
	}
	a, b := flat(webhook), flat(meshctl)
	keys := map[string]bool{}
	for k := range a {
		keys[k] = true
	}
	for k := range b {
		keys[k] = true
	}
	var out []fieldDiff
	for k := range keys {
		if a[k] != b[k] {
			out = append(out, fieldDiff{path: k, webhook: orAbsent(a[k]), meshctl: orAbsent(b[k])})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].path < out[j].path })
	return out
}

func orAbsent(s string) string {
	if s == "" {
		return "(absent)"
	}
	return s
}

// flatten writes every leaf of v under its path; list items with a name are
// keyed by it ("containers[istio-proxy].image"), others by index. JSON-valued
// annotations and env values are compared as JSON, not as text.
func flatten(path string, v any, out map[string]string) {
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 0 {
			return
		}
		for k, e := range x {
			flatten(path+"."+k, e, out)
		}
	case []any:
		for i, e := range x {
			key := strconv.Itoa(i)
			if m, ok := e.(map[string]any); ok {
				if n, ok := m["name"].(string); ok {
					key = n
				}
			}
			flatten(path+"["+key+"]", e, out)
		}
	case string:
		var j any
		if (strings.HasPrefix(x, "{") || strings.HasPrefix(x, "[")) && json.Unmarshal([]byte(x), &j) == nil {
			b, _ := json.Marshal(j)
			out[path] = string(b)
			return
		}
		out[path] = strconv.Quote(x)
	default:
		b, _ := json.Marshal(x)
		out[path] = string(b)
	}
}
