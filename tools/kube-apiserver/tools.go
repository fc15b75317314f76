//go:build tools

// Package tools pins the kube-apiserver that meshctl's integration tests run
// against. It is a separate module so that k8s.io/kubernetes and its replace
// directives never leak into meshctl's own go.mod.
package tools

import _ "k8s.io/kubernetes/cmd/kube-apiserver"
