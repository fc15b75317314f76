package analyze

import (
	"sort"
	"strings"
	"sync"

	meshconfig "istio.io/api/mesh/v1alpha1"
	networking "istio.io/api/networking/v1alpha3"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/meshctl/meshctl/pkg/mesh"
)

// DefaultClusterDomain is used when neither the mesh config nor the caller
// names one.
const DefaultClusterDomain = mesh.DefaultClusterDomain

// DefaultIstioNamespace is the control plane namespace unless told otherwise.
const DefaultIstioNamespace = "istio-system"

// SnapshotOptions tune how names are resolved.
type SnapshotOptions struct {
	// ClusterDomain completes short host names; "" means the injector
	// config's value, else cluster.local.
	ClusterDomain string
	// IstioNamespace is the control plane namespace (istio-system).
	IstioNamespace string
	// MeshConfig is the mesh configuration, if known. Its rootNamespace
	// is where mesh-wide policies live.
	MeshConfig *meshconfig.MeshConfig
	// MissingSecrets are Secrets ("namespace/name") that were looked up in
	// the cluster and do not exist. Only these are reported missing: a
	// Secret absent from files may well exist in the cluster.
	MissingSecrets []string
}

// Duplicate is a resource defined twice in the inputs.
type Duplicate struct {
	Ref          Ref
	First, Later string // "file:line"
}

// Workload is something that runs pods: a Pod, the pod template of a
// Deployment, StatefulSet or DaemonSet, or a WorkloadEntry.
type Workload struct {
	Resource  *Resource
	Namespace string
	Labels    labels.Set
	// PodSpec is nil for WorkloadEntries.
	PodSpec *corev1.PodSpec
	// Annotations of the pod (template).
	Annotations map[string]string
}

// Service is a host in the mesh's registry: a Kubernetes Service or one
// host of a ServiceEntry.
type Service struct {
	Host      string // fully qualified, possibly a wildcard for ServiceEntries
	Namespace string
	// ExportTo lists the namespaces that see the service; "*" is all.
	ExportTo []string
	Ports    []ServicePort
	// Selector selects the workloads behind the service (nil for external
	// ServiceEntries).
	Selector map[string]string
	Resource *Resource
}

// ServicePort is one port of a Service.
type ServicePort struct {
	Number     uint32
	Name       string
	Protocol   string
	TargetPort string
}

// VisibleFrom reports whether namespace ns sees the service.
func (s *Service) VisibleFrom(ns string) bool { return mesh.Visible(s.ExportTo, ns) }

// Snapshot is the read-only, indexed set of resources the analyzers see.
// It is built once; analyzers share it and never change it.
type Snapshot struct {
	opts          SnapshotOptions
	clusterDomain string
	rootNamespace string
	// exportDefaults are the mesh config's exportTo for objects that set none.
	exportDefaults mesh.ExportDefaults

	byKind     map[string][]*Resource
	byKey      map[string]*Resource
	workloads  map[string][]*Workload
	services   map[string][]*Service // by FQDN
	wildcards  []*Service
	drByHost   map[string][]*Resource // by FQDN of the DestinationRule's host
	drWildcard []*Resource
	duplicates []Duplicate

	// Selector indexes (labelindex.go): workloads by namespace and label,
	// the same over all namespaces (namespaces in order), and the
	// Kubernetes Services of each namespace by selector.
	workloadsByLabel    map[string]*labelIndex[*Workload]
	allWorkloadsByLabel *labelIndex[*Workload]
	servicesBySelector  map[string]*selectorIndex[*Resource]
	missingSecrets      map[string]bool
	// sortedHosts are the keys of services, sorted, for wildcard lookups.
	sortedHosts func() []string
}

