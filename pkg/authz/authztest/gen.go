// Package authztest generates synthetic meshes (namespaces, workloads,
// services and a mix of security policies) for benchmarks and load tests of
// the authz model. The output is deterministic for given sizes.
package authztest

import (
	"fmt"
	"io"
	"strings"
)

// Sizes of a generated mesh.
type Sizes struct {
	Workloads int // one Deployment per workload
	Services  int // services select workloads round-robin
	Policies  int // PeerAuthentication, DestinationRule and AuthorizationPolicy mixed
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
	_, err := io.WriteString(w, b.String())
	return err
}
