package analyze

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"google.golang.org/protobuf/proto"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/meshctl/meshctl/pkg/yamlstream"
)

// Skipped is a document or object that was read but not analyzed.
type Skipped struct {
	File       string `json:"file,omitempty"`
	Line       int    `json:"line,omitempty"`
	APIVersion string `json:"apiVersion,omitempty"`
	Kind       string `json:"kind,omitempty"`
	Name       string `json:"name,omitempty"`
	Reason     string `json:"reason"`
}

func (s Skipped) String() string {
	where := ""
	if s.File != "" {
		where = fmt.Sprintf("%s:%d: ", s.File, s.Line)
	}
	what := strings.TrimSpace(s.APIVersion + " " + s.Kind)
	if s.Name != "" {
		what += " " + s.Name
	}
	if what == "" {
		return where + s.Reason
	}
	return where + what + ": " + s.Reason
}

// DecodeDocument decodes one document of a file into resources (a v1 List
// gives several). Objects of kinds meshctl does not analyze are returned as
// Skipped. Objects without a namespace get defaultNamespace. Invalid YAML is
// an error naming the file, document and line.
func DecodeDocument(doc yamlstream.Document, defaultNamespace string) ([]*Resource, []Skipped, error) {
	if doc.IsEmpty() {
		return nil, nil, nil
	}
	obj, err := parseYAML(doc)
	if err != nil {
		return nil, nil, err // it names the document and line
	}
	if obj == nil {
		return nil, nil, nil
	}
	var (
		out     []*Resource
		skipped []Skipped
	)
	add := func(o map[string]any, raw []byte) {
		r, sk := DecodeObject(o, defaultNamespace)
		if sk != nil {
			sk.File, sk.Line = doc.Source, doc.Line
			skipped = append(skipped, *sk)
			return
		}
		r.File, r.Index, r.Line, r.Raw = doc.Source, doc.Index, doc.Line, raw
		if ki, _ := LookupKind(r.Kind); ki != nil && ki.MetadataOnly {
			r.Raw = nil // never keep a Secret's data
		}
		out = append(out, r)
	}
	if k, _ := obj["kind"].(string); strings.HasSuffix(k, "List") && obj["items"] != nil {
		items, ok := obj["items"].([]any)
		if !ok {
			return nil, nil, fmt.Errorf("%s: items of %s must be a list", doc.Where(), k)
		}
		for i, it := range items {
			o, ok := it.(map[string]any)
			if !ok {
				return nil, nil, fmt.Errorf("%s: item %d of %s is not an object", doc.Where(), i, k)
			}
			add(o, nil)
		}
		return out, skipped, nil
	}
	add(obj, doc.Raw)
	return out, skipped, nil
}

// DecodeObject decodes one object (from a file or from the API server).
func DecodeObject(obj map[string]any, defaultNamespace string) (*Resource, *Skipped) {
	apiVersion, _ := obj["apiVersion"].(string)
	kind, _ := obj["kind"].(string)
	meta, _ := obj["metadata"].(map[string]any)
	name, _ := meta["name"].(string)
	if apiVersion == "" || kind == "" {
		return nil, &Skipped{APIVersion: apiVersion, Kind: kind, Name: name, Reason: "not a Kubernetes object (no apiVersion or kind)"}
	}
	group, version := "", apiVersion
	if i := strings.LastIndex(apiVersion, "/"); i >= 0 {
		group, version = apiVersion[:i], apiVersion[i+1:]
	}
	ki, ok := kindsByGK[[2]string{group, kind}]
	if !ok || !knownVersion(ki, version) {
		return nil, &Skipped{APIVersion: apiVersion, Kind: kind, Name: name, Reason: "kind not analyzed"}
	}
	r := &Resource{Group: group, Version: version, Kind: kind, Name: name}
	if ki.Namespaced {
		r.Namespace, _ = meta["namespace"].(string)
		if r.Namespace == "" {
			r.Namespace = defaultNamespace
		}
	}
	r.Labels = stringMap(meta["labels"])
	r.Annotations = stringMap(meta["annotations"])
	if name == "" {
		r.FieldErrors = append(r.FieldErrors, FieldError{"metadata.name", "required"})
	}
	switch {
	case ki.MetadataOnly:
	case ki.Removed:
		r.Spec = obj
	case ki.newSpec != nil:
		spec := ki.newSpec()
		fillMessage(spec.ProtoReflect(), obj["spec"], "spec", &r.FieldErrors)
		r.Spec = spec
		r.FieldErrors = append(r.FieldErrors, validateSpec(kind, spec)...)
		if st, ok := obj["status"].(map[string]any); ok && kind == KindServiceEntry {
			addrs, _ := st["addresses"].([]any)
			r.AllocatedAddresses = len(addrs) > 0
		}
	default:
		typed := ki.newObj()
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(obj, typed); err != nil {
			r.FieldErrors = append(r.FieldErrors, k8sDecodeError(obj, ki, err))
			r.Spec = ki.newObj()
		} else {
			r.Spec = typed
		}
	}
	return r, nil
}

// k8sDecodeError explains why a Kubernetes object does not decode. The
// converter's error names no field, so the object is decoded again through
// encoding/json, whose errors do.
func k8sDecodeError(obj map[string]any, ki *KindInfo, err error) FieldError {
	if b, merr := json.Marshal(obj); merr == nil {
		var ute *json.UnmarshalTypeError
		if jerr := json.Unmarshal(b, ki.newObj()); errors.As(jerr, &ute) && ute.Field != "" {
			return FieldError{ute.Field, fmt.Sprintf("must be %s, not a JSON %s", goTypeName(ute.Type.String()), ute.Value)}
		}
	}
	return FieldError{"", fmt.Sprintf("cannot decode %s: %v", ki.Kind, err)}
}

func goTypeName(t string) string {
	switch {
	case strings.HasPrefix(t, "int"), strings.HasPrefix(t, "uint"):
		return "an integer"
	case t == "string":
		return "a string"
	case t == "bool":
		return "true or false"
	case strings.HasPrefix(t, "[]"):
		return "a list"
	case strings.HasPrefix(t, "map["):
		return "an object"
	}
	return "of type " + t
}

func knownVersion(ki *KindInfo, v string) bool {
	for _, x := range ki.Versions {
		if x == v {
			return true
		}
	}
	return false
}

func stringMap(v any) map[string]string {
	m, ok := v.(map[string]any)
	if !ok || len(m) == 0 {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, x := range m {
		switch s := x.(type) {
		case string:
			out[k] = s
		case nil:
			out[k] = ""
		default:
			out[k] = fmt.Sprint(s)
		}
	}
	return out
}

// specOf returns r's Istio spec as T, or nil.
func specOf[T proto.Message](r *Resource) T {
	t, _ := r.Spec.(T)
	return t
}
