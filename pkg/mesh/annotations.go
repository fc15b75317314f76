package mesh

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"istio.io/api/annotation"
	"k8s.io/apimachinery/pkg/api/resource"
)

// AnnotationValueError says why value cannot be used for the pod
// annotation name, checked as Istio's injector checks it before it injects
// (a value it refuses fails the injection); nil when the value is fine or
// name is not an annotation whose value it checks. analyze reports these
// values and kube-inject refuses them.
func AnnotationValueError(name, value string) error {
	if check := annotationValues[name]; check != nil {
		return check(value)
	}
	return nil
}

var annotationValues = map[string]func(string) error{
	annotation.SidecarInterceptionMode.Name: func(v string) error {
		switch v {
		case "REDIRECT", "TPROXY", "NONE":
			return nil
		}
		return fmt.Errorf("interception mode %q is not one of REDIRECT, TPROXY, NONE", v)
	},
	annotation.SidecarStatusPort.Name:                         port,
	annotation.SidecarStatusReadinessInitialDelaySeconds.Name: uint32Value,
	annotation.SidecarStatusReadinessPeriodSeconds.Name:       uint32Value,
	annotation.SidecarStatusReadinessFailureThreshold.Name:    uint32Value,
	annotation.SidecarTrafficIncludeOutboundIPRanges.Name:     orAll(cidrList),
	annotation.SidecarTrafficExcludeOutboundIPRanges.Name:     cidrList,
	annotation.SidecarTrafficIncludeInboundPorts.Name:         orAll(portList),
	annotation.SidecarTrafficExcludeInboundPorts.Name:         portList,
	annotation.SidecarTrafficExcludeOutboundPorts.Name:        portList,
	annotation.PrometheusMergeMetrics.Name: func(v string) error {
		if _, err := strconv.ParseBool(v); err != nil {
			return fmt.Errorf("%q is not a boolean", v)
		}
		return nil
	},
	annotation.SidecarProxyCPU.Name:         quantity,
	annotation.SidecarProxyMemory.Name:      quantity,
	annotation.SidecarProxyCPULimit.Name:    quantity,
	annotation.SidecarProxyMemoryLimit.Name: quantity,
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

// cidrList is a comma-separated list of CIDRs; Istio reads the entries as
// they are, so a space is a mistake.
func cidrList(v string) error {
	if v == "" {
		return nil
	}
	for _, c := range strings.Split(v, ",") {
		if _, err := netip.ParsePrefix(c); err != nil {
			return fmt.Errorf("%q is not a CIDR range", c)
		}
	}
	return nil
}

// portList is a comma-separated list of ports.
func portList(v string) error {
	if v = strings.TrimSpace(v); v == "" {
		return nil
	}
	for _, p := range strings.Split(v, ",") {
		if err := port(p); err != nil {
			return err
		}
	}
	return nil
}

func port(v string) error {
	if _, err := strconv.ParseUint(strings.TrimSpace(v), 10, 16); err != nil {
		return fmt.Errorf("%q is not a port number between 0 and 65535", v)
	}
	return nil
}

func uint32Value(v string) error {
	if _, err := strconv.ParseUint(v, 10, 32); err != nil {
		return fmt.Errorf("%q is not a non-negative integer", v)
	}
	return nil
}

func quantity(v string) error {
	if _, err := resource.ParseQuantity(v); err != nil {
		return fmt.Errorf("%q is not a resource quantity", v)
	}
	return nil
}
