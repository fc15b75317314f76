package inject

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"text/template"

	"github.com/meshctl/meshctl/pkg/mesh"
	"google.golang.org/protobuf/proto"
	meshconfig "istio.io/api/mesh/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/strategicpatch"
	"sigs.k8s.io/yaml"
)

// Names and annotations injection relies on.
const (
	proxyName      = "istio-proxy"
	initName       = "istio-init"
	validationName = "istio-validation"

	annStatus    = "sidecar.istio.io/status"
	annInject    = "sidecar.istio.io/inject"
	annTemplates = "inject.istio.io/templates"
	annOverrides = "proxy.istio.io/overrides"
	// autoImage is the image of a container the user declares for the
	// injector to fill in (a gateway's istio-proxy).
	autoImage      = "auto"
	annRewrite     = "sidecar.istio.io/rewriteAppHTTPProbers"
	annProxyConfig = "proxy.istio.io/config"
	annStatusPort  = "status.sidecar.istio.io/port"
	annImageType   = "sidecar.istio.io/proxyImageType"

	envProbers = "ISTIO_KUBE_APP_PROBERS"
)

// TemplateData is what an injection template sees: the same names Istio's
// injector gives its templates.
type TemplateData struct {
	TypeMeta                 metav1.TypeMeta
	DeploymentMeta           types.NamespacedName
	ObjectMeta               metav1.ObjectMeta
	Spec                     corev1.PodSpec
	ProxyConfig              *meshconfig.ProxyConfig
	MeshConfig               *meshconfig.MeshConfig
	Values                   map[string]any
	Revision                 string
	NativeSidecars           bool
	ProxyImage               string
	ProxyInitImage           string
	ProxyUID                 int64
	ProxyGID                 int64
	InboundTrafficPolicyMode string
	CompliancePolicy         string
}

// Status is the JSON of the sidecar.istio.io/status annotation: what the
// injection added, so that it can be replaced or removed later.
type Status struct {
	InitContainers   []string `json:"initContainers"`
	Containers       []string `json:"containers"`
	Volumes          []string `json:"volumes"`
	ImagePullSecrets []string `json:"imagePullSecrets"`
	Revision         string   `json:"revision"`
}

// Prober is one entry of ISTIO_KUBE_APP_PROBERS: the application's probe
// that the agent runs on the kubelet's behalf.
type Prober struct {
	HTTPGet        *corev1.HTTPGetAction   `json:"httpGet,omitempty"`
	TCPSocket      *corev1.TCPSocketAction `json:"tcpSocket,omitempty"`
	GRPC           *corev1.GRPCAction      `json:"grpc,omitempty"`
	TimeoutSeconds int32                   `json:"timeoutSeconds,omitempty"`
}

// Workload names the object a pod template belongs to.
type Workload struct {
	TypeMeta metav1.TypeMeta
	Name     string
	// Namespace is the workload's namespace ("" when the input has none).
	Namespace string
}

// proxyConfigFor is the mesh's default proxy config with the pod's
// proxy.istio.io/config annotation merged over it.
func (c *parsedConfig) proxyConfigFor(meta metav1.ObjectMeta) (*meshconfig.ProxyConfig, error) {
	s, ok := meta.Annotations[annProxyConfig]
	if !ok {
		// Shared, read-only: templates never change it.
		return c.Mesh.DefaultConfig, nil
	}
	over, err := parseProxyConfig(s)
	if err != nil {
		return nil, err
	}
	pc := proto.Clone(c.Mesh.DefaultConfig).(*meshconfig.ProxyConfig)
	proto.Merge(pc, over)
	return pc, nil
}

func (c *parsedConfig) image(name string, anns map[string]string) string {
	hub, _ := lookup(c.Values, "global", "hub").(string)
	tag := fmt.Sprint(valueOr(lookup(c.Values, "global", "tag"), ""))
	variant, _ := lookup(c.Values, "global", "variant").(string)
	if t, ok := anns[annImageType]; ok {
		variant = t
	}
	for _, known := range []string{"distroless", "debug"} {
		tag = strings.TrimSuffix(tag, "-"+known)
	}
	if variant != "" && variant != "default" {
		tag += "-" + variant
	}
	return hub + "/" + name + ":" + tag
}

func valueOr(v any, def any) any {
	if v == nil {
		return def
	}
	return v
}

