package analyze

import (
	"reflect"
	"strings"
	"testing"

	meshconfig "istio.io/api/mesh/v1alpha1"
)

const helloSvc = `
apiVersion: v1
kind: Service
metadata: {name: helloworld, namespace: default}
spec:
  selector: {app: helloworld}
  ports: [{name: http, port: 5000}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: helloworld-v1, namespace: default}
spec:
  selector: {matchLabels: {app: helloworld, version: v1}}
  template:
    metadata: {labels: {app: helloworld, version: v1}}
    spec: {containers: [{name: hello, image: hello}]}
`

const helloDR = `
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: helloworld, namespace: default}
spec:
  host: helloworld
  subsets: [{name: v1, labels: {version: v1}}]
`

func vs(body string) string {
	return "\n---\napiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: hello, namespace: default}\nspec:\n" + body
}

func TestAnalyzers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		analyzer string
		src      string
		opts     SnapshotOptions
		want     []string
	}{
		// IST0101 host
		{"vs host found by short name", "virtualservice.DestinationHostAnalyzer", helloSvc + vs("  hosts: [helloworld]\n  http: [{route: [{destination: {host: helloworld}}]}]\n"), SnapshotOptions{}, nil},
		{"vs host found by full name", "virtualservice.DestinationHostAnalyzer", helloSvc + vs("  hosts: [helloworld]\n  http: [{route: [{destination: {host: helloworld.default.svc.cluster.local}}]}]\n"), SnapshotOptions{}, nil},
		{"vs host missing", "virtualservice.DestinationHostAnalyzer", helloSvc + vs("  hosts: [x]\n  http: [{route: [{destination: {host: hello}}]}]\n"), SnapshotOptions{}, []string{"IST0101 VirtualService default/hello"}},
		{"vs host with other cluster domain", "virtualservice.DestinationHostAnalyzer", helloSvc + vs("  hosts: [x]\n  http: [{route: [{destination: {host: helloworld.default.svc.corp.example}}]}]\n"), SnapshotOptions{ClusterDomain: "corp.example"}, nil},
		{"vs host wrong cluster domain", "virtualservice.DestinationHostAnalyzer", helloSvc + vs("  hosts: [x]\n  http: [{route: [{destination: {host: helloworld.default.svc.cluster.local}}]}]\n"), SnapshotOptions{ClusterDomain: "corp.example"}, []string{"IST0101 VirtualService default/hello"}},
		{"vs host not exported to vs namespace", "virtualservice.DestinationHostAnalyzer", strings.Replace(helloSvc, "metadata: {name: helloworld, namespace: default}", "metadata: {name: helloworld, namespace: other, annotations: {networking.istio.io/exportTo: .}}", 1) + vs("  hosts: [x]\n  http: [{route: [{destination: {host: helloworld.other.svc.cluster.local}}]}]\n"), SnapshotOptions{}, []string{"IST0101 VirtualService default/hello"}},
		{"vs host private by the mesh's defaultServiceExportTo", "virtualservice.DestinationHostAnalyzer", strings.Replace(helloSvc, "metadata: {name: helloworld, namespace: default}", "metadata: {name: helloworld, namespace: other}", 1) + vs("  hosts: [x]\n  http: [{route: [{destination: {host: helloworld.other.svc.cluster.local}}]}]\n"), SnapshotOptions{MeshConfig: privateByDefault}, []string{"IST0101 VirtualService default/hello"}},
		{"service exportTo annotation wins over the mesh default", "virtualservice.DestinationHostAnalyzer", strings.Replace(helloSvc, "metadata: {name: helloworld, namespace: default}", "metadata: {name: helloworld, namespace: other, annotations: {networking.istio.io/exportTo: \"*\"}}", 1) + vs("  hosts: [x]\n  http: [{route: [{destination: {host: helloworld.other.svc.cluster.local}}]}]\n"), SnapshotOptions{MeshConfig: privateByDefault}, nil},
		{"DR of another namespace private by the mesh's defaultDestinationRuleExportTo", "virtualservice.DestinationRuleAnalyzer", helloSvc + strings.Replace(helloDR, "namespace: default}\nspec:\n  host: helloworld", "namespace: other}\nspec:\n  host: helloworld.default.svc.cluster.local", 1) + vs("  hosts: [x]\n  http: [{route: [{destination: {host: helloworld, subset: v1}}]}]\n"), SnapshotOptions{MeshConfig: privateByDefault}, []string{"IST0101 VirtualService default/hello"}},
		{"DR of another namespace, no mesh default", "virtualservice.DestinationRuleAnalyzer", helloSvc + strings.Replace(helloDR, "namespace: default}\nspec:\n  host: helloworld", "namespace: other}\nspec:\n  host: helloworld.default.svc.cluster.local", 1) + vs("  hosts: [x]\n  http: [{route: [{destination: {host: helloworld, subset: v1}}]}]\n"), SnapshotOptions{}, nil},
		{"vs host exported to vs namespace", "virtualservice.DestinationHostAnalyzer", strings.Replace(helloSvc, "metadata: {name: helloworld, namespace: default}", "metadata: {name: helloworld, namespace: other, annotations: {networking.istio.io/exportTo: \"default\"}}", 1) + vs("  hosts: [x]\n  http: [{route: [{destination: {host: helloworld.other.svc.cluster.local}}]}]\n"), SnapshotOptions{}, nil},
		{"vs host is a wildcard service entry host", "virtualservice.DestinationHostAnalyzer", `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: ext, namespace: egress}
spec: {hosts: ["*.example.com"], ports: [{number: 443, name: tls, protocol: TLS}], location: MESH_EXTERNAL, resolution: NONE}
` + vs("  hosts: [api.example.com]\n  tls: [{match: [{sniHosts: [api.example.com]}], route: [{destination: {host: api.example.com}}]}]\n"), SnapshotOptions{}, nil},
		{"service entry exportTo dot hides it", "virtualservice.DestinationHostAnalyzer", `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: ext, namespace: egress}
spec: {hosts: [api.example.com], exportTo: ["."], ports: [{number: 443, name: tls, protocol: TLS}], resolution: DNS}
` + vs("  hosts: [x]\n  tcp: [{route: [{destination: {host: api.example.com}}]}]\n"), SnapshotOptions{}, []string{"IST0101 VirtualService default/hello"}},
		{"vs port not on service", "virtualservice.DestinationHostAnalyzer", helloSvc + vs("  hosts: [x]\n  http: [{route: [{destination: {host: helloworld, port: {number: 80}}}]}]\n"), SnapshotOptions{}, []string{"IST0101 VirtualService default/hello"}},
		{"mirror host missing", "virtualservice.DestinationHostAnalyzer", helloSvc + vs("  hosts: [x]\n  http: [{route: [{destination: {host: helloworld}}], mirror: {host: shadow}}]\n"), SnapshotOptions{}, []string{"IST0101 VirtualService default/hello"}},
		// IST0112
		{"port required", "virtualservice.DestinationHostAnalyzer", strings.Replace(helloSvc, "ports: [{name: http, port: 5000}]", "ports: [{name: http, port: 5000}, {name: grpc, port: 5001}]", 1) + vs("  hosts: [x]\n  http: [{route: [{destination: {host: helloworld}}]}]\n"), SnapshotOptions{}, []string{"IST0112 VirtualService default/hello"}},
		{"port given", "virtualservice.DestinationHostAnalyzer", strings.Replace(helloSvc, "ports: [{name: http, port: 5000}]", "ports: [{name: http, port: 5000}, {name: grpc, port: 5001}]", 1) + vs("  hosts: [x]\n  http: [{route: [{destination: {host: helloworld, port: {number: 5001}}}]}]\n"), SnapshotOptions{}, nil},
		// IST0101 subset
		{"subset defined", "virtualservice.DestinationRuleAnalyzer", helloSvc + helloDR + vs("  hosts: [x]\n  http: [{route: [{destination: {host: helloworld.default.svc.cluster.local, subset: v1}}]}]\n"), SnapshotOptions{}, nil},
		{"subset missing", "virtualservice.DestinationRuleAnalyzer", helloSvc + helloDR + vs("  hosts: [x]\n  http: [{route: [{destination: {host: helloworld, subset: v2}}]}]\n"), SnapshotOptions{}, []string{"IST0101 VirtualService default/hello"}},
		{"subset in a DR of another namespace not exported", "virtualservice.DestinationRuleAnalyzer", helloSvc + strings.Replace(helloDR, "namespace: default}\nspec:\n  host: helloworld", "namespace: other}\nspec:\n  exportTo: [.]\n  host: helloworld.default.svc.cluster.local", 1) + vs("  hosts: [x]\n  http: [{route: [{destination: {host: helloworld, subset: v1}}]}]\n"), SnapshotOptions{}, []string{"IST0101 VirtualService default/hello"}},
		// IST0101 gateway, IST0132
		{"gateway missing", "virtualservice.GatewayAnalyzer", vs("  hosts: [a.example.com]\n  gateways: [gw]\n  http: [{route: [{destination: {host: a}}]}]\n"), SnapshotOptions{}, []string{"IST0101 VirtualService default/hello"}},
		{"gateway in other namespace serves host", "virtualservice.GatewayAnalyzer", `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: edge}
spec: {selector: {istio: ingressgateway}, servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["default/*.example.com"]}]}
` + vs("  hosts: [a.example.com]\n  gateways: [edge/gw]\n  http: [{route: [{destination: {host: a}}]}]\n"), SnapshotOptions{}, nil},
		{"gateway host not for this namespace", "virtualservice.GatewayAnalyzer", `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: edge}
spec: {selector: {istio: ingressgateway}, servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["shop/*.example.com"]}]}
` + vs("  hosts: [a.example.com]\n  gateways: [edge/gw]\n  http: [{route: [{destination: {host: a}}]}]\n"), SnapshotOptions{}, []string{"IST0132 VirtualService default/hello"}},
		// IST0109
		{"two mesh VS same host", "virtualservice.ConflictingMeshGatewayHostsAnalyzer", vs("  hosts: [reviews]\n  http: [{route: [{destination: {host: reviews}}]}]\n") + "\n---\napiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: b, namespace: default}\nspec:\n  hosts: [reviews.default.svc.cluster.local]\n  http: [{route: [{destination: {host: reviews}}]}]\n", SnapshotOptions{}, []string{"IST0109 VirtualService default/b", "IST0109 VirtualService default/hello"}},
		{"two mesh VS same host, disjoint exportTo", "virtualservice.ConflictingMeshGatewayHostsAnalyzer", vs("  hosts: [reviews.default.svc.cluster.local]\n  exportTo: [a]\n  http: [{route: [{destination: {host: reviews}}]}]\n") + "\n---\napiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: b, namespace: default}\nspec:\n  hosts: [reviews.default.svc.cluster.local]\n  exportTo: [b]\n  http: [{route: [{destination: {host: reviews}}]}]\n", SnapshotOptions{}, nil},
		// IST0130/0131
		{"duplicate match", "virtualservice.UnreachableRulesAnalyzer", vs("  hosts: [a]\n  http:\n  - match: [{uri: {exact: /a}}]\n    route: [{destination: {host: a}}]\n  - match: [{uri: {exact: /a}, name: again}]\n    route: [{destination: {host: b}}]\n"), SnapshotOptions{}, []string{"IST0130 VirtualService default/hello", "IST0131 VirtualService default/hello"}},
		{"prefix covers later exact", "virtualservice.UnreachableRulesAnalyzer", vs("  hosts: [a]\n  http:\n  - match: [{uri: {prefix: /api}}]\n    route: [{destination: {host: a}}]\n  - match: [{uri: {exact: /api/v2}}, {uri: {exact: /b}}]\n    route: [{destination: {host: b}}]\n"), SnapshotOptions{}, []string{"IST0131 VirtualService default/hello"}},
		{"distinct matches", "virtualservice.UnreachableRulesAnalyzer", vs("  hosts: [a]\n  http:\n  - match: [{uri: {exact: /a}}]\n    route: [{destination: {host: a}}]\n  - route: [{destination: {host: b}}]\n"), SnapshotOptions{}, nil},
		// IST0128/0129
		{"simple tls without ca", "destinationrule.CaCertificateAnalyzer", "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: d, namespace: default}\nspec: {host: a, trafficPolicy: {tls: {mode: SIMPLE}, portLevelSettings: [{port: {number: 443}, tls: {mode: MUTUAL}}]}}\n", SnapshotOptions{}, []string{"IST0128 DestinationRule default/d", "IST0129 DestinationRule default/d"}},
		{"simple tls with ca", "destinationrule.CaCertificateAnalyzer", "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: d, namespace: default}\nspec: {host: a, trafficPolicy: {tls: {mode: SIMPLE, caCertificates: /etc/ca.pem}}}\n", SnapshotOptions{}, nil},
		// IST0173/0174
		{"subset selects pods", "destinationrule.SubsetSelectPodAnalyzer", helloSvc + helloDR, SnapshotOptions{}, nil},
		{"subset selects no pod", "destinationrule.SubsetSelectPodAnalyzer", helloSvc + strings.Replace(helloDR, "version: v1}", "version: v9}", 1), SnapshotOptions{}, []string{"IST0173 DestinationRule default/helloworld"}},
		{"dr unknown host", "destinationrule.SubsetSelectPodAnalyzer", strings.Replace(helloDR, "host: helloworld", "host: hellowrld", 1), SnapshotOptions{}, []string{"IST0174 DestinationRule default/helloworld"}},
		{"dr wildcard host covers services", "destinationrule.SubsetSelectPodAnalyzer", helloSvc + "\n---\napiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: all, namespace: istio-system}\nspec: {host: \"*.local\", trafficPolicy: {tls: {mode: ISTIO_MUTUAL}}}\n", SnapshotOptions{}, nil},
		// Gateway IST0101 selector, IST0162, IST0145
		{"gateway selector and ports fine", "gateway", ingress + gateway("gw", 8080, "a.example.com"), SnapshotOptions{}, nil},
		{"gateway port not on service", "gateway.IngressGatewayPortAnalyzer", ingress + gateway("gw", 9000, "a.example.com"), SnapshotOptions{}, []string{"IST0162 Gateway default/gw"}},
		{"gateway selector matches nothing", "gateway.IngressGatewayPortAnalyzer", ingress + strings.Replace(gateway("gw", 80, "a"), "istio: ingressgateway", "istio: egress", 1), SnapshotOptions{}, []string{"IST0101 Gateway default/gw"}},
		{"gateway selector not checked without control plane workloads", "gateway.IngressGatewayPortAnalyzer", gateway("gw", 80, "a"), SnapshotOptions{}, nil},
		{"conflicting gateways", "gateway.ConflictingGatewayAnalyzer", gateway("a", 80, "x.example.com") + gateway("b", 80, "x.example.com"), SnapshotOptions{}, []string{"IST0145 Gateway default/a", "IST0145 Gateway default/b"}},
		{"gateways on different ports", "gateway.ConflictingGatewayAnalyzer", gateway("a", 80, "x.example.com") + gateway("b", 443, "x.example.com"), SnapshotOptions{}, nil},
		{"gateway secret known missing", "gateway.SecretAnalyzer", ingress + tlsGateway, SnapshotOptions{MissingSecrets: []string{"istio-system/shop-cert"}}, []string{"IST0101 Gateway default/tls"}},
		{"gateway secret unknown", "gateway.SecretAnalyzer", ingress + tlsGateway, SnapshotOptions{}, nil},
		{"gateway secret present", "gateway.SecretAnalyzer", ingress + tlsGateway + "\n---\napiVersion: v1\nkind: Secret\nmetadata: {name: shop-cert, namespace: istio-system}\ndata: {tls.crt: c2VjcmV0}\n", SnapshotOptions{MissingSecrets: []string{"istio-system/shop-cert"}}, nil},
		// Sidecars
		{"two namespace-wide sidecars", "sidecar.SelectorAnalyzer", sidecar("a", "") + sidecar("b", ""), SnapshotOptions{}, []string{"IST0111 Sidecar default/a", "IST0111 Sidecar default/b"}},
		{"one namespace-wide sidecar per namespace", "sidecar.SelectorAnalyzer", sidecar("a", "") + strings.Replace(sidecar("b", ""), "namespace: default", "namespace: other", 1), SnapshotOptions{}, nil},
		{"two sidecars select one workload", "sidecar.SelectorAnalyzer", helloSvc + sidecar("a", "app: helloworld") + sidecar("b", "version: v1"), SnapshotOptions{}, []string{"IST0110 Sidecar default/a", "IST0110 Sidecar default/b"}},
		{"sidecar selector matches nothing", "sidecar.SelectorAnalyzer", helloSvc + sidecar("a", "app: nothing"), SnapshotOptions{}, []string{"IST0101 Sidecar default/a"}},
		{"sidecar selector unknown namespace workloads", "sidecar.SelectorAnalyzer", sidecar("a", "app: nothing"), SnapshotOptions{}, nil},
		{"sidecar in ambient namespace", "sidecar.SelectorAnalyzer", "apiVersion: v1\nkind: Namespace\nmetadata: {name: default, labels: {istio.io/dataplane-mode: ambient}}\n---\n" + sidecar("a", ""), SnapshotOptions{}, []string{"IST0167 Sidecar default/a"}},
		{"egress host exists", "sidecar.EgressHostAnalyzer", helloSvc + egress("default/helloworld.default.svc.cluster.local"), SnapshotOptions{}, nil},
		{"egress host short", "sidecar.EgressHostAnalyzer", helloSvc + egress("./helloworld"), SnapshotOptions{}, []string{"IST0101 Sidecar default/eg"}},
		{"egress host wrong namespace", "sidecar.EgressHostAnalyzer", helloSvc + egress("other/helloworld.default.svc.cluster.local"), SnapshotOptions{}, []string{"IST0101 Sidecar default/eg"}},
		{"egress wildcard", "sidecar.EgressHostAnalyzer", egress("*/*"), SnapshotOptions{}, nil},
		// Authz
		{"authz selector matches", "auth", helloSvc + authz("app: helloworld"), SnapshotOptions{}, nil},
		{"authz selector matches nothing", "auth", helloSvc + authz("app: hello"), SnapshotOptions{}, []string{"IST0127 AuthorizationPolicy default/ap"}},
		{"authz without known workloads", "auth", authz("app: hello"), SnapshotOptions{}, nil},
		// Injection
		{"namespace not injected", "injection", "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n", SnapshotOptions{}, []string{"IST0102 Namespace shop"}},
		{"namespace injected", "injection", "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop, labels: {istio-injection: enabled}}\n", SnapshotOptions{}, nil},
		{"namespace explicitly not injected", "injection", "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop, labels: {istio-injection: disabled}}\n", SnapshotOptions{}, nil},
		{"system namespace", "injection", "apiVersion: v1\nkind: Namespace\nmetadata: {name: kube-system}\n", SnapshotOptions{}, nil},
		{"two injection labels", "injection", "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop, labels: {istio-injection: enabled, istio.io/rev: canary}}\n", SnapshotOptions{}, []string{"IST0123 Namespace shop"}},
		{"pod missing proxy", "injection", "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop, labels: {istio-injection: enabled}}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: shop}\nspec: {containers: [{name: app, image: x}]}\n", SnapshotOptions{}, []string{"IST0103 Pod shop/p"}},
		{"pod with proxy", "injection", "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop, labels: {istio-injection: enabled}}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: shop}\nspec: {containers: [{name: app, image: x}, {name: istio-proxy, image: proxyv2}]}\n", SnapshotOptions{}, nil},
		{"pod opted out", "injection", "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop, labels: {istio-injection: enabled}}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: shop, labels: {sidecar.istio.io/inject: \"false\"}}\nspec: {containers: [{name: app, image: x}]}\n", SnapshotOptions{}, nil},
		// Port names
		{"port names", "service", "apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: default}\nspec: {ports: [{name: http-web, port: 80}, {name: web, port: 81}, {name: x, port: 82, appProtocol: grpc}, {name: db, port: 3306}, {name: dns, port: 5353, protocol: UDP}]}\n", SnapshotOptions{}, []string{"IST0118 Service default/s"}},
		// IST0137
		{"conflicting ports", "deployment", helloSvc + "\n---\napiVersion: v1\nkind: Service\nmetadata: {name: other, namespace: default}\nspec:\n  selector: {app: helloworld}\n  ports: [{name: http, port: 80, targetPort: 5000}]\n", SnapshotOptions{}, []string{"IST0137 Deployment default/helloworld-v1"}},
		{"same ports", "deployment", helloSvc + "\n---\napiVersion: v1\nkind: Service\nmetadata: {name: other, namespace: default}\nspec:\n  selector: {app: helloworld}\n  ports: [{name: http, port: 5000}]\n", SnapshotOptions{}, nil},
		// IST0116
		{"same port, different protocols", "deployment", helloSvc + "\n---\napiVersion: v1\nkind: Service\nmetadata: {name: udp, namespace: default}\nspec:\n  selector: {app: helloworld}\n  ports: [{name: udp, port: 5000, protocol: UDP}]\n", SnapshotOptions{}, []string{"IST0116 Deployment default/helloworld-v1"}},
		// IST0134
		{"tcp service entry without addresses", "serviceentry", "apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata: {name: db, namespace: default}\nspec: {hosts: [db.example.com], ports: [{number: 5432, name: tcp, protocol: TCP}], resolution: DNS}\n", SnapshotOptions{}, []string{"IST0134 ServiceEntry default/db"}},
		{"tcp service entry with addresses", "serviceentry", "apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata: {name: db, namespace: default}\nspec: {hosts: [db.example.com], addresses: [10.1.2.3], ports: [{number: 5432, name: tcp, protocol: TCP}], resolution: DNS}\n", SnapshotOptions{}, nil},
		{"tcp service entry with allocated addresses", "serviceentry", "apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata: {name: db, namespace: default}\nspec: {hosts: [db.example.com], ports: [{number: 5432, name: tcp, protocol: TCP}], resolution: DNS}\nstatus: {addresses: [{value: 240.240.0.1}]}\n", SnapshotOptions{}, nil},
		{"tcp service entry, mesh allocates", "serviceentry", "apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata: {name: db, namespace: default}\nspec: {hosts: [db.example.com], ports: [{number: 5432, name: tcp, protocol: TCP}], resolution: DNS}\n", SnapshotOptions{MeshConfig: dnsAllocating}, nil},
		{"https service entry", "serviceentry", "apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata: {name: api, namespace: default}\nspec: {hosts: [api.example.com], ports: [{number: 443, name: https, protocol: HTTPS}], resolution: DNS}\n", SnapshotOptions{}, nil},
		// IST0144
		{"uid 1337", "applicationUID", strings.Replace(helloSvc, "spec: {containers: [{name: hello, image: hello}]}", "spec: {containers: [{name: hello, image: hello, securityContext: {runAsUser: 1337}}]}", 1), SnapshotOptions{}, []string{"IST0144 Deployment default/helloworld-v1"}},
		{"uid 1000", "applicationUID", strings.Replace(helloSvc, "spec: {containers: [{name: hello, image: hello}]}", "spec: {securityContext: {runAsUser: 1000}, containers: [{name: hello, image: hello}]}", 1), SnapshotOptions{}, nil},
		// Annotations
		{"annotations", "annotations", "apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: default, annotations: {networking.istio.io/exportTo: \".\", sidecar.istio.io/proxyCPU: 100m, foo.istio.io/bar: x, example.com/x: y}}\nspec: {ports: [{name: http, port: 80}]}\n", SnapshotOptions{}, []string{"IST0107 Service default/s", "IST0108 Service default/s"}},
		{"invalid and deprecated pod annotations", "annotations", "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: default, annotations: {sidecar.istio.io/inject: \"true\", traffic.sidecar.istio.io/excludeOutboundIPRanges: \"10.0.0.0/33\", sidecar.istio.io/interceptionMode: TPROXY}}\nspec: {containers: [{name: a, image: b}]}\n", SnapshotOptions{}, []string{"IST0125 Pod default/p", "IST0135 Pod default/p"}},
		// Schema
		{"schema ok", "schema", helloDR, SnapshotOptions{}, nil},
		{"schema unknown field", "schema", strings.Replace(helloDR, "subsets:", "subset:", 1), SnapshotOptions{}, []string{"IST0106 DestinationRule default/helloworld"}},
		{"schema wrong type", "schema", vs("  hosts: helloworld\n"), SnapshotOptions{}, []string{"IST0106 VirtualService default/hello"}},
		// Deprecation
		{"v1alpha3 is info", "deprecation", strings.Replace(helloDR, "networking.istio.io/v1", "networking.istio.io/v1alpha3", 1), SnapshotOptions{}, []string{"IST0002 DestinationRule default/helloworld"}},
		{"v1 is fine", "deprecation", helloDR, SnapshotOptions{}, nil},
		{"meshpolicy removed", "deprecation", "apiVersion: authentication.istio.io/v1alpha1\nkind: MeshPolicy\nmetadata: {name: default}\nspec: {peers: [{mtls: {}}]}\n", SnapshotOptions{}, []string{"IST0002 MeshPolicy default"}},
		{"servicerole removed", "deprecation", "apiVersion: rbac.istio.io/v1alpha1\nkind: ServiceRole\nmetadata: {name: r, namespace: foo}\nspec: {rules: [{services: [\"*\"], methods: [GET]}]}\n", SnapshotOptions{}, []string{"IST0002 ServiceRole foo/r"}},
		{"fault delay percent", "deprecation", vs("  hosts: [a]\n  http: [{fault: {delay: {percent: 10, fixedDelay: 1s}}, route: [{destination: {host: a}}]}]\n"), SnapshotOptions{}, []string{"IST0002 VirtualService default/hello"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, ms := analyzeSrc(t, tc.src, tc.analyzer, tc.opts)
			if !reflect.DeepEqual(got, tc.want) {
				var lines []string
				for _, m := range ms {
					lines = append(lines, m.String())
				}
				t.Fatalf("got %q, want %q\n%s", got, tc.want, strings.Join(lines, "\n"))
			}
		})
	}
}

