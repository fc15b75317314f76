package testcluster

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"testing"
	"time"

	apiextv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/discovery"
	"sigs.k8s.io/yaml"

	"github.com/meshctl/meshctl/charts"
	"github.com/meshctl/meshctl/pkg/yamlstream"
)

// IstioCRDs are the CRDs that the base chart ships, as generated.
func IstioCRDs(t testing.TB) []*apiextv1.CustomResourceDefinition {
	t.Helper()
	data, err := fs.ReadFile(charts.FS, "base/files/crds.gen.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var out []*apiextv1.CustomResourceDefinition
	err = yamlstream.Read("crds.gen.yaml", bytes.NewReader(data), func(d yamlstream.Document) error {
		if d.IsEmpty() {
			return nil
		}
		crd := &apiextv1.CustomResourceDefinition{}
		if err := yaml.UnmarshalStrict(d.Raw, crd); err != nil {
			return fmt.Errorf("%s: %w", d.Where(), err)
		}
		out = append(out, crd)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// InstallIstioCRDs creates the base chart's CRDs (an existing one is left
// as it is) and waits until the API server serves their kinds.
func (c *Cluster) InstallIstioCRDs(t testing.TB) {
	t.Helper()
	c.InstallCRDs(t, IstioCRDs(t)...)
}

// InstallCRDs creates CRDs and waits until each is established and its
// kind listed by API discovery: the server marks a CRD Established before
// discovery shows it, and a client that resolves kinds through discovery
// in between fails with "no matches for kind".
func (c *Cluster) InstallCRDs(t testing.TB, crds ...*apiextv1.CustomResourceDefinition) {
	t.Helper()
	ctx := context.Background()
	cs, err := apiextclient.NewForConfig(c.AdminConfig())
	if err != nil {
		t.Fatal(err)
	}
	for _, crd := range crds {
		if _, err := cs.ApiextensionsV1().CustomResourceDefinitions().Create(ctx, crd, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatalf("creating CRD %s: %v", crd.Name, err)
		}
	}
	names := make([]string, len(crds))
	for i, crd := range crds {
		names[i] = crd.Name
	}
	c.WaitCRDsServed(t, names...)
}

// WaitCRDsServed waits until the named CRDs are established and their kinds
// listed by API discovery, for two minutes at most.
func (c *Cluster) WaitCRDsServed(t testing.TB, names ...string) {
	t.Helper()
	ctx := context.Background()
	cs, err := apiextclient.NewForConfig(c.AdminConfig())
	if err != nil {
		t.Fatal(err)
	}
	disc, err := discovery.NewDiscoveryClientForConfig(c.AdminConfig())
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Minute)
	for _, name := range names {
		for {
			err := crdServed(ctx, cs, disc, name)
			if err == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("CRD %s: %v", name, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// crdServed returns nil once the CRD is established and every served
// version lists its plural in discovery.
func crdServed(ctx context.Context, cs apiextclient.Interface, disc discovery.DiscoveryInterface, name string) error {
	got, err := cs.ApiextensionsV1().CustomResourceDefinitions().Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return err
	}
	established := false
	for _, cond := range got.Status.Conditions {
		if cond.Type == apiextv1.Established && cond.Status == apiextv1.ConditionTrue {
			established = true
		}
	}
	if !established {
		return fmt.Errorf("not established")
	}
	for _, v := range got.Spec.Versions {
		if !v.Served {
			continue
		}
		gv := got.Spec.Group + "/" + v.Name
		list, err := disc.ServerResourcesForGroupVersion(gv)
		if err != nil {
			return fmt.Errorf("discovery of %s: %w", gv, err)
		}
		found := false
		for _, r := range list.APIResources {
			if r.Name == got.Spec.Names.Plural {
				found = true
			}
		}
		if !found {
			return fmt.Errorf("%s not yet in the discovery of %s", got.Spec.Names.Plural, gv)
		}
	}
	return nil
}
