package istioinject

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"github.com/meshctl/meshctl/pkg/inject"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

// workload is the pod template of one workload of a file.
type workload struct {
	// key names it in the file: kind/name, with the list item's place.
	key string
	// report is how kube-inject names it on standard error: kind/name.
	report string
	tmpl   corev1.PodTemplateSpec
	// jobMeta is a CronJob's job template metadata.
	jobMeta *metav1.ObjectMeta
}

// workloadsOf parses a stream of YAML or JSON documents into its workloads,
// items of Lists (any kind ending in List) included. Other documents are
// left out. The template goes through the Kubernetes types, so that fields
// are compared as the API holds them: quantities by value ("2000m" is "2"),
// an empty struct as no struct (`resources: {}`).
func workloadsOf(data []byte) ([]workload, error) {
	var out []workload
	seen := map[string]int{}
	var add func(obj map[string]any, where string) error
	add = func(obj map[string]any, where string) error {
		kind, _ := obj["kind"].(string)
		if items, ok := obj["items"].([]any); ok && strings.HasSuffix(kind, "List") {
			for i, it := range items {
				if m, ok := it.(map[string]any); ok {
					if err := add(m, fmt.Sprintf("%s[%d]", where, i)); err != nil {
						return err
					}
				}
			}
			return nil
		}
		meta, _ := obj["metadata"].(map[string]any)
		name, _ := meta["name"].(string)
		tmpl := obj // a Pod is its own template
		path, ok := inject.TemplatePath(kind)
		if !ok {
			return nil
		}
		for _, k := range path {
			tmpl, _ = tmpl[k].(map[string]any)
		}
		if tmpl == nil {
			return nil
		}
		b, err := json.Marshal(map[string]any{"metadata": tmpl["metadata"], "spec": tmpl["spec"]})
		if err != nil {
			return err
		}
		w := workload{key: where + kind + "/" + name, report: strings.ToLower(kind) + "/" + name}
		if seen[w.key]++; seen[w.key] > 1 {
			w.key += fmt.Sprintf(" (#%d)", seen[w.key]) // the same name again
		}
		if err := json.Unmarshal(b, &w.tmpl); err != nil {
			return fmt.Errorf("%s: %w", w.key, err)
		}
		if kind == "CronJob" {
			spec, _ := obj["spec"].(map[string]any)
			jt, _ := spec["jobTemplate"].(map[string]any)
			b, _ := json.Marshal(jt["metadata"])
			w.jobMeta = &metav1.ObjectMeta{}
			if err := json.Unmarshal(b, w.jobMeta); err != nil {
				return fmt.Errorf("%s: %w", w.key, err)
			}
		}
		out = append(out, w)
		return nil
	}
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	for n := 1; ; n++ {
		var obj map[string]any
		if err := dec.Decode(&obj); errors.Is(err, io.EOF) {
			return out, nil
		} else if err != nil {
			return nil, fmt.Errorf("document %d: %w", n, err)
		}
		if obj != nil {
			if err := add(obj, ""); err != nil {
				return nil, fmt.Errorf("document %d: %w", n, err)
			}
		}
	}
}

// normalise is the one place where known, intended differences between
// meshctl's output and Istio's goldens are taken out, on both sides alike,
// before they are compared. Everything else counts. Each rule says why the
// difference is one of form or of design, not of effect.
func normalise(w *workload) {
	t := &w.tmpl
	// A CronJob's injected labels and annotations: Istio's kube-inject
	// puts them on the job template's own metadata, meshctl on the pods'
	// template, where the webhook puts them (kube-inject guide, "Compared
	// with istioctl kube-inject"). Both are compared as the pods'.
	if w.jobMeta != nil {
		t.Labels = mergeInto(t.Labels, w.jobMeta.Labels)
		t.Annotations = mergeInto(t.Annotations, w.jobMeta.Annotations)
		w.jobMeta = nil
	}
	s := &t.Spec
	for _, cs := range [][]corev1.Container{s.InitContainers, s.Containers} {
		for i := range cs {
			c := &cs[i]
			// The API server's defaults of a container's fields. The webhook
			// sees the pod after the API server has defaulted it, and a
			// container the user declares (a gateway's istio-proxy, a
			// custom template's containers) is merged with those defaults;
			// meshctl does as the webhook does (kube-inject guide,
			// "Compared with istiod"), Istio's kube-inject merges the bare
			// input. Once stored, both are the same pod.
			inject.DefaultContainer(c)
			for j := range c.Env {
				e := &c.Env[j]
				switch e.Name {
				case "ISTIO_META_POD_PORTS":
					// The same defaults in the agent's copy of the ports
					// (protocol TCP) ...
					e.Value = defaultPortProtocols(e.Value)
				case "ISTIO_KUBE_APP_PROBERS":
					// ... and of the probes it runs for the kubelet
					// (scheme HTTP, a one-second timeout, a gRPC probe's
					// empty service).
					e.Value = defaultProbers(e.Value)
				}
				// JSON in a value (PROXY_CONFIG, ISTIO_META_POD_PORTS,
				// ISTIO_KUBE_APP_PROBERS, ...) is read by the agent as
				// JSON: Istio indents it, meshctl writes it compact.
				e.Value = canonicalJSON(e.Value)
			}
		}
	}
	for k, v := range t.Annotations {
		// sidecar.istio.io/status and the other JSON annotations are read
		// as JSON; their layout is not compared.
		t.Annotations[k] = canonicalJSON(v)
	}
	for i := range s.Volumes {
		v := &s.Volumes[i]
		// A volume with no source is an empty directory: the API server
		// defaults it so. Istio's kube-inject drops the `emptyDir: {}` of
		// the template's socket volumes when it writes them.
		if reflect.DeepEqual(v.VolumeSource, corev1.VolumeSource{}) {
			v.EmptyDir = &corev1.EmptyDirVolumeSource{}
		}
	}
}

