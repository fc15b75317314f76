package install_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/rest"

	"github.com/meshctl/meshctl/internal/cli"
	"github.com/meshctl/meshctl/internal/testcluster"
	"github.com/meshctl/meshctl/pkg/install/apply"
	"github.com/meshctl/meshctl/pkg/install/manifest"
	"github.com/meshctl/meshctl/pkg/install/render"
	"github.com/meshctl/meshctl/pkg/kube"
)

// runAsMeshctl makes the test binary act as the meshctl process, so that a
// test can start and SIGKILL a real meshctl without building one.
const runAsMeshctl = "MESHCTL_TEST_RUN_AS_MESHCTL"

func TestMain(m *testing.M) {
	if os.Getenv(runAsMeshctl) == "1" {
		os.Exit(cli.Main(os.Args[1:], genericiooptions.IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr}))
	}
	testcluster.Main(m)
}

// Every test installs into its own namespace (--set namespace=NS), which
// also gives its cluster-wide objects their own names.

func run(t *testing.T, kubeconfig string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	args = append(args, "--kubeconfig", kubeconfig)
	code = cli.Main(args, genericiooptions.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut})
	return out.String(), errOut.String(), code
}

func admin(t *testing.T) (*testcluster.Cluster, *kube.Client) {
	t.Helper()
	c := testcluster.Get(t)
	kc, err := kube.NewClientFromConfig(c.AdminConfig())
	if err != nil {
		t.Fatal(err)
	}
	return c, kc
}

