package inject

import (
	"strings"
	"testing"
)

// TestAnnotationValues: values injection cannot use refuse the pod, naming
// the annotation; the forms Istio accepts pass.
func TestAnnotationValues(t *testing.T) {
	t.Parallel()
	good := map[string]string{
		"traffic.sidecar.istio.io/includeOutboundIPRanges": "*",
		"traffic.sidecar.istio.io/excludeOutboundIPRanges": "10.0.0.0/8,fd00::/8",
		"traffic.sidecar.istio.io/includeInboundPorts":     "*",
		"traffic.sidecar.istio.io/excludeInboundPorts":     "15020, 9090",
		"traffic.sidecar.istio.io/excludeOutboundPorts":    "",
		"status.sidecar.istio.io/port":                     "0",
		"readiness.status.sidecar.istio.io/periodSeconds":  "5",
		"sidecar.istio.io/interceptionMode":                "TPROXY",
		"sidecar.istio.io/proxyCPU":                        "100m",
		"prometheus.istio.io/merge-metrics":                "false",
		"example.com/other":                                "anything",
	}
	if err := checkAnnotationValues(good); err != nil {
		t.Fatalf("good values refused: %v", err)
	}
	for name, value := range map[string]string{
		"traffic.sidecar.istio.io/includeOutboundIPRanges":      "10.0.0.0",
		"traffic.sidecar.istio.io/excludeOutboundIPRanges":      "*",
		"traffic.sidecar.istio.io/includeInboundPorts":          "80,http",
		"traffic.sidecar.istio.io/excludeInboundPorts":          "70000",
		"traffic.sidecar.istio.io/excludeOutboundPorts":         "*",
		"status.sidecar.istio.io/port":                          "-1",
		"readiness.status.sidecar.istio.io/initialDelaySeconds": "1.5",
		"sidecar.istio.io/interceptionMode":                     "redirect",
		"sidecar.istio.io/proxyMemoryLimit":                     "lots",
		"prometheus.istio.io/merge-metrics":                     "maybe",
	} {
		err := checkAnnotationValues(map[string]string{name: value})
		if err == nil || !strings.Contains(err.Error(), "annotation "+name+": invalid value") {
			t.Errorf("%s=%q: got %v", name, value, err)
		}
	}
}
