package authz

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"

	networking "istio.io/api/networking/v1alpha3"

	"github.com/meshctl/meshctl/pkg/mesh"
)

// VirtualSvc is a VirtualService.
type VirtualSvc struct {
	Meta
	Spec *networking.VirtualService
	// hosts are Spec's hosts completed to FQDNs when the snapshot is built.
	hosts []string
}

// GatewayCfg is a Gateway (only its selector matters here: which gateway
// workloads take the VirtualServices bound to it).
type GatewayCfg struct {
	Meta
	Spec *networking.Gateway
}

func (p *VirtualSvc) meta() *Meta { return &p.Meta }
func (p *GatewayCfg) meta() *Meta { return &p.Meta }

// RouteTarget is one destination of a VirtualService route.
type RouteTarget struct {
	Host    string `json:"host"`
	Subset  string `json:"subset,omitempty"`
	Port    int32  `json:"port"`
	Weight  int32  `json:"weight"`
	Cluster string `json:"cluster"`
	// Workloads are the destination's workloads in the subset.
	Workloads []string `json:"workloads"`
}

// Routing is what a VirtualService did with the request.
type Routing struct {
	VirtualService string `json:"virtualService"`
	// Rule is the index of the http rule that matched (-1: none).
	Rule int `json:"rule"`
	// Action is route, redirect, directResponse, abort or none.
	Action  string        `json:"action"`
	Status  int           `json:"status,omitempty"`
	Targets []RouteTarget `json:"targets,omitempty"`
	Text    string        `json:"text"`
}

// virtualServiceFor is the VirtualService that routes the client's request
// to a destination host: for a sidecar, one bound to the mesh (no
// gateways, or "mesh") whose hosts cover the destination, exported to the
// client's namespace and imported by its Sidecar; for a gateway, one bound
// to a Gateway that selects it, whose hosts cover the Host header. The most
// specific host wins, then the oldest.
func (s *Snapshot) virtualServiceFor(client *Workload, d *Service, port int32, hostHeader string) (*VirtualSvc, string) {
	domain := mesh.ClusterDomainOr(s.Mesh.ClusterDomain)
	fqdn := d.FQDN()
	var best *VirtualSvc
	bestHost := ""
	sc := s.SidecarFor(client)
	target := fqdn
	if client.Gateway {
		if h, _, _ := strings.Cut(hostHeader, ":"); h != "" {
			target = h
		}
	}
	for _, i := range s.virtualServicesCovering(target, domain) {
		vs := s.VirtualServices[i]
		if !mesh.ExportedTo(mesh.Or(vs.Spec.GetExportTo(), s.Mesh.VirtualServiceExportTo), vs.Namespace, client.Namespace) {
			continue
		}
		if client.Gateway {
			if !s.boundToGatewayOf(vs, client) {
				continue
			}
		} else if !boundToMesh(vs) {
			continue
		}
		for _, h := range vsHosts(vs, domain) {
			if !mesh.HostCoveredBy(target, h) {
				continue
			}
			if !client.Gateway && sc != nil {
				if ok, _ := imports(sc, client.Namespace, &Service{Namespace: vs.Namespace, Host: target}, port); !ok {
					continue
				}
			}
			if best == nil || mesh.MoreSpecific(h, bestHost) || (h == bestHost && olderMeta(vs.Meta, best.Meta)) {
				best, bestHost = vs, h
			}
		}
	}
	return best, bestHost
}

// virtualServicesCovering gives, in snapshot order, the positions of the
// VirtualServices that may have a host covering target: those naming it
// exactly and those with a wildcard host. Looking them up instead of
// scanning them all took a seventh of the matrix's time at issue 15's size.
func (s *Snapshot) virtualServicesCovering(target, domain string) []int {
	s.vsIndexOnce.Do(func() {
		s.vsByHost = map[string][]int{}
		for i, vs := range s.VirtualServices {
			wild := false
			for _, h := range vsHosts(vs, domain) {
				if mesh.Wildcard(h) {
					wild = true
				} else if l := s.vsByHost[h]; len(l) == 0 || l[len(l)-1] != i {
					s.vsByHost[h] = append(l, i)
				}
			}
			if wild {
				s.vsWildcard = append(s.vsWildcard, i)
			}
		}
	})
	exact := s.vsByHost[target]
	if len(s.vsWildcard) == 0 {
		return exact
	}
	if len(exact) == 0 {
		return s.vsWildcard
	}
	out := make([]int, 0, len(exact)+len(s.vsWildcard))
	out = append(append(out, exact...), s.vsWildcard...)
	slices.Sort(out)
	return slices.Compact(out)
}

