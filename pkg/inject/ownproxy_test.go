package inject

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/meshctl/meshctl/internal/testutil/golden"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// podWithOwnProxy is an application pod that declares istio-proxy with the
// given security context and annotations.
func podWithOwnProxy(sc *corev1.SecurityContext, anns map[string]string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "tp", Namespace: "shop", Annotations: anns},
		Spec: corev1.PodSpec{Containers: []corev1.Container{
			{Name: "app", Image: "example.com/app:1"},
			{Name: proxyName, Image: autoImage, SecurityContext: sc},
		}},
	}
}

// uidArg is the value after -u in istio-init's arguments.
func uidArg(t *testing.T, pod *corev1.Pod) string {
	t.Helper()
	c := containerNamed(pod.Spec.InitContainers, initName)
	if c == nil {
		t.Fatalf("no %s container", initName)
	}
	i := slices.Index(c.Args, "-u")
	if i < 0 || i+1 >= len(c.Args) {
		t.Fatalf("no -u in %v", c.Args)
	}
	return c.Args[i+1]
}

// TestOwnProxyUser: a proxy the user runs as another uid is the one
// iptables exempts from capture, as Istio's webhook arranges; in TPROXY
// mode the proxy stays root, and a uid 0 is never given to iptables.
func TestOwnProxyUser(t *testing.T) {
	t.Parallel()
	in := injectorFor(t, nil, "")
	w := Workload{Name: "tp", Namespace: "shop"}
	cases := []struct {
		name           string
		sc             *corev1.SecurityContext
		anns           map[string]string
		wantU          string
		wantUID        int64
		wantGID        int64
		wantOverridden string
	}{
		{"redirect", &corev1.SecurityContext{RunAsUser: ptr.To[int64](1500), RunAsGroup: ptr.To[int64](1600)}, nil, "1500", 1500, 1600, `"securityContext":{"runAsUser":1500,"runAsGroup":1600}`},
		{"tproxy", &corev1.SecurityContext{RunAsUser: ptr.To[int64](1500), RunAsGroup: ptr.To[int64](1600)}, map[string]string{"sidecar.istio.io/interceptionMode": "TPROXY"}, "1500", 0, 1600, `"runAsUser":1500`},
		{"root", &corev1.SecurityContext{RunAsUser: ptr.To[int64](0)}, nil, "1337", 0, 1337, `"runAsUser":0`},
		{"group only", &corev1.SecurityContext{RunAsGroup: ptr.To[int64](2000)}, nil, "1337", 1337, 2000, `"runAsGroup":2000`},
	}
	for _, c := range cases {
		out, err := in.InjectPod(w, podWithOwnProxy(c.sc, c.anns))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got := uidArg(t, out); got != c.wantU {
			t.Errorf("%s: istio-init -u %s, want %s", c.name, got, c.wantU)
		}
		p := containerNamed(out.Spec.Containers, proxyName)
		if p == nil || p.SecurityContext == nil || p.SecurityContext.RunAsUser == nil || p.SecurityContext.RunAsGroup == nil {
			t.Fatalf("%s: proxy without user and group: %+v", c.name, p)
		}
		if *p.SecurityContext.RunAsUser != c.wantUID || *p.SecurityContext.RunAsGroup != c.wantGID {
			t.Errorf("%s: proxy runs as %d:%d, want %d:%d", c.name, *p.SecurityContext.RunAsUser, *p.SecurityContext.RunAsGroup, c.wantUID, c.wantGID)
		}
		if !strings.Contains(out.Annotations[annOverrides], c.wantOverridden) {
			t.Errorf("%s: overrides annotation %s lacks %s", c.name, out.Annotations[annOverrides], c.wantOverridden)
		}
	}
}

// TestOwnProxyUserCNI: with the CNI plugin, istio-validation checks the
// capture as the proxy's user, so it runs as the user's uid and gid.
func TestOwnProxyUserCNI(t *testing.T) {
	t.Parallel()
	in := injectorFor(t, []string{"values.pilot.cni.enabled=true"}, "")
	out, err := in.InjectPod(Workload{Name: "tp", Namespace: "shop"}, podWithOwnProxy(&corev1.SecurityContext{RunAsUser: ptr.To[int64](1500), RunAsGroup: ptr.To[int64](1600)}, nil))
	if err != nil {
		t.Fatal(err)
	}
	v := containerNamed(out.Spec.InitContainers, validationName)
	if v == nil || v.SecurityContext == nil || v.SecurityContext.RunAsUser == nil || v.SecurityContext.RunAsGroup == nil {
		t.Fatalf("istio-validation without user and group: %+v", v)
	}
	if *v.SecurityContext.RunAsUser != 1500 || *v.SecurityContext.RunAsGroup != 1600 {
		t.Fatalf("istio-validation runs as %d:%d, want 1500:1600", *v.SecurityContext.RunAsUser, *v.SecurityContext.RunAsGroup)
	}
}

