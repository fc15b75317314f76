package authz

// FromCluster is the source a live loader gives the objects it reads: they
// are named by namespace and name, not by a file.
const FromCluster = "cluster"

// stepKind is the kind of object a reason's Policy names, per step.
var stepKind = map[string]string{
	"egress":  "Sidecar",
	"ingress": "Sidecar",
	"network": "NetworkPolicy",
	"route":   "VirtualService",
	"mtls":    "PeerAuthentication",
	"authn":   "RequestAuthentication",
	"custom":  "AuthorizationPolicy",
	"deny":    "AuthorizationPolicy",
	"allow":   "AuthorizationPolicy",
	"audit":   "AuthorizationPolicy",
}

// locate fills each reason's Where from the object its Policy names.
func (s *Snapshot) locate(rs []Reason) {
	s.whereOnce.Do(s.indexWhere)
	for i := range rs {
		if rs[i].Policy != "" {
			rs[i].Where = s.whereIndex[stepKind[rs[i].Step]+" "+rs[i].Policy]
		}
	}
}

func (s *Snapshot) indexWhere() {
	s.whereIndex = map[string]string{}
	add := func(kind string, m Meta) {
		if m.Where != "" && m.Where != FromCluster {
			s.whereIndex[kind+" "+m.Ref()] = m.Where
		}
	}
	for _, o := range s.Sidecars {
		add("Sidecar", o.Meta)
	}
	for _, o := range s.NetPolicies {
		add("NetworkPolicy", o.Meta)
	}
	for _, o := range s.VirtualServices {
		add("VirtualService", o.Meta)
	}
	for _, o := range s.PeerAuthns {
		add("PeerAuthentication", o.Meta)
	}
	for _, o := range s.ReqAuthns {
		add("RequestAuthentication", o.Meta)
	}
	for _, o := range s.AuthzPolicies {
		add("AuthorizationPolicy", o.Meta)
	}
}
