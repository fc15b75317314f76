package authz

import (
	"fmt"
	"sort"

	networking "istio.io/api/networking/v1alpha3"
	security "istio.io/api/security/v1beta1"

	"github.com/meshctl/meshctl/pkg/mesh"
)

// Server mutual TLS modes.
const (
	ModeStrict     = "STRICT"
	ModePermissive = "PERMISSIVE"
	ModeDisable    = "DISABLE"
	// ModeNone is a server without a sidecar: it only speaks plaintext.
	ModeNone = "NONE"
)

// Client TLS modes.
const (
	ClientIstioMutual = "ISTIO_MUTUAL"
	ClientDisable     = "DISABLE"
	ClientSimple      = "SIMPLE"
	ClientMutual      = "MUTUAL"
	// ClientPlaintext is a client without a sidecar.
	ClientPlaintext = "PLAINTEXT"
)

// ServerTLS is what a server workload accepts on one port.
type ServerTLS struct {
	Mode string `json:"mode"`
	// Policy is the PeerAuthentication that decided ("" when none applies).
	Policy string `json:"policy,omitempty"`
	// Level is mesh, namespace, workload or "port N".
	Level  string `json:"level,omitempty"`
	Reason string `json:"reason"`
}

// ClientTLS is what a client sends to one service port.
type ClientTLS struct {
	Mode string `json:"mode"`
	// Auto is true when auto mutual TLS chose the mode.
	Auto bool `json:"auto,omitempty"`
	// DestinationRule is the rule whose TLS setting decided ("" when none).
	DestinationRule string `json:"destinationRule,omitempty"`
	Reason          string `json:"reason"`
}

// ServerMode resolves the PeerAuthentication for workload w on its port
// port: workload (selector) over namespace over mesh, a port-level setting
// of the workload policy over all; UNSET inherits; nothing means PERMISSIVE.
func (s *Snapshot) ServerMode(w *Workload, port int32) ServerTLS {
	if !w.Sidecar {
		return ServerTLS{Mode: ModeNone, Reason: fmt.Sprintf("%s has no sidecar (%s): it accepts plaintext only", w.ID(), w.SidecarReason)}
	}
	var mesh, ns, wl *PeerAuthn
	for _, p := range s.PeerAuthns {
		sel := p.Spec.GetSelector().GetMatchLabels()
		switch {
		case p.Namespace == s.Mesh.RootNamespace && len(sel) == 0:
			mesh = older(mesh, p)
		case p.Namespace == w.Namespace && len(sel) == 0:
			ns = older(ns, p)
		case p.Namespace == w.Namespace && selects(sel, w.Labels):
			wl = older(wl, p)
		}
	}
	out := ServerTLS{Mode: ModePermissive, Reason: "no PeerAuthentication applies: PERMISSIVE"}
	apply := func(p *PeerAuthn, level string) {
		if p == nil {
			return
		}
		m := p.Spec.GetMtls().GetMode()
		if m == security.PeerAuthentication_MutualTLS_UNSET {
			return
		}
		out = ServerTLS{Mode: m.String(), Policy: p.Ref(), Level: level}
		out.Reason = fmt.Sprintf("PeerAuthentication %s, %s", p.Ref(), out.Mode)
	}
	apply(mesh, "mesh")
	apply(ns, "namespace")
	apply(wl, "workload")
	if wl != nil {
		if pl, ok := wl.Spec.GetPortLevelMtls()[uint32(port)]; ok && pl.GetMode() != security.PeerAuthentication_MutualTLS_UNSET {
			out = ServerTLS{Mode: pl.GetMode().String(), Policy: wl.Ref(), Level: fmt.Sprintf("port %d", port)}
			out.Reason = fmt.Sprintf("PeerAuthentication %s port %d, %s", wl.Ref(), port, out.Mode)
		}
	}
	return out
}

// older keeps the policy Istio keeps when several apply at one level: the
// oldest, then the first by name.
func older(a, b *PeerAuthn) *PeerAuthn {
	if a == nil {
		return b
	}
	if b.Created.Before(a.Created) {
		return b
	}
	return a
}

