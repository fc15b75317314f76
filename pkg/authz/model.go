// Package authz predicts, from configuration alone, what happens when one
// workload of an Istio mesh calls a service: whether mutual TLS is negotiated,
// which AuthorizationPolicy decides, and the HTTP outcome a client would see.
//
// It models workloads (pods, or workload templates when there are no pods),
// services, PeerAuthentication, DestinationRule TLS settings, the mesh config,
// AuthorizationPolicy and RequestAuthentication. It never talks to a cluster
// and never writes to standard output: callers feed it objects through a
// Loader and print its results.
package authz

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	networking "istio.io/api/networking/v1alpha3"
	security "istio.io/api/security/v1beta1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/meshctl/meshctl/pkg/mesh"
)

// Mesh is the part of the mesh config that changes the answers.
type Mesh struct {
	// AutoMTLS is enableAutoMtls: client sidecars send Istio mutual TLS to
	// servers with a sidecar when no DestinationRule sets TLS.
	AutoMTLS bool `json:"enableAutoMtls"`
	// RootNamespace holds mesh-wide policies.
	RootNamespace string `json:"rootNamespace"`
	// TrustDomain is the first part of every workload identity.
	TrustDomain string `json:"trustDomain"`
	// TrustDomainAliases are trust domains treated as equal to TrustDomain.
	TrustDomainAliases []string `json:"trustDomainAliases,omitempty"`
	// ClusterDomain is the DNS suffix of service host names (the
	// injector's global.proxy.clusterDomain).
	ClusterDomain string `json:"clusterDomain,omitempty"`
	// DestinationRuleExportTo is defaultDestinationRuleExportTo: the
	// exportTo of a DestinationRule that sets none (empty: everywhere).
	DestinationRuleExportTo []string `json:"defaultDestinationRuleExportTo,omitempty"`
	// ServiceExportTo is defaultServiceExportTo: the exportTo of a Service
	// or ServiceEntry that sets none (empty: everywhere).
	ServiceExportTo []string `json:"defaultServiceExportTo,omitempty"`
	// VirtualServiceExportTo is defaultVirtualServiceExportTo.
	VirtualServiceExportTo []string `json:"defaultVirtualServiceExportTo,omitempty"`
	// OutboundPolicy is outboundTrafficPolicy.mode: ALLOW_ANY (traffic to
	// hosts a sidecar does not know passes through) or REGISTRY_ONLY
	// (it is blocked).
	OutboundPolicy string `json:"outboundTrafficPolicy"`
}

// DefaultMesh is the mesh config of a default install: auto mTLS on, root
// namespace, trust domain and cluster domain at their defaults.
func DefaultMesh(istioNamespace string) Mesh {
	if istioNamespace == "" {
		istioNamespace = "istio-system"
	}
	return Mesh{AutoMTLS: true, RootNamespace: istioNamespace, TrustDomain: mesh.DefaultTrustDomain, ClusterDomain: mesh.DefaultClusterDomain, OutboundPolicy: AllowAny}
}

// Workload is one set of identical pods: a Pod's owner, or a workload
// template when there are no pods.
type Workload struct {
	Name           string
	Namespace      string
	Kind           string
	Labels         map[string]string
	ServiceAccount string
	// Sidecar says whether the pods run an Istio proxy; SidecarReason says why.
	Sidecar       bool
	SidecarReason string
	// Gateway marks a gateway proxy (it originates mutual TLS like a sidecar
	// but has no inbound sidecar listeners).
	Gateway bool
	// IP is a pod IP when known.
	IP string
	// ContainerPorts maps container port names to numbers.
	ContainerPorts map[string]int32
	// Ports are the port numbers the containers declare (empty: none
	// declared, which says nothing about where the application listens).
	Ports []int32
	// EntryPorts are a WorkloadEntry's ports by the service port's name.
	EntryPorts map[string]int32
	Where      string
	// id is ID(), computed once when the snapshot is built.
	id string
}

// ID is NAME.NAMESPACE, the name used on the command line and in tables.
func (w *Workload) ID() string {
	if w.id != "" {
		return w.id
	}
	return w.Name + "." + w.Namespace
}

// Principal is the workload's identity without the spiffe:// scheme.
func (w *Workload) Principal(trustDomain string) string {
	return fmt.Sprintf("%s/ns/%s/sa/%s", trustDomain, w.Namespace, w.ServiceAccount)
}

// ServicePort is one port of a Service.
type ServicePort struct {
	Name       string
	Port       int32
	TargetPort intstr.IntOrString
	// Protocol is the port's protocol as Istio reads it (appProtocol, the
	// name's prefix, or a ServiceEntry's protocol); "" is not declared,
	// which the sidecar detects.
	Protocol string
}

// The kinds of destination.
const (
	KindService      = "Service"
	KindServiceEntry = "ServiceEntry"
	// KindHost is a host or IP address no registry knows.
	KindHost = "host"
)

