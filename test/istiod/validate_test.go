package istiod

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"sigs.k8s.io/yaml"

	"github.com/meshctl/meshctl/pkg/yamlstream"
)

// TestValidationWebhookRefusesWhatAnalyzeFinds: the validating webhook
// that `meshctl install` configured, served by the real istiod, refuses
// each invalid config of testdata/invalid.yaml with Istio's message, and
// `meshctl analyze` reports the same mistake offline, before anything
// reaches the cluster. A valid config of the same kinds is accepted, so the
// webhook is not refusing everything.
func TestValidationWebhookRefusesWhatAnalyzeFinds(t *testing.T) {
	m := meshFor(t)
	ctx := context.Background()
	const ns = "validation"
	m.namespace(t, ns, nil)
	dc, err := dynamic.NewForConfig(m.c.AdminConfig())
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join("testdata", "invalid.yaml")
	out, code := meshctl(m.c, "analyze", file, "-o", "json")
	if code != 79 {
		t.Fatalf("meshctl analyze %s: exit %d, want 79 (errors found):\n%s", file, code, out)
	}
	var findings []struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}
	if err := json.Unmarshal([]byte(out[strings.Index(out, "["):]), &findings); err != nil {
		t.Fatalf("analyze -o json: %v\n%s", err, out)
	}

	gvr := map[string]schema.GroupVersionResource{
		"VirtualService":     {Group: "networking.istio.io", Version: "v1", Resource: "virtualservices"},
		"DestinationRule":    {Group: "networking.istio.io", Version: "v1", Resource: "destinationrules"},
		"Sidecar":            {Group: "networking.istio.io", Version: "v1", Resource: "sidecars"},
		"PeerAuthentication": {Group: "security.istio.io", Version: "v1", Resource: "peerauthentications"},
	}
	refused := 0
	err = yamlstream.ReadPaths([]string{file}, nil, func(d yamlstream.Document) error {
		u := &unstructured.Unstructured{}
		if err := yaml.Unmarshal(d.Raw, &u.Object); err != nil {
			return err
		}
		var istiodWants, crdWants, analyzeWants string
		for _, line := range strings.Split(string(d.Raw), "\n") {
			if v, ok := strings.CutPrefix(line, "# istiod: "); ok {
				istiodWants = v
			}
			if v, ok := strings.CutPrefix(line, "# crd: "); ok {
				crdWants = v
			}
			if v, ok := strings.CutPrefix(line, "# analyze: "); ok {
				analyzeWants = v
			}
		}
		res := dc.Resource(gvr[u.GetKind()]).Namespace(ns)
		_, err := res.Create(ctx, u, metav1.CreateOptions{})
		byWebhook := err != nil && strings.Contains(err.Error(), "admission webhook")
		switch {
		case err == nil:
			t.Errorf("%s: %s %s was accepted; it should be refused (%q%q)", d.Where(), u.GetKind(), u.GetName(), istiodWants, crdWants)
		case istiodWants != "" && (!byWebhook || !strings.Contains(err.Error(), istiodWants)):
			t.Errorf("%s: %s %s: got %v, want istiod's webhook to refuse it with %q", d.Where(), u.GetKind(), u.GetName(), err, istiodWants)
		case crdWants != "" && (byWebhook || !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), crdWants)):
			t.Errorf("%s: %s %s: got %v, want the CRD's rule to refuse it with %q", d.Where(), u.GetKind(), u.GetName(), err, crdWants)
		default:
			refused++
			t.Logf("%s %s: %v", u.GetKind(), u.GetName(), err)
		}
		found := false
		for _, f := range findings {
			found = found || (f.Code == "IST0106" && strings.Contains(f.Message, analyzeWants))
		}
		if !found {
			t.Errorf("%s: meshctl analyze does not report %q (IST0106) for %s %s", d.Where(), analyzeWants, u.GetKind(), u.GetName())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if refused < 4 {
		t.Fatalf("only %d invalid configs refused", refused)
	}

	// The same kinds, valid, go through.
	valid := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "networking.istio.io/v1", "kind": "VirtualService",
		"metadata": map[string]any{"name": "helloworld", "labels": map[string]any{"istio.io/rev": "default"}},
		"spec": map[string]any{"hosts": []any{"helloworld"}, "http": []any{map[string]any{"route": []any{
			map[string]any{"destination": map[string]any{"host": "helloworld", "subset": "v1"}, "weight": int64(0)},
			map[string]any{"destination": map[string]any{"host": "helloworld", "subset": "v2"}, "weight": int64(100)},
		}}}},
	}}
	if _, err := dc.Resource(gvr["VirtualService"]).Namespace(ns).Create(ctx, valid, metav1.CreateOptions{}); err != nil {
		t.Fatalf("the seed's 0/100 traffic shift was refused: %v", err)
	}
}
