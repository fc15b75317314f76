package istiod

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	cluster "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	endpoint "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listener "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	route "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	"google.golang.org/protobuf/types/known/anypb"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"sigs.k8s.io/yaml"

	"github.com/meshctl/meshctl/internal/authzgen"
	"github.com/meshctl/meshctl/internal/testcluster"
	"github.com/meshctl/meshctl/pkg/yamlstream"
)

// policyGVRs are the kinds a scenario or a generated set applies.
var policyGVRs = map[string]schema.GroupVersionResource{
	"PeerAuthentication":  {Group: "security.istio.io", Version: "v1", Resource: "peerauthentications"},
	"AuthorizationPolicy": {Group: "security.istio.io", Version: "v1", Resource: "authorizationpolicies"},
	"DestinationRule":     {Group: "networking.istio.io", Version: "v1", Resource: "destinationrules"},
	"Sidecar":             {Group: "networking.istio.io", Version: "v1", Resource: "sidecars"},
	"ServiceEntry":        {Group: "networking.istio.io", Version: "v1", Resource: "serviceentries"},
	"VirtualService":      {Group: "networking.istio.io", Version: "v1", Resource: "virtualservices"},
	"Gateway":             {Group: "networking.istio.io", Version: "v1", Resource: "gateways"},
}

var (
	serviceEntries = schema.GroupVersionResource{Group: "networking.istio.io", Version: "v1", Resource: "serviceentries"}
	deployments    = schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}
)

// TestAuthzMatchesIstiod measures `meshctl authz matrix` against istiod on
// the seed's six security scenarios: for every client workload and service
// of foo, bar and legacy, the outcome meshctl predicts must be what Envoy
// does with the clusters, endpoints and inbound listeners istiod sends:
// the client's transport socket for the server's endpoint, the server's
// filter chain for that connection (plaintext, mutual TLS or none), and
// its RBAC filters for GET /.
func TestAuthzMatchesIstiod(t *testing.T) {
	m := meshFor(t)
	b := newBed(t, m, objects(t, filepath.Join(scenarios, "apps.yaml")), 246)
	defer b.close(t)
	defer m.setAutoMTLS(t, true)
	dirs, err := filepath.Glob(filepath.Join(scenarios, "[0-9]-*"))
	if err != nil || len(dirs) < 6 {
		t.Fatalf("want the seed's six scenarios under %s, found %v (%v)", scenarios, dirs, err)
	}
	scope := []string{"*.foo", "*.bar", "*.legacy"}
	agree, cells := 0, 0
	for _, dir := range dirs {
		sc := filepath.Base(dir)
		auto := true
		var policies []*unstructured.Unstructured
		for _, o := range objects(t, dir) {
			if o.GetKind() == "ConfigMap" {
				auto = !strings.Contains(fmt.Sprint(o.Object["data"]), "enableAutoMtls: false")
			} else {
				policies = append(policies, o)
			}
		}
		m.setAutoMTLS(t, auto)
		b.apply(t, policies)
		b.sync(t)
		a, n := b.compare(t, sc, scope)
		agree, cells = agree+a, cells+n
		b.apply(t, nil)
	}
	t.Logf("seed scenarios: %d of %d cells agree with istiod\n%s", agree, cells, strings.Join(b.outcomes, "\n"))
	if cells < 6*6*6 {
		t.Fatalf("only %d cells compared", cells)
	}
}

