package yamlstream

import (
	"strings"
	"testing"

	yaml "go.yaml.in/yaml/v3"
)

// TestSyntaxErrorsAtTheRealLine: a syntax error in the second document of
// a file is reported once, at the file's line and column of the offending
// token, whichever YAML library found it. The libraries alone say "line 1"
// of the document, or the line of the enclosing block.
func TestSyntaxErrorsAtTheRealLine(t *testing.T) {
	t.Parallel()
	first := "kind: A\nmetadata: {name: a}\n---\n" // the second document starts at line 4
	cases := []struct {
		name, doc, want string
	}{
		{"tab", "kind: B\nspec:\n\tprofile: demo\n",
			`f.yaml (document 2, line 6, column 1): found character that cannot start any token`},
		{"bad indentation", "kind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n      - name: a\n        image: x\n       ports: []\n",
			`f.yaml (document 2, line 11, column 8): did not find expected key`},
		{"unclosed flow", "kind: B\nmetadata: {name: b\nspec: {}\n",
			`f.yaml (document 2, line 6, column 1): did not find expected ',' or '}'`},
		{"type error", "kind: B\nspec:\n  replicas: [1]\n",
			`f.yaml (document 2, line 6): cannot unmarshal`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got []string
			err := Read("f.yaml", strings.NewReader(first+c.doc), func(d Document) error {
				var err error
				if c.name == "type error" {
					var v struct{ Spec struct{ Replicas int } }
					err = decodeV3(d.Raw, &v)
				} else {
					_, err = d.ToJSON()
				}
				if err != nil {
					got = append(got, d.SyntaxError(err).Error())
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 || !strings.HasPrefix(got[0], c.want) {
				t.Fatalf("got %q, want one error starting %q", got, c.want)
			}
			if strings.Count(got[0], "line") != 1 || strings.Contains(got[0], "yaml:") {
				t.Errorf("the place is not given once, in one form: %q", got[0])
			}
		})
	}
}

func decodeV3(b []byte, v any) error { return yaml.Unmarshal(b, v) }

func TestFieldPosition(t *testing.T) {
	t.Parallel()
	doc := []byte(`apiVersion: v1
kind: VirtualService
metadata:
  name: x
  annotations:
    sidecar.istio.io/inject: "true"
spec:
  http:
  - route:
    - destination:
        host: a
    - destination:
        host: b
        subset: v2
`)
	tests := []struct {
		path      string
		line, col int
	}{
		{"", 1, 1},
		{"spec.http[0].route[1].destination.subset", 14, 9},
		{"spec.http[0].route[1].destination.port", 12, 7},
		{"metadata.annotations[sidecar.istio.io/inject]", 6, 5},
		{"spec.http[3]", 8, 3},
	}
	for _, tc := range tests {
		l, c, ok := FieldPosition(doc, tc.path)
		if !ok || l != tc.line || c != tc.col {
			t.Errorf("%q: %d:%d (%v), want %d:%d", tc.path, l, c, ok, tc.line, tc.col)
		}
	}
}
