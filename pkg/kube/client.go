// Package kube is meshctl's one way into a cluster: typed, dynamic, discovery
// and Istio clients built from a single rest.Config, plus errors turned into
// text a person can act on.
package kube

import (
	"fmt"
	"time"

	istioclient "istio.io/client-go/pkg/clientset/versioned"
	apiextclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
)

// DefaultTimeout bounds every request when --request-timeout is not given, so
// that an unreachable server is an error, never a hang.
const DefaultTimeout = 30 * time.Second

// Client bundles the clients meshctl uses. All share one rest.Config.
type Client struct {
	Config        *rest.Config
	Kubernetes    kubernetes.Interface
	Dynamic       dynamic.Interface
	Discovery     discovery.CachedDiscoveryInterface
	Mapper        meta.ResettableRESTMapper
	Istio         istioclient.Interface
	APIExtensions apiextclient.Interface
	// Context names the kubeconfig context in use ("" when built from a rest.Config).
	Context string
}

// NewClient builds a client from kubectl-style flags. It does not contact the
// server.
func NewClient(flags *genericclioptions.ConfigFlags) (*Client, error) {
	cfg, err := flags.ToRESTConfig()
	if err != nil {
		return nil, fmt.Errorf("loading kubeconfig: %w (set --kubeconfig or --context, or KUBECONFIG)", err)
	}
	c, err := NewClientFromConfig(cfg)
	if err != nil {
		return nil, err
	}
	if raw, err := flags.ToRawKubeConfigLoader().RawConfig(); err == nil {
		c.Context = raw.CurrentContext
		if flags.Context != nil && *flags.Context != "" {
			c.Context = *flags.Context
		}
	}
	return c, nil
}

// NewClientFromConfig builds a client from a rest.Config, applying
// meshctl's defaults (user agent, timeout, rate limits fit for a CLI).
func NewClientFromConfig(in *rest.Config) (*Client, error) {
	cfg := rest.CopyConfig(in)
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = "meshctl"
	}
	// A CLI makes bursts of requests (apply phases, analysis reads); client-go's
	// default 5 QPS would make a demo install take tens of seconds.
	if cfg.QPS == 0 {
		cfg.QPS = 100
		cfg.Burst = 200
	}
	kc, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("creating Kubernetes client: %w", err)
	}
	dc, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("creating dynamic client: %w", err)
	}
	ic, err := istioclient.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("creating Istio client: %w", err)
	}
	ac, err := apiextclient.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("creating apiextensions client: %w", err)
	}
	disc := newMemCacheDiscovery(kc.Discovery())
	return &Client{
		Config:        cfg,
		Kubernetes:    kc,
		Dynamic:       dc,
		Discovery:     disc,
		Mapper:        restmapper.NewDeferredDiscoveryRESTMapper(disc),
		Istio:         ic,
		APIExtensions: ac,
	}, nil
}

// Host is the API server URL, for messages.
func (c *Client) Host() string { return c.Config.Host }
