package authz

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// NetPolicy is a Kubernetes NetworkPolicy.
type NetPolicy struct {
	Meta
	Spec networkingv1.NetworkPolicySpec
}

func (p *NetPolicy) meta() *Meta { return &p.Meta }

// Timeout is what a client sees when the network drops its packets: the
// connection never opens (a client sidecar gives up with 503 for HTTP).
const Timeout Outcome = "timeout"

// networkVerdict is the NetworkPolicy answer for a connection from a
// client workload (nil: outside the cluster) to a server workload's port,
// or to an address outside the cluster (server nil, ip an address or a
// host name).
type networkVerdict struct {
	allowed bool
	policy  string
	text    string
}

// policyTypes are the directions a policy isolates: those it lists, else
// Ingress, plus Egress when it has egress rules.
func policyTypes(p *NetPolicy) (ingress, egress bool) {
	if len(p.Spec.PolicyTypes) == 0 {
		return true, len(p.Spec.Egress) > 0
	}
	for _, t := range p.Spec.PolicyTypes {
		switch t {
		case networkingv1.PolicyTypeIngress:
			ingress = true
		case networkingv1.PolicyTypeEgress:
			egress = true
		}
	}
	return ingress, egress
}

// selectsPod applies a label selector (nil selects nothing, empty all).
// Selectors are converted once per snapshot: converting validates every
// expression, which would otherwise be most of a matrix's time.
func (s *Snapshot) selectsPod(sel *metav1.LabelSelector, lbls map[string]string) bool {
	if sel == nil {
		return false
	}
	conv := memo(&s.mu, &s.selCache, sel, func() labels.Selector {
		if c, err := metav1.LabelSelectorAsSelector(sel); err == nil {
			return c
		}
		return labels.Nothing()
	})
	return conv.Matches(labels.Set(lbls))
}

// namespaceLabels are a namespace's labels with the name label the API
// server sets on every namespace.
func (s *Snapshot) namespaceLabels(ns string) map[string]string {
	out := map[string]string{"kubernetes.io/metadata.name": ns}
	for k, v := range s.NamespaceLabels[ns] {
		out[k] = v
	}
	return out
}

// peerMatches says whether a rule's peer is the other end: a pod (w, in
// its namespace) or, with w nil, an address ip ("" unknown).
func (s *Snapshot) peerMatches(p networkingv1.NetworkPolicyPeer, policyNS string, w *Workload, ip string) bool {
	if p.IPBlock != nil {
		addr := ip
		if w != nil {
			addr = w.IP
		}
		if _, err := netip.ParseAddr(addr); err != nil {
			// A host name's address is not known offline: only a block
			// of every address surely holds it.
			pfx, err := netip.ParsePrefix(p.IPBlock.CIDR)
			return err == nil && pfx.Bits() == 0 && len(p.IPBlock.Except) == 0
		}
		return ipInBlock(addr, p.IPBlock)
	}
	if w == nil {
		return false // pod and namespace selectors only pick pods
	}
	if p.NamespaceSelector != nil {
		if !s.selectsPod(p.NamespaceSelector, s.namespaceLabels(w.Namespace)) {
			return false
		}
	} else if w.Namespace != policyNS {
		return false
	}
	if p.PodSelector != nil {
		return s.selectsPod(p.PodSelector, w.Labels)
	}
	return true
}

func ipInBlock(ip string, b *networkingv1.IPBlock) bool {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return false
	}
	pfx, err := netip.ParsePrefix(b.CIDR)
	if err != nil || !pfx.Contains(a) {
		return false
	}
	for _, e := range b.Except {
		if ep, err := netip.ParsePrefix(e); err == nil && ep.Contains(a) {
			return false
		}
	}
	return true
}

// portMatches says whether a rule's ports take the port (number, named
// port of the pod that receives, TCP).
func portMatches(ports []networkingv1.NetworkPolicyPort, port int32, receiver *Workload) bool {
	if len(ports) == 0 {
		return true
	}
	for _, p := range ports {
		if p.Protocol != nil && *p.Protocol != corev1.ProtocolTCP {
			continue
		}
		if p.Port == nil {
			return true
		}
		n := p.Port.IntVal
		if p.Port.StrVal != "" {
			if receiver == nil {
				continue
			}
			n = receiver.ContainerPorts[p.Port.StrVal]
		}
		if n == port || (p.EndPort != nil && n <= port && port <= *p.EndPort) {
			return true
		}
	}
	return false
}

