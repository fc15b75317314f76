// Package verify compares a cluster with a rendered install: objects that
// are missing, fields meshctl applies that now hold other values, and
// objects that are not ready.
package verify

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sync"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"

	"github.com/meshctl/meshctl/pkg/install/apply"
	"github.com/meshctl/meshctl/pkg/install/manifest"
	"github.com/meshctl/meshctl/pkg/install/objdiff"
	"github.com/meshctl/meshctl/pkg/kube"
)

// Problem kinds.
const (
	Missing  = "missing"
	Drifted  = "drifted"
	NotReady = "not ready"
)

// Finding is one object that does not match.
type Finding struct {
	Object  string // Kind namespace/name
	Problem string // Missing, Drifted or NotReady
	// Changes are the drifted fields: A is the cluster's value, B the
	// value meshctl applies.
	Changes []objdiff.Change
	Reason  string
}

// Report is the result of a verification.
type Report struct {
	Install  string
	Revision string
	Checked  int
	Findings []Finding
}

// OK reports whether everything matched and was ready.
func (r *Report) OK() bool { return len(r.Findings) == 0 }

// Write prints the report.
func (r *Report) Write(w io.Writer) {
	rev := apply.RevisionLabel(r.Revision)
	if r.OK() {
		fmt.Fprintf(w, "✔ install %s (revision %s): %d objects present, as applied and ready\n", r.Install, rev, r.Checked)
		return
	}
	fmt.Fprintf(w, "✘ install %s (revision %s): %d of %d objects do not match\n", r.Install, rev, len(r.Findings), r.Checked)
	for _, f := range r.Findings {
		switch f.Problem {
		case Drifted:
			fmt.Fprintf(w, "  %s: drifted\n", f.Object)
			objdiff.WriteChanges(w, f.Changes, "      ")
		case NotReady:
			fmt.Fprintf(w, "  %s: not ready: %s\n", f.Object, f.Reason)
		default:
			fmt.Fprintf(w, "  %s: %s\n", f.Object, f.Problem)
		}
	}
}

// Verify checks every object of m against the cluster. Drift is found by a
// server-side dry-run apply of the rendered object (taking over conflicts,
// so that fields another manager changed show up): any field the apply
// would change has drifted. Nothing is written.
func Verify(ctx context.Context, c *kube.Client, m *manifest.Manifest) (*Report, error) {
	r := &Report{Install: m.Name, Revision: m.Revision, Checked: len(m.Objects)}
	findings := make([][]Finding, len(m.Objects))
	errs := make([]error, len(m.Objects))
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	for i, o := range m.Objects {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			findings[i], errs[i] = check(ctx, c, o)
		}()
	}
	wg.Wait()
	for i := range m.Objects {
		if errs[i] != nil {
			return nil, errs[i]
		}
		r.Findings = append(r.Findings, findings[i]...)
	}
	return r, nil
}

func check(ctx context.Context, c *kube.Client, o manifest.Object) ([]Finding, error) {
	u := o.Object
	name := objdiff.Key(u)
	ri, _, err := apply.Resource(c, u)
	if meta.IsNoMatchError(err) {
		return []Finding{{Object: name, Problem: Missing, Reason: "its kind is not served by the cluster"}}, nil
	}
	if err != nil {
		return nil, err
	}
	live, err := ri.Get(ctx, u.GetName(), metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return []Finding{{Object: name, Problem: Missing}}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", name, kube.Explain(err, c.Host()))
	}
	data, err := json.Marshal(apply.AdoptRuntimeFields(u, live).Object)
	if err != nil {
		return nil, err
	}
	force := true
	want, err := ri.Patch(ctx, u.GetName(), types.ApplyPatchType, data, metav1.PatchOptions{FieldManager: apply.FieldManager, Force: &force, DryRun: []string{metav1.DryRunAll}})
	if err != nil {
		return nil, fmt.Errorf("checking %s: %w", name, kube.Explain(err, c.Host()))
	}
	var out []Finding
	if cs := drift(live, want); len(cs) > 0 {
		out = append(out, Finding{Object: name, Problem: Drifted, Changes: cs})
	}
	ready, reason, err := apply.Check(ctx, c, o)
	if err != nil {
		return nil, fmt.Errorf("checking %s: %w", name, kube.Explain(err, c.Host()))
	}
	if !ready {
		out = append(out, Finding{Object: name, Problem: NotReady, Reason: reason})
	}
	return out, nil
}

// drift lists the fields where the live object differs from what applying
// would make of it, leaving out bookkeeping.
func drift(live, want *unstructured.Unstructured) []objdiff.Change {
	clean := func(u *unstructured.Unstructured) map[string]any {
		c := u.DeepCopy()
		for _, f := range []string{"managedFields", "resourceVersion", "generation"} {
			unstructured.RemoveNestedField(c.Object, "metadata", f)
		}
		return c.Object
	}
	return objdiff.Values(clean(live), clean(want))
}
