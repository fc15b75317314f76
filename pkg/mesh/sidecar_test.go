package mesh

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
)

func TestIgnoredNamespace(t *testing.T) {
	t.Parallel()
	for _, ns := range []string{"kube-system", "kube-public", "kube-node-lease", "local-path-storage"} {
		if !IgnoredNamespace(ns) {
			t.Errorf("IgnoredNamespace(%q) = false", ns)
		}
	}
	for _, ns := range []string{"default", "istio-system", "kube", "kube-systems", ""} {
		if IgnoredNamespace(ns) {
			t.Errorf("IgnoredNamespace(%q) = true", ns)
		}
	}
}

func TestHasProxy(t *testing.T) {
	t.Parallel()
	c := func(names ...string) []corev1.Container {
		var out []corev1.Container
		for _, n := range names {
			out = append(out, corev1.Container{Name: n})
		}
		return out
	}
	cases := []struct {
		spec *corev1.PodSpec
		want bool
	}{
		{nil, false},
		{&corev1.PodSpec{}, false},
		{&corev1.PodSpec{Containers: c("app")}, false},
		{&corev1.PodSpec{Containers: c("app", "istio-proxy")}, true},
		{&corev1.PodSpec{Containers: c("app"), InitContainers: c("istio-init", "istio-proxy")}, true}, // native sidecar
		{&corev1.PodSpec{Containers: c("istio-proxy-x"), InitContainers: c("istio-init")}, false},
	}
	for i, tc := range cases {
		if got := HasProxy(tc.spec); got != tc.want {
			t.Errorf("case %d: HasProxy = %v, want %v", i, got, tc.want)
		}
	}
}

