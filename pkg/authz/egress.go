package authz

import (
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"

	networking "istio.io/api/networking/v1alpha3"

	"github.com/meshctl/meshctl/pkg/mesh"
)

// The outbound traffic policies.
const (
	AllowAny     = "ALLOW_ANY"
	RegistryOnly = "REGISTRY_ONLY"
)

// The upstreams a client sidecar sends a request to, named as Envoy names
// them, besides the service's own outbound|PORT||HOST cluster.
const (
	PassthroughCluster = "PassthroughCluster"
	BlackHoleCluster   = "BlackHoleCluster"
	// BlockAll is the virtual host of an HTTP route that answers 502 for a
	// host the sidecar does not know under REGISTRY_ONLY.
	BlockAll = "block_all"
)

// The ways a request leaves the client.
const (
	ViaDirect      = "direct"      // no client sidecar
	ViaCluster     = "cluster"     // the destination's own cluster
	ViaPassthrough = "passthrough" // ALLOW_ANY: to the original address, plaintext
	ViaBlackHole   = "blackhole"   // REGISTRY_ONLY: refused by the client's sidecar
)

// Egress is the client side of a request: which Sidecar scopes the
// client's proxy, whether it knows the destination, and where it sends
// the request.
type Egress struct {
	Via      string
	Upstream string
	// HTTP says the request went through an HTTP route of the client's
	// sidecar, which answers a failed upstream itself (503).
	HTTP    bool
	Outcome Outcome
	Reasons []Reason
	// shown says the reasons are worth printing: a Sidecar, REGISTRY_ONLY
	// or a destination beyond a Kubernetes Service took part.
	shown bool
}

// SidecarFor returns the Sidecar that scopes a workload's proxy, as istiod
// picks it: in the workload's namespace the oldest one whose selector
// matches, else the oldest one without a selector; else the root
// namespace's oldest one without a selector; else none (nil).
func (s *Snapshot) SidecarFor(w *Workload) *SidecarCfg {
	return memo(&s.mu, &s.sidecarCache, w, func() *SidecarCfg { return s.sidecarFor(w) })
}

func (s *Snapshot) sidecarFor(w *Workload) *SidecarCfg {
	var own, root []*SidecarCfg
	for _, sc := range s.Sidecars {
		switch {
		case sc.Namespace == w.Namespace:
			own = append(own, sc)
		case sc.Namespace == s.Mesh.RootNamespace && sc.Spec.GetWorkloadSelector() == nil:
			root = append(root, sc)
		}
	}
	byAge := func(xs []*SidecarCfg) {
		sort.SliceStable(xs, func(i, j int) bool {
			if !xs[i].Created.Equal(xs[j].Created) {
				return xs[i].Created.Before(xs[j].Created)
			}
			return xs[i].Name < xs[j].Name
		})
	}
	byAge(own)
	for _, sc := range own {
		if sel := sc.Spec.GetWorkloadSelector(); sel != nil && selects(sel.GetLabels(), w.Labels) {
			return sc
		}
	}
	for _, sc := range own {
		if sc.Spec.GetWorkloadSelector() == nil {
			return sc
		}
	}
	byAge(root)
	if len(root) > 0 {
		return root[0]
	}
	return nil
}

// outboundPolicy is the mode that applies to a client: its Sidecar's
// outboundTrafficPolicy, else the mesh config's.
func (s *Snapshot) outboundPolicy(sc *SidecarCfg) (string, string) {
	if sc != nil && sc.Spec.GetOutboundTrafficPolicy() != nil {
		return sc.Spec.GetOutboundTrafficPolicy().GetMode().String(), "Sidecar " + sc.Ref()
	}
	mode := s.Mesh.OutboundPolicy
	if mode == "" {
		mode = AllowAny
	}
	return mode, "mesh config"
}

// egressListeners are the Sidecar's egress listeners that decide what the
// proxy knows on a port: those declared for the port if any (they own
// it), else the ones without a port. A Sidecar without egress imports
// every namespace ("*/*").
func egressListeners(sc *SidecarCfg, port int32) []*networking.IstioEgressListener {
	all := sc.Spec.GetEgress()
	if len(all) == 0 {
		return []*networking.IstioEgressListener{{Hosts: []string{"*/*"}}}
	}
	var own, any []*networking.IstioEgressListener
	for _, l := range all {
		switch n := int32(l.GetPort().GetNumber()); {
		case strings.EqualFold(l.GetPort().GetProtocol(), "HTTP_PROXY"):
		case n == 0:
			any = append(any, l)
		case n == port:
			own = append(own, l)
		}
	}
	if len(own) > 0 {
		return own
	}
	return any
}

