package iop

import (
	"strings"
	"testing"
)

// FuzzParseSet: parsing never panics, and a parsed path formats back to a
// path that parses to the same steps.
func FuzzParseSet(f *testing.F) {
	for _, s := range []string{
		"profile=demo", "components.ingressGateways[name:istio-ingressgateway].enabled=false",
		`values.pilot.podAnnotations.a\.b=c`, "components.egressGateways[0].enabled=true", "a[0][1].b=2", "x=[",
	} {
		f.Add(s)
	}
	sc := testSchema()
	f.Fuzz(func(t *testing.T, s string) {
		st, err := ParseSet(s)
		if err != nil {
			return
		}
		again, err := ParseSet(st.Path + "=x")
		if err != nil {
			t.Fatalf("formatted path %q of %q does not parse: %v", st.Path, s, err)
		}
		if again.Path != st.Path {
			t.Fatalf("path %q reparsed as %q", st.Path, again.Path)
		}
		_ = sc.CheckSet(st)
		doc := map[string]any{}
		_ = st.Apply(doc)
	})
}

// FuzzDecode: decoding arbitrary documents never panics, and what decodes
// is accepted again by Check.
func FuzzDecode(f *testing.F) {
	f.Add("apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nspec:\n  profile: demo\n")
	f.Add("apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nspec:\n  components:\n    ingressGateways:\n    - name: a\n      enabled: true\n")
	f.Add("apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nspec:\n  meshConfig:\n    defaultConfig:\n      proxyMetadata: {A: b}\n")
	sc := testSchema()
	f.Fuzz(func(t *testing.T, s string) {
		doc, err := sc.Decode([]byte(s), "fuzz.yaml")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.yaml") {
				t.Fatalf("error does not name the source: %v", err)
			}
			return
		}
		if err := sc.Check(Merge(doc, doc), "again"); err != nil {
			t.Fatalf("merged document fails the check: %v", err)
		}
	})
}
