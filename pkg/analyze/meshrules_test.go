package analyze

import (
	"reflect"
	"strings"
	"testing"
)

// Sidecar presence follows Istio's injection webhooks (pkg/mesh): these
// cases are where the analyzers' earlier rules differed.
func TestInjectionFollowsWebhooks(t *testing.T) {
	t.Parallel()
	ns := func(name, labels string) string {
		return "---\napiVersion: v1\nkind: Namespace\nmetadata: {name: " + name + ", labels: {" + labels + "}}\n"
	}
	pod := func(name, namespace, meta, containers string) string {
		return "---\napiVersion: v1\nkind: Pod\nmetadata: {name: " + name + ", namespace: " + namespace + meta + "}\nspec: {containers: [" + containers + "]}\n"
	}
	// Two Services giving port 80 two protocols: IST0116 for a meshed
	// Deployment they select.
	deploy := func(namespace, meta, containers string) string {
		labels := "labels: {app: d}"
		if strings.HasPrefix(meta, ", labels: ") { // the case's labels replace the default ones
			labels, meta = strings.TrimPrefix(meta, ", "), ""
		}
		svc := func(name string, proto string) string {
			return "---\napiVersion: v1\nkind: Service\nmetadata: {name: " + name + ", namespace: " + namespace + "}\nspec: {selector: {app: d}, ports: [{name: p, port: 80, protocol: " + proto + "}]}\n"
		}
		return svc("s1", "TCP") + svc("s2", "UDP") +
			"---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d, namespace: " + namespace + "}\nspec:\n  selector: {matchLabels: {app: d}}\n  template:\n    metadata: {" + labels + meta + "}\n    spec: {containers: [" + containers + "]}\n"
	}
	cases := []struct {
		name, analyzer, src string
		want                []string
	}{
		// PodMissingProxy in an injected namespace
		{"missing proxy", "injection.Analyzer", ns("a", "istio-injection: enabled") + pod("p", "a", "", "{name: app}"), []string{"IST0103 Pod a/p"}},
		{"proxy present", "injection.Analyzer", ns("a", "istio-injection: enabled") + pod("p", "a", "", "{name: app}, {name: istio-proxy}"), nil},
		{"native sidecar proxy", "injection.Analyzer", ns("a", "istio-injection: enabled") + "---\napiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: a}\nspec: {initContainers: [{name: istio-proxy}], containers: [{name: app}]}\n", nil},
		{"opted out by label", "injection.Analyzer", ns("a", "istio-injection: enabled") + pod("p", "a", ", labels: {sidecar.istio.io/inject: \"false\"}", "{name: app}"), nil},
		{"opted out by annotation", "injection.Analyzer", ns("a", "istio-injection: enabled") + pod("p", "a", ", annotations: {sidecar.istio.io/inject: \"false\"}", "{name: app}"), nil},
		// The injector reads only "false": "False" falls back to the
		// namespace default, so the pod should have a proxy.
		{"False is not an opt-out", "injection.Analyzer", ns("a", "istio-injection: enabled") + pod("p", "a", ", annotations: {sidecar.istio.io/inject: \"False\"}", "{name: app}"), []string{"IST0103 Pod a/p"}},
		{"revision namespace not checked", "injection.Analyzer", ns("a", "istio.io/rev: canary") + pod("p", "a", "", "{name: app}"), nil},

		// deployment.MultiServiceAnalyzer only looks at meshed Deployments
		{"deployment in injected namespace", "deployment.MultiServiceAnalyzer", ns("a", "istio-injection: enabled") + deploy("a", "", "{name: app}"), []string{"IST0116 Deployment a/d"}},
		{"deployment in unseen namespace", "deployment.MultiServiceAnalyzer", deploy("a", "", "{name: app}"), []string{"IST0116 Deployment a/d"}},
		{"deployment opted out in unseen namespace", "deployment.MultiServiceAnalyzer", deploy("a", ", annotations: {sidecar.istio.io/inject: \"false\"}", "{name: app}"), nil},
		{"deployment in plain namespace", "deployment.MultiServiceAnalyzer", ns("a", "x: y") + deploy("a", "", "{name: app}"), nil},
		{"pod label true in plain namespace", "deployment.MultiServiceAnalyzer", ns("a", "x: y") + deploy("a", ", labels: {app: d, sidecar.istio.io/inject: \"true\"}", "{name: app}"), []string{"IST0116 Deployment a/d"}},
		// Webhooks select on labels: the annotation alone does not opt in.
		{"annotation true in plain namespace", "deployment.MultiServiceAnalyzer", ns("a", "x: y") + deploy("a", ", annotations: {sidecar.istio.io/inject: \"true\"}", "{name: app}"), nil},
		// A namespace with istio-injection other than enabled injects nothing.
		{"pod label true in disabled namespace", "deployment.MultiServiceAnalyzer", ns("a", "istio-injection: disabled") + deploy("a", ", labels: {app: d, sidecar.istio.io/inject: \"true\"}", "{name: app}"), nil},
		// An already injected template is in the mesh whatever the labels.
		{"injected template in plain namespace", "deployment.MultiServiceAnalyzer", ns("a", "x: y") + deploy("a", "", "{name: app}, {name: istio-proxy}"), []string{"IST0116 Deployment a/d"}},
		{"revision label on the pod", "deployment.MultiServiceAnalyzer", ns("a", "x: y") + deploy("a", ", labels: {app: d, istio.io/rev: canary}", "{name: app}"), []string{"IST0116 Deployment a/d"}},
	}
	for _, c := range cases {
		got, _ := analyzeSrc(t, strings.TrimPrefix(c.src, "---\n"), c.analyzer, SnapshotOptions{})
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}
