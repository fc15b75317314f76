package inject

import (
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/api/resource"
)

// annotationValues checks the values of the pod annotations that
// injection reads, as Istio's injector does before it injects: a value it
// cannot use refuses the pod rather than reaching istio-init or the agent.
var annotationValues = map[string]func(string) error{
	"sidecar.istio.io/interceptionMode":                     oneOf("REDIRECT", "TPROXY", "NONE"),
	"status.sidecar.istio.io/port":                          port,
	"readiness.status.sidecar.istio.io/initialDelaySeconds": uint32Value,
	"readiness.status.sidecar.istio.io/periodSeconds":       uint32Value,
	"readiness.status.sidecar.istio.io/failureThreshold":    uint32Value,
	"traffic.sidecar.istio.io/includeOutboundIPRanges":      orAll(cidrList),
	"traffic.sidecar.istio.io/excludeOutboundIPRanges":      cidrList,
	"traffic.sidecar.istio.io/includeInboundPorts":          orAll(portList),
	"traffic.sidecar.istio.io/excludeInboundPorts":          portList,
	"traffic.sidecar.istio.io/excludeOutboundPorts":         portList,
	"prometheus.istio.io/merge-metrics":                     boolValue,
	"sidecar.istio.io/proxyCPU":                             quantity,
	"sidecar.istio.io/proxyMemory":                          quantity,
	"sidecar.istio.io/proxyCPULimit":                        quantity,
	"sidecar.istio.io/proxyMemoryLimit":                     quantity,
}

// checkAnnotationValues returns the first annotation, in name order, whose
// value injection cannot use.
func checkAnnotationValues(anns map[string]string) error {
	names := make([]string, 0, len(anns))
	for name := range anns {
		if _, ok := annotationValues[name]; ok {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	for _, name := range names {
		if err := annotationValues[name](anns[name]); err != nil {
			return fmt.Errorf("annotation %s: invalid value %q: %w", name, anns[name], err)
		}
	}
	return nil
}

func oneOf(values ...string) func(string) error {
	return func(v string) error {
		for _, ok := range values {
			if v == ok {
				return nil
			}
		}
		return fmt.Errorf("want one of %s", strings.Join(values, ", "))
	}
}

// orAll also accepts "*", everything.
func orAll(check func(string) error) func(string) error {
	return func(v string) error {
		if v == "*" {
			return nil
		}
		return check(v)
	}
}

// cidrList is a comma-separated list of CIDRs, written without spaces as
// Istio reads it.
func cidrList(v string) error {
	if v == "" {
		return nil
	}
	for _, c := range strings.Split(v, ",") {
		if _, err := netip.ParsePrefix(c); err != nil {
			return fmt.Errorf("%q is not a CIDR such as 10.0.0.0/8", c)
		}
	}
	return nil
}

// portList is a comma-separated list of ports.
func portList(v string) error {
	if strings.TrimSpace(v) == "" {
		return nil
	}
	for _, p := range strings.Split(strings.TrimSpace(v), ",") {
		if err := port(p); err != nil {
			return err
		}
	}
	return nil
}

func port(v string) error {
	if _, err := strconv.ParseUint(strings.TrimSpace(v), 10, 16); err != nil {
		return fmt.Errorf("%q is not a port number (0-65535)", v)
	}
	return nil
}

func uint32Value(v string) error {
	if _, err := strconv.ParseUint(v, 10, 32); err != nil {
		return fmt.Errorf("want a whole number of at least 0")
	}
	return nil
}

func boolValue(v string) error {
	if _, err := strconv.ParseBool(v); err != nil {
		return fmt.Errorf("want true or false")
	}
	return nil
}

func quantity(v string) error {
	if _, err := resource.ParseQuantity(v); err != nil {
		return fmt.Errorf("want a quantity such as 100m or 128Mi")
	}
	return nil
}
