package analyze

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	networking "istio.io/api/networking/v1alpha3"
	security "istio.io/api/security/v1beta1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/meshctl/meshctl/pkg/mesh"
)

func init() {
	register(&analyzer{
		name:   "destinationrule.CaCertificateAnalyzer",
		desc:   "Checks that caCertificates are set when a DestinationRule's TLS mode is SIMPLE or MUTUAL",
		codes:  []*MessageType{NoServerCertificateVerificationDestinationLevel, NoServerCertificateVerificationPortLevel},
		inputs: []string{KindDestinationRule},
		run:    analyzeCACertificates,
	})
	register(&analyzer{
		name:   "destinationrule.SubsetSelectPodAnalyzer",
		desc:   "Checks that each DestinationRule host is a known service and each subset selects workloads",
		codes:  []*MessageType{UnknownDestinationRuleHost, DestinationRuleSubsetNotSelectPods},
		inputs: []string{KindDestinationRule, KindService, KindServiceEntry, KindPod, KindDeployment, KindStatefulSet, KindDaemonSet, KindWorkloadEntry},
		run:    analyzeDRHostsAndSubsets,
	})
	register(&analyzer{
		name:   "gateway.IngressGatewayPortAnalyzer",
		desc:   "Checks that a Gateway's selector matches workloads and its ports are exposed by their Service",
		codes:  []*MessageType{ReferencedResourceNotFound, GatewayPortNotDefinedOnService},
		inputs: []string{KindGateway, KindPod, KindDeployment, KindStatefulSet, KindDaemonSet, KindService},
		run:    analyzeGatewayPorts,
	})
	register(&analyzer{
		name:   "gateway.SecretAnalyzer",
		desc:   "Checks that the TLS credentials a Gateway names exist in its workloads' namespace (live clusters; Secrets are fetched by name, never listed)",
		codes:  []*MessageType{ReferencedResourceNotFound},
		inputs: []string{KindGateway, KindPod, KindDeployment, KindStatefulSet, KindDaemonSet, KindSecret},
		run:    analyzeGatewaySecrets,
	})
	register(&analyzer{
		name:   "gateway.ConflictingGatewayAnalyzer",
		desc:   "Checks that Gateways with the same selector and port do not serve the same hosts",
		codes:  []*MessageType{ConflictingGateways},
		inputs: []string{KindGateway},
		run:    analyzeConflictingGateways,
	})
	register(&analyzer{
		name:   "sidecar.SelectorAnalyzer",
		desc:   "Checks Sidecar workload selectors: one namespace-wide Sidecar at most, no workload selected twice, each selector matching something",
		codes:  []*MessageType{ReferencedResourceNotFound, ConflictingSidecarWorkloadSelectors, MultipleSidecarsWithoutWorkloadSelectors, IneffectivePolicy},
		inputs: []string{KindSidecar, KindNamespace, KindPod, KindDeployment, KindStatefulSet, KindDaemonSet},
		run:    analyzeSidecarSelectors,
	})
	register(&analyzer{
		name:   "sidecar.EgressHostAnalyzer",
		desc:   "Checks that the hosts of a Sidecar's egress listeners exist as services in the named namespaces",
		codes:  []*MessageType{ReferencedResourceNotFound},
		inputs: []string{KindSidecar, KindService, KindServiceEntry},
		run:    analyzeSidecarEgressHosts,
	})
	register(&analyzer{
		name:   "serviceentry.Analyzer",
		desc:   "Checks that ServiceEntries with TCP (or unset) protocol ports have addresses, unless the mesh allocates them",
		codes:  []*MessageType{ServiceEntryAddressesRequired},
		inputs: []string{KindServiceEntry},
		run:    analyzeServiceEntryAddresses,
	})
	register(&analyzer{
		name:   "auth.AuthorizationPoliciesAnalyzer",
		desc:   "Checks that AuthorizationPolicy selectors match workloads",
		codes:  []*MessageType{NoMatchingWorkloadsFound},
		inputs: []string{KindAuthorizationPolicy, KindPod, KindDeployment, KindStatefulSet, KindDaemonSet, KindWorkloadEntry},
		run:    analyzeAuthzSelectors,
	})
}

