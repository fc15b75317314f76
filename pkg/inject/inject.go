// Package inject adds Istio's sidecar to Kubernetes workloads in YAML and
// JSON streams, and takes it out again, as a minimal text change: the
// user's own lines keep their order, formatting and comments; injection
// inserts lines and rewrites only the probe (and prometheus) values it must.
// The pod that results is the one Istio's webhook would produce from the
// same injection template and configuration.
package inject

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	sigsjson "sigs.k8s.io/json"

	"github.com/meshctl/meshctl/pkg/yamlstream"
)

// Action is what happened to one resource.
type Action string

// Actions reported per resource.
const (
	Injected   Action = "injected"
	Uninjected Action = "uninjected"
	Skipped    Action = "skipped"
	Unchanged  Action = "unchanged"
)

// Result reports one resource of the stream.
type Result struct {
	Source    string
	Index     int
	Kind      string
	Name      string
	Namespace string
	Action    Action
	Reason    string
}

// String is the report line: "deployment/web injected",
// "pod/db skipped: host network".
func (r Result) String() string {
	s := strings.ToLower(r.Kind) + "/" + r.Name + " " + string(r.Action)
	if r.Reason != "" {
		s += ": " + r.Reason
	}
	return s
}

// SystemNamespaces are never injected.
var SystemNamespaces = map[string]bool{"kube-system": true, "kube-public": true, "kube-node-lease": true, "local-path-storage": true}

// Injector injects and uninjects documents with one configuration.
type Injector struct {
	cfg *parsedConfig
}

// New prepares an injector: it parses the templates once.
func New(c Config) (*Injector, error) {
	p, err := prepare(c)
	if err != nil {
		return nil, err
	}
	return &Injector{cfg: p}, nil
}

// Inject reads a document stream from r and writes the injected stream to
// w, one document at a time; report (if not nil) is called per resource.
func (in *Injector) Inject(source string, r io.Reader, w io.Writer, report func(Result)) error {
	return stream(in.NewPipeline(report, 0), source, r, w)
}

func stream(p *Pipeline, source string, r io.Reader, w io.Writer) error {
	err := yamlstream.Read(source, r, func(d yamlstream.Document) error {
		return p.Add(d, w)
	})
	if cerr := p.Close(); err == nil {
		err = cerr
	}
	return err
}

// WriteDocument injects one document and writes it with its separator.
func (in *Injector) WriteDocument(d yamlstream.Document, w io.Writer, report func(Result)) error {
	return writeProcessed(in.InjectDocument, d, w, report)
}

func writeProcessed(process func(yamlstream.Document) ([]byte, []Result, error), d yamlstream.Document, w io.Writer, report func(Result)) error {
	out, res, err := process(d)
	if err != nil {
		return err
	}
	if report != nil {
		for _, r := range res {
			report(r)
		}
	}
	return writeDoc(w, d, out)
}