func mustRun(t *testing.T, kubeconfig string, args ...string) (string, string) {
	t.Helper()
	out, errOut, code := run(t, kubeconfig, args...)
	if code != 0 {
		t.Fatalf("meshctl %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, out, errOut)
	}
	return out, errOut
}

func renderFor(t *testing.T, ns string, sets ...string) *manifest.Manifest {
	t.Helper()
	m, err := render.Render(render.Options{Sets: append(sets, "namespace="+ns)})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// snapshot maps every object of the install kinds that is in ns, or
// cluster-scoped with ns in its name, to its resourceVersion.
func snapshot(t *testing.T, kc *kube.Client, ns string) map[string]string {
	t.Helper()
	ctx := context.Background()
	out := map[string]string{}
	for _, gvr := range []struct{ group, version, resource string }{
		{"", "v1", "configmaps"}, {"", "v1", "services"}, {"", "v1", "serviceaccounts"}, {"", "v1", "namespaces"},
		{"apps", "v1", "deployments"}, {"rbac.authorization.k8s.io", "v1", "roles"}, {"rbac.authorization.k8s.io", "v1", "rolebindings"},
		{"rbac.authorization.k8s.io", "v1", "clusterroles"}, {"rbac.authorization.k8s.io", "v1", "clusterrolebindings"},
		{"admissionregistration.k8s.io", "v1", "mutatingwebhookconfigurations"}, {"admissionregistration.k8s.io", "v1", "validatingwebhookconfigurations"},
		{"autoscaling", "v2", "horizontalpodautoscalers"}, {"policy", "v1", "poddisruptionbudgets"},
	} {
		list, err := kc.Dynamic.Resource(schemaGVR(gvr.group, gvr.version, gvr.resource)).List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range list.Items {
			if u.GetNamespace() == ns || (u.GetNamespace() == "" && strings.Contains(u.GetName(), ns)) {
				out[gvr.resource+"/"+u.GetNamespace()+"/"+u.GetName()] = u.GetResourceVersion()
			}
		}
	}
	if len(out) == 0 {
		t.Fatalf("no objects found for namespace %s", ns)
	}
	return out
}

func diffSnapshots(a, b map[string]string) []string {
	var d []string
	for k, v := range a {
		if b[k] != v {
			d = append(d, fmt.Sprintf("%s: %q -> %q", k, v, b[k]))
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			d = append(d, k+": new")
		}
	}
	sort.Strings(d)
	return d
}

// markReady writes the status a deployment controller would write once
// every replica is available.
func markReady(t *testing.T, kc *kube.Client, ns string, names ...string) {
	t.Helper()
	ctx := context.Background()
	for _, n := range names {
		d, err := kc.Kubernetes.AppsV1().Deployments(ns).Get(ctx, n, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		want := int32(1)
		if d.Spec.Replicas != nil {
			want = *d.Spec.Replicas
		}
		d.Status = appsv1.DeploymentStatus{
			ObservedGeneration: d.Generation, Replicas: want, UpdatedReplicas: want, ReadyReplicas: want, AvailableReplicas: want,
			Conditions: []appsv1.DeploymentCondition{{Type: appsv1.DeploymentAvailable, Status: corev1.ConditionTrue, Reason: "MinimumReplicasAvailable"}},
		}
		if _, err := kc.Kubernetes.AppsV1().Deployments(ns).UpdateStatus(ctx, d, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
}

func actions(stdout string) map[string]int {
	n := map[string]int{}
	for _, l := range strings.Split(strings.TrimSpace(stdout), "\n") {
		if f := strings.Fields(l); len(f) > 0 {
			n[f[0]]++
		}
	}
	return n
}

// writeCounter counts requests that could change the cluster: anything but
// reads and server-side dry runs.
type writeCounter struct {
	rt     http.RoundTripper
	writes atomic.Int64
	log    chan string
}

func (w *writeCounter) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method != http.MethodGet && r.URL.Query().Get("dryRun") != "All" {
		w.writes.Add(1)
		select {
		case w.log <- r.Method + " " + r.URL.Path:
		default:
		}
	}
	return w.rt.RoundTrip(r)
}

func TestInstallDemoTwiceSecondMakesNoWrites(t *testing.T) {
	c, kc := admin(t)
	ns := "it-twice"
	set := []string{"install", "--set", "profile=demo", "--set", "namespace=" + ns, "-y", "--wait=false"}
	out, errOut := mustRun(t, c.AdminKubeconfig, set...)
	m := renderFor(t, ns, "profile=demo")
	// The CRDs are shared by every install in the cluster: an earlier test
	// may have created them. Everything else is new.
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		crd := strings.Contains(l, " CustomResourceDefinition ")
		if !strings.HasPrefix(l, "created ") && !(crd && strings.HasPrefix(l, "unchanged ")) {
			t.Errorf("first install: %s", l)
		}
	}
	if got := actions(out); got["created"]+got["unchanged"] != len(m.Objects)+1 { // + the namespace
		t.Fatalf("first install: %v, want %d objects\n%s", got, len(m.Objects)+1, out)
	}
	for _, want := range []string{"✔ Istiod applied", "✔ Egress gateways applied", "complete:"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("first install stderr lacks %q:\n%s", want, errOut)
		}
	}
	before := snapshot(t, kc, ns)

	out, errOut = mustRun(t, c.AdminKubeconfig, set...)
	if got := actions(out); len(got) != 1 || got["unchanged"] != len(m.Objects) {
		t.Fatalf("second install: %v, want all %d unchanged\n%s", got, len(m.Objects), out)
	}
	if !strings.Contains(errOut, "is up to date: 0 created, 0 changed, "+fmt.Sprint(len(m.Objects))+" unchanged, 0 pruned") {
		t.Errorf("second install summary:\n%s", errOut)
	}
	if d := diffSnapshots(before, snapshot(t, kc, ns)); len(d) > 0 {
		t.Fatalf("second install changed objects:\n%s", strings.Join(d, "\n"))
	}

	// The same through the library, counting the requests that can write.
	cfg := rest.CopyConfig(c.AdminConfig())
	wc := &writeCounter{log: make(chan string, 16)}
	cfg.WrapTransport = func(rt http.RoundTripper) http.RoundTripper { wc.rt = rt; return wc }
	wkc, err := kube.NewClientFromConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	rec := &apply.Record{Profile: "demo", MeshctlVersion: "devel"}
	// The record holds the merged IstioOperator the command wrote.
	if r, err := apply.ReadRecord(context.Background(), kc, ns, m.Name); err != nil || r == nil {
		t.Fatalf("no install record: %v", err)
	} else {
		rec.IstioOperator, rec.MeshctlVersion = r.IstioOperator, r.MeshctlVersion
	}
	res, err := apply.Apply(context.Background(), wkc, m, apply.Options{Namespace: ns, Prune: true, Record: rec})
	if err != nil {
		t.Fatal(err)
	}
	if n := wc.writes.Load(); n != 0 || res.Writes != 0 {
		close(wc.log)
		var l []string
		for s := range wc.log {
			l = append(l, s)
		}
		t.Fatalf("no-op apply made %d writes (result says %d):\n%s", n, res.Writes, strings.Join(l, "\n"))
	}
	if res.Count(apply.Unchanged) != len(m.Objects) {
		t.Fatalf("library no-op: %d unchanged of %d", res.Count(apply.Unchanged), len(m.Objects))
	}
}

func TestSwitchDemoToMinimalPrunesOnlyWhatMeshctlOwns(t *testing.T) {
	c, kc := admin(t)
	ctx := context.Background()
	ns := "it-prune"
	mustRun(t, c.AdminKubeconfig, "install", "--set", "profile=demo", "--set", "namespace="+ns, "-y", "--wait=false")

	// Decoys of the pruned kinds in the same namespace: one without any
	// label, one labelled by meshctl for another install.
	one := int32(1)
	decoy := func(name string, labels map[string]string) {
		sel := map[string]string{"app": name}
		d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: labels},
			Spec: appsv1.DeploymentSpec{Replicas: &one, Selector: &metav1.LabelSelector{MatchLabels: sel},
				Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: sel}, Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "busybox"}}}}}}
		if _, err := kc.Kubernetes.AppsV1().Deployments(ns).Create(ctx, d, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		s := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: labels}, Spec: corev1.ServiceSpec{Selector: sel, Ports: []corev1.ServicePort{{Port: 80}}}}
		if _, err := kc.Kubernetes.CoreV1().Services(ns).Create(ctx, s, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: labels}}
		if _, err := kc.Kubernetes.CoreV1().ServiceAccounts(ns).Create(ctx, sa, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	decoy("istio-egressgateway-decoy", map[string]string{"app": "istio-egressgateway", "istio": "egressgateway"})
	decoy("other-install", map[string]string{manifest.LabelManagedBy: manifest.ManagedByValue, manifest.LabelInstall: "other", manifest.LabelRevision: "default", manifest.LabelComponent: manifest.EgressGateways})

	minimal := []string{"install", "--set", "profile=minimal", "--set", "namespace=" + ns, "-y", "--wait=false"}
	wantPruned := []string{
		"Deployment " + ns + "/istio-egressgateway", "Service " + ns + "/istio-egressgateway", "ServiceAccount " + ns + "/istio-egressgateway-service-account",
		"Role " + ns + "/istio-egressgateway-sds", "RoleBinding " + ns + "/istio-egressgateway-sds",
	}

	// Dry run first: the same list, and no resourceVersion moves.
	before := snapshot(t, kc, ns)
	dryOut, dryErr := mustRun(t, c.AdminKubeconfig, append(minimal, "--dry-run")...)
	if d := diffSnapshots(before, snapshot(t, kc, ns)); len(d) > 0 {
		t.Fatalf("--dry-run changed the cluster:\n%s", strings.Join(d, "\n"))
	}
	if a := actions(dryOut); a["changed"] == 0 || a["pruned"] == 0 {
		t.Fatalf("dry run reports no change:\n%s", dryOut)
	}
	if _, err := apply.ReadRecord(ctx, kc, ns, "installed-state"); err != nil {
		t.Fatal(err)
	}

	out, errOut := mustRun(t, c.AdminKubeconfig, minimal...)
	for _, p := range wantPruned {
		if !strings.Contains(out, "pruned    "+p+"\n") || !strings.Contains(dryOut, "pruned    "+p+" (dry run)\n") {
			t.Errorf("%s not reported pruned:\n%s\ndry run:\n%s", p, out, dryOut)
		}
		if !strings.Contains(errOut, "  - "+p+"\n") || !strings.Contains(dryErr, "  - "+p+"\n") {
			t.Errorf("%s not listed before pruning:\n%s", p, errOut)
		}
	}
	if i, j := strings.Index(errOut, "Pruning"), strings.Index(errOut, "complete:"); i < 0 || j < i {
		t.Errorf("prune list must come before the summary:\n%s", errOut)
	}
	if _, err := kc.Kubernetes.AppsV1().Deployments(ns).Get(ctx, "istio-egressgateway", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("egress gateway not pruned: %v", err)
	}
	for _, name := range []string{"istio-egressgateway-decoy", "other-install"} {
		if _, err := kc.Kubernetes.AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{}); err != nil {
			t.Errorf("decoy deployment %s: %v", name, err)
		}
		if _, err := kc.Kubernetes.CoreV1().Services(ns).Get(ctx, name, metav1.GetOptions{}); err != nil {
			t.Errorf("decoy service %s: %v", name, err)
		}
		if _, err := kc.Kubernetes.CoreV1().ServiceAccounts(ns).Get(ctx, name, metav1.GetOptions{}); err != nil {
			t.Errorf("decoy service account %s: %v", name, err)
		}
	}
	// The record now describes minimal.
	r, err := apply.ReadRecord(ctx, kc, ns, "installed-state")
	if err != nil || r == nil || r.Profile != "minimal" || strings.Contains(strings.Join(r.Objects, "\n"), "egressgateway") {
		t.Fatalf("record after minimal: %+v, %v", r, err)
	}
}