// namespaceMode is the namespace- or mesh-level mode auto mTLS consults.
func (s *Snapshot) namespaceMode(ns string) string {
	var mesh, nsp *PeerAuthn
	for _, p := range s.PeerAuthns {
		if len(p.Spec.GetSelector().GetMatchLabels()) > 0 {
			continue
		}
		if p.Namespace == ns {
			nsp = older(nsp, p)
		} else if p.Namespace == s.Mesh.RootNamespace {
			mesh = older(mesh, p)
		}
	}
	mode := ""
	for _, p := range []*PeerAuthn{mesh, nsp} {
		if p != nil && p.Spec.GetMtls().GetMode() != security.PeerAuthentication_MutualTLS_UNSET {
			mode = p.Spec.GetMtls().GetMode().String()
		}
	}
	return mode
}

// DestinationRuleFor finds the DestinationRule a client in namespace
// clientNS uses for host: the client's namespace first, then the host's
// namespace, then the root namespace, then any other namespace exporting to
// the client; within a namespace the most specific host wins.
func (s *Snapshot) DestinationRuleFor(clientNS string, svc *Service) *DestRule {
	return memo(&s.mu, &s.drCache, drKey{clientNS, svc}, func() *DestRule { return s.destinationRuleFor(clientNS, svc) })
}

func (s *Snapshot) destinationRuleFor(clientNS string, svc *Service) *DestRule {
	fqdn := svc.FQDN()
	// istiod looks in these namespaces only, in this order: a rule in a
	// third namespace never applies, whatever its exportTo says.
	tiers := []string{clientNS, svc.Namespace, s.Mesh.RootNamespace}
	for _, tier := range tiers {
		var best *DestRule
		bestHost := ""
		for _, dr := range s.DestRules {
			if dr.Namespace != tier {
				continue
			}
			if !mesh.ExportedTo(mesh.Or(dr.Spec.GetExportTo(), s.Mesh.DestinationRuleExportTo), dr.Namespace, clientNS) {
				continue
			}
			h := mesh.FQDN(dr.Spec.GetHost(), dr.Namespace, mesh.ClusterDomainOr(s.Mesh.ClusterDomain))
			if !mesh.HostCoveredBy(fqdn, h) {
				continue
			}
			if best == nil || mesh.MoreSpecific(h, bestHost) {
				best, bestHost = dr, h
			}
		}
		if best != nil {
			return best
		}
	}
	return nil
}

// ClientMode decides what a client sends to a service port. client nil
// means "a sidecar in the service's namespace" (tls-check without a
// workload).
func (s *Snapshot) ClientMode(client *Workload, svc *Service, port int32) ClientTLS {
	ns := svc.Namespace
	who := "a client sidecar"
	if client != nil {
		ns = client.Namespace
		who = client.ID()
		if !client.Sidecar {
			return ClientTLS{Mode: ClientPlaintext, Reason: fmt.Sprintf("%s has no sidecar (%s): it sends plaintext", client.ID(), client.SidecarReason)}
		}
	}
	dr := s.DestinationRuleFor(ns, svc)
	if dr != nil {
		var tls *networking.ClientTLSSettings
		level := ""
		for _, pl := range dr.Spec.GetTrafficPolicy().GetPortLevelSettings() {
			if int32(pl.GetPort().GetNumber()) == port && pl.GetTls() != nil {
				tls, level = pl.GetTls(), fmt.Sprintf(" port %d", port)
			}
		}
		if tls == nil {
			tls = dr.Spec.GetTrafficPolicy().GetTls()
		}
		if tls != nil {
			mode := tls.GetMode().String()
			return ClientTLS{Mode: mode, DestinationRule: dr.Ref(),
				Reason: fmt.Sprintf("%s sends %s (DestinationRule %s, host %s%s)", who, describeClient(mode), dr.Ref(), dr.Spec.GetHost(), level)}
		}
	}
	drText := "no DestinationRule TLS setting"
	if dr != nil {
		drText = "DestinationRule " + dr.Ref() + " has no TLS setting"
	}
	if !s.Mesh.AutoMTLS {
		return ClientTLS{Mode: ClientDisable, Reason: fmt.Sprintf("%s sends plaintext (%s, auto mTLS off)", who, drText)}
	}
	// Auto mTLS: plaintext when the service's namespace (or mesh) disables
	// mutual TLS, else mutual TLS to endpoints with a sidecar.
	if s.namespaceMode(svc.Namespace) == ModeDisable {
		return ClientTLS{Mode: ClientDisable, Auto: true, Reason: fmt.Sprintf("%s sends plaintext (%s, auto mTLS: PeerAuthentication disables mutual TLS in %s)", who, drText, svc.Namespace)}
	}
	return ClientTLS{Mode: ClientIstioMutual, Auto: true, Reason: who + " sends mutual TLS to endpoints with a sidecar, plaintext to others (" + drText + ", auto mTLS on)"}
}

