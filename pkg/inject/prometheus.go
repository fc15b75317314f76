package inject

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// The annotations Prometheus reads to scrape a pod, and Istio's own.
const (
	promScrape        = "prometheus.io/scrape"
	promPort          = "prometheus.io/port"
	promPath          = "prometheus.io/path"
	promScrapeTargets = "prometheus.istio.io/scrape-targets"
	promSecurePort    = "prometheus.istio.io/secure-port"
	annMergeMetric    = "prometheus.istio.io/merge-metrics"

	envPrometheus = "ISTIO_PROMETHEUS_ANNOTATIONS"
	// envSecurePort, set on the proxy (usually through proxyMetadata), makes
	// the agent serve merged metrics over mTLS on that port.
	envSecurePort = "ENVOY_SECURE_MERGED_METRICS_PORT"
)

// scrapeConfig is the value of ISTIO_PROMETHEUS_ANNOTATIONS: the
// application's own scrape settings, which the agent scrapes and merges with
// Envoy's. The three fields are always written, as Istio's injector does.
type scrapeConfig struct {
	Scrape  string         `json:"scrape"`
	Path    string         `json:"path"`
	Port    string         `json:"port"`
	Targets []scrapeTarget `json:"targets,omitempty"`
}

type scrapeTarget struct {
	Port string `json:"port"`
	Path string `json:"path"`
}

func (s scrapeConfig) empty() bool {
	return s.Scrape == "" && s.Path == "" && s.Port == "" && len(s.Targets) == 0
}

// promKey is an annotation key the way Prometheus turns it into a label
// name: every character outside [a-zA-Z0-9_] becomes '_'. prometheus.io/port,
// prometheus.io.port and prometheus-io/port all mean the same to Prometheus,
// and so to Istio's injector.
func promKey(k string) string {
	b := []byte(k)
	for i, c := range b {
		b[i] = promChar(c)
	}
	return string(b)
}

func promChar(c byte) byte {
	if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' {
		return c
	}
	return '_'
}

// samePromKey reports whether promKey(a) == promKey(b), without building
// either: it runs for every annotation of every pod.
func samePromKey(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if promChar(a[i]) != promChar(b[i]) {
			return false
		}
	}
	return true
}

