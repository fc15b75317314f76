// Package analyze finds mistakes in Istio configuration. Resources from files
// or a live cluster are decoded once into a read-only, indexed Snapshot; each
// Analyzer walks the snapshot and reports Messages that carry Istio's codes
// (IST0101, ...) and levels so that scripts written for istioctl keep working.
// The package never writes to stdout and never exits: callers print the
// messages with the formatters in this package.
package analyze

import (
	"fmt"
	"sort"
	"strings"
)

// Level is the severity of a message.
type Level int

// Levels, lowest first.
const (
	Info Level = iota
	Warning
	Error
)

func (l Level) String() string {
	switch l {
	case Info:
		return "Info"
	case Warning:
		return "Warning"
	case Error:
		return "Error"
	}
	return fmt.Sprintf("Level(%d)", int(l))
}

// ParseLevel reads "info", "warning" or "error" (any case).
func ParseLevel(s string) (Level, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "info":
		return Info, nil
	case "warning", "warn":
		return Warning, nil
	case "error":
		return Error, nil
	}
	return Info, fmt.Errorf("unknown level %q: want Info, Warning or Error", s)
}

// MessageType is one kind of finding, with Istio's code and level.
type MessageType struct {
	Code        string
	Name        string
	Level       Level
	Description string
	// Template is a fmt format for the message text.
	Template string
}

// DocURL is the page that explains the code on istio.io.
func (t *MessageType) DocURL() string {
	return "https://istio.io/latest/docs/reference/config/analysis/" + strings.ToLower(t.Code) + "/"
}