// templateData builds the template input for a pod.
func (c *parsedConfig) templateData(w Workload, pod *corev1.Pod) (*TemplateData, error) {
	pc, err := c.proxyConfigFor(pod.ObjectMeta)
	if err != nil {
		return nil, err
	}
	proxyImg, _ := lookup(c.Values, "global", "proxy", "image").(string)
	if proxyImg == "" {
		proxyImg = "proxyv2"
	}
	initImg, _ := lookup(c.Values, "global", "proxy_init", "image").(string)
	if initImg == "" {
		initImg = "proxyv2"
	}
	// ENABLE_NATIVE_SIDECARS as istiod reads it: true, false, or auto
	// (also when unset or unknown to it).
	native := c.NativeAuto
	switch v := lookup(c.Values, "pilot", "env", "ENABLE_NATIVE_SIDECARS").(type) {
	case bool:
		native = v
	case string:
		if b, err := strconv.ParseBool(v); err == nil {
			native = b
		}
	}
	mode := "passthrough"
	if c.Mesh.GetInboundTrafficPolicy().GetMode() == meshconfig.MeshConfig_InboundTrafficPolicy_LOCALHOST {
		mode = "localhost"
	}
	return &TemplateData{
		TypeMeta:                 w.TypeMeta,
		DeploymentMeta:           types.NamespacedName{Name: w.Name, Namespace: w.Namespace},
		ObjectMeta:               pod.ObjectMeta,
		Spec:                     withPortDefaults(pod.Spec),
		ProxyConfig:              pc,
		MeshConfig:               c.Mesh,
		Values:                   c.Values,
		Revision:                 c.revision,
		NativeSidecars:           native,
		ProxyImage:               c.image(proxyImg, pod.Annotations),
		ProxyInitImage:           c.image(initImg, pod.Annotations),
		ProxyUID:                 1337,
		ProxyGID:                 1337,
		InboundTrafficPolicyMode: mode,
	}, nil
}

// RenderTemplates runs the configured templates for a pod the way Istio's
// webhook does: each rendered template is strategic-merged over the pod.
// It returns the merged pod and the last template's own pod (what was
// injected).
func (c *parsedConfig) renderTemplates(w Workload, pod *corev1.Pod) (*corev1.Pod, *injectedNames, error) {
	cur := pod.DeepCopy()
	var injected *injectedNames
	tmpls, err := c.templatesFor(pod)
	if err != nil {
		return nil, nil, err
	}
	for _, t := range tmpls {
		data, err := c.templateData(w, cur)
		if err != nil {
			return nil, nil, err
		}
		buf := getBuf()
		mergedMap, merged, names, err := c.render(t, data, cur, buf)
		putBuf(buf)
		if err != nil {
			return nil, nil, err
		}
		if injected == nil {
			injected = names
		} else {
			injected.add(names)
		}
		next := &corev1.Pod{}
		if mergedMap != nil && podFromMap(mergedMap, next) {
			cur = next
			continue
		}
		if merged == nil {
			if merged, err = json.Marshal(mergedMap); err != nil {
				return nil, nil, fmt.Errorf("merging injection template %q: %w", t.Name(), err)
			}
		}
		next = &corev1.Pod{}
		if err := json.Unmarshal(merged, next); err != nil {
			return nil, nil, err
		}
		cur = next
	}
	return cur, injected, nil
}

