package inject

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/meshctl/meshctl/pkg/yamlstream"
)

// Annotations and labels injection adds to every pod.
var (
	addedAnnotations = []string{annStatus, "istio.io/rev", "kubectl.kubernetes.io/default-container", "kubectl.kubernetes.io/default-logs-container", annOverrides, promSecurePort}
	cniAnnotations   = []string{"sidecar.istio.io/interceptionMode", "traffic.sidecar.istio.io/includeInboundPorts", "traffic.sidecar.istio.io/excludeInboundPorts",
		"traffic.sidecar.istio.io/includeOutboundIPRanges", "traffic.sidecar.istio.io/excludeOutboundIPRanges", "traffic.sidecar.istio.io/includeOutboundPorts", "traffic.sidecar.istio.io/excludeOutboundPorts"}
	addedLabels = []string{"security.istio.io/tlsMode", "service.istio.io/canonical-name", "service.istio.io/canonical-revision", labelNetwork}
)

// UninjectDocument removes an injection found through the
// sidecar.istio.io/status annotation.
func (u *Uninjector) UninjectDocument(d yamlstream.Document) ([]byte, []Result, error) {
	return uninjectDocument(d)
}

func uninjectDocument(d yamlstream.Document) ([]byte, []Result, error) {
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
			// The user's containers go back from typed records: a field
			// no container has would be lost on the way.
			if err := checkPodFields(d, t.pod, t.path, t.kind == "Pod"); err != nil {
				return nil, nil, err
			}
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
			if err := uninjectPod(p, t.pod, d.JSON); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, nil, d.Wrap(err)
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

func uninjectPod(p patcher, pod *yaml.Node, isJSON bool) error {
	del := &deleter{entries: map[*yaml.Node][]int{}, items: map[*yaml.Node][]int{}}
	// usersOwn reports whether the collection under key of parent, all of
	// whose content injection added, is the user's, to be left empty (or
	// null) rather than deleted. Injection appends the collections it adds
	// whole at the end of their mapping, in the order of insertable, so one
	// elsewhere is the user's; and in YAML it writes them in block style
	// into a block mapping, so a flow collection there is the user's.
	usersOwn := func(parent *yaml.Node, key string, n *yaml.Node, insertable []string) bool {
		if n == nil {
			return false
		}
		if !isJSON && isFlow(n) && !isFlow(parent) {
			return true
		}
		return !inTrailingRun(parent, key, insertable)
	}
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
	var prom scrapeConfig
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
	// Containers the user declared and a template filled in (a gateway's
	// istio-proxy, a customised sidecar or init container) go back to what
	// the user wrote.
	users := map[string]map[string]map[string]any{"containers": {}, "initContainers": {}}
	if a := str(anns, annOverrides); a != "" {
		// The record is restored as written; it must hold nothing a
		// container cannot have, or the restore would write it back.
		var over map[string][]map[string]any
		if err := strictContainers(a, &userContainers{}); err != nil {
			return fmt.Errorf("annotation %s: %w", annOverrides, err)
		}
		if err := json.Unmarshal([]byte(a), &over); err != nil {
			return fmt.Errorf("annotation %s: %w", annOverrides, err)
		}
		for key, byName := range users {
			for _, c := range over[key] {
				if n, ok := c["name"].(string); ok {
					byName[n] = c
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
			n, ok := itemName(it)
			if !ok || !names[key][n] {
				continue
			}
			if u, own := users[key][n]; own {
				if err := restoreUsers(p, del, it, u); err != nil {
					return err
				}
				continue
			}
			rm = append(rm, i)
		}
		if len(rm) == 0 {
			continue
		}
		if len(rm) == len(list.Content) && !usersOwn(spec, key, list, specInsertable) {
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
			ports := containerPorts(c)
			_, lifecycle := mapGet(c, "lifecycle")
			for _, h := range []struct {
				parent *yaml.Node
				key    string
				url    string
			}{
				{c, "readinessProbe", "/app-health/" + n + "/readyz"},
				{c, "livenessProbe", "/app-health/" + n + "/livez"},
				{c, "startupProbe", "/app-health/" + n + "/startupz"},
				{lifecycle, "preStop", "/app-lifecycle/" + n + "/prestopz"},
				{lifecycle, "postStart", "/app-lifecycle/" + n + "/poststartz"},
			} {
				pr := probers[h.url]
				_, probe := mapGet(h.parent, h.key)
				if pr == nil || probe == nil {
					continue
				}
				if err := restoreProbe(p, del, probe, pr, ports); err != nil {
					return err
				}
			}
		}
	}
	if selectsTemplate(anns, "gateway") {
		removeGatewaySysctl(del, spec)
	}
	// Annotations and labels.
	drop := set(addedAnnotations)
	if selectsTemplate(anns, "grpc-agent") {
		// The proxyless template turns probe rewriting off.
		drop[annRewrite] = true
	}
	if names["initContainers"][validationName] {
		for _, k := range cniAnnotations {
			drop[k] = true
		}
	}
	rmA, err := injectedAnnotations(p, anns, drop, prom)
	if err != nil {
		return err
	}
	if err := restoreScrapeTargets(p, anns, prom); err != nil {
		return err
	}
	goneA := removeEntries(del, meta, "annotations", anns, rmA, usersOwn(meta, "annotations", anns, metaInsertable) || len(prom.Targets) > 0)
	goneL := removeEntries(del, meta, "labels", labels, injectedLabels(labels), usersOwn(meta, "labels", labels, metaInsertable))
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

// injectedAnnotations returns the key indexes in anns of the annotations
// injection added, and puts back the application's prometheus.io values.
//
// Injection appends the annotations it adds at the end of the map, status
// first (see applyMap): the keys before the status annotation are the
// user's. Output of other injectors (istioctl, the webhook through kubectl
// get) has every key in sorted order; there any key injection may set is
// taken as added. Ours is told apart by a key after the status that sorts
// before it (one of those injection added) or by keys before the status out
// of order. When injection added only the status and keys that sort after it,
// and the user's annotations were sorted, the two cannot be told apart.
func injectedAnnotations(p patcher, anns *yaml.Node, drop map[string]bool, prom scrapeConfig) ([]int, error) {
	// The application's own values of the annotations injection points at
	// the agent ("" where it had none). With scrape targets, the port and
	// path the proxy keeps are the first target's.
	userValue := map[string]string{promScrape: prom.Scrape, promPort: prom.Port, promPath: prom.Path}
	si, _ := mapGet(anns, annStatus)
	if si < 0 {
		return nil, nil
	}
	ours := false
	for i := si + 2; i+1 < len(anns.Content); i += 2 {
		if anns.Content[i].Value < annStatus {
			ours = true
		}
	}
	for i := 2; i <= si; i += 2 {
		if anns.Content[i].Value < anns.Content[i-2].Value {
			ours = true
		}
	}
	var rm []int
	for i := 0; i+1 < len(anns.Content); i += 2 {
		k := anns.Content[i].Value
		orig, isProm := userValue[k]
		switch {
		case i == si:
			rm = append(rm, i)
		case ours && i > si:
			if drop[k] || isProm {
				rm = append(rm, i)
			}
		case isProm:
			if orig != "" {
				if err := p.replaceScalar(anns.Content[i+1], orig, "!!str"); err != nil {
					return nil, err
				}
			} else if !ours {
				rm = append(rm, i)
			}
		case !ours && drop[k]:
			rm = append(rm, i)
		}
	}
	return rm, nil
}

// restoreScrapeTargets puts back the prometheus.istio.io/scrape-targets
// annotation that injection moved into the proxy's environment. It goes at
// the end of the annotations, where it was if it was the last of the user's;
// a list written with spaces or without paths comes back in the canonical
// form (port:path, comma separated).
func restoreScrapeTargets(p patcher, anns *yaml.Node, prom scrapeConfig) error {
	if len(prom.Targets) == 0 {
		return nil
	}
	var list []string
	for _, t := range prom.Targets {
		list = append(list, t.Port+":"+t.Path)
	}
	pair := []*yaml.Node{
		{Kind: yaml.ScalarNode, Tag: "!!str", Value: promScrapeTargets},
		{Kind: yaml.ScalarNode, Tag: "!!str", Value: strings.Join(list, ",")},
	}
	return p.insertKeys(anns, anns.Content[0].Column-1, pair)
}

// The keys injection may add whole to a pod's metadata and spec, in the
// order it adds them.
var (
	metaInsertable = []string{"labels", "annotations"}
	specInsertable = []string{"volumes", "initContainers", "securityContext", "imagePullSecrets"}
)

// inTrailingRun reports whether key is in the run of keys at the end of
// mapping m that are in keys, in that order.
func inTrailingRun(m *yaml.Node, key string, keys []string) bool {
	rank := map[string]int{}
	for i, k := range keys {
		rank[k] = i + 1
	}
	next := len(keys) + 1
	for i := len(m.Content) - 2; i >= 0; i -= 2 {
		r := rank[m.Content[i].Value]
		if r == 0 || r >= next {
			return false
		}
		if m.Content[i].Value == key {
			return true
		}
		next = r
	}
	return false
}

// injectedLabels returns the key indexes of the labels injection added.
// Injection appends the missing ones of addedLabels at the end of the map in
// that order, so they are the longest run at the end whose keys follow that
// order. A user's own labels at the end of the map in that order, that come
// before every label injection added, cannot be told from added ones.
func injectedLabels(labels *yaml.Node) []int {
	if labels == nil || labels.Kind != yaml.MappingNode {
		return nil
	}
	rank := map[string]int{}
	for i, k := range addedLabels {
		rank[k] = i + 1
	}
	var rm []int
	next := len(addedLabels) + 1
	for i := len(labels.Content) - 2; i >= 0; i -= 2 {
		r := rank[labels.Content[i].Value]
		if r == 0 || r >= next {
			break
		}
		rm = append(rm, i)
		next = r
	}
	return rm
}

// removeEntries deletes the entries at key indexes rm of mapping m (the
// value of key under parent). When none would be left, a block mapping goes
// with its key (injection added it whole); a flow mapping stays, empty, as
// the user wrote it.
func removeEntries(del *deleter, parent *yaml.Node, key string, m *yaml.Node, rm []int, keep bool) bool {
	if len(rm) == 0 {
		return false
	}
	if len(rm)*2 == len(m.Content) && !keep {
		pi, _ := mapGet(parent, key)
		del.entry(parent, pi)
		return true
	}
	for _, i := range rm {
		del.entry(m, i)
	}
	return false
}

// containerPorts maps a container's port names to their numbers.
func containerPorts(c *yaml.Node) map[string]int {
	out := map[string]int{}
	_, ports := mapGet(c, "ports")
	if ports == nil {
		return out
	}
	for _, pt := range ports.Content {
		name, ok := itemName(pt)
		if !ok {
			continue
		}
		if n, err := strconv.Atoi(str(pt, "containerPort")); err == nil {
			out[name] = n
		}
	}
	return out
}

// notedPort returns the port name that injection noted after the agent's
// port (see portNote), when the container names that port number so.
// The note follows the port, or a handler in flow style on its key's line.
func notedPort(handler, port *yaml.Node, number int, ports map[string]int) (string, bool) {
	note := ""
	if port != nil {
		note = port.LineComment
	}
	if note == "" && isFlow(handler) {
		note = handler.LineComment
	}
	if !strings.HasPrefix(note, portNotePrefix) {
		return "", false
	}
	name, _, _ := strings.Cut(strings.TrimPrefix(note, portNotePrefix), " ")
	if n, ok := ports[name]; !ok || n != number {
		return "", false
	}
	return name, true
}

func restoreProbe(p patcher, del *deleter, probe *yaml.Node, pr *Prober, ports map[string]int) error {
	hi, h := mapGet(probe, "httpGet")
	if h == nil {
		return nil
	}
	_, port := mapGet(h, "port")
	if pr.HTTPGet == nil {
		var b []byte
		var name string
		var noted bool
		key := "tcpSocket"
		if pr.TCPSocket != nil {
			t := *pr.TCPSocket
			if name, noted = notedPort(h, port, t.Port.IntValue(), ports); noted {
				t.Port = intstr.FromString(name)
			}
			b, _ = json.Marshal(t)
		} else if pr.GRPC != nil {
			g := *pr.GRPC
			if g.Service != nil && *g.Service == "" {
				// The record holds the API server's default; the user
				// wrote none.
				g.Service = nil
			}
			b, _ = json.Marshal(g)
			key = "grpc"
		} else {
			return nil
		}
		v, err := jsonToNode(b)
		if err != nil {
			return err
		}
		pruneNulls(v)
		drop := ""
		if noted {
			drop = portNote(name)
		}
		return p.replaceEntry(probe, hi, []*yaml.Node{{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}, v}, drop)
	}
	o := pr.HTTPGet
	if i, path := mapGet(h, "path"); path != nil {
		if o.Path == "" {
			del.entry(h, i)
		} else if err := p.replaceScalar(path, o.Path, "!!str"); err != nil {
			return err
		}
	}
	if port != nil {
		tag, v := "!!int", strconv.Itoa(o.Port.IntValue())
		if o.Port.Type == intstr.String {
			tag, v = "!!str", o.Port.StrVal
		}
		if name, ok := notedPort(h, port, o.Port.IntValue(), ports); ok && o.Port.Type == intstr.Int {
			if port.LineComment == "" {
				if err := p.replaceScalar(port, name, "!!str"); err != nil {
					return err
				}
				if err := p.noteAfter(h, "", portNote(name)); err != nil {
					return err
				}
			} else if err := p.replaceNoted(port, name, "!!str", "", portNote(name)); err != nil {
				return err
			}
		} else if err := p.replaceScalar(port, v, tag); err != nil {
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

// restoreUsers takes a container the user declared and a template filled in
// back to the user's: keys the user did not write go, named items (ports,
// env, mounts) the user did not list go, scalars get the user's values and
// an image the template set goes back to "auto". user is the container as
// the proxy.istio.io/overrides annotation records it.
func restoreUsers(p patcher, del *deleter, c *yaml.Node, user map[string]any) error {
	if c.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(c.Content); i += 2 {
		k, v := c.Content[i].Value, c.Content[i+1]
		uv, ok := user[k]
		if m, isMap := uv.(map[string]any); isMap && len(m) == 0 && k == "resources" {
			// The record always holds resources (the field is a struct
			// in Kubernetes' types): empty, the user wrote none.
			ok = false
		}
		if k == "image" && !ok && v.Kind == yaml.ScalarNode {
			if v.Value != autoImage {
				if err := p.replaceScalar(v, autoImage, "!!str"); err != nil {
					return err
				}
			}
			continue
		}
		if !ok {
			del.entry(c, i)
			continue
		}
		if err := restoreValue(p, del, v, uv); err != nil {
			return err
		}
	}
	return nil
}

func restoreValue(p patcher, del *deleter, n *yaml.Node, user any) error {
	switch u := user.(type) {
	case map[string]any:
		if n.Kind != yaml.MappingNode {
			return nil
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			uv, ok := u[n.Content[i].Value]
			if !ok {
				del.entry(n, i)
				continue
			}
			if err := restoreValue(p, del, n.Content[i+1], uv); err != nil {
				return err
			}
		}
	case []any:
		if n.Kind != yaml.SequenceNode {
			return nil
		}
		want := map[string]any{}
		for _, it := range u {
			m, ok := it.(map[string]any)
			if !ok {
				return nil
			}
			name, ok := m["name"].(string)
			if !ok {
				return nil
			}
			want[name] = m
		}
		for i, it := range n.Content {
			name, ok := itemName(it)
			if !ok {
				return nil
			}
			if w, ok := want[name]; ok {
				if err := restoreValue(p, del, it, w); err != nil {
					return err
				}
				continue
			}
			del.item(n, i)
		}
	case string, float64, bool:
		if n.Kind != yaml.ScalarNode {
			return nil
		}
		var v, tag string
		switch x := u.(type) {
		case string:
			v, tag = x, "!!str"
		case float64:
			v, tag = strconv.FormatFloat(x, 'f', -1, 64), "!!int"
			if strings.ContainsAny(v, ".eE") {
				tag = "!!float"
			}
		case bool:
			v, tag = strconv.FormatBool(x), "!!bool"
		}
		if !scalarEqual(n, &yaml.Node{Kind: yaml.ScalarNode, Value: v, Tag: tag}) {
			return p.replaceScalar(n, v, tag)
		}
	}
	return nil
}

// selectsTemplate reports whether the pod's annotations select the named
// template.
func selectsTemplate(anns *yaml.Node, name string) bool {
	a := str(anns, annTemplates)
	for _, n := range templateNames(a) {
		if n == name {
			return true
		}
	}
	return false
}

// gatewaySysctl is what the gateway template adds to the pod's security
// context: the proxy binds ports below 1024 without privileges.
const gatewaySysctl = "net.ipv4.ip_unprivileged_port_start"

// removeGatewaySysctl takes out the sysctl the gateway template adds, with
// the sysctls list and the security context when injection added them
// whole (they end their mappings).
func removeGatewaySysctl(del *deleter, spec *yaml.Node) {
	_, sc := mapGet(spec, "securityContext")
	if sc == nil || sc.Kind != yaml.MappingNode {
		return
	}
	si, sys := mapGet(sc, "sysctls")
	if sys == nil || sys.Kind != yaml.SequenceNode {
		return
	}
	at := -1
	for i, it := range sys.Content {
		if n, _ := itemName(it); n == gatewaySysctl && str(it, "value") == "0" {
			at = i
		}
	}
	if at < 0 {
		return
	}
	if len(sys.Content) > 1 || isFlow(sys) {
		del.item(sys, at)
		return
	}
	if len(sc.Content) == 2 && !isFlow(sc) && inTrailingRun(spec, "securityContext", specInsertable) {
		ki, _ := mapGet(spec, "securityContext")
		del.entry(spec, ki)
		return
	}
	del.entry(sc, si)
}
