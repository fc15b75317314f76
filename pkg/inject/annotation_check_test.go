package inject

import "testing"

// TestAnnotationValuesRefuseThePod: a pod whose annotations hold values
// Istio's injector refuses is refused, naming the first such annotation
// in name order, whatever the map's order.
func TestAnnotationValuesRefuseThePod(t *testing.T) {
	t.Parallel()
	anns := map[string]string{
		"traffic.sidecar.istio.io/excludeOutboundPorts":    "*",
		"sidecar.istio.io/interceptionMode":                "redirect",
		"traffic.sidecar.istio.io/includeOutboundIPRanges": "10.0.0.0/8",
		"example.com/other":                                "anything",
	}
	for range 20 {
		err := checkAnnotationValues(anns)
		want := `annotation sidecar.istio.io/interceptionMode: interception mode "redirect" is not one of REDIRECT, TPROXY, NONE`
		if err == nil || err.Error() != want {
			t.Fatalf("got %v\nwant %s", err, want)
		}
	}
	if err := checkAnnotationValues(map[string]string{"traffic.sidecar.istio.io/includeInboundPorts": "*"}); err != nil {
		t.Fatalf("a good value refused: %v", err)
	}
}
