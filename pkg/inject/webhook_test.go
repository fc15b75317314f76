package inject

import (
	"bytes"
	"encoding/json"
	"slices"
	"testing"
	"text/template"

	"github.com/Masterminds/sprig/v3"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/util/strategicpatch"
	"sigs.k8s.io/yaml"

	"github.com/meshctl/meshctl/internal/testutil/golden"
	"github.com/meshctl/meshctl/pkg/yamlstream"
)

// webhookInject renders the chart's sidecar template for a pod the way
// Istio's webhook does — execute the template, strategic-merge the rendered
// pod over the original — then applies the webhook's post-processing.
func webhookInject(t *testing.T, in *Injector, w Workload, pod *corev1.Pod) *corev1.Pod {
	t.Helper()
	c := in.cfg
	tmplNames := c.Injector.DefaultTemplates
	if a, ok := pod.Annotations[annTemplates]; ok {
		tmplNames = templateNames(a)
	}
	out := pod
	var patch []byte
	for _, name := range tmplNames {
		tmpl, err := template.New(name).Funcs(funcMap()).Parse(c.Injector.Templates[name])
		if err != nil {
			t.Fatal(err)
		}
		data, err := c.templateData(w, out)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := tmpl.Execute(&buf, data); err != nil {
			t.Fatal(err)
		}
		if patch, err = yaml.YAMLToJSON(buf.Bytes()); err != nil {
			t.Fatalf("rendered template is not YAML: %v\n%s", err, buf.String())
		}
		orig, _ := json.Marshal(out)
		merged, err := strategicpatch.StrategicMergePatch(orig, patch, corev1.Pod{})
		if err != nil {
			t.Fatal(err)
		}
		out = &corev1.Pod{}
		if err := json.Unmarshal(merged, out); err != nil {
			t.Fatal(err)
		}
	}
	injected := &corev1.Pod{}
	if err := json.Unmarshal(patch, injected); err != nil {
		t.Fatal(err)
	}
	// The user's own version of an injected container goes back over it
	// ("auto" leaves the template's image) and is recorded; an injected
	// init container may be the user's, declared among either list.
	overlay := func(key string, injectedList, userList []corev1.Container) []corev1.Container {
		var recorded []corev1.Container
		for _, ic := range injectedList {
			i := slices.IndexFunc(userList, func(uc corev1.Container) bool { return uc.Name == ic.Name })
			if i < 0 {
				continue
			}
			uc := userList[i]
			// The webhook sees the container as the API server
			// defaulted it (test/istiod checks that against istiod).
			seen := *uc.DeepCopy()
			DefaultContainer(&seen)
			if uc.Image == "auto" {
				uc.Image, seen.Image = "", ""
			}
			recorded = append(recorded, uc)
			cur, _ := json.Marshal(out)
			p, _ := json.Marshal(map[string]any{"spec": map[string]any{key: []corev1.Container{seen}}})
			merged, err := strategicpatch.StrategicMergePatch(cur, p, corev1.Pod{})
			if err != nil {
				t.Fatal(err)
			}
			out = &corev1.Pod{}
			if err := json.Unmarshal(merged, out); err != nil {
				t.Fatal(err)
			}
		}
		return recorded
	}
	overrides := overlay("containers", injected.Spec.Containers, pod.Spec.Containers)
	initOverrides := overlay("initContainers", injected.Spec.InitContainers, slices.Concat(pod.Spec.Containers, pod.Spec.InitContainers))
	if overrides != nil || initOverrides != nil {
		js, _ := json.Marshal(map[string]any{"containers": overrides, "initContainers": initOverrides})
		js = bytes.ReplaceAll(bytes.ReplaceAll(js, []byte(`"containers":null,`), nil), []byte(`,"initContainers":null`), nil)
		if out.Annotations == nil {
			out.Annotations = map[string]string{}
		}
		out.Annotations["proxy.istio.io/overrides"] = string(js)
		c.adjustInitUser(out, pod)
	}
	var names []string
	for _, c := range injected.Spec.Containers {
		names = append(names, c.Name)
	}
	if err := c.postProcess(pod, out); err != nil {
		t.Fatal(err)
	}
	st := Status{Revision: "default"}
	if c.revision != "" {
		st.Revision = c.revision
	}
	for _, x := range injected.Spec.InitContainers {
		st.InitContainers = append(st.InitContainers, x.Name)
	}
	st.Containers = names
	for _, x := range injected.Spec.Volumes {
		st.Volumes = append(st.Volumes, x.Name)
	}
	for _, x := range injected.Spec.ImagePullSecrets {
		st.ImagePullSecrets = append(st.ImagePullSecrets, x.Name)
	}
	sb, _ := json.Marshal(st)
	out.Annotations[annStatus] = string(sb)
	c.reorder(out, containerNamed(pod.Spec.Containers, proxyName) != nil)
	return out
}

