package helmrender

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/meshctl/meshctl/charts"
)

// The embedded charts render with nothing but their own defaults, as
// `helm template` would render them.
func TestChartsRenderWithTheirDefaults(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		chart string
		want  []string
	}{
		{"istiod", []string{"kind: Deployment", "name: istiod", "image: \"docker.io/istio/pilot:9.9.9\"", "kind: MutatingWebhookConfiguration"}},
		{"gateway", []string{"kind: Deployment", "name: istio-ingressgateway", "image: \"docker.io/istio/proxyv2:9.9.9\"", "type: LoadBalancer"}},
	} {
		t.Run(tc.chart, func(t *testing.T) {
			t.Parallel()
			c, err := Load(charts.FS, tc.chart, "9.9.9")
			if err != nil {
				t.Fatal(err)
			}
			if c.Name() != tc.chart {
				t.Errorf("name = %q", c.Name())
			}
			docs, err := c.Render(Release{Name: tc.chart, Namespace: "istio-system"}, nil)
			if err != nil {
				t.Fatal(err)
			}
			var all strings.Builder
			for i, d := range docs {
				if i > 0 && docs[i-1].Template >= d.Template {
					t.Errorf("documents not sorted: %s before %s", docs[i-1].Template, d.Template)
				}
				if strings.Contains(d.Template, "_helpers") {
					t.Errorf("helper template %s in the output", d.Template)
				}
				all.WriteString(d.Content)
			}
			for _, w := range tc.want {
				if !strings.Contains(all.String(), w) {
					t.Errorf("no %q in the rendered chart", w)
				}
			}
		})
	}
}

func TestErrors(t *testing.T) {
	t.Parallel()
	if _, err := Load(charts.FS, "no-such-chart", ""); err == nil || !strings.Contains(err.Error(), "no-such-chart") {
		t.Errorf("missing chart: %v", err)
	}
	bad := fstest.MapFS{
		"c/Chart.yaml":        {Data: []byte("apiVersion: v2\nname: c\nversion: 0.1.0\n")},
		"c/templates/x.yaml":  {Data: []byte("{{ .Values.a.b.c }}\n")},
		"c/templates/y.yaml":  {Data: []byte("{{ fail \"boom\" }}\n")},
		"c/values.yaml":       {Data: []byte("a: {}\n")},
		"nochart/templates/x": {Data: []byte("x")},
	}
	c, err := Load(bad, "c", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Render(Release{Name: "c", Namespace: "ns"}, nil); err == nil || !strings.Contains(err.Error(), "chart c") {
		t.Errorf("render error: %v", err)
	}
	if _, err := Load(bad, "nochart", ""); err == nil {
		t.Error("a directory without Chart.yaml must not load")
	}
}