// TestGeneratedPoliciesMatchIstiod does the same over 200 policy sets of
// the authz benchmark's generator: a 40-workload mesh in four namespaces
// (one without sidecars) where set k holds the generated policies k to
// k+k%10 (PeerAuthentication with port-level mTLS, DestinationRule TLS,
// DENY and ALLOW policies with namespaces, principals, paths, methods, IP
// blocks and headers), every fourth one with the mesh-wide STRICT policy.
func TestGeneratedPoliciesMatchIstiod(t *testing.T) {
	m := meshFor(t)
	var buf bytes.Buffer
	if err := authzgen.Write(&buf, authzgen.Sizes{Workloads: 40, Services: 40, Policies: 210}); err != nil {
		t.Fatal(err)
	}
	var base, policies []*unstructured.Unstructured
	err := yamlstream.Read("generated", &buf, func(d yamlstream.Document) error {
		u := &unstructured.Unstructured{}
		if err := yaml.Unmarshal(d.Raw, &u.Object); err != nil || u.Object == nil {
			return err
		}
		switch {
		case u.GetKind() == "ConfigMap": // the installed mesh config already has auto mTLS on
		case policyGVRs[u.GetKind()].Resource != "":
			policies = append(policies, u)
		default:
			base = append(base, u)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	b := newBed(t, m, base, 247)
	defer b.close(t)
	const sets = 200
	agree, cells := 0, 0
	start := time.Now()
	for k := 0; k < sets; k++ {
		var set []*unstructured.Unstructured
		if k%4 == 0 && k != 0 {
			set = append(set, policies[0])
		}
		set = append(set, policies[k:k+1+k%10]...)
		b.apply(t, set)
		b.sync(t)
		a, n := b.compare(t, fmt.Sprintf("set %d", k), []string{"*.ns-*"})
		agree, cells = agree+a, cells+n
		if t.Failed() && os.Getenv("MESHCTL_ISTIOD_ALL") == "" {
			t.Fatalf("stopped at set %d (MESHCTL_ISTIOD_ALL=1 runs every set)", k)
		}
	}
	b.apply(t, nil)
	t.Logf("generated policy sets: %d sets, %d of %d cells agree with istiod (%s); outcomes: %s", sets, agree, cells, time.Since(start).Round(time.Second), histogram(b.total))
	if cells < sets*40*40 {
		t.Fatalf("only %d cells compared", cells)
	}
}

// bed is a set of workloads as istiod sees them in a cluster: a Pod for
// every Deployment (created through istiod's injection webhook, then given
// an IP and marked running, since no kubelet runs here), an EndpointSlice
// for every Service, and a test proxy for every pod with a sidecar.
type bed struct {
	m        *mesh
	dc       dynamic.Interface
	pods     map[string]*corev1.Pod // by workload NAME.NAMESPACE
	services []*corev1.Service
	proxies  map[string]*tracked // by workload NAME.NAMESPACE
	applied  map[string]*unstructured.Unstructured
	marker   int
	outcomes []string       // per comparison, how many cells had each outcome
	total    map[string]int // over all comparisons
	// external are hosts outside every registry that compare adds as
	// matrix columns.
	external []string
	// path and headers make the request something else than GET /.
	path    string
	headers map[string]string
	// relabelled are the labels of existing namespaces before the bed
	// changed them.
	relabelled map[string]map[string]string
	// undo deletes what the bed created, newest first at close.
	undo []func(context.Context) error
}

// relabel gives an existing namespace the labels, remembering its own.
func (b *bed) relabel(t *testing.T, name string, lbls map[string]string) {
	t.Helper()
	ctx := context.Background()
	ns, err := b.m.kc.CoreV1().Namespaces().Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, done := b.relabelled[name]; !done {
		b.relabelled[name] = ns.Labels
	}
	merged := map[string]string{}
	for k, v := range ns.Labels {
		merged[k] = v
	}
	for k, v := range lbls {
		merged[k] = v
	}
	if lbls == nil {
		merged = b.relabelled[name]
	}
	ns.Labels = merged
	if _, err := b.m.kc.CoreV1().Namespaces().Update(ctx, ns, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func histogram(m map[string]int) string {
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s×%d", k, m[k]))
	}
	return strings.Join(parts, " ")
}

// tracked is a test proxy and what it has received, in order.
type tracked struct {
	*testcluster.Proxy
	mu      sync.Mutex
	last    map[string]int
	markers map[string]int // sync cluster → number of the first CDS response that had it
	view    *decoded       // its resources decoded, from the last sync on
}

// decoded are a proxy's resources by name.
type decoded struct {
	clusters  map[string]*cluster.Cluster
	endpoints map[string]*endpoint.ClusterLoadAssignment
	listeners map[string]*listener.Listener
	routes    map[string]*route.RouteConfiguration
}

// decode reads the proxy's resources once per sync.
func (tr *tracked) decode(t *testing.T) *decoded {
	t.Helper()
	if tr.view != nil {
		return tr.view
	}
	v := &decoded{clusters: map[string]*cluster.Cluster{}, endpoints: map[string]*endpoint.ClusterLoadAssignment{}, listeners: map[string]*listener.Listener{}, routes: map[string]*route.RouteConfiguration{}}
	for _, a := range tr.Resources(testcluster.ClusterType) {
		c := &cluster.Cluster{}
		if err := a.UnmarshalTo(c); err != nil {
			t.Fatal(err)
		}
		v.clusters[c.GetName()] = c
	}
	for _, a := range tr.Resources(testcluster.EndpointType) {
		c := &endpoint.ClusterLoadAssignment{}
		if err := a.UnmarshalTo(c); err != nil {
			t.Fatal(err)
		}
		v.endpoints[c.GetClusterName()] = c
	}
	for _, a := range tr.Resources(testcluster.ListenerType) {
		l := &listener.Listener{}
		if err := a.UnmarshalTo(l); err != nil {
			t.Fatal(err)
		}
		v.listeners[l.GetName()] = l
	}
	for _, a := range tr.Resources(testcluster.RouteType) {
		rc := &route.RouteConfiguration{}
		if err := a.UnmarshalTo(rc); err != nil {
			t.Fatal(err)
		}
		v.routes[rc.GetName()] = rc
	}
	tr.view = v
	return v
}

func (tr *tracked) record(seq int, typ string, res []*anypb.Any) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.last[typ] = seq
	if typ != testcluster.ClusterType {
		return
	}
	for _, a := range res {
		var c cluster.Cluster
		if a.UnmarshalTo(&c) == nil && strings.Contains(c.GetName(), "||sync-") {
			if _, seen := tr.markers[c.GetName()]; !seen {
				tr.markers[c.GetName()] = seq
			}
		}
	}
}

// synced says whether the proxy got the clusters that hold the marker and,
// after them, listeners, endpoints and routes: the whole push that
// followed (the marker's HTTP port gives every proxy a route to receive).
func (tr *tracked) synced(marker string) bool {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	s, ok := tr.markers[marker]
	return ok && tr.last[testcluster.ListenerType] > s && tr.last[testcluster.EndpointType] > s && tr.last[testcluster.RouteType] > s
}

func newBed(t *testing.T, m *mesh, objs []*unstructured.Unstructured, subnet int) *bed {
	t.Helper()
	ctx := context.Background()
	dc, err := dynamic.NewForConfig(m.c.AdminConfig())
	if err != nil {
		t.Fatal(err)
	}
	b := &bed{m: m, dc: dc, pods: map[string]*corev1.Pod{}, proxies: map[string]*tracked{}, total: map[string]int{}, applied: map[string]*unstructured.Unstructured{}, relabelled: map[string]map[string]string{}}
	exists := func(err error) {
		t.Helper()
		if err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatal(err)
		}
	}
	var deploys []*appsv1.Deployment
	for _, o := range objs {
		switch o.GetKind() {
		case "Namespace":
			_, err := m.kc.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: o.GetName(), Labels: o.GetLabels()}}, metav1.CreateOptions{})
			if apierrors.IsAlreadyExists(err) && o.GetName() == "default" {
				// The API server's own namespace: label it as the file
				// does, and put its labels back at close.
				b.relabel(t, o.GetName(), o.GetLabels())
				err = nil
			}
			exists(err)
			_, err = m.kc.CoreV1().ServiceAccounts(o.GetName()).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}}, metav1.CreateOptions{})
			exists(err)
		case "Service":
			var svc corev1.Service
			convert(t, o, &svc)
			got, err := m.kc.CoreV1().Services(svc.Namespace).Create(ctx, &svc, metav1.CreateOptions{})
			if err == nil {
				b.undo = append(b.undo, func(ctx context.Context) error {
					return m.kc.CoreV1().Services(svc.Namespace).Delete(ctx, svc.Name, metav1.DeleteOptions{})
				})
			}
			if apierrors.IsAlreadyExists(err) {
				got, err = m.kc.CoreV1().Services(svc.Namespace).Get(ctx, svc.Name, metav1.GetOptions{})
			}
			if err != nil {
				t.Fatal(err)
			}
			b.services = append(b.services, got)
		case "Deployment":
			var d appsv1.Deployment
			convert(t, o, &d)
			deploys = append(deploys, &d)
			_, err := dc.Resource(deployments).Namespace(d.Namespace).Create(ctx, o, metav1.CreateOptions{})
			if err == nil {
				b.undo = append(b.undo, func(ctx context.Context) error {
					return dc.Resource(deployments).Namespace(d.Namespace).Delete(ctx, d.Name, metav1.DeleteOptions{})
				})
			}
			exists(err)
			if sa := d.Spec.Template.Spec.ServiceAccountName; sa != "" {
				_, err := m.kc.CoreV1().ServiceAccounts(d.Namespace).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: sa}}, metav1.CreateOptions{})
				exists(err)
			}
		}
	}
	for i, d := range deploys {
		p := b.startPod(t, d, fmt.Sprintf("10.%d.%d.%d", subnet, i/200, 10+i%200))
		b.pods[d.Name+"."+d.Namespace] = p
	}
	for _, svc := range b.services {
		b.endpointSlice(t, svc)
	}
	for id, p := range b.pods {
		if !hasSidecar(p) {
			continue
		}
		tr := &tracked{last: map[string]int{}, markers: map[string]int{}}
		sa := p.Spec.ServiceAccountName
		if sa == "" {
			sa = "default"
		}
		px, err := m.d.ConnectProxy(ctx, testcluster.ProxyOptions{Pod: p.Name, Namespace: p.Namespace, IP: p.Status.PodIP, ServiceAccount: sa, Labels: p.Labels, OnResponse: tr.record})
		if err != nil {
			t.Fatal(err)
		}
		tr.Proxy = px
		b.proxies[id] = tr
	}
	return b
}

