package istiod

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"sort"
	"strings"
	"time"
)

// EndpointRow is one endpoint of one cluster.
type EndpointRow struct {
	Endpoint string `json:"endpoint"`
	Status   string `json:"status"`
	// TLSMode is the endpoint's tlsMode label ("istio": it has a sidecar,
	// and auto mTLS sends it mutual TLS), "-" when it has none.
	TLSMode string `json:"tlsMode"`
	Cluster string `json:"cluster"`
}

// EndpointRows lists every endpoint, sorted by endpoint then cluster.
func (c *ConfigDump) EndpointRows() []EndpointRow {
	var out []EndpointRow
	for _, cla := range c.Endpoints {
		name := str(cla, "clusterName")
		localities, _ := cla["endpoints"].([]any)
		for _, l := range localities {
			lbs, _ := l.(map[string]any)["lbEndpoints"].([]any)
			for _, e := range lbs {
				em, _ := e.(map[string]any)
				sa := get(em, "endpoint", "address", "socketAddress")
				addr := str(sa, "address") + ":" + num(sa, "portValue")
				if p := str(get(em, "endpoint", "address", "pipe"), "path"); p != "" {
					addr = "unix://" + p
				}
				status := str(em, "healthStatus")
				if status == "" {
					status = "HEALTHY"
				}
				tls := orDash(str(get(em, "metadata", "filterMetadata", "envoy.transport_socket_match"), "tlsMode"))
				out = append(out, EndpointRow{Endpoint: addr, Status: status, TLSMode: tls, Cluster: name})
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Endpoint != out[j].Endpoint {
			return out[i].Endpoint < out[j].Endpoint
		}
		return out[i].Cluster < out[j].Cluster
	})
	return out
}

// SecretRow is one certificate or trust bundle the proxy's configuration
// names, with what can be read of it: never key material.
type SecretRow struct {
	Name string `json:"name"`
	// Source is who serves it: istiod (SDS over the xDS stream) or the
	// pod's istio-agent (the workload certificate and root, which istiod
	// does not hold).
	Source   string `json:"source"`
	Type     string `json:"type"` // Cert Chain, CA, or "-" when unknown here
	Serial   string `json:"serialNumber"`
	NotAfter string `json:"notAfter"`
	// UsedBy counts the clusters and listener filter chains that name it.
	UsedBy int `json:"usedBy"`
}

// SecretRows lists the secrets istiod serves the proxy, then the ones its
// clusters and listeners take from the agent.
func (c *ConfigDump) SecretRows(now time.Time) []SecretRow {
	uses := map[string]int{}
	for _, list := range [][]map[string]any{c.Clusters, c.Listeners} {
		for _, x := range list {
			sdsNames(x, uses)
		}
	}
	var out []SecretRow
	served := map[string]bool{}
	for _, s := range c.Secrets {
		name := str(s, "name")
		served[name] = true
		r := SecretRow{Name: name, Source: "istiod", Type: "-", Serial: "-", NotAfter: "-", UsedBy: uses[name]}
		pemData := ""
		if tc := get(s, "tlsCertificate"); len(tc) > 0 {
			r.Type, pemData = "Cert Chain", inline(get(tc, "certificateChain"))
		} else if vc := get(s, "validationContext"); len(vc) > 0 {
			r.Type, pemData = "CA", inline(get(vc, "trustedCa"))
		}
		if cert := firstCert(pemData); cert != nil {
			r.Serial = cert.SerialNumber.Text(16)
			r.NotAfter = cert.NotAfter.UTC().Format(time.RFC3339)
			if now.After(cert.NotAfter) {
				r.NotAfter += " (expired)"
			}
		}
		out = append(out, r)
	}
	var agent []string
	for name := range uses {
		if !served[name] {
			agent = append(agent, name)
		}
	}
	sort.Strings(agent)
	for _, name := range agent {
		typ := "Cert Chain"
		if name == "ROOTCA" || strings.HasSuffix(name, "-cacert") {
			typ = "CA"
		}
		out = append(out, SecretRow{Name: name, Source: "istio-agent", Type: typ, Serial: "-", NotAfter: "-", UsedBy: uses[name]})
	}
	return out
}

// sdsNames counts the SDS secret names anywhere under v: every
// tlsCertificateSdsSecretConfigs entry and validation context SDS config.
func sdsNames(v any, uses map[string]int) {
	switch x := v.(type) {
	case map[string]any:
		for k, child := range x {
			switch k {
			case "tlsCertificateSdsSecretConfigs":
				list, _ := child.([]any)
				for _, e := range list {
					if m, ok := e.(map[string]any); ok && str(m, "name") != "" {
						uses[str(m, "name")]++
					}
				}
				continue
			case "validationContextSdsSecretConfig":
				if m, ok := child.(map[string]any); ok && str(m, "name") != "" {
					uses[str(m, "name")]++
				}
				continue
			}
			sdsNames(child, uses)
		}
	case []any:
		for _, e := range x {
			sdsNames(e, uses)
		}
	}
}

// inline is the text of an Envoy DataSource given inline.
func inline(ds map[string]any) string {
	if s := str(ds, "inlineString"); s != "" {
		return s
	}
	if b := str(ds, "inlineBytes"); b != "" {
		if raw, err := base64.StdEncoding.DecodeString(b); err == nil {
			return string(raw)
		}
	}
	return ""
}

func firstCert(pemData string) *x509.Certificate {
	rest := []byte(pemData)
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return nil
		}
		if block.Type == "CERTIFICATE" {
			if c, err := x509.ParseCertificate(block.Bytes); err == nil {
				return c
			}
		}
	}
}

// withoutKeys drops private keys from a secret, whatever istiod sent: the
// command must never print key material.
func withoutKeys(s map[string]any) map[string]any {
	if tc, ok := s["tlsCertificate"].(map[string]any); ok {
		for _, k := range []string{"privateKey", "password", "pkcs12"} {
			if _, has := tc[k]; has {
				tc[k] = map[string]any{"inlineString": "[removed by meshctl]"}
			}
		}
	}
	return s
}
