package render

import (
	"fmt"
	"strings"

	"github.com/meshctl/meshctl/pkg/install/helmrender"
	"github.com/meshctl/meshctl/pkg/install/manifest"
)

// InjectionData is what sidecar injection needs from an install, in the
// formats of the control plane's ConfigMaps: kube-inject reads the same
// text that istiod would.
type InjectionData struct {
	// Config is the istio-sidecar-injector ConfigMap's "config": policy,
	// selectors, injected annotations, default templates and the templates.
	Config string
	// Values is the istio-sidecar-injector ConfigMap's "values" (JSON).
	Values string
	// Mesh is the istio ConfigMap's "mesh" (mesh config YAML).
	Mesh string
	// Revision is the control plane revision ("" for the default one).
	Revision string
}

// InjectionData renders the control plane's chart alone (even when the
// pilot component is disabled) and returns its injection ConfigMaps' data.
func (m *Merged) InjectionData() (*InjectionData, error) {
	values := m.chartValues()
	c, err := loadChart("istiod")
	if err != nil {
		return nil, err
	}
	docs, err := c.Render(helmrender.Release{Name: "istiod", Namespace: m.Namespace()}, values)
	if err != nil {
		return nil, fmt.Errorf("rendering component %s: %w", manifest.Pilot, err)
	}
	suffix := ""
	if r := m.IOP.Spec.Revision; r != "" {
		suffix = "-" + r
	}
	out := &InjectionData{Revision: m.IOP.Spec.Revision}
	for _, d := range docs {
		if !strings.Contains(d.Template, "configmap") {
			continue
		}
		objs, err := parseObjects(d)
		if err != nil {
			return nil, err
		}
		for _, u := range objs {
			if u.GetKind() != "ConfigMap" {
				continue
			}
			data, _ := u.Object["data"].(map[string]any)
			switch u.GetName() {
			case "istio-sidecar-injector" + suffix:
				out.Config, _ = data["config"].(string)
				out.Values, _ = data["values"].(string)
			case "istio" + suffix:
				out.Mesh, _ = data["mesh"].(string)
			}
		}
	}
	if out.Config == "" || out.Values == "" || out.Mesh == "" {
		return nil, fmt.Errorf("the istiod chart rendered no injector or mesh ConfigMap")
	}
	return out, nil
}