// imports says whether a Sidecar's egress hosts import a destination on a
// port, and the host entry that did. configNS is what "." means: the
// client's namespace.
func imports(sc *SidecarCfg, configNS string, d *Service, port int32) (bool, string) {
	host := d.FQDN()
	for _, l := range egressListeners(sc, port) {
		type entry struct{ ns, name, raw string }
		var in, out []entry
		for _, h := range l.GetHosts() {
			ns, name, ok := strings.Cut(h, "/")
			if !ok || strings.Contains(name, "/") {
				continue // istiod drops a host that is not NAMESPACE/DNSNAME
			}
			excluded := strings.HasPrefix(ns, "~")
			if excluded {
				if ns = strings.TrimPrefix(ns, "~"); ns == "" {
					ns = "*"
				}
			}
			if ns == "." {
				ns = configNS
			}
			if excluded {
				out = append(out, entry{ns, name, h})
			} else {
				in = append(in, entry{ns, name, h})
			}
		}
		hit := func(e entry) bool {
			return (e.ns == "*" || e.ns == d.Namespace) && mesh.HostCoveredBy(host, e.name)
		}
		skip := false
		for _, e := range out {
			skip = skip || hit(e)
		}
		if skip {
			continue
		}
		// An entry for the destination's namespace is looked at before a
		// "*/" one, as istiod does; either imports it.
		for _, e := range in {
			if e.ns != "*" && hit(e) {
				return true, e.raw
			}
		}
		for _, e := range in {
			if e.ns == "*" && hit(e) {
				return true, e.raw
			}
		}
	}
	return false, ""
}

// knows says whether the client's proxy has the destination on the port:
// it is in the registry, exported to the client's namespace, and imported
// by the client's Sidecar. why says what decided.
func (s *Snapshot) knows(client *Workload, sc *SidecarCfg, d *Service, port int32) (bool, string) {
	if !d.registered() {
		return false, fmt.Sprintf("%s is in no registry (no Service or ServiceEntry has it)", d.FQDN())
	}
	if d.Kind == KindServiceEntry {
		if _, ok := d.Port(port); !ok {
			return false, fmt.Sprintf("ServiceEntry %s has no port %d", d.Entry, port)
		}
	}
	exp := mesh.Or(d.ExportTo, s.Mesh.ServiceExportTo)
	if !mesh.ExportedTo(exp, d.Namespace, client.Namespace) {
		return false, fmt.Sprintf("%s is not exported to namespace %s (exportTo %v)", d.ID(), client.Namespace, exp)
	}
	if sc == nil {
		return true, fmt.Sprintf("no Sidecar scopes %s: it knows every exported service", client.ID())
	}
	if ok, h := imports(sc, client.Namespace, d, port); ok {
		return true, "Sidecar " + sc.Ref() + " imports " + d.FQDN() + " on port " + itoa(port) + " (egress host " + strconv.Quote(h) + ")"
	}
	return false, "Sidecar " + sc.Ref() + " does not import " + d.FQDN() + " on port " + itoa(port)
}

// httpListener says whether the client's sidecar has a 0.0.0.0:PORT HTTP
// listener: some service it knows declares HTTP (or HTTP/2, gRPC) on the
// port. A plaintext HTTP request for a host it does not know is then
// answered by that listener's route (allow_any or block_all), not by the
// catch-all outbound listener.
func (s *Snapshot) httpListener(client *Workload, sc *SidecarCfg, port int32) bool {
	return memo(&s.mu, &s.portCache, portKey{client, port}, func() bool {
		for _, d := range s.Services {
			sp, ok := d.Port(port)
			if !ok || port == 0 || !httpFamily(sp.Protocol) {
				continue
			}
			if known, _ := s.knows(client, sc, d, port); known {
				return true
			}
		}
		return false
	})
}

