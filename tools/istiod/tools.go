//go:build tools

// Package tools pins Istio's control plane, pilot-discovery (istiod), that the
// integration tests start against the test kube-apiserver as the oracle for
// meshctl's fidelity claims. It is built by hack/build-testbed.sh into the
// git-ignored .cache/bin, like etcd and kube-apiserver, and never vendored.
//
// The pairing with meshctl's own Istio modules is recorded here and in
// go.mod: meshctl targets Istio 1.31 (istio.io/api and istio.io/client-go
// v1.31.4); istio.io/istio publishes no tagged module versions, so this pins
// the served pseudo-version nearest to that release, a commit of the 1.31
// line whose go.mod requires istio.io/api v1.31.0-rc.
package tools

import _ "istio.io/istio/pilot/cmd/pilot-discovery"
