package render

import (
	"bytes"
	"fmt"
	"io/fs"
	"strings"
	"sync"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/meshctl/meshctl/charts"
	"github.com/meshctl/meshctl/pkg/install/helmrender"
	"github.com/meshctl/meshctl/pkg/install/iop"
	"github.com/meshctl/meshctl/pkg/install/manifest"
	"github.com/meshctl/meshctl/pkg/version"
)

// Render merges the inputs and renders the install.
func Render(o Options) (*manifest.Manifest, error) {
	m, err := Merge(o)
	if err != nil {
		return nil, err
	}
	return m.Render()
}

var (
	chartMu    sync.Mutex
	chartCache = map[string]*helmrender.Chart{}
)

// loadChart loads an embedded chart once per process; charts of disabled
// components are never read.
func loadChart(name string) (*helmrender.Chart, error) {
	chartMu.Lock()
	defer chartMu.Unlock()
	if c, ok := chartCache[name]; ok {
		return c, nil
	}
	c, err := helmrender.Load(charts.FS, name, version.Istio())
	if err != nil {
		return nil, err
	}
	chartCache[name] = c
	return c, nil
}

// hasChart reports whether the embedded charts include name.
func hasChart(name string) bool {
	_, err := fs.Stat(charts.FS, name+"/Chart.yaml")
	return err == nil
}

// InstallName is the name of the install: the IstioOperator's name, or
// istioctl's default, suffixed with the revision.
func (m *Merged) InstallName() string {
	name := m.IOP.Metadata.Name
	if name == "" {
		name = DefaultInstallName
		if r := m.IOP.Spec.Revision; r != "" {
			name += "-" + r
		}
	}
	return name
}

// baseInstallName is the install name without the revision suffix.
func (m *Merged) baseInstallName() string {
	if n := m.IOP.Metadata.Name; n != "" {
		return n
	}
	return DefaultInstallName
}

// Namespace is the control plane namespace.
func (m *Merged) Namespace() string {
	s := m.IOP.Spec
	if s.Namespace != "" {
		return s.Namespace
	}
	if g, ok := s.Values["global"].(map[string]any); ok {
		if ns, ok := g["istioNamespace"].(string); ok && ns != "" {
			return ns
		}
	}
	if m.IOP.Metadata.Namespace != "" {
		return m.IOP.Metadata.Namespace
	}
	return "istio-system"
}

// job is one chart rendering of one component.
type job struct {
	component string
	chart     string
	release   helmrender.Release
	values    map[string]any
}

// Render renders the merged configuration to ordered objects.
func (m *Merged) Render() (*manifest.Manifest, error) {
	jobs, err := m.jobs()
	if err != nil {
		return nil, err
	}
	out := &manifest.Manifest{Name: m.InstallName(), Revision: m.IOP.Spec.Revision, Profile: m.Profile}
	// Charts render and decode independently, so they run side by side; the
	// results are then taken in job order, so output does not depend on timing.
	results := make([]jobResult, len(jobs))
	var wg sync.WaitGroup
	for i, j := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = runJob(j)
		}()
	}
	wg.Wait()
	seen := map[string]string{}
	for i, j := range jobs {
		if err := results[i].err; err != nil {
			return nil, err
		}
		for _, u := range results[i].objs {
			m.stamp(u, j.component)
			key := manifest.Key(u)
			if prev, dup := seen[key]; dup {
				return nil, fmt.Errorf("components %s and %s both render %s %s/%s", prev, j.component, u.GetKind(), u.GetNamespace(), u.GetName())
			}
			seen[key] = j.component
			out.Objects = append(out.Objects, manifest.Object{Component: j.component, Object: u})
		}
	}
	manifest.Sort(out.Objects)
	return out, nil
}

type jobResult struct {
	objs []*unstructured.Unstructured
	err  error
}

// runJob renders one chart and decodes its documents.
func runJob(j job) jobResult {
	c, err := loadChart(j.chart)
	if err != nil {
		return jobResult{err: err}
	}
	docs, err := c.Render(j.release, j.values)
	if err != nil {
		return jobResult{err: fmt.Errorf("rendering component %s: %w", j.component, err)}
	}
	var objs []*unstructured.Unstructured
	for _, d := range docs {
		parsed, err := parseObjects(d)
		if err != nil {
			return jobResult{err: fmt.Errorf("rendering component %s: %w", j.component, err)}
		}
		objs = append(objs, parsed...)
	}
	return jobResult{objs: objs}
}

// stamp puts the ownership labels on an object.
func (m *Merged) stamp(u *unstructured.Unstructured, component string) {
	labels := u.GetLabels()
	if labels == nil {
		labels = map[string]string{}
	}
	rev, name := m.IOP.Spec.Revision, m.InstallName()
	if rev == "" || component == manifest.Base {
		// The CRDs and cluster-wide base objects are shared by every
		// revision: a canary renders them exactly as the default does.
		rev, name = manifest.DefaultRevision, m.baseInstallName()
	}
	labels[manifest.LabelManagedBy] = manifest.ManagedByValue
	labels[manifest.LabelInstall] = name
	labels[manifest.LabelComponent] = component
	labels[manifest.LabelRevision] = rev
	u.SetLabels(labels)
}

