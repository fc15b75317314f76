package mesh

import (
	"strconv"
	"strings"
	"testing"
)

// TestAnnotationValues: values Istio's injector refuses are errors that
// quote the value; the forms it accepts pass.
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
	for name, value := range good {
		if err := AnnotationValueError(name, value); err != nil {
			t.Errorf("%s=%q refused: %v", name, value, err)
		}
	}
	for name, value := range map[string]string{
		"traffic.sidecar.istio.io/includeOutboundIPRanges":      "10.0.0.0",
		"traffic.sidecar.istio.io/excludeOutboundIPRanges":      "*",
		"traffic.sidecar.istio.io/includeInboundPorts":          "80,http",
		"traffic.sidecar.istio.io/excludeOutboundIPRanges ":     "10.0.0.0/8, 10.1.0.0/16",
		"traffic.sidecar.istio.io/excludeInboundPorts":          "70000",
		"traffic.sidecar.istio.io/excludeOutboundPorts":         "*",
		"status.sidecar.istio.io/port":                          "-1",
		"readiness.status.sidecar.istio.io/initialDelaySeconds": "1.5",
		"sidecar.istio.io/interceptionMode":                     "redirect",
		"sidecar.istio.io/proxyMemoryLimit":                     "lots",
		"prometheus.istio.io/merge-metrics":                     "maybe",
	} {
		name = strings.TrimSpace(name) // a second entry for the same annotation
		err := AnnotationValueError(name, value)
		// The error quotes the value, or the entry of a list at fault.
		wrong := value[strings.LastIndex(value, ",")+1:]
		if err == nil || !strings.Contains(err.Error(), strconv.Quote(wrong)) {
			t.Errorf("%s=%q: got %v", name, value, err)
		}
	}
}
