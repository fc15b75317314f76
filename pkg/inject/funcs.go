package inject

import (
	"encoding/json"
	"fmt"
	"path"
	"strings"
	"sync"
	"text/template"

	"github.com/Masterminds/sprig/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	meshconfig "istio.io/api/mesh/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// funcMap is what an injection template may call: sprig's functions plus the
// names Istio's injector adds, with the same signatures and results, so that
// a template written for one runs unchanged in the other.
func funcMap() template.FuncMap { return funcMapFor(nil) }

// funcMapFor is funcMap with protoToJSON of the shared default proxy config
// computed once.
func funcMapFor(shared *meshconfig.ProxyConfig) template.FuncMap {
	m := sprig.TxtFuncMap()
	var once sync.Once
	var sharedJSON string
	memo := &yamlMemo{}
	protoJSON := func(msg proto.Message) string {
		if pc, ok := msg.(*meshconfig.ProxyConfig); ok && shared != nil && pc == shared {
			once.Do(func() { sharedJSON = protoToJSON(shared) })
			return sharedJSON
		}
		return protoToJSON(msg)
	}
	for k, v := range map[string]any{
		"formatDuration":         func(d interface{ String() string }) string { return d.String() },
		"isset":                  isset,
		"excludeInboundPort":     excludeInboundPort,
		"includeInboundPorts":    includeInboundPorts,
		"kubevirtInterfaces":     func(s string) string { return s },
		"excludeInterfaces":      func(s string) string { return s },
		"applicationPorts":       includeInboundPorts,
		"annotation":             annotationOr,
		"valueOrDefault":         valueOrDefault,
		"toJSON":                 stringMapJSON,
		"fromJSON":               fromJSON,
		"structToJSON":           structToJSON,
		"protoToJSON":            protoJSON,
		"toYaml":                 memo.toYAML,
		"indent":                 indentTail,
		"directory":              func(p string) string { d, _ := path.Split(p); return d },
		"contains":               func(needle, haystack string) bool { return strings.Contains(haystack, needle) },
		"toLower":                strings.ToLower,
		"appendMultusNetwork":    appendMultusNetwork,
		"env":                    func(_, def string) string { return def },
		"omit":                   omitKeys,
		"strdict":                strdict,
		"toJsonMap":              func(ms ...map[string]string) string { return stringMapJSON(mergeMaps(ms...)) },
		"mergeMaps":              mergeMaps,
		"omitNil":                omitNil,
		"otelResourceAttributes": func(...any) string { return "" },
	} {
		m[k] = v
	}
	return m
}

func isset(m map[string]string, key string) bool {
	_, ok := m[key]
	return ok
}

// annotationOr returns the pod's annotation, or the default printed with %v.
func annotationOr(meta metav1.ObjectMeta, name string, def any) string {
	if v, ok := meta.Annotations[name]; ok {
		return v
	}
	return fmt.Sprint(def)
}

func valueOrDefault(v, def any) any {
	if v == nil || v == "" {
		return def
	}
	return v
}

// excludeInboundPort adds port to the comma-separated list unless it is
// empty, "0" or already there.
func excludeInboundPort(port any, list string) string {
	p := strings.TrimSpace(fmt.Sprint(port))
	if p == "" || p == "0" {
		return list
	}
	var out []string
	for _, s := range strings.Split(list, ",") {
		s = strings.TrimSpace(s)
		if s == p {
			return list
		}
		if s != "" {
			out = append(out, s)
		}
	}
	return strings.Join(append(out, p), ",")
}

func includeInboundPorts(cs []corev1.Container) string {
	var ports []string
	for _, c := range cs {
		if c.Name == proxyName {
			continue
		}
		for _, p := range c.Ports {
			ports = append(ports, fmt.Sprint(p.ContainerPort))
		}
	}
	return strings.Join(ports, ",")
}

func stringMapJSON(m map[string]string) string {
	if m == nil {
		return "{}"
	}
	b, _ := json.Marshal(m)
	return string(b)
}

func fromJSON(s string) any {
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		return "{}"
	}
	return v
}