// parseObjects splits rendered text into objects.
func parseObjects(d helmrender.Document) ([]*unstructured.Unstructured, error) {
	var objs []*unstructured.Unstructured
	for i, part := range splitDocuments(d.Content) {
		if len(bytes.TrimSpace(part)) == 0 {
			continue
		}
		obj, err := decodeDocument(part)
		if err != nil {
			return nil, fmt.Errorf("%s (document %d): %w", d.Template, i+1, err)
		}
		if len(obj) == 0 {
			continue
		}
		u := &unstructured.Unstructured{Object: obj}
		if u.GetKind() == "" || u.GetAPIVersion() == "" || u.GetName() == "" {
			return nil, fmt.Errorf("%s (document %d): object without apiVersion, kind or name", d.Template, i+1)
		}
		objs = append(objs, u)
	}
	return objs, nil
}

// splitDocuments splits a YAML stream on "---" lines.
func splitDocuments(s string) [][]byte {
	var parts [][]byte
	start := 0
	b := []byte(s)
	for i := 0; i <= len(b); {
		end := bytes.IndexByte(b[i:], '\n')
		lineEnd := len(b)
		if end >= 0 {
			lineEnd = i + end
		}
		line := bytes.TrimRight(b[i:lineEnd], " \t\r")
		if bytes.HasPrefix(line, []byte("---")) && len(bytes.TrimSpace(line[3:])) == 0 || bytes.HasPrefix(line, []byte("--- #")) {
			parts = append(parts, b[start:i])
			start = lineEnd + 1
		}
		if end < 0 {
			break
		}
		i = lineEnd + 1
	}
	if start < len(b) {
		parts = append(parts, b[start:])
	}
	return parts
}

// jobs translates the merged IstioOperator into chart renderings.
func (m *Merged) jobs() ([]job, error) {
	spec := m.IOP.Spec
	comps := spec.Components
	if comps == nil {
		comps = &iop.Components{}
	}
	ns := m.Namespace()
	values := m.chartValues()
	var jobs []job

	if comps.Base.IsEnabled() && hasChart("base") {
		// Base is shared by every revision, so it renders as the default one.
		vals := iop.DeepCopy(values)
		vals["revision"] = ""
		vals["ownerName"] = m.baseInstallName()
		jobs = append(jobs, job{component: manifest.Base, chart: "base",
			release: helmrender.Release{Name: "base", Namespace: ns}, values: vals})
	}
	if comps.Pilot.IsEnabled() {
		vals := iop.DeepCopy(values)
		pilot := mapAt(vals, "pilot")
		if c := comps.Pilot; c.Hub != "" || c.Tag != "" {
			setIf(pilot, "hub", c.Hub)
			setIf(pilot, "tag", c.Tag)
		}
		if err := applyK8s(pilot, comps.Pilot.K8s, "components.pilot.k8s"); err != nil {
			return nil, err
		}
		pns := ns
		if comps.Pilot.Namespace != "" {
			pns = comps.Pilot.Namespace
		}
		jobs = append(jobs, job{component: manifest.Pilot, chart: "istiod",
			release: helmrender.Release{Name: "istiod", Namespace: pns}, values: vals})
	}
	for _, c := range []*iop.Component{comps.Cni, comps.Ztunnel} {
		if c.IsEnabled() {
			return nil, fmt.Errorf("the cni and ztunnel components (ambient mode) are not supported by meshctl yet")
		}
	}
	for _, gws := range []struct {
		component, defaultName string
		list                   []iop.GatewayComponent
	}{
		{manifest.IngressGateways, "istio-ingressgateway", comps.IngressGateways},
		{manifest.EgressGateways, "istio-egressgateway", comps.EgressGateways},
	} {
		for i, g := range gws.list {
			if !g.IsEnabled() {
				continue
			}
			if g.Name == "" {
				return nil, fmt.Errorf("components.%s[%d]: a gateway needs a name", lowerFirst(gws.component), i)
			}
			j, err := m.gatewayJob(values, gws.component, gws.defaultName, g, i, ns)
			if err != nil {
				return nil, err
			}
			jobs = append(jobs, j)
		}
	}
	return jobs, nil
}