// NewSnapshot indexes resources. File resources come first and win over
// live ones with the same kind, namespace and name; a resource defined twice
// in files is a Duplicate and the later definition is used, as with
// kubectl apply.
func NewSnapshot(resources []*Resource, opts SnapshotOptions) *Snapshot {
	if opts.IstioNamespace == "" {
		opts.IstioNamespace = DefaultIstioNamespace
	}
	s := &Snapshot{
		opts:      opts,
		byKind:    map[string][]*Resource{},
		byKey:     make(map[string]*Resource, len(resources)),
		workloads: map[string][]*Workload{},
		services:  map[string][]*Service{},
		drByHost:  map[string][]*Resource{},
	}
	for _, r := range resources {
		k := r.key()
		if old, ok := s.byKey[k]; ok {
			if r.File == "" && old.File != "" {
				continue // files win over the cluster
			}
			if old.File != "" && r.File != "" {
				s.duplicates = append(s.duplicates, Duplicate{Ref: r.Ref(), First: where(old), Later: where(r)})
			}
		}
		s.byKey[k] = r
	}
	keys := make([]string, 0, len(s.byKey))
	for k := range s.byKey {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		r := s.byKey[k]
		s.byKind[r.Kind] = append(s.byKind[r.Kind], r)
	}
	s.clusterDomain = opts.ClusterDomain
	if s.clusterDomain == "" {
		s.clusterDomain = injectorClusterDomain(s, opts.IstioNamespace)
	}
	if s.clusterDomain == "" {
		s.clusterDomain = DefaultClusterDomain
	}
	if s.opts.MeshConfig == nil {
		s.opts.MeshConfig = meshConfigFromResources(s.byKind[KindConfigMap], opts.IstioNamespace)
	}
	s.exportDefaults = mesh.ExportDefaultsOf(s.opts.MeshConfig)
	s.rootNamespace = s.opts.MeshConfig.GetRootNamespace()
	if s.rootNamespace == "" {
		s.rootNamespace = opts.IstioNamespace
	}
	s.indexWorkloads()
	s.indexServices()
	s.indexDestinationRules()
	s.missingSecrets = make(map[string]bool, len(opts.MissingSecrets))
	for _, m := range opts.MissingSecrets {
		s.missingSecrets[m] = true
	}
	return s
}

func where(r *Resource) string {
	if r.File == "" {
		return "cluster"
	}
	return r.File + ":" + itoa(r.Line)
}

// List returns the resources of a kind, ordered by namespace and name.
func (s *Snapshot) List(kind string) []*Resource { return s.byKind[kind] }

// Get finds one resource.
func (s *Snapshot) Get(kind, namespace, name string) *Resource {
	return s.byKey[kind+"/"+namespace+"/"+name]
}

// SecretMissing reports whether the Secret is known not to exist.
func (s *Snapshot) SecretMissing(ns, name string) bool { return s.missingSecrets[ns+"/"+name] }

// Len is the number of resources.
func (s *Snapshot) Len() int { return len(s.byKey) }

// Duplicates lists resources defined more than once in files.
func (s *Snapshot) Duplicates() []Duplicate { return s.duplicates }

// ClusterDomain in use.
func (s *Snapshot) ClusterDomain() string { return s.clusterDomain }

// RootNamespace is where mesh-wide policies live.
func (s *Snapshot) RootNamespace() string { return s.rootNamespace }

// IstioNamespace is the control plane namespace.
func (s *Snapshot) IstioNamespace() string { return s.opts.IstioNamespace }

// Workloads in a namespace.
func (s *Snapshot) Workloads(ns string) []*Workload { return s.workloads[ns] }

// WorkloadsKnown reports whether the snapshot can tell that no workload in
// ns matches a selector: it holds at least one workload of ns. Files that
// hold only routing config say nothing about the pods that run, so
// selector findings are not made about namespaces whose workloads are unseen.
func (s *Snapshot) WorkloadsKnown(ns string) bool { return len(s.workloads[ns]) > 0 }

// FQDN completes a short host name (no dot) in namespace ns with the
// cluster domain.
func (s *Snapshot) FQDN(host, ns string) string { return mesh.FQDN(host, ns, s.clusterDomain) }

