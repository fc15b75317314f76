package crdgen

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	apiextv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/yaml"
)

// publishedCRDs reads the CRDs Istio publishes in the istio.io/api module of
// go.mod, the reference for what its API's markers mean.
func publishedCRDs(t *testing.T) []*apiextv1.CustomResourceDefinition {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "istio.io/api")
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("go list -m istio.io/api: %v: %s", err, stderr.String())
	}
	dir := strings.TrimSpace(stdout.String())
	if dir == "" {
		t.Fatal("go list -m istio.io/api: the module is not downloaded")
	}
	data, err := os.ReadFile(filepath.Join(dir, "kubernetes", "customresourcedefinitions.gen.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var out []*apiextv1.CustomResourceDefinition
	for _, d := range strings.Split(string(data), "\n---\n") {
		if strings.TrimSpace(strings.TrimPrefix(d, "---")) == "" {
			continue
		}
		crd := &apiextv1.CustomResourceDefinition{}
		if err := yaml.Unmarshal([]byte(d), crd); err != nil {
			t.Fatal(err)
		}
		if crd.Kind == "CustomResourceDefinition" {
			out = append(out, crd)
		}
	}
	return out
}

// ruleSet maps "Kind version path" to the normalized "rule ⟹ message"s there.
type ruleSet map[string][]string

func (rs ruleSet) count() int {
	n := 0
	for _, v := range rs {
		n += len(v)
	}
	return n
}

// normalizeRule removes what does not change a rule's meaning: whitespace
// outside strings and the quotes a string is written with.
func normalizeRule(t *testing.T, rule string) string {
	t.Helper()
	toks, err := lexCEL(rule)
	if err != nil {
		t.Fatalf("rule %q: %v", rule, err)
	}
	var b strings.Builder
	for i, tok := range toks {
		if i > 0 && tok.kind != tokPunct && toks[i-1].kind != tokPunct {
			b.WriteByte(' ') // "x in y" keeps its spaces
		}
		switch tok.kind {
		case tokString:
			b.WriteString(strconv.Quote(tok.text))
		case tokBytes:
			b.WriteString("b" + strconv.Quote(tok.text))
		default:
			b.WriteString(tok.text)
		}
	}
	return b.String()
}

func collectRules(t *testing.T, crds []*apiextv1.CustomResourceDefinition) ruleSet {
	t.Helper()
	rs := ruleSet{}
	var walk func(prefix, path string, s *apiextv1.JSONSchemaProps)
	walk = func(prefix, path string, s *apiextv1.JSONSchemaProps) {
		if s == nil {
			return
		}
		for _, r := range s.XValidations {
			key := prefix + " " + path
			rs[key] = append(rs[key], normalizeRule(t, r.Rule)+" ⟹ "+r.Message)
		}
		for name, p := range s.Properties {
			walk(prefix, path+"."+name, &p)
		}
		if s.Items != nil {
			walk(prefix, path+"[]", s.Items.Schema)
		}
		if s.AdditionalProperties != nil {
			walk(prefix, path+"{}", s.AdditionalProperties.Schema)
		}
		for i := range s.AllOf {
			walk(prefix, path+"|allOf", &s.AllOf[i])
		}
		for i := range s.AnyOf {
			walk(prefix, path+"|anyOf", &s.AnyOf[i])
		}
		for i := range s.OneOf {
			walk(prefix, path+"|oneOf", &s.OneOf[i])
		}
		walk(prefix, path+"|not", s.Not)
	}
	for _, c := range crds {
		for _, v := range c.Spec.Versions {
			if v.Schema != nil {
				walk(c.Spec.Names.Kind+" "+v.Name, "", v.Schema.OpenAPIV3Schema)
			}
		}
	}
	for k := range rs {
		sort.Strings(rs[k])
	}
	return rs
}

// diffRules lists what want has and have lacks, as "key: rule".
func diffRules(want, have ruleSet) []string {
	var out []string
	for key, rules := range want {
		left := map[string]int{}
		for _, r := range have[key] {
			left[r]++
		}
		for _, r := range rules {
			if left[r] > 0 {
				left[r]--
				continue
			}
			out = append(out, fmt.Sprintf("%s: %s", key, r))
		}
	}
	sort.Strings(out)
	return out
}

// underivable lists rules Istio publishes that the Go sources of its API do
// not let us derive, with the reason. It is empty: every rule comes from a
// marker.
var underivable = map[string]string{}

// Every CEL rule Istio publishes for its CRDs, with its message, is
// generated from the markers at the same place, and no other.
func TestRulesMatchIstiosPublishedCRDs(t *testing.T) {
	t.Parallel()
	ours, err := CRDs()
	if err != nil {
		t.Fatal(err)
	}
	want := collectRules(t, publishedCRDs(t))
	have := collectRules(t, ours)
	t.Logf("Istio publishes %d rules, we generate %d", want.count(), have.count())
	if want.count() < 300 {
		t.Fatalf("only %d rules in Istio's CRDs: not the file expected", want.count())
	}
	for _, m := range diffRules(want, have) {
		if reason, ok := underivable[m]; ok {
			t.Logf("not generated (%s): %s", reason, m)
			continue
		}
		t.Errorf("missing %s", m)
	}
	for _, m := range diffRules(have, want) {
		t.Errorf("extra %s", m)
	}
}
