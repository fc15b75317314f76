package inject

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	yamlv3 "go.yaml.in/yaml/v3"
	sigsjson "sigs.k8s.io/json"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/strategicpatch"
	"sigs.k8s.io/yaml"
)

// renderedTemplates renders the first template for every injectable pod of
// every golden case.
func renderedTemplates(t *testing.T) (srcs [][]byte, cur []*corev1.Pod) {
	t.Helper()
	for _, c := range goldenCases {
		in := injectorFor(t, c.sets, c.revision)
		for _, p := range pods(t, readInput(t, c.input)) {
			if p.pod == nil || skipReason(p.w, p.pod, in.cfg.revision) != "" {
				continue
			}
			data, err := in.cfg.templateData(p.w, p.pod)
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := in.cfg.templates[0].Execute(&buf, data); err != nil {
				t.Fatal(err)
			}
			srcs = append(srcs, buf.Bytes())
			cur = append(cur, p.pod)
		}
	}
	if len(srcs) < 20 {
		t.Fatalf("only %d rendered templates", len(srcs))
	}
	return srcs, cur
}

// textMap is the reference: YAML to JSON text by the library, then the
// strategic merge's own decoding.
func textMap(t *testing.T, src []byte) map[string]any {
	t.Helper()
	j, err := yaml.YAMLToJSON(src)
	if err != nil {
		t.Fatal(err)
	}
	m, err := decodeJSONMap(j)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// scribble changes every map and list of v, as a strategic merge may.
func scribble(v any) {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			scribble(e)
			t[k] = "changed"
		}
		t["added"] = 1
	case []any:
		for i, e := range t {
			scribble(e)
			t[i] = nil
		}
	}
}

// TestValueCacheMatchesText: for the rendered template of every golden
// workload, the piecewise map is the map of the library's JSON, also when
// it comes from the cache and after earlier results were changed.
func TestValueCacheMatchesText(t *testing.T) {
	t.Parallel()
	srcs, _ := renderedTemplates(t)
	vc := newValueCache()
	for round := 0; round < 3; round++ {
		for i, src := range srcs {
			got, ok := vc.yamlToMap(src)
			if !ok {
				t.Fatalf("template %d: piecewise decoding gave up", i)
			}
			if want := textMap(t, src); !reflect.DeepEqual(got, want) {
				t.Fatalf("template %d, round %d: maps differ\n%#v\n%#v", i, round, got, want)
			}
			scribble(got)
		}
	}
	if len(vc.m) == 0 {
		t.Fatal("no pieces cached")
	}
}

func TestValueCacheTable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		src string
		ok  bool
	}{
		{"a: 1\nb:\n  c: [1, 2]\n  d:\n  - x\n  - y: 1\n    z: 'q: r'\n", true},
		{"list:\n- name: a\n  value: \"x\"\n-   name: b\n- plain\n-\n  nested: true\n", true},
		{"a:\n  # comment\n  b: 1\n\n  c: ~\nd:\n", true},
		{"n: 1.0\nm: 1e3\nk: 12345678901234\nf: 1.5\nt: true\ns: '1'\n", true},
		{"a: 1\na: 2\n", true},
		{"a:\n  x: 1\na:\n  y: 2\n", true},
		{"a: |\n  text\n", false},   // block scalar: the text path
		{"a: &x 1\nb: *x\n", false}, // anchors: the text path
		{"- a\n- b: c\n", false},    // not a mapping
		{"", false},                 // null
		{"'quoted key':\n  x: 1\n", true},
		{"a: yes\nb: On\nc: NULL\nd: y\ne: word\nf: a-b.c/d_e\ng: x:y\nh: ab # c\ni: 'x'\n", true},
		{"l:\n- on\n- Off\n- word\n- w1\n- a b\n- 'q'\n", true},
		{"on: 1\nyes:\n  no: 2\nkey: v\n", true},
		{"a: \"x-1\"\nb: \"\"\nc: \"a # b: c\"\nd: \" sp \"\ne: \"1\"\nf: \"true\"\ng: \"k8s://a/b\"\n", true},
		{"l:\n- \"--x=1\"\n- \"\"\n- \"15006\"\n- \"a\\\\tb\"\n- \"\\u00e9\"\n", true},
		{"a: \"x\" # c\nb: \"y\"  \nc: \"q\\\"q\"\n", true},
	}
	for _, tc := range tests {
		vc := newValueCache()
		for round := 0; round < 2; round++ {
			got, ok := vc.yamlToMap([]byte(tc.src))
			if ok != tc.ok {
				t.Fatalf("%q: ok %v, want %v", tc.src, ok, tc.ok)
			}
			if ok {
				if want := textMap(t, []byte(tc.src)); !reflect.DeepEqual(got, want) {
					t.Errorf("%q: got %#v, want %#v", tc.src, got, want)
				}
				scribble(got)
			}
		}
	}
}

