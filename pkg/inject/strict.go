package inject

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/reflect/protoreflect"
	meshconfig "istio.io/api/mesh/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/meshctl/meshctl/pkg/suggest"
	"github.com/meshctl/meshctl/pkg/yamlstream"
)

// Injection reads the whole pod template through typed structs (the
// templates see .Spec, a declared istio-proxy is merged and recorded in
// proxy.istio.io/overrides, uninjection restores from that record). A field
// the types do not know would be dropped there without a word, so an
// unknown field in a pod template is an error, as `kubectl apply
// --validate=strict` and the API server's strict field validation make it.

// FieldError is an unknown field in a document: where it is and what was
// probably meant.
type FieldError struct {
	Where        string // the file, document, line and column, as yamlstream.Document.At
	Line, Column int    // in the file once Where is set, in the document before
	Path         string // path of the object that holds the field
	Field        string
	Hint         string // the nearest known field, "" when none is near
}

// Place is the file, document, line and column of the field.
func (e *FieldError) Place() string { return e.Where }

func (e *FieldError) Error() string {
	s := fmt.Sprintf("%s: unknown field %q", e.Where, e.Field)
	if e.Path != "" {
		s += " in " + e.Path
	}
	if e.Hint != "" {
		s += fmt.Sprintf(": did you mean %q?", e.Hint)
	}
	return s
}

var (
	podTemplateType = reflect.TypeFor[podTemplateJSON]()
	podType         = reflect.TypeFor[corev1.Pod]()
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
)

// checkPodFields reports the first field of a pod template node (a Pod's
// root, or a workload's spec.template) that the Pod type does not have.
// path names the node in the document ("spec.template").
func checkPodFields(d yamlstream.Document, n *yaml.Node, path string, whole bool) error {
	t := podTemplateType
	if whole {
		t = podType
	}
	if f := unknownField(n, t, path); f != nil {
		f.Where = d.At(f.Line, f.Column)
		f.Line += d.Line - 1
		return f
	}
	return nil
}

// unknownField walks n as the JSON form of t and returns the first mapping
// key that t does not have (Line is the key's line in the document).
func unknownField(n *yaml.Node, t reflect.Type, path string) *FieldError {
	for n.Kind == yaml.AliasNode {
		if n.Alias == nil {
			return nil
		}
		n = n.Alias
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	// Types with their own JSON form (quantities, times, int-or-string)
	// and free-form values are leaves here; decoding checks their values.
	if reflect.PointerTo(t).Implements(jsonUnmarshaler) || t.Kind() == reflect.Interface {
		return nil
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return nil
		}
		fields, ok := jsonFields(t)
		if !ok {
			return nil
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Tag == "!!merge" {
				if f := unknownInMerge(v, t, path); f != nil {
					return f
				}
				continue
			}
			f := fieldNamed(fields, k.Value)
			if f == nil {
				return &FieldError{Line: k.Line, Column: k.Column, Path: path, Field: k.Value, Hint: suggest.Nearest(k.Value, fieldNames(fields))}
			}
			if e := unknownField(v, f.typ, join(path, k.Value)); e != nil {
				return e
			}
		}
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			return nil
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			if e := unknownField(n.Content[i+1], t.Elem(), join(path, n.Content[i].Value)); e != nil {
				return e
			}
		}
	case reflect.Slice, reflect.Array:
		if n.Kind != yaml.SequenceNode || t.Elem().Kind() == reflect.Uint8 {
			return nil
		}
		for i, item := range n.Content {
			p := path + "[" + strconv.Itoa(i) + "]"
			if name := str(item, "name"); name != "" {
				p = path + "[" + strconv.Itoa(i) + "] (" + name + ")"
			}
			if e := unknownField(item, t.Elem(), p); e != nil {
				return e
			}
		}
	}
	return nil
}

// unknownInMerge checks what a YAML merge key (<<) brings in: one mapping
// or a sequence of them.
func unknownInMerge(v *yaml.Node, t reflect.Type, path string) *FieldError {
	for v.Kind == yaml.AliasNode && v.Alias != nil {
		v = v.Alias
	}
	if v.Kind == yaml.SequenceNode {
		for _, m := range v.Content {
			if f := unknownField(m, t, path); f != nil {
				return f
			}
		}
		return nil
	}
	return unknownField(v, t, path)
}

func fieldNamed(fields []jsonField, name string) *jsonField {
	for i := range fields {
		if fields[i].name == name {
			return &fields[i]
		}
	}
	return nil
}

func fieldNames(fields []jsonField) []string {
	out := make([]string, len(fields))
	for i, f := range fields {
		out[i] = f.name
	}
	return out
}

func join(path, key string) string {
	if path == "" || key == "" {
		return path + key
	}
	return path + "." + key
}

