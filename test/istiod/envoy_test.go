package istiod

// What Envoy would do with the resources istiod sends: which transport
// socket a client cluster uses for an endpoint, which inbound filter chain
// of the server takes the connection, and what the chain's RBAC filters
// decide for the request. It reads go-control-plane's types; only the
// parts of Envoy's matching that Istio's generated config uses are
// modelled, and anything else is an error rather than a guess.

import (
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strings"

	cluster "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpoint "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listener "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	rbac "github.com/envoyproxy/go-control-plane/envoy/config/rbac/v3"
	route "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	faultv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/fault/v3"
	httprbac "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/rbac/v3"
	hcm "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	netrbac "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/rbac/v3"
	tcpproxy "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/tcp_proxy/v3"
	uritemplate "github.com/envoyproxy/go-control-plane/envoy/extensions/path/match/uri_template/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	matcher "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
)

// upstream is how a client cluster connects to one endpoint.
type upstream struct {
	tls  bool
	alpn []string
	sni  string
}

// clientUpstream picks the cluster's transport socket for the endpoint at
// ip, as Envoy's transport_socket_matches do with the endpoint's metadata
// (auto mTLS), falling back to the cluster's own socket.
func clientUpstream(c *cluster.Cluster, cla *endpoint.ClusterLoadAssignment, ip string) (upstream, error) {
	sock := c.GetTransportSocket()
	if ms := c.GetTransportSocketMatches(); len(ms) > 0 {
		meta, found := endpointMatchMetadata(cla, ip)
		if !found {
			return upstream{}, fmt.Errorf("cluster %s has no endpoint %s", c.GetName(), ip)
		}
		for _, m := range ms {
			ok := true
			for k, v := range m.GetMatch().GetFields() {
				ok = ok && meta[k] == v.GetStringValue()
			}
			if ok {
				sock = m.GetTransportSocket()
				break
			}
		}
	}
	if sock == nil || sock.GetName() == "envoy.transport_sockets.raw_buffer" {
		return upstream{}, nil
	}
	var tc tlsv3.UpstreamTlsContext
	if err := unpack(sock.GetTypedConfig(), &tc); err != nil {
		return upstream{}, fmt.Errorf("cluster %s: transport socket %s: %v", c.GetName(), sock.GetName(), err)
	}
	return upstream{tls: true, alpn: tc.GetCommonTlsContext().GetAlpnProtocols(), sni: tc.GetSni()}, nil
}

// endpointMatchMetadata is the envoy.transport_socket_match metadata of
// the endpoint at ip.
func endpointMatchMetadata(cla *endpoint.ClusterLoadAssignment, ip string) (map[string]string, bool) {
	for _, le := range cla.GetEndpoints() {
		for _, ep := range le.GetLbEndpoints() {
			if ep.GetEndpoint().GetAddress().GetSocketAddress().GetAddress() != ip {
				continue
			}
			out := map[string]string{}
			for k, v := range ep.GetMetadata().GetFilterMetadata()["envoy.transport_socket_match"].GetFields() {
				out[k] = v.GetStringValue()
			}
			return out, true
		}
	}
	return nil, false
}

// inboundChain is the filter chain of the server's listener that takes a
// connection to port on ip, following Envoy's order: destination port,
// destination IP, transport protocol, then application protocols (each
// level keeps the exact matches, else the chains that leave it unset).
func inboundChain(l *listener.Listener, ip string, port uint32, up upstream) *listener.FilterChain {
	chains := l.GetFilterChains()
	narrow := func(exact, unset func(*listener.FilterChainMatch) bool) {
		var hit, any []*listener.FilterChain
		for _, fc := range chains {
			m := fc.GetFilterChainMatch()
			switch {
			case exact(m):
				hit = append(hit, fc)
			case unset(m):
				any = append(any, fc)
			}
		}
		if len(hit) > 0 {
			chains = hit
		} else {
			chains = any
		}
	}
	narrow(func(m *listener.FilterChainMatch) bool { return m.GetDestinationPort().GetValue() == port },
		func(m *listener.FilterChainMatch) bool { return m.GetDestinationPort() == nil })
	narrow(func(m *listener.FilterChainMatch) bool {
		return len(m.GetPrefixRanges()) > 0 && inRanges(ip, m.GetPrefixRanges())
	},
		func(m *listener.FilterChainMatch) bool { return len(m.GetPrefixRanges()) == 0 })
	transport := "raw_buffer"
	if up.tls {
		transport = "tls"
	}
	narrow(func(m *listener.FilterChainMatch) bool { return m.GetTransportProtocol() == transport },
		func(m *listener.FilterChainMatch) bool { return m.GetTransportProtocol() == "" })
	narrow(func(m *listener.FilterChainMatch) bool {
		return slices.ContainsFunc(m.GetApplicationProtocols(), func(p string) bool { return slices.Contains(up.alpn, p) })
	}, func(m *listener.FilterChainMatch) bool { return len(m.GetApplicationProtocols()) == 0 })
	if len(chains) == 0 {
		return l.GetDefaultFilterChain()
	}
	return chains[0]
}

