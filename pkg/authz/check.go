package authz

import (
	"fmt"
	"strings"

	security "istio.io/api/security/v1beta1"
)

// describeRule summarises a rule in one line: "from namespaces [a] to methods [GET] when ...".
func describeRule(r *security.Rule) string {
	var parts []string
	for _, f := range r.GetFrom() {
		if d := describeSource(f.GetSource()); d != "" {
			parts = append(parts, "from "+d)
		}
	}
	for _, t := range r.GetTo() {
		if d := describeOperation(t.GetOperation()); d != "" {
			parts = append(parts, "to "+d)
		}
	}
	for _, c := range r.GetWhen() {
		d := "when " + c.GetKey()
		if len(c.GetValues()) > 0 {
			d += fmt.Sprintf(" in %v", c.GetValues())
		}
		if len(c.GetNotValues()) > 0 {
			d += fmt.Sprintf(" not in %v", c.GetNotValues())
		}
		parts = append(parts, d)
	}
	if len(parts) == 0 {
		return "any request"
	}
	return strings.Join(parts, ", ")
}

func list(name string, v []string) string {
	if len(v) == 0 {
		return ""
	}
	return fmt.Sprintf("%s %v", name, v)
}

func join(xs ...string) string {
	var out []string
	for _, x := range xs {
		if x != "" {
			out = append(out, x)
		}
	}
	return strings.Join(out, " ")
}

func describeSource(s *security.Source) string {
	return join(list("principals", s.GetPrincipals()), list("notPrincipals", s.GetNotPrincipals()),
		list("requestPrincipals", s.GetRequestPrincipals()), list("notRequestPrincipals", s.GetNotRequestPrincipals()),
		list("namespaces", s.GetNamespaces()), list("notNamespaces", s.GetNotNamespaces()),
		list("serviceAccounts", s.GetServiceAccounts()), list("notServiceAccounts", s.GetNotServiceAccounts()),
		list("trustDomains", s.GetTrustDomains()), list("notTrustDomains", s.GetNotTrustDomains()),
		list("ipBlocks", s.GetIpBlocks()), list("notIpBlocks", s.GetNotIpBlocks()),
		list("remoteIpBlocks", s.GetRemoteIpBlocks()), list("notRemoteIpBlocks", s.GetNotRemoteIpBlocks()))
}

func describeOperation(o *security.Operation) string {
	return join(list("hosts", o.GetHosts()), list("notHosts", o.GetNotHosts()),
		list("ports", o.GetPorts()), list("notPorts", o.GetNotPorts()),
		list("methods", o.GetMethods()), list("notMethods", o.GetNotMethods()),
		list("paths", o.GetPaths()), list("notPaths", o.GetNotPaths()))
}

// PolicySummary is one policy as `authz check` prints it.
type PolicySummary struct {
	Action string   `json:"action"`
	Policy string   `json:"policy"`
	Scope  string   `json:"scope"`
	Note   string   `json:"note,omitempty"`
	Rules  []string `json:"rules,omitempty"`
	DryRun bool     `json:"dryRun,omitempty"`
}

// Check is what `authz check` reports for one workload.
type Check struct {
	Workload string          `json:"workload"`
	Sidecar  bool            `json:"sidecar"`
	Policies []PolicySummary `json:"policies"`
	Warnings []string        `json:"warnings,omitempty"`
}

// CheckWorkload lists the policies that apply to w in evaluation order
// (CUSTOM, DENY, ALLOW, AUDIT) and warns about policies that cannot work
// as written.
func (s *Snapshot) CheckWorkload(w *Workload) Check {
	c := Check{Workload: w.ID(), Sidecar: w.Sidecar}
	pols := s.PoliciesFor(w)
	if !w.Sidecar && len(pols) > 0 {
		c.Warnings = append(c.Warnings, fmt.Sprintf("%s has no sidecar (%s): none of its %d policies is enforced", w.ID(), w.SidecarReason, len(pols)))
	}
	modes := map[string]bool{}
	for _, sp := range s.workloadPorts(w) {
		modes[s.ServerMode(w, sp).Mode] = true
	}
	if len(modes) == 0 {
		modes[s.ServerMode(w, 0).Mode] = true
	}
	for _, act := range []security.AuthorizationPolicy_Action{security.AuthorizationPolicy_CUSTOM, security.AuthorizationPolicy_DENY, security.AuthorizationPolicy_ALLOW, security.AuthorizationPolicy_AUDIT} {
		for _, p := range pols {
			if p.Spec.GetAction() != act {
				continue
			}
			ps := PolicySummary{Action: act.String(), Policy: p.Ref(), Scope: s.scope(p), DryRun: p.DryRun}
			for _, r := range p.Spec.GetRules() {
				ps.Rules = append(ps.Rules, describeRule(r))
			}
			if len(p.Spec.GetRules()) == 0 {
				switch act {
				case security.AuthorizationPolicy_ALLOW:
					ps.Note = "no rules: denies every request, including from the ingress gateway"
				case security.AuthorizationPolicy_DENY:
					ps.Note = "no rules: denies nothing"
				default:
					ps.Note = "no rules: matches nothing"
				}
			}
			if needsIdentity(p.Spec) {
				switch {
				case modes[ModeDisable] || modes[ModeNone]:
					c.Warnings = append(c.Warnings, fmt.Sprintf("%s %s uses source.principals or source.namespaces, but %s does not accept mutual TLS: those fields never match", act, p.Ref(), w.ID()))
				case modes[ModePermissive]:
					c.Warnings = append(c.Warnings, fmt.Sprintf("%s %s uses source.principals or source.namespaces, but %s is PERMISSIVE: plaintext clients never match them", act, p.Ref(), w.ID()))
				}
			}
			c.Policies = append(c.Policies, ps)
		}
	}
	c.Warnings = append(c.Warnings, s.SelectorWarnings(w.Namespace)...)
	return c
}