// network decides a connection from client to the server workload's
// port (server nil: an address outside the cluster; ip is the address of
// whichever end is outside, if known): the
// client's egress policies, then the server's ingress policies. A pod no
// policy of a direction selects is not isolated in it. svcPort is the
// Service port the client named, for the hint when a rule names it
// instead of the pod's port.
func (s *Snapshot) network(client, server *Workload, port, svcPort int32, ip string) networkVerdict {
	if client != nil {
		if v, isolated := s.direction(client, false, server, port, svcPort, ip); isolated && !v.allowed {
			return v
		}
	}
	if server != nil {
		if v, isolated := s.direction(server, true, client, port, svcPort, ip); isolated {
			return v
		}
	}
	return networkVerdict{allowed: true}
}

// direction evaluates the policies isolating w in one direction against
// the other end; it reports whether any isolates w.
func (s *Snapshot) direction(w *Workload, ingress bool, other *Workload, port, svcPort int32, ip string) (networkVerdict, bool) {
	dir := "egress"
	if ingress {
		dir = "ingress"
	}
	var isolating []string
	hint := ""
	pols := s.isolatingPolicies(w, ingress)
	for _, p := range pols {
		receiver := other
		if ingress {
			receiver = w
		}
		if ingress {
			for i, r := range p.Spec.Ingress {
				if portMatches(r.Ports, port, receiver) && s.anyPeer(r.From, p.Namespace, other, ip) {
					return networkVerdict{allowed: true, policy: p.Ref(), text: "NetworkPolicy " + p.Ref() + " ingress rule " + strconv.Itoa(i) + " lets " + peerName(other, ip) + " in to " + w.ID() + " port " + itoa(port)}, true
				}
				if hint == "" && svcPort != port && portMatches(r.Ports, svcPort, receiver) && s.anyPeer(r.From, p.Namespace, other, ip) {
					hint = fmt.Sprintf("; ingress rule %d of %s names port %d, the Service's port: NetworkPolicy ports are the pod's, write %d", i, p.Ref(), svcPort, port)
				}
			}
		} else {
			for i, r := range p.Spec.Egress {
				if portMatches(r.Ports, port, receiver) && s.anyPeer(r.To, p.Namespace, other, ip) {
					return networkVerdict{allowed: true, policy: p.Ref(), text: "NetworkPolicy " + p.Ref() + " egress rule " + strconv.Itoa(i) + " lets " + w.ID() + " out to " + peerName(other, ip) + " port " + itoa(port)}, true
				}
			}
		}
	}
	if len(pols) == 0 {
		return networkVerdict{}, false
	}
	for _, p := range pols {
		isolating = append(isolating, p.Ref())
	}
	unknown := ""
	if _, err := netip.ParseAddr(ip); other == nil && err != nil {
		unknown = " (its address is not known offline: only a rule open to every address would surely match)"
	}
	return networkVerdict{policy: isolating[0], text: fmt.Sprintf("NetworkPolicy %s isolates %s for %s and no rule lets %s through on port %d%s: the packets are dropped%s", strings.Join(isolating, ", "), w.ID(), dir, peerName(other, ip), port, unknown, hint)}, true
}

// isolatingPolicies are the policies that select w and isolate it in one
// direction, in order; they depend only on w, so they are found once.
func (s *Snapshot) isolatingPolicies(w *Workload, ingress bool) []*NetPolicy {
	return memo(&s.mu, &s.isolationCache, isolationKey{w, ingress}, func() []*NetPolicy {
		var ps []*NetPolicy
		for _, p := range s.NetPolicies {
			if p.Namespace != w.Namespace || !s.selectsPod(&p.Spec.PodSelector, w.Labels) {
				continue
			}
			if in, eg := policyTypes(p); (ingress && in) || (!ingress && eg) {
				ps = append(ps, p)
			}
		}
		return ps
	})
}

type isolationKey struct {
	w       *Workload
	ingress bool
}

func (s *Snapshot) anyPeer(peers []networkingv1.NetworkPolicyPeer, ns string, other *Workload, ip string) bool {
	if len(peers) == 0 {
		return true
	}
	for _, p := range peers {
		if s.peerMatches(p, ns, other, ip) {
			return true
		}
	}
	return false
}

func peerName(w *Workload, ip string) string {
	switch {
	case w != nil:
		return w.ID()
	case ip != "":
		return ip
	}
	return "the external address"
}