func analyzeCACertificates(c *Context) {
	for _, r := range c.S.List(KindDestinationRule) {
		dr := specOf[*networking.DestinationRule](r)
		name := r.Namespace + "/" + r.Name
		check := func(tls *networking.ClientTLSSettings) bool {
			m := tls.GetMode()
			if m != networking.ClientTLSSettings_SIMPLE && m != networking.ClientTLSSettings_MUTUAL {
				return false
			}
			return tls.GetCaCertificates() == "" && !(tls.GetCredentialName() != "" && dr.GetWorkloadSelector() != nil)
		}
		if tls := dr.GetTrafficPolicy().GetTls(); check(tls) {
			c.Report(r, NoServerCertificateVerificationDestinationLevel, "spec.trafficPolicy.tls.mode", name, r.Namespace, tls.GetMode().String(), dr.GetHost())
		}
		for i, p := range dr.GetTrafficPolicy().GetPortLevelSettings() {
			if tls := p.GetTls(); check(tls) {
				c.Report(r, NoServerCertificateVerificationPortLevel, fmt.Sprintf("spec.trafficPolicy.portLevelSettings[%d].tls.mode", i),
					name, r.Namespace, tls.GetMode().String(), dr.GetHost(), strconv.Itoa(int(p.GetPort().GetNumber())))
			}
		}
	}
}

func analyzeDRHostsAndSubsets(c *Context) {
	for _, r := range c.S.List(KindDestinationRule) {
		dr := specOf[*networking.DestinationRule](r)
		if dr.GetHost() == "" {
			continue
		}
		svc := c.S.LookupService(dr.GetHost(), r.Namespace, mesh.NamedViewers(r.Namespace, c.S.DestinationRuleExportTo(r)))
		if svc == nil {
			c.Report(r, UnknownDestinationRuleHost, "spec.host", dr.GetHost())
			continue
		}
		if strings.HasPrefix(c.S.FQDN(dr.GetHost(), r.Namespace), "*") || len(svc.Selector) == 0 || !c.S.WorkloadsKnown(svc.Namespace) {
			continue
		}
		for i, ss := range dr.GetSubsets() {
			if !c.S.anyWorkloadSelected(svc.Namespace, labels.Merge(svc.Selector, ss.GetLabels())) {
				c.Report(r, DestinationRuleSubsetNotSelectPods, fmt.Sprintf("spec.subsets[%d]", i), ss.GetName())
			}
		}
	}
}

// gatewayWorkloads returns the workloads a Gateway selects, in every
// namespace, and whether the snapshot can tell (it holds the control plane
// namespace's workloads, where gateways usually run, or a match).
func gatewayWorkloads(s *Snapshot, gw *networking.Gateway) ([]*Workload, bool) {
	var out []*Workload
	s.allWorkloadsByLabel.selected(gw.GetSelector(), func(w *Workload) bool {
		if w.PodSpec != nil {
			out = append(out, w)
		}
		return true
	})
	return out, len(out) > 0 || s.WorkloadsKnown(s.IstioNamespace())
}

func analyzeGatewayPorts(c *Context) {
	// Gateways usually share a few selectors: resolve each selector once, so
	// the cost is (selectors × workloads), not (gateways × workloads).
	type resolved struct {
		known bool
		found bool
		ports map[uint32]bool
	}
	cache := map[string]*resolved{}
	for _, r := range c.S.List(KindGateway) {
		gw := specOf[*networking.Gateway](r)
		selStr := labels.SelectorFromSet(gw.GetSelector()).String()
		res, ok := cache[selStr]
		if !ok {
			ws, known := gatewayWorkloads(c.S, gw)
			res = &resolved{known: known, found: len(ws) > 0, ports: gatewayServicePorts(c.S, ws)}
			cache[selStr] = res
		}
		if !res.known {
			continue
		}
		if !res.found {
			c.Report(r, ReferencedResourceNotFound, "spec.selector", "selector", selStr)
			continue
		}
		for i, srv := range gw.GetServers() {
			if srv.GetPort() == nil {
				continue
			}
			if !res.ports[srv.GetPort().GetNumber()] {
				c.Report(r, GatewayPortNotDefinedOnService, fmt.Sprintf("spec.servers[%d].port", i), int(srv.GetPort().GetNumber()), selStr)
			}
		}
	}
}

