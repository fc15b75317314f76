package authz

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"runtime"
	"sort"
	"strings"

	"google.golang.org/protobuf/encoding/protojson"
	meshconfig "istio.io/api/mesh/v1alpha1"
	networking "istio.io/api/networking/v1alpha3"
	security "istio.io/api/security/v1beta1"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/yaml"

	"github.com/meshctl/meshctl/pkg/mesh"
	"github.com/meshctl/meshctl/pkg/yamlstream"
)

// Loader collects objects and builds a Snapshot. Objects it does not model
// are skipped.
type Loader struct {
	// IstioNamespace is where the mesh ConfigMap "istio" is looked for.
	IstioNamespace string
	// LivePods says that Pods are running pods: a pod without an istio-proxy
	// container has no sidecar whatever its labels say. Pods read from files
	// are manifests not yet injected.
	LivePods bool

	namespaces map[string]map[string]string
	pods       []*corev1.Pod
	templates  []template
	entries    []*workloadEntry
	services   []*corev1.Service
	meshYAML   []byte
	meshWhere  string
	meshFixed  bool
	// injectorDomain is global.proxy.clusterDomain of the sidecar
	// injector ConfigMap, when the input holds it.
	injectorDomain string
	snap           Snapshot
	// seen remembers each object read from a file, so that one read twice
	// (a file given twice, a directory holding several copies) counts once.
	seen map[string]seenObject
	// Warnings are what the caller should tell the user (an object read
	// twice).
	Warnings []string
}

type seenObject struct {
	where string
	data  []byte
}

// sameJSON says whether two JSON texts hold the same value, whatever the
// order of their keys.
func sameJSON(a, b []byte) (bool, error) {
	if bytes.Equal(a, b) {
		return true, nil
	}
	var va, vb any
	if err := json.Unmarshal(a, &va); err != nil {
		return false, err
	}
	if err := json.Unmarshal(b, &vb); err != nil {
		return false, err
	}
	return reflect.DeepEqual(va, vb), nil
}

type template struct {
	kind, name, namespace string
	ownedBy               string
	tmpl                  corev1.PodTemplateSpec
	where                 string
}

type envelope struct {
	APIVersion string            `json:"apiVersion"`
	Kind       string            `json:"kind"`
	Metadata   metav1.ObjectMeta `json:"metadata"`
	Spec       json.RawMessage   `json:"spec"`
	Items      []json.RawMessage `json:"items"`
	Data       map[string]string `json:"data"`
}

// NewLoader returns an empty loader.
func NewLoader(istioNamespace string) *Loader {
	if istioNamespace == "" {
		istioNamespace = "istio-system"
	}
	return &Loader{IstioNamespace: istioNamespace, namespaces: map[string]map[string]string{}}
}

// AddDocument adds one YAML or JSON document (a List adds its items).
func (l *Loader) AddDocument(d yamlstream.Document) error {
	if d.IsEmpty() {
		return nil
	}
	data, err := d.ToJSON()
	if err != nil {
		return err
	}
	return l.AddJSON(data, d.Where())
}

// AddJSON adds one object, or the items of a List, given as JSON.
func (l *Loader) AddJSON(data []byte, where string) error {
	if len(strings.TrimSpace(string(data))) == 0 || string(data) == "null" {
		return nil
	}
	var env envelope
	if err := json.Unmarshal(data, &env); err != nil {
		return fmt.Errorf("%s: %w", where, err)
	}
	if strings.HasSuffix(env.Kind, "List") && env.Items != nil {
		for i, it := range env.Items {
			if err := l.AddJSON(it, fmt.Sprintf("%s item %d", where, i)); err != nil {
				return err
			}
		}
		return nil
	}
	if dup, err := l.readBefore(env, data, where); dup || err != nil {
		return err
	}
	if err := l.add(env, data, where); err != nil {
		return fmt.Errorf("%s: %s %q: %w", where, env.Kind, env.Metadata.Name, err)
	}
	return nil
}