func inRanges(ip string, ranges []*core.CidrRange) bool {
	for _, r := range ranges {
		if inCIDR(ip, r) {
			return true
		}
	}
	return false
}

func inCIDR(ip string, r *core.CidrRange) bool {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return false
	}
	p, err := netip.ParseAddr(r.GetAddressPrefix())
	if err != nil {
		return false
	}
	bits := int(r.GetPrefixLen().GetValue())
	if r.GetPrefixLen() == nil {
		bits = p.BitLen()
	}
	pfx, err := p.Prefix(bits)
	return err == nil && pfx.Contains(a)
}

// terminatesTLS says whether the chain's transport socket is TLS.
func terminatesTLS(fc *listener.FilterChain) bool {
	s := fc.GetTransportSocket()
	return s != nil && s.GetName() != "envoy.transport_sockets.raw_buffer"
}

// call is one request as the server's Envoy sees it.
type call struct {
	principal string // URI SAN of the client certificate; "" for plaintext
	sni       string
	srcIP     string
	dstIP     string
	dstPort   uint32
	headers   map[string]string // lower-case names, with :method, :path, :authority
}

// authorize runs the chain's RBAC filters, network ones then HTTP ones in
// order: a DENY filter with a matching policy denies, an ALLOW filter with
// no matching policy denies. It returns the name of the filter that
// denied, or "".
func authorize(fc *listener.FilterChain, c call) (string, error) {
	for _, f := range fc.GetFilters() {
		switch f.GetName() {
		case "envoy.filters.network.rbac":
			var cfg netrbac.RBAC
			if err := unpack(f.GetTypedConfig(), &cfg); err != nil {
				return "", err
			}
			if denied, err := c.denies(cfg.GetRules()); err != nil || denied {
				return f.GetName(), err
			}
		case "envoy.filters.network.http_connection_manager":
			var h hcm.HttpConnectionManager
			if err := unpack(f.GetTypedConfig(), &h); err != nil {
				return "", err
			}
			for _, hf := range h.GetHttpFilters() {
				if hf.GetName() != "envoy.filters.http.rbac" {
					continue
				}
				var cfg httprbac.RBAC
				if err := unpack(hf.GetTypedConfig(), &cfg); err != nil {
					return "", err
				}
				if denied, err := c.denies(cfg.GetRules()); err != nil || denied {
					return hf.GetName(), err
				}
			}
		}
	}
	return "", nil
}

// denies applies one RBAC filter's enforced rules (nil: shadow rules only,
// which decide nothing).
func (c call) denies(r *rbac.RBAC) (bool, error) {
	if r == nil {
		return false, nil
	}
	matched := false
	for _, p := range r.GetPolicies() {
		ok, err := c.policy(p)
		if err != nil {
			return false, err
		}
		matched = matched || ok
	}
	switch r.GetAction() {
	case rbac.RBAC_ALLOW:
		return !matched, nil
	case rbac.RBAC_DENY:
		return matched, nil
	}
	return false, nil // LOG
}

func (c call) policy(p *rbac.Policy) (bool, error) {
	perm, princ := false, false
	for _, x := range p.GetPermissions() {
		ok, err := c.permission(x)
		if err != nil {
			return false, err
		}
		perm = perm || ok
	}
	for _, x := range p.GetPrincipals() {
		ok, err := c.principalMatch(x)
		if err != nil {
			return false, err
		}
		princ = princ || ok
	}
	return perm && princ, nil
}

