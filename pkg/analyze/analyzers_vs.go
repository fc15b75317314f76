package analyze

import (
	"fmt"
	"sort"
	"strings"

	"google.golang.org/protobuf/proto"
	networking "istio.io/api/networking/v1alpha3"

	"github.com/meshctl/meshctl/pkg/mesh"
)

func init() {
	register(&analyzer{
		name:   "virtualservice.DestinationHostAnalyzer",
		desc:   "Checks that each VirtualService destination host exists (Service or ServiceEntry, exportTo honoured) and that the port is given when needed",
		codes:  []*MessageType{ReferencedResourceNotFound, VirtualServiceDestinationPortSelectorRequired},
		inputs: []string{KindVirtualService, KindService, KindServiceEntry},
		run:    analyzeDestinationHosts,
	})
	register(&analyzer{
		name:   "virtualservice.DestinationRuleAnalyzer",
		desc:   "Checks that each subset a VirtualService routes to is defined by a visible DestinationRule",
		codes:  []*MessageType{ReferencedResourceNotFound},
		inputs: []string{KindVirtualService, KindDestinationRule},
		run:    analyzeDestinationSubsets,
	})
	register(&analyzer{
		name:   "virtualservice.GatewayAnalyzer",
		desc:   "Checks that the gateways of each VirtualService exist and serve its hosts",
		codes:  []*MessageType{ReferencedResourceNotFound, VirtualServiceHostNotFoundInGateway},
		inputs: []string{KindVirtualService, KindGateway},
		run:    analyzeVSGateways,
	})
	register(&analyzer{
		name:   "virtualservice.ConflictingMeshGatewayHostsAnalyzer",
		desc:   "Checks that VirtualServices bound to the mesh gateway do not define the same host",
		codes:  []*MessageType{ConflictingMeshGatewayVirtualServiceHosts},
		inputs: []string{KindVirtualService},
		run:    analyzeConflictingMeshHosts,
	})
	register(&analyzer{
		name:   "virtualservice.UnreachableRulesAnalyzer",
		desc:   "Checks for VirtualService rules and matches that earlier rules make unreachable",
		codes:  []*MessageType{VirtualServiceUnreachableRule, VirtualServiceIneffectiveMatch},
		inputs: []string{KindVirtualService},
		run:    analyzeUnreachableRules,
	})
}

type vsDest struct {
	d      *networking.Destination
	path   string
	mirror bool
}

func vsDestinations(vs *networking.VirtualService) []vsDest {
	var out []vsDest
	for i, h := range vs.GetHttp() {
		for j, r := range h.GetRoute() {
			if r.GetDestination() != nil {
				out = append(out, vsDest{r.GetDestination(), fmt.Sprintf("spec.http[%d].route[%d].destination", i, j), false})
			}
		}
		if h.GetMirror() != nil {
			out = append(out, vsDest{h.GetMirror(), fmt.Sprintf("spec.http[%d].mirror", i), true})
		}
		for j, m := range h.GetMirrors() {
			if m.GetDestination() != nil {
				out = append(out, vsDest{m.GetDestination(), fmt.Sprintf("spec.http[%d].mirrors[%d].destination", i, j), true})
			}
		}
	}
	for i, t := range vs.GetTcp() {
		for j, r := range t.GetRoute() {
			if r.GetDestination() != nil {
				out = append(out, vsDest{r.GetDestination(), fmt.Sprintf("spec.tcp[%d].route[%d].destination", i, j), false})
			}
		}
	}
	for i, t := range vs.GetTls() {
		for j, r := range t.GetRoute() {
			if r.GetDestination() != nil {
				out = append(out, vsDest{r.GetDestination(), fmt.Sprintf("spec.tls[%d].route[%d].destination", i, j), false})
			}
		}
	}
	return out
}

func analyzeDestinationHosts(c *Context) {
	for _, r := range c.S.List(KindVirtualService) {
		vs := specOf[*networking.VirtualService](r)
		from := mesh.NamedViewers(r.Namespace, c.S.VirtualServiceExportTo(r, vs))
		for _, d := range vsDestinations(vs) {
			host := d.d.GetHost()
			if host == "" {
				continue
			}
			what := "host"
			if d.mirror {
				what = "mirror host"
			}
			svc := c.S.LookupService(host, r.Namespace, from)
			if svc == nil {
				c.Report(r, ReferencedResourceNotFound, d.path+".host", what, host)
				continue
			}
			if len(svc.Ports) == 0 {
				continue
			}
			if d.d.GetPort() == nil {
				if len(svc.Ports) > 1 {
					nums := make([]int, 0, len(svc.Ports))
					for _, p := range svc.Ports {
						nums = append(nums, int(p.Number))
					}
					c.Report(r, VirtualServiceDestinationPortSelectorRequired, d.path, host, nums)
				}
				continue
			}
			found := false
			for _, p := range svc.Ports {
				if p.Number == d.d.GetPort().GetNumber() {
					found = true
					break
				}
			}
			if !found {
				c.Report(r, ReferencedResourceNotFound, d.path+".port", "host:port", fmt.Sprintf("%s:%d", host, d.d.GetPort().GetNumber()))
			}
		}
	}
}

