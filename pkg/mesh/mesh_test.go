package mesh

import (
	"fmt"
	"testing"
)

func TestFQDN(t *testing.T) {
	t.Parallel()
	cases := []struct{ host, ns, domain, want string }{
		{"reviews", "bookinfo", "cluster.local", "reviews.bookinfo.svc.cluster.local"},
		{"reviews", "bookinfo", "corp.example", "reviews.bookinfo.svc.corp.example"},
		{"reviews.bookinfo", "default", "cluster.local", "reviews.bookinfo"}, // a dot: kept
		{"reviews.bookinfo.svc.cluster.local", "x", "cluster.local", "reviews.bookinfo.svc.cluster.local"},
		{"*.example.com", "ns", "cluster.local", "*.example.com"},
		{"*", "ns", "cluster.local", "*"},
		{"", "ns", "cluster.local", ""},
		{"10.0.0.1", "ns", "cluster.local", "10.0.0.1"},
		{"::1", "ns", "cluster.local", "::1"},         // IPv6: no dot, still an address
		{"fd00::a", "ns", "cluster.local", "fd00::a"}, // likewise
		{"*foo", "ns", "cluster.local", "*foo.ns.svc.cluster.local"},
		{"Reviews", "ns", "cluster.local", "Reviews.ns.svc.cluster.local"}, // case kept
		{"reviews", "", "cluster.local", "reviews.svc.cluster.local"},
		{"reviews", "ns", "", "reviews.ns"},
	}
	for _, c := range cases {
		if got := FQDN(c.host, c.ns, c.domain); got != c.want {
			t.Errorf("FQDN(%q, %q, %q) = %q, want %q", c.host, c.ns, c.domain, got, c.want)
		}
	}
}

func TestClusterDomainOr(t *testing.T) {
	t.Parallel()
	if got := ClusterDomainOr(""); got != "cluster.local" {
		t.Errorf("ClusterDomainOr(\"\") = %q", got)
	}
	if got := ClusterDomainOr("corp.example"); got != "corp.example" {
		t.Errorf("ClusterDomainOr(corp.example) = %q", got)
	}
}

func TestInjectorClusterDomain(t *testing.T) {
	t.Parallel()
	cases := []struct{ values, want string }{
		{`{"global":{"proxy":{"clusterDomain":"corp.example"}}}`, "corp.example"},
		{`{"global":{"proxy":{"image":"proxyv2"}}}`, ""},
		{`{}`, ""},
		{``, ""},
		{`global: {proxy: {clusterDomain: x}}`, ""}, // not JSON
	}
	for _, c := range cases {
		if got := InjectorClusterDomain(c.values); got != c.want {
			t.Errorf("InjectorClusterDomain(%q) = %q, want %q", c.values, got, c.want)
		}
	}
}

func TestHostMatches(t *testing.T) {
	t.Parallel()
	cases := []struct {
		a, b string
		want bool
	}{
		{"foo.com", "foo.com", true},
		{"foo.com", "bar.com", false},
		{"*.com", "foo.com", true},
		{"foo.com", "*.com", true},
		{"*.foo.com", "foo.com", false}, // a wildcard needs a label before the suffix
		{"foo.com", "*.foo.com", false},
		{"*", "foo.com", true},
		{"foo.com", "*", true},
		{"*", "*.com", true},
		{"*.com", "*", true},
		{"*.com", "*.foo.com", true}, // both wildcards: one covers the other
		{"*.foo.com", "*.com", true},
		{"*.foo.com", "*.bar.com", false},
		{"*.com", "foo.org", false},
		{"*.local", "reviews.default.svc.cluster.local", true},
		{"*.example.com", "*.b.example.com", true},
		{"Foo.com", "foo.com", false}, // case-sensitive
		{"*.Foo.com", "a.foo.com", false},
		{"", "", true},
		{"", "foo.com", false},
		{"*", "", true},
	}
	for _, c := range cases {
		if got := HostMatches(c.a, c.b); got != c.want {
			t.Errorf("HostMatches(%q, %q) = %v, want %v", c.a, c.b, got, c.want)
		}
	}
}

func TestHostCoveredBy(t *testing.T) {
	t.Parallel()
	cases := []struct {
		host, pattern string
		want          bool
	}{
		{"reviews.ns.svc.cluster.local", "reviews.ns.svc.cluster.local", true},
		{"reviews.ns.svc.cluster.local", "*.ns.svc.cluster.local", true},
		{"reviews.ns.svc.cluster.local", "*.svc.cluster.local", true},
		{"reviews.ns.svc.cluster.local", "*", true},
		{"reviews.ns.svc.cluster.local", "*.other.svc.cluster.local", false},
		{"reviews.ns.svc.cluster.local", "ratings.ns.svc.cluster.local", false},
		{"reviews.ns.svc.cluster.local", "", false},
		{"reviews.ns.svc.cluster.local", "Reviews.ns.svc.cluster.local", false},
		{"*.ns.svc.cluster.local", "*.svc.cluster.local", true},
		{"*.svc.cluster.local", "*.ns.svc.cluster.local", false}, // the wider does not fit in the narrower
		{"*.ns.svc.cluster.local", "reviews.ns.svc.cluster.local", false},
		{"*", "*", true},
		{"*.com", "*", true},
		{"*", "*.com", false},
		{"foo.com", "*.foo.com", false},
	}
	for _, c := range cases {
		if got := HostCoveredBy(c.host, c.pattern); got != c.want {
			t.Errorf("HostCoveredBy(%q, %q) = %v, want %v", c.host, c.pattern, got, c.want)
		}
		// Covered either way is an overlap; an overlap with a plain host
		// on one side is a cover of that host.
		if c.want && !HostMatches(c.host, c.pattern) {
			t.Errorf("HostCoveredBy(%q, %q) but not HostMatches", c.host, c.pattern)
		}
	}
}