// gatewayServicePorts collects the TCP ports and target ports of the
// Services that select the gateway workloads.
func gatewayServicePorts(s *Snapshot, ws []*Workload) map[uint32]bool {
	ports := map[uint32]bool{}
	if len(ws) == 0 {
		return ports
	}
	for _, w := range ws {
		for _, sr := range s.servicesSelecting(w.Namespace, w.Labels) {
			svc := sr.Spec.(*corev1.Service)
			for _, p := range svc.Spec.Ports {
				if p.Protocol != "" && p.Protocol != corev1.ProtocolTCP {
					continue
				}
				ports[uint32(p.Port)] = true
				if tp := p.TargetPort.IntValue(); tp != 0 {
					ports[uint32(tp)] = true
				}
			}
		}
	}
	return ports
}

// GatewaySecretRefs lists the Secrets ("namespace/name") the Gateways
// reference through tls.credentialName, resolved in the namespace of the
// first workload each Gateway selects. Gateways whose workloads are unknown
// are left out.
func GatewaySecretRefs(s *Snapshot) []string {
	seen := map[string]bool{}
	var out []string
	for _, r := range s.List(KindGateway) {
		gw := specOf[*networking.Gateway](r)
		ws, _ := gatewayWorkloads(s, gw)
		if len(ws) == 0 {
			continue
		}
		for _, srv := range gw.GetServers() {
			if cn := srv.GetTls().GetCredentialName(); cn != "" {
				ns, name := gatewayRef(cn, ws[0].Namespace)
				if k := ns + "/" + name; !seen[k] {
					seen[k] = true
					out = append(out, k)
				}
			}
		}
	}
	sort.Strings(out)
	return out
}

func analyzeGatewaySecrets(c *Context) {
	for _, r := range c.S.List(KindGateway) {
		gw := specOf[*networking.Gateway](r)
		ws, _ := gatewayWorkloads(c.S, gw)
		if len(ws) == 0 {
			continue
		}
		for i, srv := range gw.GetServers() {
			cn := srv.GetTls().GetCredentialName()
			if cn == "" {
				continue
			}
			ns, name := gatewayRef(cn, ws[0].Namespace)
			if c.S.Get(KindSecret, ns, name) == nil && c.S.SecretMissing(ns, name) {
				c.Report(r, ReferencedResourceNotFound, fmt.Sprintf("spec.servers[%d].tls.credentialName", i), "credentialName", cn)
			}
		}
	}
}

func analyzeConflictingGateways(c *Context) {
	type server struct {
		r     *Resource
		index int
		srv   *networking.Server
	}
	groups := map[string][]server{}
	var keys []string
	for _, r := range c.S.List(KindGateway) {
		gw := specOf[*networking.Gateway](r)
		sel := labels.SelectorFromSet(gw.GetSelector()).String()
		for i, srv := range gw.GetServers() {
			k := sel + "~" + strconv.Itoa(int(srv.GetPort().GetNumber()))
			if _, ok := groups[k]; !ok {
				keys = append(keys, k)
			}
			groups[k] = append(groups[k], server{r, i, srv})
		}
	}
	sort.Strings(keys)
	// Within a group, servers are found by bind and host: comparing each
	// server with every other grows with the square of the Gateways that
	// share the ingress gateway and port, which is most of them.
	type bindHost struct{ bind, host string }
	for _, k := range keys {
		g := groups[k]
		sel, port, _ := strings.Cut(k, "~")
		byHost := map[bindHost][]int{}
		for i, b := range g {
			for _, h := range b.srv.GetHosts() {
				bh := bindHost{b.srv.GetBind(), stripHostNamespace(h)}
				byHost[bh] = append(byHost[bh], i)
			}
		}
		for _, a := range g {
			var others []string
			for _, h := range a.srv.GetHosts() {
				for _, i := range byHost[bindHost{a.srv.GetBind(), stripHostNamespace(h)}] {
					if b := g[i]; b.r != a.r {
						others = append(others, b.r.Namespace+"/"+b.r.Name)
					}
				}
			}
			if len(others) == 0 {
				continue
			}
			sort.Strings(others)
			c.Report(a.r, ConflictingGateways, fmt.Sprintf("spec.servers[%d]", a.index), strings.Join(dedupStrings(others), ","), sel, port, strings.Join(a.srv.GetHosts(), ","))
		}
	}
}

