package analyze

import (
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

// replacementFor explains a removed API and writes the resources that
// replace it, as YAML ready to apply.
func replacementFor(s *Snapshot, r *Resource) (text, detail string) {
	obj, _ := r.Spec.(map[string]any)
	spec, _ := obj["spec"].(map[string]any)
	removed := fmt.Sprintf("Custom resource type %s %s is removed", r.Group, r.Kind)
	var out []map[string]any
	var notes []string
	switch r.Kind {
	case KindMeshPolicy, KindPolicy:
		text = removed + "; use security.istio.io/v1 PeerAuthentication for mutual TLS and RequestAuthentication for JWT origins"
		out, notes = convertAuthnPolicy(s, r, spec)
	case KindServiceRole, KindServiceRoleBinding:
		text = removed + "; use security.istio.io/v1 AuthorizationPolicy"
		out, notes = convertRbac(s, r, spec)
	case KindRbacConfig, KindClusterRbacConfig:
		text = removed + "; use security.istio.io/v1 AuthorizationPolicy (an ALLOW policy with an empty spec denies everything it selects)"
		out, notes = convertRbacConfig(s, r, spec)
	default:
		return removed, ""
	}
	var b strings.Builder
	b.WriteString("# Replacement for " + r.Kind + " " + r.Ref().FullName() + ":\n")
	for _, n := range notes {
		b.WriteString("# " + n + "\n")
	}
	for i, o := range out {
		if i > 0 {
			b.WriteString("---\n")
		}
		y, err := yaml.Marshal(o)
		if err != nil {
			continue
		}
		b.Write(y)
	}
	return text, strings.TrimRight(b.String(), "\n")
}

func newIstioObject(kind, ns, name string, spec map[string]any) map[string]any {
	meta := map[string]any{"name": name}
	if ns != "" {
		meta["namespace"] = ns
	}
	return map[string]any{"apiVersion": "security.istio.io/v1", "kind": kind, "metadata": meta, "spec": spec}
}

// targetSelector turns an old policy target (a service name) into the
// workload selector of that service, when the snapshot holds the Service,
// else app=<name>.
func targetSelector(s *Snapshot, ns, svc string) (map[string]any, string) {
	if r := s.Get(KindService, ns, svc); r != nil {
		if k, ok := r.Spec.(*corev1.Service); ok && len(k.Spec.Selector) > 0 {
			ml := map[string]any{}
			for k, v := range k.Spec.Selector {
				ml[k] = v
			}
			return map[string]any{"matchLabels": ml}, ""
		}
	}
	return map[string]any{"matchLabels": map[string]any{"app": svc}},
		fmt.Sprintf("target %q: Service not in the inputs; selector assumes its pods are labelled app=%s", svc, svc)
}

func convertAuthnPolicy(s *Snapshot, r *Resource, spec map[string]any) ([]map[string]any, []string) {
	ns := r.Namespace
	if r.Kind == KindMeshPolicy {
		ns = s.RootNamespace()
	}
	var notes []string
	mode := ""
	peers, _ := spec["peers"].([]any)
	for _, p := range peers {
		pm, _ := p.(map[string]any)
		mtls, ok := pm["mtls"]
		if !ok {
			continue
		}
		mode = "STRICT"
		if m, _ := mtls.(map[string]any); m != nil {
			if v, _ := m["mode"].(string); strings.EqualFold(v, "PERMISSIVE") {
				mode = "PERMISSIVE"
			}
		}
	}
	if len(peers) == 0 {
		mode = "DISABLE"
		notes = append(notes, "no peers: mutual TLS was not required")
	}
	targets, _ := spec["targets"].([]any)
	var out []map[string]any
	paSpec := func() map[string]any { return map[string]any{"mtls": map[string]any{"mode": mode}} }
	name := r.Name
	if len(targets) == 0 {
		out = append(out, newIstioObject("PeerAuthentication", ns, name, paSpec()))
	}
	for _, t := range targets {
		tm, _ := t.(map[string]any)
		svc, _ := tm["name"].(string)
		if svc == "" {
			continue
		}
		ps := paSpec()
		sel, note := targetSelector(s, ns, svc)
		if note != "" {
			notes = append(notes, note)
		}
		ps["selector"] = sel
		if ports, _ := tm["ports"].([]any); len(ports) > 0 {
			notes = append(notes, fmt.Sprintf("target %q: ports were service ports; portLevelMtls takes the container (target) port", svc))
		}
		out = append(out, newIstioObject("PeerAuthentication", ns, name+"-"+svc, ps))
	}
	origins, _ := spec["origins"].([]any)
	var rules []any
	for _, o := range origins {
		om, _ := o.(map[string]any)
		jwt, _ := om["jwt"].(map[string]any)
		if jwt == nil {
			continue
		}
		rule := map[string]any{}
		for _, f := range []string{"issuer", "jwksUri", "audiences"} {
			if v, ok := jwt[f]; ok {
				rule[f] = v
			}
		}
		rules = append(rules, rule)
	}
	if len(rules) > 0 {
		ra := map[string]any{"jwtRules": rules}
		if len(targets) == 1 {
			tm, _ := targets[0].(map[string]any)
			svc, _ := tm["name"].(string)
			ra["selector"], _ = targetSelector(s, ns, svc)
		}
		out = append(out, newIstioObject("RequestAuthentication", ns, name, ra))
		notes = append(notes, "a RequestAuthentication only rejects invalid tokens; add an AuthorizationPolicy with requestPrincipals: [\"*\"] to require one")
	}
	return out, notes
}

func stringsOf(v any) []string {
	l, _ := v.([]any)
	var out []string
	for _, x := range l {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func anyList(ss []string) []any {
	out := make([]any, 0, len(ss))
	for _, s := range ss {
		out = append(out, s)
	}
	return out
}

// convertRbac turns a ServiceRoleBinding (with the ServiceRole it names,
// when present) into an ALLOW AuthorizationPolicy. A ServiceRole alone is
// converted through the bindings that use it.
func convertRbac(s *Snapshot, r *Resource, spec map[string]any) ([]map[string]any, []string) {
	var bindings []*Resource
	if r.Kind == KindServiceRoleBinding {
		bindings = []*Resource{r}
	} else {
		for _, b := range s.List(KindServiceRoleBinding) {
			bobj, _ := b.Spec.(map[string]any)
			bspec, _ := bobj["spec"].(map[string]any)
			ref, _ := bspec["roleRef"].(map[string]any)
			if b.Namespace == r.Namespace && ref["name"] == r.Name {
				bindings = append(bindings, b)
			}
		}
		if len(bindings) == 0 {
			return nil, []string{"no ServiceRoleBinding uses this ServiceRole: it granted nothing and can be deleted"}
		}
	}
	var out []map[string]any
	var notes []string
	for _, b := range bindings {
		bobj, _ := b.Spec.(map[string]any)
		bspec, _ := bobj["spec"].(map[string]any)
		ref, _ := bspec["roleRef"].(map[string]any)
		roleName, _ := ref["name"].(string)
		var from []any
		subjects, _ := bspec["subjects"].([]any)
		for _, sub := range subjects {
			sm, _ := sub.(map[string]any)
			src := map[string]any{}
			if u, _ := sm["user"].(string); u != "" {
				if u == "*" {
					src["principals"] = []any{"*"}
				} else {
					src["principals"] = []any{u}
				}
			}
			if props, _ := sm["properties"].(map[string]any); props != nil {
				if nsv, _ := props["source.namespace"].(string); nsv != "" {
					src["namespaces"] = []any{nsv}
				}
				if ip, _ := props["source.ip"].(string); ip != "" {
					src["ipBlocks"] = []any{ip}
				}
			}
			if len(src) > 0 {
				from = append(from, map[string]any{"source": src})
			}
		}
		var to []any
		var selector map[string]any
		if role := s.Get(KindServiceRole, b.Namespace, roleName); role != nil {
			robj, _ := role.Spec.(map[string]any)
			rspec, _ := robj["spec"].(map[string]any)
			rules, _ := rspec["rules"].([]any)
			for _, rr := range rules {
				rm, _ := rr.(map[string]any)
				op := map[string]any{}
				if m := stringsOf(rm["methods"]); len(m) > 0 && !(len(m) == 1 && m[0] == "*") {
					op["methods"] = anyList(m)
				}
				if p := stringsOf(rm["paths"]); len(p) > 0 && !(len(p) == 1 && p[0] == "*") {
					op["paths"] = anyList(p)
				}
				if svcs := stringsOf(rm["services"]); len(svcs) == 1 && svcs[0] != "*" {
					name := strings.SplitN(svcs[0], ".", 2)[0]
					sel, note := targetSelector(s, b.Namespace, name)
					selector = sel
					if note != "" {
						notes = append(notes, note)
					}
				} else if len(svcs) > 1 {
					notes = append(notes, fmt.Sprintf("role %q names several services; write one AuthorizationPolicy per workload", roleName))
				}
				if len(op) > 0 {
					to = append(to, map[string]any{"operation": op})
				}
			}
		} else {
			notes = append(notes, fmt.Sprintf("ServiceRole %q is not in the inputs: add its rules under to:", roleName))
		}
		rule := map[string]any{}
		if len(from) > 0 {
			rule["from"] = from
		}
		if len(to) > 0 {
			rule["to"] = to
		}
		ap := map[string]any{"action": "ALLOW", "rules": []any{rule}}
		if selector != nil {
			ap["selector"] = selector
		}
		out = append(out, newIstioObject("AuthorizationPolicy", b.Namespace, b.Name, ap))
	}
	sort.Strings(notes)
	return out, notes
}

func convertRbacConfig(s *Snapshot, r *Resource, spec map[string]any) ([]map[string]any, []string) {
	mode, _ := spec["mode"].(string)
	switch mode {
	case "ON":
		return []map[string]any{newIstioObject("AuthorizationPolicy", s.RootNamespace(), "allow-nothing", map[string]any{})},
			[]string{"mode ON: deny every request mesh-wide unless an ALLOW policy matches it"}
	case "ON_WITH_INCLUSION":
		inc, _ := spec["inclusion"].(map[string]any)
		var out []map[string]any
		for _, ns := range stringsOf(inc["namespaces"]) {
			out = append(out, newIstioObject("AuthorizationPolicy", ns, "allow-nothing", map[string]any{}))
		}
		return out, []string{"mode ON_WITH_INCLUSION: deny every request in the included namespaces unless an ALLOW policy matches it"}
	case "ON_WITH_EXCLUSION":
		return []map[string]any{newIstioObject("AuthorizationPolicy", s.RootNamespace(), "allow-nothing", map[string]any{})},
			[]string{"mode ON_WITH_EXCLUSION: excluded namespaces need an ALLOW-all policy (rules: [{}]) of their own"}
	}
	return nil, []string{"mode OFF: nothing to replace; delete it"}
}