// FuzzValueCache: whenever piecewise decoding succeeds, it agrees with the
// library's JSON read as the strategic merge reads it.
func FuzzValueCache(f *testing.F) {
	f.Add([]byte("a: 1\nb:\n  c: [1, 2]\n  d:\n  - x\n  - y: 1\n"))
	f.Add([]byte("list:\n- name: a\n  value: \"x\"\n- plain\n"))
	f.Add([]byte("a: yes\nb: word-1.x/y_z\nl:\n- On\n- w\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		vc := newValueCache()
		for round := 0; round < 3; round++ {
			got, ok := vc.yamlToMap(src)
			if !ok {
				return
			}
			want, err := yaml.YAMLToJSON(src)
			if err != nil {
				t.Fatalf("library rejects %q that piecewise decoding read as %#v", src, got)
			}
			if again, _ := yaml.YAMLToJSON(src); !bytes.Equal(again, want) {
				return // duplicate keys: the library's answer changes run to run
			}
			wm, err := decodeJSONMap(want)
			if err != nil {
				return
			}
			if !reflect.DeepEqual(got, wm) {
				t.Fatalf("%q: got %#v, want %#v", src, got, wm)
			}
			scribble(got)
		}
	})
}

// TestMergeOverPodMatchesLibrary: the merge from a decoded patch is the
// library's StrategicMergePatch, byte for byte, and the names read from the
// map are those encoding/json reads.
func TestMergeOverPodMatchesLibrary(t *testing.T) {
	t.Parallel()
	srcs, cur := renderedTemplates(t)
	for i, src := range srcs {
		patch, err := yaml.YAMLToJSON(src)
		if err != nil {
			t.Fatal(err)
		}
		orig, err := json.Marshal(cur[i])
		if err != nil {
			t.Fatal(err)
		}
		want, err := strategicpatch.StrategicMergePatch(orig, patch, corev1.Pod{})
		if err != nil {
			t.Fatal(err)
		}
		pm, err := decodeJSONMap(patch)
		if err != nil {
			t.Fatal(err)
		}
		names, ok := namesFromMap(pm)
		if !ok {
			t.Fatalf("template %d: names not read from the map", i)
		}
		var wantNames injectedNames
		if err := json.Unmarshal(patch, &wantNames); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(*names, wantNames) || len(names.Spec.Containers)+len(names.Spec.InitContainers) == 0 {
			t.Fatalf("template %d: names %+v, want %+v", i, *names, wantNames)
		}
		got, err := mergeOverPod(orig, pm)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("template %d: merge differs\n%s\n%s", i, got, want)
		}
	}
}