// readBefore says whether a file's object was read already: the same
// content again is kept once with a warning; different content under the
// same kind, namespace and name is an error naming both places. Objects
// read from a cluster are not compared (a file beside --use-kube adds to
// what the cluster holds).
func (l *Loader) readBefore(env envelope, data []byte, where string) (bool, error) {
	if env.Metadata.Name == "" || where == FromCluster {
		return false, nil
	}
	ns := env.Metadata.Namespace
	if ns == "" && env.Kind != "Namespace" {
		ns = "default"
	}
	key := group(env.APIVersion) + "/" + env.Kind + " " + ns + "/" + env.Metadata.Name
	if l.seen == nil {
		l.seen = map[string]seenObject{}
	}
	first, ok := l.seen[key]
	if !ok {
		// Only a name read twice is compared, so the first object's JSON
		// is kept instead of hashing every object up front.
		l.seen[key] = seenObject{where: where, data: data}
		return false, nil
	}
	same, err := sameJSON(first.data, data)
	if err != nil {
		return false, fmt.Errorf("%s: %w", where, err)
	}
	name := env.Kind + " " + strings.TrimPrefix(ns+"/", "/") + env.Metadata.Name
	if !same {
		return true, fmt.Errorf("%s is defined twice with different content: %s and %s", name, first.where, where)
	}
	l.Warnings = append(l.Warnings, fmt.Sprintf("%s is read twice (%s and %s); it counts once", name, first.where, where))
	return true, nil
}

func group(apiVersion string) string {
	if i := strings.Index(apiVersion, "/"); i >= 0 {
		return apiVersion[:i]
	}
	return ""
}

func (l *Loader) add(env envelope, data []byte, where string) error {
	m := env.Metadata
	meta := Meta{Kind: env.Kind, Name: m.Name, Namespace: m.Namespace, Created: m.CreationTimestamp.Time, Where: where}
	if meta.Namespace == "" {
		meta.Namespace = "default"
	}
	spec := env.Spec
	if len(spec) == 0 || string(spec) == "null" {
		spec = []byte("{}")
	}
	g := group(env.APIVersion)
	switch {
	case g == "" && env.Kind == "Namespace":
		l.namespaces[m.Name] = m.Labels
	case g == "" && env.Kind == "ConfigMap":
		if !l.meshFixed && (m.Name == "istio" || strings.HasPrefix(m.Name, "istio-")) && meta.Namespace == l.IstioNamespace && env.Data["mesh"] != "" {
			if m.Name == "istio" || l.meshYAML == nil {
				l.meshYAML, l.meshWhere = []byte(env.Data["mesh"]), where
			}
		}
		if m.Name == "istio-sidecar-injector" && meta.Namespace == l.IstioNamespace {
			l.injectorDomain = mesh.InjectorClusterDomain(env.Data["values"])
		}
	case g == "" && env.Kind == "Pod":
		var p corev1.Pod
		if err := json.Unmarshal(data, &p); err != nil {
			return err
		}
		if p.Namespace == "" {
			p.Namespace = "default"
		}
		if p.Annotations == nil {
			p.Annotations = map[string]string{}
		}
		p.Annotations["meshctl.where"] = where
		l.pods = append(l.pods, &p)
	case g == "" && env.Kind == "Service":
		var s corev1.Service
		if err := json.Unmarshal(data, &s); err != nil {
			return err
		}
		if s.Namespace == "" {
			s.Namespace = "default"
		}
		if s.Annotations == nil {
			s.Annotations = map[string]string{}
		}
		s.Annotations["meshctl.where"] = where
		l.services = append(l.services, &s)
	case g == "apps" || g == "batch":
		return l.addTemplate(env, data, where)
	case g == "security.istio.io" && env.Kind == "PeerAuthentication":
		var s security.PeerAuthentication
		if err := s.UnmarshalJSON(spec); err != nil {
			return err
		}
		l.snap.PeerAuthns = append(l.snap.PeerAuthns, &PeerAuthn{Meta: meta, Spec: &s})
	case g == "security.istio.io" && env.Kind == "AuthorizationPolicy":
		var s security.AuthorizationPolicy
		if err := s.UnmarshalJSON(spec); err != nil {
			return err
		}
		l.snap.AuthzPolicies = append(l.snap.AuthzPolicies, &AuthzPolicy{Meta: meta, Spec: &s, DryRun: m.Annotations["istio.io/dry-run"] == "true"})
	case g == "security.istio.io" && env.Kind == "RequestAuthentication":
		var s security.RequestAuthentication
		if err := s.UnmarshalJSON(spec); err != nil {
			return err
		}
		l.snap.ReqAuthns = append(l.snap.ReqAuthns, &ReqAuthn{Meta: meta, Spec: &s})
	case g == "networking.istio.io" && env.Kind == "DestinationRule":
		var s networking.DestinationRule
		if err := s.UnmarshalJSON(spec); err != nil {
			return err
		}
		l.snap.DestRules = append(l.snap.DestRules, &DestRule{Meta: meta, Spec: &s})
	case g == "networking.istio.io" && env.Kind == "Sidecar":
		var s networking.Sidecar
		if err := s.UnmarshalJSON(spec); err != nil {
			return err
		}
		l.snap.Sidecars = append(l.snap.Sidecars, &SidecarCfg{Meta: meta, Spec: &s})
	case g == "networking.istio.io" && env.Kind == "ServiceEntry":
		var s networking.ServiceEntry
		if err := s.UnmarshalJSON(spec); err != nil {
			return err
		}
		l.snap.ServiceEntries = append(l.snap.ServiceEntries, &SvcEntry{Meta: meta, Spec: &s})
	case g == "networking.istio.io" && env.Kind == "VirtualService":
		var s networking.VirtualService
		if err := s.UnmarshalJSON(spec); err != nil {
			return err
		}
		l.snap.VirtualServices = append(l.snap.VirtualServices, &VirtualSvc{Meta: meta, Spec: &s})
	case g == "networking.istio.io" && env.Kind == "Gateway":
		var s networking.Gateway
		if err := s.UnmarshalJSON(spec); err != nil {
			return err
		}
		l.snap.Gateways = append(l.snap.Gateways, &GatewayCfg{Meta: meta, Spec: &s})
	case g == "networking.istio.io" && env.Kind == "WorkloadEntry":
		var s networking.WorkloadEntry
		if err := s.UnmarshalJSON(spec); err != nil {
			return err
		}
		l.entries = append(l.entries, &workloadEntry{meta: meta, spec: &s})
	case g == "networking.k8s.io" && env.Kind == "NetworkPolicy":
		var np networkingv1.NetworkPolicy
		if err := json.Unmarshal(data, &np); err != nil {
			return err
		}
		l.snap.NetPolicies = append(l.snap.NetPolicies, &NetPolicy{Meta: meta, Spec: np.Spec})
	case g == "authentication.istio.io" && (env.Kind == "MeshPolicy" || env.Kind == "Policy"):
		return l.addV1alpha1(env, meta, spec)
	}
	return nil
}

