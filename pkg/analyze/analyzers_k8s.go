package analyze

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"

	"istio.io/api/annotation"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/meshctl/meshctl/pkg/mesh"
)

func init() {
	register(&analyzer{
		name:   "injection.Analyzer",
		desc:   "Checks namespaces for sidecar injection labels and injected namespaces' pods for the proxy",
		codes:  []*MessageType{NamespaceNotInjected, PodMissingProxy, NamespaceMultipleInjectionLabels},
		inputs: []string{KindNamespace, KindPod},
		run:    analyzeInjection,
	})
	register(&analyzer{
		name:   "service.PortNameAnalyzer",
		desc:   "Checks that Service port names (or appProtocol) declare a protocol Istio knows",
		codes:  []*MessageType{PortNameIsNotUnderNamingConvention},
		inputs: []string{KindService},
		run:    analyzePortNames,
	})
	register(&analyzer{
		name:   "deployment.MultiServiceAnalyzer",
		desc:   "Checks the Services that select one Deployment: one port must mean one protocol, one targetPort one port",
		codes:  []*MessageType{DeploymentAssociatedToMultipleServices, DeploymentConflictingPorts},
		inputs: []string{KindDeployment, KindService, KindNamespace},
		run:    analyzeDeploymentPorts,
	})
	register(&analyzer{
		name:   "applicationUID.Analyzer",
		desc:   "Checks that application containers do not run as UID 1337, the proxy's",
		codes:  []*MessageType{InvalidApplicationUID},
		inputs: []string{KindPod, KindDeployment},
		run:    analyzeAppUID,
	})
	register(&analyzer{
		name:   "annotations.K8sAnalyzer",
		desc:   "Checks Istio annotations on Kubernetes resources: unknown, misplaced, deprecated or invalid",
		codes:  []*MessageType{UnknownAnnotation, MisplacedAnnotation, DeprecatedAnnotation, InvalidAnnotation},
		inputs: []string{KindNamespace, KindService, KindPod, KindDeployment},
		run:    analyzeAnnotations,
	})
}

// systemNamespace reports namespaces whose injection labels are not
// checked: those never injected and the control plane's.
func systemNamespace(s *Snapshot, ns string) bool {
	return mesh.IgnoredNamespace(ns) || ns == s.IstioNamespace()
}

func analyzeInjection(c *Context) {
	// injected holds the labels of namespaces labelled istio-injection=enabled.
	injected := map[string]map[string]string{}
	for _, r := range c.S.List(KindNamespace) {
		if systemNamespace(c.S, r.Name) {
			continue
		}
		inj, hasInj := r.Labels[mesh.LabelInjection]
		_, hasRev := r.Labels[mesh.LabelRevision]
		var found []string
		if hasInj {
			found = append(found, mesh.LabelInjection+"="+inj)
		}
		for _, l := range []string{mesh.LabelRevision, ambientLabel} {
			if v, ok := r.Labels[l]; ok && (!hasInj || inj == "enabled") {
				found = append(found, l+"="+v)
			}
		}
		if len(found) > 1 {
			c.Report(r, NamespaceMultipleInjectionLabels, "metadata.labels", found)
		}
		if r.Labels[ambientLabel] == "ambient" {
			continue
		}
		if inj == "" && !hasRev {
			c.Report(r, NamespaceNotInjected, "", r.Name, r.Name)
			continue
		}
		if inj == "enabled" {
			injected[r.Name] = r.Labels
		}
	}
	for _, r := range c.S.List(KindPod) {
		nsLabels, ok := injected[r.Namespace]
		if !ok {
			continue
		}
		p, ok := r.Spec.(*corev1.Pod)
		if !ok || mesh.HasProxy(&p.Spec) {
			continue
		}
		if mesh.Sidecar(mesh.Pod{Namespace: r.Namespace, Labels: p.Labels, Annotations: p.Annotations, Spec: &p.Spec}, nsLabels).Sidecar {
			c.Report(r, PodMissingProxy, "", r.Namespace+"/"+r.Name)
		}
	}
}

// isControlPlane mirrors Istio's test: the control plane's own resources
// carry an "istio" label or release=istio.
func isControlPlane(r *Resource) bool {
	if _, ok := r.Labels["istio"]; ok {
		return true
	}
	return r.Labels["release"] == "istio"
}

