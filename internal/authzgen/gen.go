// Package authzgen generates synthetic meshes (namespaces, workloads,
// services, a mix of security policies and, on request, the traffic
// objects that decide reachability: Sidecars, ServiceEntries,
// VirtualServices and NetworkPolicies) for benchmarks and load tests of
// the authz model. The output is deterministic for given sizes; sizes whose
// reachability counts are zero give the same bytes as before those kinds
// existed.
package authzgen

import (
	"fmt"
	"io"
	"strings"
)

// Sizes of a generated mesh. The reachability kinds (Sidecars and after)
// are written after everything else; zero writes none of them.
type Sizes struct {
	Workloads int // one Deployment per workload
	Services  int // services select workloads round-robin
	Policies  int // PeerAuthentication, DestinationRule and AuthorizationPolicy mixed

	// Sidecars: the first is a mesh-wide default in istio-system
	// (REGISTRY_ONLY, every host imported), then one per namespace in
	// every other namespace and the rest select one workload each, with
	// egress hosts such as "./*", "istio-system/*", "NS/*" and
	// "*/*.example.com", some REGISTRY_ONLY.
	Sidecars int
	// ServiceEntries: three in four are MESH_EXTERNAL hosts
	// api-N.example.com (ports 80 and 443, resolution DNS, some exported
	// only to their namespace); the rest are MESH_INTERNAL, selecting a
	// workload or listing a VM endpoint.
	ServiceEntries int
	// VirtualServices route the generated services (the Nth routes
	// svc-(N mod Services)): header, path, method and regex matches,
	// weighted routes to subsets and to another service, fault aborts,
	// redirects and one route to a subset no rule defines. The subsets are
	// defined by extra DestinationRules, SubsetRules of them, beyond
	// Policies.
	VirtualServices int
	// NetworkPolicies: a default deny of ingress in every fifth namespace,
	// then one policy per workload (round-robin): allow from the own and
	// next namespace, from tiers, from any namespace, from injected
	// namespaces, egress kept in the namespace, egress to the world on 443
	// only, and a rule naming the Service port instead of the pod's.
	NetworkPolicies int
}

// SubsetRules is the number of DestinationRules Write adds to define the
// subsets its VirtualServices route to (not counted in Policies).
func (s Sizes) SubsetRules() int {
	n := 0
	for i := 0; i < s.VirtualServices && s.Services > 0; i++ {
		if vsSubsets(i) {
			n++
		}
	}
	return n
}

// Write writes the mesh as a YAML stream.
func Write(w io.Writer, s Sizes) error {
	var b strings.Builder
	nns := s.Workloads / 10
	if nns < 1 {
		nns = 1
	}
	ns := func(i int) string { return fmt.Sprintf("ns-%02d", i%nns) }
	b.WriteString("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: istio, namespace: istio-system}\ndata:\n  mesh: |\n    enableAutoMtls: true\n---\n")
	for i := 0; i < nns; i++ {
		label := "{istio-injection: enabled}"
		if i%5 == 3 {
			label = "{}" // every fifth namespace runs without sidecars
		}
		fmt.Fprintf(&b, "apiVersion: v1\nkind: Namespace\nmetadata: {name: %s, labels: %s}\n---\n", ns(i), label)
	}
	for i := 0; i < s.Workloads; i++ {
		fmt.Fprintf(&b, `apiVersion: apps/v1
kind: Deployment
metadata: {name: app-%d, namespace: %s}
spec:
  selector: {matchLabels: {app: app-%d}}
  template:
    metadata: {labels: {app: app-%d, tier: t%d}}
    spec:
      serviceAccountName: app-%d
      containers: [{name: app, image: example/app, ports: [{name: http, containerPort: 80}]}]
---
`, i, ns(i), i, i, i%3, i)
	}
	for i := 0; i < s.Services; i++ {
		wl := i % max(1, s.Workloads)
		fmt.Fprintf(&b, "apiVersion: v1\nkind: Service\nmetadata: {name: svc-%d, namespace: %s}\nspec: {selector: {app: app-%d}, ports: [{name: http, port: 8080, targetPort: http}]}\n---\n", i, ns(wl), wl)
	}
	for i := 0; i < s.Policies; i++ {
		n := ns(i)
		switch {
		case i == 0:
			b.WriteString("apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: default, namespace: istio-system}\nspec: {mtls: {mode: STRICT}}\n---\n")
		case i%10 == 1:
			fmt.Fprintf(&b, "apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: pa-%d, namespace: %s}\nspec:\n  selector: {matchLabels: {app: app-%d}}\n  mtls: {mode: PERMISSIVE}\n  portLevelMtls: {80: {mode: STRICT}}\n---\n", i, n, i%max(1, s.Workloads))
		case i%10 == 2:
			mode := "ISTIO_MUTUAL"
			if i%4 == 0 {
				mode = "DISABLE"
			}
			fmt.Fprintf(&b, "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: dr-%d, namespace: %s}\nspec: {host: '*.%s.svc.cluster.local', trafficPolicy: {tls: {mode: %s}}}\n---\n", i, n, ns(i+1), mode)
		case i%10 == 3:
			fmt.Fprintf(&b, `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: deny-%d, namespace: %s}
spec:
  action: DENY
  selector: {matchLabels: {tier: t%d}}
  rules:
  - from: [{source: {notNamespaces: [%s, %s], notPrincipals: ["cluster.local/ns/%s/*"]}}]
    to: [{operation: {paths: ["/admin/*", "*/secret"], methods: [DELETE]}}]
---
`, i, n, i%3, n, ns(i+2), ns(i+3))
		default:
			fmt.Fprintf(&b, `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: allow-%d, namespace: %s}
spec:
  selector: {matchLabels: {app: app-%d}}
  rules:
  - from: [{source: {namespaces: [%s, %s]}}, {source: {principals: ["cluster.local/ns/%s/sa/*"]}}]
    to: [{operation: {methods: [GET, HEAD], paths: ["/api/{*}/items", "/"]}}]
  - from: [{source: {ipBlocks: [10.0.0.0/8]}}]
    when: [{key: "request.headers[x-tenant]", values: ["t%d"]}]
---
`, i, n, (i*7)%max(1, s.Workloads), n, ns(i+1), ns(i+4), i%5)
		}
	}
	g := gen{b: &b, s: s, nns: nns, ns: ns}
	g.sidecars()
	g.serviceEntries()
	g.virtualServices()
	g.networkPolicies()
	_, err := io.WriteString(w, b.String())
	return err
}

