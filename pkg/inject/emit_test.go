package inject

import (
	"bytes"
	"encoding/json"
	"io"
	"reflect"
	"strings"
	"testing"

	yaml "go.yaml.in/yaml/v3"
	corev1 "k8s.io/api/core/v1"
)

// tokenNode is the reference for jsonToNode, built from encoding/json's
// token stream.
func tokenNode(dec *json.Decoder) (*yaml.Node, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch v := tok.(type) {
	case json.Delim:
		switch v {
		case '{':
			n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
			for dec.More() {
				k, err := dec.Token()
				if err != nil {
					return nil, err
				}
				val, err := tokenNode(dec)
				if err != nil {
					return nil, err
				}
				n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: k.(string)}, val)
			}
			_, err := dec.Token()
			return n, err
		case '[':
			n := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
			for dec.More() {
				val, err := tokenNode(dec)
				if err != nil {
					return nil, err
				}
				n.Content = append(n.Content, val)
			}
			_, err := dec.Token()
			return n, err
		}
	case string:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v}, nil
	case bool:
		if v {
			return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: "true"}, nil
		}
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: "false"}, nil
	case nil:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"}, nil
	case json.Number:
		tag := "!!int"
		if strings.ContainsAny(string(v), ".eE") {
			tag = "!!float"
		}
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: string(v)}, nil
	}
	return nil, io.ErrUnexpectedEOF
}

func checkJSONToNode(t *testing.T, b []byte) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	want, err := tokenNode(dec)
	if err != nil {
		return
	}
	got, err := jsonToNode(b)
	if err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s: jsonToNode differs from encoding/json's tokens", b)
	}
}

// TestJSONToNodeMatchesTokens: the injected pods of the golden cases, and
// a few odd strings, come out of jsonToNode as encoding/json reads them.
func TestJSONToNodeMatchesTokens(t *testing.T) {
	t.Parallel()
	n := 0
	for _, c := range goldenCases {
		in := injectorFor(t, c.sets, c.revision)
		for _, p := range pods(t, readInput(t, c.input)) {
			if p.pod == nil || skipReason(p.w, p.pod, in.cfg.revision) != "" {
				continue
			}
			out, err := in.cfg.injectPod(p.w, p.pod)
			if err != nil {
				t.Fatal(err)
			}
			b, err := json.Marshal(podTemplateJSON{out.ObjectMeta, out.Spec})
			if err != nil {
				t.Fatal(err)
			}
			checkJSONToNode(t, b)
			n++
		}
	}
	if n < 20 {
		t.Fatalf("only %d injected pods", n)
	}
	for _, s := range []string{
		`{}`, `[]`, `{"a":[],"b":{},"c":[{}],"d":null}`,
		`{"k\"ey":"v\\al","name":"x\u00e9\n","image":"<&>","x":[1,-2.5,3e4,true,false]}`,
		`{"containers":[{"name":"a","env":[{"name":"b","value":"c"}]}],"ports":[{"containerPort":80}]}`,
	} {
		checkJSONToNode(t, []byte(s))
	}
}

func FuzzJSONToNode(f *testing.F) {
	f.Add(`{"metadata":{"name":"a","labels":{"x":"y"}},"spec":{"containers":[{"name":"c","args":["a","b"],"ports":[{"containerPort":80}]}]}}`)
	f.Add(`[1,2.5,"\u2028",{"name\\":null}]`)
	f.Fuzz(func(t *testing.T, s string) {
		var v any
		if json.Unmarshal([]byte(s), &v) != nil {
			return
		}
		// jsonToNode reads encoding/json's output.
		b, err := json.Marshal(v)
		if err != nil {
			return
		}
		checkJSONToNode(t, b)
	})
}

// checkPodNode fails when podNode builds a tree other than jsonToNode's of
// the pod's JSON; it reports whether podNode took the pod.
func checkPodNode(t *testing.T, p *podTemplateJSON) bool {
	t.Helper()
	got, ok := podNode(p)
	b, err := json.Marshal(p)
	if err != nil {
		if ok {
			t.Fatalf("podNode took a pod encoding/json refuses: %v", err)
		}
		return false
	}
	if !ok {
		return false
	}
	want, err := jsonToNode(b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		var g bytes.Buffer
		_ = writeJSON(&g, got, "  ")
		t.Fatalf("podNode differs from the JSON's nodes\n got %s\nwant %s", g.String(), b)
	}
	return true
}

// TestPodNodeMatchesJSON: the injected pods of the golden cases, and the
// pods as read, build the same tree straight from the types.
func TestPodNodeMatchesJSON(t *testing.T) {
	t.Parallel()
	n := 0
	for _, c := range goldenCases {
		in := injectorFor(t, c.sets, c.revision)
		for _, p := range pods(t, readInput(t, c.input)) {
			if p.pod == nil {
				continue
			}
			if !checkPodNode(t, &podTemplateJSON{p.pod.ObjectMeta, p.pod.Spec}) {
				t.Fatalf("%s: pod not taken", c.input)
			}
			if skipReason(p.w, p.pod, in.cfg.revision) != "" {
				continue
			}
			out, err := in.cfg.injectPod(p.w, p.pod)
			if err != nil {
				t.Fatal(err)
			}
			if !checkPodNode(t, &podTemplateJSON{out.ObjectMeta, out.Spec}) {
				t.Fatalf("%s: injected pod not taken", c.input)
			}
			n++
		}
	}
	if n < 20 {
		t.Fatalf("only %d injected pods", n)
	}
}