// addV1alpha1 turns the 1.4-era MeshPolicy and namespace-wide Policy (peers
// with mtls) into the PeerAuthentication that replaced them. Policies with
// targets are not modelled.
func (l *Loader) addV1alpha1(env envelope, meta Meta, spec []byte) error {
	var old struct {
		Targets []json.RawMessage `json:"targets"`
		Peers   []struct {
			MTLS *struct {
				Mode string `json:"mode"`
			} `json:"mtls"`
		} `json:"peers"`
	}
	if err := json.Unmarshal(spec, &old); err != nil {
		return err
	}
	if len(old.Targets) > 0 {
		return nil
	}
	mode := security.PeerAuthentication_MutualTLS_PERMISSIVE
	for _, p := range old.Peers {
		if p.MTLS != nil {
			mode = security.PeerAuthentication_MutualTLS_STRICT
			if strings.EqualFold(p.MTLS.Mode, "PERMISSIVE") {
				mode = security.PeerAuthentication_MutualTLS_PERMISSIVE
			}
		}
	}
	if env.Kind == "MeshPolicy" {
		meta.Namespace = "" // placed in the root namespace at Build
	}
	l.snap.PeerAuthns = append(l.snap.PeerAuthns, &PeerAuthn{Meta: meta, Spec: &security.PeerAuthentication{Mtls: &security.PeerAuthentication_MutualTLS{Mode: mode}}})
	return nil
}

