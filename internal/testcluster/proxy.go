package testcluster

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"

	cluster "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpoint "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listener "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	route "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	hcm "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	discovery "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/structpb"
)

// xDS type URLs a sidecar subscribes to.
const (
	ClusterType  = "type.googleapis.com/envoy.config.cluster.v3.Cluster"
	ListenerType = "type.googleapis.com/envoy.config.listener.v3.Listener"
	EndpointType = "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment"
	RouteType    = "type.googleapis.com/envoy.config.route.v3.RouteConfiguration"
)

// ProxyOptions describe the workload a test proxy stands for, as a real
// sidecar's bootstrap would describe it to istiod.
type ProxyOptions struct {
	Pod, Namespace string
	IP             string
	ServiceAccount string
	Labels         map[string]string
	// OnResponse, when set, sees every response in the order received,
	// numbered from 1, before it is acknowledged. It runs on the stream's
	// goroutine and must not block.
	OnResponse func(seq int, typeURL string, resources []*anypb.Any)
}

// Proxy is a test stand-in for an Envoy sidecar: it holds an ADS stream
// to istiod's plaintext xDS port, subscribes to clusters and listeners, then
// to the endpoints of every EDS cluster and the routes of every listener
// that names them by RDS (as Envoy does), and
// acknowledges what it receives, so that istiod counts it as a connected,
// synced proxy. Istio's own test ADS clients do the same job; this one is a
// few dozen lines over go-control-plane's types.
type Proxy struct {
	ID string

	conn   *grpc.ClientConn
	cancel context.CancelFunc
	mu     sync.Mutex
	got    map[string][]*anypb.Any
	acked  chan string
	done   chan struct{}
	err    error
}

// ConnectProxy connects a test sidecar to istiod and waits until it has
// received and acknowledged clusters and listeners.
func (d *Istiod) ConnectProxy(ctx context.Context, o ProxyOptions) (*Proxy, error) {
	conn, err := grpc.NewClient(d.GRPCAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, err
	}
	sctx, cancel := context.WithCancel(context.Background())
	stream, err := discovery.NewAggregatedDiscoveryServiceClient(conn).StreamAggregatedResources(sctx)
	if err != nil {
		cancel()
		conn.Close()
		return nil, err
	}
	labels := map[string]any{}
	for k, v := range o.Labels {
		labels[k] = v
	}
	meta, err := structpb.NewStruct(map[string]any{
		"NAMESPACE":       o.Namespace,
		"NAME":            o.Pod,
		"LABELS":          labels,
		"SERVICE_ACCOUNT": o.ServiceAccount,
		"INSTANCE_IPS":    o.IP,
		"CLUSTER_ID":      "Kubernetes",
		"ISTIO_VERSION":   "1.31.4",
		"MESH_ID":         "cluster.local",
		"WORKLOAD_NAME":   o.Pod,
	})
	if err != nil {
		cancel()
		conn.Close()
		return nil, err
	}
	p := &Proxy{
		ID:     o.Pod + "." + o.Namespace,
		conn:   conn,
		cancel: cancel,
		got:    map[string][]*anypb.Any{},
		acked:  make(chan string, 16),
		done:   make(chan struct{}),
	}
	node := &core.Node{
		Id:       fmt.Sprintf("sidecar~%s~%s~%s.svc.cluster.local", o.IP, p.ID, o.Namespace),
		Metadata: meta,
	}
	for _, typ := range []string{ClusterType, ListenerType} {
		if err := stream.Send(&discovery.DiscoveryRequest{Node: node, TypeUrl: typ}); err != nil {
			p.Close()
			return nil, err
		}
	}
	go func() {
		defer close(p.done)
		seq := 0
		var edsNames, rdsNames []string
		var edsVersion, edsNonce, rdsVersion, rdsNonce string
		for {
			resp, err := stream.Recv()
			if err != nil {
				p.mu.Lock()
				p.err = err
				p.mu.Unlock()
				return
			}
			seq++
			if o.OnResponse != nil {
				o.OnResponse(seq, resp.TypeUrl, resp.Resources)
			}
			p.mu.Lock()
			switch resp.TypeUrl {
			case EndpointType:
				// Endpoints may come a few clusters at a time.
				p.got[resp.TypeUrl] = mergeEndpoints(p.got[resp.TypeUrl], resp.Resources, edsNames)
			case RouteType:
				p.got[resp.TypeUrl] = mergeRoutes(p.got[resp.TypeUrl], resp.Resources, rdsNames)
			default:
				p.got[resp.TypeUrl] = resp.Resources
			}
			p.mu.Unlock()
			ack := &discovery.DiscoveryRequest{Node: node, TypeUrl: resp.TypeUrl, VersionInfo: resp.VersionInfo, ResponseNonce: resp.Nonce}
			switch resp.TypeUrl {
			case EndpointType:
				edsVersion, edsNonce = resp.VersionInfo, resp.Nonce
				ack.ResourceNames = edsNames
			case RouteType:
				rdsVersion, rdsNonce = resp.VersionInfo, resp.Nonce
				ack.ResourceNames = rdsNames
			}
			if err := stream.Send(ack); err != nil {
				return
			}
			// New clusters: ask for the endpoints of the EDS ones.
			if resp.TypeUrl == ClusterType {
				if names := edsClusters(resp.Resources); !slices.Equal(names, edsNames) {
					edsNames = names
					req := &discovery.DiscoveryRequest{Node: node, TypeUrl: EndpointType, ResourceNames: names, VersionInfo: edsVersion, ResponseNonce: edsNonce}
					if err := stream.Send(req); err != nil {
						return
					}
				}
			}
			// New listeners: ask for the routes their HTTP filters name.
			if resp.TypeUrl == ListenerType {
				if names := rdsRoutes(resp.Resources); !slices.Equal(names, rdsNames) {
					rdsNames = names
					req := &discovery.DiscoveryRequest{Node: node, TypeUrl: RouteType, ResourceNames: names, VersionInfo: rdsVersion, ResponseNonce: rdsNonce}
					if err := stream.Send(req); err != nil {
						return
					}
				}
			}
			select {
			case p.acked <- resp.TypeUrl:
			default:
			}
		}
	}()
	want := map[string]bool{ClusterType: true, ListenerType: true}
	timeout := time.After(time.Minute)
	for len(want) > 0 {
		select {
		case typ := <-p.acked:
			delete(want, typ)
		case <-p.done:
			return nil, fmt.Errorf("istiod closed the xDS stream of %s: %v\n%s", p.ID, p.err, d.LogTail(20))
		case <-timeout:
			p.Close()
			return nil, fmt.Errorf("proxy %s: no clusters and listeners from istiod within a minute\n%s", p.ID, d.LogTail(20))
		case <-ctx.Done():
			p.Close()
			return nil, ctx.Err()
		}
	}
	return p, nil
}