// Egress decides the client side of a request to a destination port.
func (s *Snapshot) Egress(client *Workload, d *Service, sp ServicePort) Egress {
	if client == nil || !client.Sidecar {
		return Egress{Via: ViaDirect, shown: !d.registered()}
	}
	sc := s.SidecarFor(client)
	mode, modeFrom := s.outboundPolicy(sc)
	e := Egress{shown: sc != nil || mode == RegistryOnly || d.Kind == KindServiceEntry || !d.registered()}
	known, why := s.knows(client, sc, d, sp.Port)
	if known {
		e.Via, e.Upstream = ViaCluster, "outbound|"+itoa(sp.Port)+"||"+d.FQDN()
		e.Reasons = append(e.Reasons, Reason{Step: "egress", Policy: refOf(sc), Result: "known", Text: why + "; the request goes to cluster " + e.Upstream})
		return e
	}
	httpReq := requestIsHTTP(d, sp)
	route := httpReq && s.httpListener(client, sc, sp.Port)
	e.HTTP = route
	step := Reason{Step: "egress", Policy: refOf(sc), Result: "unknown", Text: why}
	fix := ""
	if mode == RegistryOnly {
		fix = s.egressFix(client, sc, d, sp.Port)
	}
	switch {
	case mode == RegistryOnly && route:
		e.Via, e.Upstream, e.Outcome = ViaBlackHole, BlockAll, BadGateway
		step.Result = "blocked"
		step.Text = fmt.Sprintf("%s; outboundTrafficPolicy REGISTRY_ONLY (%s): the HTTP route for port %d answers 502 for a host it does not know%s", why, modeFrom, sp.Port, fix)
	case mode == RegistryOnly:
		e.Via, e.Upstream, e.Outcome = ViaBlackHole, BlackHoleCluster, Reset
		step.Result = "blocked"
		step.Text = fmt.Sprintf("%s; outboundTrafficPolicy REGISTRY_ONLY (%s): the connection goes to the BlackHoleCluster and is reset%s", why, modeFrom, fix)
	default:
		e.Via, e.Upstream = ViaPassthrough, PassthroughCluster
		step.Result = "passthrough"
		how := "the catch-all outbound listener"
		if route {
			how = fmt.Sprintf("the HTTP route for port %d (allow_any)", sp.Port)
		}
		step.Text = fmt.Sprintf("%s; outboundTrafficPolicy ALLOW_ANY (%s): %s passes it to the original address in plaintext, without the mesh's mutual TLS", why, modeFrom, how)
	}
	e.Reasons = append(e.Reasons, step)
	return e
}

// egressFix is the one-line fix for a destination the client does not
// know, when one is obvious.
func (s *Snapshot) egressFix(client *Workload, sc *SidecarCfg, d *Service, port int32) string {
	switch {
	case !d.registered():
		return fmt.Sprintf(" (fix: register %s with a ServiceEntry)", d.FQDN())
	case !mesh.ExportedTo(mesh.Or(d.ExportTo, s.Mesh.ServiceExportTo), d.Namespace, client.Namespace):
		return ""
	case sc != nil && len(egressListeners(sc, port)) == 0:
		return fmt.Sprintf(" (fix: give Sidecar %s an egress listener without a port, or for port %d, with host %q)", sc.Ref(), port, d.Namespace+"/"+d.FQDN())
	case sc != nil:
		return fmt.Sprintf(" (fix: add %q or %q to the egress hosts of Sidecar %s)", d.Namespace+"/*", d.Namespace+"/"+d.FQDN(), sc.Ref())
	}
	return ""
}

func refOf(sc *SidecarCfg) string {
	if sc == nil {
		return ""
	}
	return sc.Ref()
}

// requestIsHTTP says whether the request is plaintext HTTP on the wire:
// what curl sends to the port, unless the port says TLS or TCP (443 of an
// unregistered host is HTTPS).
func requestIsHTTP(d *Service, sp ServicePort) bool {
	if !d.registered() {
		return sp.Protocol == "HTTP"
	}
	if sp.Protocol != "" {
		return httpFamily(sp.Protocol)
	}
	return isHTTP(sp)
}

// httpFamily says whether Istio builds an HTTP listener for a protocol.
func httpFamily(p string) bool {
	switch p {
	case "HTTP", "HTTP2", "GRPC", "GRPC-WEB":
		return true
	}
	return false
}

// portProtocol is the protocol Istio reads from a Service port: its
// appProtocol, else the prefix of its name; "" when neither declares one.
func portProtocol(name, appProtocol string) string {
	p := appProtocol
	if p == "" {
		p, _, _ = strings.Cut(name, "-")
	}
	switch strings.ToLower(p) {
	case "http", "http1.1":
		return "HTTP"
	case "http2", "kubernetes.io/h2c":
		return "HTTP2"
	case "grpc":
		return "GRPC"
	case "grpc-web":
		return "GRPC-WEB"
	case "https", "kubernetes.io/wss":
		return "HTTPS"
	case "tcp", "tls", "mongo", "mysql", "redis":
		return strings.ToUpper(p)
	}
	return ""
}

// externalHost makes a destination of a host or IP address no registry
// knows, called on port (0: 80). Port 443 is called with TLS, others with
// plain HTTP, as curl would.
func externalHost(host string, port int32) *Service {
	if port == 0 {
		port = 80
	}
	sp := ServicePort{Name: "http", Port: port, Protocol: "HTTP"}
	if port == 443 {
		sp = ServicePort{Name: "https", Port: port, Protocol: "TLS"}
	}
	return &Service{Name: host, Kind: KindHost, Host: host, External: true, Ports: []ServicePort{sp}}
}