// mergeInto adds to m the keys of from that m lacks.
func mergeInto(m, from map[string]string) map[string]string {
	for k, v := range from {
		if m == nil {
			m = map[string]string{}
		}
		if _, ok := m[k]; !ok {
			m[k] = v
		}
	}
	return m
}

// defaultProbers sets the API server's probe defaults in the JSON of
// ISTIO_KUBE_APP_PROBERS.
func defaultProbers(s string) string {
	var probers map[string]map[string]any
	if err := json.Unmarshal([]byte(s), &probers); err != nil {
		return s
	}
	for _, p := range probers {
		if _, ok := p["timeoutSeconds"]; !ok {
			p["timeoutSeconds"] = 1
		}
		if h, ok := p["httpGet"].(map[string]any); ok {
			if _, ok := h["scheme"]; !ok {
				h["scheme"] = "HTTP"
			}
		}
		if g, ok := p["grpc"].(map[string]any); ok {
			if _, ok := g["service"]; !ok {
				g["service"] = ""
			}
		}
	}
	b, _ := json.Marshal(probers)
	return string(b)
}

// canonicalJSON is s compact with sorted keys, when s is a JSON object or
// array; otherwise s.
func canonicalJSON(s string) string {
	trim := strings.TrimSpace(s)
	if trim == "" || (trim[0] != '{' && trim[0] != '[') {
		return s
	}
	var v any
	if err := json.Unmarshal([]byte(trim), &v); err != nil {
		return s
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// defaultPortProtocols gives each port of a JSON list of container ports
// the protocol TCP when it has none.
func defaultPortProtocols(s string) string {
	var ports []map[string]any
	if err := json.Unmarshal([]byte(s), &ports); err != nil {
		return s
	}
	for _, p := range ports {
		if _, ok := p["protocol"]; !ok {
			p["protocol"] = "TCP"
		}
	}
	b, _ := json.Marshal(ports)
	return string(b)
}

// fieldDiff is one field that differs: its path in the pod template, its
// category for the counts, and both values.
type fieldDiff struct {
	path, category string
	istio, meshctl string
}

func (d fieldDiff) String() string {
	a, b := excerpt(d.istio, d.meshctl)
	return fmt.Sprintf("%s: istio %s, meshctl %s", d.path, a, b)
}

// excerpt quotes two values; long ones are cut to where they first differ.
func excerpt(a, b string) (string, string) {
	const before, width = 30, 90
	if len(a) <= width && len(b) <= width {
		return orNone(a), orNone(b)
	}
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	start := max(0, i-before)
	cut := func(s string) string {
		if s == "" {
			return "(none)"
		}
		if start >= len(s) {
			return "..." + strconv.Quote(s[max(0, len(s)-before):])
		}
		end := min(len(s), start+width)
		q := strconv.Quote(s[start:end])
		if start > 0 {
			q = "..." + q
		}
		if end < len(s) {
			q += "..."
		}
		return q
	}
	return cut(a), cut(b)
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return strconv.Quote(s)
}

// containerOrder is the order container fields are compared and reported
// in: the fields the issue names first, then the rest by name.
var containerOrder = []string{"name", "image", "command", "args", "env", "ports", "readinessProbe", "livenessProbe", "startupProbe", "resources", "securityContext"}

// categories group container fields for the counts.
var categories = map[string]string{
	"command": "args", "args": "args", "env": "env", "envFrom": "env", "ports": "ports", "image": "image",
	"readinessProbe": "probes", "livenessProbe": "probes", "startupProbe": "probes",
	"resources": "resources", "securityContext": "securityContext",
}

// diffTemplates compares two pod templates field by field: labels and
// annotations by key, containers and init containers by name (and their
// order), each container field by field (env by position, naming the
// variable), volumes by name, and the rest of the pod spec field by field.
func diffTemplates(istio, meshctl corev1.PodTemplateSpec) []fieldDiff {
	var out []fieldDiff
	add := func(path, category string, a, b any) {
		as, bs := render(a), render(b)
		if as != bs {
			out = append(out, fieldDiff{path: path, category: category, istio: as, meshctl: bs})
		}
	}
	diffMap := func(what string, a, b map[string]string) {
		for _, k := range unionKeys(a, b) {
			add(what+"["+k+"]", what, a[k], b[k])
		}
	}
	diffMap("labels", istio.Labels, meshctl.Labels)
	diffMap("annotations", istio.Annotations, meshctl.Annotations)

	for _, group := range []struct {
		name string
		a, b []corev1.Container
	}{
		{"initContainers", istio.Spec.InitContainers, meshctl.Spec.InitContainers},
		{"containers", istio.Spec.Containers, meshctl.Spec.Containers},
	} {
		add(group.name, group.name, names(group.a), names(group.b))
		byName := map[string]corev1.Container{}
		for _, c := range group.b {
			byName[c.Name] = c
		}
		for _, a := range group.a {
			b, ok := byName[a.Name]
			if !ok {
				continue
			}
			out = append(out, diffContainer(group.name+"["+a.Name+"]", group.name, a, b)...)
		}
	}

	va, vb := map[string]corev1.Volume{}, map[string]corev1.Volume{}
	for _, v := range istio.Spec.Volumes {
		va[v.Name] = v
	}
	for _, v := range meshctl.Spec.Volumes {
		vb[v.Name] = v
	}
	add("volumes", "volumes", volumeNames(istio.Spec.Volumes), volumeNames(meshctl.Spec.Volumes))
	for _, k := range unionKeys(va, vb) {
		if a, ok := va[k]; ok {
			if b, ok := vb[k]; ok {
				add("volumes["+k+"]", "volumes", a, b)
			}
		}
	}

	// The rest of the pod spec (imagePullSecrets, dnsConfig, the pod's
	// securityContext, ...) field by field.
	ra, rb := istio.Spec.DeepCopy(), meshctl.Spec.DeepCopy()
	for _, s := range []*corev1.PodSpec{ra, rb} {
		s.Containers, s.InitContainers, s.Volumes = nil, nil, nil
	}
	ma, mb := asMap(ra), asMap(rb)
	for _, k := range unionKeys(ma, mb) {
		add("spec."+k, "pod spec", ma[k], mb[k])
	}
	return out
}

func diffContainer(path, group string, a, b corev1.Container) []fieldDiff {
	var out []fieldDiff
	add := func(field string, x, y any) {
		xs, ys := render(x), render(y)
		if xs == ys {
			return
		}
		cat, ok := categories[strings.SplitN(field, "[", 2)[0]]
		if !ok {
			cat = "other"
		}
		out = append(out, fieldDiff{path: path + "." + field, category: group + "." + cat, istio: xs, meshctl: ys})
	}
	ma, mb := asMap(a), asMap(b)
	keys := unionKeys(ma, mb)
	sort.SliceStable(keys, func(i, j int) bool { return rank(keys[i]) < rank(keys[j]) })
	for _, k := range keys {
		if k != "env" {
			add(k, ma[k], mb[k])
			continue
		}
		// Env by position (order matters to $(VAR) references), named
		// by the variable.
		for i := 0; i < max(len(a.Env), len(b.Env)); i++ {
			var x, y any
			name := ""
			if i < len(a.Env) {
				x, name = a.Env[i], a.Env[i].Name
			}
			if i < len(b.Env) {
				y = b.Env[i]
				if name == "" {
					name = b.Env[i].Name
				}
			}
			if render(x) != render(y) {
				add("env["+name+"]", envValue(x), envValue(y))
				break // the rest is shifted: one difference says it
			}
		}
	}
	return out
}

// envValue renders an env var as NAME=value (or NAME from its source).
func envValue(v any) string {
	e, ok := v.(corev1.EnvVar)
	if !ok {
		return ""
	}
	if e.ValueFrom != nil {
		return e.Name + " from " + render(e.ValueFrom)
	}
	return e.Name + "=" + e.Value
}

func rank(k string) int {
	for i, o := range containerOrder {
		if o == k {
			return i
		}
	}
	return len(containerOrder)
}

func names(cs []corev1.Container) string {
	var n []string
	for _, c := range cs {
		n = append(n, c.Name)
	}
	return strings.Join(n, ",")
}

func volumeNames(vs []corev1.Volume) string {
	var n []string
	for _, v := range vs {
		n = append(n, v.Name)
	}
	sort.Strings(n) // the order of volumes has no effect
	return strings.Join(n, ",")
}

// render is a value as compact JSON; a string as itself; "" for nothing.
func render(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	if s := string(b); s != "null" && s != "{}" && s != `""` && s != "[]" {
		return s
	}
	return ""
}

// asMap is a value's JSON fields, each as raw JSON.
func asMap(v any) map[string]json.RawMessage {
	b, _ := json.Marshal(v)
	m := map[string]json.RawMessage{}
	_ = json.Unmarshal(b, &m)
	return m
}

func unionKeys[V any](a, b map[string]V) []string {
	seen := map[string]bool{}
	var out []string
	for _, m := range []map[string]V{a, b} {
		for k := range m {
			if !seen[k] {
				seen[k] = true
				out = append(out, k)
			}
		}
	}
	sort.Strings(out)
	return out
}

func (w workload) deepCopy() workload {
	c := w
	c.tmpl = *w.tmpl.DeepCopy()
	if w.jobMeta != nil {
		c.jobMeta = w.jobMeta.DeepCopy()
	}
	return c
}
