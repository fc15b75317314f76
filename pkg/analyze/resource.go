package analyze

import (
	"google.golang.org/protobuf/proto"
	extensions "istio.io/api/extensions/v1alpha1"
	networking "istio.io/api/networking/v1alpha3"
	networkingbeta "istio.io/api/networking/v1beta1"
	security "istio.io/api/security/v1beta1"
	telemetry "istio.io/api/telemetry/v1alpha1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
)

// Resource is one decoded object of the snapshot. Analyzers read it and
// never change it.
type Resource struct {
	Group, Version, Kind string
	Namespace, Name      string
	Labels, Annotations  map[string]string

	// File, Index and Line say where a file resource came from (the
	// document's first line); File is "" for live resources.
	File  string
	Index int
	Line  int
	// Raw is the document's bytes, kept for file resources so that a
	// finding can point at the line of the offending field.
	Raw []byte

	// Spec is the decoded object: for Istio kinds the istio.io/api message
	// (*v1alpha3.VirtualService, ...); for Kubernetes kinds the typed
	// object (*corev1.Service, *appsv1.Deployment, ...); for removed APIs
	// the object as a generic map.
	Spec any

	// FieldErrors are the schema problems found while decoding.
	FieldErrors []FieldError

	// AllocatedAddresses is true for a ServiceEntry whose status holds
	// addresses the control plane allocated.
	AllocatedAddresses bool
}

// Ref names the resource for messages.
func (r *Resource) Ref() Ref { return Ref{Kind: r.Kind, Namespace: r.Namespace, Name: r.Name} }

// APIVersion is "group/version" or "version".
func (r *Resource) APIVersion() string {
	if r.Group == "" {
		return r.Version
	}
	return r.Group + "/" + r.Version
}

func (r *Resource) key() string { return r.Kind + "/" + r.Namespace + "/" + r.Name }

// Kinds the analyzers understand, by kind name. Kubernetes Gateway API kinds
// share names with Istio's (Gateway): those are told apart by group.
const (
	KindNamespace   = "Namespace"
	KindService     = "Service"
	KindPod         = "Pod"
	KindConfigMap   = "ConfigMap"
	KindSecret      = "Secret"
	KindDeployment  = "Deployment"
	KindStatefulSet = "StatefulSet"
	KindDaemonSet   = "DaemonSet"

	KindVirtualService        = "VirtualService"
	KindDestinationRule       = "DestinationRule"
	KindGateway               = "Gateway"
	KindServiceEntry          = "ServiceEntry"
	KindSidecar               = "Sidecar"
	KindWorkloadEntry         = "WorkloadEntry"
	KindWorkloadGroup         = "WorkloadGroup"
	KindEnvoyFilter           = "EnvoyFilter"
	KindProxyConfig           = "ProxyConfig"
	KindAuthorizationPolicy   = "AuthorizationPolicy"
	KindPeerAuthentication    = "PeerAuthentication"
	KindRequestAuthentication = "RequestAuthentication"
	KindTelemetry             = "Telemetry"
	KindWasmPlugin            = "WasmPlugin"

	// Removed APIs that old posts still show.
	KindMeshPolicy         = "MeshPolicy"
	KindPolicy             = "Policy"
	KindServiceRole        = "ServiceRole"
	KindServiceRoleBinding = "ServiceRoleBinding"
	KindRbacConfig         = "RbacConfig"
	KindClusterRbacConfig  = "ClusterRbacConfig"
)

// KindInfo describes a kind meshctl decodes.
type KindInfo struct {
	Group, Kind string
	// Resource is the plural resource name, for live reads and RBAC messages.
	Resource string
	// Versions are the served versions, preferred first.
	Versions   []string
	Namespaced bool
	// Removed is true for APIs Istio no longer serves.
	Removed bool
	// MetadataOnly kinds keep only their metadata (Secrets: their data is
	// never decoded or kept).
	MetadataOnly bool

	newSpec func() proto.Message
	newObj  func() any
}

var (
	istioNetVersions = []string{"v1", "v1beta1", "v1alpha3"}
	istioSecVersions = []string{"v1", "v1beta1"}
)