// looksLikeHost says whether a name can only be a host: an IP address, or
// a name with two dots or more (NAME.NAMESPACE has one).
func looksLikeHost(name string) bool {
	if _, err := netip.ParseAddr(name); err == nil {
		return true
	}
	return strings.Count(name, ".") >= 2
}

// Destination finds what `authz can` calls TO: a Service (NAME.NAMESPACE,
// NAME with ns, or its cluster host name), a ServiceEntry host, or an
// external host or IP, each optionally followed by :PORT. It returns the
// port given (0: none).
func (s *Snapshot) Destination(ref, ns string) (*Service, int32, error) {
	name, port, err := splitPort(ref)
	if err != nil {
		return nil, 0, err
	}
	for _, d := range s.Services {
		if d.Kind != KindServiceEntry && (d.FQDN() == name || d.ID() == name) {
			return d, port, nil
		}
	}
	if d := s.entryFor(name, ns); d != nil {
		return d, port, nil
	}
	if !strings.Contains(name, ".") {
		d, err := s.Service(name, ns)
		return d, port, err
	}
	if _, nsKnown := s.namespaces()[name[strings.LastIndex(name, ".")+1:]]; nsKnown && !looksLikeHost(name) {
		d, err := s.Service(name, ns)
		return d, port, err
	}
	return externalHost(name, port), port, nil
}

// entryFor is the ServiceEntry host that covers name, the one in the
// caller's namespace first, an exact host before a wildcard.
func (s *Snapshot) entryFor(name, ns string) *Service {
	var best *Service
	for _, d := range s.Services {
		if d.Kind != KindServiceEntry || !mesh.HostCoveredBy(name, d.Host) {
			continue
		}
		switch {
		case best == nil:
			best = d
		case d.Host == best.Host && d.Namespace == ns:
			best = d
		case mesh.MoreSpecific(d.Host, best.Host):
			best = d
		}
	}
	if best == nil || best.Host == name {
		return best
	}
	c := *best // a wildcard entry: the called host is the name asked for
	c.Host, c.Name = name, name
	return &c
}

func splitPort(ref string) (string, int32, error) {
	i := strings.LastIndex(ref, ":")
	if i < 0 || strings.Count(ref, ":") > 1 { // no port, or a bare IPv6 address
		return ref, 0, nil
	}
	var p int32
	if _, err := fmt.Sscanf(ref[i+1:], "%d", &p); err != nil || p < 1 || p > 65535 || fmt.Sprint(p) != ref[i+1:] {
		return "", 0, fmt.Errorf("%q: the port after the colon must be a number from 1 to 65535", ref)
	}
	return ref[:i], p, nil
}

// namespaces are the namespaces any object of the snapshot is in.
func (s *Snapshot) namespaces() map[string]bool {
	out := map[string]bool{}
	for ns := range s.NamespaceLabels {
		out[ns] = true
	}
	for _, w := range s.Workloads {
		out[w.Namespace] = true
	}
	for _, d := range s.Services {
		out[d.Namespace] = true
	}
	return out
}

// ingressEndpoint checks the Sidecar ingress listener that takes a
// workload's port: istiod sends the port's traffic to its defaultEndpoint,
// and when that is a local port the containers do not declare, nothing
// answers: the server's sidecar replies 503 ("upstream connect error")
// to HTTP, and resets TCP. It returns "" when nothing is wrong or nothing
// can be told (no ingress listener, no declared ports, a unix socket).
func (s *Snapshot) ingressEndpoint(w *Workload, port int32) (string, string) {
	sc := s.SidecarFor(w)
	if sc == nil || len(w.Ports) == 0 {
		return "", ""
	}
	for _, in := range sc.Spec.GetIngress() {
		if int32(in.GetPort().GetNumber()) != port {
			continue
		}
		ep := in.GetDefaultEndpoint()
		host, p, ok := strings.Cut(ep, ":")
		if !ok || (host != "127.0.0.1" && host != "0.0.0.0" && host != "[::1]" && host != "[::]") {
			return "", ""
		}
		var n int32
		if _, err := fmt.Sscanf(p, "%d", &n); err != nil {
			return "", ""
		}
		for _, declared := range w.Ports {
			if declared == n {
				return "", ""
			}
		}
		return sc.Ref(), fmt.Sprintf("Sidecar %s sends port %d to defaultEndpoint %s, but %s declares no container port %d (it declares %v): upstream connect error, reset reason: connection failure", sc.Ref(), port, ep, w.ID(), n, w.Ports)
	}
	return "", ""
}
