package crdgen

import (
	"go/ast"
	"strings"
	"testing"
)

// Istio's macros expand to plain CEL, printed with double-quoted strings and
// the parentheses CEL's unparser writes.
func TestIstioRuleMacros(t *testing.T) {
	t.Parallel()
	cases := []struct{ in, want string }{
		{"oneof(self.a, self.b)", "(has(self.a) ? 1 : 0) + (has(self.b) ? 1 : 0) <= 1"},
		{"oneof(self.a, self.b, self.c)", "(has(self.a) ? 1 : 0) + (has(self.b) ? 1 : 0) + (has(self.c) ? 1 : 0) <= 1"},
		{"default(self.mode, 'NONE') == 'NONE' ? !has(self.endpoints) : true",
			`((has(self.mode) ? self.mode : "NONE") == "NONE") ? !has(self.endpoints) : true`},
		{"default(self.addresses, []).exists(k, k.contains('/'))",
			`(has(self.addresses) ? self.addresses : []).exists(k, k.contains("/"))`},
		{"has(self.p) ? self.index({}, selector, matchLabels).size() > 0 : true",
			`has(self.p) ? (((has(self.selector) && has(self.selector.matchLabels)) ? self.selector.matchLabels : {}).size() > 0) : true`},
		{"self.index(0, a)", "has(self.a) ? self.a : 0"},
		// Nothing to expand: only the spelling changes.
		{"self.substring(7,8) == '/'", `self.substring(7, 8) == "/"`},
		{"a ? (b ? c : d) : e", "a ? (b ? c : d) : e"},
		{"(a || b) && c", "(a || b) && c"},
		{"a && (b || c)", "a && (b || c)"},
		{"a - (b - c)", "a - (b - c)"},
		{"(a - b) - c", "a - b - c"},
		{"a && b && c || d", "a && b && c || d"},
		{"!(a && b)", "!(a && b)"},
		{"-x + 1", "-x + 1"},
		{"(a ? b : c).d", "(a ? b : c).d"},
		{"x in ['a', \"b\"] && m[k] == {'k': 1u, 2: 2.5}", `x in ["a", "b"] && m[k] == {"k": 1u, 2: 2.5}`},
		{`'it\'s' + "\n" + r'\d'`, `"it's" + "\n" + "\\d"`},
		{"self.all(key, size(key) < 63 && key.matches('^[a-z]$'))", `self.all(key, size(key) < 63 && key.matches("^[a-z]$"))`},
	}
	for _, tc := range cases {
		got, err := expandIstioRule(tc.in)
		if err != nil {
			t.Errorf("%s: %v", tc.in, err)
			continue
		}
		if got != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.in, got, tc.want)
		}
		// The output is canonical: printing it again changes nothing.
		if again, err := canonicalCEL(got); err != nil || again != got {
			t.Errorf("%s: not canonical: %s (%v)", got, again, err)
		}
	}
	for _, bad := range []string{"oneof(self.a, 1)", "default(self.a)", "default(a, 1)", "self.index({}, 'x')", "a +", "(a", "'open", "a ? b", "a @ b", "[1, 2", "a 'in' b", "a in"} {
		if got, err := expandIstioRule(bad); err == nil {
			t.Errorf("%s: no error, got %s", bad, got)
		}
	}
}

