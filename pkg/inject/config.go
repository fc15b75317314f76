package inject

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"text/template"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"
	meshconfig "istio.io/api/mesh/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/meshctl/meshctl/pkg/install/manifest"
)

// Names of the ConfigMaps and keys the injection configuration lives in.
const (
	InjectorConfigMap = "istio-sidecar-injector"
	MeshConfigMap     = "istio"
	ConfigKey         = "config"
	ValuesKey         = "values"
	MeshKey           = "mesh"
)

// InjectorConfig is the "config" entry of the istio-sidecar-injector
// ConfigMap.
type InjectorConfig struct {
	Policy              string            `json:"policy,omitempty"`
	Templates           map[string]string `json:"templates,omitempty"`
	DefaultTemplates    []string          `json:"defaultTemplates,omitempty"`
	InjectedAnnotations map[string]string `json:"injectedAnnotations,omitempty"`
	// AlwaysInjectSelector and NeverInjectSelector matter to the webhook
	// only; kube-inject injects what it is given.
	AlwaysInjectSelector []metav1.LabelSelector `json:"alwaysInjectSelector,omitempty"`
	NeverInjectSelector  []metav1.LabelSelector `json:"neverInjectSelector,omitempty"`
	// Template is the single template of older installs.
	Template string `json:"template,omitempty"`
}

// Config is everything injection needs.
type Config struct {
	Injector InjectorConfig
	// NativeAuto is what istiod's default ENABLE_NATIVE_SIDECARS=auto
	// resolves to when the values set no explicit true or false: false
	// offline, as istioctl kube-inject has it; with a cluster at hand, what
	// NativeSidecarsSupported says of its nodes, as istiod decides.
	NativeAuto bool
	// Values are the chart values as the injector ConfigMap holds them.
	Values map[string]any
	Mesh   *meshconfig.MeshConfig
}

// ConfigMapData returns the entry key of data: data is either the raw entry
// (what `kubectl get cm -o jsonpath` prints) or a whole ConfigMap document
// (what `kubectl get cm -o yaml` prints).
func ConfigMapData(data []byte, key string) ([]byte, error) {
	var cm struct {
		Kind string            `json:"kind"`
		Data map[string]string `json:"data"`
	}
	if err := yaml.Unmarshal(data, &cm); err == nil && cm.Kind == "ConfigMap" {
		v, ok := cm.Data[key]
		if !ok {
			return nil, fmt.Errorf("configmap has no data key %q", key)
		}
		return []byte(v), nil
	}
	return data, nil
}

// ParseInjectorConfig reads the injector's "config" entry (or its ConfigMap).
func ParseInjectorConfig(data []byte) (InjectorConfig, error) {
	var c InjectorConfig
	raw, err := ConfigMapData(data, ConfigKey)
	if err != nil {
		return c, err
	}
	if err := yaml.UnmarshalStrict(raw, &c); err != nil {
		return c, fmt.Errorf("parsing injector config: %w", err)
	}
	if c.Template != "" {
		if c.Templates == nil {
			c.Templates = map[string]string{}
		}
		if _, ok := c.Templates["sidecar"]; !ok {
			c.Templates["sidecar"] = c.Template
		}
	}
	if len(c.Templates) == 0 {
		return c, fmt.Errorf("injector config has no templates")
	}
	if len(c.DefaultTemplates) == 0 {
		c.DefaultTemplates = []string{"sidecar"}
	}
	for _, n := range c.DefaultTemplates {
		if _, ok := c.Templates[n]; !ok {
			return c, fmt.Errorf("injector config: default template %q is not defined", n)
		}
	}
	return c, nil
}

// ParseValues reads the injector's "values" entry (JSON, or its ConfigMap).
func ParseValues(data []byte) (map[string]any, error) {
	raw, err := ConfigMapData(data, ValuesKey)
	if err != nil {
		return nil, err
	}
	v := map[string]any{}
	if err := yaml.Unmarshal(raw, &v); err != nil {
		return nil, fmt.Errorf("parsing injector values: %w", err)
	}
	return v, nil
}

