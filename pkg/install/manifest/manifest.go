// Package manifest is the contract between rendering and applying an
// install: an ordered set of Kubernetes objects, each tagged with the
// component that owns it, and the labels that mark what meshctl owns.
package manifest

import (
	"sort"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Components, in install order. The names are Istio's, so that labels on
// the cluster read the same as an istioctl install.
const (
	Base            = "Base"
	Pilot           = "Pilot"
	CNI             = "Cni"
	Ztunnel         = "Ztunnel"
	IngressGateways = "IngressGateways"
	EgressGateways  = "EgressGateways"
)

// ComponentOrder is the order in which components are installed.
var ComponentOrder = []string{Base, Pilot, CNI, Ztunnel, IngressGateways, EgressGateways}

// Ownership labels stamped on every rendered object. Pruning deletes only
// objects that carry LabelManagedBy=ManagedByValue and the install's name
// and revision.
const (
	LabelManagedBy  = "app.kubernetes.io/managed-by"
	ManagedByValue  = "meshctl"
	LabelInstall    = "install.operator.istio.io/owning-resource" // install name
	LabelComponent  = "operator.istio.io/component"               // one of the components above
	LabelRevision   = "istio.io/rev"                              // "default" for the default revision
	DefaultRevision = "default"
)

// Object is one rendered object and the component it belongs to.
type Object struct {
	Component string
	Object    *unstructured.Unstructured
}

// Key identifies an object: group/kind/namespace/name.
func (o Object) Key() string { return Key(o.Object) }

// Key identifies an object: group/kind/namespace/name.
func Key(u *unstructured.Unstructured) string {
	gvk := u.GroupVersionKind()
	return gvk.Group + "/" + gvk.Kind + "/" + u.GetNamespace() + "/" + u.GetName()
}

// Manifest is a rendered install: objects in install order.
type Manifest struct {
	// Name of the install (the IstioOperator's metadata.name, "installed-state" style).
	Name string
	// Revision of the control plane, "" for the default one.
	Revision string
	// Profile the install was rendered from.
	Profile string
	// Objects in install order.
	Objects []Object
}

// kindOrder ranks kinds for install order within a component: what others
// depend on comes first.
var kindOrder = map[string]int{
	"CustomResourceDefinition":       0,
	"Namespace":                      1,
	"ServiceAccount":                 2,
	"ClusterRole":                    3,
	"ClusterRoleBinding":             4,
	"Role":                           5,
	"RoleBinding":                    6,
	"Secret":                         7,
	"ConfigMap":                      8,
	"MutatingWebhookConfiguration":   9,
	"ValidatingWebhookConfiguration": 10,
	"Service":                        11,
	"Deployment":                     12,
	"DaemonSet":                      13,
	"PodDisruptionBudget":            14,
	"HorizontalPodAutoscaler":        15,
}

// KindRank is a kind's place in install order; unknown kinds go last.
func KindRank(kind string) int {
	if r, ok := kindOrder[kind]; ok {
		return r
	}
	return len(kindOrder)
}

// Sort puts objects in install order: by component, then kind rank, then
// kind, namespace and name, so output is the same on every run.
func Sort(objs []Object) {
	comp := map[string]int{}
	for i, c := range ComponentOrder {
		comp[c] = i
	}
	sort.SliceStable(objs, func(i, j int) bool {
		a, b := objs[i], objs[j]
		if ca, cb := comp[a.Component], comp[b.Component]; ca != cb {
			return ca < cb
		}
		ka, kb := a.Object.GetKind(), b.Object.GetKind()
		if ra, rb := KindRank(ka), KindRank(kb); ra != rb {
			return ra < rb
		}
		if ka != kb {
			return ka < kb
		}
		if na, nb := a.Object.GetNamespace(), b.Object.GetNamespace(); na != nb {
			return na < nb
		}
		return a.Object.GetName() < b.Object.GetName()
	})
}
