package istiod

import (
	"testing"
)

// A config dump of our own in Envoy's form: two clusters (one shaped by a
// DestinationRule), a listener with two filter chains, a route with
// weighted clusters (the seed's hello-world traffic shift).
const dump = `{"configs":[
{"@type":"type.googleapis.com/envoy.admin.v3.BootstrapConfigDump"},
{"@type":"type.googleapis.com/envoy.admin.v3.ClustersConfigDump","dynamicActiveClusters":[
 {"cluster":{"name":"outbound|5000|v2|helloworld.default.svc.cluster.local","type":"EDS","edsClusterConfig":{},
   "metadata":{"filterMetadata":{"istio":{"config":"/apis/networking.istio.io/v1/namespaces/default/destination-rule/helloworld"}}},
   "transportSocket":{"name":"envoy.transport_sockets.tls","typedConfig":{"@type":"type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext","commonTlsContext":{"tlsCertificateSdsSecretConfigs":[{"name":"default"}]}}}}},
 {"cluster":{"name":"outbound|5000||helloworld.default.svc.cluster.local","edsClusterConfig":{},
   "transportSocketMatches":[{"name":"tlsMode-istio","match":{"tlsMode":"istio"}},{"name":"tlsMode-disabled","match":{}}]}},
 {"cluster":{"name":"BlackHoleCluster","type":"STATIC"}}
]},
{"@type":"type.googleapis.com/envoy.admin.v3.ListenersConfigDump","dynamicListeners":[
 {"name":"0.0.0.0_5000","activeState":{"listener":{"name":"0.0.0.0_5000","address":{"socketAddress":{"address":"0.0.0.0","portValue":5000}},
   "filterChains":[{"filterChainMatch":{"transportProtocol":"raw_buffer","applicationProtocols":["http/1.1","h2c"]},
     "filters":[{"name":"envoy.filters.network.http_connection_manager","typedConfig":{"rds":{"routeConfigName":"5000"}}}]}],
   "defaultFilterChain":{"filters":[{"name":"envoy.filters.network.tcp_proxy","typedConfig":{"cluster":"PassthroughCluster"}}]}}}}
]},
{"@type":"type.googleapis.com/envoy.admin.v3.RoutesConfigDump","dynamicRouteConfigs":[
 {"routeConfig":{"name":"5000","virtualHosts":[{"name":"helloworld.default.svc.cluster.local:5000","domains":["helloworld","helloworld.default.svc.cluster.local"],
   "routes":[{"match":{"prefix":"/hello"},"route":{"weightedClusters":{"clusters":[
     {"name":"outbound|5000|v1|helloworld.default.svc.cluster.local","weight":0},
     {"name":"outbound|5000|v2|helloworld.default.svc.cluster.local","weight":100}]}}},
   {"match":{"prefix":"/"},"directResponse":{"status":404}}]}]}}
]}]}`

func TestConfigDumpRows(t *testing.T) {
	t.Parallel()
	d, err := ParseConfigDump([]byte(dump))
	if err != nil {
		t.Fatal(err)
	}
	cs := d.ClusterRows()
	want := []ClusterRow{
		{FQDN: "BlackHoleCluster", Port: "-", Subset: "-", Direction: "-", Type: "STATIC", TLS: "none", DestinationRule: "-"},
		{FQDN: "helloworld.default.svc.cluster.local", Port: "5000", Subset: "-", Direction: "outbound", Type: "EDS", TLS: "ISTIO_MUTUAL (auto)", DestinationRule: "-"},
		{FQDN: "helloworld.default.svc.cluster.local", Port: "5000", Subset: "v2", Direction: "outbound", Type: "EDS", TLS: "ISTIO_MUTUAL", DestinationRule: "helloworld.default"},
	}
	if len(cs) != len(want) {
		t.Fatalf("clusters %+v", cs)
	}
	for i := range want {
		if cs[i] != want[i] {
			t.Errorf("cluster %d: %+v, want %+v", i, cs[i], want[i])
		}
	}
	ls := d.ListenerRows()
	if len(ls) != 2 || ls[0].Match != "transport raw_buffer; alpn http/1.1,h2c" || ls[0].Destination != "Route: 5000" || ls[1].Match != "ALL" || ls[1].Destination != "Cluster: PassthroughCluster" || ls[0].Port != "5000" {
		t.Errorf("listeners %+v", ls)
	}
	rs := d.RouteRows()
	if len(rs) != 2 || rs[0].Match != "/hello*" || rs[0].Destination != "outbound|5000|v1|helloworld.default.svc.cluster.local 0%, outbound|5000|v2|helloworld.default.svc.cluster.local 100%" || rs[1].Destination != "direct response 404" || rs[0].Domains != "helloworld,helloworld.default.svc.cluster.local" {
		t.Errorf("routes %+v", rs)
	}
	if _, err := ParseConfigDump([]byte("{")); err == nil {
		t.Error("a broken dump parsed")
	}
}
