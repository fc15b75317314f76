package verify

import (
	"bytes"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/meshctl/meshctl/pkg/install/objdiff"
)

func TestDriftIgnoresBookkeepingOnly(t *testing.T) {
	t.Parallel()
	live := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": map[string]any{"name": "istio", "resourceVersion": "7", "generation": int64(1), "managedFields": []any{map[string]any{"manager": "kubectl-edit"}}},
		"data":     map[string]any{"mesh": "edited", "keep": "same"},
	}}
	want := live.DeepCopy()
	want.SetResourceVersion("8")
	want.SetGeneration(2)
	want.SetManagedFields(nil)
	if cs := drift(live, want); len(cs) != 0 {
		t.Fatalf("bookkeeping counted as drift: %+v", cs)
	}
	_ = unstructured.SetNestedField(want.Object, "applied", "data", "mesh")
	cs := drift(live, want)
	if len(cs) != 1 || cs[0].Path != "data.mesh" || cs[0].A != "edited" || cs[0].B != "applied" {
		t.Fatalf("drift = %+v", cs)
	}
}

func TestReportWrite(t *testing.T) {
	t.Parallel()
	r := &Report{Install: "installed-state", Checked: 3, Findings: []Finding{
		{Object: "ConfigMap istio-system/istio", Problem: Drifted, Changes: []objdiff.Change{{Path: "data.x", A: "1", B: "2", InA: true, InB: true}}},
		{Object: "Service istio-system/istiod", Problem: Missing},
		{Object: "Deployment istio-system/istiod", Problem: NotReady, Reason: "0/1 replicas available"},
	}}
	var b bytes.Buffer
	r.Write(&b)
	want := `✘ install installed-state (revision default): 3 of 3 objects do not match
  ConfigMap istio-system/istio: drifted
      ~ data.x: "1" -> "2"
  Service istio-system/istiod: missing
  Deployment istio-system/istiod: not ready: 0/1 replicas available
`
	if b.String() != want {
		t.Fatalf("got:\n%s\nwant:\n%s", b.String(), want)
	}
	if r.OK() {
		t.Fatal("a report with findings is OK")
	}
	b.Reset()
	ok := &Report{Install: "installed-state-canary", Revision: "canary", Checked: 17}
	ok.Write(&b)
	if b.String() != "✔ install installed-state-canary (revision canary): 17 objects present, as applied and ready\n" || !ok.OK() {
		t.Fatalf("got %q", b.String())
	}
}
