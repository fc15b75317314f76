// Package istiod reads a running istiod's debug API: which proxies are
// connected and whether each has acknowledged the configuration istiod last
// sent it. It reaches istiod either directly (an address of its HTTP debug
// port, 8080 in a pod) or through the Kubernetes API server's pod proxy.
package istiod

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// DebugPort is istiod's HTTP port that serves /debug/*.
const DebugPort = "8080"

// Debug fetches a path of istiod's debug API.
type Debug interface {
	Get(ctx context.Context, path string) ([]byte, error)
	// Where names the istiod for messages.
	Where() string
}

// Direct is an istiod reached at an address (host:port of its debug port).
type Direct struct {
	Address string
	Client  *http.Client
}

// Get fetches path from the address.
func (d Direct) Get(ctx context.Context, path string) ([]byte, error) {
	client := d.Client
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second}
	}
	base := d.Address
	if !strings.Contains(base, "://") {
		base = "http://" + base
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(base, "/")+path, nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("cannot reach istiod at %s: %w", d.Address, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 256<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("istiod at %s: %s %s: %s", d.Address, path, resp.Status, strings.TrimSpace(string(body)))
	}
	return body, nil
}

// Where is the address.
func (d Direct) Where() string { return d.Address }

// PodProxy is an istiod pod reached through the API server's pods/proxy
// subresource (the API server asks the pod's kubelet).
type PodProxy struct {
	Kube      kubernetes.Interface
	Namespace string
	Pod       string
}

// Get fetches path through the API server.
func (p PodProxy) Get(ctx context.Context, path string) ([]byte, error) {
	b, err := p.Kube.CoreV1().Pods(p.Namespace).ProxyGet("http", p.Pod, DebugPort, path, nil).DoRaw(ctx)
	if err != nil {
		return nil, fmt.Errorf("istiod pod %s/%s through the API server: %w", p.Namespace, p.Pod, err)
	}
	return b, nil
}

// Where names the pod.
func (p PodProxy) Where() string { return "pod " + p.Namespace + "/" + p.Pod }

// FindPods lists the running istiod pods of a namespace (label app=istiod),
// of one revision when revision is not empty.
func FindPods(ctx context.Context, kc kubernetes.Interface, ns, revision string) ([]string, error) {
	sel := "app=istiod"
	if revision != "" && revision != "default" {
		sel += ",istio.io/rev=" + revision
	}
	pods, err := kc.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: sel, FieldSelector: "status.phase=Running"})
	if err != nil {
		return nil, err
	}
	var out []string
	for _, p := range pods.Items {
		out = append(out, p.Name)
	}
	sort.Strings(out)
	return out, nil
}

// SyncStatus is one connected proxy as istiod's /debug/syncz reports it:
// for each xDS type, the nonce istiod last sent and the one the proxy last
// acknowledged.
type SyncStatus struct {
	ClusterID            string `json:"cluster_id,omitempty"`
	ProxyID              string `json:"proxy,omitempty"`
	ProxyType            string `json:"proxy_type,omitempty"`
	ProxyVersion         string `json:"proxy_version,omitempty"`
	IstioVersion         string `json:"istio_version,omitempty"`
	ClusterSent          string `json:"cluster_sent,omitempty"`
	ClusterAcked         string `json:"cluster_acked,omitempty"`
	ListenerSent         string `json:"listener_sent,omitempty"`
	ListenerAcked        string `json:"listener_acked,omitempty"`
	RouteSent            string `json:"route_sent,omitempty"`
	RouteAcked           string `json:"route_acked,omitempty"`
	EndpointSent         string `json:"endpoint_sent,omitempty"`
	EndpointAcked        string `json:"endpoint_acked,omitempty"`
	ExtensionConfigSent  string `json:"extensionconfig_sent,omitempty"`
	ExtensionConfigAcked string `json:"extensionconfig_acked,omitempty"`
}

// Sync states of one xDS type.
const (
	Synced  = "SYNCED"   // the proxy acknowledged what istiod last sent
	Stale   = "STALE"    // istiod sent something newer than the proxy acknowledged
	NotSent = "NOT SENT" // the proxy asked for nothing of the type, or istiod sent nothing yet
)

// State compares a sent and an acknowledged nonce.
func State(sent, acked string) string {
	switch {
	case sent == "":
		return NotSent
	case sent == acked:
		return Synced
	default:
		return Stale
	}
}

// SyncStatuses reads /debug/syncz, sorted by proxy.
func SyncStatuses(ctx context.Context, d Debug) ([]SyncStatus, error) {
	b, err := d.Get(ctx, "/debug/syncz")
	if err != nil {
		return nil, err
	}
	var out []SyncStatus
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("istiod at %s: reading /debug/syncz: %w", d.Where(), err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ProxyID < out[j].ProxyID })
	return out, nil
}
