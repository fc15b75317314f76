package authz

import (
	"net/netip"
	"strconv"
	"strings"

	"github.com/meshctl/meshctl/pkg/mesh"
)

// matchString is Istio's string match for policy values: "*" matches any
// non-empty value, "abc*" a prefix, "*abc" a suffix, anything else exactly.
func matchString(pattern, v string) bool {
	switch {
	case pattern == "*":
		return v != ""
	case strings.HasPrefix(pattern, "*"):
		return strings.HasSuffix(v, pattern[1:])
	case strings.HasSuffix(pattern, "*"):
		return strings.HasPrefix(v, pattern[:len(pattern)-1])
	}
	return pattern == v
}

// matchHost is matchString without regard to case (the Host header).
func matchHost(pattern, v string) bool {
	return matchString(strings.ToLower(pattern), strings.ToLower(v))
}

// matchPath matches a request path (query string removed) against a policy
// path: exact, "/prefix*", "*suffix", "*", or a template with "{*}" (one
// segment) and "{**}" (one or more segments).
func matchPath(pattern, path string) bool {
	if i := strings.IndexAny(path, "?#"); i >= 0 {
		path = path[:i]
	}
	if strings.Contains(pattern, "{*}") || strings.Contains(pattern, "{**}") {
		return matchTemplate(strings.Split(pattern, "/"), strings.Split(path, "/"))
	}
	return matchString(pattern, path)
}

func matchTemplate(pat, segs []string) bool {
	if len(pat) == 0 {
		return len(segs) == 0
	}
	switch pat[0] {
	case "{**}":
		// one or more segments, then the rest of the template
		for n := 1; n <= len(segs); n++ {
			if matchTemplate(pat[1:], segs[n:]) {
				return true
			}
		}
		return false
	case "{*}":
		return len(segs) > 0 && segs[0] != "" && matchTemplate(pat[1:], segs[1:])
	}
	if len(segs) == 0 || !matchSegment(pat[0], segs[0]) {
		return false
	}
	return matchTemplate(pat[1:], segs[1:])
}

// matchSegment allows a segment such as "*.txt" or "v1*" inside a template.
func matchSegment(p, s string) bool {
	if p != "*" && strings.Contains(p, "*") {
		return matchString(p, s)
	}
	return p == s
}

// matchIP reports whether ip lies in a CIDR or equals an address. An
// unknown or malformed ip matches nothing.
func matchIP(block, ip string) bool {
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return false
	}
	if strings.Contains(block, "/") {
		p, err := netip.ParsePrefix(block)
		return err == nil && p.Contains(addr)
	}
	b, err := netip.ParseAddr(block)
	return err == nil && b == addr
}

// matchPort compares a policy port (a decimal string) with a port number.
func matchPort(pattern string, port int32) bool {
	n, err := strconv.Atoi(strings.TrimSpace(pattern))
	return err == nil && int32(n) == port
}

// principal is a workload identity split into trust domain, namespace and
// service account. An empty principal is a plaintext peer.
type principal struct{ td, ns, sa string }

func parsePrincipal(p string) principal {
	p = strings.TrimPrefix(p, "spiffe://")
	parts := strings.Split(p, "/")
	if len(parts) == 5 && parts[1] == "ns" && parts[3] == "sa" {
		return principal{td: parts[0], ns: parts[2], sa: parts[4]}
	}
	return principal{}
}

func (p principal) String() string {
	if p.td == "" {
		return ""
	}
	return p.td + "/ns/" + p.ns + "/sa/" + p.sa
}

// matchPrincipal matches a policy principal against a peer's. A policy
// principal written with "cluster.local" or any trust domain alias stands
// for the mesh's own trust domain, as Istio rewrites it.
func matchPrincipal(pattern string, peer principal, m Mesh) bool {
	v := peer.String()
	if v == "" {
		return false
	}
	pattern = strings.TrimPrefix(pattern, "spiffe://")
	if pattern == "*" {
		return true
	}
	if i := strings.Index(pattern, "/"); i > 0 && !strings.Contains(pattern[:i], "*") {
		td := pattern[:i]
		if sameTrustDomain(td, peer.td, m) {
			pattern = peer.td + pattern[i:]
		}
	}
	return matchString(pattern, v)
}

func sameTrustDomain(a, b string, m Mesh) bool {
	if a == b {
		return true
	}
	local := func(td string) bool {
		if td == mesh.DefaultTrustDomain || td == m.TrustDomain {
			return true
		}
		for _, al := range m.TrustDomainAliases {
			if td == al {
				return true
			}
		}
		return false
	}
	return local(a) && local(b)
}

// matchNamespace matches source.namespaces: the namespace part of the
// peer's principal, so a plaintext peer never matches.
func matchNamespace(pattern string, peer principal) bool {
	if peer.td == "" {
		return false
	}
	return matchString(pattern, peer.ns)
}

// matchServiceAccount matches "NAMESPACE/SA", or "SA" in the policy's own
// namespace.
func matchServiceAccount(pattern, policyNS string, peer principal) bool {
	if peer.td == "" {
		return false
	}
	ns, sa := policyNS, pattern
	if i := strings.Index(pattern, "/"); i >= 0 {
		ns, sa = pattern[:i], pattern[i+1:]
	}
	return ns == peer.ns && sa == peer.sa
}

// anyOf reports whether any pattern matches.
func anyOf(patterns []string, f func(string) bool) bool {
	for _, p := range patterns {
		if f(p) {
			return true
		}
	}
	return false
}