// parseProxyConfig reads a proxy.istio.io/config annotation strictly: an
// unknown field is an error that names it (and the field it was probably
// meant to be), where Istio would ignore it silently.
func parseProxyConfig(s string) (*meshconfig.ProxyConfig, error) {
	js, err := sigsyaml.YAMLToJSON([]byte(s))
	if err != nil {
		line, _, msg := yamlstream.SyntaxPosition([]byte(s), err)
		return nil, &AnnotationSyntaxError{Annotation: annProxyConfig, Line: line, Msg: msg}
	}
	over := &meshconfig.ProxyConfig{}
	if err := (protojson.UnmarshalOptions{}).Unmarshal(js, over); err != nil {
		var n yaml.Node
		if yaml.Unmarshal([]byte(s), &n) == nil && len(n.Content) == 1 {
			if f := unknownProtoField(n.Content[0], over.ProtoReflect().Descriptor(), ""); f != nil {
				return nil, &AnnotationFieldError{Annotation: annProxyConfig, Line: f.Line, Path: f.Path, Field: f.Field, Hint: f.Hint}
			}
		}
		return nil, fmt.Errorf("annotation %s: %w", annProxyConfig, err)
	}
	return over, nil
}

// AnnotationSyntaxError is YAML that cannot be read inside an annotation's
// value; Line counts from the value's first line.
type AnnotationSyntaxError struct {
	Annotation string
	Line       int
	Msg        string
}

func (e *AnnotationSyntaxError) Error() string {
	return fmt.Sprintf("annotation %s: %s", e.Annotation, e.Msg)
}

// AnnotationFieldError is an unknown field inside an annotation's YAML or
// JSON value; Line counts from the value's first line.
type AnnotationFieldError struct {
	Annotation string
	Line       int
	Path       string
	Field      string
	Hint       string
}

func (e *AnnotationFieldError) Error() string {
	s := fmt.Sprintf("annotation %s: unknown field %q", e.Annotation, e.Field)
	if e.Path != "" {
		s += " in " + e.Path
	}
	if e.Hint != "" {
		s += fmt.Sprintf(": did you mean %q?", e.Hint)
	}
	return s
}

// unknownProtoField walks n as the protojson form of message md and
// returns the first key that is neither a field's JSON name nor its proto
// name.
func unknownProtoField(n *yaml.Node, md protoreflect.MessageDescriptor, path string) *FieldError {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	// Well-known types (durations, wrappers, structs) have JSON forms of
	// their own.
	if strings.HasPrefix(string(md.FullName()), "google.protobuf.") || n.Kind != yaml.MappingNode {
		return nil
	}
	fields := md.Fields()
	var names []string
	for i := 0; i < fields.Len(); i++ {
		names = append(names, fields.Get(i).JSONName())
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		fd := fields.ByJSONName(k.Value)
		if fd == nil {
			fd = fields.ByTextName(k.Value)
		}
		if fd == nil {
			return &FieldError{Line: k.Line, Column: k.Column, Path: path, Field: k.Value, Hint: suggest.Nearest(k.Value, names)}
		}
		p := join(path, k.Value)
		switch {
		case fd.IsMap():
			if fd.MapValue().Message() != nil && v.Kind == yaml.MappingNode {
				for j := 0; j+1 < len(v.Content); j += 2 {
					if f := unknownProtoField(v.Content[j+1], fd.MapValue().Message(), join(p, v.Content[j].Value)); f != nil {
						return f
					}
				}
			}
		case fd.Message() != nil && fd.IsList():
			if v.Kind == yaml.SequenceNode {
				for j, item := range v.Content {
					if f := unknownProtoField(item, fd.Message(), p+"["+strconv.Itoa(j)+"]"); f != nil {
						return f
					}
				}
			}
		case fd.Message() != nil:
			if f := unknownProtoField(v, fd.Message(), p); f != nil {
				return f
			}
		}
	}
	return nil
}

// checkAnnotations checks the annotations of a pod template whose values
// injection parses, and names the line of the annotation's value in the
// document.
func checkAnnotations(d yamlstream.Document, podNode *yaml.Node, meta metav1.ObjectMeta) error {
	s, ok := meta.Annotations[annProxyConfig]
	if !ok {
		return nil
	}
	_, err := parseProxyConfig(s)
	if err == nil {
		return nil
	}
	_, anns := mapGet(podNode, "metadata")
	_, anns = mapGet(anns, "annotations")
	line, column := podNode.Line, podNode.Column
	if i, v := mapGet(anns, annProxyConfig); v != nil {
		line, column = anns.Content[i].Line, anns.Content[i].Column
		inner := 0 // the line within the value
		switch e := err.(type) {
		case *AnnotationFieldError:
			inner = e.Line
		case *AnnotationSyntaxError:
			inner = e.Line
		}
		if inner > 0 && (v.Style&(yaml.LiteralStyle|yaml.FoldedStyle)) != 0 {
			// A block scalar's text starts on the line after its key.
			line, column = v.Line+inner, 0
		}
	}
	return d.ErrorAt(line, column, err)
}

// strictContainers decodes a proxy.istio.io/overrides record, refusing
// fields a container does not have: the record is what uninjection puts
// back, so nothing in it may be dropped.
func strictContainers(s string, v *userContainers) error {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}
