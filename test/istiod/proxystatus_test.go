package istiod

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/meshctl/meshctl/internal/testcluster"
)

// TestProxyStatus: two sidecars of the seed's sleep/httpbin walk connect to
// the real istiod; `meshctl proxy-status` lists both as synced for clusters
// and listeners, one of them alone when named, and forgets one that
// disconnects.
func TestProxyStatus(t *testing.T) {
	m := meshFor(t)
	ctx := context.Background()
	var proxies []*testcluster.Proxy
	for _, o := range []testcluster.ProxyOptions{
		{Pod: "sleep-7b9f8bfcd-x4x9q", Namespace: "foo", IP: "10.244.0.11", ServiceAccount: "sleep", Labels: map[string]string{"app": "sleep"}},
		{Pod: "httpbin-5c5944b58c-kp2lm", Namespace: "bar", IP: "10.244.0.12", ServiceAccount: "httpbin", Labels: map[string]string{"app": "httpbin", "version": "v1"}},
	} {
		p, err := m.d.ConnectProxy(ctx, o)
		if err != nil {
			t.Fatal(err)
		}
		proxies = append(proxies, p)
		if len(p.Resources(testcluster.ClusterType)) == 0 {
			t.Fatalf("%s received no clusters", p.ID)
		}
	}
	addr := "--istiod-address=" + m.d.HTTPAddr

	// istiod records an acknowledgement as it handles it: poll briefly.
	var out string
	deadline := time.Now().Add(30 * time.Second)
	for {
		var code int
		out, code = meshctl(m.c, "proxy-status", addr)
		if code != 0 {
			t.Fatalf("proxy-status: exit %d\n%s", code, out)
		}
		if strings.Count(out, "SYNCED") >= 4 || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("meshctl proxy-status:\n%s", out)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "NAME") || !strings.Contains(lines[0], "CDS") {
		t.Fatalf("want a header and two proxies:\n%s", out)
	}
	for i, id := range []string{"httpbin-5c5944b58c-kp2lm.bar", "sleep-7b9f8bfcd-x4x9q.foo"} {
		f := strings.Fields(lines[i+1])
		// NAME CLUSTER CDS LDS ...
		if f[0] != id || f[1] != "Kubernetes" || f[2] != "SYNCED" || f[3] != "SYNCED" {
			t.Errorf("row %d: %q, want %s in cluster Kubernetes with clusters and listeners SYNCED", i+1, lines[i+1], id)
		}
		if !strings.Contains(lines[i+1], m.d.HTTPAddr) || !strings.HasSuffix(lines[i+1], "1.31.4") {
			t.Errorf("row %d: %q lacks the istiod address or the proxy's version", i+1, lines[i+1])
		}
	}

	js, code := meshctl(m.c, "proxy-status", "sleep-7b9f8bfcd-x4x9q.foo", addr, "-o", "json")
	var rows []map[string]string
	if code != 0 || json.Unmarshal([]byte(js), &rows) != nil || len(rows) != 1 || rows[0]["name"] != "sleep-7b9f8bfcd-x4x9q.foo" || rows[0]["cds"] != "SYNCED" {
		t.Fatalf("proxy-status POD.NS -o json: exit %d\n%s", code, js)
	}

	proxies[0].Close()
	deadline = time.Now().Add(30 * time.Second)
	for {
		out, _ = meshctl(m.c, "proxy-status", addr)
		if !strings.Contains(out, "sleep-7b9f8bfcd-x4x9q.foo") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a disconnected proxy is still listed:\n%s", out)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if out, code := meshctl(m.c, "proxy-status", "sleep-7b9f8bfcd-x4x9q.foo", addr); code != 1 || !strings.Contains(out, "is not connected to istiod") {
		t.Errorf("a proxy that left: exit %d\n%s", code, out)
	}
	proxies[1].Close()

	// Through the API server: the test bed runs istiod outside any pod,
	// so there is none to reach, and the error says what to do.
	if out, code := meshctl(m.c, "proxy-status"); code != 1 || !strings.Contains(out, "no running istiod pod in namespace istio-system (reach one directly with --istiod-address)") {
		t.Errorf("without --istiod-address: exit %d\n%s", code, out)
	}
}