// parse reads a document into a node tree; errors name the file, the
// document and the line in the file.
func parse(d yamlstream.Document) (*yaml.Node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(d.Raw, &doc); err != nil {
		return nil, d.SyntaxError(err)
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	if err := d.DuplicateKey(&doc); err != nil {
		return nil, err
	}
	return &doc, nil
}

// target is one pod template in a document.
type target struct {
	pod      *yaml.Node // mapping with metadata and spec
	workload Workload
	kind     string
	name     string
	// unnamed is a resource with neither metadata.name nor generateName,
	// which no API server accepts.
	unnamed bool
	// item is the resource's place in a List ("items[2]"), "" at the root.
	item string
	// path names the pod template in the document ("spec.template",
	// "items[2]"; "" for a Pod at the root).
	path string
}

// templatePaths is where each kind injection handles holds its pod
// template: the kinds whose pods Istio's injector reaches.
var templatePaths = map[string][]string{
	"Pod":                   nil,
	"Deployment":            {"spec", "template"},
	"ReplicaSet":            {"spec", "template"},
	"ReplicationController": {"spec", "template"},
	"DaemonSet":             {"spec", "template"},
	"StatefulSet":           {"spec", "template"},
	"Job":                   {"spec", "template"},
	"DeploymentConfig":      {"spec", "template"},
	"CronJob":               {"spec", "jobTemplate", "spec", "template"},
}

// TemplatePath is where a workload of kind holds its pod template
// ({"spec", "template"}; nil for a Pod, which is its own), and false for a
// kind that injection leaves alone.
func TemplatePath(kind string) ([]string, bool) {
	p, ok := templatePaths[kind]
	return p, ok
}

func str(m *yaml.Node, path ...string) string {
	cur := m
	for _, k := range path {
		_, cur = mapGet(cur, k)
		if cur == nil {
			return ""
		}
	}
	if cur.Kind != yaml.ScalarNode {
		return ""
	}
	return cur.Value
}

// targets finds the resources of a document: one, or a List's items.
func targets(root *yaml.Node) []target { return targetsAt(root, "") }

func targetsAt(root *yaml.Node, at string) []target {
	if root.Kind != yaml.MappingNode {
		return nil
	}
	kind := str(root, "kind")
	if strings.HasSuffix(kind, "List") {
		if _, items := mapGet(root, "items"); items != nil && items.Kind == yaml.SequenceNode {
			var out []target
			for i, it := range items.Content {
				out = append(out, targetsAt(it, join(at, "items["+strconv.Itoa(i)+"]"))...)
			}
			return out
		}
	}
	t := target{kind: kind, name: str(root, "metadata", "name"), item: at}
	t.unnamed = t.name == "" && str(root, "metadata", "generateName") == ""
	t.workload = Workload{
		TypeMeta:  metav1.TypeMeta{APIVersion: str(root, "apiVersion"), Kind: kind},
		Name:      t.name,
		Namespace: str(root, "metadata", "namespace"),
	}
	path, ok := templatePaths[kind]
	if !ok {
		return []target{t}
	}
	cur := root
	for _, k := range path {
		_, cur = mapGet(cur, k)
		if cur == nil || cur.Kind != yaml.MappingNode {
			return []target{t}
		}
	}
	t.pod = cur
	t.path = join(at, strings.Join(path, "."))
	return []target{t}
}

// checkFields refuses fields in the target's pod template that the Pod
// type does not know (see strict.go), and unknown fields in the
// annotations injection parses.
func (t target) checkFields(d yamlstream.Document, pod *corev1.Pod) error {
	if err := checkPodFields(d, t.pod, t.path, t.kind == "Pod"); err != nil {
		return err
	}
	return checkAnnotations(d, t.pod, pod.ObjectMeta)
}

func (t target) result(d yamlstream.Document, a Action, reason string) Result {
	kind := t.kind
	if kind == "" {
		kind = "unknown"
	}
	return Result{Source: d.Source, Index: d.Index, Kind: kind, Name: t.name, Namespace: t.workload.Namespace, Action: a, Reason: reason}
}

// decodePod reads a pod template node into a Pod.
func decodePod(d yamlstream.Document, n *yaml.Node) (*corev1.Pod, error) {
	pod := &corev1.Pod{}
	if n.Kind == yaml.MappingNode && plainTree(n) && podFromNodes(n, pod) {
		return checkNames(d, n, pod)
	}
	pod = &corev1.Pod{}
	// Plain trees go straight to JSON; the rest, and any error, the
	// library's way.
	b, fast := podJSON(n)
	// Field names are case-sensitive, as the API server reads them.
	if !fast || sigsjson.UnmarshalCaseSensitivePreserveInts(b, pod) != nil {
		var v map[string]any
		if err := n.Decode(&v); err != nil {
			return nil, d.SyntaxError(err)
		}
		delete(v, "status")
		b, err := json.Marshal(map[string]any{"metadata": v["metadata"], "spec": v["spec"]})
		if err != nil {
			return nil, d.ErrorAt(n.Line, n.Column, err)
		}
		pod = &corev1.Pod{}
		if err := sigsjson.UnmarshalCaseSensitivePreserveInts(b, pod); err != nil {
			line, column := yamlstream.NodeFieldPosition(n, jsonFieldPath(err))
			return nil, d.ErrorAt(line, column, fmt.Errorf("invalid pod template: %w", err))
		}
	}
	return checkNames(d, n, pod)
}

// jsonStructField finds the field a JSON type error is about.
var jsonStructField = regexp.MustCompile(`Go struct field \w+\.(\S+) of type`)

// jsonFieldPath is the path ("spec.containers") of the field a JSON type
// error names, "" when it names none.
func jsonFieldPath(err error) string {
	if m := jsonStructField.FindStringSubmatch(err.Error()); m != nil {
		return m[1]
	}
	return ""
}

// checkNames requires a name of its own of every container.
func checkNames(d yamlstream.Document, n *yaml.Node, pod *corev1.Pod) (*corev1.Pod, error) {
	seen := map[string]bool{}
	for _, c := range append(append([]corev1.Container{}, pod.Spec.InitContainers...), pod.Spec.Containers...) {
		if c.Name == "" || seen[c.Name] {
			return nil, d.ErrorAt(n.Line, n.Column, fmt.Errorf("invalid pod template: every container needs a name of its own (got %q)", c.Name))
		}
		seen[c.Name] = true
	}
	return pod, nil
}

// skipReason says why a pod is not injected, "" when it is.
func skipReason(w Workload, pod *corev1.Pod, revision string) string {
	if pod.Spec.HostNetwork {
		return "host network"
	}
	if len(pod.Spec.Containers) == 0 {
		return "no containers"
	}
	if v, from := injectSelector(pod); v == "false" {
		return "disabled by " + from + " " + annInject
	}
	if rev, ok := pod.Labels["istio.io/rev"]; ok && rev != revisionName(revision) {
		return fmt.Sprintf("labelled for revision %q, injecting for %q", rev, revisionName(revision))
	}
	ns := w.Namespace
	if ns == "" {
		ns = pod.Namespace
	}
	if SystemNamespaces[ns] {
		return "system namespace " + ns
	}
	return ""
}

// injectSelector returns the pod's sidecar.istio.io/inject value and where
// it is set: the label wins over the annotation, as in Istio's injector.
func injectSelector(pod *corev1.Pod) (value, from string) {
	if v, ok := pod.Labels[annInject]; ok {
		return v, "label"
	}
	if v, ok := pod.Annotations[annInject]; ok {
		return v, "annotation"
	}
	return "", ""
}

// selectorNote warns about an inject value Istio ignores: only "true" and
// "false" count; anything else ("False", "no", "0") falls back to the
// default policy, which injects.
func selectorNote(pod *corev1.Pod) string {
	v, from := injectSelector(pod)
	if v == "" || v == "true" || v == "false" {
		return ""
	}
	return fmt.Sprintf("%s %s=%q ignored: only \"true\" and \"false\" are accepted", from, annInject, v)
}

func revisionName(r string) string {
	if r == "" {
		return "default"
	}
	return r
}

// InjectPod returns the injected form of a pod that belongs to workload w.
func (in *Injector) InjectPod(w Workload, pod *corev1.Pod) (*corev1.Pod, error) {
	return in.cfg.injectPod(w, pod)
}

// InjectDocument injects one document. Documents without workloads come
// back byte for byte.
func (in *Injector) InjectDocument(d yamlstream.Document) ([]byte, []Result, error) {
	if d.IsEmpty() {
		return d.Raw, nil, nil
	}
	doc, err := parse(d)
	if err != nil || doc == nil {
		return d.Raw, nil, err
	}
	ts := targets(doc.Content[0])
	// Re-injection replaces an earlier injection: take it out first.
	for _, t := range ts {
		if t.pod != nil && str(t.pod, "metadata", "annotations", annStatus) != "" {
			// Check the fields where the user wrote them, before
			// uninjection moves lines.
			for _, t := range ts {
				if t.pod == nil || str(t.pod, "metadata", "annotations", annStatus) == "" {
					continue
				}
				pod, err := decodePod(d, t.pod)
				if err != nil {
					return nil, nil, err
				}
				if err := t.checkFields(d, pod); err != nil {
					return nil, nil, err
				}
			}
			raw, _, err := uninjectDocument(d)
			if err != nil {
				return nil, nil, err
			}
			d2 := d
			d2.Raw = raw
			out, res, err := in.injectOnce(d2, nil)
			if err != nil {
				return nil, nil, err
			}
			// The same injection again: keep the input's bytes, even where
			// uninjection could not restore the user's exact layout.
			same := bytes.Equal(bytes.TrimRight(out, "\n"), bytes.TrimRight(d.Raw, "\n")) || sameContent(out, d.Raw)
			if same {
				out = d.Raw
				if d.JSON {
					out = append(bytes.TrimRight(d.Raw, "\n"), '\n')
				}
			}
			for i := range res {
				if res[i].Action == Injected && same {
					res[i].Action, res[i].Reason = Unchanged, "already injected"
				}
			}
			return out, res, nil
		}
	}
	return in.injectOnce(d, doc)
}

// podTemplateJSON marshals as a map of "metadata" and "spec" does.
type podTemplateJSON struct {
	Metadata metav1.ObjectMeta `json:"metadata"`
	Spec     corev1.PodSpec    `json:"spec"`
}

// wantNode is the node tree of an injected pod template's JSON.
func wantNode(p *podTemplateJSON) (*yaml.Node, error) {
	if n, ok := podNode(p); ok {
		return n, nil
	}
	b, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	return jsonToNode(b)
}

type change struct {
	t    target
	want *yaml.Node
}

// injectOnce injects a document that holds no earlier injection; doc is its
// parsed tree, or nil to parse it here.
func (in *Injector) injectOnce(d yamlstream.Document, doc *yaml.Node) ([]byte, []Result, error) {
	if doc == nil {
		var err error
		if doc, err = parse(d); err != nil || doc == nil {
			return d.Raw, nil, err
		}
	}
	ts := targets(doc.Content[0])
	var res []Result
	var changes []change
	for _, t := range ts {
		if _, workload := templatePaths[t.kind]; workload && t.unnamed {
			item := ""
			if t.item != "" {
				item = " (" + t.item + ")"
			}
			return nil, nil, fmt.Errorf("%s: %s%s has no metadata.name", d.Where(), t.kind, item)
		}
		if t.pod == nil {
			res = append(res, t.result(d, Unchanged, ""))
			continue
		}
		pod, err := decodePod(d, t.pod)
		if err != nil {
			return nil, nil, err
		}
		if why := skipReason(t.workload, pod, in.cfg.revision); why != "" {
			res = append(res, t.result(d, Skipped, why))
			continue
		}
		// Only pods that are injected are checked: a skipped pod is
		// passed on byte for byte, and every field that decides a skip
		// (hostNetwork, the labels and annotations) is checked here when
		// a misspelling would have let the pod through.
		if err := t.checkFields(d, pod); err != nil {
			return nil, nil, err
		}
		out, err := in.cfg.injectPod(t.workload, pod)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %s/%s: %w", d.Where(), strings.ToLower(t.kind), t.name, err)
		}
		if why := in.cfg.ownProxyProblem(pod, out); why != "" {
			res = append(res, t.result(d, Skipped, why))
			continue
		}
		want, err := wantNode(&podTemplateJSON{out.ObjectMeta, out.Spec})
		if err != nil {
			return nil, nil, err
		}
		changes = append(changes, change{t, want})
		res = append(res, t.result(d, Injected, selectorNote(pod)))
	}
	if len(changes) == 0 {
		return d.Raw, res, nil
	}
	out, err := edit(d, doc, func(p patcher, root *yaml.Node) error {
		cur := targets(root)
		k := 0
		for _, t := range cur {
			if k < len(changes) && t.pod != nil && sameTarget(t, changes[k].t) {
				if err := apply(p, t.pod, changes[k].want, "", -1); err != nil {
					return err
				}
				k++
			}
		}
		return nil
	})
	if err != nil {
		return nil, nil, d.Wrap(err)
	}
	return out, res, nil
}