// TestMatchesWebhook: what kube-inject writes, read back, is the pod the
// webhook would create from the chart's own template, for every workload of
// every golden case. Manual and automatic injection cannot drift apart.
func TestMatchesWebhook(t *testing.T) {
	for _, c := range goldenCases {
		if c.name == "upgrade" {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			in := injectorFor(t, c.sets, c.revision)
			src := readInput(t, c.input)
			out, _ := run(t, in, src)
			before := pods(t, src)
			after := pods(t, out)
			if len(before) != len(after) {
				t.Fatalf("%d workloads in, %d out", len(before), len(after))
			}
			checked := 0
			for i, b := range before {
				// Skipped workloads, whatever the reason, are not compared.
				if b.pod == nil || after[i].pod.Annotations[annStatus] == "" {
					continue
				}
				want := webhookInject(t, in, b.w, b.pod)
				got := after[i].pod
				if !equality.Semantic.DeepEqual(want.Spec, got.Spec) || !equality.Semantic.DeepEqual(want.ObjectMeta, got.ObjectMeta) {
					wj, _ := json.MarshalIndent(want, "", " ")
					gj, _ := json.MarshalIndent(got, "", " ")
					t.Fatalf("%s/%s differs from the webhook's pod:\n%s", b.w.TypeMeta.Kind, b.w.Name, golden.Diff(wj, gj))
				}
				checked++
			}
			if checked == 0 && c.name != "skip" && c.name != "custom-native" {
				t.Fatal("no workload compared")
			}
		})
	}
}

type podOf struct {
	w   Workload
	pod *corev1.Pod
}

func pods(t *testing.T, src []byte) []podOf {
	t.Helper()
	var out []podOf
	err := yamlstream.Read("x", bytes.NewReader(src), func(d yamlstream.Document) error {
		doc, err := parse(d)
		if err != nil || doc == nil {
			return err
		}
		for _, tg := range targets(doc.Content[0]) {
			if tg.pod == nil {
				continue
			}
			p, err := decodePod(d, tg.pod)
			if err != nil {
				return err
			}
			out = append(out, podOf{tg.workload, p})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// istioTemplateFuncs are the functions Istio's injector adds to sprig's.
var istioTemplateFuncs = []string{"formatDuration", "isset", "excludeInboundPort", "includeInboundPorts", "kubevirtInterfaces",
	"excludeInterfaces", "applicationPorts", "annotation", "valueOrDefault", "toJSON", "fromJSON", "structToJSON", "protoToJSON",
	"toYaml", "indent", "directory", "contains", "toLower", "appendMultusNetwork", "env", "omit", "strdict", "toJsonMap",
	"mergeMaps", "omitNil", "otelResourceAttributes"}

// TestTemplateUsesOnlyIstioFunctions: the chart's templates parse with
// exactly the functions Istio's injector offers, so istiod can run it.
func TestTemplateUsesOnlyIstioFunctions(t *testing.T) {
	t.Parallel()
	in := injectorFor(t, nil, "")
	fm := sprig.TxtFuncMap()
	for _, n := range istioTemplateFuncs {
		fm[n] = func(...any) any { return nil }
	}
	for _, name := range []string{"sidecar", "gateway", "grpc-agent"} {
		text, ok := in.cfg.Injector.Templates[name]
		if !ok {
			t.Fatalf("the chart has no %s template", name)
		}
		if _, err := template.New(name).Funcs(fm).Parse(text); err != nil {
			t.Fatalf("template %s: %v", name, err)
		}
	}
	ours := funcMap()
	for n := range ours {
		if _, ok := fm[n]; !ok {
			t.Errorf("function %q is not one Istio's injector provides", n)
		}
	}
	if _, err := template.New("x").Funcs(fm).Parse(`{{ include "x" . }}`); err == nil {
		t.Fatal("the check accepts helm-only functions")
	}
}