// gen writes the reachability kinds. Workload k is app-k in ns(k), with
// labels app and tier t(k mod 3); service j selects workload j mod
// Workloads; namespaces i mod 5 == 3 have no sidecar injection.
type gen struct {
	b   *strings.Builder
	s   Sizes
	nns int
	ns  func(int) string
}

func (g gen) wl(k int) int { return k % max(1, g.s.Workloads) }

func (g gen) sidecars() {
	for i := 0; i < g.s.Sidecars; i++ {
		if i == 0 {
			g.b.WriteString(`apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: default, namespace: istio-system}
spec:
  egress: [{hosts: ["*/*"]}]
  outboundTrafficPolicy: {mode: REGISTRY_ONLY}
---
`)
			continue
		}
		j := i - 1
		if j < g.nns && j%2 == 0 {
			// A namespace-wide Sidecar in every other namespace.
			n := g.ns(j)
			if j%4 == 0 {
				// Only the own namespace and the control plane: calls to
				// other namespaces pass through (mesh ALLOW_ANY).
				fmt.Fprintf(g.b, "apiVersion: networking.istio.io/v1\nkind: Sidecar\nmetadata: {name: sidecar-%d, namespace: %s}\nspec:\n  egress: [{hosts: [\"./*\", \"istio-system/*\"]}]\n---\n", i, n)
			} else {
				fmt.Fprintf(g.b, `apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: sidecar-%d, namespace: %s}
spec:
  egress: [{hosts: ["./*", "istio-system/*", "%s/*", "*/*.example.com"]}]
  outboundTrafficPolicy: {mode: REGISTRY_ONLY}
---
`, i, n, g.ns(j+1))
			}
			continue
		}
		// A Sidecar for one workload.
		k := g.wl(j)
		n := g.ns(k)
		switch k % 3 {
		case 0:
			// Port 8080 has its own listener: only two namespaces there.
			fmt.Fprintf(g.b, `apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: sidecar-%d, namespace: %s}
spec:
  workloadSelector: {labels: {app: app-%d}}
  egress:
  - port: {number: 8080, protocol: HTTP, name: http}
    hosts: ["./*", "%s/*"]
  - hosts: ["*/*"]
---
`, i, n, k, g.ns(k+1))
		case 1:
			fmt.Fprintf(g.b, `apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: sidecar-%d, namespace: %s}
spec:
  workloadSelector: {labels: {app: app-%d}}
  egress: [{hosts: ["*/*"]}]
  outboundTrafficPolicy: {mode: REGISTRY_ONLY}
---
`, i, n, k)
		default:
			fmt.Fprintf(g.b, `apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: sidecar-%d, namespace: %s}
spec:
  workloadSelector: {labels: {app: app-%d}}
  ingress:
  - port: {number: 80, protocol: HTTP, name: http}
    defaultEndpoint: 127.0.0.1:80
  egress: [{hosts: ["./*", "istio-system/*", "*/*.example.com"]}]
  outboundTrafficPolicy: {mode: REGISTRY_ONLY}
---
`, i, n, k)
		}
	}
}

