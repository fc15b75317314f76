package istiod

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// ConfigDump is what istiod last generated for one proxy, in Envoy's
// config-dump form (istiod's /debug/config_dump?proxyID=): the raw
// configuration of each kind, read as plain JSON so that meshctl needs none
// of Envoy's Go types.
type ConfigDump struct {
	Clusters  []map[string]any // envoy.config.cluster.v3.Cluster
	Listeners []map[string]any // envoy.config.listener.v3.Listener
	Routes    []map[string]any // envoy.config.route.v3.RouteConfiguration
	// Endpoints are the proxy's EDS assignments (config.endpoint.v3.
	// ClusterLoadAssignment), for the clusters it subscribed to.
	Endpoints []map[string]any
	// Secrets are the SDS secrets istiod itself serves the proxy
	// (extensions.transport_sockets.tls.v3.Secret: credentialName
	// certificates of gateways and DestinationRules), private keys
	// removed. A sidecar's own certificate comes from its istio-agent.
	Secrets []map[string]any
}

// FetchConfigDump reads the config dump of proxy (POD.NAMESPACE).
func FetchConfigDump(ctx context.Context, d Debug, proxy string) (*ConfigDump, error) {
	b, err := d.Get(ctx, "/debug/config_dump?include_eds=true&proxyID="+url.QueryEscape(proxy))
	if err != nil {
		return nil, err
	}
	return ParseConfigDump(b)
}