// Service is a destination: a Kubernetes Service and the workloads it
// selects, one host of a ServiceEntry, or a host no registry knows.
type Service struct {
	Name      string
	Namespace string
	Selector  map[string]string
	Ports     []ServicePort
	Workloads []*Workload
	Where     string
	// Kind is KindService, KindServiceEntry or KindHost ("" is KindService).
	Kind string
	// Host is the name clients call when it is not the cluster name: the
	// ServiceEntry host or the external host.
	Host string
	// ExportTo is the networking.istio.io/exportTo annotation of a Service
	// or a ServiceEntry's exportTo (empty: the mesh default).
	ExportTo []string
	// External is a MESH_EXTERNAL ServiceEntry or an unregistered host: no
	// sidecar on the far side.
	External bool
	// Entry is NAMESPACE/NAME of the ServiceEntry.
	Entry string
	// domain is the cluster domain ("" is cluster.local).
	domain string
	// fqdn is FQDN() and id NAME.NAMESPACE, computed once when the
	// snapshot is built.
	fqdn, id string
}

// ID is NAME.NAMESPACE for a Kubernetes Service, the host otherwise.
func (s *Service) ID() string {
	if s.Host != "" {
		return s.Host
	}
	if s.id != "" {
		return s.id
	}
	return s.Name + "." + s.Namespace
}

// FQDN is the host name Envoy knows the destination by.
func (s *Service) FQDN() string {
	switch {
	case s.Host != "":
		return s.Host
	case s.fqdn != "":
		return s.fqdn
	}
	return mesh.FQDN(s.Name, s.Namespace, mesh.ClusterDomainOr(s.domain))
}

// registered says whether the destination is in Istio's service registry.
func (s *Service) registered() bool { return s.Kind != KindHost }

// Port returns the service port numbered p, or the first port when p is 0.
func (s *Service) Port(p int32) (ServicePort, bool) {
	for _, sp := range s.Ports {
		if p == 0 || sp.Port == p {
			return sp, true
		}
	}
	return ServicePort{}, false
}

// TargetPort resolves a service port to the workload's port number.
func (sp ServicePort) TargetPortOn(w *Workload) int32 {
	if n, ok := w.EntryPorts[sp.Name]; ok && sp.Name != "" {
		return n
	}
	switch {
	case sp.TargetPort.Type == intstr.String && sp.TargetPort.StrVal != "":
		if n, ok := w.ContainerPorts[sp.TargetPort.StrVal]; ok {
			return n
		}
		return sp.Port
	case sp.TargetPort.IntVal != 0:
		return sp.TargetPort.IntVal
	}
	return sp.Port
}

// Meta names a policy and says where it came from.
type Meta struct {
	Kind      string
	Name      string
	Namespace string
	Created   time.Time
	Where     string
	// ref is Ref, fixed by Build once the namespace is final: every matrix
	// cell names policies, and building the name each time cost 4 % of it.
	ref string
}

// Ref is NAMESPACE/NAME.
func (m Meta) Ref() string {
	if m.ref != "" {
		return m.ref
	}
	return m.Namespace + "/" + m.Name
}

// PeerAuthn is a PeerAuthentication (or an old MeshPolicy / Policy turned
// into one).
type PeerAuthn struct {
	Meta
	Spec *security.PeerAuthentication
}

// DestRule is a DestinationRule.
type DestRule struct {
	Meta
	Spec *networking.DestinationRule
}

// SidecarCfg is a Sidecar resource.
type SidecarCfg struct {
	Meta
	Spec *networking.Sidecar
}

// SvcEntry is a ServiceEntry.
type SvcEntry struct {
	Meta
	Spec *networking.ServiceEntry
}

// AuthzPolicy is an AuthorizationPolicy.
type AuthzPolicy struct {
	Meta
	Spec *security.AuthorizationPolicy
	// DryRun is the istio.io/dry-run annotation: the policy is logged, not enforced.
	DryRun bool
}

// ReqAuthn is a RequestAuthentication.
type ReqAuthn struct {
	Meta
	Spec *security.RequestAuthentication
}

