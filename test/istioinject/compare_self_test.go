package istioinject

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// TestComparisonSeesChanges: the comparison, after normalisation, finds a
// change to each kind of field it claims to compare, in one of Istio's
// goldens, and finds none between the golden and itself.
func TestComparisonSeesChanges(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(istioTestdata(t), "hello.yaml.injected"))
	if err != nil {
		t.Fatal(err)
	}
	ws, err := workloadsOf(b)
	if err != nil || len(ws) != 1 {
		t.Fatalf("%d workloads, %v", len(ws), err)
	}
	compare := func(a, b workload) []fieldDiff {
		normalise(&a)
		normalise(&b)
		return diffTemplates(a.tmpl, b.tmpl)
	}
	if d := compare(ws[0].deepCopy(), ws[0].deepCopy()); len(d) != 0 {
		t.Fatalf("a golden differs from itself: %v", d)
	}
	proxy := func(s *corev1.PodSpec) *corev1.Container {
		for i := range s.InitContainers {
			if s.InitContainers[i].Name == "istio-proxy" {
				return &s.InitContainers[i]
			}
		}
		t.Fatal("no istio-proxy init container")
		return nil
	}
	for _, c := range []struct {
		want   string
		change func(t *corev1.PodTemplateSpec)
	}{
		{"labels[security.istio.io/tlsMode]", func(t *corev1.PodTemplateSpec) { delete(t.Labels, "security.istio.io/tlsMode") }},
		{"annotations[sidecar.istio.io/status]", func(t *corev1.PodTemplateSpec) {
			t.Annotations["sidecar.istio.io/status"] = strings.Replace(t.Annotations["sidecar.istio.io/status"], `"istio-data",`, "", 1)
		}},
		{"initContainers", func(t *corev1.PodTemplateSpec) { t.Spec.InitContainers = t.Spec.InitContainers[1:] }},
		{"initContainers[istio-proxy].image", func(t *corev1.PodTemplateSpec) { proxy(&t.Spec).Image += "-distroless" }},
		{"initContainers[istio-proxy].args", func(t *corev1.PodTemplateSpec) { c := proxy(&t.Spec); c.Args = c.Args[1:] }},
		{"initContainers[istio-proxy].env[ISTIO_META_POD_PORTS]", func(t *corev1.PodTemplateSpec) {
			c := proxy(&t.Spec)
			for i := range c.Env {
				if c.Env[i].Name == "ISTIO_META_POD_PORTS" {
					c.Env[i].Value = strings.Replace(c.Env[i].Value, "80", "81", 1)
				}
			}
		}},
		{"initContainers[istio-proxy].ports", func(t *corev1.PodTemplateSpec) { proxy(&t.Spec).Ports[0].ContainerPort++ }},
		{"initContainers[istio-proxy].readinessProbe", func(t *corev1.PodTemplateSpec) { proxy(&t.Spec).ReadinessProbe.PeriodSeconds++ }},
		{"initContainers[istio-proxy].resources", func(t *corev1.PodTemplateSpec) {
			proxy(&t.Spec).Resources.Limits[corev1.ResourceMemory] = resource.MustParse("2Gi")
		}},
		{"initContainers[istio-proxy].securityContext", func(t *corev1.PodTemplateSpec) {
			proxy(&t.Spec).SecurityContext.RunAsUser = new(int64)
		}},
		{"initContainers[istio-proxy].volumeMounts", func(t *corev1.PodTemplateSpec) { c := proxy(&t.Spec); c.VolumeMounts = c.VolumeMounts[1:] }},
		{"containers[hello].image", func(t *corev1.PodTemplateSpec) { t.Spec.Containers[0].Image = "other" }},
		{"volumes[istio-envoy]", func(t *corev1.PodTemplateSpec) {
			for i := range t.Spec.Volumes {
				if t.Spec.Volumes[i].Name == "istio-envoy" {
					t.Spec.Volumes[i].EmptyDir.Medium = ""
				}
			}
		}},
		{"volumes", func(t *corev1.PodTemplateSpec) { t.Spec.Volumes = t.Spec.Volumes[1:] }},
		{"spec.imagePullSecrets", func(t *corev1.PodTemplateSpec) {
			t.Spec.ImagePullSecrets = []corev1.LocalObjectReference{{Name: "pull"}}
		}},
	} {
		changed := ws[0].deepCopy()
		c.change(&changed.tmpl)
		d := compare(ws[0].deepCopy(), changed)
		if len(d) == 0 || d[0].path != c.want {
			t.Errorf("changing %s: differences %v", c.want, d)
		}
	}
}
