package analyze

import (
	"fmt"
	"strings"

	"google.golang.org/protobuf/proto"
	networking "istio.io/api/networking/v1alpha3"
	security "istio.io/api/security/v1beta1"
)

// validateSpec checks the rules of Istio's API that the types alone do not
// express: required fields, port ranges, host forms. Paths match the YAML.
func validateSpec(kind string, m proto.Message) []FieldError {
	var errs []FieldError
	add := func(path, format string, a ...any) {
		errs = append(errs, FieldError{path, fmt.Sprintf(format, a...)})
	}
	port := func(path string, n uint32) {
		if n == 0 || n > 65535 {
			add(path, "port number %d must be between 1 and 65535", n)
		}
	}
	switch s := m.(type) {
	case *networking.VirtualService:
		if len(s.GetHosts()) == 0 && len(s.GetGateways()) > 0 {
			add("spec.hosts", "required: a VirtualService bound to gateways needs at least one host")
		}
		for i, h := range s.GetHosts() {
			if h == "" {
				add(fmt.Sprintf("spec.hosts[%d]", i), "empty host")
			}
		}
		for i, r := range s.GetHttp() {
			if len(r.GetRoute()) == 0 && r.GetRedirect() == nil && r.GetDirectResponse() == nil && r.GetDelegate() == nil {
				add(fmt.Sprintf("spec.http[%d]", i), "an HTTP route needs route, redirect, directResponse or delegate")
			}
			total := int32(0)
			for j, d := range r.GetRoute() {
				p := fmt.Sprintf("spec.http[%d].route[%d]", i, j)
				if d.GetDestination() == nil {
					add(p+".destination", "required")
				} else if d.GetDestination().GetHost() == "" {
					add(p+".destination.host", "required")
				}
				if d.GetWeight() < 0 {
					add(p+".weight", "weight %d must not be negative", d.GetWeight())
				}
				total += d.GetWeight()
			}
			if len(r.GetRoute()) > 1 && total == 0 {
				add(fmt.Sprintf("spec.http[%d].route", i), "total destination weight is 0")
			}
		}
		for i, r := range s.GetTcp() {
			for j, d := range r.GetRoute() {
				if d.GetDestination().GetHost() == "" {
					add(fmt.Sprintf("spec.tcp[%d].route[%d].destination.host", i, j), "required")
				}
			}
		}
	case *networking.DestinationRule:
		if s.GetHost() == "" {
			add("spec.host", "required")
		}
		seen := map[string]bool{}
		for i, ss := range s.GetSubsets() {
			switch {
			case ss.GetName() == "":
				add(fmt.Sprintf("spec.subsets[%d].name", i), "required")
			case seen[ss.GetName()]:
				add(fmt.Sprintf("spec.subsets[%d].name", i), "duplicate subset name %q", ss.GetName())
			}
			seen[ss.GetName()] = true
		}
	case *networking.Gateway:
		if len(s.GetServers()) == 0 {
			add("spec.servers", "required: a Gateway needs at least one server")
		}
		for i, srv := range s.GetServers() {
			p := fmt.Sprintf("spec.servers[%d]", i)
			if srv.GetPort() == nil {
				add(p+".port", "required")
			} else {
				port(p+".port.number", srv.GetPort().GetNumber())
			}
			if len(srv.GetHosts()) == 0 {
				add(p+".hosts", "required: a server needs at least one host")
			}
		}
	case *networking.ServiceEntry:
		if len(s.GetHosts()) == 0 {
			add("spec.hosts", "required")
		}
		for i, p := range s.GetPorts() {
			port(fmt.Sprintf("spec.ports[%d].number", i), p.GetNumber())
		}
	case *networking.Sidecar:
		for i, eg := range s.GetEgress() {
			for j, h := range eg.GetHosts() {
				if !strings.Contains(h, "/") {
					add(fmt.Sprintf("spec.egress[%d].hosts[%d]", i, j), "host %q must be of the form namespace/dnsName", h)
				}
			}
		}
	case *security.PeerAuthentication:
		if len(s.GetPortLevelMtls()) > 0 && len(s.GetSelector().GetMatchLabels()) == 0 {
			add("spec.portLevelMtls", "portLevelMtls requires a workload selector")
		}
	case *security.AuthorizationPolicy:
		if s.GetAction() == security.AuthorizationPolicy_CUSTOM && s.GetProvider() == nil {
			add("spec.provider", "required when action is CUSTOM")
		}
		if s.GetAction() != security.AuthorizationPolicy_CUSTOM && s.GetProvider() != nil {
			add("spec.provider", "only allowed when action is CUSTOM")
		}
	}
	return errs
}