// render runs one template into buf and merges its output over cur: the
// merged pod, as a map or (when the library merged the text) as JSON, and
// the names the template adds.
func (c *parsedConfig) render(t *template.Template, data *TemplateData, cur *corev1.Pod, buf *bytes.Buffer) (map[string]any, []byte, *injectedNames, error) {
	if err := t.Execute(buf, data); err != nil {
		return nil, nil, nil, fmt.Errorf("running injection template %q: %w", t.Name(), err)
	}
	// The rendered YAML is decoded once, for the names and for the merge:
	// straight to a map where it is plain block structure (every template
	// of ours is), else through the library's JSON text.
	var patch []byte
	pm, direct := c.values.yamlToMap(buf.Bytes())
	var perr error
	if !direct {
		var err error
		if patch, err = yaml.YAMLToJSON(buf.Bytes()); err != nil {
			return nil, nil, nil, fmt.Errorf("injection template %q produced invalid YAML: %w", t.Name(), err)
		}
		pm, perr = decodeJSONMap(patch)
	}
	var injected *injectedNames
	ok := false
	if perr == nil {
		injected, ok = namesFromMap(pm)
	}
	if !ok {
		if patch == nil {
			var err error
			if patch, err = yaml.YAMLToJSON(buf.Bytes()); err != nil {
				return nil, nil, nil, fmt.Errorf("injection template %q produced invalid YAML: %w", t.Name(), err)
			}
		}
		injected = &injectedNames{}
		if err := json.Unmarshal(patch, injected); err != nil {
			return nil, nil, nil, fmt.Errorf("injection template %q produced an invalid pod: %w", t.Name(), err)
		}
	}
	if perr == nil {
		if origMap, ok := podMap(cur); ok {
			mergedMap, err := mergeMapsOverPod(origMap, pm)
			if err != nil {
				return nil, nil, nil, fmt.Errorf("merging injection template %q: %w", t.Name(), err)
			}
			return mergedMap, nil, injected, nil
		}
	}
	orig, err := json.Marshal(cur)
	if err != nil {
		return nil, nil, nil, err
	}
	if perr == nil {
		mergedMap, err := mergeOverPodMap(orig, pm)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("merging injection template %q: %w", t.Name(), err)
		}
		return mergedMap, nil, injected, nil
	}
	merged, err := strategicpatch.StrategicMergePatch(orig, patch, corev1.Pod{})
	if err != nil {
		return nil, nil, nil, fmt.Errorf("merging injection template %q: %w", t.Name(), err)
	}
	return nil, merged, injected, nil
}

// injectPod returns the injected pod: the templates merged over it, then the
// steps no template can express (metrics merge, probe rewriting, the status
// annotation, container order).
func (c *parsedConfig) injectPod(w Workload, pod *corev1.Pod) (*corev1.Pod, error) {
	if err := checkAnnotationValues(pod.Annotations); err != nil {
		return nil, err
	}
	out, injected, err := c.renderTemplates(w, pod)
	if err != nil {
		return nil, err
	}
	if out, err = c.reapplyUserContainers(out, pod, injected); err != nil {
		return nil, err
	}
	if err := c.postProcess(pod, out); err != nil {
		return nil, err
	}
	out.Annotations[annStatus] = injected.status(c.revision)
	for k, v := range c.Injector.InjectedAnnotations {
		out.Annotations[k] = v
	}
	c.reorder(out, containerNamed(pod.Spec.Containers, proxyName) != nil)
	return out, nil
}

// labelNetwork names the pod's network in a multi-network mesh.
const labelNetwork = "topology.istio.io/network"

// clusterInfo gives the proxy the cluster and network it is in, as Istio's
// webhook does after the templates: the values' cluster name and network,
// where the pod's own topology.istio.io/network label wins over the values.
// The proxy's ISTIO_META_CLUSTER_ID and ISTIO_META_NETWORK move to the end
// of its environment, in that order, with those values. It returns the
// network, which the pod is then labelled with.
func (c *parsedConfig) clusterInfo(orig, out *corev1.Pod) string {
	cluster, _ := lookup(c.Values, "global", "multiCluster", "clusterName").(string)
	network, _ := lookup(c.Values, "global", "network").(string)
	if n, ok := orig.Labels[labelNetwork]; ok {
		network = n
	}
	set := map[string]string{}
	if cluster != "" {
		set["ISTIO_META_CLUSTER_ID"] = cluster
	}
	if network != "" {
		set["ISTIO_META_NETWORK"] = network
	}
	sc := findContainer(out, proxyName)
	if sc == nil || len(set) == 0 {
		return network
	}
	env := slices.DeleteFunc(sc.Env, func(e corev1.EnvVar) bool { _, ok := set[e.Name]; return ok })
	for _, name := range []string{"ISTIO_META_CLUSTER_ID", "ISTIO_META_NETWORK"} {
		if v, ok := set[name]; ok {
			env = append(env, corev1.EnvVar{Name: name, Value: v})
		}
	}
	sc.Env = env
	return network
}

// postProcess applies the steps of Istio's webhook that follow the
// templates and that no template can express: the cluster and network, the
// metrics merge, the secure metrics port, the probe rewrite and the network
// label. orig is the pod before injection, out the templates' result.
func (c *parsedConfig) postProcess(orig, out *corev1.Pod) error {
	if out.Annotations == nil {
		out.Annotations = map[string]string{}
	}
	if out.Labels == nil {
		out.Labels = map[string]string{}
	}
	statusPort := c.Mesh.DefaultConfig.GetStatusPort()
	if pc, err := c.proxyConfigFor(orig.ObjectMeta); err == nil && pc.StatusPort != 0 {
		statusPort = pc.StatusPort
	}
	network := c.clusterInfo(orig, out)
	if err := c.prometheusMerge(out, statusPort); err != nil {
		return err
	}
	securePrometheusPort(out)
	c.rewriteProbes(out, statusPort)
	if network != "" {
		out.Labels[labelNetwork] = network
	}
	return nil
}