func TestNamesFromMapTable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		patch string
		ok    bool
	}{
		{`{"spec":{"containers":[{"name":"a"},{"name":"b"}],"volumes":[{"name":"v"}]}}`, true},
		{`{"spec":{"containers":[{"image":"x"}]}}`, true},
		{`{"spec":{"containers":[],"initContainers":null}}`, true},
		{`{"spec":null}`, true},
		{`{}`, true},
		{`{"Spec":{"containers":[{"name":"a"}]}}`, false},
		{`{"spec":{"Containers":[{"name":"a"}]}}`, false},
		{`{"spec":{"containers":[{"Name":"a"}]}}`, false},
		{`{"spec":{"containers":[{"name":null}]}}`, false},
		{`{"spec":{"containers":[{"name":1}]}}`, false},
		{`{"spec":{"containers":[null]}}`, false},
		{`{"spec":{"containers":{"name":"a"}}}`, false},
		{`{"spec":[]}`, false},
	}
	for _, tc := range tests {
		m, err := decodeJSONMap([]byte(tc.patch))
		if err != nil {
			t.Fatal(err)
		}
		got, ok := namesFromMap(m)
		if ok != tc.ok {
			t.Fatalf("%s: ok %v, want %v", tc.patch, ok, tc.ok)
		}
		if !ok {
			continue
		}
		var want injectedNames
		if err := json.Unmarshal([]byte(tc.patch), &want); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(*got, want) {
			t.Errorf("%s: got %+v, want %+v", tc.patch, *got, want)
		}
	}
}

func TestToYAMLMemo(t *testing.T) {
	t.Parallel()
	values := []any{
		map[string]any{"requests": map[string]any{"cpu": "100m", "memory": "128Mi"}},
		map[string]any{"limits": map[string]any{"cpu": 2, "memory": "1Gi"}, "x": nil},
		[]any{"a", 1, true, 1.5},
		"plain",
		nil,
		map[string]any{"bad": func() {}}, // JSON fails: ""
	}
	memo := &yamlMemo{}
	for round := 0; round < 2; round++ {
		for _, v := range values {
			want := toYAML(v)
			if got := memo.toYAML(v); got != want {
				t.Errorf("%#v: got %q, want %q", v, got, want)
			}
		}
	}
	if got := memo.toYAML(values[0]); got != "requests:\n  cpu: 100m\n  memory: 128Mi\n" {
		t.Errorf("got %q", got)
	}
}

// slowPod is decodePod's library way: yaml.v3 into a map, JSON, a Pod.
func slowPod(n *yamlv3.Node) (*corev1.Pod, error) {
	var v map[string]any
	if err := n.Decode(&v); err != nil {
		return nil, err
	}
	delete(v, "status")
	b, err := json.Marshal(map[string]any{"metadata": v["metadata"], "spec": v["spec"]})
	if err != nil {
		return nil, err
	}
	pod := &corev1.Pod{}
	if err := sigsjson.UnmarshalCaseSensitivePreserveInts(b, pod); err != nil {
		return nil, err
	}
	return pod, nil
}

// checkPodJSON: where podJSON takes a pod template, the Pod read from its
// JSON is the library way's Pod.
func checkPodJSON(t *testing.T, src []byte) (fast int) {
	var n int
	return checkPodDecoding(t, src, &n)
}

