package crdgen

import (
	"slices"
	"strings"

	"google.golang.org/genproto/googleapis/api/annotations"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	apiextv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
)

// schemaOf maps a proto message to the structural OpenAPI v3 schema of its
// JSON form, as the istio.io/api types marshal it (protojson: lowerCamel
// field names, enums by name, 64-bit integers as strings or numbers).
func schemaOf(md protoreflect.MessageDescriptor) apiextv1.JSONSchemaProps {
	return newBuilder(nil).message(md)
}

func newBuilder(docs docIndex) *schemaBuilder {
	return &schemaBuilder{visiting: map[protoreflect.FullName]bool{}, docs: docs}
}

type schemaBuilder struct {
	// docs, when not nil, adds the bounds of the validation markers and
	// the minimum duration.
	docs docIndex

	// visiting guards against recursive messages: a message already being
	// expanded further up is emitted as a free-form object.
	visiting map[protoreflect.FullName]bool
}

// wellKnown are the google.protobuf types whose JSON form is not an object of
// their fields.
func wellKnown(md protoreflect.MessageDescriptor) (apiextv1.JSONSchemaProps, bool) {
	switch md.FullName() {
	case "google.protobuf.Duration":
		return apiextv1.JSONSchemaProps{Type: "string"}, true
	case "google.protobuf.Timestamp":
		return apiextv1.JSONSchemaProps{Type: "string", Format: "date-time"}, true
	case "google.protobuf.Struct":
		return freeObject(), true
	case "google.protobuf.Any":
		return freeObject(), true
	case "google.protobuf.Value":
		return apiextv1.JSONSchemaProps{XPreserveUnknownFields: ptr(true)}, true
	case "google.protobuf.ListValue":
		return apiextv1.JSONSchemaProps{Type: "array", Items: &apiextv1.JSONSchemaPropsOrArray{Schema: &apiextv1.JSONSchemaProps{XPreserveUnknownFields: ptr(true)}}}, true
	case "google.protobuf.Empty":
		return apiextv1.JSONSchemaProps{Type: "object"}, true
	case "google.protobuf.BoolValue":
		return apiextv1.JSONSchemaProps{Type: "boolean", Nullable: true}, true
	case "google.protobuf.StringValue":
		return apiextv1.JSONSchemaProps{Type: "string", Nullable: true}, true
	case "google.protobuf.BytesValue":
		return apiextv1.JSONSchemaProps{Type: "string", Format: "byte", Nullable: true}, true
	case "google.protobuf.Int32Value":
		return apiextv1.JSONSchemaProps{Type: "integer", Format: "int32", Nullable: true}, true
	case "google.protobuf.UInt32Value":
		return apiextv1.JSONSchemaProps{Type: "integer", Minimum: ptr(0.0), Maximum: ptr(4294967295.0), Nullable: true}, true
	case "google.protobuf.Int64Value", "google.protobuf.UInt64Value":
		s := intOrString()
		s.Nullable = true
		return s, true
	case "google.protobuf.FloatValue", "google.protobuf.DoubleValue":
		return apiextv1.JSONSchemaProps{Type: "number", Format: "double", Nullable: true}, true
	}
	return apiextv1.JSONSchemaProps{}, false
}

func (b *schemaBuilder) message(md protoreflect.MessageDescriptor) apiextv1.JSONSchemaProps {
	if s, ok := wellKnown(md); ok {
		return s
	}
	if b.visiting[md.FullName()] {
		return freeObject()
	}
	b.visiting[md.FullName()] = true
	defer delete(b.visiting, md.FullName())

	s := apiextv1.JSONSchemaProps{Type: "object", Properties: map[string]apiextv1.JSONSchemaProps{}}
	fields := md.Fields()
	for i := 0; i < fields.Len(); i++ {
		fd := fields.Get(i)
		fs := b.field(fd)
		if b.docs != nil {
			applyDoc(&fs, fd, b.docs.field(fd))
		}
		s.Properties[fd.JSONName()] = fs
		if altNames[fd.FullName()] {
			s.Properties[string(fd.Name())] = s.Properties[fd.JSONName()]
		}
		if isRequired(fd) {
			s.Required = append(s.Required, fd.JSONName())
		}
	}
	b.oneOfs(md, &s)
	if b.docs != nil {
		for _, r := range b.docs.message(md).rules {
			s.XValidations = append(s.XValidations, apiextv1.ValidationRule{Rule: r.rule, Message: r.message})
		}
	}
	return s
}