// userContainers are the containers of the user's that a template also
// injects, as Istio records them in the proxy.istio.io/overrides annotation.
type userContainers struct {
	Containers     []corev1.Container `json:"containers,omitempty"`
	InitContainers []corev1.Container `json:"initContainers,omitempty"`
}

// reapplyUserContainers merges the user's own version of each container the
// templates inject back over the injected pod, as Istio's webhook does: a
// pod customises its sidecar (or a gateway declares its proxy) by declaring
// an istio-proxy, istio-init or istio-validation container itself. The
// user's settings win over the template's, but an image "auto" leaves the
// template's image. The user's containers are recorded in the
// proxy.istio.io/overrides annotation, which uninjection restores them from.
func (c *parsedConfig) reapplyUserContainers(out, orig *corev1.Pod, injected *injectedNames) (*corev1.Pod, error) {
	if injected == nil {
		return out, nil
	}
	// What is merged is the user's container as the webhook sees it,
	// defaulted by the API server (an image "auto" has no tag, so it is
	// pulled Always); what is recorded is the container as written, which
	// uninjection restores.
	overlay := func(u *corev1.Container) corev1.Container {
		o := *u.DeepCopy()
		if o.Image == autoImage {
			o.Image = ""
		}
		return o
	}
	defaulted := func(o corev1.Container, u *corev1.Container) corev1.Container {
		o = *o.DeepCopy()
		image := o.Image
		o.Image = u.Image
		DefaultContainer(&o)
		o.Image = image
		return o
	}
	var over userContainers
	for _, n := range injected.Spec.Containers {
		if u := containerNamed(orig.Spec.Containers, n.Name); u != nil {
			over.Containers = append(over.Containers, overlay(u))
		}
	}
	// An injected init container may be the user's regular one: a native
	// sidecar the user declared among the containers.
	for _, n := range injected.Spec.InitContainers {
		if u := findContainer(orig, n.Name); u != nil {
			over.InitContainers = append(over.InitContainers, overlay(u))
		}
	}
	if len(over.Containers) == 0 && len(over.InitContainers) == 0 {
		return out, nil
	}
	cur, err := json.Marshal(out)
	if err != nil {
		return nil, err
	}
	merge := func(key string, c corev1.Container) error {
		patch, err := json.Marshal(map[string]any{"spec": map[string]any{key: []corev1.Container{c}}})
		if err != nil {
			return err
		}
		if cur, err = strategicpatch.StrategicMergePatch(cur, patch, corev1.Pod{}); err != nil {
			return fmt.Errorf("merging the user's container %q: %w", c.Name, err)
		}
		return nil
	}
	for _, u := range over.Containers {
		if err := merge("containers", defaulted(u, containerNamed(orig.Spec.Containers, u.Name))); err != nil {
			return nil, err
		}
	}
	for _, u := range over.InitContainers {
		if err := merge("initContainers", defaulted(u, findContainer(orig, u.Name))); err != nil {
			return nil, err
		}
	}
	next := &corev1.Pod{}
	if err := json.Unmarshal(cur, next); err != nil {
		return nil, err
	}
	js, err := json.Marshal(over)
	if err != nil {
		return nil, err
	}
	if next.Annotations == nil {
		next.Annotations = map[string]string{}
	}
	next.Annotations[annOverrides] = string(js)
	c.adjustInitUser(next, orig)
	return next, nil
}

