package mesh

import (
	"strings"

	meshconfig "istio.io/api/mesh/v1alpha1"
)

// The special values of an exportTo list.
const (
	// ExportPrivate is the object's own namespace.
	ExportPrivate = "."
	// ExportPublic is every namespace.
	ExportPublic = "*"
	// ExportNone is no namespace (services only).
	ExportNone = "~"
)

// NormalizeExportTo resolves an exportTo list of an object in namespace
// ns: "." becomes ns, blanks around entries are dropped, and an empty list
// becomes ["*"] (exported everywhere, Istio's default).
func NormalizeExportTo(exportTo []string, ns string) []string {
	if len(exportTo) == 0 {
		return []string{ExportPublic}
	}
	out := make([]string, 0, len(exportTo))
	for _, e := range exportTo {
		e = strings.TrimSpace(e)
		if e == ExportPrivate {
			e = ns
		}
		out = append(out, e)
	}
	return out
}

// Visible reports whether namespace ns sees an object whose normalized
// exportTo list is exportTo. "~" is seen by nobody.
func Visible(exportTo []string, ns string) bool {
	for _, e := range exportTo {
		if e == ExportPublic || (e == ns && e != ExportNone) {
			return true
		}
	}
	return false
}

// ExportedTo reports whether namespace ns sees an object of namespace own
// with the (not normalized) list exportTo: Visible(NormalizeExportTo(...)),
// without building the list.
func ExportedTo(exportTo []string, own, ns string) bool {
	if len(exportTo) == 0 {
		return true
	}
	for _, e := range exportTo {
		e = strings.TrimSpace(e)
		if e == ExportPrivate {
			e = own
		}
		if e == ExportPublic || (e == ns && e != ExportNone) {
			return true
		}
	}
	return false
}

// ExportsOverlap reports whether some namespace sees both objects whose
// normalized exportTo lists are a and b.
func ExportsOverlap(a, b []string) bool {
	for _, x := range a {
		if x == ExportNone {
			continue
		}
		for _, y := range b {
			if y != ExportNone && (x == ExportPublic || y == ExportPublic || x == y) {
				return true
			}
		}
	}
	return false
}

// NamedViewers lists the namespaces an object of namespace ns is known to
// be seen from: its own, then those its exportTo list names explicitly
// ("*", "." and "~" name none), in order and without repeats of ns.
func NamedViewers(ns string, exportTo []string) []string {
	out := []string{ns}
	for _, e := range exportTo {
		if e != ExportPublic && e != ExportPrivate && e != ExportNone && e != ns {
			out = append(out, e)
		}
	}
	return out
}

// ExportDefaults are the mesh config's exportTo lists for objects that set
// none (defaultServiceExportTo, defaultVirtualServiceExportTo and
// defaultDestinationRuleExportTo). An empty list means every namespace.
// Services and ServiceEntries share the service default.
type ExportDefaults struct {
	Service, VirtualService, DestinationRule []string
}

// ExportDefaultsOf reads the defaults from a mesh config (nil: none).
func ExportDefaultsOf(mc *meshconfig.MeshConfig) ExportDefaults {
	return ExportDefaults{
		Service:         mc.GetDefaultServiceExportTo(),
		VirtualService:  mc.GetDefaultVirtualServiceExportTo(),
		DestinationRule: mc.GetDefaultDestinationRuleExportTo(),
	}
}

// Or returns exportTo, or def when exportTo is empty: the list that
// applies to an object.
func Or(exportTo, def []string) []string {
	if len(exportTo) == 0 {
		return def
	}
	return exportTo
}
