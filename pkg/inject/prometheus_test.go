package inject

import (
	"bytes"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/wrapperspb"
	meshconfig "istio.io/api/mesh/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestPromKeyFoldsSpellings(t *testing.T) {
	for _, k := range []string{"prometheus.io/port", "prometheus.io.port", "prometheus-io/port", "prometheus_io_port"} {
		if got := promKey(k); got != "prometheus_io_port" {
			t.Errorf("promKey(%q) = %q", k, got)
		}
	}
	if promKey("prometheus.io/path") == promKey("prometheus.io/port") {
		t.Error("path and port fold together")
	}
}

func TestParseScrapeTargets(t *testing.T) {
	got, err := parseScrapeTargets(" 8080 , 9100:/custom ,,9200: ")
	if err != nil {
		t.Fatal(err)
	}
	want := []scrapeTarget{{"8080", "/metrics"}, {"9100", "/custom"}, {"9200", "/metrics"}}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("target %d = %v, want %v", i, got[i], want[i])
		}
	}
	if _, err := parseScrapeTargets("8080,:/metrics"); err == nil || !strings.Contains(err.Error(), "empty port") {
		t.Errorf("an entry without a port: err = %v", err)
	}
}

func promPod(anns map[string]string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Annotations: anns},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "web"}, {Name: proxyName}}},
	}
}

func proxyEnv(pod *corev1.Pod, name string) (string, bool) {
	for _, e := range findContainer(pod, proxyName).Env {
		if e.Name == name {
			return e.Value, true
		}
	}
	return "", false
}

func TestPrometheusMergeRejectsTheProxysPorts(t *testing.T) {
	c := injectorFor(t, nil, "").cfg
	for _, tc := range []struct {
		anns map[string]string
		want string
	}{
		{map[string]string{promPort: "15090"}, "reserved for Istio (Envoy Prometheus (already merged))"},
		{map[string]string{promPort: "http"}, `invalid port "http"`},
		{map[string]string{promPort: "70000"}, `invalid port "70000"`},
		{map[string]string{promScrapeTargets: "8080:/metrics,15000:/stats"}, "port 15000 is reserved for Istio (Envoy admin)"},
		{map[string]string{promScrapeTargets: "8080,015020"}, "port 015020 is the agent's own port"},
	} {
		err := c.prometheusMerge(promPod(tc.anns), 15020)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: err = %v, want one containing %q", tc.anns, err, tc.want)
		}
	}
	// A pod already pointed at the agent is left alone.
	pod := promPod(map[string]string{promPort: "15020", promPath: "/stats/prometheus"})
	if err := c.prometheusMerge(pod, 15020); err != nil {
		t.Fatal(err)
	}
	if _, ok := proxyEnv(pod, envPrometheus); ok {
		t.Error("a pod already pointed at the agent got ISTIO_PROMETHEUS_ANNOTATIONS")
	}
}

func TestPrometheusMergeMovesEverySpelling(t *testing.T) {
	c := injectorFor(t, nil, "").cfg
	pod := promPod(map[string]string{"prometheus.io.port": "9090", "prometheus-io/path": "/m", promScrapeTargets: "9100:/node", "team": "x"})
	if err := c.prometheusMerge(pod, 15020); err != nil {
		t.Fatal(err)
	}
	env, _ := proxyEnv(pod, envPrometheus)
	// The first target wins over the legacy port and path, for agents that
	// predate targets.
	if want := `{"scrape":"","path":"/node","port":"9100","targets":[{"port":"9100","path":"/node"}]}`; env != want {
		t.Errorf("ISTIO_PROMETHEUS_ANNOTATIONS = %s, want %s", env, want)
	}
	want := map[string]string{promPort: "15020", promPath: "/stats/prometheus", promScrape: "true", "team": "x"}
	if len(pod.Annotations) != len(want) {
		t.Errorf("annotations = %v, want %v", pod.Annotations, want)
	}
	for k, v := range want {
		if pod.Annotations[k] != v {
			t.Errorf("annotation %s = %q, want %q", k, pod.Annotations[k], v)
		}
	}
}

func TestMergeWantedPrecedence(t *testing.T) {
	c := *injectorFor(t, nil, "").cfg
	off := proto.Clone(c.Mesh).(*meshconfig.MeshConfig)
	off.EnablePrometheusMerge = wrapperspb.Bool(false)
	for _, tc := range []struct {
		meshOn bool
		anns   map[string]string
		want   bool
	}{
		{true, nil, true},
		{false, nil, false},
		{false, map[string]string{annMergeMetric: "true"}, true},
		{true, map[string]string{annMergeMetric: "false"}, false},
		{true, map[string]string{"prometheus-io/scrape": "false"}, false},
		// A value that is not a boolean does not turn scraping off.
		{true, map[string]string{promScrape: "maybe"}, true},
	} {
		cfg := c
		if !tc.meshOn {
			cfg.Mesh = off
		}
		if got := cfg.mergeWanted(tc.anns); got != tc.want {
			t.Errorf("mesh merge %v, annotations %v: merged = %v, want %v", tc.meshOn, tc.anns, got, tc.want)
		}
	}
}

func TestSecurePrometheusPort(t *testing.T) {
	pod := promPod(map[string]string{})
	findContainer(pod, proxyName).Env = []corev1.EnvVar{{Name: envSecurePort, Value: "15091"}}
	securePrometheusPort(pod)
	if got := pod.Annotations[promSecurePort]; got != "15091" {
		t.Errorf("secure-port = %q, want 15091", got)
	}
	// The pod's own setting, in any spelling, is kept; "0" means none.
	pod = promPod(map[string]string{"prometheus.istio.io.secure-port": "9443"})
	findContainer(pod, proxyName).Env = []corev1.EnvVar{{Name: envSecurePort, Value: "15091"}}
	securePrometheusPort(pod)
	if _, ok := pod.Annotations[promSecurePort]; ok {
		t.Error("the pod's own secure port was overridden")
	}
	pod = promPod(map[string]string{})
	findContainer(pod, proxyName).Env = []corev1.EnvVar{{Name: envSecurePort, Value: "0"}}
	securePrometheusPort(pod)
	if _, ok := pod.Annotations[promSecurePort]; ok {
		t.Error(`ENVOY_SECURE_MERGED_METRICS_PORT="0" announced a port`)
	}
}

// Uninjection puts scrape targets back in their canonical form.
func TestUninjectRestoresScrapeTargets(t *testing.T) {
	in := injectorFor(t, nil, "")
	src := []byte(`apiVersion: v1
kind: Pod
metadata:
  name: web
  annotations:
    prometheus.istio.io/scrape-targets: " 8080 , 9100:/custom"
spec:
  containers:
  - name: web
    image: example.com/web:1
`)
	injected, _ := run(t, in, src)
	if bytes.Contains(injected, []byte(promScrapeTargets)) {
		t.Fatalf("the scrape targets annotation is still there after injection:\n%s", injected)
	}
	out, _ := run(t, NewUninjector(), injected)
	want := strings.Replace(string(src), `" 8080 , 9100:/custom"`, `'8080:/metrics,9100:/custom'`, 1)
	if string(out) != want {
		t.Errorf("uninjected:\n%s\nwant:\n%s", out, want)
	}
}