// Snapshot is the whole model: everything the evaluator reads.
type Snapshot struct {
	Mesh            Mesh
	NamespaceLabels map[string]map[string]string
	Workloads       []*Workload
	Services        []*Service
	PeerAuthns      []*PeerAuthn
	DestRules       []*DestRule
	AuthzPolicies   []*AuthzPolicy
	ReqAuthns       []*ReqAuthn
	Sidecars        []*SidecarCfg
	ServiceEntries  []*SvcEntry
	VirtualServices []*VirtualSvc
	Gateways        []*GatewayCfg
	NetPolicies     []*NetPolicy

	// cache memoises lookups that depend only on the snapshot (policies
	// per workload, DestinationRule per client namespace and service).
	mu       sync.Mutex
	polCache map[*Workload][]*AuthzPolicy
	drCache  map[drKey]*DestRule
	// portCache says, per client and port, whether the client's sidecar
	// has a wildcard HTTP listener on the port.
	portCache map[portKey]bool
	// selCache holds NetworkPolicy selectors converted for matching;
	// sidecarCache the Sidecar of each workload (nil: none applies).
	selCache     map[*metav1.LabelSelector]labels.Selector
	sidecarCache map[*Workload]*SidecarCfg
	// isolationCache holds the NetworkPolicies isolating each workload.
	isolationCache map[isolationKey][]*NetPolicy
	// byHost maps each destination's FQDN to it (the first one).
	byHostOnce sync.Once
	byHost     map[string]*Service
	// vsByHost indexes VirtualServices (their positions) by exact host;
	// vsWildcard lists those with a wildcard host.
	vsIndexOnce sync.Once
	vsByHost    map[string][]int
	vsWildcard  []int
	// whereIndex maps kind and NAMESPACE/NAME to the object's file and
	// line, for explanations (built on first use).
	whereOnce  sync.Once
	whereIndex map[string]string
}

// memo returns (*m)[key], computing it on first use. mu guards the map
// only, not the computation, so that rows evaluated on several cores do not
// wait for each other (two may compute the same value; both are equal).
func memo[K comparable, V any](mu *sync.Mutex, m *map[K]V, key K, compute func() V) V {
	mu.Lock()
	v, ok := (*m)[key]
	mu.Unlock()
	if ok {
		return v
	}
	v = compute()
	mu.Lock()
	if *m == nil {
		*m = map[K]V{}
	}
	(*m)[key] = v
	mu.Unlock()
	return v
}

type portKey struct {
	w    *Workload
	port int32
}

type drKey struct {
	ns  string
	svc *Service
}

// Workload finds a workload by NAME.NAMESPACE, or by NAME in namespace ns.
func (s *Snapshot) Workload(ref, ns string) (*Workload, error) {
	name, namespace := splitRef(ref, ns)
	for _, w := range s.Workloads {
		if w.Name == name && w.Namespace == namespace {
			return w, nil
		}
	}
	return nil, fmt.Errorf("no workload %q in namespace %q (known: %s)", name, namespace, known(s.workloadIDs()))
}

// Service finds a service by NAME.NAMESPACE, or by NAME in namespace ns.
func (s *Snapshot) Service(ref, ns string) (*Service, error) {
	name, namespace := splitRef(ref, ns)
	for _, svc := range s.Services {
		if svc.Name == name && svc.Namespace == namespace {
			return svc, nil
		}
	}
	var ids []string
	for _, svc := range s.Services {
		ids = append(ids, svc.ID())
	}
	return nil, fmt.Errorf("no service %q in namespace %q (known: %s)", name, namespace, known(ids))
}

func (s *Snapshot) workloadIDs() []string {
	var ids []string
	for _, w := range s.Workloads {
		ids = append(ids, w.ID())
	}
	return ids
}

func known(ids []string) string {
	if len(ids) == 0 {
		return "none"
	}
	if len(ids) > 8 {
		return strings.Join(ids[:8], ", ") + ", ..."
	}
	return strings.Join(ids, ", ")
}

// splitRef reads NAME.NAMESPACE; a bare NAME takes ns ("default" if empty).
func splitRef(ref, ns string) (string, string) {
	if i := strings.Index(ref, "."); i >= 0 {
		return ref[:i], ref[i+1:]
	}
	if ns == "" {
		ns = "default"
	}
	return ref, ns
}

// selects reports whether a label selector (nil or empty: everything) matches labels.
func selects(sel map[string]string, labels map[string]string) bool {
	for k, v := range sel {
		if labels[k] != v {
			return false
		}
	}
	return true
}

func sortMeta[T interface{ meta() *Meta }](xs []T) {
	sort.SliceStable(xs, func(i, j int) bool {
		a, b := xs[i].meta(), xs[j].meta()
		if a.Namespace != b.Namespace {
			return a.Namespace < b.Namespace
		}
		return a.Name < b.Name
	})
	for _, x := range xs {
		m := x.meta()
		m.ref = m.Namespace + "/" + m.Name
	}
}

func (p *PeerAuthn) meta() *Meta   { return &p.Meta }
func (p *DestRule) meta() *Meta    { return &p.Meta }
func (p *AuthzPolicy) meta() *Meta { return &p.Meta }
func (p *ReqAuthn) meta() *Meta    { return &p.Meta }
func (p *SidecarCfg) meta() *Meta  { return &p.Meta }
func (p *SvcEntry) meta() *Meta    { return &p.Meta }

// itoa writes a port or count for texts built on every cell, where
// concatenation costs a fraction of fmt.Sprintf.
func itoa[T ~int32 | ~int](n T) string { return strconv.Itoa(int(n)) }
