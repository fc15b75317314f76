// Package iop is meshctl's model of Istio's IstioOperator
// (install.istio.io/v1alpha1): typed structs, strict decoding that names the
// unknown field and the file, overlay merging in istioctl's precedence, and
// the --set path syntax users type for istioctl.
package iop

// APIVersion and Kind of an IstioOperator document.
const (
	APIVersion = "install.istio.io/v1alpha1"
	Kind       = "IstioOperator"
)

// IstioOperator is the install configuration: a profile plus overrides.
type IstioOperator struct {
	APIVersion string   `json:"apiVersion,omitempty"`
	Kind       string   `json:"kind,omitempty"`
	Metadata   Metadata `json:"metadata,omitempty"`
	Spec       Spec     `json:"spec,omitempty"`
}

// Metadata is the part of Kubernetes object metadata an IstioOperator uses.
type Metadata struct {
	Name        string            `json:"name,omitempty"`
	Namespace   string            `json:"namespace,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// Spec is what to install.
type Spec struct {
	// Profile is the built-in profile the spec is an overlay on.
	Profile string `json:"profile,omitempty"`
	// Hub and Tag are the image registry and tag of every component.
	Hub string `json:"hub,omitempty"`
	Tag string `json:"tag,omitempty"`
	// Namespace is the control plane namespace.
	Namespace string `json:"namespace,omitempty"`
	// Revision names a side-by-side control plane ("" is the default one).
	Revision string `json:"revision,omitempty"`
	// MeshConfig is Istio's mesh config (istio.io/api mesh.v1alpha1.MeshConfig).
	MeshConfig map[string]any `json:"meshConfig,omitempty"`
	// Components enables and tunes each component.
	Components *Components `json:"components,omitempty"`
	// Values are the chart values, in Istio's values schema.
	Values map[string]any `json:"values,omitempty"`
	// UnvalidatedValues are passed to the charts without schema checks.
	UnvalidatedValues map[string]any `json:"unvalidatedValues,omitempty"`
}

// Components of an install.
type Components struct {
	Base            *Component         `json:"base,omitempty"`
	Pilot           *Component         `json:"pilot,omitempty"`
	Cni             *Component         `json:"cni,omitempty"`
	Ztunnel         *Component         `json:"ztunnel,omitempty"`
	IngressGateways []GatewayComponent `json:"ingressGateways,omitempty"`
	EgressGateways  []GatewayComponent `json:"egressGateways,omitempty"`
}

// Component is one of the fixed components (base, pilot, cni, ztunnel).
type Component struct {
	Enabled   *bool    `json:"enabled,omitempty"`
	Namespace string   `json:"namespace,omitempty"`
	Hub       string   `json:"hub,omitempty"`
	Tag       string   `json:"tag,omitempty"`
	K8s       *K8sSpec `json:"k8s,omitempty"`
}

// IsEnabled reports whether c is present and enabled.
func (c *Component) IsEnabled() bool { return c != nil && c.Enabled != nil && *c.Enabled }

// GatewayComponent is one ingress or egress gateway.
type GatewayComponent struct {
	Name      string            `json:"name,omitempty"`
	Enabled   *bool             `json:"enabled,omitempty"`
	Namespace string            `json:"namespace,omitempty"`
	Label     map[string]string `json:"label,omitempty"`
	Hub       string            `json:"hub,omitempty"`
	Tag       string            `json:"tag,omitempty"`
	K8s       *K8sSpec          `json:"k8s,omitempty"`
}

// IsEnabled reports whether the gateway is enabled.
func (g GatewayComponent) IsEnabled() bool { return g.Enabled != nil && *g.Enabled }

// K8sSpec is the subset of Istio's KubernetesResourceSpec that meshctl
// supports: settings of the component's Deployment, Service and HPA.
type K8sSpec struct {
	Resources          map[string]any    `json:"resources,omitempty"`
	ReplicaCount       *int64            `json:"replicaCount,omitempty"`
	Env                []EnvVar          `json:"env,omitempty"`
	NodeSelector       map[string]string `json:"nodeSelector,omitempty"`
	Tolerations        []map[string]any  `json:"tolerations,omitempty"`
	Affinity           map[string]any    `json:"affinity,omitempty"`
	PodAnnotations     map[string]string `json:"podAnnotations,omitempty"`
	ServiceAnnotations map[string]string `json:"serviceAnnotations,omitempty"`
	HpaSpec            *HPASpec          `json:"hpaSpec,omitempty"`
	Service            *ServiceSpec      `json:"service,omitempty"`
}

// EnvVar is a plain environment variable.
type EnvVar struct {
	Name  string `json:"name"`
	Value string `json:"value,omitempty"`
}

// HPASpec bounds the HorizontalPodAutoscaler.
type HPASpec struct {
	MinReplicas *int64 `json:"minReplicas,omitempty"`
	MaxReplicas *int64 `json:"maxReplicas,omitempty"`
}

// ServiceSpec overrides the gateway Service.
type ServiceSpec struct {
	Type  string           `json:"type,omitempty"`
	Ports []map[string]any `json:"ports,omitempty"`
}