// stripHostNamespace drops the "namespace/" of a Gateway server host: two
// servers conflict on the host whatever namespaces they bind it to.
func stripHostNamespace(h string) string {
	if i := strings.IndexByte(h, '/'); i >= 0 {
		return h[i+1:]
	}
	return h
}

func dedupStrings(s []string) []string {
	out := s[:0]
	for i, x := range s {
		if i == 0 || x != s[i-1] {
			out = append(out, x)
		}
	}
	return out
}

const ambientLabel = "istio.io/dataplane-mode"

func analyzeSidecarSelectors(c *Context) {
	noSelector := map[string][]*Resource{}
	type pick struct{ sidecars []*Resource }
	byWorkload := map[*Workload]*pick{}
	var order []*Workload
	for _, r := range c.S.List(KindSidecar) {
		sc := specOf[*networking.Sidecar](r)
		if len(sc.GetWorkloadSelector().GetLabels()) == 0 {
			noSelector[r.Namespace] = append(noSelector[r.Namespace], r)
			continue
		}
		sel := labels.SelectorFromSet(sc.GetWorkloadSelector().GetLabels())
		found := false
		c.S.selectedWorkloads(r.Namespace, sc.GetWorkloadSelector().GetLabels(), func(w *Workload) bool {
			if w.PodSpec == nil {
				return true
			}
			found = true
			p := byWorkload[w]
			if p == nil {
				p = &pick{}
				byWorkload[w] = p
				order = append(order, w)
			}
			p.sidecars = append(p.sidecars, r)
			return true
		})
		if !found && c.S.WorkloadsKnown(r.Namespace) {
			c.Report(r, ReferencedResourceNotFound, "spec.workloadSelector", "selector", sel.String())
		}
	}
	reportedIneffective := map[*Resource]bool{}
	ineffective := func(r *Resource) {
		if !reportedIneffective[r] {
			reportedIneffective[r] = true
			c.Report(r, IneffectivePolicy, "", "the Sidecar applies to workloads in ambient mode, which have no sidecar")
		}
	}
	for _, w := range order {
		p := byWorkload[w]
		if w.Labels[ambientLabel] == "ambient" || nsAmbient(c.S, w.Namespace) {
			for _, r := range p.sidecars {
				ineffective(r)
			}
			continue
		}
		if len(p.sidecars) < 2 {
			continue
		}
		names := resourceNames(p.sidecars)
		for _, r := range p.sidecars {
			c.Report(r, ConflictingSidecarWorkloadSelectors, "spec.workloadSelector", names, w.Namespace, w.Resource.Name)
		}
	}
	nss := make([]string, 0, len(noSelector))
	for ns := range noSelector {
		nss = append(nss, ns)
	}
	sort.Strings(nss)
	for _, ns := range nss {
		list := noSelector[ns]
		if nsAmbient(c.S, ns) {
			for _, r := range list {
				ineffective(r)
			}
			continue
		}
		if len(list) > 1 {
			names := resourceNames(list)
			for _, r := range list {
				c.Report(r, MultipleSidecarsWithoutWorkloadSelectors, "", names, ns)
			}
		}
	}
}

func nsAmbient(s *Snapshot, ns string) bool {
	n := s.Get(KindNamespace, "", ns)
	return n != nil && n.Labels[ambientLabel] == "ambient"
}

func resourceNames(rs []*Resource) []string {
	out := make([]string, 0, len(rs))
	for _, r := range rs {
		out = append(out, r.Namespace+"/"+r.Name)
	}
	sort.Strings(out)
	return out
}

