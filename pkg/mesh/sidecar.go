package mesh

import corev1 "k8s.io/api/core/v1"

// Names that decide sidecar injection.
const (
	// LabelInjection on a namespace: "enabled" injects its pods; any other
	// value keeps every pod of it out.
	LabelInjection = "istio-injection"
	// LabelRevision on a namespace (or, in a namespace without injection
	// labels, on a pod) injects with that control plane revision.
	LabelRevision = "istio.io/rev"
	// SidecarInject is both the pod label (which the webhook selects on)
	// and the older pod annotation (read only once the webhook runs); the
	// label wins when both are set. Only "true" and "false" mean anything.
	SidecarInject = "sidecar.istio.io/inject"
	// ProxyContainer is the name of the injected proxy container.
	ProxyContainer = "istio-proxy"
)

// IgnoredNamespace reports the Kubernetes system namespaces the injector
// never injects, whatever their labels.
func IgnoredNamespace(ns string) bool {
	switch ns {
	case "kube-system", "kube-public", "kube-node-lease", "local-path-storage":
		return true
	}
	return false
}

// HasProxy reports whether a pod spec already runs the proxy: a container
// or init container (a native sidecar) named istio-proxy.
func HasProxy(spec *corev1.PodSpec) bool {
	if spec == nil {
		return false
	}
	for _, cs := range [][]corev1.Container{spec.Containers, spec.InitContainers} {
		for _, c := range cs {
			if c.Name == ProxyContainer {
				return true
			}
		}
	}
	return false
}

// Pod is what sidecar presence depends on: a pod or a pod template, and
// the namespace it runs in.
type Pod struct {
	Namespace   string
	Labels      map[string]string
	Annotations map[string]string
	// Spec may be nil (nothing is known of the containers).
	Spec *corev1.PodSpec
	// Running says the pod already runs: its containers are final, so
	// without an istio-proxy container it has no sidecar.
	Running bool
}

// Injection is the answer of Sidecar.
type Injection struct {
	// Sidecar says whether the pod runs an Istio proxy.
	Sidecar bool
	// Reason says why, in a few words ("namespace label istio-injection=enabled").
	Reason string
}

// Sidecar decides whether a pod runs an Istio proxy, the way Istio's
// injection webhooks would decide at its creation, assuming every revision
// named by a label is installed and the injector policy is "enabled":
//
//  1. an istio-proxy container means yes; host network means no; a
//     running pod without the container means no; the Kubernetes system
//     namespaces are never injected;
//  2. a namespace labelled istio-injection=enabled, or (without
//     istio-injection) istio.io/rev, injects every pod that does not opt
//     out with sidecar.istio.io/inject=false (label, else annotation);
//  3. a namespace with istio-injection set to anything else injects none;
//  4. a namespace with neither label (nsLabels nil: unknown, taken as
//     unlabelled) injects a pod labelled sidecar.istio.io/inject=true, or
//     a pod labelled istio.io/rev that does not opt out. The annotation
//     alone never opts a pod in: the webhooks select on labels. An empty
//     istio.io/rev label names no revision, so no webhook selects the pod.
func Sidecar(p Pod, nsLabels map[string]string) Injection {
	if HasProxy(p.Spec) {
		return Injection{true, ProxyContainer + " container"}
	}
	if p.Spec != nil && p.Spec.HostNetwork {
		return Injection{false, "hostNetwork pods are never injected"}
	}
	if p.Running {
		return Injection{false, "running pod has no " + ProxyContainer + " container"}
	}
	if IgnoredNamespace(p.Namespace) {
		return Injection{false, "namespace " + p.Namespace + " is never injected"}
	}
	label, hasLabel := p.Labels[SidecarInject]
	// selected is what the injector decides once a webhook has selected
	// the pod: the label says, else the annotation, else the namespace.
	selected := func(why string) Injection {
		if hasLabel {
			switch label {
			case "false":
				return Injection{false, "label " + SidecarInject + "=false"}
			case "true":
				return Injection{true, "label " + SidecarInject + "=true"}
			}
			return Injection{true, why}
		}
		switch p.Annotations[SidecarInject] {
		case "false":
			return Injection{false, "annotation " + SidecarInject + "=false"}
		case "true":
			return Injection{true, "annotation " + SidecarInject + "=true"}
		}
		return Injection{true, why}
	}
	if v, ok := nsLabels[LabelInjection]; ok {
		if v == "enabled" && label != "false" {
			return selected("namespace label " + LabelInjection + "=enabled")
		}
		if v != "enabled" {
			return Injection{false, "namespace label " + LabelInjection + "=" + v}
		}
		return Injection{false, "label " + SidecarInject + "=false"}
	}
	if r, ok := nsLabels[LabelRevision]; ok {
		switch {
		case r == "":
			return Injection{false, "namespace label " + LabelRevision + " names no revision"}
		case label == "false":
			return Injection{false, "label " + SidecarInject + "=false"}
		}
		return selected("namespace label " + LabelRevision + "=" + r)
	}
	if r, ok := p.Labels[LabelRevision]; ok {
		switch {
		case r == "":
			return Injection{false, "label " + LabelRevision + " names no revision"}
		case label != "false":
			return selected("label " + LabelRevision + "=" + r)
		}
	}
	if label == "true" {
		return Injection{true, "label " + SidecarInject + "=true"}
	}
	if hasLabel {
		return Injection{false, "label " + SidecarInject + "=" + label}
	}
	return Injection{false, "namespace not labelled for injection"}
}