// privateByDefault exports services, VirtualServices and DestinationRules
// to their own namespace unless they say otherwise.
var privateByDefault = &meshconfig.MeshConfig{
	DefaultServiceExportTo:         []string{"."},
	DefaultVirtualServiceExportTo:  []string{"."},
	DefaultDestinationRuleExportTo: []string{"."},
}

var dnsAllocating = func() *meshconfig.MeshConfig {
	mc, err := ParseMeshConfig([]byte("defaultConfig:\n  proxyMetadata:\n    ISTIO_META_DNS_CAPTURE: \"true\"\n    ISTIO_META_DNS_AUTO_ALLOCATE: \"true\"\n"))
	if err != nil {
		panic(err)
	}
	return mc
}()

const ingress = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: istio-ingressgateway, namespace: istio-system}
spec:
  selector: {matchLabels: {istio: ingressgateway}}
  template:
    metadata: {labels: {istio: ingressgateway}}
    spec: {containers: [{name: istio-proxy, image: proxyv2}]}
---
apiVersion: v1
kind: Service
metadata: {name: istio-ingressgateway, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  ports: [{name: http2, port: 80, targetPort: 8080}]
`

const tlsGateway = `
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: tls, namespace: default}
spec:
  selector: {istio: ingressgateway}
  servers: [{port: {number: 443, name: https, protocol: HTTPS}, tls: {mode: SIMPLE, credentialName: shop-cert}, hosts: [shop.example.com]}]
