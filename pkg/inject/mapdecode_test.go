package inject

import (
	"encoding/json"
	"reflect"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// jsonPod is the reference for podFromMap: the map's JSON decoded by
// encoding/json.
func jsonPod(m map[string]any) (*corev1.Pod, error) {
	b, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	pod := &corev1.Pod{}
	if err := json.Unmarshal(b, pod); err != nil {
		return nil, err
	}
	return pod, nil
}

// checkPodFromMap fails when podFromMap accepts a map and decodes it other
// than encoding/json does; it reports whether the map was accepted.
func checkPodFromMap(t *testing.T, what string, m map[string]any) bool {
	t.Helper()
	got := &corev1.Pod{}
	if !podFromMap(m, got) {
		return false
	}
	want, err := jsonPod(m)
	if err != nil {
		t.Fatalf("%s: podFromMap accepted what encoding/json refuses: %v", what, err)
	}
	if !reflect.DeepEqual(got, want) {
		g, _ := json.Marshal(got)
		w, _ := json.Marshal(want)
		t.Fatalf("%s: podFromMap differs from encoding/json\n got %s\nwant %s", what, g, w)
	}
	return true
}

// TestPodFromMapMatchesJSON: every merged pod of the golden cases decodes
// straight from the map, to the Pod encoding/json makes of its JSON.
func TestPodFromMapMatchesJSON(t *testing.T) {
	t.Parallel()
	srcs, cur := renderedTemplates(t)
	for i, src := range srcs {
		orig, err := json.Marshal(cur[i])
		if err != nil {
			t.Fatal(err)
		}
		m, err := mergeOverPodMap(orig, textMap(t, src))
		if err != nil {
			t.Fatal(err)
		}
		if !checkPodFromMap(t, "golden template", m) {
			t.Fatalf("template %d: merged pod not decoded from the map", i)
		}
	}
}

func TestPodFromMapTable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		json string
		ok   bool // podFromMap decodes it (else the JSON way)
	}{
		{`{"metadata":{"name":"a","labels":{"x":"y"},"creationTimestamp":null},"spec":{"containers":[{"name":"c","ports":[{"containerPort":80}]}]}}`, true},
		{`{"spec":{"containers":[],"volumes":null,"initContainers":[{}]}}`, true},
		{`{"spec":{"containers":[{"name":"c","resources":{"limits":{"cpu":"1000m","memory":"1Gi"},"requests":{"cpu":2}}}]}}`, true},
		{`{"spec":{"containers":[{"name":"c","readinessProbe":{"httpGet":{"port":"http","path":"/"},"timeoutSeconds":3}}]}}`, true},
		{`{"spec":{"containers":[{"name":"c","livenessProbe":{"tcpSocket":{"port":8080}}}]}}`, true},
		{`{"spec":{"securityContext":{"runAsUser":1337,"sysctls":[{"name":"a","value":"b"}]},"terminationGracePeriodSeconds":null}}`, true},
		{`{"metadata":{"annotations":{"a":"<&>"}},"unknown":{"x":1},"spec":{"hostNetwork":true,"priority":0}}`, true},
		{`{"metadata":{"creationTimestamp":"2024-01-02T03:04:05Z"}}`, true},
		// encoding/json matches keys case-insensitively.
		{`{"metadata":{"Name":"a"}}`, false},
		{`{"spec":{"Containers":[{"name":"c"}]}}`, false},
		// Non-integers, type errors and overflow: the JSON way words the error.
		{`{"spec":{"containers":[{"name":"c","ports":[{"containerPort":80.5}]}]}}`, false},
		{`{"spec":{"containers":[{"name":"c","ports":[{"containerPort":8000000000}]}]}}`, false},
		{`{"spec":{"hostNetwork":"yes"}}`, false},
		{`{"spec":{"containers":{"name":"c"}}}`, false},
		{`{"metadata":{"labels":{"a":1}}}`, false},
		{`{"spec":{"containers":[{"name":"c","resources":{"limits":{"cpu":"lots"}}}]}}`, false},
	}
	for _, tc := range tests {
		m, err := decodeJSONMap([]byte(tc.json))
		if err != nil {
			t.Fatal(err)
		}
		if ok := checkPodFromMap(t, tc.json, m); ok != tc.ok {
			t.Errorf("%s: decoded from the map %v, want %v", tc.json, ok, tc.ok)
		}
	}
	// Strings that are not UTF-8 are left to encoding/json, which replaces
	// the bad bytes.
	bad := map[string]any{"metadata": map[string]any{"name": "a\xffb"}}
	if checkPodFromMap(t, "invalid UTF-8", bad) {
		t.Error("invalid UTF-8 decoded from the map")
	}
	// Values of other Go types than decoded JSON's are left alone too.
	odd := map[string]any{"spec": map[string]any{"priority": int32(3)}}
	if checkPodFromMap(t, "int32 value", odd) {
		t.Error("an int32 value decoded from the map")
	}
}

// FuzzPodFromMap: whatever JSON object podFromMap accepts, it decodes as
// encoding/json does.
func FuzzPodFromMap(f *testing.F) {
	f.Add(`{"metadata":{"name":"a","annotations":{"k":"v"}},"spec":{"containers":[{"name":"c","image":"i","ports":[{"containerPort":80,"protocol":"TCP"}],"resources":{"limits":{"cpu":"100m"}}}]}}`)
	f.Add(`{"spec":{"initContainers":[{"name":"i","securityContext":{"runAsUser":0,"capabilities":{"add":["NET_ADMIN"]}}}],"volumes":[{"name":"v","emptyDir":{"medium":"Memory","sizeLimit":"1Mi"}}]}}`)
	f.Add(`{"spec":{"containers":[{"name":"c","lifecycle":{"preStop":{"exec":{"command":["a"]}}},"readinessProbe":{"grpc":{"port":1}}}]}}`)
	f.Fuzz(func(t *testing.T, s string) {
		m, err := decodeJSONMap([]byte(s))
		if err != nil {
			return
		}
		checkPodFromMap(t, s, m)
	})
}
