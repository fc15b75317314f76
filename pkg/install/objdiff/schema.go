package objdiff

import (
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/strategicpatch"
	"k8s.io/client-go/kubernetes/scheme"
)

// schema is what strategic merge patch knows of a value's Go type: the
// merge key of each list field (the patchMergeKey struct tags of k8s.io/api).
// A nil schema knows nothing.
type schema = strategicpatch.LookupPatchMeta

// schemaOf is the schema of a built-in kind's type from client-go's scheme,
// or nil for other kinds (custom resources, Istio's: their types have no
// merge keys).
func schemaOf(u *unstructured.Unstructured) schema {
	obj, err := scheme.Scheme.New(u.GroupVersionKind())
	if err != nil {
		return nil
	}
	s, err := strategicpatch.NewPatchMetaFromStruct(obj)
	if err != nil {
		return nil
	}
	return s
}

// field is the schema of the field k of a value of schema s, and the merge
// key of its items when it is a list; nil and "" when s does not know it.
func field(s schema, k string, a, b any) (schema, string) {
	if s == nil {
		return nil, ""
	}
	_, listA := a.([]any)
	_, listB := b.([]any)
	if listA || listB {
		sub, meta, err := s.LookupPatchMetadataForSlice(k)
		if err != nil {
			return nil, ""
		}
		return sub, meta.GetPatchMergeKey()
	}
	sub, _, err := s.LookupPatchMetadataForStruct(k)
	if err != nil {
		return nil, ""
	}
	return sub, ""
}