`

func TestSecretsKeepNoData(t *testing.T) {
	t.Parallel()
	rs := load(t, "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: a}\ndata: {tls.key: c2VjcmV0}\n")
	if len(rs) != 1 || rs[0].Spec != nil || rs[0].Kind != KindSecret || rs[0].Raw != nil {
		t.Fatalf("secret decoded as %+v", rs[0])
	}
}

func gateway(name string, port int, host string) string {
	return "\n---\napiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {name: " + name + ", namespace: default}\nspec:\n  selector:\n    istio: ingressgateway\n  servers: [{port: {number: " + itoa(port) + ", name: http, protocol: HTTP}, hosts: [\"" + host + "\"]}]\n"
}

func sidecar(name, sel string) string {
	s := "\n---\napiVersion: networking.istio.io/v1\nkind: Sidecar\nmetadata: {name: " + name + ", namespace: default}\nspec:\n"
	if sel != "" {
		s += "  workloadSelector: {labels: {" + sel + "}}\n"
	}
	return s + "  egress: [{hosts: [\"./*\"]}]\n"
}

func egress(host string) string {
	return "\n---\napiVersion: networking.istio.io/v1\nkind: Sidecar\nmetadata: {name: eg, namespace: default}\nspec:\n  egress: [{hosts: [\"" + host + "\"]}]\n"
}

func authz(sel string) string {
	return "\n---\napiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: ap, namespace: default}\nspec:\n  selector: {matchLabels: {" + sel + "}}\n  rules: [{to: [{operation: {methods: [GET]}}]}]\n"
}