func TestPodNodeOdd(t *testing.T) {
	t.Parallel()
	var p podTemplateJSON
	if !checkPodNode(t, &p) {
		t.Fatal("empty pod not taken")
	}
	p.Metadata.Labels = map[string]string{"b": "1", "a": "<&>", "é": "\n"}
	p.Spec.Containers = []corev1.Container{{Name: "c", Ports: []corev1.ContainerPort{}, Args: nil}}
	p.Spec.Volumes = []corev1.Volume{}
	if !checkPodNode(t, &p) {
		t.Fatal("pod not taken")
	}
	p.Metadata.Name = "a\xffb"
	if checkPodNode(t, &p) {
		t.Fatal("invalid UTF-8 taken")
	}
}

// FuzzPodNode: whatever pod podNode takes, it builds jsonToNode's tree.
func FuzzPodNode(f *testing.F) {
	f.Add(`{"metadata":{"name":"a","annotations":{"k":"v"},"creationTimestamp":"2024-01-01T00:00:00Z"},"spec":{"containers":[{"name":"c","image":"i","ports":[{"containerPort":80,"protocol":"TCP"}],"resources":{"limits":{"cpu":"100m"}},"readinessProbe":{"httpGet":{"port":"http"}}}]}}`)
	f.Add(`{"spec":{"initContainers":[{"name":"i","securityContext":{"runAsUser":0,"privileged":false,"capabilities":{"add":["NET_ADMIN"]}}}],"volumes":[{"name":"v","emptyDir":{"medium":"Memory","sizeLimit":"1Mi"}}]}}`)
	f.Fuzz(func(t *testing.T, s string) {
		var p podTemplateJSON
		if json.Unmarshal([]byte(s), &p) != nil {
			return
		}
		checkPodNode(t, &p)
	})
}

func TestPlainOKWords(t *testing.T) {
	t.Parallel()
	for s, want := range map[string]bool{
		"TRUE": false, "Yes": false, "n": false, "False": false, "NULL": false, "oFF": false,
		"nulls": true, "offer": true, "yess": true, "Trueish": true, "app": true, "ab-c": true,
	} {
		if got := plainOK(s); got != want {
			t.Errorf("plainOK(%q) = %v, want %v", s, got, want)
		}
	}
	for _, n := range []int{0, 1, 63, 64, 65, 200} {
		var b bytes.Buffer
		pad(&b, n)
		if b.String() != strings.Repeat(" ", n) {
			t.Errorf("pad(%d) wrote %q", n, b.String())
		}
	}
}

// checkPodMap fails when podMap builds another map than decodeJSONMap of
// the pod's JSON; it reports whether podMap took the pod.
func checkPodMap(t *testing.T, pod *corev1.Pod) bool {
	t.Helper()
	got, ok := podMap(pod)
	b, err := json.Marshal(pod)
	if err != nil {
		if ok {
			t.Fatalf("podMap took a pod encoding/json refuses: %v", err)
		}
		return false
	}
	if !ok {
		return false
	}
	want, err := decodeJSONMap(b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("podMap differs from the JSON's map\n got %#v\nwant %s", got, b)
	}
	return true
}

// TestPodMapMatchesJSON: the golden pods, as read and injected, give the
// map of their JSON.
func TestPodMapMatchesJSON(t *testing.T) {
	t.Parallel()
	n := 0
	for _, c := range goldenCases {
		in := injectorFor(t, c.sets, c.revision)
		for _, p := range pods(t, readInput(t, c.input)) {
			if !checkPodMap(t, p.pod) {
				t.Fatalf("%s: pod not taken", c.input)
			}
			if skipReason(p.w, p.pod, in.cfg.revision) != "" {
				continue
			}
			out, err := in.cfg.injectPod(p.w, p.pod)
			if err != nil {
				t.Fatal(err)
			}
			if !checkPodMap(t, out) {
				t.Fatalf("%s: injected pod not taken", c.input)
			}
			n++
		}
	}
	if n < 20 {
		t.Fatalf("only %d injected pods", n)
	}
	odd := &corev1.Pod{}
	odd.Name = "a\xffb"
	if checkPodMap(t, odd) {
		t.Fatal("invalid UTF-8 taken")
	}
}

func FuzzPodMap(f *testing.F) {
	f.Add(`{"metadata":{"name":"a","annotations":{"k":"v"},"creationTimestamp":"2024-01-01T00:00:00Z"},"spec":{"containers":[{"name":"c","ports":[{"containerPort":80}],"resources":{"limits":{"cpu":"100m"}},"readinessProbe":{"httpGet":{"port":8080}}}]}}`)
	f.Add(`{"spec":{"initContainers":[{"name":"i","securityContext":{"runAsUser":0,"privileged":false}}],"volumes":[{"name":"v","emptyDir":{"sizeLimit":"1Mi"}}],"priority":-1}}`)
	f.Fuzz(func(t *testing.T, s string) {
		var p corev1.Pod
		if json.Unmarshal([]byte(s), &p) != nil {
			return
		}
		checkPodMap(t, &p)
	})
}
