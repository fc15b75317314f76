package inject

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	sigsjson "sigs.k8s.io/json"

	"github.com/meshctl/meshctl/pkg/suggest"
	"github.com/meshctl/meshctl/pkg/yamlstream"
)

// TestUnknownFieldsRefused: a field the Pod type does not know, in a pod
// that is injected, is an error naming the file, the document, the line,
// where the field is and the field probably meant; nothing is written.
func TestUnknownFieldsRefused(t *testing.T) {
	t.Parallel()
	in := injectorFor(t, nil, "")
	deploy := func(spec string) string {
		return "apiVersion: v1\nkind: Service\nmetadata:\n  name: s\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n" + spec
	}
	tests := []struct{ name, src, want string }{
		{"misspelled field of a declared proxy",
			deploy("    spec:\n      containers:\n      - name: web\n      - name: istio-proxy\n        image: auto\n        securityContewer reaxt:\n          runAsUser: 1500\n"),
			`app.yaml (document 2, line 17, column 9): unknown field "securityContewer reaxt" in spec.template.spec.containers[1] (istio-proxy): did you mean "securityContext"?`},
		{"declared init container",
			deploy("    spec:\n      initContainers:\n      - name: istio-init\n        resorces: {}\n      containers:\n      - name: web\n"),
			`line 15, column 9): unknown field "resorces" in spec.template.spec.initContainers[0] (istio-init): did you mean "resources"?`},
		{"deep in a declared proxy",
			deploy("    spec:\n      containers:\n      - name: web\n      - name: istio-proxy\n        readinessProbe:\n          httpGet:\n            paht: /x\n"),
			`line 18, column 13): unknown field "paht" in spec.template.spec.containers[1] (istio-proxy).readinessProbe.httpGet: did you mean "path"?`},
		{"an application probe injection rewrites",
			deploy("    spec:\n      containers:\n      - name: web\n        livenessProbe:\n          periodSecond: 3\n          httpGet: {port: 80}\n"),
			`unknown field "periodSecond" in spec.template.spec.containers[0] (web).livenessProbe: did you mean "periodSeconds"?`},
		{"a misspelling that would have skipped the pod",
			deploy("    spec:\n      hostNetwrok: true\n      containers:\n      - name: web\n"),
			`line 13, column 7): unknown field "hostNetwrok" in spec.template.spec: did you mean "hostNetwork"?`},
		{"annotations misspelled, so inject: false would be lost",
			deploy("    metadata:\n      annotatons:\n        sidecar.istio.io/inject: \"false\"\n    spec:\n      containers:\n      - name: web\n"),
			`line 13, column 7): unknown field "annotatons" in spec.template.metadata: did you mean "annotations"?`},
		{"a pod at the root",
			"apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: web\nstatuss: {}\n",
			`line 8, column 1): unknown field "statuss": did you mean "status"?`},
		{"a List item",
			"apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: p}\n  spec:\n    containers:\n    - name: web\n      imagePullPolice: Always\n",
			`line 10, column 7): unknown field "imagePullPolice" in items[0].spec.containers[0] (web): did you mean "imagePullPolicy"?`},
		{"through a YAML merge key",
			"base: &base\n  imagePullPolice: Always\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: web\n    <<: {imagePullPolice: Always}\n",
			`unknown field "imagePullPolice" in spec.containers[0] (web)`},
		{"nothing near",
			deploy("    spec:\n      containers:\n      - name: web\n        zzzzzzzzzz: 1\n"),
			`unknown field "zzzzzzzzzz" in spec.template.spec.containers[0] (web)` + "\x00"},
		{"proxy config, nested",
			"apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations:\n    proxy.istio.io/config: |\n      concurrency: 2\n      tracing:\n        zipkn: {address: z:9411}\nspec:\n  containers:\n  - name: web\n",
			`app.yaml (document 1, line 9): annotation proxy.istio.io/config: unknown field "zipkn" in tracing: did you mean "zipkin"?`},
		{"proxy config, JSON on one line",
			"apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations:\n    proxy.istio.io/config: '{\"holdApplicationUntilProxyStart\": true}'\nspec:\n  containers:\n  - name: web\n",
			`line 6, column 5): annotation proxy.istio.io/config: unknown field "holdApplicationUntilProxyStart": did you mean "holdApplicationUntilProxyStarts"?`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			err := in.Inject("app.yaml", strings.NewReader(tc.src), &out, nil)
			want, noHint := strings.CutSuffix(tc.want, "\x00")
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("want an error containing %q, got %v", want, err)
			}
			if noHint && strings.Contains(err.Error(), "did you mean") {
				t.Fatalf("a hint where nothing is near: %v", err)
			}
			if bytes.Contains(out.Bytes(), []byte("istio-proxy\n        image: docker.io")) {
				t.Fatalf("the refused document was written:\n%s", out.Bytes())
			}
		})
	}
}