func describeClient(mode string) string {
	switch mode {
	case ClientIstioMutual:
		return "Istio mutual TLS"
	case ClientDisable:
		return "plaintext"
	case ClientSimple:
		return "TLS (SIMPLE origination)"
	case ClientMutual:
		return "TLS with a client certificate (MUTUAL origination)"
	}
	return mode
}

// Negotiation is the result of one client meeting one server workload.
type Negotiation struct {
	// OK is true when the connection carries the request to the server.
	OK bool
	// MTLS is true when the server sidecar saw the client's identity.
	MTLS    bool
	Outcome Outcome
	Text    string
}

// Negotiate meets the client's mode with the server's.
func Negotiate(client *Workload, c ClientTLS, server *Workload, sv ServerTLS) Negotiation {
	mode := c.Mode
	// Auto mTLS decides per endpoint: plaintext to an endpoint without a
	// sidecar or whose PeerAuthentication disables mutual TLS on the port.
	if c.Auto && mode == ClientIstioMutual && (!server.Sidecar || sv.Mode == ModeDisable) {
		mode = ClientDisable
	}
	sidecarClient := client == nil || client.Sidecar
	switch sv.Mode {
	case ModeNone:
		if mode == ClientDisable || mode == ClientPlaintext {
			return Negotiation{OK: true, Outcome: Allowed, Text: "plaintext to a server without a sidecar: no policy is enforced"}
		}
		return Negotiation{Outcome: TLSMismatch, Text: fmt.Sprintf("%s has no sidecar to terminate mutual TLS (%s); %s", server.ID(), server.SidecarReason, c.Reason)}
	case ModeStrict:
		if mode == ClientIstioMutual {
			return Negotiation{OK: true, MTLS: true, Outcome: Allowed, Text: "mutual TLS"}
		}
		if !sidecarClient {
			return Negotiation{Outcome: Reset, Text: fmt.Sprintf("%s requires mutual TLS (%s); %s, so the connection is reset", server.ID(), sv.Reason, c.Reason)}
		}
		return Negotiation{Outcome: TLSMismatch, Text: fmt.Sprintf("%s requires mutual TLS (%s); %s", server.ID(), sv.Reason, c.Reason)}
	case ModeDisable:
		if mode == ClientDisable || mode == ClientPlaintext {
			return Negotiation{OK: true, Outcome: Allowed, Text: "plaintext (the server's mutual TLS is disabled)"}
		}
		return Negotiation{Outcome: TLSMismatch, Text: fmt.Sprintf("%s accepts plaintext only (%s); %s", server.ID(), sv.Reason, c.Reason)}
	default: // PERMISSIVE
		switch mode {
		case ClientIstioMutual:
			return Negotiation{OK: true, MTLS: true, Outcome: Allowed, Text: "mutual TLS"}
		case ClientDisable, ClientPlaintext:
			return Negotiation{OK: true, Outcome: Allowed, Text: "plaintext, accepted by PERMISSIVE; the server does not know the client's identity"}
		}
		return Negotiation{Outcome: TLSMismatch, Text: fmt.Sprintf("%s is passed through to an application that expects plaintext", describeClient(mode))}
	}
}

// TLSStatus is the old tls-check status of a client/server pair: OK,
// CONFLICT or AUTO.
func TLSStatus(c ClientTLS, n Negotiation) string {
	if !n.OK {
		return "CONFLICT"
	}
	if c.Auto {
		return "AUTO"
	}
	return "OK"
}

// sortedPorts returns the keys of a port map in order.
func sortedPorts(m map[uint32]*security.PeerAuthentication_MutualTLS) []uint32 {
	var ps []uint32
	for p := range m {
		ps = append(ps, p)
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i] < ps[j] })
	return ps
}