// altNames are fields whose proto (snake_case) spelling Istio's CRDs also
// accept, because configs written before the lowerCamel form use it. protojson
// reads both spellings of every field; Istio lists the old one only for these.
var altNames = map[protoreflect.FullName]bool{
	"istio.networking.v1alpha3.HTTPRoute.mirror_percent": true,
	"istio.security.v1beta1.JWTRule.jwks_uri":            true,
}

// isRequired reports whether the proto marks the field
// `(google.api.field_behavior) = REQUIRED`, as istio.io/api does for the
// fields its validation insists on (ServiceEntry hosts, port numbers, ...).
func isRequired(fd protoreflect.FieldDescriptor) bool {
	opts := fd.Options()
	if opts == nil || !proto.HasExtension(opts, annotations.E_FieldBehavior) {
		return false
	}
	behaviors, _ := proto.GetExtension(opts, annotations.E_FieldBehavior).([]annotations.FieldBehavior)
	return slices.Contains(behaviors, annotations.FieldBehavior_REQUIRED)
}

// oneOfs allows at most one field of each real oneof to be set, the way the
// API server can check it in a structural schema: none set, or exactly one.
// A oneof of a single field constrains nothing and is left out.
func (b *schemaBuilder) oneOfs(md protoreflect.MessageDescriptor, s *apiextv1.JSONSchemaProps) {
	var groups [][]apiextv1.JSONSchemaProps
	oneofs := md.Oneofs()
	for i := 0; i < oneofs.Len(); i++ {
		od := oneofs.Get(i)
		if od.IsSynthetic() || od.Fields().Len() < 2 {
			continue
		}
		var none, one []apiextv1.JSONSchemaProps
		for j := 0; j < od.Fields().Len(); j++ {
			req := apiextv1.JSONSchemaProps{Required: []string{od.Fields().Get(j).JSONName()}}
			none = append(none, req)
			one = append(one, req)
		}
		groups = append(groups, append([]apiextv1.JSONSchemaProps{{Not: &apiextv1.JSONSchemaProps{AnyOf: none}}}, one...))
	}
	switch len(groups) {
	case 0:
	case 1:
		s.OneOf = groups[0]
	default:
		// Each oneof holds on its own: all of them.
		for _, g := range groups {
			s.AllOf = append(s.AllOf, apiextv1.JSONSchemaProps{OneOf: g})
		}
	}
}

func (b *schemaBuilder) field(fd protoreflect.FieldDescriptor) apiextv1.JSONSchemaProps {
	switch {
	case fd.IsMap():
		v := b.singular(fd.MapValue())
		return apiextv1.JSONSchemaProps{Type: "object", AdditionalProperties: &apiextv1.JSONSchemaPropsOrBool{Allows: true, Schema: &v}}
	case fd.IsList():
		item := b.singular(fd)
		return apiextv1.JSONSchemaProps{Type: "array", Items: &apiextv1.JSONSchemaPropsOrArray{Schema: &item}}
	}
	return b.singular(fd)
}

// singular is the schema of one value of the field's type.
func (b *schemaBuilder) singular(fd protoreflect.FieldDescriptor) apiextv1.JSONSchemaProps {
	switch fd.Kind() {
	case protoreflect.BoolKind:
		return apiextv1.JSONSchemaProps{Type: "boolean"}
	case protoreflect.StringKind:
		return apiextv1.JSONSchemaProps{Type: "string"}
	case protoreflect.BytesKind:
		return apiextv1.JSONSchemaProps{Type: "string", Format: "byte"}
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		return apiextv1.JSONSchemaProps{Type: "integer", Format: "int32"}
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		return apiextv1.JSONSchemaProps{Type: "integer", Minimum: ptr(0.0), Maximum: ptr(4294967295.0)}
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind,
		protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		// protojson writes 64-bit integers as strings and reads either form.
		return intOrString()
	case protoreflect.FloatKind, protoreflect.DoubleKind:
		return apiextv1.JSONSchemaProps{Type: "number", Format: "double"}
	case protoreflect.EnumKind:
		return enumSchema(fd.Enum())
	case protoreflect.MessageKind, protoreflect.GroupKind:
		return b.message(fd.Message())
	}
	return apiextv1.JSONSchemaProps{XPreserveUnknownFields: ptr(true)}
}

