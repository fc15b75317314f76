package integration

import (
	"context"
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"

	"github.com/meshctl/meshctl/internal/testcluster"
	"github.com/meshctl/meshctl/pkg/install/render"
	"github.com/meshctl/meshctl/pkg/kube"
)

func TestMain(m *testing.M) { testcluster.Main(m) }

// TestRenderedObjectsAreAccepted applies every rendered object of default,
// demo, minimal and a canary revision to a real API server with
// server-side apply in dry-run mode, after creating the CRDs of the Base
// component for real and waiting until they are established.
func TestRenderedObjectsAreAccepted(t *testing.T) {
	c := testcluster.Get(t)
	kc, err := kube.NewClientFromConfig(c.AdminConfig())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "istio-system"}}
	if _, err := kc.Kubernetes.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}

	cases := []struct {
		name string
		o    render.Options
	}{
		{"default", render.Options{}},
		{"demo", render.Options{Sets: []string{"profile=demo"}}},
		{"minimal", render.Options{Sets: []string{"profile=minimal"}}},
		{"canary", render.Options{Revision: "canary"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, err := render.Render(tc.o)
			if err != nil {
				t.Fatal(err)
			}
			if len(m.Objects) < 10 {
				t.Fatalf("only %d objects rendered", len(m.Objects))
			}
			var crds []string
			for _, o := range m.Objects {
				if o.Object.GetKind() == "CustomResourceDefinition" {
					if err := apply(ctx, kc, o.Object, false); err != nil {
						t.Fatalf("creating %s: %v", o.Object.GetName(), err)
					}
					crds = append(crds, o.Object.GetName())
				}
			}
			if len(crds) > 0 {
				c.WaitCRDsServed(t, crds...)
				kc.Mapper.Reset()
			}
			accepted := 0
			for _, o := range m.Objects {
				if o.Object.GetKind() == "CustomResourceDefinition" {
					continue
				}
				if err := apply(ctx, kc, o.Object, true); err != nil {
					t.Errorf("%s (%s): %v", o.Key(), o.Component, err)
					continue
				}
				accepted++
			}
			t.Logf("%s: %d CRDs created, %d objects accepted by dry-run", tc.name, len(crds), accepted)
		})
	}
}

// apply server-side applies one object as field manager meshctl, in
// dry-run mode when dryRun is set.
func apply(ctx context.Context, kc *kube.Client, u *unstructured.Unstructured, dryRun bool) error {
	gvk := u.GroupVersionKind()
	mapping, err := kc.Mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		return fmt.Errorf("mapping %s: %w", gvk, err)
	}
	data, err := runtime.Encode(unstructured.UnstructuredJSONScheme, u)
	if err != nil {
		return err
	}
	opts := metav1.PatchOptions{FieldManager: "meshctl", Force: ptr(true)}
	if dryRun {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	ri := kc.Dynamic.Resource(mapping.Resource)
	if mapping.Scope.Name() == "namespace" {
		_, err = ri.Namespace(u.GetNamespace()).Patch(ctx, u.GetName(), types.ApplyPatchType, data, opts)
	} else {
		_, err = ri.Patch(ctx, u.GetName(), types.ApplyPatchType, data, opts)
	}
	if err != nil {
		return fmt.Errorf("%s", kube.Explain(err, kc.Config.Host))
	}
	return nil
}

func ptr[T any](v T) *T { return &v }