// TestBadInputFile is the misspelled proxy of the committed bad input,
// through the stream: the Service before it is fine, the Deployment is
// refused at its line.
func TestBadInputFile(t *testing.T) {
	t.Parallel()
	p := filepath.Join("testdata", "bad", "misspelled-proxy.yaml")
	src, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	err = injectorFor(t, nil, "").Inject(p, bytes.NewReader(src), &bytes.Buffer{}, nil)
	var fe *FieldError
	if !errors.As(err, &fe) {
		t.Fatalf("want a FieldError, got %v", err)
	}
	if fe.Line != 38 || fe.Field != "securityContewer reaxt" || fe.Hint != "securityContext" || !strings.Contains(fe.Where, "document 2") {
		t.Fatalf("got %+v", fe)
	}
}

// TestSkippedPodsKeepUnknownFields: a pod injection leaves alone is passed
// on byte for byte, whatever it holds.
func TestSkippedPodsKeepUnknownFields(t *testing.T) {
	t.Parallel()
	src := "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations:\n    sidecar.istio.io/inject: \"false\"\nspec:\n  containers:\n  - name: web\n    futureField: 1\n"
	out, report := run(t, injectorFor(t, nil, ""), []byte(src))
	if string(out) != src || !strings.Contains(report, "skipped") {
		t.Fatalf("report %q, output:\n%s", report, out)
	}
}

// TestUninjectRefusesUnknownFields: uninjection restores declared
// containers from their typed record, so a field added to an injected pod
// that no container has is refused rather than dropped, and so is a record
// holding one.
func TestUninjectRefusesUnknownFields(t *testing.T) {
	t.Parallel()
	in := injectorFor(t, nil, "")
	src := "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: web\n  - name: istio-proxy\n    image: auto\n    securityContext:\n      runAsUser: 1500\n"
	injected, _ := run(t, in, []byte(src))
	back, _ := run(t, NewUninjector(), injected)
	if string(back) != src {
		t.Fatalf("round trip:\n%s", back)
	}

	edited := strings.Replace(string(injected), "    securityContext:\n      runAsUser: 1500\n", "    securityContex: {}\n    securityContext:\n      runAsUser: 1500\n", 1)
	if edited == string(injected) {
		t.Fatal("the edit did not apply")
	}
	err := NewUninjector().Uninject("app.yaml", strings.NewReader(edited), &bytes.Buffer{}, nil)
	if err == nil || !strings.Contains(err.Error(), `unknown field "securityContex" in spec.containers[1] (istio-proxy): did you mean "securityContext"?`) {
		t.Fatalf("got %v", err)
	}

	var rec bytes.Buffer
	for _, line := range strings.SplitAfter(string(injected), "\n") {
		if strings.Contains(line, annOverrides) {
			line = strings.Replace(line, `"runAsUser":1500`, `"runAsUser":1500,"runAsUsr":1`, 1)
		}
		rec.WriteString(line)
	}
	if !strings.Contains(rec.String(), "runAsUsr") {
		t.Fatal("the record edit did not apply")
	}
	err = NewUninjector().Uninject("app.yaml", &rec, &bytes.Buffer{}, nil)
	if err == nil || !strings.Contains(err.Error(), annOverrides) || !strings.Contains(err.Error(), "runAsUsr") {
		t.Fatalf("got %v", err)
	}
}