func (s *Snapshot) indexWorkloads() {
	add := func(r *Resource, lbls, ann map[string]string, spec *corev1.PodSpec) {
		s.workloads[r.Namespace] = append(s.workloads[r.Namespace], &Workload{Resource: r, Namespace: r.Namespace, Labels: labels.Set(lbls), PodSpec: spec, Annotations: ann})
	}
	for _, r := range s.byKind[KindPod] {
		if p, ok := r.Spec.(*corev1.Pod); ok {
			add(r, p.Labels, p.Annotations, &p.Spec)
		}
	}
	for _, kind := range []string{KindDeployment, KindStatefulSet, KindDaemonSet} {
		for _, r := range s.byKind[kind] {
			if t := podTemplate(r); t != nil {
				add(r, t.Labels, t.Annotations, &t.Spec)
			}
		}
	}
	for _, r := range s.byKind[KindWorkloadEntry] {
		if we, ok := r.Spec.(*networking.WorkloadEntry); ok {
			add(r, we.GetLabels(), nil, nil)
		}
	}
	s.workloadsByLabel = make(map[string]*labelIndex[*Workload], len(s.workloads))
	s.allWorkloadsByLabel = newLabelIndex[*Workload]()
	nss := make([]string, 0, len(s.workloads))
	for ns := range s.workloads {
		nss = append(nss, ns)
	}
	sort.Strings(nss)
	for _, ns := range nss {
		x := newLabelIndex[*Workload]()
		for _, w := range s.workloads[ns] {
			x.add(w, w.Labels)
			s.allWorkloadsByLabel.add(w, w.Labels)
		}
		s.workloadsByLabel[ns] = x
	}
}

// selectedWorkloads calls f with each workload of namespace ns that the
// equality selector sel selects (all of them when sel is empty), in the
// order of Workloads(ns), until f returns false.
func (s *Snapshot) selectedWorkloads(ns string, sel map[string]string, f func(*Workload) bool) {
	s.workloadsByLabel[ns].selected(sel, f)
}

// anyWorkloadSelected reports whether sel selects a workload of ns.
func (s *Snapshot) anyWorkloadSelected(ns string, sel map[string]string) bool {
	found := false
	s.selectedWorkloads(ns, sel, func(*Workload) bool { found = true; return false })
	return found
}

// servicesSelecting returns the Kubernetes Services of namespace ns whose
// (non-empty) selector selects lbls, in the order of List(KindService).
func (s *Snapshot) servicesSelecting(ns string, lbls map[string]string) []*Resource {
	return s.servicesBySelector[ns].selecting(lbls)
}

// podTemplate returns the pod template of a workload controller.
func podTemplate(r *Resource) *corev1.PodTemplateSpec {
	switch o := r.Spec.(type) {
	case *appsv1.Deployment:
		return &o.Spec.Template
	case *appsv1.StatefulSet:
		return &o.Spec.Template
	case *appsv1.DaemonSet:
		return &o.Spec.Template
	}
	return nil
}

func (s *Snapshot) addService(svc *Service) {
	if mesh.Wildcard(svc.Host) {
		s.wildcards = append(s.wildcards, svc)
		return
	}
	s.services[svc.Host] = append(s.services[svc.Host], svc)
}

func (s *Snapshot) indexServices() {
	byNs := map[string][]*Resource{}
	for _, r := range s.byKind[KindService] {
		k, ok := r.Spec.(*corev1.Service)
		if !ok {
			continue
		}
		byNs[r.Namespace] = append(byNs[r.Namespace], r)
		svc := &Service{Host: s.FQDN(r.Name, r.Namespace), Namespace: r.Namespace, Selector: k.Spec.Selector, Resource: r}
		svc.ExportTo = mesh.NormalizeExportTo(mesh.Or(splitList(r.Annotations["networking.istio.io/exportTo"]), s.exportDefaults.Service), r.Namespace)
		for _, p := range k.Spec.Ports {
			svc.Ports = append(svc.Ports, ServicePort{Number: uint32(p.Port), Name: p.Name, Protocol: string(p.Protocol), TargetPort: p.TargetPort.String()})
		}
		s.addService(svc)
	}
	for _, r := range s.byKind[KindServiceEntry] {
		se, ok := r.Spec.(*networking.ServiceEntry)
		if !ok {
			continue
		}
		var ports []ServicePort
		for _, p := range se.GetPorts() {
			ports = append(ports, ServicePort{Number: p.GetNumber(), Name: p.GetName(), Protocol: p.GetProtocol(), TargetPort: itoa(int(p.GetTargetPort()))})
		}
		exp := mesh.NormalizeExportTo(mesh.Or(se.GetExportTo(), s.exportDefaults.Service), r.Namespace)
		for _, h := range se.GetHosts() {
			s.addService(&Service{Host: s.FQDN(h, r.Namespace), Namespace: r.Namespace, ExportTo: exp, Ports: ports, Selector: se.GetWorkloadSelector().GetLabels(), Resource: r})
		}
	}
	s.servicesBySelector = make(map[string]*selectorIndex[*Resource], len(byNs))
	for ns, rs := range byNs {
		s.servicesBySelector[ns] = newSelectorIndex(rs, func(r *Resource) map[string]string {
			return r.Spec.(*corev1.Service).Spec.Selector
		})
	}
	s.sortedHosts = sync.OnceValue(func() []string {
		hosts := make([]string, 0, len(s.services))
		for h := range s.services {
			hosts = append(hosts, h)
		}
		sort.Strings(hosts)
		return hosts
	})
}