// adjustInitUser keeps traffic capture consistent with a proxy the user
// runs as another user or group, as Istio's webhook does: iptables must
// exempt the proxy's own uid (istio-init's -u), and istio-validation runs
// as the proxy. In TPROXY mode the proxy must stay root.
func (c *parsedConfig) adjustInitUser(out, orig *corev1.Pod) {
	user := findContainer(orig, proxyName)
	if user == nil || user.SecurityContext == nil || (user.SecurityContext.RunAsUser == nil && user.SecurityContext.RunAsGroup == nil) {
		return
	}
	var initC *corev1.Container
	for _, name := range []string{initName, validationName} {
		if initC = containerNamed(out.Spec.InitContainers, name); initC != nil {
			break
		}
	}
	if initC == nil {
		return
	}
	tproxy := out.Annotations["sidecar.istio.io/interceptionMode"] == "TPROXY"
	if pc, err := c.proxyConfigFor(orig.ObjectMeta); err == nil && pc.GetInterceptionMode() == meshconfig.ProxyConfig_TPROXY {
		tproxy = true
	}
	uid, gid := user.SecurityContext.RunAsUser, user.SecurityContext.RunAsGroup
	if tproxy && uid != nil {
		if sc := findContainer(out, proxyName); sc != nil && sc.SecurityContext != nil && sc.SecurityContext.RunAsUser != nil {
			*sc.SecurityContext.RunAsUser = 0
		}
	}
	if !tproxy && initC.Name == validationName {
		if initC.SecurityContext == nil {
			initC.SecurityContext = &corev1.SecurityContext{}
		}
		if uid != nil {
			initC.SecurityContext.RunAsUser = uid
		}
		if gid != nil {
			initC.SecurityContext.RunAsGroup = gid
		}
	}
	// iptables' --uid-owner cannot take 0.
	if uid == nil || *uid == 0 {
		return
	}
	for i := 0; i+1 < len(initC.Args); i++ {
		if initC.Args[i] == "-u" {
			initC.Args[i+1] = strconv.FormatInt(*uid, 10)
			return
		}
	}
}

// injectedNames are the names a rendered template adds: what the status
// annotation records.
type injectedNames struct {
	Spec struct {
		InitContainers   []named `json:"initContainers"`
		Containers       []named `json:"containers"`
		Volumes          []named `json:"volumes"`
		ImagePullSecrets []named `json:"imagePullSecrets"`
	} `json:"spec"`
}

type named struct {
	Name string `json:"name"`
}

// add merges the names of a later template in: as in Istio, where the
// templates' overlays accumulate by name, the status lists every name once,
// in the order the templates first add it.
func (n *injectedNames) add(m *injectedNames) {
	union := func(a, b []named) []named {
		for _, x := range b {
			if !slices.Contains(a, x) {
				a = append(a, x)
			}
		}
		return a
	}
	n.Spec.InitContainers = union(n.Spec.InitContainers, m.Spec.InitContainers)
	n.Spec.Containers = union(n.Spec.Containers, m.Spec.Containers)
	n.Spec.Volumes = union(n.Spec.Volumes, m.Spec.Volumes)
	n.Spec.ImagePullSecrets = union(n.Spec.ImagePullSecrets, m.Spec.ImagePullSecrets)
}

func (n *injectedNames) status(revision string) string {
	s := Status{Revision: revision}
	if s.Revision == "" {
		s.Revision = "default"
	}
	names := func(l []named) []string {
		var out []string
		for _, x := range l {
			out = append(out, x.Name)
		}
		return out
	}
	s.InitContainers = names(n.Spec.InitContainers)
	s.Containers = names(n.Spec.Containers)
	s.Volumes = names(n.Spec.Volumes)
	s.ImagePullSecrets = names(n.Spec.ImagePullSecrets)
	b, _ := json.Marshal(s)
	return string(b)
}

// containerNamed is the container of that name in list, or nil.
func containerNamed(list []corev1.Container, name string) *corev1.Container {
	for i := range list {
		if list[i].Name == name {
			return &list[i]
		}
	}
	return nil
}

// findContainer is the container of that name among the pod's containers,
// else among its init containers, or nil.
func findContainer(pod *corev1.Pod, name string) *corev1.Container {
	if c := containerNamed(pod.Spec.Containers, name); c != nil {
		return c
	}
	return containerNamed(pod.Spec.InitContainers, name)
}