func (c call) permission(p *rbac.Permission) (bool, error) {
	switch r := p.GetRule().(type) {
	case *rbac.Permission_Any:
		return r.Any, nil
	case *rbac.Permission_AndRules:
		for _, x := range r.AndRules.GetRules() {
			if ok, err := c.permission(x); err != nil || !ok {
				return false, err
			}
		}
		return true, nil
	case *rbac.Permission_OrRules:
		for _, x := range r.OrRules.GetRules() {
			if ok, err := c.permission(x); err != nil || ok {
				return ok, err
			}
		}
		return false, nil
	case *rbac.Permission_NotRule:
		ok, err := c.permission(r.NotRule)
		return !ok, err
	case *rbac.Permission_Header:
		return c.header(r.Header)
	case *rbac.Permission_UrlPath:
		path, _, _ := strings.Cut(c.headers[":path"], "?")
		return stringMatch(r.UrlPath.GetPath(), path)
	case *rbac.Permission_UriTemplate:
		var t uritemplate.UriTemplateMatchConfig
		if err := unpack(r.UriTemplate.GetTypedConfig(), &t); err != nil {
			return false, err
		}
		path, _, _ := strings.Cut(c.headers[":path"], "?")
		return templateMatch(t.GetPathTemplate(), path)
	case *rbac.Permission_DestinationIp:
		return inCIDR(c.dstIP, r.DestinationIp), nil
	case *rbac.Permission_DestinationPort:
		return r.DestinationPort == c.dstPort, nil
	case *rbac.Permission_DestinationPortRange:
		return int64(c.dstPort) >= int64(r.DestinationPortRange.GetStart()) && int64(c.dstPort) < int64(r.DestinationPortRange.GetEnd()), nil
	case *rbac.Permission_RequestedServerName:
		return stringMatch(r.RequestedServerName, c.sni)
	case *rbac.Permission_Metadata:
		// No filter sets dynamic metadata for these requests (no JWT).
		return r.Metadata.GetInvert(), nil
	}
	return false, fmt.Errorf("RBAC permission %T is not modelled", p.GetRule())
}

func (c call) principalMatch(p *rbac.Principal) (bool, error) {
	switch id := p.GetIdentifier().(type) {
	case *rbac.Principal_Any:
		return id.Any, nil
	case *rbac.Principal_AndIds:
		for _, x := range id.AndIds.GetIds() {
			if ok, err := c.principalMatch(x); err != nil || !ok {
				return false, err
			}
		}
		return true, nil
	case *rbac.Principal_OrIds:
		for _, x := range id.OrIds.GetIds() {
			if ok, err := c.principalMatch(x); err != nil || ok {
				return ok, err
			}
		}
		return false, nil
	case *rbac.Principal_NotId:
		ok, err := c.principalMatch(id.NotId)
		return !ok, err
	case *rbac.Principal_Authenticated_:
		if c.principal == "" {
			return false, nil // no peer certificate
		}
		if id.Authenticated.GetPrincipalName() == nil {
			return true, nil
		}
		return stringMatch(id.Authenticated.GetPrincipalName(), c.principal)
	case *rbac.Principal_FilterState:
		if id.FilterState.GetKey() != "io.istio.peer_principal" {
			return false, fmt.Errorf("RBAC filter state %q is not modelled", id.FilterState.GetKey())
		}
		if c.principal == "" {
			return false, nil
		}
		return stringMatch(id.FilterState.GetStringMatch(), c.principal)
	case *rbac.Principal_DirectRemoteIp:
		return inCIDR(c.srcIP, id.DirectRemoteIp), nil
	case *rbac.Principal_RemoteIp:
		return inCIDR(c.srcIP, id.RemoteIp), nil
	case *rbac.Principal_SourceIp:
		return inCIDR(c.srcIP, id.SourceIp), nil
	case *rbac.Principal_Header:
		return c.header(id.Header)
	case *rbac.Principal_UrlPath:
		path, _, _ := strings.Cut(c.headers[":path"], "?")
		return stringMatch(id.UrlPath.GetPath(), path)
	case *rbac.Principal_Metadata:
		return id.Metadata.GetInvert(), nil
	}
	return false, fmt.Errorf("RBAC principal %T is not modelled", p.GetIdentifier())
}