// edsClusters are the sorted names of the clusters whose endpoints come by
// EDS.
func edsClusters(res []*anypb.Any) []string {
	var names []string
	for _, a := range res {
		var c cluster.Cluster
		if a.UnmarshalTo(&c) != nil {
			continue
		}
		if c.GetType() == cluster.Cluster_EDS {
			name := c.GetName()
			if sn := c.GetEdsClusterConfig().GetServiceName(); sn != "" {
				name = sn
			}
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names
}

// mergeEndpoints keeps the newest assignment of every subscribed cluster.
func mergeEndpoints(old, got []*anypb.Any, names []string) []*anypb.Any {
	byName := map[string]*anypb.Any{}
	for _, list := range [][]*anypb.Any{old, got} {
		for _, a := range list {
			var cla endpoint.ClusterLoadAssignment
			if a.UnmarshalTo(&cla) == nil {
				byName[cla.GetClusterName()] = a
			}
		}
	}
	var out []*anypb.Any
	for _, n := range names {
		if a, ok := byName[n]; ok {
			out = append(out, a)
		}
	}
	return out
}

// rdsRoutes are the sorted names of the route configurations the
// listeners' HTTP connection managers fetch by RDS.
func rdsRoutes(res []*anypb.Any) []string {
	seen := map[string]bool{}
	for _, a := range res {
		var l listener.Listener
		if a.UnmarshalTo(&l) != nil {
			continue
		}
		chains := append([]*listener.FilterChain{l.GetDefaultFilterChain()}, l.GetFilterChains()...)
		for _, fc := range chains {
			for _, f := range fc.GetFilters() {
				var h hcm.HttpConnectionManager
				if f.GetTypedConfig().UnmarshalTo(&h) == nil {
					if n := h.GetRds().GetRouteConfigName(); n != "" {
						seen[n] = true
					}
				}
			}
		}
	}
	names := make([]string, 0, len(seen))
	for n := range seen {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// mergeRoutes keeps the newest configuration of every subscribed route.
func mergeRoutes(old, got []*anypb.Any, names []string) []*anypb.Any {
	byName := map[string]*anypb.Any{}
	for _, list := range [][]*anypb.Any{old, got} {
		for _, a := range list {
			var rc route.RouteConfiguration
			if a.UnmarshalTo(&rc) == nil {
				byName[rc.GetName()] = a
			}
		}
	}
	var out []*anypb.Any
	for _, n := range names {
		if a, ok := byName[n]; ok {
			out = append(out, a)
		}
	}
	return out
}

// Resources are the resources of a type last received.
func (p *Proxy) Resources(typeURL string) []*anypb.Any {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.got[typeURL]
}

// Close ends the stream: istiod sees the proxy disconnect.
func (p *Proxy) Close() {
	p.cancel()
	p.conn.Close()
}