// portProtocol is the protocol Istio infers for a Service port; "" when
// it would fall back to protocol sniffing.
func portProtocol(p corev1.ServicePort) string {
	if p.Protocol == corev1.ProtocolUDP {
		return "UDP"
	}
	name := p.Name
	if p.AppProtocol != nil {
		name = *p.AppProtocol
		switch name {
		case "kubernetes.io/h2c":
			return "HTTP2"
		case "kubernetes.io/ws":
			return "HTTP"
		case "kubernetes.io/wss":
			return "HTTPS"
		}
	}
	if len(name) >= 8 && strings.EqualFold(name[:8], "grpc-web") {
		return "GRPC-Web"
	}
	if i := strings.IndexByte(name, '-'); i >= 0 {
		name = name[:i]
	}
	switch strings.ToLower(name) {
	case "tcp", "udp", "grpc", "http", "http_proxy", "http2", "https", "tls", "mongo", "redis", "mysql":
		return strings.ToUpper(name)
	}
	switch p.Port {
	case 25, 53, 3306, 27017:
		return "TCP"
	}
	return ""
}

func analyzePortNames(c *Context) {
	for _, r := range c.S.List(KindService) {
		if isControlPlane(r) {
			continue
		}
		switch r.Labels["gateway.istio.io/managed"] {
		case "istio.io-gateway-controller", "istio.io-mesh-controller", "istio.io-eastwest-controller":
			continue
		}
		svc, ok := r.Spec.(*corev1.Service)
		if !ok || svc.Spec.Type == corev1.ServiceTypeExternalName {
			continue
		}
		for i, p := range svc.Spec.Ports {
			if portProtocol(p) == "" {
				c.Report(r, PortNameIsNotUnderNamingConvention, fmt.Sprintf("spec.ports[%d]", i), p.Name, int(p.Port), p.TargetPort.String())
			}
		}
	}
}

// inMesh says whether a workload gets a sidecar, as the injector decides;
// a namespace the snapshot does not hold is taken as injected, so that a
// workload read without its namespace is still checked unless it opts out.
var injectedNamespace = map[string]string{mesh.LabelInjection: "enabled"}

func inMesh(s *Snapshot, ns string, tmpl *corev1.PodTemplateSpec) bool {
	nsLabels := injectedNamespace
	if n := s.Get(KindNamespace, "", ns); n != nil {
		nsLabels = n.Labels
	}
	return mesh.Sidecar(mesh.Pod{Namespace: ns, Labels: tmpl.Labels, Annotations: tmpl.Annotations, Spec: &tmpl.Spec}, nsLabels).Sidecar
}

func analyzeDeploymentPorts(c *Context) {
	for _, r := range c.S.List(KindDeployment) {
		d, ok := r.Spec.(*appsv1.Deployment)
		if !ok || r.Labels["gateway.istio.io/managed"] == "istio.io-mesh-controller" || !inMesh(c.S, r.Namespace, &d.Spec.Template) {
			continue
		}
		byTarget := map[string]map[int32]string{}
		byPort := map[int32]map[corev1.Protocol][]string{}
		for _, sr := range c.S.servicesSelecting(r.Namespace, d.Spec.Template.Labels) {
			svc := sr.Spec.(*corev1.Service)
			for _, p := range svc.Spec.Ports {
				proto := p.Protocol
				if proto == "" {
					proto = corev1.ProtocolTCP
				}
				if byPort[p.Port] == nil {
					byPort[p.Port] = map[corev1.Protocol][]string{}
				}
				byPort[p.Port][proto] = append(byPort[p.Port][proto], sr.Namespace+"/"+sr.Name)
				tp := p.TargetPort.String()
				if tp == "0" || tp == "" {
					tp = strconv.Itoa(int(p.Port))
				}
				if byTarget[tp] == nil {
					byTarget[tp] = map[int32]string{}
				}
				byTarget[tp][p.Port] = sr.Namespace + "/" + sr.Name
			}
		}
		ports := make([]int32, 0, len(byPort))
		for p := range byPort {
			ports = append(ports, p)
		}
		sort.Slice(ports, func(i, j int) bool { return ports[i] < ports[j] })
		for _, p := range ports {
			if len(byPort[p]) < 2 {
				continue
			}
			var names []string
			for _, ns := range byPort[p] {
				names = append(names, ns...)
			}
			sort.Strings(names)
			c.Report(r, DeploymentAssociatedToMultipleServices, "", r.Name, int(p), names)
		}
		tps := make([]string, 0, len(byTarget))
		for tp := range byTarget {
			tps = append(tps, tp)
		}
		sort.Strings(tps)
		for _, tp := range tps {
			m := byTarget[tp]
			if len(m) < 2 {
				continue
			}
			var names []string
			var ports []int32
			for p, n := range m {
				names = append(names, n)
				ports = append(ports, p)
			}
			sort.Strings(names)
			sort.Slice(ports, func(i, j int) bool { return ports[i] < ports[j] })
			c.Report(r, DeploymentConflictingPorts, "", r.Name, names, tp, ports)
		}
	}
}

