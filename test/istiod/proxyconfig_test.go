package istiod

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"

	"github.com/meshctl/meshctl/internal/testcluster"
)

// TestProxyConfig follows the seed's mTLS walk from sleep's side: a sidecar
// of sleep in foo connects to the real istiod, httpbin in bar is a Service.
// `meshctl proxy-config clusters` shows httpbin's cluster secured by auto
// mTLS; after the seed's DestinationRule with ISTIO_MUTUAL it shows the
// rule and ISTIO_MUTUAL for every endpoint, and with DISABLE, plaintext.
// Listeners show the outbound capture; -o json gives Envoy's own form.
func TestProxyConfig(t *testing.T) {
	m := meshFor(t)
	ctx := context.Background()
	// Namespaces of its own: the security tests own foo and bar.
	m.namespace(t, "pc-foo", nil)
	m.namespace(t, "pc-bar", nil)
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "httpbin", Namespace: "pc-bar", Labels: map[string]string{"app": "httpbin"}},
		Spec:       corev1.ServiceSpec{Selector: map[string]string{"app": "httpbin"}, Ports: []corev1.ServicePort{{Name: "http", Port: 8000}}},
	}
	if _, err := m.kc.CoreV1().Services("pc-bar").Create(ctx, svc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// One endpoint, as the endpoint slice controller would publish it.
	ready, port, proto, portName := true, int32(8000), corev1.ProtocolTCP, "http"
	slice := &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Name: "httpbin-1", Namespace: "pc-bar", Labels: map[string]string{discoveryv1.LabelServiceName: "httpbin"}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Endpoints:   []discoveryv1.Endpoint{{Addresses: []string{"10.244.9.9"}, Conditions: discoveryv1.EndpointConditions{Ready: &ready}}},
		Ports:       []discoveryv1.EndpointPort{{Name: &portName, Port: &port, Protocol: &proto}},
	}
	if _, err := m.kc.DiscoveryV1().EndpointSlices("pc-bar").Create(ctx, slice, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	p, err := m.d.ConnectProxy(ctx, testcluster.ProxyOptions{Pod: "sleep-7b9f8bfcd-q2w3e", Namespace: "pc-foo", IP: "10.244.1.11", ServiceAccount: "sleep", Labels: map[string]string{"app": "sleep"}})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	addr := "--istiod-address=" + m.d.HTTPAddr
	const httpbin = "httpbin.pc-bar.svc.cluster.local"

	// waitRow runs proxy-config clusters until httpbin's row has the
	// wanted fields (istiod pushes a change to the proxy in its own time).
	waitRow := func(want ...string) string {
		t.Helper()
		deadline := time.Now().Add(time.Minute)
		for {
			out, code := meshctl(m.c, "proxy-config", "clusters", p.ID, addr)
			if code != 0 {
				t.Fatalf("proxy-config clusters: exit %d\n%s", code, out)
			}
			for _, line := range strings.Split(out, "\n") {
				f := strings.Fields(line)
				if len(f) > 0 && f[0] == httpbin && strings.Join(f[1:], " ") == strings.Join(want, " ") {
					return out
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("httpbin's cluster never became %v:\n%s", want, out)
			}
			time.Sleep(300 * time.Millisecond)
		}
	}
	out := waitRow("8000", "-", "outbound", "EDS", "ISTIO_MUTUAL", "(auto)", "-")
	t.Logf("meshctl proxy-config clusters:\n%s", out)
	if !strings.HasPrefix(out, "SERVICE FQDN") || !strings.Contains(out, "istiod.istio-system.svc.cluster.local") {
		t.Errorf("the table lacks its header or istiod's cluster:\n%s", out)
	}

	dc, err := dynamic.NewForConfig(m.c.AdminConfig())
	if err != nil {
		t.Fatal(err)
	}
	dr := dc.Resource(schema.GroupVersionResource{Group: "networking.istio.io", Version: "v1", Resource: "destinationrules"}).Namespace("pc-bar")
	rule := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "networking.istio.io/v1", "kind": "DestinationRule",
		"metadata": map[string]any{"name": "httpbin", "labels": map[string]any{"istio.io/rev": "default"}},
		"spec":     map[string]any{"host": httpbin, "trafficPolicy": map[string]any{"tls": map[string]any{"mode": "ISTIO_MUTUAL"}}},
	}}
	created, err := dr.Create(ctx, rule, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = dr.Delete(context.Background(), "httpbin", metav1.DeleteOptions{}) })
	waitRow("8000", "-", "outbound", "EDS", "ISTIO_MUTUAL", "httpbin.pc-bar")

	// Mutual TLS names the agent's certificate and root; istiod serves
	// the sidecar none, so neither has an expiry here.
	out, code := meshctl(m.c, "proxy-config", "secrets", p.ID, addr)
	if code != 0 || !hasRow(out, "default", "istio-agent", "Cert", "Chain", "-", "-", "*") || !hasRow(out, "ROOTCA", "istio-agent", "CA", "-", "-", "*") {
		t.Errorf("proxy-config secrets: exit %d, want default and ROOTCA from the agent:\n%s", code, out)
	}
	t.Logf("meshctl proxy-config secrets:\n%s", out)
	out, code = meshctl(m.c, "proxy-config", "endpoints", p.ID, addr)
	if code != 0 || !hasRow(out, "10.244.9.9:8000", "HEALTHY", "-", "outbound|8000||"+httpbin) {
		t.Errorf("proxy-config endpoints: exit %d, want httpbin's endpoint:\n%s", code, out)
	}
	t.Logf("meshctl proxy-config endpoints:\n%s", out)

	_ = unstructured.SetNestedField(created.Object, "DISABLE", "spec", "trafficPolicy", "tls", "mode")
	if _, err := dr.Update(ctx, created, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitRow("8000", "-", "outbound", "EDS", "none", "httpbin.pc-bar")

	out, code = meshctl(m.c, "proxy-config", "listeners", p.ID, addr)
	if code != 0 || !strings.HasPrefix(out, "ADDRESS") || !strings.Contains(out, "15001") || !strings.Contains(out, "Cluster: PassthroughCluster") {
		t.Errorf("proxy-config listeners: exit %d, want the outbound capture on 15001 passing through:\n%s", code, out)
	}
	js, code := meshctl(m.c, "proxy-config", "clusters", p.ID, addr, "-o", "json")
	var clusters []map[string]any
	if code != 0 || json.Unmarshal([]byte(js), &clusters) != nil || len(clusters) == 0 {
		t.Fatalf("-o json: exit %d\n%.2000s", code, js)
	}
	found := false
	for _, c := range clusters {
		found = found || c["name"] == "outbound|8000||"+httpbin
	}
	if !found {
		t.Errorf("-o json lacks httpbin's cluster")
	}
	if out, code := meshctl(m.c, "proxy-config", "clusters", "nobody-1.foo", addr); code != 1 || !strings.Contains(out, "nobody-1.foo is not connected to istiod") {
		t.Errorf("an unknown proxy: exit %d\n%s", code, out)
	}
}

// hasRow says whether a table has a line of exactly these fields, where
// "*" stands for any one field.
func hasRow(table string, fields ...string) bool {
	for _, line := range strings.Split(table, "\n") {
		got := strings.Fields(line)
		if len(got) != len(fields) {
			continue
		}
		same := true
		for i, f := range fields {
			same = same && (f == "*" || f == got[i])
		}
		if same {
			return true
		}
	}
	return false
}