// enumSchema lists the enum's value names. Istio's API accepts enums by name
// only in YAML, so that is what the schema allows.
func enumSchema(ed protoreflect.EnumDescriptor) apiextv1.JSONSchemaProps {
	s := apiextv1.JSONSchemaProps{Type: "string"}
	values := ed.Values()
	seen := map[string]bool{}
	for i := 0; i < values.Len(); i++ {
		name := string(values.Get(i).Name())
		if !seen[name] {
			seen[name] = true
			s.Enum = append(s.Enum, apiextv1.JSON{Raw: []byte(`"` + name + `"`)})
		}
	}
	return s
}

// applyDoc sets the bounds the field's markers give: item counts on the
// list, property counts on the map, value bounds on each value (the items of
// a list, the values of a map). Descriptions are left out on purpose: they
// would double the file and the time to render an install.
func applyDoc(s *apiextv1.JSONSchemaProps, fd protoreflect.FieldDescriptor, d doc) {
	value := s
	switch {
	case fd.IsList() && s.Items != nil && s.Items.Schema != nil:
		value = s.Items.Schema
	case fd.IsMap() && s.AdditionalProperties != nil && s.AdditionalProperties.Schema != nil:
		value = s.AdditionalProperties.Schema
	}
	// Istio's API takes no duration under a millisecond (Envoy's
	// resolution) unless the field says otherwise.
	if fd.Kind() == protoreflect.MessageKind && fd.Message().FullName() == "google.protobuf.Duration" && d.markers["duration-validation"] != "none" {
		value.XValidations = append(value.XValidations, apiextv1.ValidationRule{
			Rule:    "duration(self) >= duration('1ms')",
			Message: "must be a valid duration greater than 1ms",
		})
	}
	// The field's rules come after those of its message's own comment; a
	// rule of that message that does not hold here is dropped.
	if len(d.ignore) > 0 {
		s.XValidations = slices.DeleteFunc(s.XValidations, func(r apiextv1.ValidationRule) bool {
			return slices.Contains(d.ignore, r.Message)
		})
		if len(s.XValidations) == 0 {
			s.XValidations = nil
		}
	}
	for _, r := range d.rules {
		target := s
		if r.value {
			target = value
		}
		target.XValidations = append(target.XValidations, apiextv1.ValidationRule{Rule: r.rule, Message: r.message})
	}
	for _, k := range sortedKeys(d.markers) {
		v := d.markers[k]
		n, isNum := bound(v)
		k = strings.TrimPrefix(k, "value:") // value is already the item's schema
		switch {
		case k == "MaxItems" && isNum && fd.IsList():
			s.MaxItems = ptr(int64(n))
		case k == "MinItems" && isNum && fd.IsList():
			s.MinItems = ptr(int64(n))
		case k == "MaxProperties" && isNum && fd.IsMap():
			s.MaxProperties = ptr(int64(n))
		case k == "MinProperties" && isNum && fd.IsMap():
			s.MinProperties = ptr(int64(n))
		case k == "MaxLength" && isNum && value.Type == "string":
			value.MaxLength = ptr(int64(n))
		case k == "MinLength" && isNum && value.Type == "string":
			value.MinLength = ptr(int64(n))
		case k == "Pattern" && value.Type == "string":
			value.Pattern = unquoteMarker(v)
		case k == "Minimum" && isNum && (value.Type == "integer" || value.Type == "number"):
			value.Minimum = ptr(n)
		case k == "Maximum" && isNum && (value.Type == "integer" || value.Type == "number"):
			value.Maximum = ptr(n)
		}
	}
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func intOrString() apiextv1.JSONSchemaProps {
	return apiextv1.JSONSchemaProps{
		XIntOrString: true,
		AnyOf:        []apiextv1.JSONSchemaProps{{Type: "integer"}, {Type: "string"}},
	}
}

func freeObject() apiextv1.JSONSchemaProps {
	return apiextv1.JSONSchemaProps{Type: "object", XPreserveUnknownFields: ptr(true)}
}

func ptr[T any](v T) *T { return &v }