func (l *Loader) addTemplate(env envelope, data []byte, where string) error {
	t := template{kind: env.Kind, name: env.Metadata.Name, namespace: env.Metadata.Namespace, where: where}
	if t.namespace == "" {
		t.namespace = "default"
	}
	for _, o := range env.Metadata.OwnerReferences {
		if o.Controller != nil && *o.Controller {
			t.ownedBy = o.Kind
		}
	}
	switch env.Kind {
	case "Deployment":
		var o appsv1.Deployment
		if err := json.Unmarshal(data, &o); err != nil {
			return err
		}
		t.tmpl = o.Spec.Template
	case "StatefulSet":
		var o appsv1.StatefulSet
		if err := json.Unmarshal(data, &o); err != nil {
			return err
		}
		t.tmpl = o.Spec.Template
	case "DaemonSet":
		var o appsv1.DaemonSet
		if err := json.Unmarshal(data, &o); err != nil {
			return err
		}
		t.tmpl = o.Spec.Template
	case "ReplicaSet":
		var o appsv1.ReplicaSet
		if err := json.Unmarshal(data, &o); err != nil {
			return err
		}
		t.tmpl = o.Spec.Template
	case "Job":
		var o batchv1.Job
		if err := json.Unmarshal(data, &o); err != nil {
			return err
		}
		t.tmpl = o.Spec.Template
	case "CronJob":
		var o batchv1.CronJob
		if err := json.Unmarshal(data, &o); err != nil {
			return err
		}
		t.tmpl = o.Spec.JobTemplate.Spec.Template
	default:
		return nil
	}
	l.templates = append(l.templates, t)
	return nil
}

// SetMeshConfig sets the mesh config from YAML (a --meshConfigFile), which
// wins over any "istio" ConfigMap.
func (l *Loader) SetMeshConfig(data []byte, where string) {
	l.meshYAML, l.meshWhere, l.meshFixed = data, where, true
}

// BuildOptions adjust a build.
type BuildOptions struct {
	// AutoMTLS overrides the mesh config's enableAutoMtls when set.
	AutoMTLS *bool
	// ClusterDomain completes short host names; "" means the sidecar
	// injector ConfigMap's global.proxy.clusterDomain, else cluster.local.
	ClusterDomain string
}

// Build resolves workloads, services and the mesh config into a Snapshot.
func (l *Loader) Build(opts BuildOptions) (*Snapshot, error) {
	s := &Snapshot{PeerAuthns: l.snap.PeerAuthns, DestRules: l.snap.DestRules, AuthzPolicies: l.snap.AuthzPolicies, ReqAuthns: l.snap.ReqAuthns, Sidecars: l.snap.Sidecars, ServiceEntries: l.snap.ServiceEntries, VirtualServices: l.snap.VirtualServices, Gateways: l.snap.Gateways, NetPolicies: l.snap.NetPolicies}
	s.Mesh = DefaultMesh(l.IstioNamespace)
	if len(l.meshYAML) > 0 {
		m, err := parseMesh(l.meshYAML, s.Mesh)
		if err != nil {
			return nil, fmt.Errorf("mesh config %s: %w", l.meshWhere, err)
		}
		s.Mesh = m
	}
	if opts.AutoMTLS != nil {
		s.Mesh.AutoMTLS = *opts.AutoMTLS
	}
	switch {
	case opts.ClusterDomain != "":
		s.Mesh.ClusterDomain = opts.ClusterDomain
	case l.injectorDomain != "":
		s.Mesh.ClusterDomain = l.injectorDomain
	}
	for _, p := range s.PeerAuthns {
		if p.Namespace == "" {
			p.Namespace = s.Mesh.RootNamespace
		}
	}
	s.NamespaceLabels = l.namespaces
	s.Workloads = l.workloads()
	sortMeta(s.ServiceEntries)
	s.Services = append(l.buildServices(s.Workloads, s.Mesh.ClusterDomain), entryServices(s.ServiceEntries, s.Workloads)...)
	for _, svc := range s.Services {
		svc.fqdn, svc.id = svc.FQDN(), svc.Name+"."+svc.Namespace
		for _, w := range svc.Workloads {
			w.id = w.Name + "." + w.Namespace
		}
	}
	for _, w := range s.Workloads {
		w.id = w.Name + "." + w.Namespace
	}
	sortMeta(s.Sidecars)
	sortMeta(s.VirtualServices)
	for _, vs := range s.VirtualServices {
		vs.hosts = completeHosts(vs, mesh.ClusterDomainOr(s.Mesh.ClusterDomain))
	}
	sortMeta(s.Gateways)
	sortMeta(s.NetPolicies)
	sortMeta(s.PeerAuthns)
	sortMeta(s.DestRules)
	sortMeta(s.AuthzPolicies)
	sortMeta(s.ReqAuthns)
	return s, nil
}

