package inject

import (
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// Istio's webhook sees a pod after the API server has defaulted it, and
// some of those defaults reach what injection writes: the proxy's
// ISTIO_META_POD_PORTS, the probes in ISTIO_KUBE_APP_PROBERS, and the
// settings of a container the user declares for the injector to fill in.
// kube-inject works on the YAML as written, so it applies the same
// defaults (Kubernetes' own rules for these fields, measured against a real
// API server and istiod in test/istiod) where they reach the injected
// parts, and nowhere else: the user's own lines stay as written.

// DefaultContainer applies the API server's defaults for a container's
// fields that injection reads or merges (as k8s.io/kubernetes'
// pkg/apis/core/v1 defaulting does): the termination message, the image
// pull policy, port protocols, probe and lifecycle settings, requests from
// limits.
func DefaultContainer(c *corev1.Container) {
	if c.ImagePullPolicy == "" {
		c.ImagePullPolicy = defaultPullPolicy(c.Image)
	}
	if c.TerminationMessagePath == "" {
		c.TerminationMessagePath = corev1.TerminationMessagePathDefault
	}
	if c.TerminationMessagePolicy == "" {
		c.TerminationMessagePolicy = corev1.TerminationMessageReadFile
	}
	defaultPorts(c.Ports)
	for _, p := range []*corev1.Probe{c.ReadinessProbe, c.LivenessProbe, c.StartupProbe} {
		defaultProbe(p)
	}
	if lc := c.Lifecycle; lc != nil {
		for _, h := range []*corev1.LifecycleHandler{lc.PreStop, lc.PostStart} {
			if h != nil {
				defaultHTTPGet(h.HTTPGet)
			}
		}
	}
	// A resource with a limit and no request is requested at its limit.
	for name, limit := range c.Resources.Limits {
		if _, ok := c.Resources.Requests[name]; !ok {
			if c.Resources.Requests == nil {
				c.Resources.Requests = corev1.ResourceList{}
			}
			c.Resources.Requests[name] = limit.DeepCopy()
		}
	}
}

// defaultPullPolicy is Always for an image without a tag or tagged latest,
// IfNotPresent otherwise (a digest pins the image).
func defaultPullPolicy(image string) corev1.PullPolicy {
	if strings.Contains(image, "@") {
		return corev1.PullIfNotPresent
	}
	name := image[strings.LastIndex(image, "/")+1:]
	if i := strings.LastIndex(name, ":"); i < 0 || name[i+1:] == "latest" {
		return corev1.PullAlways
	}
	return corev1.PullIfNotPresent
}

func defaultPorts(ports []corev1.ContainerPort) {
	for i := range ports {
		if ports[i].Protocol == "" {
			ports[i].Protocol = corev1.ProtocolTCP
		}
	}
}

func defaultProbe(p *corev1.Probe) {
	if p == nil {
		return
	}
	if p.TimeoutSeconds == 0 {
		p.TimeoutSeconds = 1
	}
	if p.PeriodSeconds == 0 {
		p.PeriodSeconds = 10
	}
	if p.SuccessThreshold == 0 {
		p.SuccessThreshold = 1
	}
	if p.FailureThreshold == 0 {
		p.FailureThreshold = 3
	}
	defaultHTTPGet(p.HTTPGet)
}

func defaultHTTPGet(h *corev1.HTTPGetAction) {
	if h != nil && h.Scheme == "" {
		h.Scheme = corev1.URISchemeHTTP
	}
}

// withPortDefaults is a copy of spec whose containers' ports carry the
// default protocol: what the templates read for ISTIO_META_POD_PORTS.
func withPortDefaults(spec corev1.PodSpec) corev1.PodSpec {
	for _, list := range []*[]corev1.Container{&spec.Containers, &spec.InitContainers} {
		cs := make([]corev1.Container, len(*list))
		copy(cs, *list)
		for i := range cs {
			if len(cs[i].Ports) > 0 {
				cs[i].Ports = append([]corev1.ContainerPort(nil), cs[i].Ports...)
				defaultPorts(cs[i].Ports)
			}
		}
		*list = cs
	}
	return spec
}