func analyzeDestinationSubsets(c *Context) {
	for _, r := range c.S.List(KindVirtualService) {
		vs := specOf[*networking.VirtualService](r)
		for _, d := range vsDestinations(vs) {
			subset := d.d.GetSubset()
			if subset == "" || d.d.GetHost() == "" {
				continue
			}
			fq := c.S.FQDN(d.d.GetHost(), r.Namespace)
			found := false
			for _, dr := range c.S.DestinationRulesFor(fq, r.Namespace) {
				for _, ss := range specOf[*networking.DestinationRule](dr).GetSubsets() {
					if ss.GetName() == subset {
						found = true
					}
				}
			}
			if !found {
				what := "host+subset in destinationrule"
				if d.mirror {
					what = "mirror+subset in destinationrule"
				}
				c.Report(r, ReferencedResourceNotFound, d.path+".subset", what, d.d.GetHost()+"+"+subset)
			}
		}
	}
}

// gatewayRef splits a VirtualService's gateway reference: "ns/name" or a
// short name in the VirtualService's namespace.
func gatewayRef(ref, ns string) (string, string) {
	if i := strings.IndexByte(ref, '/'); i >= 0 {
		return ref[:i], ref[i+1:]
	}
	return ns, ref
}

func analyzeVSGateways(c *Context) {
	for _, r := range c.S.List(KindVirtualService) {
		vs := specOf[*networking.VirtualService](r)
		for i, g := range vs.GetGateways() {
			if g == "mesh" {
				continue
			}
			gns, gname := gatewayRef(g, r.Namespace)
			gw := c.S.Get(KindGateway, gns, gname)
			path := fmt.Sprintf("spec.gateways[%d]", i)
			if gw == nil {
				c.Report(r, ReferencedResourceNotFound, path, "gateway", g)
				continue
			}
			if !vsHostInGateway(c.S, specOf[*networking.Gateway](gw), gw.Namespace, vs.GetHosts(), r.Namespace) {
				c.Report(r, VirtualServiceHostNotFoundInGateway, path, vs.GetHosts(), r.Namespace+"/"+r.Name, gns+"/"+gname)
			}
		}
	}
}

// vsHostInGateway reports whether one of the VirtualService's hosts is
// served by the gateway, honouring the "namespace/host" form of gateway
// hosts.
func vsHostInGateway(s *Snapshot, gw *networking.Gateway, gwNs string, vsHosts []string, vsNs string) bool {
	for _, srv := range gw.GetServers() {
		for _, gh := range srv.GetHosts() {
			if i := strings.IndexByte(gh, '/'); i >= 0 {
				scope := gh[:i]
				gh = gh[i+1:]
				switch scope {
				case "*":
				case ".":
					if vsNs != gwNs {
						continue
					}
				default:
					if scope != vsNs {
						continue
					}
				}
			}
			for _, vh := range vsHosts {
				if mesh.HostMatches(gh, vh) || mesh.HostMatches(gh, s.FQDN(vh, vsNs)) {
					return true
				}
			}
		}
	}
	return false
}

func analyzeConflictingMeshHosts(c *Context) {
	type entry struct {
		r   *Resource
		exp []string
	}
	byHost := map[string][]entry{}
	for _, r := range c.S.List(KindVirtualService) {
		vs := specOf[*networking.VirtualService](r)
		onMesh := len(vs.GetGateways()) == 0
		for _, g := range vs.GetGateways() {
			if g == "mesh" {
				onMesh = true
			}
		}
		if !onMesh {
			continue
		}
		exp := c.S.VirtualServiceExportTo(r, vs)
		seen := map[string]bool{}
		for _, h := range vs.GetHosts() {
			fq := c.S.FQDN(h, r.Namespace)
			if seen[fq] {
				continue
			}
			seen[fq] = true
			byHost[fq] = append(byHost[fq], entry{r, exp})
		}
	}
	hosts := make([]string, 0, len(byHost))
	for h, es := range byHost {
		if len(es) > 1 {
			hosts = append(hosts, h)
		}
	}
	sort.Strings(hosts)
	for _, h := range hosts {
		es := byHost[h]
		for i, e := range es {
			var names []string
			for j, o := range es {
				if i == j || mesh.ExportsOverlap(e.exp, o.exp) {
					names = append(names, o.r.Namespace+"/"+o.r.Name)
				}
			}
			if len(names) < 2 {
				continue
			}
			sort.Strings(names)
			c.Report(e.r, ConflictingMeshGatewayVirtualServiceHosts, "spec.hosts", strings.Join(names, ","), h)
		}
	}
}