// rewriteProbes points the application's HTTP, TCP and gRPC probes at the
// agent's /app-health endpoints and records the originals in
// ISTIO_KUBE_APP_PROBERS.
func (c *parsedConfig) rewriteProbes(pod *corev1.Pod, statusPort int32) {
	rewrite := c.rewrite
	if v, ok := pod.Annotations[annRewrite]; ok {
		if b, err := strconv.ParseBool(v); err == nil {
			rewrite = b
		}
	}
	sc := findContainer(pod, proxyName)
	if !rewrite || sc == nil {
		return
	}
	port := int(statusPort)
	if v, ok := pod.Annotations[annStatusPort]; ok {
		if p, err := strconv.Atoi(v); err == nil {
			port = p
		}
	}
	probers := map[string]*Prober{}
	all := append(append([]*corev1.Container{}, ptrs(pod.Spec.InitContainers)...), ptrs(pod.Spec.Containers)...)
	for _, ct := range all {
		if ct.Name == proxyName {
			continue
		}
		named := map[string]int32{}
		for _, p := range ct.Ports {
			if p.Name != "" {
				named[p.Name] = p.ContainerPort
			}
		}
		for _, pr := range []struct {
			probe *corev1.Probe
			kind  string
		}{{ct.ReadinessProbe, "readyz"}, {ct.LivenessProbe, "livez"}, {ct.StartupProbe, "startupz"}} {
			if pr.probe == nil {
				continue
			}
			url := "/app-health/" + ct.Name + "/" + pr.kind
			if p := proberOf(pr.probe, named, int32(statusPort), true); p != nil {
				probers[url] = p
			}
			rewriteProbe(pr.probe, url, port)
		}
		// HTTP and TCP lifecycle hooks go through the agent too, under
		// /app-lifecycle as Istio has done since 1.25.
		if lc := ct.Lifecycle; lc != nil {
			for _, h := range []struct {
				handler *corev1.LifecycleHandler
				kind    string
			}{{lc.PreStop, "prestopz"}, {lc.PostStart, "poststartz"}} {
				if h.handler == nil || (h.handler.HTTPGet == nil && h.handler.TCPSocket == nil) {
					continue
				}
				probe := &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: h.handler.HTTPGet, TCPSocket: h.handler.TCPSocket}}
				url := "/app-lifecycle/" + ct.Name + "/" + h.kind
				if p := proberOf(probe, named, int32(statusPort), false); p != nil {
					probers[url] = p
				}
				rewriteProbe(probe, url, port)
				h.handler.HTTPGet, h.handler.TCPSocket = probe.HTTPGet, nil
			}
		}
	}
	if len(probers) == 0 {
		return
	}
	b, _ := json.Marshal(probers)
	sc.Env = append(sc.Env, corev1.EnvVar{Name: envProbers, Value: string(b)})
}

func ptrs(cs []corev1.Container) []*corev1.Container {
	out := make([]*corev1.Container, len(cs))
	for i := range cs {
		out[i] = &cs[i]
	}
	return out
}

// proberOf is the agent's record of a probe (isProbe) or lifecycle hook,
// with the API server's defaults the webhook sees: a probe times out after
// a second, HTTP is the default scheme.
func proberOf(p *corev1.Probe, named map[string]int32, statusPort int32, isProbe bool) *Prober {
	out := &Prober{TimeoutSeconds: p.TimeoutSeconds}
	if isProbe && out.TimeoutSeconds == 0 {
		out.TimeoutSeconds = 1
	}
	var port *intstr.IntOrString
	switch {
	case p.HTTPGet != nil:
		h := *p.HTTPGet
		defaultHTTPGet(&h)
		out.HTTPGet, port = &h, &h.Port
	case p.TCPSocket != nil:
		t := *p.TCPSocket
		out.TCPSocket, port = &t, &t.Port
	case p.GRPC != nil:
		g := *p.GRPC
		if g.Service == nil {
			// The API server defaults the service to "".
			g.Service = new(string)
		}
		out.GRPC = &g
		return out
	default:
		return nil
	}
	if port.Type == intstr.String {
		n, ok := named[port.StrVal]
		if !ok {
			return nil
		}
		*port = intstr.FromInt32(n)
	} else if port.IntVal == statusPort {
		return nil
	}
	return out
}

func rewriteProbe(p *corev1.Probe, url string, port int) {
	switch {
	case p.HTTPGet != nil:
	case p.TCPSocket != nil, p.GRPC != nil:
		p.TCPSocket, p.GRPC = nil, nil
		p.HTTPGet = &corev1.HTTPGetAction{}
	default:
		return
	}
	p.HTTPGet.Path = url
	p.HTTPGet.Port = intstr.FromInt(port)
	if p.HTTPGet.Scheme == corev1.URISchemeHTTPS {
		p.HTTPGet.Scheme = corev1.URISchemeHTTP
	}
}

