// Package mesh holds the rules of Istio naming, visibility and sidecar
// presence that every reader of mesh configuration shares: how a short host
// name is completed, how wildcard hosts match, which namespaces see an
// object with an exportTo list, and whether a pod runs an Istio proxy.
//
// It only computes: it reads no files, talks to no cluster and prints
// nothing.
package mesh

import (
	"encoding/json"
	"net/netip"
	"strings"
)

// DefaultClusterDomain is the DNS suffix of Kubernetes service names when
// nothing says otherwise.
const DefaultClusterDomain = "cluster.local"

// DefaultTrustDomain is the trust domain of workload identities when the
// mesh config names none.
const DefaultTrustDomain = "cluster.local"

// FQDN completes a host name written in a resource of namespace ns, as
// Istio does: a name without a dot becomes NAME.NS.svc.DOMAIN; "*", IP
// addresses and names with a dot are kept as written. An empty ns or
// domain leaves out its part; an empty host stays empty.
func FQDN(host, ns, domain string) string {
	if host == "" || host == "*" || strings.Contains(host, ".") {
		return host
	}
	if strings.Contains(host, ":") {
		if _, err := netip.ParseAddr(host); err == nil {
			return host // an IPv6 address has no dot
		}
	}
	switch {
	case ns != "" && domain != "":
		return host + "." + ns + ".svc." + domain
	case ns != "":
		return host + "." + ns
	case domain != "":
		return host + ".svc." + domain
	}
	return host
}

// ClusterDomainOr returns domain, or DefaultClusterDomain when it is empty.
func ClusterDomainOr(domain string) string {
	if domain == "" {
		return DefaultClusterDomain
	}
	return domain
}

// InjectorClusterDomain reads global.proxy.clusterDomain from the values
// of the sidecar injector ConfigMap (its data.values, JSON). It returns ""
// when the values do not parse or do not set it.
func InjectorClusterDomain(values string) string {
	var v struct {
		Global struct {
			Proxy struct {
				ClusterDomain string `json:"clusterDomain"`
			} `json:"proxy"`
		} `json:"global"`
	}
	if json.Unmarshal([]byte(values), &v) != nil {
		return ""
	}
	return v.Global.Proxy.ClusterDomain
}

// Wildcard reports whether a host is a wildcard: "*" or "*.example.com".
func Wildcard(host string) bool { return strings.HasPrefix(host, "*") }

// HostMatches reports whether two hosts overlap: they are equal, or one is
// a wildcard that covers the other (both wildcards: one covers the other).
// "*.example.com" does not cover "example.com". Matching is case-sensitive,
// as Istio's is.
func HostMatches(a, b string) bool {
	aw, bw := Wildcard(a), Wildcard(b)
	switch {
	case aw && bw:
		if len(a) < len(b) {
			return strings.HasSuffix(b[1:], a[1:])
		}
		return strings.HasSuffix(a[1:], b[1:])
	case aw:
		return strings.HasSuffix(b, a[1:])
	case bw:
		return strings.HasSuffix(a, b[1:])
	}
	return a == b
}

// HostCoveredBy reports whether every name host stands for is also named
// by pattern: HostMatches in one direction only.
func HostCoveredBy(host, pattern string) bool {
	hw, pw := Wildcard(host), Wildcard(pattern)
	switch {
	case hw && pw:
		return len(host) >= len(pattern) && strings.HasSuffix(host[1:], pattern[1:])
	case hw:
		return false
	case pw:
		return strings.HasSuffix(host, pattern[1:])
	}
	return host == pattern
}

// MoreSpecific reports whether host a is a closer match than host b when
// both cover a name: an exact host beats a wildcard, and a longer wildcard
// beats a shorter one.
func MoreSpecific(a, b string) bool {
	aw, bw := Wildcard(a), Wildcard(b)
	if aw != bw {
		return !aw
	}
	return len(a) > len(b)
}