// TestUnknownFieldMatchesLibrary: the walker that finds unknown fields
// agrees with the library's strict decoding (sigs.k8s.io/json, as the API
// server decodes) on whether a pod template has one, over every input and
// golden file and the cases above.
func TestUnknownFieldMatchesLibrary(t *testing.T) {
	t.Parallel()
	var files []string
	for _, g := range []string{"in", "golden", "bad"} {
		m, _ := filepath.Glob(filepath.Join("testdata", g, "*"))
		files = append(files, m...)
	}
	extra := []string{
		"kind: Pod\nspec:\n  containers:\n  - name: a\n    ports: [{containerPort: 1, nam: x}]\n",
		"kind: Pod\nspec:\n  volumes:\n  - name: v\n    emptyDir: {medum: Memory}\n",
		"kind: Pod\nspec:\n  containers:\n  - name: a\n    resources: {limits: {cpu: 1}, claims: [{name: c, requst: r}]}\n",
		"kind: Pod\nspec:\n  containers:\n  - name: a\n    env: [{name: A, valueFrom: {fieldRef: {fieldPath: x}}}]\n",
		"kind: Pod\nmetadata: {labels: {a: b}, ownerReferences: [{name: x, kind: y, apiVersion: v, uid: u, controler: true}]}\nspec: {containers: [{name: a}]}\n",
		"kind: Pod\nspec: {containers: [{name: a, securityContext: {capabilities: {add: [NET_ADMIN]}}}]}\n",
	}
	checked, unknown := 0, 0
	check := func(name string, src []byte) {
		err := yamlstream.Read(name, bytes.NewReader(src), func(d yamlstream.Document) error {
			doc, err := parse(d)
			if err != nil || doc == nil {
				return nil
			}
			for _, tg := range targets(doc.Content[0]) {
				if tg.pod == nil {
					continue
				}
				var v map[string]any
				if tg.pod.Decode(&v) != nil {
					continue
				}
				if tg.kind != "Pod" {
					v = map[string]any{"metadata": v["metadata"], "spec": v["spec"]}
				}
				b, err := json.Marshal(v)
				if err != nil {
					continue
				}
				strictErrs, err := sigsjson.UnmarshalStrict(b, &corev1.Pod{}, sigsjson.DisallowUnknownFields)
				if err != nil {
					continue
				}
				typ := podTemplateType
				if tg.kind == "Pod" {
					typ = podType
				}
				got := unknownField(tg.pod, typ, "")
				checked++
				if (got != nil) != (len(strictErrs) > 0) {
					t.Errorf("%s: walker %v, library %v", d.Where(), got, strictErrs)
				}
				if got != nil {
					unknown++
					if !strings.Contains(strictErrs[0].Error(), got.Field) {
						t.Errorf("%s: walker names %q, library %v", d.Where(), got.Field, strictErrs)
					}
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		check(f, b)
	}
	for i, s := range extra {
		check("extra"+string(rune('a'+i)), []byte(s))
	}
	if checked < 100 || unknown < 5 {
		t.Fatalf("compared %d pod templates, %d with unknown fields: too few to mean anything", checked, unknown)
	}
}

func TestNearest(t *testing.T) {
	t.Parallel()
	names := []string{"securityContext", "resources", "readinessProbe", "name", "image", "imagePullPolicy", "ports"}
	tests := map[string]string{
		"securityContewer reaxt": "securityContext",
		"securitycontext":        "securityContext",
		"resorces":               "resources",
		"imagePullPolice":        "imagePullPolicy",
		"nmae":                   "name",
		"zzzzzzzzzz":             "",
		"x":                      "",
	}
	for in, want := range tests {
		if got := suggest.Nearest(in, names); got != want {
			t.Errorf("nearest(%q) = %q, want %q", in, got, want)
		}
	}
}