// startPod creates the Deployment's pod as its ReplicaSet would, through
// the admission webhooks, then records it running at ip.
func (b *bed) startPod(t *testing.T, d *appsv1.Deployment, ip string) *corev1.Pod {
	t.Helper()
	ctx := context.Background()
	const hash = "6c9d4b7f58"
	controller := true
	lbls := map[string]string{"pod-template-hash": hash}
	for k, v := range d.Spec.Template.Labels {
		lbls[k] = v
	}
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name: d.Name + "-" + hash + "-x7k2p", Namespace: d.Namespace, Labels: lbls, Annotations: d.Spec.Template.Annotations,
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: d.Name + "-" + hash, UID: "3f1c7a52-0000-4000-8000-00000000test", Controller: &controller}},
		},
		Spec: d.Spec.Template.Spec,
	}
	got, err := b.m.kc.CoreV1().Pods(d.Namespace).Create(ctx, pod, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("pod of %s/%s: %v", d.Namespace, d.Name, err)
	}
	// A pod on no node is deleted at once, with no kubelet to wait for.
	now := int64(0)
	b.undo = append(b.undo, func(ctx context.Context) error {
		return b.m.kc.CoreV1().Pods(d.Namespace).Delete(ctx, pod.Name, metav1.DeleteOptions{GracePeriodSeconds: &now})
	})
	got.Status = corev1.PodStatus{
		Phase: corev1.PodRunning, PodIP: ip, PodIPs: []corev1.PodIP{{IP: ip}}, HostIP: "10.0.0.1",
		Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}, {Type: corev1.ContainersReady, Status: corev1.ConditionTrue}},
	}
	got, err = b.m.kc.CoreV1().Pods(d.Namespace).UpdateStatus(ctx, got, metav1.UpdateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func hasSidecar(p *corev1.Pod) bool {
	for _, c := range append(append([]corev1.Container{}, p.Spec.Containers...), p.Spec.InitContainers...) {
		if c.Name == "istio-proxy" {
			return true
		}
	}
	return false
}

// endpointSlice publishes the service's ready endpoints, as the endpoint
// slice controller would.
func (b *bed) endpointSlice(t *testing.T, svc *corev1.Service) {
	t.Helper()
	slice := &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{
			Name: svc.Name + "-test", Namespace: svc.Namespace,
			Labels: map[string]string{discoveryv1.LabelServiceName: svc.Name, discoveryv1.LabelManagedBy: "meshctl-tests"},
		},
		AddressType: discoveryv1.AddressTypeIPv4,
	}
	for _, p := range b.selected(svc) {
		ready := true
		slice.Endpoints = append(slice.Endpoints, discoveryv1.Endpoint{
			Addresses:  []string{p.Status.PodIP},
			Conditions: discoveryv1.EndpointConditions{Ready: &ready},
			TargetRef:  &corev1.ObjectReference{Kind: "Pod", Name: p.Name, Namespace: p.Namespace},
		})
	}
	for _, sp := range svc.Spec.Ports {
		name, proto := sp.Name, corev1.ProtocolTCP
		var port int32
		for _, p := range b.selected(svc) {
			port = targetPort(p, sp)
		}
		slice.Ports = append(slice.Ports, discoveryv1.EndpointPort{Name: &name, Port: &port, Protocol: &proto})
	}
	_, err := b.m.kc.DiscoveryV1().EndpointSlices(svc.Namespace).Create(context.Background(), slice, metav1.CreateOptions{})
	if err == nil {
		b.undo = append(b.undo, func(ctx context.Context) error {
			return b.m.kc.DiscoveryV1().EndpointSlices(svc.Namespace).Delete(ctx, slice.Name, metav1.DeleteOptions{})
		})
	}
	if err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
}