// header follows Envoy's header matcher: a missing header matches only
// present_match false (or an inverted matcher), unless it is to be
// treated as empty.
func (c call) header(h *route.HeaderMatcher) (bool, error) {
	v, present := c.headers[strings.ToLower(h.GetName())]
	if !present && !h.GetTreatMissingHeaderAsEmpty() {
		if pm, ok := h.GetHeaderMatchSpecifier().(*route.HeaderMatcher_PresentMatch); ok {
			return !pm.PresentMatch != h.GetInvertMatch(), nil
		}
		return h.GetInvertMatch(), nil
	}
	var ok bool
	var err error
	switch m := h.GetHeaderMatchSpecifier().(type) {
	case *route.HeaderMatcher_ExactMatch:
		ok = v == m.ExactMatch
	case *route.HeaderMatcher_PrefixMatch:
		ok = strings.HasPrefix(v, m.PrefixMatch)
	case *route.HeaderMatcher_SuffixMatch:
		ok = strings.HasSuffix(v, m.SuffixMatch)
	case *route.HeaderMatcher_ContainsMatch:
		ok = strings.Contains(v, m.ContainsMatch)
	case *route.HeaderMatcher_PresentMatch:
		ok = m.PresentMatch
	case *route.HeaderMatcher_SafeRegexMatch:
		ok, err = regexMatch(m.SafeRegexMatch.GetRegex(), v)
	case *route.HeaderMatcher_StringMatch:
		ok, err = stringMatch(m.StringMatch, v)
	default:
		return false, fmt.Errorf("header matcher %T is not modelled", h.GetHeaderMatchSpecifier())
	}
	return ok != h.GetInvertMatch(), err
}

func stringMatch(m *matcher.StringMatcher, v string) (bool, error) {
	if m.GetIgnoreCase() {
		v = strings.ToLower(v)
	}
	low := func(s string) string {
		if m.GetIgnoreCase() {
			return strings.ToLower(s)
		}
		return s
	}
	switch p := m.GetMatchPattern().(type) {
	case *matcher.StringMatcher_Exact:
		return v == low(p.Exact), nil
	case *matcher.StringMatcher_Prefix:
		return strings.HasPrefix(v, low(p.Prefix)), nil
	case *matcher.StringMatcher_Suffix:
		return strings.HasSuffix(v, low(p.Suffix)), nil
	case *matcher.StringMatcher_Contains:
		return strings.Contains(v, low(p.Contains)), nil
	case *matcher.StringMatcher_SafeRegex:
		return regexMatch(p.SafeRegex.GetRegex(), v)
	}
	return false, fmt.Errorf("string matcher %T is not modelled", m.GetMatchPattern())
}

// regexMatch is RE2's full match, as Envoy's safe_regex does it.
func regexMatch(expr, v string) (bool, error) {
	re, err := regexp.Compile("^(?:" + expr + ")$")
	if err != nil {
		return false, err
	}
	return re.MatchString(v), nil
}

// templateMatch is Envoy's URI template match for the operators Istio
// generates: "*" is one path segment, "**" any number of them (last).
func templateMatch(tmpl, path string) (bool, error) {
	ts := strings.Split(strings.TrimPrefix(tmpl, "/"), "/")
	ps := strings.Split(strings.TrimPrefix(path, "/"), "/")
	for i, t := range ts {
		switch {
		case t == "**":
			if i != len(ts)-1 {
				return false, fmt.Errorf("template %q: ** only at the end is modelled", tmpl)
			}
			return true, nil
		case strings.ContainsAny(t, "*{}="):
			if t != "*" {
				return false, fmt.Errorf("template segment %q is not modelled", t)
			}
			if i >= len(ps) || ps[i] == "" {
				return false, nil
			}
		default:
			if i >= len(ps) || ps[i] != t {
				return false, nil
			}
		}
	}
	return len(ps) == len(ts), nil
}

func unpack(a *anypb.Any, m proto.Message) error {
	if a == nil {
		return fmt.Errorf("no typed config")
	}
	return a.UnmarshalTo(m)
}

// hop is where a client sidecar sends a request: the upstream cluster,
// or the status of a route that answers itself (upstream is then the
// virtual host's name), and whether an HTTP route took it.
type hop struct {
	upstream string
	status   uint32
	http     bool
	why      string
}

