package kube

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Explain turns an error from the API server into text a person can act on:
// which permission is missing, why an object is invalid (each cause), or
// that the server cannot be reached and which flags choose another. host is
// the server URL, used in unreachable-server messages; it may be empty.
// Errors it does not recognise are returned unchanged.
func Explain(err error, host string) error {
	if err == nil {
		return nil
	}
	if se := statusError(err); se != nil {
		return explainStatus(se, err)
	}
	if isUnreachable(err) {
		where := "the Kubernetes API server"
		if host != "" {
			where += " at " + host
		}
		return &UnreachableError{Host: host, Err: fmt.Errorf("cannot reach %s: %s (check --kubeconfig and --context, or raise --request-timeout)", where, rootCause(err))}
	}
	return err
}

// UnreachableError says the API server could not be contacted.
type UnreachableError struct {
	Host string
	Err  error
}

func (e *UnreachableError) Error() string { return e.Err.Error() }
func (e *UnreachableError) Unwrap() error { return e.Err }

func statusError(err error) *apierrors.StatusError {
	var se *apierrors.StatusError
	if errors.As(err, &se) {
		return se
	}
	return nil
}

func explainStatus(se *apierrors.StatusError, orig error) error {
	st := se.ErrStatus
	switch {
	case apierrors.IsForbidden(se):
		return fmt.Errorf("permission denied: %s", forbiddenText(st))
	case apierrors.IsInvalid(se):
		return fmt.Errorf("%s", invalidText(st))
	case apierrors.IsUnauthorized(se):
		return fmt.Errorf("the server rejected meshctl's credentials (401 Unauthorized): check the user in your kubeconfig context")
	}
	return orig
}

// forbiddenText names the user, the verb and the resource that RBAC refused:
//
//	user "dev" cannot create resource "deployments" in API group "apps" in namespace "istio-system"
func forbiddenText(st metav1.Status) string {
	msg := st.Message
	// The server's text is "<kind> \"name\" is forbidden: User \"x\" cannot ...".
	if i := strings.Index(msg, "forbidden: "); i >= 0 {
		msg = msg[i+len("forbidden: "):]
	}
	msg = strings.TrimPrefix(msg, "User ")
	return "user " + msg
}

// invalidText prints a validation failure kubectl-style, one cause a line.
func invalidText(st metav1.Status) string {
	var b strings.Builder
	kind, name := "", ""
	if st.Details != nil {
		kind, name = st.Details.Kind, st.Details.Name
	}
	if kind != "" {
		fmt.Fprintf(&b, "the %s %q is invalid", kind, name)
	} else {
		b.WriteString(st.Message)
	}
	if st.Details != nil {
		for _, c := range st.Details.Causes {
			b.WriteString("\n  * ")
			if c.Field != "" {
				b.WriteString(c.Field + ": ")
			}
			b.WriteString(c.Message)
		}
	}
	return b.String()
}

func isUnreachable(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return true
	}
	var oe *net.OpError
	return errors.As(err, &oe)
}

func rootCause(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) && ue.Err != nil {
		err = ue.Err
	}
	s := err.Error()
	if strings.Contains(s, "Client.Timeout") || errors.Is(err, context.DeadlineExceeded) {
		return "request timed out"
	}
	return s
}