// sameContent reports whether two documents hold the same data.
func sameContent(a, b []byte) bool {
	var va, vb any
	if yaml.Unmarshal(a, &va) != nil || yaml.Unmarshal(b, &vb) != nil {
		return false
	}
	return reflect.DeepEqual(va, vb)
}

func sameTarget(a, b target) bool {
	return a.kind == b.kind && a.name == b.name && a.workload.Namespace == b.workload.Namespace
}

// edit runs fn as text edits; when a change cannot be a text edit (or the
// document is JSON) it runs fn again on a fresh node tree and writes the
// whole document.
func edit(d yamlstream.Document, doc *yaml.Node, fn func(patcher, *yaml.Node) error) ([]byte, error) {
	if !d.JSON {
		tp := newTextPatcher(d.Raw, doc)
		err := fn(tp, doc.Content[0])
		if err == nil {
			if out, err := tp.result(); err == nil {
				return out, nil
			} else if !errors.Is(err, errFallback) {
				return nil, err
			}
		} else if !errors.Is(err, errFallback) {
			return nil, err
		}
	}
	fresh, err := parse(d)
	if err != nil {
		return nil, err
	}
	if err := fn(nodePatcher{}, fresh.Content[0]); err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if d.JSON {
		if err := writeJSON(&b, fresh.Content[0], jsonIndent(d.Raw)); err != nil {
			return nil, err
		}
		return b.Bytes(), nil
	}
	blockStyle(fresh)
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(fresh); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// blockStyle makes every collection block style, as documents written
// whole are.
func blockStyle(n *yaml.Node) {
	if n.Kind == yaml.MappingNode || n.Kind == yaml.SequenceNode {
		n.Style &^= yaml.FlowStyle
	}
	for _, c := range n.Content {
		blockStyle(c)
	}
}

// jsonIndent is the indentation of a JSON document's second line.
func jsonIndent(raw []byte) string {
	lines := bytes.SplitN(raw, []byte("\n"), 3)
	if len(lines) < 2 {
		return "  "
	}
	n := len(lines[1]) - len(bytes.TrimLeft(lines[1], " \t"))
	if n == 0 {
		return "  "
	}
	return string(lines[1][:n])
}

// Uninjector removes injections. It needs no configuration: what an
// injection added is recorded in the pod's sidecar.istio.io/status
// annotation.
type Uninjector struct{}

// NewUninjector returns an Uninjector.
func NewUninjector() *Uninjector { return &Uninjector{} }

// Uninject reads a document stream from r and writes it to w with every
// injection removed; report (if not nil) is called per resource.
func (u *Uninjector) Uninject(source string, r io.Reader, w io.Writer, report func(Result)) error {
	return stream(u.NewPipeline(report, 0), source, r, w)
}

// WriteDocument uninjects one document and writes it with its separator.
func (u *Uninjector) WriteDocument(d yamlstream.Document, w io.Writer, report func(Result)) error {
	return writeProcessed(u.UninjectDocument, d, w, report)
}
