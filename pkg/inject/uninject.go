package inject

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"

	yaml "go.yaml.in/yaml/v3"

	"github.com/meshctl/meshctl/pkg/yamlstream"
)

// Annotations and labels injection adds to every pod.
var (
	addedAnnotations = []string{annStatus, "istio.io/rev", "kubectl.kubernetes.io/default-container", "kubectl.kubernetes.io/default-logs-container"}
	cniAnnotations   = []string{"sidecar.istio.io/interceptionMode", "traffic.sidecar.istio.io/includeInboundPorts", "traffic.sidecar.istio.io/excludeInboundPorts",
		"traffic.sidecar.istio.io/includeOutboundIPRanges", "traffic.sidecar.istio.io/excludeOutboundIPRanges", "traffic.sidecar.istio.io/includeOutboundPorts", "traffic.sidecar.istio.io/excludeOutboundPorts"}
	addedLabels = []string{"security.istio.io/tlsMode", "service.istio.io/canonical-name", "service.istio.io/canonical-revision"}
)

// UninjectDocument removes an injection found through the
// sidecar.istio.io/status annotation.
func (in *Injector) UninjectDocument(d yamlstream.Document) ([]byte, []Result, error) {
	if d.IsEmpty() {
		return d.Raw, nil, nil
	}
	doc, err := parse(d)
	if err != nil || doc == nil {
		return d.Raw, nil, err
	}
	var res []Result
	any := false
	for _, t := range targets(doc.Content[0]) {
		if t.pod != nil && str(t.pod, "metadata", "annotations", annStatus) != "" {
			res = append(res, t.result(d, Uninjected, ""))
			any = true
		} else {
			res = append(res, t.result(d, Unchanged, ""))
		}
	}
	if !any {
		return d.Raw, res, nil
	}
	out, err := edit(d, doc, func(p patcher, root *yaml.Node) error {
		for _, t := range targets(root) {
			if t.pod == nil {
				continue
			}
			if err := uninjectPod(p, t.pod); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", d.Where(), err)
	}
	return out, res, nil
}

// deleter gathers deletions per parent and makes them from the back, so
// that indexes stay valid for node edits.
type deleter struct {
	entries map[*yaml.Node][]int
	items   map[*yaml.Node][]int
	order   []*yaml.Node
}

func (d *deleter) entry(m *yaml.Node, i int) {
	if d.entries[m] == nil && d.items[m] == nil {
		d.order = append(d.order, m)
	}
	d.entries[m] = append(d.entries[m], i)
}

func (d *deleter) item(s *yaml.Node, i int) {
	if d.entries[s] == nil && d.items[s] == nil {
		d.order = append(d.order, s)
	}
	d.items[s] = append(d.items[s], i)
}

func (d *deleter) run(p patcher) error {
	for _, n := range d.order {
		idx := append(d.entries[n], d.items[n]...)
		sort.Sort(sort.Reverse(sort.IntSlice(idx)))
		for _, i := range idx {
			var err error
			if d.entries[n] != nil {
				err = p.deleteEntry(n, i)
			} else {
				err = p.deleteItem(n, i)
			}
			if err != nil {
				return err
			}
		}
	}
	return nil
}

func uninjectPod(p patcher, pod *yaml.Node) error {
	del := &deleter{entries: map[*yaml.Node][]int{}, items: map[*yaml.Node][]int{}}
	_, meta := mapGet(pod, "metadata")
	_, anns := mapGet(meta, "annotations")
	_, labels := mapGet(meta, "labels")
	_, spec := mapGet(pod, "spec")
	var st Status
	if err := json.Unmarshal([]byte(str(anns, annStatus)), &st); err != nil {
		return fmt.Errorf("annotation %s: %w", annStatus, err)
	}
	names := map[string]map[string]bool{
		"initContainers":   set(st.InitContainers),
		"containers":       set(st.Containers),
		"volumes":          set(st.Volumes),
		"imagePullSecrets": set(st.ImagePullSecrets),
	}
	// What the proxy remembers of the application's own settings.
	var probers map[string]*Prober
	var prom map[string]string
	for _, key := range []string{"containers", "initContainers"} {
		_, cs := mapGet(spec, key)
		if cs == nil {
			continue
		}
		for _, c := range cs.Content {
			if n, _ := itemName(c); n != proxyName {
				continue
			}
			_, env := mapGet(c, "env")
			if env == nil {
				continue
			}
			for _, e := range env.Content {
				n, _ := itemName(e)
				v := str(e, "value")
				switch n {
				case envProbers:
					_ = json.Unmarshal([]byte(v), &probers)
				case envPrometheus:
					_ = json.Unmarshal([]byte(v), &prom)
				}
			}
		}
	}
	for _, key := range []string{"initContainers", "containers", "volumes", "imagePullSecrets"} {
		ki, list := mapGet(spec, key)
		if list == nil || list.Kind != yaml.SequenceNode {
			continue
		}
		var rm []int
		for i, it := range list.Content {
			if n, ok := itemName(it); ok && names[key][n] {
				rm = append(rm, i)
			}
		}
		if len(rm) == 0 {
			continue
		}
		if len(rm) == len(list.Content) {
			del.entry(spec, ki)
			continue
		}
		for _, i := range rm {
			del.item(list, i)
		}
	}
	// Probes back to the application's.
	for _, key := range []string{"containers", "initContainers"} {
		_, cs := mapGet(spec, key)
		if cs == nil {
			continue
		}
		for _, c := range cs.Content {
			n, _ := itemName(c)
			if n == proxyName || names[key][n] {
				continue
			}
			_, lifecycle := mapGet(c, "lifecycle")
			for _, h := range []struct {
				parent *yaml.Node
				key    string
				kind   string
			}{{c, "readinessProbe", "readyz"}, {c, "livenessProbe", "livez"}, {c, "startupProbe", "startupz"}, {lifecycle, "preStop", "prestopz"}, {lifecycle, "postStart", "poststartz"}} {
				pr := probers["/app-health/"+n+"/"+h.kind]
				_, probe := mapGet(h.parent, h.key)
				if pr == nil || probe == nil {
					continue
				}
				if err := restoreProbe(p, del, probe, pr); err != nil {
					return err
				}
			}
		}
	}
	// Annotations and labels.
	drop := append([]string{}, addedAnnotations...)
	if names["initContainers"][validationName] {
		drop = append(drop, cniAnnotations...)
	}
	if prom != nil {
		for k, short := range map[string]string{promScrape: "scrape", promPort: "port", promPath: "path"} {
			i, v := mapGet(anns, k)
			if v == nil {
				continue
			}
			if orig, ok := prom[short]; ok {
				if err := p.replaceScalar(v, orig, "!!str"); err != nil {
					return err
				}
			} else {
				drop = append(drop, anns.Content[i].Value)
			}
		}
	} else {
		drop = append(drop, promScrape, promPort, promPath)
	}
	goneA := removeKeys(del, meta, "annotations", anns, drop)
	goneL := removeKeys(del, meta, "labels", labels, addedLabels)
	// Metadata that held only what injection added was added by it.
	if left := len(meta.Content) / 2; left > 0 && (goneA && goneL && left == 2 || goneA && labels == nil && left == 1) {
		delete(del.entries, meta)
		mi, _ := mapGet(pod, "metadata")
		del.entry(pod, mi)
	}
	return del.run(p)
}

func set(names []string) map[string]bool {
	m := map[string]bool{}
	for _, n := range names {
		m[n] = true
	}
	return m
}

// removeKeys deletes keys from mapping m (the value of key under parent);
// when none would be left, the whole entry goes.
func removeKeys(del *deleter, parent *yaml.Node, key string, m *yaml.Node, keys []string) bool {
	if m == nil || m.Kind != yaml.MappingNode {
		return false
	}
	drop := set(keys)
	var rm []int
	for i := 0; i+1 < len(m.Content); i += 2 {
		if drop[m.Content[i].Value] {
			rm = append(rm, i)
		}
	}
	if len(rm) == 0 {
		return false
	}
	if len(rm)*2 == len(m.Content) {
		pi, _ := mapGet(parent, key)
		del.entry(parent, pi)
		return true
	}
	for _, i := range rm {
		del.entry(m, i)
	}
	return false
}

func restoreProbe(p patcher, del *deleter, probe *yaml.Node, pr *Prober) error {
	hi, h := mapGet(probe, "httpGet")
	if h == nil {
		return nil
	}
	if pr.HTTPGet == nil {
		var b []byte
		key := "tcpSocket"
		if pr.TCPSocket != nil {
			b, _ = json.Marshal(pr.TCPSocket)
		} else if pr.GRPC != nil {
			b, _ = json.Marshal(pr.GRPC)
			key = "grpc"
		} else {
			return nil
		}
		v, err := jsonToNode(b)
		if err != nil {
			return err
		}
		pruneNulls(v)
		return p.replaceEntry(probe, hi, []*yaml.Node{{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}, v})
	}
	o := pr.HTTPGet
	if i, path := mapGet(h, "path"); path != nil {
		if o.Path == "" {
			del.entry(h, i)
		} else if err := p.replaceScalar(path, o.Path, "!!str"); err != nil {
			return err
		}
	}
	if _, port := mapGet(h, "port"); port != nil {
		tag, v := "!!int", strconv.Itoa(o.Port.IntValue())
		if o.Port.Type == 1 {
			tag, v = "!!str", o.Port.StrVal
		}
		if err := p.replaceScalar(port, v, tag); err != nil {
			return err
		}
	}
	if _, scheme := mapGet(h, "scheme"); scheme != nil && string(o.Scheme) != scheme.Value && o.Scheme != "" {
		if err := p.replaceScalar(scheme, string(o.Scheme), "!!str"); err != nil {
			return err
		}
	}
	return nil
}

// pruneNulls drops mapping entries whose value is null (fields the API
// types print without omitempty, like a gRPC probe's service).
func pruneNulls(n *yaml.Node) {
	if n.Kind != yaml.MappingNode {
		for _, c := range n.Content {
			pruneNulls(c)
		}
		return
	}
	out := n.Content[:0]
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i+1].Tag == "!!null" {
			continue
		}
		pruneNulls(n.Content[i+1])
		out = append(out, n.Content[i], n.Content[i+1])
	}
	n.Content = out
}