func parseMesh(data []byte, def Mesh) (Mesh, error) {
	js, err := yaml.YAMLToJSON(data)
	if err != nil {
		return def, err
	}
	var mc meshconfig.MeshConfig
	if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(js, &mc); err != nil {
		return def, err
	}
	m := def
	if v := mc.GetEnableAutoMtls(); v != nil {
		m.AutoMTLS = v.GetValue()
	}
	if mc.GetRootNamespace() != "" {
		m.RootNamespace = mc.GetRootNamespace()
	}
	if mc.GetTrustDomain() != "" {
		m.TrustDomain = mc.GetTrustDomain()
	}
	m.TrustDomainAliases = mc.GetTrustDomainAliases()
	m.DestinationRuleExportTo = mc.GetDefaultDestinationRuleExportTo()
	m.ServiceExportTo = mc.GetDefaultServiceExportTo()
	m.VirtualServiceExportTo = mc.GetDefaultVirtualServiceExportTo()
	if p := mc.GetOutboundTrafficPolicy(); p != nil {
		m.OutboundPolicy = p.GetMode().String()
	}
	return m, nil
}

// workloads groups pods by their owning workload, then adds workload
// templates that have no pods.
func (l *Loader) workloads() []*Workload {
	byKey := map[string]*Workload{}
	var out []*Workload
	pods := append([]*corev1.Pod(nil), l.pods...)
	sort.SliceStable(pods, func(i, j int) bool {
		if pods[i].Namespace != pods[j].Namespace {
			return pods[i].Namespace < pods[j].Namespace
		}
		return pods[i].Name < pods[j].Name
	})
	for _, p := range pods {
		kind, name := podOwner(p)
		key := p.Namespace + "/" + name
		if _, ok := byKey[key]; ok {
			continue
		}
		w := l.newWorkload(kind, name, p.Namespace, p.ObjectMeta, p.Spec, p.Annotations["meshctl.where"], l.LivePods)
		w.IP = p.Status.PodIP
		byKey[key] = w
		out = append(out, w)
	}
	for _, t := range l.templates {
		if (t.kind == "ReplicaSet" && t.ownedBy == "Deployment") || (t.kind == "Job" && t.ownedBy == "CronJob") {
			continue
		}
		key := t.namespace + "/" + t.name
		if _, ok := byKey[key]; ok {
			continue
		}
		meta := t.tmpl.ObjectMeta
		w := l.newWorkload(t.kind, t.name, t.namespace, meta, t.tmpl.Spec, t.where, false)
		byKey[key] = w
		out = append(out, w)
	}
	for _, e := range l.entries {
		key := e.meta.Namespace + "/" + e.meta.Name
		if _, ok := byKey[key]; ok {
			continue
		}
		w := entryWorkload(e.meta.Name, e.meta.Namespace, e.spec, e.meta.Where)
		byKey[key] = w
		out = append(out, w)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Namespace != out[j].Namespace {
			return out[i].Namespace < out[j].Namespace
		}
		return out[i].Name < out[j].Name
	})
	return out
}

func podOwner(p *corev1.Pod) (string, string) {
	for _, o := range p.OwnerReferences {
		if o.Controller == nil || !*o.Controller {
			continue
		}
		if o.Kind == "ReplicaSet" {
			if h := p.Labels["pod-template-hash"]; h != "" && strings.HasSuffix(o.Name, "-"+h) {
				return "Deployment", strings.TrimSuffix(o.Name, "-"+h)
			}
		}
		return o.Kind, o.Name
	}
	return "Pod", p.Name
}

