package istiod

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

const visibility = "../../samples/egress/visibility"

// TestVisibilityMatchesIstiod measures `meshctl authz matrix` against
// istiod on the seed's network-visibility walk (samples/egress/visibility):
// ALLOW_ANY with no Sidecar, then REGISTRY_ONLY with the global Sidecar of
// istio-system, then the ServiceEntry for www.baidu.com with the default
// namespace's own Sidecar; then the seed's note that the global Sidecar
// breaks cross-namespace calls under STRICT mTLS, and a workload's own
// Sidecar overriding the outbound traffic policy; last the seed's ingress
// defaultEndpoint where nothing listens. Each cell's client side is what Envoy does with
// the listeners, routes and clusters istiod sends the client: the outbound
// listener for the service's address and port (or 0.0.0.0, or the
// catch-all), its HTTP route or TCP proxy, and the upstream it picks
// (the service's cluster, PassthroughCluster, BlackHoleCluster, or the
// block_all route's 502); a passthrough then meets the server in
// plaintext. meshctl must name the same upstream and the same outcome.
func TestVisibilityMatchesIstiod(t *testing.T) {
	m := meshFor(t)
	b := newBed(t, m, objects(t, filepath.Join(visibility, "apps.yaml")), 248)
	defer b.close(t)
	defer m.setOutboundPolicy(t, "ALLOW_ANY")
	b.external = []string{"www.baidu.com"}
	dirs, err := filepath.Glob(filepath.Join(visibility, "[0-9]-*"))
	if err != nil || len(dirs) < 6 {
		t.Fatalf("want the six visibility steps under %s, found %v (%v)", visibility, dirs, err)
	}
	// Exact names: other tests leave Services of their own in foo and bar.
	scope := []string{"probe.default", "productpage.default", "sleep.foo", "httpbin.foo", "httpbin.bar"}
	agree, cells := 0, 0
	for _, dir := range dirs {
		step := filepath.Base(dir)
		mode := "ALLOW_ANY"
		var set []*unstructured.Unstructured
		for _, o := range objects(t, dir) {
			if o.GetKind() == "ConfigMap" {
				mode = outboundMode(t, o)
				continue
			}
			set = append(set, withSyncHost(o))
		}
		// The mesh config first, with no Sidecar that overrides it, then
		// the step's objects.
		b.apply(t, nil)
		m.setOutboundPolicy(t, mode)
		b.syncOutbound(t, mode)
		b.apply(t, set)
		b.sync(t)
		a, n := b.compare(t, step, scope)
		agree, cells = agree+a, cells+n
	}
	b.apply(t, nil)
	t.Logf("seed visibility walk: %d of %d cells agree with istiod\n%s", agree, cells, strings.Join(b.outcomes, "\n"))
	if cells < len(dirs)*5*5 {
		t.Fatalf("only %d cells compared", cells)
	}
}

// outboundMode reads outboundTrafficPolicy.mode of a mesh ConfigMap.
func outboundMode(t *testing.T, cm *unstructured.Unstructured) string {
	t.Helper()
	data, _, _ := unstructured.NestedString(cm.Object, "data", "mesh")
	var mc struct {
		OutboundTrafficPolicy struct {
			Mode string `json:"mode"`
		} `json:"outboundTrafficPolicy"`
	}
	if err := yaml.Unmarshal([]byte(data), &mc); err != nil || mc.OutboundTrafficPolicy.Mode == "" {
		t.Fatalf("%s: no outboundTrafficPolicy.mode in its mesh config (%v)", cm.GetName(), err)
	}
	return mc.OutboundTrafficPolicy.Mode
}

// withSyncHost lets a Sidecar's proxies see the sync markers: it adds
// their hosts to the Sidecar's egress listener without a port, or adds
// one. The markers' port is one no egress listener declares, so nothing
// else the proxies know changes.
func withSyncHost(o *unstructured.Unstructured) *unstructured.Unstructured {
	if o.GetKind() != "Sidecar" {
		return o
	}
	o = o.DeepCopy()
	const marker = "istio-system/*.meshctl.test"
	egress, _, _ := unstructured.NestedSlice(o.Object, "spec", "egress")
	added := false
	for i, e := range egress {
		l, _ := e.(map[string]any)
		if _, hasPort := l["port"]; hasPort || l == nil {
			continue
		}
		hosts, _ := l["hosts"].([]any)
		l["hosts"] = append(hosts, marker)
		egress[i], added = l, true
		break
	}
	if !added {
		egress = append(egress, map[string]any{"hosts": []any{marker}})
	}
	_ = unstructured.SetNestedSlice(o.Object, egress, "spec", "egress")
	return o
}

// syncOutbound syncs until the proxies' catch-all listener sends what the
// mode says (PassthroughCluster or BlackHoleCluster): the mesh config and
// the markers come through different watches, and a marker may overtake
// the mesh config's change.
func (b *bed) syncOutbound(t *testing.T, mode string) {
	t.Helper()
	want := "PassthroughCluster"
	if mode == "REGISTRY_ONLY" {
		want = "BlackHoleCluster"
	}
	for try := 0; ; try++ {
		b.sync(t)
		stale := ""
		for id, tr := range b.proxies {
			p, err := tr.decode(t).clientPath(externalIP, 1, call{headers: b.request("unknown.example")}, false)
			if err != nil {
				t.Fatalf("%s: %v", id, err)
			}
			if p.upstream != want {
				stale = fmt.Sprintf("%s sends unknown hosts to %s (%s)", id, p.upstream, p.why)
			}
		}
		if stale == "" {
			return
		}
		if try == 20 {
			t.Fatalf("outboundTrafficPolicy %s not in effect after %d pushes: %s", mode, try+1, stale)
		}
	}
}

// setOutboundPolicy sets outboundTrafficPolicy.mode in the installed mesh
// config.
func (m *mesh) setOutboundPolicy(t *testing.T, mode string) {
	t.Helper()
	ctx := context.Background()
	cm, err := m.kc.CoreV1().ConfigMaps("istio-system").Get(ctx, "istio", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	mc := map[string]any{}
	if err := yaml.Unmarshal([]byte(cm.Data["mesh"]), &mc); err != nil {
		t.Fatal(err)
	}
	mc["outboundTrafficPolicy"] = map[string]any{"mode": mode}
	out, err := yaml.Marshal(mc)
	if err != nil {
		t.Fatal(err)
	}
	cm.Data["mesh"] = string(out)
	if _, err := m.kc.CoreV1().ConfigMaps("istio-system").Update(ctx, cm, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}