func TestMoreSpecific(t *testing.T) {
	t.Parallel()
	cases := []struct {
		a, b string
		want bool
	}{
		{"reviews.ns.svc.cluster.local", "*.ns.svc.cluster.local", true},
		{"*.ns.svc.cluster.local", "reviews.ns.svc.cluster.local", false},
		{"*.ns.svc.cluster.local", "*.svc.cluster.local", true},
		{"*.svc.cluster.local", "*.ns.svc.cluster.local", false},
		{"*.svc.cluster.local", "*", true},
		{"*", "*.svc.cluster.local", false},
		{"*", "*", false},
		{"a.b", "a.b", false},
	}
	for _, c := range cases {
		if got := MoreSpecific(c.a, c.b); got != c.want {
			t.Errorf("MoreSpecific(%q, %q) = %v, want %v", c.a, c.b, got, c.want)
		}
	}
}

func TestExportTo(t *testing.T) {
	t.Parallel()
	cases := []struct {
		exportTo   []string
		own        string
		normalized string
		seenBy     []string
		notSeenBy  []string
	}{
		{nil, "a", "[*]", []string{"a", "b"}, nil},
		{[]string{}, "a", "[*]", []string{"a", "b"}, nil},
		{[]string{"*"}, "a", "[*]", []string{"a", "b", "zz"}, nil},
		{[]string{"."}, "a", "[a]", []string{"a"}, []string{"b", "~", "."}},
		{[]string{"b"}, "a", "[b]", []string{"b"}, []string{"a", "c"}},
		{[]string{".", "b"}, "a", "[a b]", []string{"a", "b"}, []string{"c"}},
		{[]string{"~"}, "a", "[~]", nil, []string{"a", "b", "~"}},
		{[]string{" . ", " b"}, "a", "[a b]", []string{"a", "b"}, []string{"c"}},
		{[]string{"b", "*"}, "a", "[b *]", []string{"a", "c"}, nil},
	}
	for _, c := range cases {
		n := NormalizeExportTo(c.exportTo, c.own)
		if got := fmt.Sprint(n); got != c.normalized {
			t.Errorf("NormalizeExportTo(%q, %q) = %s, want %s", c.exportTo, c.own, got, c.normalized)
		}
		for _, ns := range c.seenBy {
			if !Visible(n, ns) {
				t.Errorf("Visible(%q, %q) = false", n, ns)
			}
			if !ExportedTo(c.exportTo, c.own, ns) {
				t.Errorf("ExportedTo(%q, %q, %q) = false", c.exportTo, c.own, ns)
			}
		}
		for _, ns := range c.notSeenBy {
			if Visible(n, ns) {
				t.Errorf("Visible(%q, %q) = true", n, ns)
			}
			if ExportedTo(c.exportTo, c.own, ns) {
				t.Errorf("ExportedTo(%q, %q, %q) = true", c.exportTo, c.own, ns)
			}
		}
	}
}

func TestExportsOverlap(t *testing.T) {
	t.Parallel()
	cases := []struct {
		a, b []string
		want bool
	}{
		{[]string{"*"}, []string{"x"}, true},
		{[]string{"x"}, []string{"*"}, true},
		{[]string{"x"}, []string{"x", "y"}, true},
		{[]string{"x"}, []string{"y"}, false},
		{[]string{"~"}, []string{"*"}, false},
		{[]string{"*"}, []string{"~"}, false},
		{[]string{"~"}, []string{"~"}, false},
		{nil, []string{"*"}, false},
	}
	for _, c := range cases {
		if got := ExportsOverlap(c.a, c.b); got != c.want {
			t.Errorf("ExportsOverlap(%q, %q) = %v, want %v", c.a, c.b, got, c.want)
		}
	}
}

func TestNamedViewers(t *testing.T) {
	t.Parallel()
	cases := []struct {
		ns       string
		exportTo []string
		want     string
	}{
		{"a", nil, "[a]"},
		{"a", []string{"*"}, "[a]"},
		{"a", []string{".", "~"}, "[a]"},
		{"a", []string{"b", "a", "c"}, "[a b c]"},
	}
	for _, c := range cases {
		if got := fmt.Sprint(NamedViewers(c.ns, c.exportTo)); got != c.want {
			t.Errorf("NamedViewers(%q, %q) = %s, want %s", c.ns, c.exportTo, got, c.want)
		}
	}
}