func (s *Snapshot) indexDestinationRules() {
	for _, r := range s.byKind[KindDestinationRule] {
		dr, ok := r.Spec.(*networking.DestinationRule)
		if !ok || dr.GetHost() == "" {
			continue
		}
		h := s.FQDN(dr.GetHost(), r.Namespace)
		if mesh.Wildcard(h) {
			s.drWildcard = append(s.drWildcard, r)
			continue
		}
		s.drByHost[h] = append(s.drByHost[h], r)
	}
}

// LookupService resolves a destination host as written in a resource of
// namespace ns: short names complete in ns, exportTo is honoured (the
// service must be visible from one of the namespaces in from), and
// wildcard ServiceEntry hosts match. A wildcard host matches any visible
// service it covers.
func (s *Snapshot) LookupService(host, ns string, from []string) *Service {
	fq := s.FQDN(host, ns)
	if len(from) == 0 {
		from = []string{ns}
	}
	ok := func(svc *Service) bool {
		for _, f := range from {
			if f == "*" || svc.VisibleFrom(f) {
				return true
			}
		}
		return false
	}
	for _, svc := range s.services[fq] {
		if ok(svc) {
			return svc
		}
	}
	for _, svc := range s.wildcards {
		if ok(svc) && mesh.HostMatches(svc.Host, fq) {
			return svc
		}
	}
	if mesh.Wildcard(fq) {
		for _, h := range s.sortedHosts() {
			if !mesh.HostMatches(fq, h) {
				continue
			}
			for _, svc := range s.services[h] {
				if ok(svc) {
					return svc
				}
			}
		}
	}
	return nil
}

// DestinationRuleExportTo is the normalized exportTo of a DestinationRule,
// the mesh config's default when it sets none.
func (s *Snapshot) DestinationRuleExportTo(r *Resource) []string {
	return mesh.NormalizeExportTo(mesh.Or(specOf[*networking.DestinationRule](r).GetExportTo(), s.exportDefaults.DestinationRule), r.Namespace)
}

// VirtualServiceExportTo is the normalized exportTo of a VirtualService,
// the mesh config's default when it sets none.
func (s *Snapshot) VirtualServiceExportTo(r *Resource, vs *networking.VirtualService) []string {
	return mesh.NormalizeExportTo(mesh.Or(vs.GetExportTo(), s.exportDefaults.VirtualService), r.Namespace)
}

// DestinationRulesFor returns the DestinationRules visible from namespace
// ns whose host covers fqdn.
func (s *Snapshot) DestinationRulesFor(fqdn, ns string) []*Resource {
	var out []*Resource
	for _, r := range s.drByHost[fqdn] {
		if mesh.Visible(s.DestinationRuleExportTo(r), ns) {
			out = append(out, r)
		}
	}
	for _, r := range s.drWildcard {
		dr := specOf[*networking.DestinationRule](r)
		if mesh.HostMatches(s.FQDN(dr.GetHost(), r.Namespace), fqdn) && mesh.Visible(s.DestinationRuleExportTo(r), ns) {
			out = append(out, r)
		}
	}
	return out
}

func splitList(s string) []string {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	neg := n < 0
	if neg {
		n = -n
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}