// ParseMesh reads the mesh config (the "mesh" entry of ConfigMap istio, or
// the ConfigMap), over the defaults.
func ParseMesh(data []byte) (*meshconfig.MeshConfig, error) {
	raw, err := ConfigMapData(data, MeshKey)
	if err != nil {
		return nil, err
	}
	m := DefaultMeshConfig()
	js, err := yaml.YAMLToJSON(raw)
	if err != nil {
		return nil, fmt.Errorf("parsing mesh config: %w", err)
	}
	if string(js) == "null" {
		return m, nil
	}
	parsed := &meshconfig.MeshConfig{}
	if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(js, parsed); err != nil {
		return nil, fmt.Errorf("parsing mesh config: %w", err)
	}
	proto.Merge(m, parsed)
	return m, nil
}

// DefaultProxyConfig is the proxy configuration Istio uses when the mesh
// config sets nothing.
func DefaultProxyConfig() *meshconfig.ProxyConfig {
	return &meshconfig.ProxyConfig{
		ConfigPath:               "./etc/istio/proxy",
		ClusterName:              &meshconfig.ProxyConfig_ServiceCluster{ServiceCluster: "istio-proxy"},
		DrainDuration:            durationpb.New(45e9),
		TerminationDrainDuration: durationpb.New(5e9),
		ProxyAdminPort:           15000,
		ControlPlaneAuthPolicy:   meshconfig.AuthenticationPolicy_MUTUAL_TLS,
		DiscoveryAddress:         "istiod.istio-system.svc:15012",
		Tracing: &meshconfig.Tracing{Tracer: &meshconfig.Tracing_Zipkin_{
			Zipkin: &meshconfig.Tracing_Zipkin{Address: "zipkin.istio-system:9411"},
		}},
		StatNameLength: 189,
		StatusPort:     15020,
		BinaryPath:     "/usr/local/bin/envoy",
	}
}

// DefaultMeshConfig is the mesh config Istio uses when none is given.
func DefaultMeshConfig() *meshconfig.MeshConfig {
	return &meshconfig.MeshConfig{
		DefaultConfig:          DefaultProxyConfig(),
		TrustDomain:            "cluster.local",
		RootNamespace:          "istio-system",
		EnablePrometheusMerge:  wrapperspb.Bool(true),
		ProxyListenPort:        15001,
		ProxyInboundListenPort: 15006,
	}
}

// parsedConfig is a Config made ready for use.
type parsedConfig struct {
	Config
	templates []*template.Template
	// byName holds every template of the injector config, for pods that
	// choose theirs with inject.istio.io/templates; a template that does
	// not parse keeps its error, reported when a pod selects it.
	byName    map[string]*template.Template
	parseErrs map[string]error
	revision  string
	rewrite   bool
	values    *valueCache
}

func prepare(c Config) (*parsedConfig, error) {
	if c.Mesh == nil {
		c.Mesh = DefaultMeshConfig()
	}
	if c.Mesh.DefaultConfig == nil {
		c.Mesh.DefaultConfig = DefaultProxyConfig()
	}
	if c.Values == nil {
		c.Values = map[string]any{}
	}
	p := &parsedConfig{Config: c, rewrite: true, values: newValueCache(),
		byName: map[string]*template.Template{}, parseErrs: map[string]error{}}
	if len(c.Injector.DefaultTemplates) == 0 {
		c.Injector.DefaultTemplates = []string{"sidecar"}
	}
	fm := funcMapFor(c.Mesh.DefaultConfig)
	for n, text := range c.Injector.Templates {
		t, err := template.New(n).Funcs(fm).Parse(text)
		if err != nil {
			p.parseErrs[n] = fmt.Errorf("parsing injection template %q: %w", n, err)
			continue
		}
		p.byName[n] = t
	}
	for _, n := range c.Injector.DefaultTemplates {
		if _, ok := c.Injector.Templates[n]; !ok {
			return nil, fmt.Errorf("injection template %q is not defined", n)
		}
		if err := p.parseErrs[n]; err != nil {
			return nil, err
		}
		p.templates = append(p.templates, p.byName[n])
	}
	if r, ok := c.Values["revision"].(string); ok {
		p.revision = r
	}
	if w, ok := lookup(c.Values, "sidecarInjectorWebhook", "rewriteAppHTTPProbe").(bool); ok {
		p.rewrite = w
	}
	return p, nil
}