// clientPath follows a new connection through the client's outbound
// listeners as Envoy does after iptables hands it over: the listener bound
// to the destination address and port, else the one on 0.0.0.0 and the
// port, else virtualOutbound itself; that listener's filter chain for a
// plaintext connection (HTTP or not); then its TCP proxy's cluster, or its
// HTTP route: the virtual host for the Host header and its first route.
func (v *decoded) clientPath(dstIP string, port uint32, req call, http bool) (hop, error) {
	var exact, wildcard *listener.Listener
	for _, l := range v.listeners {
		sa := l.GetAddress().GetSocketAddress()
		if sa.GetPortValue() != port || l.GetName() == "virtualOutbound" {
			continue
		}
		switch sa.GetAddress() {
		case dstIP:
			exact = l
		case "0.0.0.0":
			wildcard = l
		}
	}
	l := exact
	if l == nil {
		l = wildcard
	}
	if l == nil {
		l = v.listeners["virtualOutbound"]
	}
	if l == nil {
		return hop{}, fmt.Errorf("no listener for %s:%d and no virtualOutbound", dstIP, port)
	}
	up := upstream{}
	if http {
		up.alpn = []string{"http/1.1"}
	}
	fc := inboundChain(l, dstIP, port, up)
	if fc == nil {
		return hop{}, fmt.Errorf("listener %s has no filter chain for %s:%d", l.GetName(), dstIP, port)
	}
	return v.chainHop(fc, fmt.Sprintf("listener %s chain %q", l.GetName(), fc.GetName()), req)
}

// chainHop is where a filter chain sends the connection: its TCP proxy's
// cluster, or its HTTP connection manager's route for the Host header.
func (v *decoded) chainHop(fc *listener.FilterChain, where string, req call) (hop, error) {
	for _, f := range fc.GetFilters() {
		var tcp tcpproxy.TcpProxy
		if f.GetTypedConfig().UnmarshalTo(&tcp) == nil {
			c := tcp.GetCluster()
			if w := tcp.GetWeightedClusters().GetClusters(); c == "" && len(w) > 0 {
				c = w[0].GetName()
			}
			return hop{upstream: c, why: where + ": TCP proxy to " + c}, nil
		}
		var h hcm.HttpConnectionManager
		if f.GetTypedConfig().UnmarshalTo(&h) != nil {
			continue
		}
		rc := h.GetRouteConfig()
		if name := h.GetRds().GetRouteConfigName(); name != "" {
			if rc = v.routes[name]; rc == nil {
				return hop{}, fmt.Errorf("%s names route %q, which the proxy did not receive", where, name)
			}
		}
		return routeHop(rc, req, where)
	}
	return hop{}, fmt.Errorf("%s has neither a TCP proxy nor an HTTP connection manager", where)
}

// staticPort is the port of a cluster's first static endpoint (a Sidecar
// ingress listener's defaultEndpoint), and false for a cluster that keeps
// the connection's original destination.
func staticPort(c *cluster.Cluster) (uint32, bool) {
	for _, le := range c.GetLoadAssignment().GetEndpoints() {
		for _, lb := range le.GetLbEndpoints() {
			if sa := lb.GetEndpoint().GetAddress().GetSocketAddress(); sa != nil {
				return sa.GetPortValue(), true
			}
		}
	}
	return 0, false
}