func TestXValidationMarkers(t *testing.T) {
	t.Parallel()
	cases := []struct {
		line string
		want docRule
	}{
		{`+kubebuilder:validation:XValidation:message="only one of a or b, please",rule="oneof(self.a, self.b)"`,
			docRule{rule: "(has(self.a) ? 1 : 0) + (has(self.b) ? 1 : 0) <= 1", message: "only one of a or b, please"}},
		// A proto '' appears as a typographic quote in the Go sources.
		{"+kubebuilder:validation:XValidation:message=\"m\",rule=\"self in [\u201d, 'HTTP']\"",
			docRule{rule: `self in ["", "HTTP"]`, message: "m"}},
		// Istio leaves a rule's double quotes unescaped.
		{`+kubebuilder:validation:XValidation:message="UDS",rule="(default(self.address, "").startsWith('unix://')) ? !has(self.ports) : true"`,
			docRule{rule: `(has(self.address) ? self.address : "").startsWith("unix://") ? !has(self.ports) : true`, message: "UDS"}},
		{`+protoc-gen-crd:map-value-validation:XValidation:message="no wildcard",rule="!self.contains('*')"`,
			docRule{value: true, rule: `!self.contains("*")`, message: "no wildcard"}},
		{`+protoc-gen-crd:list-value-validation:XValidation:rule="self != '*'",message="m"`,
			docRule{value: true, rule: `self != "*"`, message: "m"}},
	}
	for _, tc := range cases {
		got, ok, err := xValidation(tc.line)
		if !ok || err != nil || got != tc.want {
			t.Errorf("%s:\n got %+v %v %v\nwant %+v", tc.line, got, ok, err, tc.want)
		}
	}
	if _, ok, _ := xValidation("+kubebuilder:validation:MaxItems=16"); ok {
		t.Error("MaxItems read as a rule")
	}
	for _, bad := range []string{
		`+kubebuilder:validation:XValidation:message="no rule"`,
		`+kubebuilder:validation:XValidation:message="m",rule="self.a +"`,
		`+kubebuilder:validation:XValidation:message="unterminated`,
	} {
		if _, ok, err := xValidation(bad); !ok || err == nil {
			t.Errorf("%s: ok %v, err %v", bad, ok, err)
		}
	}
}

func TestDocRulesAndIgnore(t *testing.T) {
	t.Parallel()
	cg := &ast.CommentGroup{}
	for _, l := range []string{
		"Some prose.",
		"+kubebuilder:validation:MaxItems=4",
		`+kubebuilder:validation:XValidation:message="first",rule="has(self.a)"`,
		`+protoc-gen-crd:validation:IgnoreSubValidation:["Address is required","other"]`,
		`+kubebuilder:validation:XValidation:message="second",rule="has(self.b)"`,
	} {
		cg.List = append(cg.List, &ast.Comment{Text: "// " + l})
	}
	d, err := parseDoc(cg)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range d.rules {
		got = append(got, r.message+"="+r.rule)
	}
	if strings.Join(got, ";") != "first=has(self.a);second=has(self.b)" {
		t.Errorf("rules %v", got)
	}
	if strings.Join(d.ignore, ";") != "Address is required;other" || d.markers["MaxItems"] != "4" {
		t.Errorf("ignore %v, markers %v", d.ignore, d.markers)
	}
}

// The rules land where Istio puts them: on the message, the field, each
// value; a WorkloadGroup's template drops the rule it ignores.
func TestRulePlacement(t *testing.T) {
	t.Parallel()
	crds, err := CRDs()
	if err != nil {
		t.Fatal(err)
	}
	rules := func(kind string, path ...string) []string {
		for _, c := range crds {
			if c.Spec.Names.Kind == kind {
				s := prop(t, c.Spec.Versions[0].Schema.OpenAPIV3Schema.Properties["spec"], path...)
				var out []string
				for _, r := range s.XValidations {
					out = append(out, r.Message)
				}
				return out
			}
		}
		t.Fatalf("no %s", kind)
		return nil
	}
	cases := []struct {
		got  []string
		want string
	}{
		{rules("ServiceEntry"), "only one of WorkloadSelector or Endpoints can be set|CIDR addresses are allowed only for NONE/STATIC resolution types|NONE mode cannot set endpoints|DNS_ROUND_ROBIN mode cannot have multiple endpoints"},
		{rules("ServiceEntry", "hosts", "[]"), "hostname cannot be wildcard"},
		{rules("ServiceEntry", "ports"), "port number cannot be duplicated"},
		{rules("ServiceEntry", "endpoints", "[]"), "Address is required|UDS may not include ports"},
		{rules("ServiceEntry", "endpoints", "[]", "ports", "{}"), "port must be between 1-65535"},
		{rules("WorkloadEntry"), "Address is required|UDS may not include ports"},
		{rules("WorkloadGroup", "template"), "UDS may not include ports"},
		{rules("AuthorizationPolicy", "selector", "matchLabels"), "wildcard not allowed in label key match|key must not be empty"},
		{rules("AuthorizationPolicy", "selector", "matchLabels", "{}"), "wildcard not allowed in label value match"},
	}
	for i, tc := range cases {
		if got := strings.Join(tc.got, "|"); got != tc.want {
			t.Errorf("case %d: %s\nwant %s", i, got, tc.want)
		}
	}
}