// templatesFor returns the templates a pod is injected with: those its
// inject.istio.io/templates annotation names (comma-separated, in order),
// else the default templates.
func (c *parsedConfig) templatesFor(pod *corev1.Pod) ([]*template.Template, error) {
	a, ok := pod.Annotations[annTemplates]
	if !ok {
		return c.templates, nil
	}
	var out []*template.Template
	for _, n := range templateNames(a) {
		t, ok := c.byName[n]
		if !ok {
			if err := c.parseErrs[n]; err != nil {
				return nil, err
			}
			have := make([]string, 0, len(c.Injector.Templates))
			for k := range c.Injector.Templates {
				have = append(have, k)
			}
			sort.Strings(have)
			return nil, fmt.Errorf("annotation %s: injection template %q is not defined (have %s)", annTemplates, n, strings.Join(have, ", "))
		}
		out = append(out, t)
	}
	return out, nil
}

// templateNames splits an inject.istio.io/templates value as Istio does.
func templateNames(a string) []string {
	var out []string
	for _, n := range strings.Split(a, ",") {
		out = append(out, strings.TrimSpace(n))
	}
	return out
}

func lookup(m map[string]any, path ...string) any {
	var cur any = m
	for _, k := range path {
		mm, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = mm[k]
	}
	return cur
}

// FromConfigMapData builds a Config from the data of the injector ConfigMap
// (keys "config" and "values") and of the mesh ConfigMap (key "mesh").
func FromConfigMapData(injector, mesh map[string]string) (Config, error) {
	var c Config
	var err error
	if c.Injector, err = ParseInjectorConfig([]byte(injector[ConfigKey])); err != nil {
		return c, fmt.Errorf("configmap %s: %w", InjectorConfigMap, err)
	}
	if c.Values, err = ParseValues([]byte(injector[ValuesKey])); err != nil {
		return c, fmt.Errorf("configmap %s: %w", InjectorConfigMap, err)
	}
	if c.Mesh, err = ParseMesh([]byte(mesh[MeshKey])); err != nil {
		return c, fmt.Errorf("configmap %s: %w", MeshConfigMap, err)
	}
	return c, nil
}

// FromManifest finds the injector and mesh ConfigMaps of a rendered install
// (names may carry a revision suffix) and builds a Config from them.
func FromManifest(m *manifest.Manifest) (Config, error) {
	suffix := ""
	if m.Revision != "" && m.Revision != manifest.DefaultRevision {
		suffix = "-" + m.Revision
	}
	var inj, mesh map[string]string
	for _, o := range m.Objects {
		u := o.Object
		if u.GetKind() != "ConfigMap" {
			continue
		}
		data, _, _ := unstructured.NestedStringMap(u.Object, "data")
		switch u.GetName() {
		case InjectorConfigMap + suffix:
			inj = data
		case MeshConfigMap + suffix:
			mesh = data
		}
	}
	if inj == nil {
		return Config{}, fmt.Errorf("the rendered install has no ConfigMap %s%s (is the istiod component enabled?)", InjectorConfigMap, suffix)
	}
	if mesh == nil {
		mesh = map[string]string{}
	}
	return FromConfigMapData(inj, mesh)
}

// NativeSidecarsSupported is istiod's rule for ENABLE_NATIVE_SIDECARS=auto:
// native sidecars when every node's kubelet is 1.33 or newer (where they are
// stable), so a cluster with no nodes at all gets them too. A version that
// does not parse counts as too old.
func NativeSidecarsSupported(kubeletVersions []string) bool {
	for _, v := range kubeletVersions {
		parts := strings.SplitN(strings.TrimPrefix(v, "v"), ".", 3)
		if len(parts) < 2 {
			return false
		}
		minor, err := strconv.Atoi(strings.TrimRightFunc(parts[1], func(r rune) bool { return r < '0' || r > '9' }))
		if err != nil || parts[0] != "1" || minor < 33 {
			return false
		}
	}
	return true
}