// reorder puts the injected containers where Istio puts them: the proxy
// last, or first when the application waits for it; istio-validation first
// and istio-init last among init containers, or, with a native sidecar,
// init, validation and proxy first.
func (c *parsedConfig) reorder(pod *corev1.Pod, declared bool) {
	native := false
	for _, ct := range pod.Spec.InitContainers {
		if ct.Name == proxyName {
			native = true
		}
	}
	if native {
		for _, n := range []string{proxyName, validationName, initName} {
			pod.Spec.InitContainers = move(pod.Spec.InitContainers, n, true)
		}
		return
	}
	hold := c.holds(pod.ObjectMeta)
	// A proxy the user declared stays where it is (see ownProxyProblem);
	// with hold it is first already.
	if !declared {
		pod.Spec.Containers = move(pod.Spec.Containers, proxyName, hold)
	}
	pod.Spec.InitContainers = move(pod.Spec.InitContainers, validationName, true)
	pod.Spec.InitContainers = move(pod.Spec.InitContainers, initName, false)
}

// holds reports whether the application waits for the proxy
// (holdApplicationUntilProxyStarts, from the values or the pod's proxy
// config), which puts the proxy first.
func (c *parsedConfig) holds(meta metav1.ObjectMeta) bool {
	hold, _ := lookup(c.Values, "global", "proxy", "holdApplicationUntilProxyStarts").(bool)
	if pc, err := c.proxyConfigFor(meta); err == nil && pc.GetHoldApplicationUntilProxyStarts().GetValue() {
		hold = true
	}
	return hold
}

// ownProxyProblem says why a pod's own istio-proxy container cannot be
// kept where the user declared it, "" when it can. Istio moves a declared
// proxy to where injection puts its own; meshctl edits the user's YAML in
// place and keeps the container where it is, which changes nothing while
// the containers start in any order. Two settings make the place matter,
// and then the pod is left for the user to fix rather than half-honoured:
// holdApplicationUntilProxyStarts (the proxy must start first) and native
// sidecars (the proxy must be the first init container); a proxy declared
// as an init container without native sidecars would be a second
// istio-proxy.
func (c *parsedConfig) ownProxyProblem(orig, out *corev1.Pod) string {
	if findContainer(orig, proxyName) == nil {
		return ""
	}
	// Native sidecars: the templates injected the proxy as an init
	// container, as the status records.
	var st Status
	_ = json.Unmarshal([]byte(out.Annotations[annStatus]), &st)
	native := slices.Contains(st.InitContainers, proxyName)
	if j := slices.IndexFunc(orig.Spec.InitContainers, func(c corev1.Container) bool { return c.Name == proxyName }); j >= 0 {
		if !native {
			return "its own " + proxyName + " container is an init container, but without native sidecars the proxy runs among the containers: declare it there"
		}
		if j != 0 {
			return "its own " + proxyName + " init container is not the first, but native sidecars start the proxy before the other init containers: declare it first"
		}
		return ""
	}
	i := slices.IndexFunc(orig.Spec.Containers, func(c corev1.Container) bool { return c.Name == proxyName })
	if i < 0 {
		return ""
	}
	if native {
		return "its own " + proxyName + " container is among the containers, but native sidecars run the proxy as an init container: declare it under initContainers"
	}
	if i != 0 && c.holds(orig.ObjectMeta) {
		return "its own " + proxyName + " container is not the first container, but holdApplicationUntilProxyStarts starts the proxy first: declare it first"
	}
	return ""
}

func move(cs []corev1.Container, name string, first bool) []corev1.Container {
	for i, ct := range cs {
		if ct.Name != name {
			continue
		}
		rest := append(append([]corev1.Container{}, cs[:i]...), cs[i+1:]...)
		if first {
			return append([]corev1.Container{ct}, rest...)
		}
		return append(rest, ct)
	}
	return cs
}

// checkAnnotationValues refuses a pod whose annotations injection reads
// hold a value Istio's injector refuses (mesh.AnnotationValueError), rather
// than giving it an istio-init that fails at start; the first, in name
// order, is named.
func checkAnnotationValues(anns map[string]string) error {
	first, firstErr := "", error(nil)
	for name, value := range anns {
		if err := mesh.AnnotationValueError(name, value); err != nil && (firstErr == nil || name < first) {
			first, firstErr = name, err
		}
	}
	if firstErr != nil {
		return fmt.Errorf("annotation %s: %w", first, firstErr)
	}
	return nil
}