// vsHosts are the VirtualService's hosts as FQDNs.
func vsHosts(vs *VirtualSvc, domain string) []string {
	if len(vs.hosts) != len(vs.Spec.GetHosts()) {
		return completeHosts(vs, domain)
	}
	return vs.hosts
}

func olderMeta(a, b Meta) bool {
	if !a.Created.Equal(b.Created) {
		return a.Created.Before(b.Created)
	}
	if a.Namespace != b.Namespace {
		return a.Namespace < b.Namespace
	}
	return a.Name < b.Name
}

func boundToMesh(vs *VirtualSvc) bool {
	gws := vs.Spec.GetGateways()
	return len(gws) == 0 || contains(gws, "mesh")
}

// boundToGatewayOf says whether the VirtualService names a Gateway whose
// selector picks the gateway workload.
func (s *Snapshot) boundToGatewayOf(vs *VirtualSvc, w *Workload) bool {
	for _, ref := range vs.Spec.GetGateways() {
		ns, name, ok := strings.Cut(ref, "/")
		if !ok {
			ns, name = vs.Namespace, ref
		}
		for _, gw := range s.Gateways {
			if gw.Namespace == ns && gw.Name == name && len(gw.Spec.GetSelector()) > 0 && selects(gw.Spec.GetSelector(), w.Labels) {
				return true
			}
		}
	}
	return false
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// route applies the VirtualService to the request: the first http rule
// whose match fits, and its action.
func (s *Snapshot) route(vs *VirtualSvc, req Request, d *Service, sp ServicePort) Routing {
	r := Routing{VirtualService: vs.Ref(), Rule: -1, Action: "none"}
	host := req.Host
	if host == "" {
		host = fmt.Sprintf("%s.%s:%d", d.Name, d.Namespace, sp.Port)
		if d.Host != "" {
			host = d.Host
		}
	}
	for i, rule := range vs.Spec.GetHttp() {
		ok, why := s.ruleMatches(rule, req, sp.Port, host)
		if !ok {
			r.Text += fmt.Sprintf("rule %d: %s; ", i, why)
			continue
		}
		r.Rule = i
		s.act(vs, rule, req, d, sp, &r)
		return r
	}
	r.Text = fmt.Sprintf("VirtualService %s: no http rule matches %s %s (%s), so Envoy has no route: 404", vs.Ref(), methodOr(req.Method), pathOr(req.Path), strings.TrimSuffix(r.Text, "; "))
	r.Status = 404
	return r
}

func methodOr(m string) string {
	if m == "" {
		return "GET"
	}
	return m
}

func pathOr(p string) string {
	if p == "" {
		return "/"
	}
	return p
}

// ruleMatches says whether an http rule takes the request: no match
// blocks, or one whose every condition holds.
func (s *Snapshot) ruleMatches(rule *networking.HTTPRoute, req Request, port int32, host string) (bool, string) {
	if len(rule.GetMatch()) == 0 {
		return true, "no match conditions"
	}
	var why []string
	for j, m := range rule.GetMatch() {
		ok, w := s.matchRequest(m, req, port, host)
		if ok {
			return true, fmt.Sprintf("match %d", j)
		}
		why = append(why, fmt.Sprintf("match %d: %s", j, w))
	}
	return false, strings.Join(why, ", ")
}

func (s *Snapshot) matchRequest(m *networking.HTTPMatchRequest, req Request, port int32, host string) (bool, string) {
	path := pathOr(req.Path)
	if q := strings.IndexByte(path, '?'); q >= 0 {
		path = path[:q]
	}
	if u := m.GetUri(); u != nil {
		p := path
		if m.GetIgnoreUriCase() {
			p = strings.ToLower(p)
		}
		if !stringMatch(u, p, m.GetIgnoreUriCase()) {
			return false, fmt.Sprintf("uri %s does not match %q", describeMatch(u), path)
		}
	}
	if mm := m.GetMethod(); mm != nil && !stringMatch(mm, methodOr(req.Method), false) {
		return false, fmt.Sprintf("method %s does not match %q", describeMatch(mm), methodOr(req.Method))
	}
	if a := m.GetAuthority(); a != nil && !stringMatch(a, host, false) {
		return false, fmt.Sprintf("authority %s does not match %q", describeMatch(a), host)
	}
	if m.GetPort() != 0 && int32(m.GetPort()) != port {
		return false, fmt.Sprintf("port %d is not %d", m.GetPort(), port)
	}
	headers := map[string]string{}
	for k, v := range req.Headers {
		headers[strings.ToLower(k)] = v
	}
	for _, k := range sortedKeys(m.GetHeaders()) {
		v, ok := headers[strings.ToLower(k)]
		if !ok || !stringMatch(m.GetHeaders()[k], v, false) {
			return false, fmt.Sprintf("header %s %s does not match", k, describeMatch(m.GetHeaders()[k]))
		}
	}
	for _, k := range sortedKeys(m.GetWithoutHeaders()) {
		if v, ok := headers[strings.ToLower(k)]; ok && stringMatch(m.GetWithoutHeaders()[k], v, false) {
			return false, fmt.Sprintf("withoutHeaders %s %s matches", k, describeMatch(m.GetWithoutHeaders()[k]))
		}
	}
	if len(m.GetQueryParams()) > 0 {
		return false, "queryParams: the request has no query parameters"
	}
	if sl := m.GetSourceLabels(); len(sl) > 0 && (req.From == nil || !selects(sl, req.From.Labels)) {
		return false, fmt.Sprintf("sourceLabels %v do not match the client", sl)
	}
	if sn := m.GetSourceNamespace(); sn != "" && (req.From == nil || req.From.Namespace != sn) {
		return false, fmt.Sprintf("sourceNamespace %q is not the client's", sn)
	}
	return true, ""
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func stringMatch(m *networking.StringMatch, v string, lower bool) bool {
	switch t := m.GetMatchType().(type) {
	case *networking.StringMatch_Exact:
		if lower {
			return strings.ToLower(t.Exact) == v
		}
		return t.Exact == v
	case *networking.StringMatch_Prefix:
		if lower {
			return strings.HasPrefix(v, strings.ToLower(t.Prefix))
		}
		return strings.HasPrefix(v, t.Prefix)
	case *networking.StringMatch_Regex:
		re := anchoredRegex(t.Regex)
		return re != nil && re.MatchString(v)
	}
	return true // an empty match matches everything
}

// compiledRegex holds each match pattern compiled (nil when invalid): a
// matrix matches the same routes on every cell.
var compiledRegex sync.Map

// anchoredRegex compiles an RE2 pattern matching the whole value, once.
func anchoredRegex(pattern string) *regexp.Regexp {
	if re, ok := compiledRegex.Load(pattern); ok {
		return re.(*regexp.Regexp)
	}
	re, err := regexp.Compile("^(?:" + pattern + ")$")
	if err != nil {
		re = nil
	}
	compiledRegex.Store(pattern, re)
	return re
}

func describeMatch(m *networking.StringMatch) string {
	switch t := m.GetMatchType().(type) {
	case *networking.StringMatch_Exact:
		return fmt.Sprintf("exact %q", t.Exact)
	case *networking.StringMatch_Prefix:
		return fmt.Sprintf("prefix %q", t.Prefix)
	case *networking.StringMatch_Regex:
		return fmt.Sprintf("regex %q", t.Regex)
	}
	return "any"
}

// act fills in what the matched rule does: redirect, direct response, an
// abort for every request, or the weighted destinations.
func (s *Snapshot) act(vs *VirtualSvc, rule *networking.HTTPRoute, req Request, d *Service, sp ServicePort, r *Routing) {
	name := fmt.Sprintf("VirtualService %s rule %d", vs.Ref(), r.Rule)
	if rule.GetName() != "" {
		name += fmt.Sprintf(" (%s)", rule.GetName())
	}
	if rd := rule.GetRedirect(); rd != nil {
		r.Action, r.Status = "redirect", int(rd.GetRedirectCode())
		if r.Status == 0 {
			r.Status = 301
		}
		r.Text = fmt.Sprintf("%s redirects (%d) to %s%s", name, r.Status, rd.GetAuthority(), rd.GetUri())
		return
	}
	if dr := rule.GetDirectResponse(); dr != nil {
		r.Action, r.Status = "directResponse", int(dr.GetStatus())
		r.Text = fmt.Sprintf("%s answers %d itself (directResponse)", name, r.Status)
		return
	}
	abortNote := ""
	if ab := rule.GetFault().GetAbort(); ab != nil && ab.GetHttpStatus() != 0 {
		pct := 100.0
		if p := ab.GetPercentage(); p != nil {
			pct = p.GetValue()
		}
		if pct >= 100 {
			r.Action, r.Status = "abort", int(ab.GetHttpStatus())
			r.Text = fmt.Sprintf("%s injects a fault: every request is aborted with %d", name, r.Status)
			return
		}
		if pct > 0 {
			abortNote = fmt.Sprintf(" (a fault aborts %g%% of requests with %d)", pct, ab.GetHttpStatus())
		}
	}
	r.Action = "route"
	total := int32(0)
	for _, dst := range rule.GetRoute() {
		total += dst.GetWeight()
	}
	domain := mesh.ClusterDomainOr(s.Mesh.ClusterDomain)
	var parts []string
	for _, dst := range rule.GetRoute() {
		w := dst.GetWeight()
		if len(rule.GetRoute()) == 1 && w == 0 {
			w, total = 100, 100
		}
		host := mesh.FQDN(dst.GetDestination().GetHost(), vs.Namespace, domain)
		port := int32(dst.GetDestination().GetPort().GetNumber())
		t := RouteTarget{Host: host, Subset: dst.GetDestination().GetSubset(), Weight: w}
		target := s.serviceByHost(host)
		if port == 0 && target != nil && len(target.Ports) == 1 {
			port = target.Ports[0].Port
		}
		if port == 0 {
			port = sp.Port
		}
		t.Port = port
		t.Cluster = "outbound|" + itoa(port) + "|" + t.Subset + "|" + host
		if total > 0 && w > 0 {
			pct := float64(w) * 100 / float64(total)
			parts = append(parts, fmt.Sprintf("%s%s %g%%", host, subsetSuffix(t.Subset), pct))
		} else {
			parts = append(parts, fmt.Sprintf("%s%s 0%%", host, subsetSuffix(t.Subset)))
		}
		r.Targets = append(r.Targets, t)
	}
	r.Text = fmt.Sprintf("%s routes to %s%s", name, strings.Join(parts, ", "), abortNote)
}

func subsetSuffix(s string) string {
	if s == "" {
		return ""
	}
	return " subset " + s
}

// completeHosts are a VirtualService's hosts as FQDNs.
func completeHosts(vs *VirtualSvc, domain string) []string {
	out := make([]string, 0, len(vs.Spec.GetHosts()))
	for _, h := range vs.Spec.GetHosts() {
		out = append(out, mesh.FQDN(h, vs.Namespace, domain))
	}
	return out
}

// serviceByHost finds a Service or ServiceEntry host by its name.
func (s *Snapshot) serviceByHost(host string) *Service {
	s.byHostOnce.Do(func() {
		s.byHost = make(map[string]*Service, len(s.Services))
		for _, d := range s.Services {
			if _, ok := s.byHost[d.FQDN()]; !ok {
				s.byHost[d.FQDN()] = d
			}
		}
	})
	return s.byHost[host]
}

// subsetWorkloads are a destination's workloads in a DestinationRule
// subset, and the rule that defines it ("" subset: all of them).
func (s *Snapshot) subsetWorkloads(clientNS string, d *Service, subset string) ([]*Workload, string, error) {
	if subset == "" {
		return d.Workloads, "", nil
	}
	dr := s.DestinationRuleFor(clientNS, d)
	if dr == nil {
		return nil, "", fmt.Errorf("no DestinationRule for %s defines subset %q: Envoy has no cluster for it (503)", d.FQDN(), subset)
	}
	for _, ss := range dr.Spec.GetSubsets() {
		if ss.GetName() != subset {
			continue
		}
		var out []*Workload
		for _, w := range d.Workloads {
			if selects(ss.GetLabels(), w.Labels) {
				out = append(out, w)
			}
		}
		return out, dr.Ref(), nil
	}
	return nil, dr.Ref(), fmt.Errorf("DestinationRule %s defines no subset %q: Envoy has no cluster for it (503)", dr.Ref(), subset)
}