func TestSidecar(t *testing.T) {
	t.Parallel()
	plain := &corev1.PodSpec{Containers: []corev1.Container{{Name: "app"}}}
	injected := &corev1.PodSpec{Containers: []corev1.Container{{Name: "app"}, {Name: "istio-proxy"}}}
	host := &corev1.PodSpec{HostNetwork: true, Containers: []corev1.Container{{Name: "app"}}}
	type m = map[string]string
	enabled := m{"istio-injection": "enabled"}
	disabled := m{"istio-injection": "disabled"}
	rev := m{"istio.io/rev": "canary"}
	cases := []struct {
		name       string
		pod        Pod
		ns         map[string]string
		want       bool
		wantReason string
	}{
		// what the pod already runs
		{"proxy container", Pod{Namespace: "a", Spec: injected}, disabled, true, "istio-proxy container"},
		{"proxy container, running", Pod{Namespace: "a", Spec: injected, Running: true}, nil, true, "istio-proxy container"},
		{"host network", Pod{Namespace: "a", Spec: host, Labels: m{"sidecar.istio.io/inject": "true"}}, enabled, false, "hostNetwork pods are never injected"},
		{"running without proxy", Pod{Namespace: "a", Spec: plain, Running: true}, enabled, false, "running pod has no istio-proxy container"},
		{"system namespace", Pod{Namespace: "kube-system", Spec: plain, Labels: m{"sidecar.istio.io/inject": "true"}}, enabled, false, "namespace kube-system is never injected"},
		{"nil spec", Pod{Namespace: "a"}, enabled, true, "namespace label istio-injection=enabled"},

		// istio-injection=enabled
		{"enabled", Pod{Namespace: "a", Spec: plain}, enabled, true, "namespace label istio-injection=enabled"},
		{"enabled, label false", Pod{Namespace: "a", Spec: plain, Labels: m{"sidecar.istio.io/inject": "false"}}, enabled, false, "label sidecar.istio.io/inject=false"},
		{"enabled, annotation false", Pod{Namespace: "a", Spec: plain, Annotations: m{"sidecar.istio.io/inject": "false"}}, enabled, false, "annotation sidecar.istio.io/inject=false"},
		{"enabled, label true", Pod{Namespace: "a", Spec: plain, Labels: m{"sidecar.istio.io/inject": "true"}}, enabled, true, "label sidecar.istio.io/inject=true"},
		{"enabled, label wins over annotation", Pod{Namespace: "a", Spec: plain, Labels: m{"sidecar.istio.io/inject": "true"}, Annotations: m{"sidecar.istio.io/inject": "false"}}, enabled, true, "label sidecar.istio.io/inject=true"},
		{"enabled, label wins the other way", Pod{Namespace: "a", Spec: plain, Labels: m{"sidecar.istio.io/inject": "false"}, Annotations: m{"sidecar.istio.io/inject": "true"}}, enabled, false, "label sidecar.istio.io/inject=false"},
		{"enabled, invalid label value: default", Pod{Namespace: "a", Spec: plain, Labels: m{"sidecar.istio.io/inject": "yes"}}, enabled, true, "namespace label istio-injection=enabled"},
		{"enabled, False is not false", Pod{Namespace: "a", Spec: plain, Annotations: m{"sidecar.istio.io/inject": "False"}}, enabled, true, "namespace label istio-injection=enabled"},
		{"enabled beats namespace revision", Pod{Namespace: "a", Spec: plain}, m{"istio-injection": "enabled", "istio.io/rev": "canary"}, true, "namespace label istio-injection=enabled"},

		// istio-injection set to anything else
		{"disabled", Pod{Namespace: "a", Spec: plain}, disabled, false, "namespace label istio-injection=disabled"},
		{"disabled beats pod label true", Pod{Namespace: "a", Spec: plain, Labels: m{"sidecar.istio.io/inject": "true"}}, disabled, false, "namespace label istio-injection=disabled"},
		{"disabled beats namespace revision", Pod{Namespace: "a", Spec: plain}, m{"istio-injection": "disabled", "istio.io/rev": "canary"}, false, "namespace label istio-injection=disabled"},
		{"other value disables", Pod{Namespace: "a", Spec: plain}, m{"istio-injection": "on", "istio.io/rev": "canary"}, false, "namespace label istio-injection=on"},
		{"empty value disables", Pod{Namespace: "a", Spec: plain, Labels: m{"sidecar.istio.io/inject": "true"}}, m{"istio-injection": ""}, false, "namespace label istio-injection="},

		// istio.io/rev on the namespace
		{"revision", Pod{Namespace: "a", Spec: plain}, rev, true, "namespace label istio.io/rev=canary"},
		{"revision, label false", Pod{Namespace: "a", Spec: plain, Labels: m{"sidecar.istio.io/inject": "false"}}, rev, false, "label sidecar.istio.io/inject=false"},
		{"revision, annotation false", Pod{Namespace: "a", Spec: plain, Annotations: m{"sidecar.istio.io/inject": "false"}}, rev, false, "annotation sidecar.istio.io/inject=false"},
		{"empty revision", Pod{Namespace: "a", Spec: plain, Labels: m{"sidecar.istio.io/inject": "true"}}, m{"istio.io/rev": ""}, false, "namespace label istio.io/rev names no revision"},

		// neither label (or an unknown namespace)
		{"unlabelled", Pod{Namespace: "a", Spec: plain}, m{}, false, "namespace not labelled for injection"},
		{"unknown namespace", Pod{Namespace: "a", Spec: plain}, nil, false, "namespace not labelled for injection"},
		{"unlabelled, label true", Pod{Namespace: "a", Spec: plain, Labels: m{"sidecar.istio.io/inject": "true"}}, nil, true, "label sidecar.istio.io/inject=true"},
		{"unlabelled, label false", Pod{Namespace: "a", Spec: plain, Labels: m{"sidecar.istio.io/inject": "false"}}, nil, false, "label sidecar.istio.io/inject=false"},
		{"unlabelled, label invalid", Pod{Namespace: "a", Spec: plain, Labels: m{"sidecar.istio.io/inject": "yes"}}, nil, false, "label sidecar.istio.io/inject=yes"},
		{"unlabelled, annotation true is not enough", Pod{Namespace: "a", Spec: plain, Annotations: m{"sidecar.istio.io/inject": "true"}}, nil, false, "namespace not labelled for injection"},
		{"unlabelled, pod revision", Pod{Namespace: "a", Spec: plain, Labels: m{"istio.io/rev": "canary"}}, nil, true, "label istio.io/rev=canary"},
		{"unlabelled, pod revision and annotation false", Pod{Namespace: "a", Spec: plain, Labels: m{"istio.io/rev": "canary"}, Annotations: m{"sidecar.istio.io/inject": "false"}}, nil, false, "annotation sidecar.istio.io/inject=false"},
		{"unlabelled, pod revision and label false", Pod{Namespace: "a", Spec: plain, Labels: m{"istio.io/rev": "canary", "sidecar.istio.io/inject": "false"}}, nil, false, "label sidecar.istio.io/inject=false"},
		{"unlabelled, pod revision and label true", Pod{Namespace: "a", Spec: plain, Labels: m{"istio.io/rev": "canary", "sidecar.istio.io/inject": "true"}}, nil, true, "label sidecar.istio.io/inject=true"},
		{"unlabelled, empty pod revision", Pod{Namespace: "a", Spec: plain, Labels: m{"istio.io/rev": "", "sidecar.istio.io/inject": "true"}}, nil, false, "label istio.io/rev names no revision"},
	}
	for _, c := range cases {
		got := Sidecar(c.pod, c.ns)
		if got.Sidecar != c.want || got.Reason != c.wantReason {
			t.Errorf("%s: Sidecar = %v (%s), want %v (%s)", c.name, got.Sidecar, got.Reason, c.want, c.wantReason)
		}
	}
}
