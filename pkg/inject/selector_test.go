package inject

import (
	"bytes"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Istio reads sidecar.istio.io/inject from the label when there is one,
// else from the annotation, and only "true" and "false" count: any other
// value falls back to the default policy, which injects.
func TestInjectSelectorFollowsIstio(t *testing.T) {
	cases := []struct {
		name         string
		labels, anns map[string]string
		skip, note   string
	}{
		{name: "no selector"},
		{name: "label false", labels: map[string]string{annInject: "false"}, skip: "disabled by label " + annInject},
		{name: "annotation false", anns: map[string]string{annInject: "false"}, skip: "disabled by annotation " + annInject},
		{name: "label true wins over annotation false", labels: map[string]string{annInject: "true"}, anns: map[string]string{annInject: "false"}},
		{name: "label false wins over annotation true", labels: map[string]string{annInject: "false"}, anns: map[string]string{annInject: "true"}, skip: "disabled by label " + annInject},
		{name: "empty label hides the annotation", labels: map[string]string{annInject: ""}, anns: map[string]string{annInject: "false"}},
		{name: "False is not false", labels: map[string]string{annInject: "False"}, note: `label sidecar.istio.io/inject="False" ignored: only "true" and "false" are accepted`},
		{name: "0 is not false", anns: map[string]string{annInject: "0"}, note: `annotation sidecar.istio.io/inject="0" ignored: only "true" and "false" are accepted`},
		{name: "no is not false", anns: map[string]string{annInject: "no"}, note: `annotation sidecar.istio.io/inject="no" ignored: only "true" and "false" are accepted`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			pod := &corev1.Pod{
				ObjectMeta: metav1.ObjectMeta{Labels: tc.labels, Annotations: tc.anns},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "app"}}},
			}
			if got := skipReason(Workload{Namespace: "default"}, pod, ""); got != tc.skip {
				t.Errorf("skip reason %q, want %q", got, tc.skip)
			}
			if got := selectorNote(pod); got != tc.note {
				t.Errorf("note %q, want %q", got, tc.note)
			}
		})
	}
}

func TestIgnoredSelectorValueIsReportedAndInjected(t *testing.T) {
	in := injectorFor(t, nil, "")
	src := `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels:
        app: web
        sidecar.istio.io/inject: "False"
    spec:
      containers:
      - name: web
        image: web
`
	var out bytes.Buffer
	var lines []string
	if err := in.Inject("web.yaml", strings.NewReader(src), &out, func(r Result) { lines = append(lines, r.String()) }); err != nil {
		t.Fatal(err)
	}
	want := `deployment/web injected: label sidecar.istio.io/inject="False" ignored: only "true" and "false" are accepted`
	if strings.Join(lines, "\n") != want {
		t.Fatalf("report %q, want %q", lines, want)
	}
	if !strings.Contains(out.String(), "name: istio-proxy") {
		t.Fatalf("not injected:\n%s", out.String())
	}
}
