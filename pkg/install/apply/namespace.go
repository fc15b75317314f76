package apply

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/meshctl/meshctl/pkg/install/manifest"
)

// ensureNamespace creates the control plane namespace when the manifest does
// not render it and it does not exist. It is created, never applied: an
// existing namespace, perhaps the user's, is left exactly as it is, and only
// a namespace meshctl created carries meshctl's labels (so that only such a
// namespace is removed by uninstall --purge).
func (a *Applier) ensureNamespace(ctx context.Context, name string, m *manifest.Manifest) (*ObjectResult, error) {
	for _, o := range m.Objects {
		if o.Object.GetKind() == "Namespace" && o.Object.GetName() == name {
			return nil, nil
		}
	}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{
		manifest.LabelManagedBy: manifest.ManagedByValue,
		manifest.LabelInstall:   m.Name,
		manifest.LabelComponent: manifest.Base,
		manifest.LabelRevision:  manifest.DefaultRevision,
	}}}
	// Read first: the server answers Forbidden before AlreadyExists to a
	// user who may not create namespaces but may use an existing one.
	if _, err := a.Client.Kubernetes.CoreV1().Namespaces().Get(ctx, name, metav1.GetOptions{}); err == nil {
		return nil, nil
	}
	opts := metav1.CreateOptions{FieldManager: FieldManager}
	if a.Opts.DryRun {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	_, err := a.Client.Kubernetes.CoreV1().Namespaces().Create(ctx, ns, opts)
	switch {
	case apierrors.IsAlreadyExists(err):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("creating namespace %s: %w", name, a.explain(err))
	}
	if a.Opts.DryRun {
		a.dryCreated(name)
	}
	a.wrote()
	return &ObjectResult{Component: manifest.Base, Kind: "Namespace", Name: name, Action: Created}, nil
}