// ParseConfigDump reads a config dump.
func ParseConfigDump(b []byte) (*ConfigDump, error) {
	var raw struct {
		Configs []map[string]json.RawMessage `json:"configs"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("reading the config dump: %w", err)
	}
	out := &ConfigDump{}
	for _, c := range raw.Configs {
		var typ string
		_ = json.Unmarshal(c["@type"], &typ)
		switch typ {
		case "type.googleapis.com/envoy.admin.v3.ClustersConfigDump":
			var cs []struct {
				Cluster map[string]any `json:"cluster"`
			}
			if err := json.Unmarshal(orEmpty(c["dynamicActiveClusters"]), &cs); err != nil {
				return nil, fmt.Errorf("reading clusters: %w", err)
			}
			for _, x := range cs {
				out.Clusters = append(out.Clusters, x.Cluster)
			}
		case "type.googleapis.com/envoy.admin.v3.ListenersConfigDump":
			var ls []struct {
				ActiveState struct {
					Listener map[string]any `json:"listener"`
				} `json:"activeState"`
			}
			if err := json.Unmarshal(orEmpty(c["dynamicListeners"]), &ls); err != nil {
				return nil, fmt.Errorf("reading listeners: %w", err)
			}
			for _, x := range ls {
				out.Listeners = append(out.Listeners, x.ActiveState.Listener)
			}
		case "type.googleapis.com/envoy.admin.v3.EndpointsConfigDump":
			var es []struct {
				EndpointConfig map[string]any `json:"endpointConfig"`
			}
			if err := json.Unmarshal(orEmpty(c["dynamicEndpointConfigs"]), &es); err != nil {
				return nil, fmt.Errorf("reading endpoints: %w", err)
			}
			for _, x := range es {
				out.Endpoints = append(out.Endpoints, x.EndpointConfig)
			}
		case "type.googleapis.com/envoy.admin.v3.SecretsConfigDump":
			var ss []struct {
				Secret map[string]any `json:"secret"`
			}
			if err := json.Unmarshal(orEmpty(c["dynamicActiveSecrets"]), &ss); err != nil {
				return nil, fmt.Errorf("reading secrets: %w", err)
			}
			for _, x := range ss {
				out.Secrets = append(out.Secrets, withoutKeys(x.Secret))
			}
		case "type.googleapis.com/envoy.admin.v3.RoutesConfigDump":
			var rs []struct {
				RouteConfig map[string]any `json:"routeConfig"`
			}
			if err := json.Unmarshal(orEmpty(c["dynamicRouteConfigs"]), &rs); err != nil {
				return nil, fmt.Errorf("reading routes: %w", err)
			}
			for _, x := range rs {
				out.Routes = append(out.Routes, x.RouteConfig)
			}
		}
	}
	return out, nil
}

func orEmpty(b json.RawMessage) json.RawMessage {
	if len(b) == 0 {
		return json.RawMessage("[]")
	}
	return b
}

// ClusterRow summarises one cluster as Istio names it:
// DIRECTION|PORT|SUBSET|FQDN, and how it reaches its endpoints.
type ClusterRow struct {
	FQDN            string `json:"fqdn"`
	Port            string `json:"port"`
	Subset          string `json:"subset"`
	Direction       string `json:"direction"`
	Type            string `json:"type"`
	TLS             string `json:"tls"`
	DestinationRule string `json:"destinationRule"`
}

// ClusterRows summarises the clusters, sorted as listed.
func (c *ConfigDump) ClusterRows() []ClusterRow {
	var out []ClusterRow
	for _, cl := range c.Clusters {
		name := str(cl, "name")
		r := ClusterRow{FQDN: name, Port: "-", Subset: "-", Direction: "-", Type: str(cl, "type"), TLS: clusterTLS(cl), DestinationRule: "-"}
		if r.Type == "" {
			if _, ok := cl["edsClusterConfig"]; ok {
				r.Type = "EDS"
			} else {
				r.Type = "STATIC"
			}
		}
		if parts := strings.Split(name, "|"); len(parts) == 4 {
			r.Direction, r.Port, r.Subset, r.FQDN = parts[0], parts[1], orDash(parts[2]), parts[3]
		}
		if cfg := str(get(cl, "metadata", "filterMetadata", "istio"), "config"); cfg != "" {
			r.DestinationRule = destinationRuleName(cfg)
		}
		out = append(out, r)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].FQDN != out[j].FQDN {
			return out[i].FQDN < out[j].FQDN
		}
		if out[i].Port != out[j].Port {
			pi, _ := strconv.Atoi(out[i].Port)
			pj, _ := strconv.Atoi(out[j].Port)
			return pi < pj
		}
		return out[i].Subset < out[j].Subset
	})
	return out
}

// clusterTLS says how a cluster's connections are secured: ISTIO_MUTUAL
// where auto mTLS picks it per endpoint (a transport socket match on the
// endpoints' tlsMode=istio label), TLS where every connection originates
// TLS, none where they are plaintext.
func clusterTLS(cl map[string]any) string {
	if ms, ok := cl["transportSocketMatches"].([]any); ok {
		for _, m := range ms {
			if mm, ok := m.(map[string]any); ok && str(get(mm, "match"), "tlsMode") == "istio" {
				return "ISTIO_MUTUAL (auto)"
			}
		}
	}
	if ts, ok := cl["transportSocket"].(map[string]any); ok {
		if strings.Contains(str(get(ts, "typedConfig"), "@type"), "UpstreamTlsContext") {
			tc := get(ts, "typedConfig")
			if sds, ok := get(tc, "commonTlsContext")["tlsCertificateSdsSecretConfigs"].([]any); ok && len(sds) > 0 {
				if str(sds[0].(map[string]any), "name") == "default" {
					return "ISTIO_MUTUAL"
				}
			}
			return "TLS"
		}
	}
	return "none"
}

// destinationRuleName turns istiod's config path
// (/apis/networking.istio.io/v1/namespaces/NS/destination-rule/NAME) into
// NAME.NS.
func destinationRuleName(path string) string {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	if len(parts) >= 7 && parts[3] == "namespaces" {
		return parts[6] + "." + parts[4]
	}
	return path
}

// ListenerRow is one filter chain of a listener: what it matches and where
// it sends the connection.
type ListenerRow struct {
	Name        string `json:"name"`
	Address     string `json:"address"`
	Port        string `json:"port"`
	Match       string `json:"match"`
	Destination string `json:"destination"`
}

// ListenerRows summarises the listeners' filter chains.
func (c *ConfigDump) ListenerRows() []ListenerRow {
	var out []ListenerRow
	for _, l := range c.Listeners {
		sa := get(l, "address", "socketAddress")
		base := ListenerRow{Name: str(l, "name"), Address: str(sa, "address"), Port: num(sa, "portValue")}
		chains, _ := l["filterChains"].([]any)
		if dc, ok := l["defaultFilterChain"].(map[string]any); ok {
			chains = append(chains, dc)
		}
		if len(chains) == 0 {
			r := base
			r.Match, r.Destination = "ALL", "-"
			out = append(out, r)
		}
		for _, fc := range chains {
			m, _ := fc.(map[string]any)
			r := base
			r.Match = chainMatch(get(m, "filterChainMatch"))
			r.Destination = chainDestination(m)
			out = append(out, r)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		pi, _ := strconv.Atoi(out[i].Port)
		pj, _ := strconv.Atoi(out[j].Port)
		if pi != pj {
			return pi < pj
		}
		return out[i].Address < out[j].Address
	})
	return out
}

func chainMatch(m map[string]any) string {
	var parts []string
	if p := num(m, "destinationPort"); p != "" {
		parts = append(parts, "port "+p)
	}
	if tp := str(m, "transportProtocol"); tp != "" {
		parts = append(parts, "transport "+tp)
	}
	if aps, ok := m["applicationProtocols"].([]any); ok && len(aps) > 0 {
		var s []string
		for _, a := range aps {
			s = append(s, fmt.Sprint(a))
		}
		parts = append(parts, "alpn "+strings.Join(s, ","))
	}
	if sn, ok := m["serverNames"].([]any); ok && len(sn) > 0 {
		var s []string
		for _, a := range sn {
			s = append(s, fmt.Sprint(a))
		}
		parts = append(parts, "sni "+strings.Join(s, ","))
	}
	if len(parts) == 0 {
		return "ALL"
	}
	return strings.Join(parts, "; ")
}

func chainDestination(fc map[string]any) string {
	filters, _ := fc["filters"].([]any)
	for _, f := range filters {
		fm, _ := f.(map[string]any)
		tc := get(fm, "typedConfig")
		switch str(fm, "name") {
		case "envoy.filters.network.tcp_proxy":
			if c := str(tc, "cluster"); c != "" {
				return "Cluster: " + c
			}
			return "Cluster: (weighted)"
		case "envoy.filters.network.http_connection_manager":
			if rn := str(get(tc, "rds"), "routeConfigName"); rn != "" {
				return "Route: " + rn
			}
			return "Route: (inline)"
		}
	}
	return "-"
}

// RouteRow is one route of a route configuration's virtual host.
type RouteRow struct {
	Name        string `json:"name"`
	VirtualHost string `json:"virtualHost"`
	Domains     string `json:"domains"`
	Match       string `json:"match"`
	Destination string `json:"destination"`
}

// RouteRows summarises the route configurations.
func (c *ConfigDump) RouteRows() []RouteRow {
	var out []RouteRow
	for _, rc := range c.Routes {
		vhs, _ := rc["virtualHosts"].([]any)
		for _, vh := range vhs {
			v, _ := vh.(map[string]any)
			var domains []string
			if ds, ok := v["domains"].([]any); ok {
				for _, d := range ds {
					domains = append(domains, fmt.Sprint(d))
				}
			}
			routes, _ := v["routes"].([]any)
			for _, r := range routes {
				rm, _ := r.(map[string]any)
				out = append(out, RouteRow{Name: str(rc, "name"), VirtualHost: str(v, "name"), Domains: strings.Join(domains, ","), Match: routeMatch(get(rm, "match")), Destination: routeDestination(rm)})
			}
		}
	}
	return out
}

func routeMatch(m map[string]any) string {
	for _, k := range []string{"prefix", "path", "pathSeparatedPrefix"} {
		if v := str(m, k); v != "" || m[k] != nil {
			if k == "prefix" {
				return v + "*"
			}
			return v
		}
	}
	if re := str(get(m, "safeRegex"), "regex"); re != "" {
		return "regex " + re
	}
	return "-"
}

func routeDestination(r map[string]any) string {
	rt := get(r, "route")
	if c := str(rt, "cluster"); c != "" {
		return c
	}
	if wc, ok := get(rt, "weightedClusters")["clusters"].([]any); ok {
		var s []string
		for _, c := range wc {
			cm, _ := c.(map[string]any)
			s = append(s, fmt.Sprintf("%s %s%%", str(cm, "name"), num(cm, "weight")))
		}
		return strings.Join(s, ", ")
	}
	if _, ok := r["directResponse"]; ok {
		return "direct response " + num(get(r, "directResponse"), "status")
	}
	if _, ok := r["redirect"]; ok {
		return "redirect"
	}
	return "-"
}

func get(m map[string]any, path ...string) map[string]any {
	cur := m
	for _, k := range path {
		next, _ := cur[k].(map[string]any)
		if next == nil {
			return map[string]any{}
		}
		cur = next
	}
	return cur
}

func str(m map[string]any, k string) string {
	s, _ := m[k].(string)
	return s
}

func num(m map[string]any, k string) string {
	switch v := m[k].(type) {
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case string:
		return v
	}
	return ""
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
