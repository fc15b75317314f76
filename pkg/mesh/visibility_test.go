package mesh

import (
	"strings"
	"testing"

	meshconfig "istio.io/api/mesh/v1alpha1"
)

// An object without exportTo gets the mesh config's default for its kind;
// "." in a default means the object's own namespace.
func TestExportDefaultsApplyToObjectsWithoutExportTo(t *testing.T) {
	mc := &meshconfig.MeshConfig{
		DefaultServiceExportTo:         []string{"."},
		DefaultVirtualServiceExportTo:  []string{"istio-system", "."},
		DefaultDestinationRuleExportTo: []string{"~"},
	}
	d := ExportDefaultsOf(mc)
	if ExportedTo(Or(nil, d.Service), "foo", "bar") || !ExportedTo(Or(nil, d.Service), "foo", "foo") {
		t.Error("a service without exportTo must follow defaultServiceExportTo [.]")
	}
	if !ExportedTo(Or(nil, d.VirtualService), "foo", "istio-system") || ExportedTo(Or(nil, d.VirtualService), "foo", "bar") {
		t.Error("a VirtualService without exportTo must follow defaultVirtualServiceExportTo")
	}
	if ExportedTo(Or(nil, d.DestinationRule), "foo", "foo") {
		t.Error("a DestinationRule default of ~ hides it from every namespace")
	}
	// An explicit list wins over the default.
	if !ExportedTo(Or([]string{"*"}, d.Service), "foo", "bar") {
		t.Error("an explicit exportTo must win over the default")
	}
	// No mesh config: everywhere.
	if none := ExportDefaultsOf(nil); !ExportedTo(Or(nil, none.DestinationRule), "foo", "bar") {
		t.Error("without defaults an object is exported everywhere")
	}
	if got := NormalizeExportTo(Or(nil, d.VirtualService), "foo"); strings.Join(got, ",") != "istio-system,foo" {
		t.Errorf("normalized default %v", got)
	}
}