func routeName(name string, n int) string {
	if name != "" {
		return fmt.Sprintf("%q", name)
	}
	return fmt.Sprintf("#%d", n)
}

func matchKey(m proto.Message) string {
	b, _ := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	return string(b)
}

func analyzeUnreachableRules(c *Context) {
	for _, r := range c.S.List(KindVirtualService) {
		vs := specOf[*networking.VirtualService](r)
		// HTTP rules.
		seen := map[string]int{}
		empty := -1
		type prefixMatch struct {
			rule, match int
			route       string
			prefix      string
		}
		var prefixes []prefixMatch
		for i, h := range vs.GetHttp() {
			rn := routeName(h.GetName(), i)
			path := fmt.Sprintf("spec.http[%d]", i)
			if len(h.GetMatch()) == 0 {
				if empty >= 0 {
					c.Report(r, VirtualServiceUnreachableRule, path, rn, "only the last rule can have no matches")
				}
				empty = i
				continue
			}
			dups := 0
			for j, m := range h.GetMatch() {
				if empty >= 0 {
					c.Report(r, VirtualServiceUnreachableRule, path, rn, "route without matches defined before")
					continue
				}
				cl := proto.Clone(m).(*networking.HTTPMatchRequest)
				cl.Name = ""
				k := matchKey(cl)
				if prev, ok := seen[k]; ok {
					c.Report(r, VirtualServiceIneffectiveMatch, fmt.Sprintf("%s.match[%d]", path, j), rn, routeName(m.GetName(), j), routeName(vs.GetHttp()[prev].GetName(), prev))
					dups++
					continue
				}
				seen[k] = i
				// A match on a URI prefix alone covers every later match whose
				// URI starts with that prefix.
				if p := m.GetUri().GetPrefix(); p != "" {
					only := proto.Clone(cl).(*networking.HTTPMatchRequest)
					only.Uri = nil
					if proto.Size(only) == 0 {
						prefixes = append(prefixes, prefixMatch{i, j, rn, p})
					}
				}
				for _, pm := range prefixes {
					if pm.rule == i {
						continue
					}
					var later string
					switch {
					case m.GetUri().GetPrefix() != "":
						later = m.GetUri().GetPrefix()
					case m.GetUri().GetExact() != "":
						later = m.GetUri().GetExact()
					default:
						continue
					}
					if later != pm.prefix && strings.HasPrefix(later, pm.prefix) {
						c.Report(r, VirtualServiceIneffectiveMatch, fmt.Sprintf("%s.match[%d]", path, j), rn,
							routeName(m.GetName(), j)+" of prefix "+later, routeName("", pm.match)+" of prefix "+pm.prefix+" on "+pm.route)
						dups++
						break
					}
				}
			}
			if dups == len(h.GetMatch()) {
				c.Report(r, VirtualServiceUnreachableRule, path, rn, "all matches used by prior rules")
			}
		}
		// TCP and TLS rules have no names.
		checkL4 := func(kind string, n int, matches func(i int) []proto.Message) {
			seen := map[string]int{}
			empty := -1
			for i := 0; i < n; i++ {
				rn := routeName("", i)
				path := fmt.Sprintf("spec.%s[%d]", kind, i)
				ms := matches(i)
				if len(ms) == 0 {
					if empty >= 0 {
						c.Report(r, VirtualServiceUnreachableRule, path, rn, "only the last rule can have no matches")
					}
					empty = i
					continue
				}
				dups := 0
				for j, m := range ms {
					if empty >= 0 {
						c.Report(r, VirtualServiceUnreachableRule, path, rn, "route without matches defined before")
						continue
					}
					k := matchKey(m)
					if prev, ok := seen[k]; ok {
						c.Report(r, VirtualServiceIneffectiveMatch, fmt.Sprintf("%s.match[%d]", path, j), rn, routeName("", j), routeName("", prev))
						dups++
						continue
					}
					seen[k] = i
				}
				if dups == len(ms) {
					c.Report(r, VirtualServiceUnreachableRule, path, rn, "all matches used by prior rules")
				}
			}
		}
		checkL4("tcp", len(vs.GetTcp()), func(i int) []proto.Message {
			var out []proto.Message
			for _, m := range vs.GetTcp()[i].GetMatch() {
				out = append(out, m)
			}
			return out
		})
		checkL4("tls", len(vs.GetTls()), func(i int) []proto.Message {
			var out []proto.Message
			for _, m := range vs.GetTls()[i].GetMatch() {
				out = append(out, m)
			}
			return out
		})
	}
}