// The message types meshctl reports. Codes, names, levels and wording follow
// Istio's analysis messages so that output stays familiar and comparable.
var (
	Deprecated = &MessageType{"IST0002", "Deprecated", Warning,
		"A feature that the configuration is depending on is now deprecated or removed.", "Deprecated: %s"}
	ReferencedResourceNotFound = &MessageType{"IST0101", "ReferencedResourceNotFound", Error,
		"A resource being referenced does not exist.", "Referenced %s not found: %q"}
	NamespaceNotInjected = &MessageType{"IST0102", "NamespaceNotInjected", Info,
		"A namespace is not enabled for Istio injection.",
		"The namespace is not enabled for Istio injection. Run 'kubectl label namespace %s istio-injection=enabled' to enable it, or 'kubectl label namespace %s istio-injection=disabled' to explicitly mark it as not needing injection."}
	PodMissingProxy = &MessageType{"IST0103", "PodMissingProxy", Warning,
		"A pod is missing the Istio proxy.",
		"The pod %s is missing the Istio proxy. This can often be resolved by restarting or redeploying the workload."}
	SchemaValidationError = &MessageType{"IST0106", "SchemaValidationError", Error,
		"The resource has a schema validation error.", "Schema validation error: %v"}
	MisplacedAnnotation = &MessageType{"IST0107", "MisplacedAnnotation", Warning,
		"An Istio annotation is applied to the wrong kind of resource.", "Misplaced annotation: %s can only be applied to %s"}
	UnknownAnnotation = &MessageType{"IST0108", "UnknownAnnotation", Warning,
		"An Istio annotation is not recognized for any kind of resource.", "Unknown annotation: %s"}
	ConflictingMeshGatewayVirtualServiceHosts = &MessageType{"IST0109", "ConflictingMeshGatewayVirtualServiceHosts", Error,
		"Conflicting hosts on VirtualServices associated with mesh gateway.",
		"The VirtualServices %s associated with mesh gateway define the same host %s which can lead to undefined behavior. This can be fixed by merging the conflicting VirtualServices into a single resource."}
	ConflictingSidecarWorkloadSelectors = &MessageType{"IST0110", "ConflictingSidecarWorkloadSelectors", Error,
		"A Sidecar resource selects the same workloads as another Sidecar resource.",
		"The Sidecars %v in namespace %q select the same workload pod %q, which can lead to undefined behavior."}
	MultipleSidecarsWithoutWorkloadSelectors = &MessageType{"IST0111", "MultipleSidecarsWithoutWorkloadSelectors", Error,
		"More than one sidecar resource in a namespace has no workload selector.",
		"The Sidecars %v in namespace %q have no workload selector, which can lead to undefined behavior."}
	VirtualServiceDestinationPortSelectorRequired = &MessageType{"IST0112", "VirtualServiceDestinationPortSelectorRequired", Error,
		"A VirtualService routes to a service with more than one port exposed, but does not specify which to use.",
		"This VirtualService routes to a service %q that exposes multiple ports %v. Specifying a port in the destination is required to disambiguate."}
	DeploymentAssociatedToMultipleServices = &MessageType{"IST0116", "DeploymentAssociatedToMultipleServices", Warning,
		"The resulting pods of a service mesh deployment can't be associated with multiple services using the same port but different protocols.",
		"This deployment %s is associated with multiple services using port %d but different protocols: %v"}
	ServiceEntryAddressesRequired = &MessageType{"IST0134", "ServiceEntryAddressesRequired", Warning,
		"Virtual IP addresses are required for ports serving TCP (or unset) protocol when ISTIO_META_DNS_AUTO_ALLOCATE is not set on a proxy.",
		"ServiceEntry addresses are required for this protocol."}
	PortNameIsNotUnderNamingConvention = &MessageType{"IST0118", "PortNameIsNotUnderNamingConvention", Info,
		"Port name is not under naming convention. Protocol detection is applied to the port.",
		"Port name %s (port: %d, targetPort: %s) doesn't follow the naming convention of Istio port."}
	NamespaceMultipleInjectionLabels = &MessageType{"IST0123", "NamespaceMultipleInjectionLabels", Warning,
		"A namespace has more than one type of injection labels.",
		"The namespace has more than one type of injection labels %v, which may lead to undefined behavior. Make sure only one injection label exists."}
	InvalidAnnotation = &MessageType{"IST0125", "InvalidAnnotation", Warning,
		"An Istio annotation that is not valid.", "Invalid annotation %s: %s"}
	NoMatchingWorkloadsFound = &MessageType{"IST0127", "NoMatchingWorkloadsFound", Warning,
		"There aren't workloads matching the resource labels.", "No matching workloads for this resource with the following labels: %s"}
	NoServerCertificateVerificationDestinationLevel = &MessageType{"IST0128", "NoServerCertificateVerificationDestinationLevel", Warning,
		"No caCertificates are set in DestinationRule, this results in no verification of presented server certificate.",
		"DestinationRule %s in namespace %s has TLS mode set to %s but no caCertificates are set to validate server identity for host: %s"}
	NoServerCertificateVerificationPortLevel = &MessageType{"IST0129", "NoServerCertificateVerificationPortLevel", Warning,
		"No caCertificates are set in DestinationRule, this results in no verification of presented server certificate for traffic to a given port.",
		"DestinationRule %s in namespace %s has TLS mode set to %s but no caCertificates are set to validate server identity for host: %s at port %s"}
	VirtualServiceUnreachableRule = &MessageType{"IST0130", "VirtualServiceUnreachableRule", Warning,
		"A VirtualService rule will never be used because a previous rule uses the same match.", "VirtualService rule %v not used (%s)."}
	VirtualServiceIneffectiveMatch = &MessageType{"IST0131", "VirtualServiceIneffectiveMatch", Info,
		"A VirtualService rule match duplicates a match in a previous rule.",
		"VirtualService rule %v match %v is not used (duplicate/overlapping match in rule %v)."}
	VirtualServiceHostNotFoundInGateway = &MessageType{"IST0132", "VirtualServiceHostNotFoundInGateway", Warning,
		"Host defined in VirtualService not found in Gateway.", "one or more host %v defined in VirtualService %s not found in Gateway %s."}
	DeprecatedAnnotation = &MessageType{"IST0135", "DeprecatedAnnotation", Info,
		"A resource is using a deprecated Istio annotation.", "Annotation %q has been deprecated%s and may not work in future Istio versions."}
	DeploymentConflictingPorts = &MessageType{"IST0137", "DeploymentConflictingPorts", Warning,
		"Two services selecting the same workload with the same targetPort MUST refer to the same port.",
		"This deployment %s is associated with multiple services %v using targetPort %q but different ports: %v."}
	InvalidApplicationUID = &MessageType{"IST0144", "InvalidApplicationUID", Warning,
		"Application pods should not run as user ID (UID) 1337.", "User ID (UID) 1337 is reserved for the sidecar proxy."}
	ConflictingGateways = &MessageType{"IST0145", "ConflictingGateways", Error,
		"Gateway should not have the same selector, port and matched hosts of server.", "Conflict with gateways %s (workload selector %s, port %s, hosts %v)."}
	GatewayPortNotDefinedOnService = &MessageType{"IST0162", "GatewayPortNotDefinedOnService", Warning,
		"Gateway port not exposed by service.",
		"The gateway is listening on a target port (port %d) that is not defined in the Service associated with its workload instances (Pod selector %s). If you need to access the gateway port through the gateway Service, it will not be available."}
	IneffectivePolicy = &MessageType{"IST0167", "IneffectivePolicy", Warning,
		"The policy applied has no impact.", "The policy has no impact: %s."}
	DestinationRuleSubsetNotSelectPods = &MessageType{"IST0173", "DestinationRuleSubsetNotSelectPods", Error,
		"Subsets defined in destination does not select any pods.",
		"The Subset %s defined in the DestinationRule does not select any pods. Which may lead to 503 UH (NoHealthyUpstream)."}
	UnknownDestinationRuleHost = &MessageType{"IST0174", "UnknownDestinationRuleHost", Warning,
		"Host defined in destination rule does not match any services in the mesh.",
		"The host %s defined in the DestinationRule does not match any services in the mesh."}
)