func TestReadinessTimeoutNamesTheStuckDeployment(t *testing.T) {
	c, kc := admin(t)
	ctx := context.Background()
	ns := "it-timeout"
	args := []string{"install", "--set", "profile=demo", "--set", "namespace=" + ns, "-y"}
	mustRun(t, c.AdminKubeconfig, append(args, "--wait=false")...)
	markReady(t, kc, ns, "istio-ingressgateway", "istio-egressgateway")
	ev := &corev1.Event{
		ObjectMeta:     metav1.ObjectMeta{Name: "istiod-pull", Namespace: ns},
		InvolvedObject: corev1.ObjectReference{Kind: "Pod", Namespace: ns, Name: "istiod-5f9c8d7b6-x2x4q"},
		Reason:         "Failed", Message: `Failed to pull image "docker.io/istio/pilot:1.31.4": ErrImagePull: not found`,
		Type: corev1.EventTypeWarning, FirstTimestamp: metav1.Now(), LastTimestamp: metav1.Now(),
	}
	if _, err := kc.Kubernetes.CoreV1().Events(ns).Create(ctx, ev, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	const n = 3
	start := time.Now()
	_, errOut, code := run(t, c.AdminKubeconfig, append(args, "--readiness-timeout", fmt.Sprintf("%ds", n))...)
	took := time.Since(start)
	if code != 1 {
		t.Fatalf("exit %d, want 1:\n%s", code, errOut)
	}
	// Generous room for a busy machine above the deadline (CI's is busy):
	// a wait that ignored it would run for the default five minutes.
	if took < n*time.Second || took > (n+30)*time.Second {
		t.Errorf("a %ds readiness timeout returned after %s", n, took)
	}
	for _, want := range []string{"not ready after 3s", "Deployment " + ns + "/istiod: ", "0/1 replicas available", "ErrImagePull", "istiod-5f9c8d7b6-x2x4q"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	if strings.Contains(errOut, "Deployment "+ns+"/istio-ingressgateway:") {
		t.Errorf("a ready gateway is named as not ready:\n%s", errOut)
	}
	if !strings.Contains(errOut, "✔ Ingress gateways installed") {
		t.Errorf("ready component not reported:\n%s", errOut)
	}

	// Once the controller reports istiod available, the wait succeeds.
	markReady(t, kc, ns, "istiod")
	_, errOut = mustRun(t, c.AdminKubeconfig, append(args, "--readiness-timeout", "20s")...)
	if !regexp.MustCompile(`✔ Istiod installed \(\d+\.\ds\)`).MatchString(errOut) {
		t.Errorf("no istiod progress line:\n%s", errOut)
	}
}

func TestInterruptedApplyConvergesOnRerun(t *testing.T) {
	c, kc := admin(t)
	ctx := context.Background()
	ns := "it-kill"
	m := renderFor(t, ns, "profile=demo")

	// Cut the apply off as the gateways phase starts, with requests in flight.
	actx, cancel := context.WithCancel(ctx)
	_, err := apply.Apply(actx, kc, m, apply.Options{Namespace: ns, Prune: true, Record: &apply.Record{}, Progress: func(e apply.Event) {
		if e.Type == apply.PhaseStarted && e.Phase == "Ingress gateways" {
			cancel()
		}
	}})
	cancel()
	if err == nil {
		t.Fatal("the interrupted apply reported success")
	}
	if r, _ := apply.ReadRecord(ctx, kc, ns, m.Name); r != nil {
		t.Fatal("an interrupted apply wrote its record")
	}
	if _, err := kc.Kubernetes.AppsV1().Deployments(ns).Get(ctx, "istio-egressgateway", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("the interruption came too late to test anything: %v", err)
	}

	args := []string{"install", "--set", "profile=demo", "--set", "namespace=" + ns, "-y", "--wait=false"}
	out, _ := mustRun(t, c.AdminKubeconfig, args...)
	if a := actions(out); a["created"] == 0 || a["unchanged"] == 0 {
		t.Fatalf("re-run should create the rest and keep what was there: %v", a)
	}
	// Same state as a clean run: exactly the rendered objects are owned,
	// nothing drifted, and one more run changes nothing.
	owned, err := apply.ListOwned(ctx, kc, apply.OwnedSelector(m.Name, m.Revision), nil)
	if err != nil {
		t.Fatal(err)
	}
	var got, want []string
	for _, u := range owned {
		if u.GetNamespace() == ns || strings.Contains(u.GetName(), ns) {
			got = append(got, manifest.Key(u))
		}
	}
	for _, o := range m.Objects {
		if o.Object.GetNamespace() == ns || strings.Contains(o.Object.GetName(), ns) {
			want = append(want, o.Key())
		}
	}
	want = append(want, "/Namespace//"+ns)
	sort.Strings(got)
	sort.Strings(want)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("owned objects after re-run:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	markReady(t, kc, ns, "istiod", "istio-ingressgateway", "istio-egressgateway")
	if out, errOut, code := run(t, c.AdminKubeconfig, "verify-install", "-i", ns); code != 0 {
		t.Fatalf("verify after re-run: exit %d\n%s%s", code, out, errOut)
	}
	out, _ = mustRun(t, c.AdminKubeconfig, args...)
	if a := actions(out); len(a) != 1 || a["unchanged"] != len(m.Objects) {
		t.Fatalf("third run: %v", a)
	}
}

func TestVerifyInstallFindsDriftAndMissingObjects(t *testing.T) {
	c, kc := admin(t)
	ctx := context.Background()
	ns := "it-verify"
	install := []string{"install", "--set", "profile=demo", "--set", "namespace=" + ns, "-y", "--wait=false"}
	mustRun(t, c.AdminKubeconfig, install...)
	out, errOut, code := run(t, c.AdminKubeconfig, "verify-install", "-i", ns)
	if code != 79 || !strings.Contains(out, "Deployment "+ns+"/istiod: not ready") {
		t.Fatalf("before readiness: exit %d, want 79 naming istiod\n%s%s", code, out, errOut)
	}
	markReady(t, kc, ns, "istiod", "istio-ingressgateway", "istio-egressgateway")
	// istiod, once serving, switches its validation webhook to Fail: that is
	// not drift.
	vwcs := kc.Kubernetes.AdmissionregistrationV1().ValidatingWebhookConfigurations()
	w, err := vwcs.Get(ctx, "istio-validator-"+ns, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	fail := admissionv1.Fail
	for i := range w.Webhooks {
		w.Webhooks[i].FailurePolicy = &fail
	}
	if _, err := vwcs.Update(ctx, w, metav1.UpdateOptions{FieldManager: "pilot-discovery"}); err != nil {
		t.Fatal(err)
	}
	out, errOut, code = run(t, c.AdminKubeconfig, "verify-install", "-i", ns)
	if code != 0 || !strings.Contains(out, "✔ install installed-state (revision default)") {
		t.Fatalf("after install: exit %d\n%s%s", code, out, errOut)
	}
	// The same check from flags instead of the record.
	if out, errOut, code := run(t, c.AdminKubeconfig, "verify-install", "--set", "profile=demo", "--set", "namespace="+ns); code != 0 {
		t.Fatalf("verify from flags: exit %d\n%s%s", code, out, errOut)
	}

	// Someone edits a field meshctl manages.
	cm, err := kc.Kubernetes.CoreV1().ConfigMaps(ns).Get(ctx, "istio", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cm.Data["mesh"] = "accessLogFile: /dev/stdout\n"
	if _, err := kc.Kubernetes.CoreV1().ConfigMaps(ns).Update(ctx, cm, metav1.UpdateOptions{FieldManager: "kubectl-edit"}); err != nil {
		t.Fatal(err)
	}
	out, _, code = run(t, c.AdminKubeconfig, "verify-install", "-i", ns)
	if code != 79 || !strings.Contains(out, "ConfigMap "+ns+"/istio: drifted") || !strings.Contains(out, "~ data.mesh:") {
		t.Fatalf("after edit: exit %d, want 79 naming data.mesh\n%s", code, out)
	}

	// Re-installing reports the conflict by field and manager...
	_, errOut, code = run(t, c.AdminKubeconfig, install...)
	if code != 1 || !strings.Contains(errOut, `ConfigMap `+ns+`/istio: .data.mesh is managed by "kubectl-edit"`) || !strings.Contains(errOut, "--force-conflicts") {
		t.Fatalf("conflict: exit %d\n%s", code, errOut)
	}
	// ...and takes it over only with --force-conflicts.
	out, _ = mustRun(t, c.AdminKubeconfig, append(install, "--force-conflicts")...)
	if !strings.Contains(out, "changed   ConfigMap "+ns+"/istio\n") {
		t.Fatalf("force-conflicts did not change the ConfigMap:\n%s", out)
	}
	if out, errOut, code := run(t, c.AdminKubeconfig, "verify-install", "-i", ns); code != 0 {
		t.Fatalf("after force: exit %d\n%s%s", code, out, errOut)
	}

	// Someone deletes an object.
	if err := kc.Kubernetes.CoreV1().Services(ns).Delete(ctx, "istiod", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	out, _, code = run(t, c.AdminKubeconfig, "verify-install", "-i", ns)
	if code != 79 || !strings.Contains(out, "Service "+ns+"/istiod: missing") {
		t.Fatalf("after delete: exit %d\n%s", code, out)
	}
}

func TestUnprivilegedUserGetsClearPermissionError(t *testing.T) {
	c, kc := admin(t)
	ctx := context.Background()
	ns := "it-dev"
	start := time.Now()
	_, errOut, code := run(t, c.DevKubeconfig, "install", "--set", "profile=demo", "--set", "namespace="+ns, "-y")
	if code != 1 {
		t.Fatalf("exit %d:\n%s", code, errOut)
	}
	for _, want := range []string{
		"permission denied: the current user lacks permissions the install needs:",
		"\n  * cannot get or create namespaces (cluster-scoped)\n",
		"\n  * cannot get, create or patch customresourcedefinitions.apiextensions.k8s.io (cluster-scoped)\n",
		"\n  * cannot get, create or patch deployments.apps in namespace " + ns + "\n",
	} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	// A permission check that retried or waited would take minutes; the
	// bound leaves a busy machine room.
	if time.Since(start) > 40*time.Second {
		t.Errorf("the permission error took %s", time.Since(start))
	}

	// With admin rights in the namespace only, just the cluster-wide
	// permissions are missing.
	if _, err := kc.Kubernetes.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// (The built-in "admin" role is aggregated by a controller that does not
	// run here, so the test grants everything in the namespace itself.)
	role := &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "everything", Namespace: ns},
		Rules: []rbacv1.PolicyRule{{APIGroups: []string{"*"}, Resources: []string{"*"}, Verbs: []string{"*"}}}}
	if _, err := kc.Kubernetes.RbacV1().Roles(ns).Create(ctx, role, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	rb := &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "developer-everything", Namespace: ns},
		RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: "everything"},
		Subjects: []rbacv1.Subject{{APIGroup: "rbac.authorization.k8s.io", Kind: "User", Name: "developer"}}}
	if _, err := kc.Kubernetes.RbacV1().RoleBindings(ns).Create(ctx, rb, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	_, errOut, code = run(t, c.DevKubeconfig, "install", "--set", "profile=demo", "--set", "namespace="+ns, "-y")
	if code != 1 || !strings.Contains(errOut, "cannot get, create or patch clusterroles.rbac.authorization.k8s.io (cluster-scoped)") {
		t.Fatalf("exit %d:\n%s", code, errOut)
	}
	if strings.Contains(errOut, "in namespace "+ns) {
		t.Errorf("namespaced permissions the user has are reported missing:\n%s", errOut)
	}
}

func TestInstallWithoutTerminalOrYesRefusesAndChangesNothing(t *testing.T) {
	c, kc := admin(t)
	_, errOut, code := run(t, c.AdminKubeconfig, "install", "--set", "profile=demo", "--set", "namespace=it-noyes")
	if code != 1 || !strings.Contains(errOut, "standard input is not a terminal (pass -y/--skip-confirmation to proceed)") {
		t.Fatalf("exit %d:\n%s", code, errOut)
	}
	if _, err := kc.Kubernetes.CoreV1().Namespaces().Get(context.Background(), "it-noyes", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("namespace created without confirmation: %v", err)
	}
}

func TestUninstallRevisionKeepsOtherRevisionsAndSharedObjects(t *testing.T) {
	c, kc := admin(t)
	ctx := context.Background()
	ns := "it-rev"
	mustRun(t, c.AdminKubeconfig, "install", "--set", "profile=minimal", "--set", "namespace="+ns, "-y", "--wait=false")
	mustRun(t, c.AdminKubeconfig, "install", "--set", "profile=minimal", "--set", "namespace="+ns, "--revision", "canary", "-y", "--wait=false")
	out, errOut := mustRun(t, c.AdminKubeconfig, "uninstall", "--revision", "canary", "-i", ns, "-y")
	if !strings.Contains(out, "delete Deployment "+ns+"/istiod-canary\n") || !strings.Contains(out, "delete ConfigMap "+ns+"/meshctl-install-installed-state-canary\n") {
		t.Fatalf("plan lacks the canary objects:\n%s", out)
	}
	if strings.Contains(out, "Deployment "+ns+"/istiod\n") || strings.Contains(out, "Namespace") {
		t.Fatalf("plan touches the default revision or the namespace:\n%s", out)
	}
	if !strings.Contains(errOut, "✔ Uninstalled revision canary") {
		t.Errorf("stderr:\n%s", errOut)
	}
	if _, err := kc.Kubernetes.AppsV1().Deployments(ns).Get(ctx, "istiod-canary", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("canary istiod still there: %v", err)
	}
	if _, err := kc.Kubernetes.AppsV1().Deployments(ns).Get(ctx, "istiod", metav1.GetOptions{}); err != nil {
		t.Fatalf("default istiod gone: %v", err)
	}
	if r, err := apply.ReadRecord(ctx, kc, ns, "installed-state"); err != nil || r == nil {
		t.Fatalf("default record gone: %v", err)
	}
	// Nothing selected: a usage error, nothing deleted.
	if _, _, code := run(t, c.AdminKubeconfig, "uninstall", "-y"); code != 2 {
		t.Fatalf("uninstall without a selection: exit %d, want 2", code)
	}
}

func TestUnreachableServerIsReportedWithAHint(t *testing.T) {
	kubeconfig := t.TempDir() + "/kubeconfig"
	cfg := `apiVersion: v1
kind: Config
clusters: [{name: gone, cluster: {server: "https://127.0.0.1:1", insecure-skip-tls-verify: true}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: gone, context: {cluster: gone, user: u}}]
current-context: gone
`
	if err := os.WriteFile(kubeconfig, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"install", "--set", "profile=demo", "-y", "--request-timeout", "5s"},
		{"verify-install", "--set", "profile=demo", "--request-timeout", "5s"},
		{"uninstall", "--purge", "-y", "--request-timeout", "5s"},
	} {
		start := time.Now()
		_, errOut, code := run(t, kubeconfig, args...)
		if code != 1 || !strings.Contains(errOut, "cannot reach the Kubernetes API server at https://127.0.0.1:1") || !strings.Contains(errOut, "check --kubeconfig and --context") {
			t.Errorf("%s: exit %d:\n%s", args[0], code, errOut)
		}
		// Retries would take minutes; the bound leaves a busy machine room.
		if time.Since(start) > 30*time.Second {
			t.Errorf("%s: took %s with a 5s request timeout", args[0], time.Since(start))
		}
		if strings.Count(errOut, "\n") > 1 {
			t.Errorf("%s: more than the one error line:\n%s", args[0], errOut)
		}
	}
}

// TestKilledSwitchConvergesOnRerun switches an install from demo to minimal
// in a meshctl process that is SIGKILLed as soon as it reports Istiod
// applied (before or while it prunes the gateways), then runs the switch
// again: the result is exactly a clean minimal install.
func TestKilledSwitchConvergesOnRerun(t *testing.T) {
	c, kc := admin(t)
	ctx := context.Background()
	ns := "it-sigkill"
	mustRun(t, c.AdminKubeconfig, "install", "--set", "profile=demo", "--set", "namespace="+ns, "-y", "--wait=false")

	cmd := exec.Command(os.Args[0], "manifest", "apply", "--set", "profile=minimal", "--set", "namespace="+ns, "-y", "--wait=false", "--kubeconfig", c.AdminKubeconfig)
	cmd.Env = append(os.Environ(), runAsMeshctl+"=1")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stderr)
	seen := ""
	for sc.Scan() {
		seen += sc.Text() + "\n"
		if strings.HasPrefix(sc.Text(), "✔ Istiod applied") {
			_ = cmd.Process.Kill()
			break
		}
	}
	err = cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != -1 {
		t.Fatalf("the apply was not killed (%v); stderr:\n%s", err, seen)
	}

	out, _ := mustRun(t, c.AdminKubeconfig, "manifest", "apply", "--set", "profile=minimal", "--set", "namespace="+ns, "-y", "--wait=false")
	t.Logf("re-run after the kill: %v", actions(out))
	if a := actions(out); a["created"] != 0 {
		t.Errorf("the killed run had already applied minimal's objects, yet: %v", a)
	}
	m := renderFor(t, ns, "profile=minimal")
	owned, err := apply.ListOwned(ctx, kc, apply.OwnedSelector(m.Name, m.Revision), nil)
	if err != nil {
		t.Fatal(err)
	}
	var got, want []string
	for _, u := range owned {
		if u.GetNamespace() == ns || strings.Contains(u.GetName(), ns) {
			got = append(got, manifest.Key(u))
		}
	}
	for _, o := range m.Objects {
		if o.Object.GetNamespace() == ns || strings.Contains(o.Object.GetName(), ns) {
			want = append(want, o.Key())
		}
	}
	want = append(want, "/Namespace//"+ns)
	sort.Strings(got)
	sort.Strings(want)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("owned objects after re-run:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	r, err := apply.ReadRecord(ctx, kc, ns, m.Name)
	if err != nil || r == nil || r.Profile != "minimal" {
		t.Fatalf("record after re-run: %+v %v", r, err)
	}
	markReady(t, kc, ns, "istiod")
	if out, errOut, code := run(t, c.AdminKubeconfig, "verify-install", "-i", ns); code != 0 {
		t.Fatalf("verify after re-run: exit %d\n%s%s", code, out, errOut)
	}
}
