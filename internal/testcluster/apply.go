package testcluster

import (
	"context"
	"fmt"
	"regexp"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/meshctl/meshctl/pkg/kube"
	"github.com/meshctl/meshctl/pkg/yamlstream"
)

// Apply creates or replaces every document of the files (server-side
// apply, as the admin), as `kubectl apply --server-side --force-conflicts`
// would. Kinds are mapped afresh, so CRDs installed just before are known.
func (c *Cluster) Apply(t testing.TB, paths ...string) {
	t.Helper()
	kc, err := kube.NewClientFromConfig(c.AdminConfig())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	err = yamlstream.ReadPaths(paths, nil, func(d yamlstream.Document) error {
		if d.IsEmpty() {
			return nil
		}
		var u unstructured.Unstructured
		if err := yaml.Unmarshal(d.Raw, &u.Object); err != nil {
			return fmt.Errorf("%s: %w", d.Where(), err)
		}
		gvk := u.GroupVersionKind()
		m, err := kc.Mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		if err != nil {
			return fmt.Errorf("%s: %w", d.Where(), err)
		}
		opts := metav1.ApplyOptions{FieldManager: "meshctl-tests", Force: true}
		ri := kc.Dynamic.Resource(m.Resource)
		if m.Scope.Name() == "namespace" {
			ns := u.GetNamespace()
			if ns == "" {
				ns = "default"
			}
			_, err = ri.Namespace(ns).Apply(ctx, u.GetName(), &u, opts)
		} else {
			_, err = ri.Apply(ctx, u.GetName(), &u, opts)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", d.Where(), kube.Explain(err, kc.Host()))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

var (
	textLocation = regexp.MustCompile(`\n\s+at [^\n]*\(document \d+, line \d+\)`)
	jsonLocation = regexp.MustCompile(`,\n\s*"where": "[^"\n]*"`)
)

// WithoutFileLocations drops what only answers read from files carry:
// the file, document and line of each deciding object in `authz can`'s
// text and JSON. Tests that compare live answers with offline ones use it.
func WithoutFileLocations(out string) string {
	return jsonLocation.ReplaceAllString(textLocation.ReplaceAllString(out, ""), "")
}
