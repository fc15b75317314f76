package istiod

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"sigs.k8s.io/yaml"

	"github.com/meshctl/meshctl/internal/testcluster"
	"github.com/meshctl/meshctl/pkg/istiod"
	"github.com/meshctl/meshctl/pkg/yamlstream"
)

const scenarios = "../../samples/security/scenarios"

var gvrs = map[string]schema.GroupVersionResource{
	"Namespace":          {Version: "v1", Resource: "namespaces"},
	"Service":            {Version: "v1", Resource: "services"},
	"PeerAuthentication": {Group: "security.istio.io", Version: "v1", Resource: "peerauthentications"},
	"DestinationRule":    {Group: "networking.istio.io", Version: "v1", Resource: "destinationrules"},
}

// TestClientTLSMatchesIstiod measures the client half of the seed's mTLS
// walk against istiod: for scenarios 1 to 4 (no policies, STRICT with auto
// mTLS off, plus the ISTIO_MUTUAL DestinationRule, STRICT with auto mTLS
// on), the TLS mode `meshctl authn tls-check` predicts for sleep.foo's
// calls to every service must be the one istiod puts on sleep.foo's
// clusters: DISABLE as plaintext, ISTIO_MUTUAL as mutual TLS to every
// endpoint, AUTO as auto mTLS's per-endpoint choice. The server half
// (inbound filter chains) and authorization are not compared here.
func TestClientTLSMatchesIstiod(t *testing.T) {
	m := meshFor(t)
	ctx := context.Background()
	dc, err := dynamic.NewForConfig(m.c.AdminConfig())
	if err != nil {
		t.Fatal(err)
	}
	// The scenarios' namespaces and Services (workloads matter to
	// clusters only through Services), created where missing.
	for _, o := range objects(t, filepath.Join(scenarios, "apps.yaml")) {
		if o.GetKind() == "Namespace" || o.GetKind() == "Service" {
			if _, err := m.resource(dc, o).Create(ctx, o, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
				t.Fatal(err)
			}
		}
	}
	p, err := m.d.ConnectProxy(ctx, testcluster.ProxyOptions{Pod: "sleep-7b9f8bfcd-tls01", Namespace: "foo", IP: "10.244.1.21", ServiceAccount: "sleep", Labels: map[string]string{"app": "sleep"}})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	defer m.setAutoMTLS(t, true)

	agree, cells := 0, 0
	for _, sc := range []string{"1-no-policies", "2-strict", "3-strict-dr", "4-strict-automtls"} {
		dir := filepath.Join(scenarios, sc)
		want := m.predictedClientTLS(t, dir)
		// The scenario's policies in the cluster, and its auto mTLS.
		var applied []*unstructured.Unstructured
		auto := true
		for _, o := range objects(t, dir) {
			switch o.GetKind() {
			case "ConfigMap":
				auto = !strings.Contains(fmt.Sprint(o.Object["data"]), "enableAutoMtls: false")
			case "PeerAuthentication", "DestinationRule":
				if _, err := m.resource(dc, o).Create(ctx, o, metav1.CreateOptions{}); err != nil {
					t.Fatalf("%s: %v", sc, err)
				}
				applied = append(applied, o)
			}
		}
		m.setAutoMTLS(t, auto)
		got := waitClientTLS(t, m.d, p.ID, want)
		for host, w := range want {
			cells++
			if got[host] == w {
				agree++
			} else {
				t.Errorf("%s: sleep.foo → %s: meshctl predicts %s, istiod sends %s", sc, host, w, got[host])
			}
		}
		for _, o := range applied {
			if err := m.resource(dc, o).Delete(ctx, o.GetName(), metav1.DeleteOptions{}); err != nil {
				t.Fatal(err)
			}
		}
	}
	t.Logf("client TLS: %d of %d cells agree with istiod", agree, cells)
	if cells < 20 {
		t.Fatalf("only %d cells compared", cells)
	}
}

// predictedClientTLS is meshctl's prediction for sleep.foo's calls, by
// cluster (outbound|PORT||HOST), in istiod's terms.
func (m *mesh) predictedClientTLS(t *testing.T, dir string) map[string]string {
	t.Helper()
	out, code := meshctl(m.c, "authn", "tls-check", "sleep.foo", "-f", filepath.Join(scenarios, "apps.yaml"), "-f", dir, "-o", "json")
	if code != 0 {
		t.Fatalf("authn tls-check: exit %d\n%s", code, out)
	}
	var rows []struct {
		Host       string `json:"host"`
		Port       int    `json:"port"`
		ClientMode string `json:"clientMode"`
	}
	if err := json.Unmarshal([]byte(out[strings.Index(out, "["):]), &rows); err != nil {
		t.Fatalf("tls-check -o json: %v\n%s", err, out)
	}
	want := map[string]string{}
	for _, r := range rows {
		mode := r.ClientMode
		switch {
		case mode == "DISABLE":
			mode = "none"
		case strings.HasPrefix(mode, "AUTO"):
			mode = "ISTIO_MUTUAL (auto)"
		}
		want[fmt.Sprintf("%s:%d", r.Host, r.Port)] = mode
	}
	return want
}

// waitClientTLS polls istiod's clusters for the proxy until every host has
// the wanted mode or half a minute has passed (istiod pushes in its own
// time), and returns what it last saw.
func waitClientTLS(t *testing.T, d *testcluster.Istiod, proxy string, want map[string]string) map[string]string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		dump, err := istiod.FetchConfigDump(context.Background(), istiod.Direct{Address: d.HTTPAddr}, proxy)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, r := range dump.ClusterRows() {
			if r.Direction == "outbound" && r.Subset == "-" {
				got[r.FQDN+":"+r.Port] = r.TLS
			}
		}
		same := true
		for h, w := range want {
			same = same && got[h] == w
		}
		if same || time.Now().After(deadline) {
			return got
		}
		time.Sleep(300 * time.Millisecond)
	}
}

// setAutoMTLS sets enableAutoMtls in the installed mesh config, keeping the
// rest of it.
func (m *mesh) setAutoMTLS(t *testing.T, on bool) {
	t.Helper()
	ctx := context.Background()
	cm, err := m.kc.CoreV1().ConfigMaps("istio-system").Get(ctx, "istio", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	mesh := map[string]any{}
	if err := yaml.Unmarshal([]byte(cm.Data["mesh"]), &mesh); err != nil {
		t.Fatal(err)
	}
	mesh["enableAutoMtls"] = on
	b, err := yaml.Marshal(mesh)
	if err != nil {
		t.Fatal(err)
	}
	cm.Data["mesh"] = string(b)
	if _, err := m.kc.CoreV1().ConfigMaps("istio-system").Update(ctx, cm, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func (m *mesh) resource(dc dynamic.Interface, o *unstructured.Unstructured) dynamic.ResourceInterface {
	r := dc.Resource(gvrs[o.GetKind()])
	if o.GetKind() == "Namespace" {
		return r
	}
	return r.Namespace(o.GetNamespace())
}

// objects reads every document of a file or directory.
func objects(t *testing.T, path string) []*unstructured.Unstructured {
	t.Helper()
	var out []*unstructured.Unstructured
	err := yamlstream.ReadPaths([]string{path}, nil, func(d yamlstream.Document) error {
		u := &unstructured.Unstructured{}
		if err := yaml.Unmarshal(d.Raw, &u.Object); err != nil || u.Object == nil {
			return err
		}
		out = append(out, u)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