const proxyUID = int64(1337)

func analyzeAppUID(c *Context) {
	check := func(r *Resource, spec *corev1.PodSpec, prefix string) {
		if isControlPlane(r) {
			return
		}
		if sc := spec.SecurityContext; sc != nil && sc.RunAsUser != nil && *sc.RunAsUser == proxyUID {
			c.Report(r, InvalidApplicationUID, prefix+"securityContext.runAsUser")
		}
		for i, ctr := range spec.Containers {
			if ctr.Name == mesh.ProxyContainer || ctr.Name == "istio-operator" {
				continue
			}
			if sc := ctr.SecurityContext; sc != nil && sc.RunAsUser != nil && *sc.RunAsUser == proxyUID {
				c.Report(r, InvalidApplicationUID, fmt.Sprintf("%scontainers[%d].securityContext.runAsUser", prefix, i))
			}
		}
	}
	for _, r := range c.S.List(KindPod) {
		if p, ok := r.Spec.(*corev1.Pod); ok {
			check(r, &p.Spec, "spec.")
		}
	}
	for _, r := range c.S.List(KindDeployment) {
		if d, ok := r.Spec.(*appsv1.Deployment); ok {
			check(r, &d.Spec.Template.Spec, "spec.template.spec.")
		}
	}
}

// annotationsByName is built on first use rather than at package init, which
// every meshctl command would pay for.
var annotationsByName = sync.OnceValue(func() map[string]*annotation.Instance {
	m := map[string]*annotation.Instance{}
	for _, a := range annotation.AllResourceAnnotations() {
		m[a.Name] = a
	}
	return m
})

func istioAnnotation(name string) bool {
	if name == "kubernetes.io/ingress.class" {
		return true
	}
	domain, _, ok := strings.Cut(name, "/")
	return ok && strings.HasSuffix(domain, "istio.io")
}

func analyzeAnnotations(c *Context) {
	for _, kind := range []string{KindNamespace, KindService, KindPod, KindDeployment} {
		for _, r := range c.S.List(kind) {
			checkAnnotations(c, r, kind, r.Annotations, r.Labels, "metadata.annotations")
			if kind == KindDeployment {
				if d, ok := r.Spec.(*appsv1.Deployment); ok {
					checkAnnotations(c, r, KindPod, d.Spec.Template.Annotations, d.Spec.Template.Labels, "spec.template.metadata.annotations")
				}
			}
		}
	}
}

// checkAnnotations checks one annotation map; kind is the kind it applies
// to (a Deployment's pod template annotations apply to Pods).
func checkAnnotations(c *Context, r *Resource, kind string, ann, lbls map[string]string, prefix string) {
	names := make([]string, 0, len(ann))
	for k := range ann {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, name := range names {
		if !istioAnnotation(name) {
			continue
		}
		field := prefix + "[" + name + "]"
		def := annotationsByName()[name]
		if def == nil {
			c.Report(r, UnknownAnnotation, field, name)
			continue
		}
		if def.Deprecated {
			if _, ok := lbls[mesh.SidecarInject]; !(ok && name == mesh.SidecarInject) {
				extra := ""
				if name == mesh.SidecarInject {
					extra = ` in favor of the "sidecar.istio.io/inject" label`
				}
				c.Report(r, DeprecatedAnnotation, field, name, extra)
			}
		}
		var places []string
		anyKind := false
		for _, rt := range def.Resources {
			if rt == annotation.Any {
				anyKind = true
				break
			}
			if s := rt.String(); s != "Unknown" {
				places = append(places, s)
			}
		}
		if !anyKind {
			ok := false
			for _, p := range places {
				if p == kind {
					ok = true
				}
			}
			if !ok {
				c.Report(r, MisplacedAnnotation, field, name, strings.Join(places, ", "))
				continue
			}
		}
		if err := mesh.AnnotationValueError(name, ann[name]); err != nil {
			c.Report(r, InvalidAnnotation, field, name, err.Error())
		}
	}
}
