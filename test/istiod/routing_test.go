package istiod

import (
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

const shift = "../../samples/helloworld/shift"

// TestRoutingMatchesIstiod measures `meshctl authz matrix` against istiod
// on the seed's traffic shifting (samples/helloworld/shift): subsets and
// no route, the 0/100 shift, the seed's shift bound to the ingress
// gateway (which calls inside the mesh do not take), and a fault and a
// redirect by header and path. Each cell's route is what Envoy does with
// the client's HTTP route for the Host header, path and headers: the
// weighted clusters (weight above 0) or the route's own answer (a fault
// filter's abort, a redirect, no route), then every endpoint of every
// cluster meets its server as in the other comparisons.
func TestRoutingMatchesIstiod(t *testing.T) {
	m := meshFor(t)
	var apps []*unstructured.Unstructured
	for _, o := range objects(t, filepath.Join(shift, "apps.yaml")) {
		if o.GetNamespace() != "istio-system" && o.GetName() != "istio-system" {
			apps = append(apps, o) // the bed's proxies are sidecars; the gateway stays out
		}
	}
	b := newBed(t, m, apps, 249)
	defer b.close(t)
	dirs, err := filepath.Glob(filepath.Join(shift, "[0-9]-*"))
	if err != nil || len(dirs) < 4 {
		t.Fatalf("want the four traffic steps under %s, found %v (%v)", shift, dirs, err)
	}
	scope := []string{"sleep.default", "helloworld-v1.default", "helloworld.default"}
	requests := []struct {
		path    string
		headers map[string]string
	}{{"", nil}, {"/old/page", nil}, {"", map[string]string{"x-chaos": "abort"}}}
	agree, cells := 0, 0
	for _, dir := range dirs {
		b.apply(t, objects(t, dir))
		b.sync(t)
		for _, r := range requests {
			b.path, b.headers = r.path, r.headers
			label := filepath.Base(dir)
			if r.path != "" || r.headers != nil {
				label += " " + r.path + fmtHeaders(r.headers)
			}
			a, n := b.compare(t, label, scope)
			agree, cells = agree+a, cells+n
		}
	}
	b.path, b.headers = "", nil
	b.apply(t, nil)
	t.Logf("seed traffic shifting: %d of %d cells agree with istiod\n%s", agree, cells, strings.Join(b.outcomes, "\n"))
	if cells < len(dirs)*len(requests)*3 {
		t.Fatalf("only %d cells compared", cells)
	}
}

func fmtHeaders(h map[string]string) string {
	var parts []string
	for _, k := range sortedKeys(h) {
		parts = append(parts, k+"="+h[k])
	}
	return strings.Join(parts, ",")
}
