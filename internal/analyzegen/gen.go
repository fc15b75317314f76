// Package analyzegen generates Istio configuration of a chosen size for
// benchmarks of the analysis: N apps, each a Service, a Deployment, a
// DestinationRule with two subsets and a VirtualService splitting traffic
// between them, spread over namespaces that each hold a Gateway, a
// PeerAuthentication and an AuthorizationPolicy. The output is valid,
// finding-free config and the same bytes for the same arguments.
package analyzegen

import (
	"bufio"
	"fmt"
	"io"
)

// AppsPerNamespace is how many apps share a namespace by default.
const AppsPerNamespace = 50

// Options choose the size and shape of the config.
type Options struct {
	Apps int
	// Namespaces spreads the apps evenly over this many namespaces; 0
	// puts AppsPerNamespace apps in each. One namespace holding every app
	// is what shows costs that grow with the apps of a namespace.
	Namespaces int
}

// Generate writes config for apps apps, AppsPerNamespace to a namespace,
// as one YAML stream.
func Generate(w io.Writer, apps int) error { return GenerateOptions(w, Options{Apps: apps}) }

// GenerateOptions writes the config o describes as one YAML stream.
func GenerateOptions(w io.Writer, o Options) error {
	if o.Apps < 0 || o.Namespaces < 0 {
		return fmt.Errorf("apps (%d) and namespaces (%d) must not be negative", o.Apps, o.Namespaces)
	}
	per := AppsPerNamespace
	if o.Namespaces > 0 {
		per = max(1, (o.Apps+o.Namespaces-1)/o.Namespaces)
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	for i := 0; i < o.Apps; i++ {
		ns := fmt.Sprintf("team-%03d", i/per)
		if i%per == 0 {
			fmt.Fprintf(bw, nsTemplate, ns)
		}
		name := fmt.Sprintf("app-%05d", i)
		fmt.Fprintf(bw, appTemplate, name, ns)
	}
	return bw.Flush()
}

const nsTemplate = `---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: ingress
  namespace: %[1]s
spec:
  selector:
    istio: ingressgateway
  servers:
  - port:
      number: 80
      name: http
      protocol: HTTP
    hosts:
    - "%[1]s.example.com"
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata:
  name: default
  namespace: %[1]s
spec:
  mtls:
    mode: STRICT
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: allow-same-namespace
  namespace: %[1]s
spec:
  action: ALLOW
  rules:
  - from:
    - source:
        namespaces: ["%[1]s", "istio-system"]
`

const appTemplate = `---
apiVersion: v1
kind: Service
metadata:
  name: %[1]s
  namespace: %[2]s
spec:
  selector:
    app: %[1]s
  ports:
  - name: http
    port: 8080
    targetPort: 8080
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: %[1]s
  namespace: %[2]s
  labels:
    app: %[1]s
    version: v1
spec:
  replicas: 2
  selector:
    matchLabels:
      app: %[1]s
      version: v1
  template:
    metadata:
      labels:
        app: %[1]s
        version: v1
    spec:
      containers:
      - name: app
        image: registry.example.com/%[1]s:1.0.0
        ports:
        - containerPort: 8080
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: %[1]s
  namespace: %[2]s
spec:
  host: %[1]s
  subsets:
  - name: v1
    labels:
      version: v1
  - name: stable
    labels:
      app: %[1]s
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: %[1]s
  namespace: %[2]s
spec:
  hosts:
  - %[1]s
  http:
  - match:
    - uri:
        prefix: /api
    timeout: 5s
    route:
    - destination:
        host: %[1]s
        subset: v1
      weight: 90
    - destination:
        host: %[1]s
        subset: stable
      weight: 10
  - route:
    - destination:
        host: %[1]s
`
