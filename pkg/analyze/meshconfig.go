package analyze

import (
	"fmt"

	"google.golang.org/protobuf/encoding/protojson"
	meshconfig "istio.io/api/mesh/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/meshctl/meshctl/pkg/mesh"
)

// ParseMeshConfig reads mesh config YAML: either a MeshConfig document
// (what istioctl's --meshConfigFile takes) or the istio ConfigMap whose
// data.mesh holds it. Unknown fields are ignored, as newer Istio releases
// add fields.
func ParseMeshConfig(b []byte) (*meshconfig.MeshConfig, error) {
	var probe map[string]any
	if err := yaml.Unmarshal(b, &probe); err != nil {
		return nil, fmt.Errorf("parsing mesh config: %w", err)
	}
	if k, _ := probe["kind"].(string); k == "ConfigMap" {
		data, _ := probe["data"].(map[string]any)
		text, _ := data["mesh"].(string)
		b = []byte(text)
	}
	js, err := yaml.YAMLToJSON(b)
	if err != nil {
		return nil, fmt.Errorf("parsing mesh config: %w", err)
	}
	mc := &meshconfig.MeshConfig{}
	if string(js) == "null" {
		return mc, nil
	}
	if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(js, mc); err != nil {
		return nil, fmt.Errorf("parsing mesh config: %w", err)
	}
	return mc, nil
}

// meshConfigFromSnapshot reads the istio ConfigMap of the control plane
// namespace, if the inputs hold it.
func meshConfigFromResources(rs []*Resource, istioNamespace string) *meshconfig.MeshConfig {
	for _, r := range rs {
		if r.Kind != KindConfigMap || r.Namespace != istioNamespace || r.Name != "istio" {
			continue
		}
		cm, ok := r.Spec.(*corev1.ConfigMap)
		if !ok || cm.Data["mesh"] == "" {
			continue
		}
		if mc, err := ParseMeshConfig([]byte(cm.Data["mesh"])); err == nil {
			return mc
		}
	}
	return nil
}

// injectorClusterDomain reads global.proxy.clusterDomain from the sidecar
// injector's values, if the snapshot holds that ConfigMap.
func injectorClusterDomain(s *Snapshot, istioNamespace string) string {
	r := s.Get(KindConfigMap, istioNamespace, "istio-sidecar-injector")
	if r == nil {
		return ""
	}
	cm, ok := r.Spec.(*corev1.ConfigMap)
	if !ok {
		return ""
	}
	return mesh.InjectorClusterDomain(cm.Data["values"])
}