var allTypes = []*MessageType{
	Deprecated, ReferencedResourceNotFound, NamespaceNotInjected, PodMissingProxy, SchemaValidationError,
	MisplacedAnnotation, UnknownAnnotation, ConflictingMeshGatewayVirtualServiceHosts,
	ConflictingSidecarWorkloadSelectors, MultipleSidecarsWithoutWorkloadSelectors,
	VirtualServiceDestinationPortSelectorRequired, DeploymentAssociatedToMultipleServices, PortNameIsNotUnderNamingConvention,
	ServiceEntryAddressesRequired,
	NamespaceMultipleInjectionLabels, InvalidAnnotation, NoMatchingWorkloadsFound,
	NoServerCertificateVerificationDestinationLevel, NoServerCertificateVerificationPortLevel,
	VirtualServiceUnreachableRule, VirtualServiceIneffectiveMatch, VirtualServiceHostNotFoundInGateway,
	DeprecatedAnnotation, DeploymentConflictingPorts, InvalidApplicationUID, ConflictingGateways,
	GatewayPortNotDefinedOnService, IneffectivePolicy, DestinationRuleSubsetNotSelectPods, UnknownDestinationRuleHost,
}

// MessageTypes lists every message type, by code.
func MessageTypes() []*MessageType {
	out := append([]*MessageType(nil), allTypes...)
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out
}

// Ref names a resource in messages.
type Ref struct {
	Kind      string `json:"kind"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
}

// String is "Kind ns/name" (or "Kind name" for cluster-scoped kinds).
func (r Ref) String() string {
	if r.Namespace == "" {
		return r.Kind + " " + r.Name
	}
	return r.Kind + " " + r.Namespace + "/" + r.Name
}

// FullName is "ns/name" or "name".
func (r Ref) FullName() string {
	if r.Namespace == "" {
		return r.Name
	}
	return r.Namespace + "/" + r.Name
}

// Message is one finding.
type Message struct {
	Type  *MessageType
	Level Level
	Text  string
	// Resource is the resource the finding is about.
	Resource Ref
	// File, Line and Column locate the finding when the resource came from a
	// file: the offending field when it could be found, else the document.
	File   string
	Line   int
	Column int
	// Field is the path of the offending field ("spec.http[0].route[0]"), if any.
	Field string
	// Detail is extra text printed after the message, such as the YAML
	// that replaces a removed API.
	Detail string

	docLine int // first line of the resource's document, for ordering
}

// Origin is "Kind ns/name file:line:col" as printed in log lines.
func (m Message) Origin() string {
	s := m.Resource.String()
	if m.File != "" {
		s += " " + m.File
		if m.Line > 0 {
			s += fmt.Sprintf(":%d", m.Line)
			if m.Column > 0 {
				s += fmt.Sprintf(":%d", m.Column)
			}
		}
	}
	return s
}

// String is the log line without colour.
func (m Message) String() string {
	return fmt.Sprintf("%s [%s] (%s) %s", m.Level, m.Type.Code, m.Origin(), m.Text)
}

// SortMessages orders messages by file, line, resource, code and text, so
// that output is the same bytes every run.
func SortMessages(ms []Message) {
	sort.SliceStable(ms, func(i, j int) bool {
		a, b := ms[i], ms[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.docLine != b.docLine {
			return a.docLine < b.docLine
		}
		if a.Resource != b.Resource {
			if a.Resource.Namespace != b.Resource.Namespace {
				return a.Resource.Namespace < b.Resource.Namespace
			}
			if a.Resource.Kind != b.Resource.Kind {
				return a.Resource.Kind < b.Resource.Kind
			}
			return a.Resource.Name < b.Resource.Name
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Type.Code != b.Type.Code {
			return a.Type.Code < b.Type.Code
		}
		return a.Text < b.Text
	})
}