// selected are the bed's pods the service selects.
func (b *bed) selected(svc *corev1.Service) []*corev1.Pod {
	var out []*corev1.Pod
	sel := labels.SelectorFromSet(svc.Spec.Selector)
	for _, p := range b.pods {
		if p.Namespace == svc.Namespace && len(svc.Spec.Selector) > 0 && sel.Matches(labels.Set(p.Labels)) {
			out = append(out, p)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// targetPort is the container port a service port reaches on the pod.
func targetPort(p *corev1.Pod, sp corev1.ServicePort) int32 {
	if sp.TargetPort.StrVal == "" {
		if sp.TargetPort.IntVal != 0 {
			return sp.TargetPort.IntVal
		}
		return sp.Port
	}
	for _, c := range p.Spec.Containers {
		for _, cp := range c.Ports {
			if cp.Name == sp.TargetPort.StrVal {
				return cp.ContainerPort
			}
		}
	}
	return 0
}

// apply makes the set the cluster's policies: what is not in it is
// deleted, what is new is created.
func (b *bed) apply(t *testing.T, set []*unstructured.Unstructured) {
	t.Helper()
	ctx := context.Background()
	want := map[string]*unstructured.Unstructured{}
	for _, o := range set {
		want[o.GetKind()+"/"+o.GetNamespace()+"/"+o.GetName()] = o
	}
	for key, o := range b.applied {
		// What is gone, or changed under the same name (deleted here and
		// created again below).
		if w, keep := want[key]; !keep || !reflect.DeepEqual(w.Object["spec"], o.Object["spec"]) {
			if err := b.dc.Resource(policyGVRs[o.GetKind()]).Namespace(o.GetNamespace()).Delete(ctx, o.GetName(), metav1.DeleteOptions{}); err != nil {
				t.Fatal(err)
			}
			delete(b.applied, key)
		}
	}
	for key, o := range want {
		if _, have := b.applied[key]; have {
			continue
		}
		gvr, ok := policyGVRs[o.GetKind()]
		if !ok {
			t.Fatalf("%s: kind %s is not applied by this test", key, o.GetKind())
		}
		if _, err := b.dc.Resource(gvr).Namespace(o.GetNamespace()).Create(ctx, o.DeepCopy(), metav1.CreateOptions{}); err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		b.applied[key] = o
	}
}

// syncPort is the marker's port: one no test calls, so that the listener
// and route it adds to every proxy change no outcome.
const syncPort = 15999

// sync waits until every proxy has what istiod pushed after the changes
// made so far: a new ServiceEntry host is created last, and each proxy
// must receive its cluster, then listeners and endpoints after it.
// Watching for the change itself would not do: a set that changes nothing
// in a proxy's config never shows up.
func (b *bed) sync(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	b.marker++
	name := fmt.Sprintf("sync-%d", b.marker)
	host := name + ".meshctl.test"
	se := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "networking.istio.io/v1", "kind": "ServiceEntry",
		"metadata": map[string]any{"name": name, "namespace": "istio-system"},
		"spec": map[string]any{
			"hosts": []any{host}, "location": "MESH_EXTERNAL", "resolution": "STATIC",
			"ports":     []any{map[string]any{"number": int64(syncPort), "name": "http", "protocol": "HTTP"}},
			"endpoints": []any{map[string]any{"address": "192.0.2.10"}},
		},
	}}
	if _, err := b.dc.Resource(serviceEntries).Namespace("istio-system").Create(ctx, se, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	clusterName := fmt.Sprintf("outbound|%d||%s", syncPort, host)
	deadline := time.Now().Add(40 * time.Second)
	for id, tr := range b.proxies {
		tr.view = nil
		for !tr.synced(clusterName) {
			if time.Now().After(deadline) {
				t.Fatalf("proxy %s: no push with %s within 40s\n%s", id, clusterName, b.m.d.LogTail(20))
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	if b.marker > 1 {
		if err := b.dc.Resource(serviceEntries).Namespace("istio-system").Delete(ctx, fmt.Sprintf("sync-%d", b.marker-1), metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
	}
}

// compare runs `meshctl authz matrix --use-kube` over the workloads and
// services in scope and checks every cell against what Envoy would do with
// istiod's config. It returns the agreeing and compared cells.
func (b *bed) compare(t *testing.T, label string, scope []string) (int, int) {
	t.Helper()
	args := []string{"authz", "matrix", "--use-kube", "-A", "-o", "json"}
	// A scope name is a client when a pod of that workload runs, a column
	// when a Service has it (matching nothing is an error to meshctl).
	services := map[string]bool{}
	for _, svc := range b.services {
		services[svc.Name+"."+svc.Namespace] = true
	}
	for _, s := range scope {
		if _, ok := b.pods[s]; ok || strings.ContainsAny(s, "*?[") {
			args = append(args, "--from", s)
		}
		if services[s] || strings.ContainsAny(s, "*?[") {
			args = append(args, "--to", s)
		}
	}
	for _, h := range b.external {
		args = append(args, "--to", h)
	}
	if b.path != "" {
		args = append(args, "--path", b.path)
	}
	for _, k := range sortedKeys(b.headers) {
		args = append(args, "--header", k+"="+b.headers[k])
	}
	out, code := meshctl(b.m.c, args...)
	if code != 0 {
		t.Fatalf("%s: authz matrix: exit %d\n%s", label, code, out)
	}
	var mx struct {
		Cells []struct {
			From     string `json:"from"`
			To       string `json:"to"`
			Port     int32  `json:"port"`
			Outcome  string `json:"outcome"`
			Summary  string `json:"summary"`
			Upstream string `json:"upstream"`
		} `json:"cells"`
	}
	if err := json.Unmarshal([]byte(out[strings.Index(out, "{"):]), &mx); err != nil {
		t.Fatalf("%s: authz matrix -o json: %v\n%s", label, err, out)
	}
	agree := 0
	seen := map[string]int{}
	for _, c := range mx.Cells {
		got, up, why := b.envoyOutcome(t, c.From, c.To, c.Port)
		seen[got]++
		if os.Getenv("MESHCTL_ISTIOD_CELLS") != "" {
			t.Logf("%s: %s → %s:%d: meshctl %s via %q, Envoy %s via %q (%s)", label, c.From, c.To, c.Port, c.Outcome, c.Upstream, got, up, why)
		}
		if got == c.Outcome && up == c.Upstream {
			agree++
			continue
		}
		t.Errorf("%s: %s → %s:%d: meshctl predicts %s via %q (%s); with istiod's config Envoy gives %s via %q (%s)", label, c.From, c.To, c.Port, c.Outcome, c.Upstream, c.Summary, got, up, why)
	}
	b.outcomes = append(b.outcomes, fmt.Sprintf("%s: %s", label, histogram(seen)))
	for k, n := range seen {
		b.total[k] += n
	}
	return agree, len(mx.Cells)
}

// envoyOutcome is what a GET / from the client workload to the service
// port (or external host) gets, following the resources istiod sent to
// the two proxies, and the upstream the client's sidecar picked ("" with
// no client sidecar).
func (b *bed) envoyOutcome(t *testing.T, from, to string, port int32) (string, string, string) {
	t.Helper()
	var svc *corev1.Service
	for _, s := range b.services {
		if s.Name+"."+s.Namespace == to {
			svc = s
		}
	}
	src := b.pods[from]
	if src == nil || (svc == nil && !slices.Contains(b.external, to) && !strings.Contains(to, ".meshctl.test")) {
		t.Fatalf("cell %s → %s: not a workload and service of the bed", from, to)
	}
	var sp corev1.ServicePort
	if svc != nil {
		for _, p := range svc.Spec.Ports {
			if p.Port == port {
				sp = p
			}
		}
	}
	client := b.proxies[from]
	if client == nil {
		if svc == nil {
			return "200", "", "no client sidecar: the application reaches the external host itself"
		}
		out, why := b.serverOutcome(t, src, svc, sp, upstream{}, "reset")
		return out, "", why
	}

	// The client side: the listener, filter chain and route or TCP proxy
	// Envoy takes for the connection, as curl makes it.
	dstIP, host, http := externalIP, to, port != 443
	if port != 80 {
		host = fmt.Sprintf("%s:%d", to, port)
	}
	if svc != nil {
		dstIP, host, http = svc.Spec.ClusterIP, fmt.Sprintf("%s.%s:%d", svc.Name, svc.Namespace, port), httpPort(sp)
	}
	v := client.decode(t)
	p, err := v.clientPath(dstIP, uint32(port), call{headers: b.request(host)}, http)
	if err != nil {
		t.Fatalf("%s → %s:%d: %v", from, to, port, err)
	}
	fail := "reset" // a refused TCP connection reaches the application
	if p.http {
		fail = "503" // the client sidecar answers a failed HTTP upstream
	}
	switch {
	case p.status != 0:
		return fmt.Sprint(p.status), p.upstream, p.why
	case p.upstream == "BlackHoleCluster":
		return fail, p.upstream, p.why
	case p.upstream == "PassthroughCluster":
		if svc == nil {
			return "200", p.upstream, p.why + "; the external host answers"
		}
		out, why := b.serverOutcome(t, src, svc, sp, upstream{}, fail)
		return out, p.upstream, p.why + "; " + why
	case svc == nil:
		if _, ok := v.clusters[p.upstream]; !ok {
			return "none", p.upstream, p.why + "; the client has no such cluster"
		}
		return "200", p.upstream, p.why + "; the external service answers"
	}
	// The route's clusters (several when weighted), each to its
	// endpoints' pods: the outcome is theirs, "mixed" when they differ.
	outcome, whys := "", []string{p.why}
	for _, name := range strings.Split(p.upstream, ",") {
		dsvc, dsp, ok := b.clusterService(name)
		if !ok {
			return "other", p.upstream, p.why + "; not a cluster of a bed service"
		}
		cl, ok := v.clusters[name]
		if !ok {
			return "none", p.upstream, p.why + "; the client has no cluster " + name
		}
		cla, ok := v.endpoints[name]
		if !ok || len(cla.GetEndpoints()) == 0 {
			return "503", p.upstream, p.why + "; no endpoints for " + name
		}
		for _, le := range cla.GetEndpoints() {
			for _, lb := range le.GetLbEndpoints() {
				ip := lb.GetEndpoint().GetAddress().GetSocketAddress().GetAddress()
				dst := b.podAt(ip)
				if dst == nil {
					t.Fatalf("%s: endpoint %s of %s is no pod of the bed", from, ip, name)
				}
				up, err := clientUpstream(cl, cla, ip)
				if err != nil {
					t.Fatalf("%s → %s: %v", from, to, err)
				}
				out, why := b.serverOutcomeAt(t, src, dst, dsvc, dsp, up, "503")
				whys = append(whys, dst.Name+": "+why)
				if outcome == "" {
					outcome = out
				} else if outcome != out {
					outcome = "mixed"
				}
			}
		}
	}
	return outcome, p.upstream, strings.Join(whys, "; ")
}

// clusterService is the bed service and port an outbound|PORT|SUBSET|HOST
// cluster stands for.
func (b *bed) clusterService(name string) (*corev1.Service, corev1.ServicePort, bool) {
	parts := strings.Split(name, "|")
	if len(parts) != 4 || parts[0] != "outbound" {
		return nil, corev1.ServicePort{}, false
	}
	for _, s := range b.services {
		if parts[3] != s.Name+"."+s.Namespace+".svc.cluster.local" {
			continue
		}
		for _, sp := range s.Spec.Ports {
			if fmt.Sprint(sp.Port) == parts[1] {
				return s, sp, true
			}
		}
	}
	return nil, corev1.ServicePort{}, false
}

// podAt is the bed's pod with the IP.
func (b *bed) podAt(ip string) *corev1.Pod {
	for _, p := range b.pods {
		if p.Status.PodIP == ip {
			return p
		}
	}
	return nil
}

// request is the headers of the bed's request to host: GET / unless the
// bed says otherwise, with the bed's extra headers.
func (b *bed) request(host string) map[string]string {
	h := map[string]string{":method": "GET", ":path": "/", ":authority": host}
	if b.path != "" {
		h[":path"] = b.path
	}
	for k, v := range b.headers {
		h[strings.ToLower(k)] = v
	}
	return h
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// externalIP stands for the address DNS gives an external host: one no
// listener is bound to.
const externalIP = "203.0.113.80"

// httpPort says whether curl's request to the port is plaintext HTTP as
// the sidecar sees it: the port is not declared TCP or TLS.
func httpPort(sp corev1.ServicePort) bool {
	name, _, _ := strings.Cut(strings.ToLower(sp.Name), "-")
	switch name {
	case "tcp", "tls", "https", "mongo", "mysql", "redis":
		return false
	}
	return true
}

// serverOutcome is what the service's one backend does with a connection
// the client sends as up: its inbound filter chain, then RBAC. fail is
// what the client sees when the server refuses the connection.
func (b *bed) serverOutcome(t *testing.T, src *corev1.Pod, svc *corev1.Service, sp corev1.ServicePort, up upstream, fail string) (string, string) {
	t.Helper()
	backends := b.selected(svc)
	if len(backends) != 1 {
		return "none", fmt.Sprintf("%d backends", len(backends))
	}
	return b.serverOutcomeAt(t, src, backends[0], svc, sp, up, fail)
}

// serverOutcomeAt is serverOutcome for one backend pod.
func (b *bed) serverOutcomeAt(t *testing.T, src, dst *corev1.Pod, svc *corev1.Service, sp corev1.ServicePort, up upstream, fail string) (string, string) {
	t.Helper()
	dstPort := uint32(targetPort(dst, sp))
	dstID := ""
	for id, p := range b.pods {
		if p == dst {
			dstID = id
		}
	}
	sends := "plaintext"
	if up.tls {
		sends = "mutual TLS"
	}
	server := b.proxies[dstID]
	if server == nil {
		if up.tls {
			return fail, "the client sends mutual TLS to a server without a sidecar"
		}
		return "200", "plaintext to a server without a sidecar"
	}
	l, ok := server.decode(t).listeners["virtualInbound"]
	if !ok {
		t.Fatalf("%s: istiod sent no virtualInbound listener", dstID)
	}
	fc := inboundChain(l, dst.Status.PodIP, dstPort, up)
	if fc == nil {
		return fail, fmt.Sprintf("no inbound filter chain of %s takes %s on port %d", dstID, sends, dstPort)
	}
	if terminatesTLS(fc) != up.tls {
		return fail, fmt.Sprintf("the client sends %s; the inbound chain %q for port %d does not (TLS: %v)", sends, fc.GetName(), dstPort, terminatesTLS(fc))
	}
	c := call{
		sni: up.sni, srcIP: src.Status.PodIP, dstIP: dst.Status.PodIP, dstPort: dstPort,
		headers: b.request(fmt.Sprintf("%s.%s:%d", svc.Name, svc.Namespace, sp.Port)),
	}
	if up.tls {
		sa := src.Spec.ServiceAccountName
		if sa == "" {
			sa = "default"
		}
		c.principal = fmt.Sprintf("spiffe://cluster.local/ns/%s/sa/%s", src.Namespace, sa)
	}
	denied, err := authorize(fc, c)
	if err != nil {
		t.Fatalf("%s → %s: chain %q: %v", src.Name, svc.Name, fc.GetName(), err)
	}
	if denied != "" {
		return "403", fmt.Sprintf("%s over %s: denied by %s in chain %q", c.headers[":method"], sends, denied, fc.GetName())
	}
	// Where the chain delivers the request: a static endpoint (a Sidecar
	// ingress defaultEndpoint) on a port the pod does not declare has
	// nothing listening, and the server's sidecar answers 503 (resets TCP).
	sv := server.decode(t)
	h, err := sv.chainHop(fc, "inbound chain "+fc.GetName(), c)
	if err != nil {
		t.Fatalf("%s: %v", dstID, err)
	}
	if cl, ok := sv.clusters[h.upstream]; ok {
		if p, static := staticPort(cl); static && !declares(dst, int32(p)) {
			out := "503"
			if !h.http {
				out = "reset"
			}
			return out, fmt.Sprintf("%s accepted by chain %q, then %s sends it to port %d, which %s does not declare", sends, fc.GetName(), h.upstream, p, dst.Name)
		}
	}
	return "200", fmt.Sprintf("%s accepted by chain %q", sends, fc.GetName())
}

// declares says whether a pod's containers declare the port (a pod that
// declares none is taken to listen wherever it is sent).
func declares(p *corev1.Pod, port int32) bool {
	n := 0
	for _, c := range p.Spec.Containers {
		for _, cp := range c.Ports {
			n++
			if cp.ContainerPort == port {
				return true
			}
		}
	}
	return n == 0
}

// close deletes the bed's policies and markers and disconnects its
// proxies, then deletes the pods, services, endpoint slices and
// deployments it created, so that a later bed can use the same names;
// namespaces and service accounts stay.
func (b *bed) close(t *testing.T) {
	b.apply(t, nil)
	for _, tr := range b.proxies {
		tr.Close()
	}
	for name := range b.relabelled {
		b.relabel(t, name, nil)
	}
	for i := len(b.undo) - 1; i >= 0; i-- {
		if err := b.undo[i](context.Background()); err != nil && !apierrors.IsNotFound(err) {
			t.Errorf("cleaning up the bed: %v", err)
		}
	}
	if b.marker > 0 {
		_ = b.dc.Resource(serviceEntries).Namespace("istio-system").Delete(context.Background(), fmt.Sprintf("sync-%d", b.marker), metav1.DeleteOptions{})
	}
}

func convert(t *testing.T, o *unstructured.Unstructured, into any) {
	t.Helper()
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, into); err != nil {
		t.Fatalf("%s %s/%s: %v", o.GetKind(), o.GetNamespace(), o.GetName(), err)
	}
}