// checkPodDecoding is checkPodJSON that also counts in nodesFast the
// mappings podFromNodes decoded.
func checkPodDecoding(t *testing.T, src []byte, nodesFast *int) (fast int) {
	t.Helper()
	var doc yamlv3.Node
	if yamlv3.Unmarshal(src, &doc) != nil || len(doc.Content) == 0 {
		return 0
	}
	var walk func(n *yamlv3.Node)
	walk = func(n *yamlv3.Node) {
		if n.Kind == yamlv3.MappingNode && plainTree(n) {
			// The nodes decoded straight into a Pod: as the JSON way.
			direct := &corev1.Pod{}
			if podFromNodes(n, direct) {
				b, ok := podJSON(n)
				if !ok {
					t.Fatalf("%q: decoded from the nodes, no JSON", src)
				}
				viaJSON := &corev1.Pod{}
				if err := sigsjson.UnmarshalCaseSensitivePreserveInts(b, viaJSON); err != nil {
					t.Fatalf("%q: decoded from the nodes, the JSON way fails: %v", src, err)
				}
				if !reflect.DeepEqual(direct, viaJSON) {
					t.Fatalf("%q: pods differ\n%#v\n%#v", src, direct, viaJSON)
				}
				*nodesFast++
			}
		}
		if n.Kind == yamlv3.MappingNode {
			if b, ok := podJSON(n); ok {
				want, werr := slowPod(n)
				got := &corev1.Pod{}
				gerr := sigsjson.UnmarshalCaseSensitivePreserveInts(b, got)
				if gerr == nil && werr != nil {
					t.Fatalf("%q: direct JSON %s read, the library way failed: %v", src, b, werr)
				}
				if gerr == nil && !reflect.DeepEqual(got, want) {
					t.Fatalf("%q: pods differ\n%#v\n%#v", src, got, want)
				}
				if gerr == nil {
					fast++
				}
			}
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(doc.Content[0])
	return fast
}

func TestPodJSONMatchesLibrary(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join("testdata", "in", "*"))
	if err != nil || len(files) == 0 {
		t.Fatal(files, err)
	}
	fast, nodesFast := 0, 0
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range bytes.Split(src, []byte("\n---")) {
			fast += checkPodDecoding(t, d, &nodesFast)
		}
	}
	if fast < 20 {
		t.Fatalf("only %d pod templates took the direct way", fast)
	}
	if nodesFast < fast {
		t.Fatalf("only %d of %d pod templates decoded from the nodes", nodesFast, fast)
	}
	tricky := []string{
		"metadata: {name: a, labels: {x: 'y', n: 1, b: true, z: null}}\nspec: {containers: [{name: c, image: i}]}\n",
		"metadata: {name: a}\nspec: {containers: [{name: c, resources: {requests: {cpu: 0.5, memory: 1e3}}}]}\n",
		"metadata: {name: a}\nspec: {containers: [{name: c, ports: [{containerPort: 0x50}]}], priority: 12345678901234567890}\n",
		"metadata: {name: \"\\u00e9\\t<&>\", annotations: {a: \"x\\ny\", b: 2001-12-14, c: ~}}\nspec: {}\n",
		"metadata: {name: a, labels: {x: !!str 1}}\nspec: {}\n", // tagged: library way
		"metadata: &m {name: a}\nspec: {hostname: *m}\n",        // alias: library way
		"metadata: {name: a, name: b}\nspec: {}\n",              // duplicate: library way
		"metadata: {name: a, labels: {1: x}}\nspec: {}\n",       // int key: library way
		"metadata: {name: a}\nspec: {containers: [{name: c, <<: {image: i}}]}\n",
		"metadata: {name: a}\nspec: {containers: [{name: c}], activeDeadlineSeconds: .inf}\n",
		"metadata: {name: a}\nspec: {containers: [{name: c}]}\nstatus: {phase: .inf, x: [1, 2]}\n",
		"metadata: {name: a}\nspec: {containers: {name: c}}\n", // type error
		"metadata: {Name: a}\nspec: {Containers: [{name: c}]}\n",
		"spec: {containers: [{name: c, args: [yes, on, 'no', True, 1_000, 0o17, +1, -0, 010]}]}\n",
	}
	for _, s := range tricky {
		checkPodJSON(t, []byte(s))
	}
}

// FuzzPodFromNodes: whatever plain mapping podFromNodes decodes, it
// decodes as the JSON way does.
func FuzzPodFromNodes(f *testing.F) {
	f.Add("metadata: {name: a, labels: {x: 'y'}}\nspec: {containers: [{name: c, image: i, ports: [{containerPort: 80}], resources: {limits: {cpu: 100m}}}]}\n")
	f.Add("metadata:\n  name: a\nspec:\n  hostNetwork: true\n  priority: -3\n  containers:\n  - name: c\n    readinessProbe:\n      httpGet: {port: http}\n      timeoutSeconds: 010\n")
	f.Add("spec: {containers: [{name: c, args: [yes, on, 'no', True, 1_000, 0o17, +1, -0, 010]}], volumes: null}\n")
	f.Fuzz(func(t *testing.T, s string) {
		checkPodJSON(t, []byte(s))
	})
}

func FuzzPodJSON(f *testing.F) {
	f.Add([]byte("metadata: {name: a, labels: {x: 'y'}}\nspec: {containers: [{name: c, image: i, ports: [{containerPort: 80}]}]}\n"))
	f.Add([]byte("metadata:\n  name: a\nspec:\n  containers:\n  - name: c\n    args: [1, 2.5, true, null, x]\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		checkPodJSON(t, src)
	})
}