func (g gen) serviceEntries() {
	for i := 0; i < g.s.ServiceEntries; i++ {
		switch {
		case i%4 != 3:
			// An external API; every other one lists 443 first (the
			// matrix calls the first port).
			ports := "[{number: 80, name: http, protocol: HTTP}, {number: 443, name: https, protocol: TLS}]"
			if i%2 == 1 {
				ports = "[{number: 443, name: https, protocol: TLS}, {number: 80, name: http, protocol: HTTP}]"
			}
			export := ""
			if i%6 == 0 {
				export = "\n  exportTo: [.]"
			}
			fmt.Fprintf(g.b, "apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata: {name: api-%d, namespace: %s}\nspec:\n  hosts: [api-%d.example.com]\n  location: MESH_EXTERNAL\n  resolution: DNS\n  ports: %s%s\n---\n", i, g.ns(i), i, ports, export)
		case i%8 == 3:
			// An extra in-mesh name for a workload.
			k := g.wl(i)
			fmt.Fprintf(g.b, `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: internal-%d, namespace: %s}
spec:
  hosts: [internal-%d.mesh.example]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{number: 8000, name: http, protocol: HTTP, targetPort: 80}]
  workloadSelector: {labels: {app: app-%d}}
---
`, i, g.ns(k), i, k)
		default:
			// A database on a VM with a sidecar.
			fmt.Fprintf(g.b, `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: vm-db-%d, namespace: %s}
spec:
  hosts: [db-%d.vm.example]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{number: 5432, name: tcp-postgres, protocol: TCP}]
  endpoints: [{address: 10.200.%d.%d, serviceAccount: db-%d, labels: {app: db-%d}}]
---
`, i, g.ns(i), i, (i/250)%250, 1+i%250, i, i)
		}
	}
}

// vsSubsets says whether VirtualService i routes to subsets v1 and v2.
func vsSubsets(i int) bool {
	switch i % 10 {
	case 0, 4, 5, 7:
		return true
	}
	return false
}

