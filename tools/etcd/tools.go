//go:build tools

// Package tools pins the etcd server that backs the test kube-apiserver. It is
// kept apart from the kube-apiserver module because their dependency versions
// differ.
package tools

import _ "go.etcd.io/etcd/server/v3"