func analyzeSidecarEgressHosts(c *Context) {
	for _, r := range c.S.List(KindSidecar) {
		sc := specOf[*networking.Sidecar](r)
		for i, eg := range sc.GetEgress() {
			for j, h := range eg.GetHosts() {
				scope, host, ok := strings.Cut(h, "/")
				if !ok || scope == "~" || host == "*" || strings.HasPrefix(host, "*") {
					continue
				}
				if scope == "." {
					scope = r.Namespace
				}
				if egressHostExists(c.S, scope, host, r.Namespace) {
					continue
				}
				m := c.ReportLevel(r, ReferencedResourceNotFound, ReferencedResourceNotFound.Level, fmt.Sprintf("spec.egress[%d].hosts[%d]", i, j), "egress host", h)
				if !strings.Contains(host, ".") {
					prefix, _, _ := strings.Cut(h, "/")
					m.Detail = fmt.Sprintf("Sidecar egress hosts are matched literally, never completed: write %s/%s", prefix, c.S.FQDN(host, namespaceOr(scope, r.Namespace)))
				}
			}
		}
	}
}

func namespaceOr(ns, def string) string {
	if ns == "*" {
		return def
	}
	return ns
}

// egressHostExists looks for a service with exactly this host (Sidecar
// hosts are matched literally) in namespace scope ("*" for any), visible from
// the Sidecar's namespace.
func egressHostExists(s *Snapshot, scope, host, from string) bool {
	for _, svc := range s.services[host] {
		if (scope == "*" || svc.Namespace == scope) && svc.VisibleFrom(from) {
			return true
		}
	}
	for _, svc := range s.wildcards {
		if (scope == "*" || svc.Namespace == scope) && svc.VisibleFrom(from) && mesh.HostMatches(svc.Host, host) {
			return true
		}
	}
	return false
}

func analyzeAuthzSelectors(c *Context) {
	for _, r := range c.S.List(KindAuthorizationPolicy) {
		ap := specOf[*security.AuthorizationPolicy](r)
		ml := ap.GetSelector().GetMatchLabels()
		if r.Namespace == c.S.RootNamespace() {
			if len(ml) == 0 {
				continue
			}
			// Any workload in any namespace will do.
			found := false
			c.S.allWorkloadsByLabel.selected(ml, func(*Workload) bool { found = true; return false })
			if len(c.S.allWorkloadsByLabel.all) > 0 && !found {
				c.Report(r, NoMatchingWorkloadsFound, "spec.selector", labels.SelectorFromSet(ml).String())
			}
			continue
		}
		if !c.S.WorkloadsKnown(r.Namespace) {
			continue
		}
		if len(ml) == 0 {
			continue
		}
		if !c.S.anyWorkloadSelected(r.Namespace, ml) {
			c.Report(r, NoMatchingWorkloadsFound, "spec.selector", labels.SelectorFromSet(ml).String())
		}
	}
}

// meshAllocatesAddresses reports whether the mesh config turns on DNS
// capture with address auto-allocation for proxies.
func meshAllocatesAddresses(s *Snapshot) bool {
	md := s.opts.MeshConfig.GetDefaultConfig().GetProxyMetadata()
	if md["ISTIO_META_DNS_CAPTURE"] != "true" {
		return false
	}
	return md["ISTIO_META_DNS_AUTO_ALLOCATE"] == "true" || md["PILOT_ENABLE_IP_AUTOALLOCATE"] == "true"
}

func analyzeServiceEntryAddresses(c *Context) {
	if meshAllocatesAddresses(c.S) {
		return
	}
	for _, r := range c.S.List(KindServiceEntry) {
		se := specOf[*networking.ServiceEntry](r)
		if len(se.GetAddresses()) > 0 || r.AllocatedAddresses {
			continue
		}
		for i, p := range se.GetPorts() {
			if p.GetProtocol() == "" || strings.EqualFold(p.GetProtocol(), "TCP") {
				c.Report(r, ServiceEntryAddressesRequired, fmt.Sprintf("spec.ports[%d]", i))
			}
		}
	}
}