func (g gen) virtualServices() {
	if g.s.Services == 0 {
		return
	}
	for i := 0; i < g.s.VirtualServices; i++ {
		j := i % g.s.Services
		k := g.wl(j)
		n := g.ns(k)
		other := (j + 1) % g.s.Services
		otherHost := fmt.Sprintf("svc-%d.%s.svc.cluster.local", other, g.ns(g.wl(other)))
		head := fmt.Sprintf("apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: vs-%d, namespace: %s}\nspec:\n  hosts: [svc-%d]\n  http:\n", i, n, j)
		var http string
		switch i % 10 {
		case 0, 5:
			http = fmt.Sprintf(`  - name: canary
    match: [{headers: {x-canary: {exact: "true"}}}]
    route: [{destination: {host: svc-%d, subset: v2}}]
  - name: default
    route:
    - {destination: {host: svc-%d, subset: v1}, weight: 90}
    - {destination: {host: svc-%d, subset: v2}, weight: 10}
`, j, j, j)
		case 1:
			http = fmt.Sprintf(`  - name: v2-api
    match: [{uri: {prefix: /api/v2}}]
    route: [{destination: {host: %s}}]
  - route: [{destination: {host: svc-%d}}]
    timeout: 5s
    retries: {attempts: 3, perTryTimeout: 2s}
`, otherHost, j)
		case 2:
			http = fmt.Sprintf(`  - fault: {abort: {percentage: {value: 10}, httpStatus: 503}, delay: {percentage: {value: 5}, fixedDelay: 1s}}
    route: [{destination: {host: svc-%d}}]
`, j)
		case 3:
			if i%20 == 3 {
				// Down for maintenance: every request is aborted.
				http = fmt.Sprintf("  - name: maintenance\n    fault: {abort: {percentage: {value: 100}, httpStatus: 500}}\n    route: [{destination: {host: svc-%d}}]\n", j)
			} else {
				http = fmt.Sprintf(`  - name: chaos
    match: [{headers: {x-chaos: {exact: "on"}}}]
    fault: {abort: {percentage: {value: 100}, httpStatus: 500}}
    route: [{destination: {host: svc-%d}}]
  - route: [{destination: {host: svc-%d}}]
`, j, j)
			}
		case 4:
			http = fmt.Sprintf(`  - match: [{method: {exact: POST}, uri: {prefix: /orders}}]
    route: [{destination: {host: svc-%d, subset: v2}}]
  - match: [{headers: {end-user: {exact: jason}}}]
    route: [{destination: {host: svc-%d, subset: v2}}]
  - route: [{destination: {host: svc-%d, subset: v1}}]
`, j, j, j)
		case 6:
			http = fmt.Sprintf(`  - name: shift
    route:
    - {destination: {host: svc-%d}, weight: 80}
    - {destination: {host: %s}, weight: 20}
`, j, otherHost)
		case 7:
			subset := "v1"
			if i%20 == 7 {
				subset = "v3" // no DestinationRule defines it
			}
			http = fmt.Sprintf("  - route: [{destination: {host: svc-%d, subset: %s}}]\n", j, subset)
		case 8:
			http = fmt.Sprintf(`  - match: [{uri: {regex: "/items/[0-9]+"}}]
    route: [{destination: {host: svc-%d}}]
    timeout: 2s
  - route: [{destination: {host: svc-%d}}]
`, j, j)
		case 9:
			http = fmt.Sprintf(`  - match: [{uri: {prefix: /old}}]
    redirect: {uri: /new}
  - match: [{sourceLabels: {tier: t0}}]
    route: [{destination: {host: svc-%d}}]
    headers: {request: {set: {x-tier: t0}}}
  - route: [{destination: {host: svc-%d}}]
`, j, j)
		}
		g.b.WriteString(head + http + "---\n")
		if vsSubsets(i) {
			fmt.Fprintf(g.b, "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: subsets-%d, namespace: %s}\nspec:\n  host: svc-%d\n  subsets:\n  - {name: v1, labels: {app: app-%d}}\n  - {name: v2, labels: {app: app-%d, tier: t%d}}\n---\n", i, n, j, k, k, k%3)
		}
	}
}

func (g gen) networkPolicies() {
	i := 0
	// A default deny of ingress in every fifth namespace.
	for n := 0; n < g.nns && i < g.s.NetworkPolicies; n += 5 {
		fmt.Fprintf(g.b, "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: default-deny-ingress, namespace: %s}\nspec: {podSelector: {}, policyTypes: [Ingress]}\n---\n", g.ns(n))
		i++
	}
	for k := 0; i < g.s.NetworkPolicies; i, k = i+1, k+1 {
		w := g.wl(k)
		n := g.ns(w)
		head := fmt.Sprintf("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: np-%d, namespace: %s}\nspec:\n  podSelector: {matchLabels: {app: app-%d}}\n", k, n, w)
		var body string
		switch k % 8 {
		case 0:
			body = "  ingress: [{ports: [{port: 80}]}]\n" // open on the pod port
		case 1:
			body = fmt.Sprintf("  ingress:\n  - from: [{podSelector: {}}, {namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: %s}}}]\n    ports: [{port: 80, protocol: TCP}]\n", g.ns(w+1))
		case 2:
			body = "  ingress:\n  - from: [{namespaceSelector: {}, podSelector: {matchExpressions: [{key: tier, operator: In, values: [t0, t1]}]}}]\n    ports: [{port: http}]\n"
		case 3:
			body = "  policyTypes: [Egress]\n  egress:\n  - to: [{podSelector: {}}]\n  - to: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}}]\n    ports: [{port: 53, protocol: UDP}, {port: 53, protocol: TCP}]\n"
		case 4:
			body = "  ingress: [{from: [{namespaceSelector: {}}]}]\n"
		case 5:
			if k%16 == 5 {
				// Names the Service port, not the pod's: nothing gets in.
				body = "  ingress: [{ports: [{port: 8080}]}]\n"
			} else {
				body = "  ingress: [{from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: istio-system}}}, {podSelector: {}}]}]\n"
			}
		case 6:
			body = "  policyTypes: [Ingress, Egress]\n  ingress: [{}]\n  egress:\n  - to: [{namespaceSelector: {}}]\n  - to: [{ipBlock: {cidr: 0.0.0.0/0}}]\n    ports: [{port: 443}]\n"
		case 7:
			body = "  ingress: [{from: [{namespaceSelector: {matchLabels: {istio-injection: enabled}}}]}]\n"
		}
		g.b.WriteString(head + body + "---\n")
	}
}