// promAnnotations returns the pod's annotations that mean key to
// Prometheus, in key order so that the result does not depend on map order
// when a pod has two spellings.
func promAnnotations(anns map[string]string, key string) []string {
	var out []string
	for k := range anns {
		if samePromKey(k, key) {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// promValue is the value of the last spelling of key, in key order.
func promValue(anns map[string]string, key string) (string, bool) {
	ks := promAnnotations(anns, key)
	if len(ks) == 0 {
		return "", false
	}
	return anns[ks[len(ks)-1]], true
}

// mergeWanted reports whether the pod's metrics are merged by the agent: the
// pod's prometheus.istio.io/merge-metrics, else the mesh's
// enablePrometheusMerge, else yes; and not when the pod turns scraping off.
func (c *parsedConfig) mergeWanted(anns map[string]string) bool {
	on := true
	if v := c.Mesh.GetEnablePrometheusMerge(); v != nil {
		on = v.GetValue()
	}
	if v, ok := anns[annMergeMetric]; ok {
		if b, err := strconv.ParseBool(v); err == nil {
			on = b
		}
	}
	if !on {
		return false
	}
	for _, k := range promAnnotations(anns, promScrape) {
		if b, err := strconv.ParseBool(anns[k]); err == nil {
			return b
		}
	}
	return true
}

// parseScrapeTargets reads prometheus.istio.io/scrape-targets: a comma
// separated list of port:path, where the path defaults to /metrics.
func parseScrapeTargets(raw string) ([]scrapeTarget, error) {
	var out []scrapeTarget
	for _, entry := range strings.Split(raw, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		port, path, _ := strings.Cut(entry, ":")
		port, path = strings.TrimSpace(port), strings.TrimSpace(path)
		if port == "" {
			return nil, fmt.Errorf("empty port in scrape target %q", entry)
		}
		if path == "" {
			path = "/metrics"
		}
		out = append(out, scrapeTarget{Port: port, Path: path})
	}
	return out, nil
}

// reservedPorts are the proxy's own ports: scraping one of them would read
// Envoy or the agent, not the application.
var reservedPorts = map[string]string{
	"15000": "Envoy admin",
	"15001": "outbound traffic capture",
	"15004": "pilot debug",
	"15006": "inbound traffic capture",
	"15008": "HBONE tunnel",
	"15020": "pilot-agent status / merged Prometheus",
	"15021": "Envoy health",
	"15053": "DNS proxy",
	"15090": "Envoy Prometheus (already merged)",
}

// checkScrapePort rejects a port that is not a port, is the agent's, or is
// one of the proxy's own.
func checkScrapePort(what, port, agent string) error {
	n, err := strconv.Atoi(port)
	if err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("annotation %s: invalid port %q", what, port)
	}
	canon := strconv.Itoa(n)
	if canon == agent {
		return fmt.Errorf("annotation %s: port %s is the agent's own port, where the merged metrics are served", what, port)
	}
	if reason, ok := reservedPorts[canon]; ok {
		return fmt.Errorf("annotation %s: port %s is reserved for Istio (%s) and cannot be scraped", what, port, reason)
	}
	return nil
}

// prometheusMerge points the prometheus.io annotations at the agent, which
// merges the application's metrics with Envoy's; the application's own
// scrape settings move to the proxy's ISTIO_PROMETHEUS_ANNOTATIONS, as
// Istio's injector does.
func (c *parsedConfig) prometheusMerge(pod *corev1.Pod, statusPort int32) error {
	if !c.mergeWanted(pod.Annotations) {
		return nil
	}
	agent := strconv.Itoa(int(statusPort))
	if cur, ok := promValue(pod.Annotations, promPort); ok && cur == agent {
		// Already pointed at the agent: injected before, or the user's choice.
		return nil
	}
	var scrape scrapeConfig
	scrape.Scrape, _ = promValue(pod.Annotations, promScrape)
	scrape.Port, _ = promValue(pod.Annotations, promPort)
	scrape.Path, _ = promValue(pod.Annotations, promPath)
	if raw, ok := promValue(pod.Annotations, promScrapeTargets); ok {
		// Like Istio, a list that does not parse is ignored.
		if targets, err := parseScrapeTargets(raw); err == nil {
			scrape.Targets = targets
		}
	}
	if len(scrape.Targets) > 0 {
		// An agent that predates targets scrapes the first one.
		scrape.Port, scrape.Path = scrape.Targets[0].Port, scrape.Targets[0].Path
		for _, t := range scrape.Targets {
			if err := checkScrapePort(promScrapeTargets, t.Port, agent); err != nil {
				return err
			}
		}
	} else if scrape.Port != "" {
		if err := checkScrapePort(promPort, scrape.Port, agent); err != nil {
			return err
		}
	}
	if sc := findContainer(pod, proxyName); sc != nil && !scrape.empty() {
		b, err := json.Marshal(scrape)
		if err != nil {
			return err
		}
		sc.Env = append(sc.Env, corev1.EnvVar{Name: envPrometheus, Value: string(b)})
	}
	for _, key := range []string{promScrape, promPort, promPath, promScrapeTargets} {
		for _, k := range promAnnotations(pod.Annotations, key) {
			delete(pod.Annotations, k)
		}
	}
	pod.Annotations[promPort] = agent
	pod.Annotations[promPath] = "/stats/prometheus"
	pod.Annotations[promScrape] = "true"
	return nil
}

// securePrometheusPort announces the agent's mTLS metrics port in
// prometheus.istio.io/secure-port when the proxy is given one, unless the
// pod already says.
func securePrometheusPort(pod *corev1.Pod) {
	if len(promAnnotations(pod.Annotations, promSecurePort)) > 0 {
		return
	}
	sc := findContainer(pod, proxyName)
	if sc == nil {
		return
	}
	for _, e := range sc.Env {
		if e.Name == envSecurePort && e.Value != "" && e.Value != "0" {
			pod.Annotations[promSecurePort] = e.Value
			return
		}
	}
}