func (m *Merged) gatewayJob(values map[string]any, component, defaultName string, g iop.GatewayComponent, i int, ns string) (job, error) {
	gateways, _ := values["gateways"].(map[string]any)
	gw := map[string]any{}
	if d, ok := gateways[defaultName].(map[string]any); ok {
		gw = iop.Merge(gw, d)
	}
	if g.Name != defaultName {
		if d, ok := gateways[g.Name].(map[string]any); ok {
			gw = iop.Merge(gw, d)
		}
		// A gateway of one's own selects its own pods.
		gw["labels"] = map[string]any{"app": g.Name, "istio": strings.TrimPrefix(g.Name, "istio-")}
	}
	gw["name"] = g.Name
	if len(g.Label) > 0 {
		labels, _ := gw["labels"].(map[string]any)
		labels = iop.DeepCopy(labels)
		if labels == nil {
			labels = map[string]any{}
		}
		for k, v := range g.Label {
			labels[k] = v
		}
		gw["labels"] = labels
	}
	setIf(gw, "tag", g.Tag)
	path := fmt.Sprintf("components.%s[%d].k8s", lowerFirst(component), i)
	if err := applyK8s(gw, g.K8s, path); err != nil {
		return job{}, err
	}
	if g.K8s != nil && g.K8s.Service != nil {
		setIf(gw, "type", g.K8s.Service.Type)
		if len(g.K8s.Service.Ports) > 0 {
			ports := make([]any, len(g.K8s.Service.Ports))
			for i, p := range g.K8s.Service.Ports {
				ports[i] = iop.DeepCopy(p)
			}
			gw["ports"] = ports
		}
	}
	global := iop.DeepCopy(mapAt(values, "global"))
	if g.Hub != "" {
		global["hub"] = g.Hub
	}
	vals := map[string]any{
		"global":     global,
		"revision":   values["revision"],
		"ownerName":  values["ownerName"],
		"meshConfig": iop.DeepCopy(mapAt(values, "meshConfig")),
		"component":  component,
		"gateway":    gw,
	}
	gns := ns
	if g.Namespace != "" {
		gns = g.Namespace
	}
	return job{component: component, chart: "gateway",
		release: helmrender.Release{Name: g.Name, Namespace: gns}, values: vals}, nil
}

// chartValues are spec.values with the spec's top-level settings folded in.
func (m *Merged) chartValues() map[string]any {
	spec := m.IOP.Spec
	values := iop.DeepCopy(spec.Values)
	if values == nil {
		values = map[string]any{}
	}
	if len(spec.UnvalidatedValues) > 0 {
		values = iop.Merge(values, spec.UnvalidatedValues)
	}
	global := mapAt(values, "global")
	setIfAbsent(global, "hub", spec.Hub)
	setIfAbsent(global, "tag", spec.Tag)
	global["istioNamespace"] = m.Namespace()
	values["revision"] = spec.Revision
	values["ownerName"] = m.InstallName()
	values["meshConfig"] = iop.DeepCopy(spec.MeshConfig)
	if values["meshConfig"] == nil {
		values["meshConfig"] = map[string]any{}
	}
	return values
}

// applyK8s folds a component's k8s settings into its chart values.
func applyK8s(vals map[string]any, k *iop.K8sSpec, path string) error {
	if k == nil {
		return nil
	}
	if k.Resources != nil {
		vals["resources"] = iop.DeepCopy(k.Resources)
	}
	if k.ReplicaCount != nil {
		vals["replicaCount"] = *k.ReplicaCount
		if k.HpaSpec == nil {
			vals["autoscaleEnabled"] = false
		}
	}
	if len(k.Env) > 0 {
		env := iop.DeepCopy(mapAt(vals, "env"))
		for _, e := range k.Env {
			if e.Name == "" {
				return fmt.Errorf("%s.env: a variable needs a name", path)
			}
			env[e.Name] = e.Value
		}
		vals["env"] = env
	}
	if k.NodeSelector != nil {
		vals["nodeSelector"] = toAnyMap(k.NodeSelector)
	}
	if k.Tolerations != nil {
		l := make([]any, len(k.Tolerations))
		for i, t := range k.Tolerations {
			l[i] = iop.DeepCopy(t)
		}
		vals["tolerations"] = l
	}
	if k.Affinity != nil {
		vals["affinity"] = iop.DeepCopy(k.Affinity)
	}
	if k.PodAnnotations != nil {
		vals["podAnnotations"] = toAnyMap(k.PodAnnotations)
	}
	if k.ServiceAnnotations != nil {
		vals["serviceAnnotations"] = toAnyMap(k.ServiceAnnotations)
	}
	if h := k.HpaSpec; h != nil {
		vals["autoscaleEnabled"] = true
		if h.MinReplicas != nil {
			vals["autoscaleMin"] = *h.MinReplicas
		}
		if h.MaxReplicas != nil {
			vals["autoscaleMax"] = *h.MaxReplicas
		}
	}
	return nil
}

func toAnyMap(m map[string]string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// mapAt returns values[key] as a map, creating it when missing.
func mapAt(values map[string]any, key string) map[string]any {
	if m, ok := values[key].(map[string]any); ok {
		return m
	}
	m := map[string]any{}
	values[key] = m
	return m
}

func setIf(m map[string]any, key, v string) {
	if v != "" {
		m[key] = v
	}
}

func setIfAbsent(m map[string]any, key, v string) {
	if cur, ok := m[key]; (!ok || cur == "" || cur == nil) && v != "" {
		m[key] = v
	}
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}