// TestOwnInitContainer: a user's istio-init settings win over the
// template's and are recorded under initContainers, and the proxy declared
// among the containers stays where the user put it.
func TestOwnInitContainer(t *testing.T) {
	t.Parallel()
	in := injectorFor(t, nil, "")
	pod := podWithOwnProxy(nil, nil)
	pod.Spec.Containers[0], pod.Spec.Containers[1] = pod.Spec.Containers[1], pod.Spec.Containers[0]
	pod.Spec.InitContainers = []corev1.Container{{Name: initName, Image: autoImage, Args: []string{"istio-iptables", "--dry-run"}}}
	out, err := in.InjectPod(Workload{Name: "tp", Namespace: "shop"}, pod)
	if err != nil {
		t.Fatal(err)
	}
	if out.Spec.Containers[0].Name != proxyName {
		t.Errorf("containers in order %s, %s: want the user's order", out.Spec.Containers[0].Name, out.Spec.Containers[1].Name)
	}
	init := containerNamed(out.Spec.InitContainers, initName)
	if init == nil || !slices.Equal(init.Args, []string{"istio-iptables", "--dry-run"}) || init.Image == autoImage || init.Image == "" {
		t.Fatalf("istio-init is not the user's over the template's: %+v", init)
	}
	want := `{"containers":[{"name":"istio-proxy","resources":{}}],"initContainers":[{"name":"istio-init","args":["istio-iptables","--dry-run"],"resources":{}}]}`
	if got := out.Annotations[annOverrides]; got != want {
		t.Fatalf("overrides annotation\n got %s\nwant %s", got, want)
	}
}

// TestCustomSidecarSample: the guide's sample injects as the guide says
// and uninjects back to its own bytes.
func TestCustomSidecarSample(t *testing.T) {
	t.Parallel()
	src, err := os.ReadFile(filepath.Join("..", "..", "samples", "bookinfo", "custom-sidecar.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	out, rep := run(t, injectorFor(t, nil, ""), src)
	if rep != "deployment/reviews-v2 injected\n" {
		t.Fatalf("report %q", rep)
	}
	got := string(out)
	for _, want := range []string{
		"        - -u\n        - '1500'\n",
		"            cpu: 200m\n            memory: 256Mi\n",
		"        - name: ISTIO_META_DNS_CAPTURE\n          value: \"true\"\n",
		"        image: docker.io/istio/proxyv2:",
		`proxy.istio.io/overrides: '{"containers":[{"name":"istio-proxy","env":[{"name":"ISTIO_META_DNS_CAPTURE","value":"true"}]`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("injected sample lacks %q", want)
		}
	}
	back, _ := run(t, NewUninjector(), out)
	if !bytes.Equal(back, src) {
		t.Fatalf("uninjection does not give the sample back:\n%s", golden.Diff(src, back))
	}
}

// TestOwnProxyPlace: a declared proxy is injected where the user's place
// for it works, and otherwise skipped with the fix.
func TestOwnProxyPlace(t *testing.T) {
	t.Parallel()
	plain := injectorFor(t, nil, "")
	native := injectorFor(t, []string{"values.pilot.env.ENABLE_NATIVE_SIDECARS=true"}, "")
	const head = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n"
	const app = "  - name: app\n    image: example.com/app:1\n"
	const proxy = "  - name: istio-proxy\n    image: auto\n    resources:\n      limits:\n        cpu: \"1\"\n"
	const other = "  - name: migrate\n    image: example.com/migrate:1\n"
	cases := []struct {
		name string
		in   *Injector
		src  string
		want string
	}{
		{"native, first init container", native, head + "  initContainers:\n" + proxy + other + "  containers:\n" + app, "pod/p injected"},
		{"native, later init container", native, head + "  initContainers:\n" + other + proxy + "  containers:\n" + app, "pod/p skipped: its own istio-proxy init container is not the first"},
		{"native, among the containers", native, head + "  containers:\n" + app + proxy, "pod/p skipped: its own istio-proxy container is among the containers, but native sidecars"},
		{"not native, init container", plain, head + "  initContainers:\n" + proxy + "  containers:\n" + app, "pod/p skipped: its own istio-proxy container is an init container, but without native sidecars"},
	}
	for _, c := range cases {
		out, rep := run(t, c.in, []byte(c.src))
		if !strings.HasPrefix(rep, c.want) {
			t.Errorf("%s: report %q, want %q", c.name, rep, c.want)
			continue
		}
		if strings.Contains(rep, "skipped") != (string(out) == c.src) {
			t.Errorf("%s: skipped pod changed, or injected pod unchanged:\n%s", c.name, out)
		}
		if strings.Contains(rep, "injected") {
			// The proxy keeps the user's limit, as a native sidecar, first.
			if !strings.Contains(string(out), "  initContainers:\n  - name: istio-init\n") || !strings.Contains(string(out), "restartPolicy: Always") || !strings.Contains(string(out), "cpu: \"1\"") {
				t.Errorf("%s: injected pod lacks the native proxy with the user's limit:\n%s", c.name, out)
			}
			back, _ := run(t, NewUninjector(), out)
			if string(back) != c.src {
				t.Errorf("%s: uninjection does not give the pod back:\n%s", c.name, golden.Diff([]byte(c.src), back))
			}
		}
	}
}
