// Package crdgen generates the Istio CustomResourceDefinitions that the base
// chart installs. The kinds and versions come from the istio.io/client-go
// scheme and each spec's schema from the protobuf descriptors of the
// istio.io/api types, both pinned in go.mod, so the CRDs can never disagree
// with the API version meshctl is built against. The value bounds Istio's
// API declares in its field comments (item counts, lengths, ranges,
// patterns), its minimum duration and the CEL rules of its XValidation
// markers (on messages, fields, list items and map values, with Istio's
// oneof/default/index macros expanded) are read from that module's
// generated Go sources, located with `go list`; descriptions are left out.
// A test checks the rules against the CRDs Istio publishes in that module.
//
// Rerun with `go generate ./internal/crdgen/...`; a test fails when the committed
// file is stale.
package crdgen

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync"

	"google.golang.org/protobuf/proto"
	istioscheme "istio.io/client-go/pkg/clientset/versioned/scheme"
	apiextv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

//go:generate go run ../../hack/gencrds -o ../../charts/base/files/crds.gen.yaml

// OutputPath is where the generated CRDs live, relative to the repository root.
const OutputPath = "charts/base/files/crds.gen.yaml"

// kindFacts is what the Go types do not say about a kind: how people
// abbreviate it, which version is stored, and what `kubectl get` shows.
type kindFacts struct {
	shortNames []string
	// storage is the stored version when it is not the most stable one served.
	storage string
	columns []apiextv1.CustomResourceColumnDefinition
	// specRequired: an object without spec is rejected. Istio marks the
	// kinds whose spec has required fields or rules that need one; a
	// `kind: Sidecar` with no spec stays valid.
	specRequired bool
}

func (f kindFacts) required() []string {
	if f.specRequired {
		return []string{"spec"}
	}
	return nil
}

var age = apiextv1.CustomResourceColumnDefinition{
	Name: "Age", Type: "date", JSONPath: ".metadata.creationTimestamp",
	Description: "CreationTimestamp is a timestamp representing the server time when this object was created.",
}

func col(name, path, desc string) apiextv1.CustomResourceColumnDefinition {
	return apiextv1.CustomResourceColumnDefinition{Name: name, Type: "string", JSONPath: path, Description: desc}
}

// facts are keyed by group/Kind.
var facts = map[string]kindFacts{
	"networking.istio.io/DestinationRule": {shortNames: []string{"dr"}, columns: []apiextv1.CustomResourceColumnDefinition{col("Host", ".spec.host", "The name of a service from the service registry"), age}},
	"networking.istio.io/EnvoyFilter":     {},
	"networking.istio.io/Gateway":         {shortNames: []string{"gw"}},
	"networking.istio.io/ProxyConfig":     {},
	"networking.istio.io/ServiceEntry": {shortNames: []string{"se"}, specRequired: true, columns: []apiextv1.CustomResourceColumnDefinition{
		col("Hosts", ".spec.hosts", "The hosts associated with the ServiceEntry"),
		col("Location", ".spec.location", "Whether the service is external to the mesh or part of the mesh (MESH_EXTERNAL or MESH_INTERNAL)"),
		col("Resolution", ".spec.resolution", "Service resolution mode for the hosts (NONE, STATIC, or DNS)"), age}},
	"networking.istio.io/Sidecar": {},
	"networking.istio.io/VirtualService": {shortNames: []string{"vs"}, columns: []apiextv1.CustomResourceColumnDefinition{
		col("Gateways", ".spec.gateways", "The names of gateways and sidecars that should apply these routes"),
		col("Hosts", ".spec.hosts", "The destination hosts to which traffic is being sent"), age}},
	"networking.istio.io/WorkloadEntry":       {shortNames: []string{"we"}, specRequired: true, columns: []apiextv1.CustomResourceColumnDefinition{age, col("Address", ".spec.address", "Address associated with the network endpoint.")}},
	"networking.istio.io/WorkloadGroup":       {shortNames: []string{"wg"}, specRequired: true, columns: []apiextv1.CustomResourceColumnDefinition{age}},
	"security.istio.io/AuthorizationPolicy":   {shortNames: []string{"ap"}, columns: []apiextv1.CustomResourceColumnDefinition{col("Action", ".spec.action", "The operation to take."), age}},
	"security.istio.io/PeerAuthentication":    {shortNames: []string{"pa"}, columns: []apiextv1.CustomResourceColumnDefinition{col("Mode", ".spec.mtls.mode", "Defines the mTLS mode used for peer authentication."), age}},
	"security.istio.io/RequestAuthentication": {shortNames: []string{"ra"}},
	// Telemetry's v1 is served, but objects are still stored as v1alpha1.
	"telemetry.istio.io/Telemetry":         {shortNames: []string{"telemetry"}, storage: "v1alpha1", columns: []apiextv1.CustomResourceColumnDefinition{age}},
	"extensions.istio.io/WasmPlugin":       {specRequired: true, columns: []apiextv1.CustomResourceColumnDefinition{age}},
	"extensions.istio.io/TrafficExtension": {specRequired: true, columns: []apiextv1.CustomResourceColumnDefinition{age}},
}

