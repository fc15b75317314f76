package apply

import (
	"context"
	"sort"
	"strings"
	"sync"

	authv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/meshctl/meshctl/pkg/install/manifest"
	"github.com/meshctl/meshctl/pkg/kube"
)

// applyVerbs are what server-side apply needs: read the object, create it
// when it is new, patch it.
var applyVerbs = []string{"get", "create", "patch"}

// Missing is one resource in one scope with the verbs the user may not use.
type Missing struct {
	Group, Resource string
	// Namespace is "" for cluster-scoped resources.
	Namespace string
	Verbs     []string
}

func (m Missing) String() string {
	res := m.Resource
	if m.Group != "" {
		res += "." + m.Group
	}
	verbs := strings.Join(m.Verbs, ", ")
	if i := strings.LastIndex(verbs, ", "); i >= 0 {
		verbs = verbs[:i] + " or " + verbs[i+2:]
	}
	where := "(cluster-scoped)"
	if m.Namespace != "" {
		where = "in namespace " + m.Namespace
	}
	return "cannot " + verbs + " " + res + " " + where
}

// PermissionError lists the permissions an install needs and the user lacks.
type PermissionError struct{ Missing []Missing }

func (e *PermissionError) Error() string {
	var b strings.Builder
	b.WriteString("permission denied: the current user lacks permissions the install needs:")
	for _, m := range e.Missing {
		b.WriteString("\n  * " + m.String())
	}
	return b.String()
}

// MissingPermissions asks the server (SelfSubjectAccessReview) which of the
// permissions that applying m needs the current user lacks. It returns nil
// when it finds none or cannot tell.
func MissingPermissions(ctx context.Context, c *kube.Client, m *manifest.Manifest, ns string) error {
	type scope struct{ group, resource, ns string }
	seen := map[scope]bool{}
	var scopes []scope
	add := func(s scope) {
		if !seen[s] {
			seen[s] = true
			scopes = append(scopes, s)
		}
	}
	if ns != "" {
		add(scope{"", "namespaces", ""})
	}
	for _, o := range m.Objects {
		gvk := o.Object.GroupVersionKind()
		mapping, err := c.Mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		if err != nil {
			continue // a kind its CRD has yet to define
		}
		add(scope{mapping.Resource.Group, mapping.Resource.Resource, o.Object.GetNamespace()})
	}
	missing := make([]Missing, len(scopes))
	var wg sync.WaitGroup
	for i, s := range scopes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			missing[i] = Missing{Group: s.group, Resource: s.resource, Namespace: s.ns}
			for _, verb := range applyVerbs {
				if s.resource == "namespaces" && verb == "patch" {
					continue // meshctl only creates the namespace
				}
				r, err := c.Kubernetes.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, &authv1.SelfSubjectAccessReview{
					Spec: authv1.SelfSubjectAccessReviewSpec{ResourceAttributes: &authv1.ResourceAttributes{
						Group: s.group, Resource: s.resource, Namespace: s.ns, Verb: verb}},
				}, metav1.CreateOptions{})
				if err == nil && !r.Status.Allowed {
					missing[i].Verbs = append(missing[i].Verbs, verb)
				}
			}
		}()
	}
	wg.Wait()
	e := &PermissionError{}
	for _, m := range missing {
		if len(m.Verbs) > 0 {
			e.Missing = append(e.Missing, m)
		}
	}
	if len(e.Missing) == 0 {
		return nil
	}
	sort.SliceStable(e.Missing, func(i, j int) bool {
		a, b := e.Missing[i], e.Missing[j]
		if (a.Namespace == "") != (b.Namespace == "") {
			return a.Namespace == ""
		}
		if a.Namespace != b.Namespace {
			return a.Namespace < b.Namespace
		}
		if a.Group != b.Group {
			return a.Group < b.Group
		}
		return a.Resource < b.Resource
	})
	return e
}
