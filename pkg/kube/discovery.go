package kube

import (
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
)

// newMemCacheDiscovery caches discovery in memory for the life of one
// command: meshctl runs are short, and a disk cache would read and write
// ~/.kube/cache behind the user's back.
func newMemCacheDiscovery(d discovery.DiscoveryInterface) discovery.CachedDiscoveryInterface {
	return memory.NewMemCacheClient(d)
}
