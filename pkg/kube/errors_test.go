package kube

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"syscall"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

func TestExplain(t *testing.T) {
	t.Parallel()
	forbidden := apierrors.NewForbidden(schema.GroupResource{Group: "apps", Resource: "deployments"}, "istiod",
		errors.New(`User "developer" cannot create resource "deployments" in API group "apps" in the namespace "istio-system"`))
	invalid := apierrors.NewInvalid(schema.GroupKind{Group: "networking.istio.io", Kind: "VirtualService"}, "helloworld", field.ErrorList{
		field.Required(field.NewPath("spec", "hosts"), "at least one host"),
		field.Invalid(field.NewPath("spec", "http").Index(0).Child("route"), "x", "must be a list"),
	})
	refused := &url.Error{Op: "Get", URL: "https://127.0.0.1:1/version", Err: fmt.Errorf("dial tcp 127.0.0.1:1: %w", syscall.ECONNREFUSED)}
	cases := []struct {
		name string
		err  error
		want []string
	}{
		{"forbidden", forbidden, []string{`permission denied: user "developer" cannot create resource "deployments" in API group "apps" in the namespace "istio-system"`}},
		{"invalid", fmt.Errorf("applying: %w", invalid), []string{`the VirtualService "helloworld" is invalid`, "\n  * spec.hosts: Required value: at least one host", "\n  * spec.http[0].route: Invalid value"}},
		{"unauthorized", apierrors.NewUnauthorized("bad token"), []string{"rejected meshctl's credentials"}},
		{"refused", refused, []string{"cannot reach the Kubernetes API server at https://h:6443", "connection refused", "--kubeconfig and --context"}},
		{"timeout", &url.Error{Op: "Get", URL: "https://h", Err: context.DeadlineExceeded}, []string{"request timed out", "--request-timeout"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := Explain(tc.err, "https://h:6443").Error()
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("Explain() = %q\nwant it to contain %q", got, w)
				}
			}
		})
	}
	other := errors.New("something else")
	if Explain(other, "") != other {
		t.Error("unknown errors must pass through unchanged")
	}
	if Explain(nil, "") != nil {
		t.Error("nil must stay nil")
	}
	var ue *UnreachableError
	if !errors.As(Explain(refused, ""), &ue) {
		t.Error("unreachable errors must be typed")
	}
}