// routeHop picks the virtual host for the Host header (exact domain, then
// the longest suffix wildcard, then the longest prefix wildcard, then "*")
// and the first of its routes that takes the request (path and headers),
// with a fault filter that aborts every request taken as its answer.
func routeHop(rc *route.RouteConfiguration, req call, where string) (hop, error) {
	host := req.headers[":authority"]
	if rc.GetIgnorePortInHostMatching() {
		if h, _, ok := strings.Cut(host, ":"); ok {
			host = h
		}
	}
	var best *route.VirtualHost
	rank := func(d string) int { // higher is more specific; -1 no match
		switch {
		case d == host:
			return 1 << 20
		case strings.HasPrefix(d, "*") && d != "*" && strings.HasSuffix(host, d[1:]):
			return 1<<19 + len(d)
		case strings.HasSuffix(d, "*") && d != "*" && strings.HasPrefix(host, d[:len(d)-1]):
			return 1<<18 + len(d)
		case d == "*":
			return 0
		}
		return -1
	}
	bestRank := -1
	for _, vh := range rc.GetVirtualHosts() {
		for _, d := range vh.GetDomains() {
			if r := rank(d); r > bestRank {
				best, bestRank = vh, r
			}
		}
	}
	where = fmt.Sprintf("%s, route %q", where, rc.GetName())
	if best == nil {
		return hop{http: true, status: 404, why: where + ": no virtual host for " + host}, nil
	}
	where = fmt.Sprintf("%s, virtual host %q", where, best.GetName())
	path := req.headers[":path"]
routes:
	for _, r := range best.GetRoutes() {
		m := r.GetMatch()
		if len(m.GetQueryParameters()) > 0 {
			continue
		}
		for _, h := range m.GetHeaders() {
			ok, err := req.header(h)
			if err != nil {
				return hop{}, fmt.Errorf("%s: route %q: %v", where, r.GetName(), err)
			}
			if !ok {
				continue routes
			}
		}
		switch p := m.GetPathSpecifier().(type) {
		case *route.RouteMatch_Prefix:
			if !strings.HasPrefix(path, p.Prefix) {
				continue
			}
		case *route.RouteMatch_Path:
			if p.Path != path {
				continue
			}
		case *route.RouteMatch_SafeRegex:
			if ok, err := regexMatch(p.SafeRegex.GetRegex(), path); err != nil || !ok {
				continue
			}
		case *route.RouteMatch_PathSeparatedPrefix:
			if path != p.PathSeparatedPrefix && !strings.HasPrefix(path, strings.TrimSuffix(p.PathSeparatedPrefix, "/")+"/") {
				continue
			}
		case nil:
		default:
			return hop{}, fmt.Errorf("%s: route %q matches paths in a way this test does not model", where, r.GetName())
		}
		if a, ok := r.GetTypedPerFilterConfig()["envoy.filters.http.fault"]; ok {
			var f faultv3.HTTPFault
			if err := a.UnmarshalTo(&f); err != nil {
				return hop{}, err
			}
			pct := f.GetAbort().GetPercentage()
			denominator := map[typev3.FractionalPercent_DenominatorType]uint32{typev3.FractionalPercent_HUNDRED: 100, typev3.FractionalPercent_TEN_THOUSAND: 10000, typev3.FractionalPercent_MILLION: 1000000}[pct.GetDenominator()]
			if st := f.GetAbort().GetHttpStatus(); st != 0 && (pct == nil || pct.GetNumerator() >= denominator) {
				return hop{status: st, http: true, why: fmt.Sprintf("%s: the fault filter aborts every request with %d", where, st)}, nil
			}
		}
		if dr := r.GetDirectResponse(); dr != nil {
			up := "" // a VirtualService's direct response names no upstream
			if best.GetName() == "block_all" {
				up = best.GetName()
			}
			return hop{upstream: up, status: dr.GetStatus(), http: true, why: fmt.Sprintf("%s answers %d", where, dr.GetStatus())}, nil
		}
		if rd := r.GetRedirect(); rd != nil {
			code := map[route.RedirectAction_RedirectResponseCode]uint32{route.RedirectAction_MOVED_PERMANENTLY: 301, route.RedirectAction_FOUND: 302, route.RedirectAction_SEE_OTHER: 303, route.RedirectAction_TEMPORARY_REDIRECT: 307, route.RedirectAction_PERMANENT_REDIRECT: 308}[rd.GetResponseCode()]
			return hop{status: code, http: true, why: fmt.Sprintf("%s redirects (%d)", where, code)}, nil
		}
		c := r.GetRoute().GetCluster()
		if c == "" {
			var names []string
			for _, w := range r.GetRoute().GetWeightedClusters().GetClusters() {
				if w.GetWeight().GetValue() > 0 {
					names = append(names, w.GetName())
				}
			}
			c = strings.Join(names, ",")
		}
		return hop{upstream: c, http: true, why: where + ": to " + c}, nil
	}
	return hop{http: true, status: 404, why: fmt.Sprintf("%s: no route takes %s %s", where, req.headers[":method"], path)}, nil
}