func (l *Loader) newWorkload(kind, name, ns string, meta metav1.ObjectMeta, spec corev1.PodSpec, where string, live bool) *Workload {
	w := &Workload{Name: name, Namespace: ns, Kind: kind, Labels: meta.Labels, ServiceAccount: spec.ServiceAccountName, Where: where, ContainerPorts: map[string]int32{}}
	if w.Labels == nil {
		w.Labels = map[string]string{}
	}
	if w.ServiceAccount == "" {
		w.ServiceAccount = "default"
	}
	for _, c := range spec.Containers {
		for _, p := range c.Ports {
			if p.Name != "" {
				w.ContainerPorts[p.Name] = p.ContainerPort
			}
			w.Ports = append(w.Ports, p.ContainerPort)
		}
	}
	w.Gateway = isGateway(meta)
	inj := mesh.Sidecar(mesh.Pod{Namespace: ns, Labels: meta.Labels, Annotations: meta.Annotations, Spec: &spec, Running: live}, l.namespaces[ns])
	w.Sidecar, w.SidecarReason = inj.Sidecar, inj.Reason
	if w.Gateway && !w.Sidecar && !spec.HostNetwork {
		w.Sidecar, w.SidecarReason = true, "gateway proxy"
	}
	return w
}

func isGateway(meta metav1.ObjectMeta) bool {
	switch meta.Labels["istio"] {
	case "ingressgateway", "egressgateway":
		return true
	}
	if meta.Labels["gateway.networking.k8s.io/gateway-name"] != "" {
		return true
	}
	return strings.Contains(meta.Annotations["inject.istio.io/templates"], "gateway")
}

