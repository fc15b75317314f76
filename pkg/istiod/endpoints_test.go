package istiod

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"strings"
	"testing"
	"time"
)

// A gateway's dump: endpoints of two clusters, one credentialName
// certificate served by istiod (with a key istiod should have redacted but
// did not), and clusters naming the agent's default and ROOTCA.
func gatewayDump(t *testing.T, notAfter time.Time) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(0xbeef), Subject: pkix.Name{CommonName: "bookinfo.example.com"}, NotBefore: notAfter.Add(-time.Hour), NotAfter: notAfter}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	chain := base64.StdEncoding.EncodeToString(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	secretKey := base64.StdEncoding.EncodeToString([]byte("PRIVATE-KEY-MATERIAL"))
	return `{"configs":[
{"@type":"type.googleapis.com/envoy.admin.v3.ClustersConfigDump","dynamicActiveClusters":[
 {"cluster":{"name":"outbound|9080||productpage.bookinfo.svc.cluster.local","transportSocketMatches":[{"name":"tlsMode-istio","match":{"tlsMode":"istio"},
   "transportSocket":{"typedConfig":{"commonTlsContext":{"tlsCertificateSdsSecretConfigs":[{"name":"default"}],
     "combinedValidationContext":{"validationContextSdsSecretConfig":{"name":"ROOTCA"}}}}}}]}}]},
{"@type":"type.googleapis.com/envoy.admin.v3.ListenersConfigDump","dynamicListeners":[
 {"activeState":{"listener":{"name":"0.0.0.0_8443","filterChains":[{"transportSocket":{"typedConfig":{"commonTlsContext":{
   "tlsCertificateSdsSecretConfigs":[{"name":"kubernetes://bookinfo-credential"}]}}}}]}}}]},
{"@type":"type.googleapis.com/envoy.admin.v3.EndpointsConfigDump","dynamicEndpointConfigs":[
 {"endpointConfig":{"clusterName":"outbound|9080||productpage.bookinfo.svc.cluster.local","endpoints":[{"lbEndpoints":[
   {"endpoint":{"address":{"socketAddress":{"address":"10.244.0.12","portValue":9080}}},"metadata":{"filterMetadata":{"envoy.transport_socket_match":{"tlsMode":"istio"}}}},
   {"endpoint":{"address":{"socketAddress":{"address":"10.244.0.9","portValue":9080}}},"healthStatus":"UNHEALTHY"}]}]}},
 {"endpointConfig":{"clusterName":"outbound|80||www.baidu.com","endpoints":[{"lbEndpoints":[
   {"endpoint":{"address":{"socketAddress":{"address":"www.baidu.com","portValue":80}}}}]}]}}]},
{"@type":"type.googleapis.com/envoy.admin.v3.SecretsConfigDump","dynamicActiveSecrets":[
 {"name":"kubernetes://bookinfo-credential","secret":{"name":"kubernetes://bookinfo-credential","tlsCertificate":{
   "certificateChain":{"inlineBytes":"` + chain + `"},"privateKey":{"inlineBytes":"` + secretKey + `"}}}}]}
]}`
}

func TestEndpointRows(t *testing.T) {
	t.Parallel()
	d, err := ParseConfigDump([]byte(gatewayDump(t, time.Now().Add(time.Hour))))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range d.EndpointRows() {
		got = append(got, strings.Join([]string{r.Endpoint, r.Status, r.TLSMode, r.Cluster}, " "))
	}
	want := []string{
		"10.244.0.12:9080 HEALTHY istio outbound|9080||productpage.bookinfo.svc.cluster.local",
		"10.244.0.9:9080 UNHEALTHY - outbound|9080||productpage.bookinfo.svc.cluster.local",
		"www.baidu.com:80 HEALTHY - outbound|80||www.baidu.com",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("endpoints:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestSecretRows(t *testing.T) {
	t.Parallel()
	expiry := time.Date(2027, 3, 1, 12, 0, 0, 0, time.UTC)
	d, err := ParseConfigDump([]byte(gatewayDump(t, expiry)))
	if err != nil {
		t.Fatal(err)
	}
	check := func(now time.Time, want []string) {
		t.Helper()
		var got []string
		for _, r := range d.SecretRows(now) {
			got = append(got, strings.Join([]string{r.Name, r.Source, r.Type, r.Serial, r.NotAfter}, " "))
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("secrets at %s:\n%s\nwant:\n%s", now, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
	check(expiry.Add(-time.Hour), []string{
		"kubernetes://bookinfo-credential istiod Cert Chain beef 2027-03-01T12:00:00Z",
		"ROOTCA istio-agent CA - -",
		"default istio-agent Cert Chain - -",
	})
	check(expiry.Add(time.Hour), []string{
		"kubernetes://bookinfo-credential istiod Cert Chain beef 2027-03-01T12:00:00Z (expired)",
		"ROOTCA istio-agent CA - -",
		"default istio-agent Cert Chain - -",
	})
	// No key material survives reading, in the rows or the raw secrets.
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	raw := base64.StdEncoding.EncodeToString([]byte("PRIVATE-KEY-MATERIAL"))
	if strings.Contains(string(b), raw) || strings.Contains(string(b), "PRIVATE-KEY-MATERIAL") {
		t.Errorf("the parsed dump still holds the private key: %s", b)
	}
}