func (s *Snapshot) scope(p *AuthzPolicy) string {
	switch {
	case len(p.Spec.GetTargetRefs()) > 0 || p.Spec.GetTargetRef() != nil:
		return "targetRefs"
	case p.Namespace == s.Mesh.RootNamespace && p.Spec.GetSelector() == nil:
		return "mesh"
	case p.Namespace == s.Mesh.RootNamespace:
		return "mesh, selector"
	case p.Spec.GetSelector() == nil:
		return "namespace"
	}
	return "selector"
}

func needsIdentity(ap *security.AuthorizationPolicy) bool {
	for _, r := range ap.GetRules() {
		for _, f := range r.GetFrom() {
			src := f.GetSource()
			if len(src.GetPrincipals())+len(src.GetNamespaces())+len(src.GetServiceAccounts())+len(src.GetTrustDomains()) > 0 {
				return true
			}
		}
	}
	return false
}

// workloadPorts lists the target ports of the services selecting w.
func (s *Snapshot) workloadPorts(w *Workload) []int32 {
	var out []int32
	for _, svc := range s.Services {
		for _, sw := range svc.Workloads {
			if sw == w {
				for _, sp := range svc.Ports {
					out = append(out, sp.TargetPortOn(w))
				}
			}
		}
	}
	return out
}

// SelectorWarnings names the policies of a namespace (or of the root
// namespace, mesh-wide) whose selector matches no known workload.
func (s *Snapshot) SelectorWarnings(ns string) []string {
	var out []string
	for _, p := range s.AuthzPolicies {
		sel := p.Spec.GetSelector().GetMatchLabels()
		if len(sel) == 0 || (p.Namespace != ns && p.Namespace != s.Mesh.RootNamespace) {
			continue
		}
		hit := false
		for _, w := range s.Workloads {
			if (p.Namespace == s.Mesh.RootNamespace || w.Namespace == p.Namespace) && selects(sel, w.Labels) {
				hit = true
				break
			}
		}
		if !hit {
			out = append(out, fmt.Sprintf("AuthorizationPolicy %s: selector %s matches no workload", p.Ref(), labelString(sel)))
		}
	}
	return out
}

func labelString(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sortStrings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, k+"="+m[k])
	}
	return strings.Join(parts, ",")
}

// TLSRow is one line of `authn tls-check`.
type TLSRow struct {
	Client          string `json:"client"`
	Host            string `json:"host"`
	Port            int32  `json:"port"`
	Workload        string `json:"workload"`
	Status          string `json:"status"`
	Server          string `json:"server"`
	ClientMode      string `json:"clientMode"`
	PeerAuthn       string `json:"peerAuthentication"`
	DestinationRule string `json:"destinationRule"`
	Reason          string `json:"reason"`
}

// TLSCheck returns, per service port and server workload, the server's
// and client's modes. client may be nil: a sidecar client in the service's
// namespace.
func (s *Snapshot) TLSCheck(client *Workload, svcs []*Service) []TLSRow {
	var out []TLSRow
	cname := "-"
	if client != nil {
		cname = client.ID()
	}
	for _, svc := range svcs {
		for _, sp := range svc.Ports {
			c := s.ClientMode(client, svc, sp.Port)
			for _, w := range svc.Workloads {
				sv := s.ServerMode(w, sp.TargetPortOn(w))
				n := Negotiate(client, c, w, sv)
				cm := c.Mode
				if c.Auto {
					cm = "AUTO"
					if !w.Sidecar || c.Mode == ClientDisable || sv.Mode == ModeDisable {
						cm = "AUTO (DISABLE)"
					} else {
						cm = "AUTO (ISTIO_MUTUAL)"
					}
				}
				row := TLSRow{Client: cname, Host: svc.FQDN(), Port: sp.Port, Workload: w.ID(), Status: TLSStatus(c, n), Server: sv.Mode, ClientMode: cm,
					PeerAuthn: orDash(sv.Policy), DestinationRule: orDash(c.DestinationRule), Reason: n.Text}
				out = append(out, row)
			}
		}
	}
	return out
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