// versionRank orders versions from most to least stable.
func versionRank(v string) int {
	switch {
	case v == "v1":
		return 0
	case strings.HasPrefix(v, "v1beta"):
		return 1
	case strings.HasPrefix(v, "v1alpha"):
		return 2
	}
	return 3
}

type kindVersions struct {
	gk       schema.GroupKind
	versions map[string]reflect.Type // version → Go type of the object
}

// istioKinds lists the Istio config kinds registered in the client-go scheme.
func istioKinds() []kindVersions {
	byKind := map[schema.GroupKind]*kindVersions{}
	for gvk, typ := range istioscheme.Scheme.AllKnownTypes() {
		if !strings.HasSuffix(gvk.Group, ".istio.io") || gvk.Version == runtime.APIVersionInternal {
			continue
		}
		if _, ok := reflect.New(typ).Elem().Type().FieldByName("Spec"); !ok {
			continue // List, options and watch types
		}
		gk := gvk.GroupKind()
		kv := byKind[gk]
		if kv == nil {
			kv = &kindVersions{gk: gk, versions: map[string]reflect.Type{}}
			byKind[gk] = kv
		}
		kv.versions[gvk.Version] = typ
	}
	out := make([]kindVersions, 0, len(byKind))
	for _, kv := range byKind {
		out = append(out, *kv)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].gk.Group != out[j].gk.Group {
			return out[i].gk.Group < out[j].gk.Group
		}
		return out[i].gk.Kind < out[j].gk.Kind
	})
	return out
}

// CRDs builds every Istio CRD, sorted by group then kind.
func CRDs() ([]*apiextv1.CustomResourceDefinition, error) {
	docsOnce.Do(func() { apiDocs, apiDocsErr = loadDocs() })
	if apiDocsErr != nil {
		return nil, apiDocsErr
	}
	return buildCRDs(apiDocs)
}

// The sources of the pinned istio.io/api version are read once per process.
var (
	docsOnce   sync.Once
	apiDocs    docIndex
	apiDocsErr error
)

func buildCRDs(docs docIndex) ([]*apiextv1.CustomResourceDefinition, error) {
	var out []*apiextv1.CustomResourceDefinition
	for _, kv := range istioKinds() {
		crd, err := buildCRD(kv, docs)
		if err != nil {
			return nil, err
		}
		out = append(out, crd)
	}
	return out, nil
}

