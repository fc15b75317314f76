package crdgen

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"
	"google.golang.org/protobuf/types/known/wrapperspb"
	networking "istio.io/api/networking/v1alpha3"
	security "istio.io/api/security/v1beta1"
	telemetry "istio.io/api/telemetry/v1alpha1"
	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
)

func TestCommittedCRDsAreCurrent(t *testing.T) {
	t.Parallel()
	want, err := Generate()
	if err != nil {
		t.Fatal(err)
	}
	have, err := os.ReadFile(filepath.Join("..", "..", OutputPath))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(have, want) {
		t.Fatalf("%s is stale: run `go generate ./internal/crdgen/...` (or `make generate`)", OutputPath)
	}
	again, _ := Generate()
	if !bytes.Equal(again, want) {
		t.Fatal("generation is not deterministic")
	}
}

func TestEveryIstioKindAndVersion(t *testing.T) {
	t.Parallel()
	crds, err := CRDs()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range crds {
		var vs []string
		storage := ""
		for _, v := range c.Spec.Versions {
			vs = append(vs, v.Name)
			if v.Storage {
				if storage != "" {
					t.Errorf("%s has two storage versions", c.Name)
				}
				storage = v.Name
			}
			if v.Subresources == nil || v.Subresources.Status == nil {
				t.Errorf("%s %s has no status subresource", c.Name, v.Name)
			}
		}
		got = append(got, c.Name+" "+strings.Join(vs, ",")+" storage="+storage)
	}
	sort.Strings(got)
	want := []string{
		"authorizationpolicies.security.istio.io v1,v1beta1 storage=v1",
		"destinationrules.networking.istio.io v1,v1alpha3,v1beta1 storage=v1",
		"envoyfilters.networking.istio.io v1alpha3 storage=v1alpha3",
		"gateways.networking.istio.io v1,v1alpha3,v1beta1 storage=v1",
		"peerauthentications.security.istio.io v1,v1beta1 storage=v1",
		"proxyconfigs.networking.istio.io v1beta1 storage=v1beta1",
		"requestauthentications.security.istio.io v1,v1beta1 storage=v1",
		"serviceentries.networking.istio.io v1,v1alpha3,v1beta1 storage=v1",
		"sidecars.networking.istio.io v1,v1alpha3,v1beta1 storage=v1",
		"telemetries.telemetry.istio.io v1,v1alpha1 storage=v1alpha1",
		"trafficextensions.extensions.istio.io v1alpha1 storage=v1alpha1",
		"virtualservices.networking.istio.io v1,v1alpha3,v1beta1 storage=v1",
		"wasmplugins.extensions.istio.io v1alpha1 storage=v1alpha1",
		"workloadentries.networking.istio.io v1,v1alpha3,v1beta1 storage=v1",
		"workloadgroups.networking.istio.io v1,v1alpha3,v1beta1 storage=v1",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("CRDs:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// Every schema must be structural, or the API server refuses the CRD.
func TestSchemasAreStructural(t *testing.T) {
	t.Parallel()
	crds, err := CRDs()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range crds {
		for _, v := range c.Spec.Versions {
			var internal apiextensions.JSONSchemaProps
			if err := apiextv1.Convert_v1_JSONSchemaProps_To_apiextensions_JSONSchemaProps(v.Schema.OpenAPIV3Schema, &internal, nil); err != nil {
				t.Fatal(err)
			}
			ss, err := structuralschema.NewStructural(&internal)
			if err != nil {
				t.Fatalf("%s %s: %v", c.Name, v.Name, err)
			}
			if errs := structuralschema.ValidateStructural(nil, ss); len(errs) > 0 {
				t.Fatalf("%s %s is not structural: %v", c.Name, v.Name, errs.ToAggregate())
			}
		}
	}
}

func prop(t *testing.T, s apiextv1.JSONSchemaProps, path ...string) apiextv1.JSONSchemaProps {
	t.Helper()
	for _, p := range path {
		switch {
		case p == "[]":
			if s.Items == nil || s.Items.Schema == nil {
				t.Fatalf("no items at %s", p)
			}
			s = *s.Items.Schema
		case p == "{}":
			if s.AdditionalProperties == nil || s.AdditionalProperties.Schema == nil {
				t.Fatalf("no additionalProperties at %s", p)
			}
			s = *s.AdditionalProperties.Schema
		default:
			next, ok := s.Properties[p]
			if !ok {
				t.Fatalf("no property %q (have %v)", p, keys(s.Properties))
			}
			s = next
		}
	}
	return s
}

func keys(m map[string]apiextv1.JSONSchemaProps) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func js(t *testing.T, s apiextv1.JSONSchemaProps) string {
	t.Helper()
	s.Properties = nil // only the node itself
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestProtoToSchemaMapping(t *testing.T) {
	t.Parallel()
	vs := schemaOf((&networking.VirtualService{}).ProtoReflect().Descriptor())
	dr := schemaOf((&networking.DestinationRule{}).ProtoReflect().Descriptor())
	pa := schemaOf((&security.PeerAuthentication{}).ProtoReflect().Descriptor())
	tel := schemaOf((&telemetry.Telemetry{}).ProtoReflect().Descriptor())
	ef := schemaOf((&networking.EnvoyFilter{}).ProtoReflect().Descriptor())
	cases := []struct {
		name string
		got  apiextv1.JSONSchemaProps
		want string
	}{
		{"repeated string", prop(t, vs, "hosts"), `{"type":"array","items":{"type":"string"}}`},
		{"Duration", prop(t, vs, "http", "[]", "timeout"), `{"type":"string"}`},
		{"int32 weight", prop(t, vs, "http", "[]", "route", "[]", "weight"), `{"type":"integer","format":"int32"}`},
		{"uint32 port", prop(t, vs, "http", "[]", "route", "[]", "destination", "port", "number"), `{"type":"integer","maximum":4294967295,"minimum":0}`},
		{"map of strings", prop(t, vs, "http", "[]", "match", "[]", "sourceLabels"), `{"type":"object","additionalProperties":{"type":"string"}}`},
		{"enum", prop(t, pa, "mtls", "mode"), `{"type":"string","enum":["UNSET","DISABLE","PERMISSIVE","STRICT"]}`},
		{"map of messages with enum", prop(t, pa, "portLevelMtls", "{}", "mode"), `{"type":"string","enum":["UNSET","DISABLE","PERMISSIVE","STRICT"]}`},
		{"BoolValue", prop(t, tel, "accessLogging", "[]", "disabled"), `{"type":"boolean","nullable":true}`},
		{"DoubleValue", prop(t, tel, "tracing", "[]", "randomSamplingPercentage"), `{"type":"number","format":"double","nullable":true}`},
		{"Struct", prop(t, ef, "configPatches", "[]", "patch", "value"), `{"type":"object","x-kubernetes-preserve-unknown-fields":true}`},
		{"int32 maxRetries", prop(t, dr, "trafficPolicy", "connectionPool", "http", "maxRetries"), `{"type":"integer","format":"int32"}`},
	}
	for _, tc := range cases {
		if got := js(t, tc.got); got != tc.want {
			t.Errorf("%s: %s\nwant %s", tc.name, got, tc.want)
		}
	}
	// A oneof allows none or exactly one of its fields.
	match := prop(t, vs, "http", "[]", "match", "[]", "uri")
	if len(match.OneOf) != 4 || match.OneOf[0].Not == nil || len(match.OneOf[1].Required) != 1 {
		t.Fatalf("StringMatch oneOf: %+v", match.OneOf)
	}
}

func TestWellKnownTypes(t *testing.T) {
	t.Parallel()
	cases := []struct {
		msg  proto.Message
		want string
	}{
		{&durationpb.Duration{}, `{"type":"string"}`},
		{&timestamppb.Timestamp{}, `{"type":"string","format":"date-time"}`},
		{&structpb.Struct{}, `{"type":"object","x-kubernetes-preserve-unknown-fields":true}`},
		{&structpb.Value{}, `{"x-kubernetes-preserve-unknown-fields":true}`},
		{&structpb.ListValue{}, `{"type":"array","items":{"x-kubernetes-preserve-unknown-fields":true}}`},
		{&anypb.Any{}, `{"type":"object","x-kubernetes-preserve-unknown-fields":true}`},
		{&emptypb.Empty{}, `{"type":"object"}`},
		{&wrapperspb.BoolValue{}, `{"type":"boolean","nullable":true}`},
		{&wrapperspb.StringValue{}, `{"type":"string","nullable":true}`},
		{&wrapperspb.BytesValue{}, `{"type":"string","format":"byte","nullable":true}`},
		{&wrapperspb.Int32Value{}, `{"type":"integer","format":"int32","nullable":true}`},
		{&wrapperspb.UInt32Value{}, `{"type":"integer","maximum":4294967295,"minimum":0,"nullable":true}`},
		{&wrapperspb.Int64Value{}, `{"anyOf":[{"type":"integer"},{"type":"string"}],"nullable":true,"x-kubernetes-int-or-string":true}`},
		{&wrapperspb.UInt64Value{}, `{"anyOf":[{"type":"integer"},{"type":"string"}],"nullable":true,"x-kubernetes-int-or-string":true}`},
		{&wrapperspb.FloatValue{}, `{"type":"number","format":"double","nullable":true}`},
		{&wrapperspb.DoubleValue{}, `{"type":"number","format":"double","nullable":true}`},
	}
	for _, tc := range cases {
		name := string(tc.msg.ProtoReflect().Descriptor().FullName())
		if got := js(t, schemaOf(tc.msg.ProtoReflect().Descriptor())); got != tc.want {
			t.Errorf("%s: %s\nwant %s", name, got, tc.want)
		}
	}
}

// 64-bit integers are int-or-string because that is how the client-go types
// write them (protojson quotes them), while people write plain numbers.
func TestSixtyFourBitIntegersMarshalAsStrings(t *testing.T) {
	t.Parallel()
	dr := &networking.DestinationRule{Host: "h", TrafficPolicy: &networking.TrafficPolicy{LoadBalancer: &networking.LoadBalancerSettings{
		LbPolicy: &networking.LoadBalancerSettings_ConsistentHash{ConsistentHash: &networking.LoadBalancerSettings_ConsistentHashLB{
			HashAlgorithm: &networking.LoadBalancerSettings_ConsistentHashLB_Maglev{Maglev: &networking.LoadBalancerSettings_ConsistentHashLB_MagLev{TableSize: 65537}},
		}},
	}}}
	b, err := json.Marshal(dr)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"tableSize":"65537"`) {
		t.Fatalf("client-go JSON of a uint64 changed: %s", b)
	}
	s := schemaOf(dr.ProtoReflect().Descriptor())
	ts := prop(t, s, "trafficPolicy", "loadBalancer", "consistentHash", "maglev", "tableSize")
	if !ts.XIntOrString {
		t.Fatalf("tableSize: %s", js(t, ts))
	}
}

func TestRequiredFieldsAndAltNames(t *testing.T) {
	t.Parallel()
	se := schemaOf((&networking.ServiceEntry{}).ProtoReflect().Descriptor())
	if got := strings.Join(se.Required, ","); got != "hosts" {
		t.Errorf("ServiceEntry required %q, want hosts", got)
	}
	if got := strings.Join(prop(t, se, "ports", "[]").Required, ","); got != "number,name" {
		t.Errorf("ServicePort required %q, want number,name", got)
	}
	vs := schemaOf((&networking.VirtualService{}).ProtoReflect().Descriptor())
	if len(vs.Required) != 0 {
		t.Errorf("VirtualService required %v, want none", vs.Required)
	}
	// The deprecated spelling has the same schema as the current one.
	if a, b := js(t, prop(t, vs, "http", "[]", "mirror_percent")), js(t, prop(t, vs, "http", "[]", "mirrorPercent")); a != b || a != `{"type":"integer","maximum":4294967295,"minimum":0,"nullable":true}` {
		t.Errorf("mirror_percent %s, mirrorPercent %s", a, b)
	}
	// Other fields are listed under their JSON name only.
	if _, ok := prop(t, vs, "http", "[]").Properties["cors_policy"]; ok {
		t.Error("cors_policy listed under its proto name")
	}

	crds, err := CRDs()
	if err != nil {
		t.Fatal(err)
	}
	var specRequired []string
	for _, c := range crds {
		for _, v := range c.Spec.Versions {
			if slices.Contains(v.Schema.OpenAPIV3Schema.Required, "spec") {
				specRequired = append(specRequired, c.Spec.Names.Kind+"/"+v.Name)
			}
		}
	}
	want := "WasmPlugin/v1alpha1 TrafficExtension/v1alpha1 ServiceEntry/v1 ServiceEntry/v1alpha3 ServiceEntry/v1beta1 WorkloadEntry/v1 WorkloadEntry/v1alpha3 WorkloadEntry/v1beta1 WorkloadGroup/v1 WorkloadGroup/v1alpha3 WorkloadGroup/v1beta1"
	sort.Strings(specRequired)
	w := strings.Fields(want)
	sort.Strings(w)
	if !slices.Equal(specRequired, w) {
		t.Errorf("spec required in %v\nwant %v", specRequired, w)
	}
}

// A recursive message ends in a free-form object instead of looping.
func TestRecursiveMessage(t *testing.T) {
	t.Parallel()
	s := schemaOf((&descriptorpb.DescriptorProto{}).ProtoReflect().Descriptor())
	if got := js(t, prop(t, s, "nestedType", "[]")); got != `{"type":"object","x-kubernetes-preserve-unknown-fields":true}` {
		t.Fatalf("nested DescriptorProto: %s", got)
	}
	// A sibling that is not on the path is expanded in full.
	if got := prop(t, s, "field", "[]", "options"); got.Type != "object" || got.XPreserveUnknownFields != nil {
		t.Fatalf("field options: %s", js(t, got))
	}
}

// Each of several oneofs in one message holds on its own.
func TestSeveralOneofs(t *testing.T) {
	t.Parallel()
	dr := schemaOf((&networking.DestinationRule{}).ProtoReflect().Descriptor())
	ch := prop(t, dr, "trafficPolicy", "loadBalancer", "consistentHash")
	if len(ch.OneOf) != 0 || len(ch.AllOf) != 2 {
		t.Fatalf("consistentHash: oneOf %d, allOf %d", len(ch.OneOf), len(ch.AllOf))
	}
	var groups []string
	for _, g := range ch.AllOf {
		var names []string
		for _, alt := range g.OneOf[1:] {
			names = append(names, alt.Required...)
		}
		groups = append(groups, strings.Join(names, "|"))
	}
	if got := strings.Join(groups, " & "); got != "httpHeaderName|httpCookie|useSourceIp|httpQueryParameterName & ringHash|maglev" {
		t.Errorf("oneof groups: %s", got)
	}
	// A single-field oneof (AuthorizationPolicy's provider) constrains nothing.
	ap := schemaOf((&security.AuthorizationPolicy{}).ProtoReflect().Descriptor())
	if len(ap.OneOf) != 0 || len(ap.AllOf) != 0 {
		t.Errorf("AuthorizationPolicy: oneOf %v allOf %v", ap.OneOf, ap.AllOf)
	}
}

// Status is istiod's status message, open to fields a newer istiod adds.
func TestStatusSchema(t *testing.T) {
	t.Parallel()
	crds, err := CRDs()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range crds {
		for _, v := range c.Spec.Versions {
			st := v.Schema.OpenAPIV3Schema.Properties["status"]
			if st.XPreserveUnknownFields == nil || !*st.XPreserveUnknownFields {
				t.Errorf("%s %s: status drops unknown fields", c.Name, v.Name)
			}
			if got := js(t, prop(t, st, "validationMessages", "[]", "level")); got != `{"type":"string","enum":["UNKNOWN","ERROR","WARNING","INFO"]}` {
				t.Errorf("%s %s: validationMessages level %s", c.Name, v.Name, got)
			}
			if !prop(t, st, "conditions", "[]", "observedGeneration").XIntOrString {
				t.Errorf("%s %s: observedGeneration is not int-or-string", c.Name, v.Name)
			}
		}
	}
	var se *apiextv1.CustomResourceDefinition
	for _, c := range crds {
		if c.Spec.Names.Kind == "ServiceEntry" {
			se = c
		}
	}
	prop(t, se.Spec.Versions[0].Schema.OpenAPIV3Schema.Properties["status"], "addresses", "[]", "host")
}

func BenchmarkGenerate(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Generate(); err != nil {
			b.Fatal(err)
		}
	}
}

func TestValidationMarkers(t *testing.T) {
	t.Parallel()
	cases := []struct {
		line, key, value string
		ok               bool
	}{
		{"+kubebuilder:validation:MaxItems=16", "MaxItems", "16", true},
		{"+kubebuilder:validation:Pattern=`^[a-z]+$`", "Pattern", "`^[a-z]+$`", true},
		{"+protoc-gen-crd:list-value-validation:MaxLength=320", "value:MaxLength", "320", true},
		{"+protoc-gen-crd:map-value-validation:MaxLength=63", "value:MaxLength", "63", true},
		{"+cue-gen:VirtualService:shortNames:vs", "", "", false},
		{"Port number", "", "", false},
	}
	for _, tc := range cases {
		k, v, ok := marker(tc.line)
		if k != tc.key || v != tc.value || ok != tc.ok {
			t.Errorf("marker(%q) = %q, %q, %v; want %q, %q, %v", tc.line, k, v, ok, tc.key, tc.value, tc.ok)
		}
	}
	for in, want := range map[string]string{"`^a$`": "^a$", `"(^$|^b$)"`: "(^$|^b$)", "^c$": "^c$"} {
		if got := unquoteMarker(in); got != want {
			t.Errorf("unquoteMarker(%s) = %s, want %s", in, got, want)
		}
	}
}

// The bounds and duration rules of Istio's API reach the generated schemas.
func TestBoundsFromTheAPISources(t *testing.T) {
	t.Parallel()
	crds, err := CRDs()
	if err != nil {
		t.Fatal(err)
	}
	spec := func(kind string) apiextv1.JSONSchemaProps {
		for _, c := range crds {
			if c.Spec.Names.Kind == kind {
				return c.Spec.Versions[0].Schema.OpenAPIV3Schema.Properties["spec"]
			}
		}
		t.Fatalf("no %s", kind)
		return apiextv1.JSONSchemaProps{}
	}
	durationRule := `"x-kubernetes-validations":[{"rule":"duration(self) \u003e= duration('1ms')","message":"must be a valid duration greater than 1ms"}]`
	cases := []struct {
		name string
		got  apiextv1.JSONSchemaProps
		want string
	}{
		{"list item length", prop(t, spec("ServiceEntry"), "addresses", "[]"), `{"type":"string","maxLength":64}`},
		{"list item range", prop(t, spec("DestinationRule"), "trafficPolicy", "outlierDetection", "outlierDetectionHttpErrorCodes", "[]"), `{"type":"integer","maximum":599,"minimum":100}`},
		{"map value length", prop(t, spec("ProxyConfig"), "environmentVariables", "{}"), `{"type":"string","maxLength":2048}`},
		{"duration", prop(t, spec("VirtualService"), "http", "[]", "timeout"), `{"type":"string",` + durationRule + `}`},
		{"duration-validation:none", prop(t, spec("DestinationRule"), "trafficPolicy", "connectionPool", "tcp", "idleTimeout"), `{"type":"string"}`},
	}
	for _, tc := range cases {
		if got := js(t, tc.got); got != tc.want {
			t.Errorf("%s: %s\nwant %s", tc.name, got, tc.want)
		}
	}
	hosts := prop(t, spec("ServiceEntry"), "hosts")
	if hosts.MaxItems == nil || hosts.MinItems == nil {
		t.Errorf("ServiceEntry hosts without item bounds: %s", js(t, hosts))
	}
}
