package analyze

import (
	"fmt"

	networking "istio.io/api/networking/v1alpha3"
)

func init() {
	var schemaInputs []string
	var removed []string
	for _, k := range kinds {
		if k.Removed {
			removed = append(removed, k.Kind)
			continue
		}
		schemaInputs = append(schemaInputs, k.Kind)
	}
	register(&analyzer{
		name:   "schema.ValidationAnalyzer",
		desc:   "Validates resources against the istio.io/api types: unknown fields, wrong types, enum values, required fields",
		codes:  []*MessageType{SchemaValidationError},
		inputs: schemaInputs,
		run:    analyzeSchema,
	})
	register(&analyzer{
		name:   "deprecation.DeprecationAnalyzer",
		desc:   "Checks for removed Istio APIs (printing their replacement), older API versions and deprecated fields",
		codes:  []*MessageType{Deprecated},
		inputs: append([]string{KindVirtualService, KindDestinationRule, KindGateway, KindServiceEntry, KindSidecar, KindWorkloadEntry, KindWorkloadGroup, KindAuthorizationPolicy, KindPeerAuthentication, KindRequestAuthentication, KindTelemetry}, removed...),
		run:    analyzeDeprecation,
	})
}

func analyzeSchema(c *Context) {
	for _, k := range kinds {
		for _, r := range c.S.List(k.Kind) {
			for _, fe := range r.FieldErrors {
				text := fe.Message
				if fe.Path != "" {
					text = fe.Path + ": " + fe.Message
				}
				c.Report(r, SchemaValidationError, fe.Path, text)
			}
		}
	}
}

// stableVersion is the version Istio recommends for each group whose older
// versions are still served.
var stableVersion = map[string]string{
	"networking.istio.io": "v1",
	"security.istio.io":   "v1",
	"telemetry.istio.io":  "v1",
}

func analyzeDeprecation(c *Context) {
	for _, k := range kinds {
		for _, r := range c.S.List(k.Kind) {
			if k.Removed {
				text, detail := replacementFor(c.S, r)
				m := c.ReportLevel(r, Deprecated, Deprecated.Level, "apiVersion", text)
				m.Detail = detail
				continue
			}
			if v, ok := stableVersion[r.Group]; ok && r.Version != v && knownVersion(k, v) {
				c.ReportLevel(r, Deprecated, Info, "apiVersion",
					fmt.Sprintf("%s/%s %s is still served, but %s/%s is the stable version with the same fields; change apiVersion to %s/%s",
						r.Group, r.Version, r.Kind, r.Group, v, r.Group, v))
			}
		}
	}
	for _, r := range c.S.List(KindVirtualService) {
		vs := specOf[*networking.VirtualService](r)
		for i, h := range vs.GetHttp() {
			if h.GetFault().GetDelay().GetPercent() != 0 {
				c.Report(r, Deprecated, fmt.Sprintf("spec.http[%d].fault.delay.percent", i),
					"HTTPRoute.fault.delay.percent is deprecated; use HTTPRoute.fault.delay.percentage")
			}
		}
	}
	for _, r := range c.S.List(KindSidecar) {
		sc := specOf[*networking.Sidecar](r)
		if sc.GetOutboundTrafficPolicy().GetEgressProxy() != nil {
			c.Report(r, Deprecated, "spec.outboundTrafficPolicy.egressProxy", "OutboundTrafficPolicy.EgressProxy ignored")
		}
	}
}
