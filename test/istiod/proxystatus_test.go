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

	ids := []string{"httpbin-5c5944b58c-kp2lm.bar", "sleep-7b9f8bfcd-x4x9q.foo"}
	// rowsOf keeps the table's rows of this test's proxies (others of the
	// package's tests may still be leaving), by name.
	rowsOf := func(out string) map[string][]string {
		rows := map[string][]string{}
		for _, line := range strings.Split(strings.TrimSpace(out), "\n")[1:] {
			f := strings.Fields(line)
			for _, id := range ids {
				if len(f) > 0 && f[0] == id {
					rows[id] = f
				}
			}
		}
		return rows
	}
	// istiod records an acknowledgement as it handles it: poll briefly.
	var out string
	deadline := time.Now().Add(30 * time.Second)
	for {
		var code int
		out, code = meshctl(m.c, "proxy-status", addr)
		if code != 0 {
			t.Fatalf("proxy-status: exit %d\n%s", code, out)
		}
		synced := 0
		for _, f := range rowsOf(out) {
			if len(f) > 3 && f[2] == "SYNCED" && f[3] == "SYNCED" {
				synced++
			}
		}
		if synced == len(ids) || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("meshctl proxy-status:\n%s", out)
	if !strings.HasPrefix(out, "NAME") || !strings.Contains(strings.SplitN(out, "\n", 2)[0], "CDS") {
		t.Fatalf("want a header:\n%s", out)
	}
	rows := rowsOf(out)
	for _, id := range ids {
		f := rows[id]
		// NAME CLUSTER CDS LDS EDS RDS ECDS ISTIOD VERSION (NOT SENT is two words)
		if len(f) < 9 || f[1] != "Kubernetes" || f[2] != "SYNCED" || f[3] != "SYNCED" {
			t.Errorf("%s: row %q, want it in cluster Kubernetes with clusters and listeners SYNCED", id, f)
			continue
		}
		if f[len(f)-2] != m.d.HTTPAddr || f[len(f)-1] != "1.31.4" {
			t.Errorf("%s: row %q lacks the istiod address or the proxy's version", id, f)
		}
	}

	js, code := meshctl(m.c, "proxy-status", "sleep-7b9f8bfcd-x4x9q.foo", addr, "-o", "json")
	var one []map[string]string
	if code != 0 || json.Unmarshal([]byte(js), &one) != nil || len(one) != 1 || one[0]["name"] != "sleep-7b9f8bfcd-x4x9q.foo" || one[0]["cds"] != "SYNCED" {
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