func structToJSON(v any) string {
	if v == nil {
		return "{}"
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "{}"
	}
	return string(b)
}

// protoToJSON prints the proxy config without the fields that hold their
// default values, which keeps the PROXY_CONFIG variable short.
func protoToJSON(m proto.Message) string {
	pc, ok := m.(*meshconfig.ProxyConfig)
	if !ok || pc == nil {
		return "{}"
	}
	pc = proto.Clone(pc).(*meshconfig.ProxyConfig)
	d := DefaultProxyConfig()
	if pc.ConfigPath == d.ConfigPath {
		pc.ConfigPath = ""
	}
	if pc.BinaryPath == d.BinaryPath {
		pc.BinaryPath = ""
	}
	if pc.ControlPlaneAuthPolicy == d.ControlPlaneAuthPolicy {
		pc.ControlPlaneAuthPolicy = 0
	}
	if pc.GetServiceCluster() == d.GetServiceCluster() {
		pc.ClusterName = nil
	}
	if proto.Equal(pc.DrainDuration, d.DrainDuration) {
		pc.DrainDuration = nil
	}
	if proto.Equal(pc.TerminationDrainDuration, d.TerminationDrainDuration) {
		pc.TerminationDrainDuration = nil
	}
	if pc.DiscoveryAddress == d.DiscoveryAddress {
		pc.DiscoveryAddress = ""
	}
	if proto.Equal(pc.Tracing, d.Tracing) {
		pc.Tracing = nil
	}
	if pc.ProxyAdminPort == d.ProxyAdminPort {
		pc.ProxyAdminPort = 0
	}
	if pc.StatNameLength == d.StatNameLength {
		pc.StatNameLength = 0
	}
	if pc.StatusPort == d.StatusPort {
		pc.StatusPort = 0
	}
	if len(pc.ProxyMetadata) == 0 {
		pc.ProxyMetadata = nil
	}
	b, err := protojson.MarshalOptions{}.Marshal(pc)
	if err != nil {
		return "{}"
	}
	// protojson's spacing is deliberately unstable; go through encoding/json
	// for output that is the same bytes every run.
	var v any
	if json.Unmarshal(b, &v) != nil {
		return "{}"
	}
	out, _ := json.Marshal(v)
	return string(out)
}

func toYAML(v any) string {
	b, err := yaml.Marshal(v)
	if err != nil {
		return ""
	}
	return string(b)
}

// indentTail indents every line but the first, as Istio's "indent" does: the
// template writes the first line's indentation itself.
func indentTail(n int, s string) string {
	lines := strings.Split(s, "\n")
	pad := strings.Repeat(" ", n)
	for i := 1; i < len(lines); i++ {
		lines[i] = pad + lines[i]
	}
	return strings.Join(lines, "\n")
}

func appendMultusNetwork(existing, network string) string {
	if existing == "" {
		return network
	}
	for _, n := range strings.Split(existing, ",") {
		if strings.TrimSpace(n) == network {
			return existing
		}
	}
	return existing + ", " + network
}

func omitKeys(m map[string]string, keys ...string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		out[k] = v
	}
	for _, k := range keys {
		delete(out, k)
	}
	return out
}

func strdict(kv ...string) map[string]string {
	m := map[string]string{}
	for i := 0; i < len(kv); i += 2 {
		if i+1 < len(kv) {
			m[kv[i]] = kv[i+1]
		} else {
			m[kv[i]] = ""
		}
	}
	return m
}

func mergeMaps(ms ...map[string]string) map[string]string {
	if len(ms) == 0 {
		return nil
	}
	out := map[string]string{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

// omitNil drops nil values from nested maps and lists.
func omitNil(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range t {
			if e != nil {
				out[k] = omitNil(e)
			}
		}
		return out
	case []any:
		out := make([]any, 0, len(t))
		for _, e := range t {
			if e != nil {
				out = append(out, omitNil(e))
			}
		}
		return out
	}
	return v
}