func (l *Loader) buildServices(ws []*Workload, domain string) []*Service {
	var out []*Service
	for _, s := range l.services {
		if s.Spec.Type == corev1.ServiceTypeExternalName {
			continue
		}
		svc := &Service{Name: s.Name, Namespace: s.Namespace, Kind: KindService, Selector: s.Spec.Selector, Where: s.Annotations["meshctl.where"], domain: domain}
		if e := s.Annotations["networking.istio.io/exportTo"]; e != "" {
			svc.ExportTo = strings.Split(e, ",")
		}
		for _, p := range s.Spec.Ports {
			if p.Protocol != "" && p.Protocol != corev1.ProtocolTCP {
				continue
			}
			app := ""
			if p.AppProtocol != nil {
				app = *p.AppProtocol
			}
			svc.Ports = append(svc.Ports, ServicePort{Name: p.Name, Port: p.Port, TargetPort: p.TargetPort, Protocol: portProtocol(p.Name, app)})
		}
		if len(s.Spec.Selector) > 0 {
			for _, w := range ws {
				if w.Namespace == s.Namespace && selects(s.Spec.Selector, w.Labels) {
					svc.Workloads = append(svc.Workloads, w)
				}
			}
		}
		out = append(out, svc)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Namespace != out[j].Namespace {
			return out[i].Namespace < out[j].Namespace
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// workloadEntry is a WorkloadEntry as read: a VM or other workload
// outside Kubernetes.
type workloadEntry struct {
	meta Meta
	spec *networking.WorkloadEntry
}

// entryWorkload turns a WorkloadEntry (or a ServiceEntry's inline endpoint)
// into a workload. istiod gives its endpoint the tlsMode of its
// security.istio.io/tlsMode label, else istio when it has a service
// account, else disabled: meshctl reads istio as "runs a proxy".
func entryWorkload(name, ns string, e *networking.WorkloadEntry, where string) *Workload {
	w := &Workload{Name: name, Namespace: ns, Kind: "WorkloadEntry", Labels: map[string]string{}, ServiceAccount: e.GetServiceAccount(), IP: e.GetAddress(), Where: where, ContainerPorts: map[string]int32{}, EntryPorts: map[string]int32{}}
	for k, v := range e.GetLabels() {
		w.Labels[k] = v
	}
	for k, v := range e.GetPorts() {
		w.EntryPorts[k] = int32(v)
	}
	mode, why := "disabled", "no security.istio.io/tlsMode label and no service account"
	if v, ok := w.Labels["security.istio.io/tlsMode"]; ok {
		mode, why = v, "label security.istio.io/tlsMode="+v
	} else if w.ServiceAccount != "" {
		mode, why = "istio", "it has a service account"
	}
	w.Sidecar = mode == "istio"
	w.SidecarReason = "WorkloadEntry tlsMode " + mode + " (" + why + ")"
	if w.ServiceAccount == "" {
		w.ServiceAccount = "default"
	}
	return w
}

// entryServices makes a destination of every host of every ServiceEntry,
// with the workloads its workloadSelector picks in its namespace (pods and
// WorkloadEntries) or its inline endpoints.
func entryServices(entries []*SvcEntry, ws []*Workload) []*Service {
	var out []*Service
	for _, se := range entries {
		var ports []ServicePort
		for _, p := range se.Spec.GetPorts() {
			target := int32(p.GetTargetPort())
			if target == 0 {
				target = int32(p.GetNumber())
			}
			ports = append(ports, ServicePort{Name: p.GetName(), Port: int32(p.GetNumber()), TargetPort: intstr.FromInt32(target), Protocol: strings.ToUpper(p.GetProtocol())})
		}
		var picked []*Workload
		if sel := se.Spec.GetWorkloadSelector(); sel != nil {
			for _, w := range ws {
				if w.Namespace == se.Namespace && selects(sel.GetLabels(), w.Labels) {
					picked = append(picked, w)
				}
			}
		} else {
			for i, e := range se.Spec.GetEndpoints() {
				picked = append(picked, entryWorkload(fmt.Sprintf("%s-endpoint-%d", se.Name, i), se.Namespace, e, se.Where))
			}
		}
		for _, h := range se.Spec.GetHosts() {
			out = append(out, &Service{
				Name: h, Namespace: se.Namespace, Kind: KindServiceEntry, Host: h, Ports: ports, Workloads: picked,
				ExportTo: se.Spec.GetExportTo(), External: se.Spec.GetLocation() != networking.ServiceEntry_MESH_INTERNAL,
				Entry: se.Ref(), Where: se.Where, Selector: se.Spec.GetWorkloadSelector().GetLabels(),
			})
		}
	}
	return out
}

// AddPaths reads files, directories and "-" (stdin) and adds every document.
func (l *Loader) AddPaths(paths []string, stdin io.Reader) error {
	return l.addConverted(func(fn func(yamlstream.Document) error) error {
		return yamlstream.ReadPaths(paths, stdin, fn)
	})
}

// AddStream reads one YAML or JSON stream and adds every document, as
// AddPaths does.
func (l *Loader) AddStream(source string, r io.Reader) error {
	return l.addConverted(func(fn func(yamlstream.Document) error) error {
		return yamlstream.Read(source, r, fn)
	})
}

// converted is one document on its way through addConverted.
type converted struct {
	doc  yamlstream.Document
	json []byte
	err  error
	done chan struct{}
}

// addConverted adds the documents that read yields, converting them from
// YAML to JSON on every core (half the cost of loading) while adding them
// one at a time in the order read: the snapshot, its warnings and the
// first error are those of AddDocument called in turn.
func (l *Loader) addConverted(read func(func(yamlstream.Document) error) error) error {
	workers := runtime.GOMAXPROCS(0)
	inOrder := make(chan *converted, 8*workers)
	work := make(chan *converted, 8*workers)
	stop := make(chan struct{})
	var readErr error
	go func() {
		defer close(inOrder)
		defer close(work)
		readErr = read(func(d yamlstream.Document) error {
			c := &converted{doc: d, done: make(chan struct{})}
			select {
			case inOrder <- c:
			case <-stop:
				return errStopped
			}
			work <- c
			return nil
		})
	}()
	for range workers {
		go func() {
			for c := range work {
				if !c.doc.IsEmpty() {
					c.json, c.err = c.doc.ToJSON()
				}
				close(c.done)
			}
		}()
	}
	var err error
	for c := range inOrder {
		<-c.done
		if err != nil {
			continue // drain, so that the reader and workers finish
		}
		switch {
		case c.doc.IsEmpty():
		case c.err != nil:
			err = c.err
		default:
			err = l.AddJSON(c.json, c.doc.Where())
		}
		if err != nil {
			close(stop)
		}
	}
	if err != nil {
		return err
	}
	if errors.Is(readErr, errStopped) {
		return nil
	}
	return readErr
}

// errStopped ends a read that addConverted no longer needs.
var errStopped = errors.New("stopped")