func buildCRD(kv kindVersions, docs docIndex) (*apiextv1.CustomResourceDefinition, error) {
	key := kv.gk.Group + "/" + kv.gk.Kind
	f, ok := facts[key]
	if !ok {
		return nil, fmt.Errorf("no naming facts for %s: add it to crdgen's facts table", key)
	}
	plural := strings.ToLower(kv.gk.Kind)
	switch {
	case strings.HasSuffix(plural, "y") && !strings.ContainsAny(plural[len(plural)-2:len(plural)-1], "aeiou"):
		plural = strings.TrimSuffix(plural, "y") + "ies"
	case strings.HasSuffix(plural, "s"):
		plural += "es"
	default:
		plural += "s"
	}
	versions := make([]string, 0, len(kv.versions))
	for v := range kv.versions {
		versions = append(versions, v)
	}
	sort.Slice(versions, func(i, j int) bool {
		if ri, rj := versionRank(versions[i]), versionRank(versions[j]); ri != rj {
			return ri < rj
		}
		return versions[i] > versions[j]
	})
	storage := versions[0]
	if f.storage != "" {
		storage = f.storage
	}
	crd := &apiextv1.CustomResourceDefinition{
		TypeMeta: metav1.TypeMeta{APIVersion: "apiextensions.k8s.io/v1", Kind: "CustomResourceDefinition"},
		ObjectMeta: metav1.ObjectMeta{
			Name: plural + "." + kv.gk.Group,
			// Keep CRDs (and so every user's config) when a Helm release of
			// the base chart is uninstalled; meshctl removes them only with
			// `uninstall --purge`.
			Annotations: map[string]string{"helm.sh/resource-policy": "keep"},
		},
		Spec: apiextv1.CustomResourceDefinitionSpec{
			Group: kv.gk.Group,
			Names: apiextv1.CustomResourceDefinitionNames{
				Kind:       kv.gk.Kind,
				ListKind:   kv.gk.Kind + "List",
				Plural:     plural,
				Singular:   strings.ToLower(kv.gk.Kind),
				ShortNames: f.shortNames,
				Categories: []string{"istio-io", strings.ReplaceAll(kv.gk.Group, ".", "-")},
			},
			Scope: apiextv1.NamespaceScoped,
		},
	}
	// Sorted by version name for a stable file, as the API server lists them.
	names := append([]string(nil), versions...)
	sort.Strings(names)
	for _, v := range names {
		spec, err := specSchema(kv.versions[v], docs)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", key, v, err)
		}
		crd.Spec.Versions = append(crd.Spec.Versions, apiextv1.CustomResourceDefinitionVersion{
			Name:    v,
			Served:  true,
			Storage: v == storage,
			Schema: &apiextv1.CustomResourceValidation{OpenAPIV3Schema: &apiextv1.JSONSchemaProps{
				Type: "object",
				Properties: map[string]apiextv1.JSONSchemaProps{
					"spec":   spec,
					"status": statusSchema(kv.versions[v], docs),
				},
				Required: f.required(),
			}},
			Subresources:             &apiextv1.CustomResourceSubresources{Status: &apiextv1.CustomResourceSubresourceStatus{}},
			AdditionalPrinterColumns: f.columns,
		})
	}
	return crd, nil
}

// statusSchema maps the object's Status field, the istio.io/api status
// message that istiod writes (conditions, observedGeneration, analysis
// messages). It keeps unknown fields, so a newer istiod's status survives.
func statusSchema(objType reflect.Type, docs docIndex) apiextv1.JSONSchemaProps {
	field, ok := objType.FieldByName("Status")
	if !ok {
		return freeObject()
	}
	status, ok := reflect.New(field.Type).Interface().(proto.Message)
	if !ok {
		return freeObject()
	}
	s := newBuilder(docs).message(status.ProtoReflect().Descriptor())
	s.XPreserveUnknownFields = ptr(true)
	return s
}

// specSchema finds the object's Spec field, a protobuf message, and maps it.
func specSchema(objType reflect.Type, docs docIndex) (apiextv1.JSONSchemaProps, error) {
	field, _ := objType.FieldByName("Spec")
	spec, ok := reflect.New(field.Type).Interface().(proto.Message)
	if !ok {
		return apiextv1.JSONSchemaProps{}, fmt.Errorf("spec type %s is not a protobuf message", field.Type)
	}
	return newBuilder(docs).message(spec.ProtoReflect().Descriptor()), nil
}

// Generate renders every CRD as one YAML stream, the same bytes on every run.
func Generate() ([]byte, error) {
	crds, err := CRDs()
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.WriteString("# Generated by meshctl's hack/gencrds from the istio.io/api and istio.io/client-go\n# versions in go.mod. DO NOT EDIT: run `go generate ./internal/crdgen/...`.\n" +
		"# Each document is JSON, which is also YAML: kubectl and helm read it as usual, and\n" +
		"# meshctl decodes it several times faster than block YAML when rendering an install.\n")
	for _, crd := range crds {
		u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(crd)
		if err != nil {
			return nil, err
		}
		// Server-owned fields have no place in a manifest.
		delete(u, "status")
		if md, ok := u["metadata"].(map[string]any); ok {
			delete(md, "creationTimestamp")
		}
		data, err := json.MarshalIndent(u, "", " ")
		if err != nil {
			return nil, err
		}
		b.WriteString("---\n")
		b.Write(data)
		b.WriteByte('\n')
	}
	return b.Bytes(), nil
}