var kinds = []*KindInfo{
	{Group: "", Kind: KindNamespace, Resource: "namespaces", Versions: []string{"v1"}, newObj: func() any { return &corev1.Namespace{} }},
	{Group: "", Kind: KindService, Resource: "services", Versions: []string{"v1"}, Namespaced: true, newObj: func() any { return &corev1.Service{} }},
	{Group: "", Kind: KindPod, Resource: "pods", Versions: []string{"v1"}, Namespaced: true, newObj: func() any { return &corev1.Pod{} }},
	{Group: "", Kind: KindSecret, Resource: "secrets", Versions: []string{"v1"}, Namespaced: true, MetadataOnly: true},
	{Group: "", Kind: KindConfigMap, Resource: "configmaps", Versions: []string{"v1"}, Namespaced: true, newObj: func() any { return &corev1.ConfigMap{} }},
	{Group: "apps", Kind: KindDeployment, Resource: "deployments", Versions: []string{"v1"}, Namespaced: true, newObj: func() any { return &appsv1.Deployment{} }},
	{Group: "apps", Kind: KindStatefulSet, Resource: "statefulsets", Versions: []string{"v1"}, Namespaced: true, newObj: func() any { return &appsv1.StatefulSet{} }},
	{Group: "apps", Kind: KindDaemonSet, Resource: "daemonsets", Versions: []string{"v1"}, Namespaced: true, newObj: func() any { return &appsv1.DaemonSet{} }},

	{Group: "networking.istio.io", Kind: KindVirtualService, Resource: "virtualservices", Versions: istioNetVersions, Namespaced: true, newSpec: func() proto.Message { return &networking.VirtualService{} }},
	{Group: "networking.istio.io", Kind: KindDestinationRule, Resource: "destinationrules", Versions: istioNetVersions, Namespaced: true, newSpec: func() proto.Message { return &networking.DestinationRule{} }},
	{Group: "networking.istio.io", Kind: KindGateway, Resource: "gateways", Versions: istioNetVersions, Namespaced: true, newSpec: func() proto.Message { return &networking.Gateway{} }},
	{Group: "networking.istio.io", Kind: KindServiceEntry, Resource: "serviceentries", Versions: istioNetVersions, Namespaced: true, newSpec: func() proto.Message { return &networking.ServiceEntry{} }},
	{Group: "networking.istio.io", Kind: KindSidecar, Resource: "sidecars", Versions: istioNetVersions, Namespaced: true, newSpec: func() proto.Message { return &networking.Sidecar{} }},
	{Group: "networking.istio.io", Kind: KindWorkloadEntry, Resource: "workloadentries", Versions: istioNetVersions, Namespaced: true, newSpec: func() proto.Message { return &networking.WorkloadEntry{} }},
	{Group: "networking.istio.io", Kind: KindWorkloadGroup, Resource: "workloadgroups", Versions: istioNetVersions, Namespaced: true, newSpec: func() proto.Message { return &networking.WorkloadGroup{} }},
	{Group: "networking.istio.io", Kind: KindEnvoyFilter, Resource: "envoyfilters", Versions: []string{"v1alpha3"}, Namespaced: true, newSpec: func() proto.Message { return &networking.EnvoyFilter{} }},
	{Group: "networking.istio.io", Kind: KindProxyConfig, Resource: "proxyconfigs", Versions: []string{"v1beta1"}, Namespaced: true, newSpec: func() proto.Message { return &networkingbeta.ProxyConfig{} }},
	{Group: "security.istio.io", Kind: KindAuthorizationPolicy, Resource: "authorizationpolicies", Versions: istioSecVersions, Namespaced: true, newSpec: func() proto.Message { return &security.AuthorizationPolicy{} }},
	{Group: "security.istio.io", Kind: KindPeerAuthentication, Resource: "peerauthentications", Versions: istioSecVersions, Namespaced: true, newSpec: func() proto.Message { return &security.PeerAuthentication{} }},
	{Group: "security.istio.io", Kind: KindRequestAuthentication, Resource: "requestauthentications", Versions: istioSecVersions, Namespaced: true, newSpec: func() proto.Message { return &security.RequestAuthentication{} }},
	{Group: "telemetry.istio.io", Kind: KindTelemetry, Resource: "telemetries", Versions: []string{"v1", "v1alpha1"}, Namespaced: true, newSpec: func() proto.Message { return &telemetry.Telemetry{} }},
	{Group: "extensions.istio.io", Kind: KindWasmPlugin, Resource: "wasmplugins", Versions: []string{"v1alpha1"}, Namespaced: true, newSpec: func() proto.Message { return &extensions.WasmPlugin{} }},

	{Group: "authentication.istio.io", Kind: KindMeshPolicy, Resource: "meshpolicies", Versions: []string{"v1alpha1"}, Removed: true},
	{Group: "authentication.istio.io", Kind: KindPolicy, Resource: "policies", Versions: []string{"v1alpha1"}, Namespaced: true, Removed: true},
	{Group: "rbac.istio.io", Kind: KindServiceRole, Resource: "serviceroles", Versions: []string{"v1alpha1"}, Namespaced: true, Removed: true},
	{Group: "rbac.istio.io", Kind: KindServiceRoleBinding, Resource: "servicerolebindings", Versions: []string{"v1alpha1"}, Namespaced: true, Removed: true},
	{Group: "rbac.istio.io", Kind: KindRbacConfig, Resource: "rbacconfigs", Versions: []string{"v1alpha1"}, Removed: true},
	{Group: "rbac.istio.io", Kind: KindClusterRbacConfig, Resource: "clusterrbacconfigs", Versions: []string{"v1alpha1"}, Removed: true},
}

var kindsByGK = func() map[[2]string]*KindInfo {
	m := map[[2]string]*KindInfo{}
	for _, k := range kinds {
		m[[2]string{k.Group, k.Kind}] = k
	}
	return m
}()

var kindsByName = func() map[string]*KindInfo {
	m := map[string]*KindInfo{}
	for _, k := range kinds {
		m[k.Kind] = k
	}
	return m
}()

// LookupKind finds a kind by its name.
func LookupKind(kind string) (*KindInfo, bool) {
	k, ok := kindsByName[kind]
	return k, ok
}

// Kinds lists the kinds meshctl decodes.
func Kinds() []*KindInfo { return append([]*KindInfo(nil), kinds...) }
