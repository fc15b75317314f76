// Package apply puts a rendered install on a cluster: server-side apply with
// field manager "meshctl" in ordered phases (CRDs, namespace, then each
// component), no-op detection through server-side dry-run so that an
// unchanged install makes no write, pruning of what this install owns and no
// longer renders, a readiness wait with a hard deadline, and an install
// record stored in the cluster.
package apply

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"

	"github.com/meshctl/meshctl/pkg/install/manifest"
	"github.com/meshctl/meshctl/pkg/install/objdiff"
	"github.com/meshctl/meshctl/pkg/kube"
)

// FieldManager is the server-side apply field manager of every meshctl write.
const FieldManager = "meshctl"

// Action is what applying did (or, in a dry run, would do) to one object.
type Action string

// Actions.
const (
	Created   Action = "created"
	Changed   Action = "changed"
	Unchanged Action = "unchanged"
	Pruned    Action = "pruned"
)

// ObjectResult is the outcome for one object.
type ObjectResult struct {
	Component string
	Kind      string
	Namespace string
	Name      string
	Action    Action
}

// Ref names the object kubectl-style: Kind namespace/name.
func (r ObjectResult) Ref() string { return ref(r.Kind, r.Namespace, r.Name) }

func ref(kind, ns, name string) string {
	if ns == "" {
		return kind + " " + name
	}
	return kind + " " + ns + "/" + name
}

// Result is the outcome of an apply.
type Result struct {
	// Objects in install order, then pruned objects.
	Objects []ObjectResult
	// Writes counts the requests that changed (or in a dry run would have
	// changed) the cluster, the record included.
	Writes int
}

// Count returns how many objects got action a.
func (r *Result) Count(a Action) int {
	n := 0
	for _, o := range r.Objects {
		if o.Action == a {
			n++
		}
	}
	return n
}

// EventType tells what an Event reports.
type EventType int

// Event types.
const (
	// PhaseStarted: a phase begins applying its Objects objects.
	PhaseStarted EventType = iota
	// PhaseDone: a phase is applied and, when waiting, ready.
	PhaseDone
	// Pruning: Keys are about to be deleted (or would be, in a dry run).
	Pruning
	// Waiting: the apply is done; readiness is awaited for Keys.
	Waiting
)

// Event is a progress report.
type Event struct {
	Type EventType
	// Phase is a display name: "CRDs", "Namespace", "Istio core", "Istiod"...
	Phase    string
	Objects  int
	Duration time.Duration
	Keys     []string
}

// Options tune an apply.
type Options struct {
	// Namespace is the control plane namespace: created when missing, and
	// where the install record lives.
	Namespace string
	// DryRun sends every write as a server-side dry run: nothing changes.
	DryRun bool
	// ForceConflicts takes over fields that another manager owns.
	ForceConflicts bool
	// Wait waits for readiness after applying, until ReadinessTimeout.
	Wait             bool
	ReadinessTimeout time.Duration
	// Parallelism bounds concurrent requests within a phase (default 16).
	Parallelism int
	// Prune deletes what this install owns and no longer renders.
	Prune bool
	// Record, when set, is stored in the cluster after a successful apply.
	Record *Record
	// Progress receives events; it may be nil. It is called from one
	// goroutine at a time.
	Progress func(Event)
}

// PhaseName is the display name of a component.
func PhaseName(component string) string {
	switch component {
	case manifest.Base:
		return "Istio core"
	case manifest.Pilot:
		return "Istiod"
	case manifest.CNI:
		return "CNI"
	case manifest.Ztunnel:
		return "Ztunnel"
	case manifest.IngressGateways:
		return "Ingress gateways"
	case manifest.EgressGateways:
		return "Egress gateways"
	}
	return component
}

type phase struct {
	name    string
	objects []manifest.Object
}

// phases groups objects: CRDs, namespaces, then each component in install
// order (components unknown to ComponentOrder last, by name).
func phases(m *manifest.Manifest) []phase {
	var crds, nss []manifest.Object
	byComp := map[string][]manifest.Object{}
	for _, o := range m.Objects {
		switch o.Object.GetKind() {
		case "CustomResourceDefinition":
			crds = append(crds, o)
		case "Namespace":
			nss = append(nss, o)
		default:
			byComp[o.Component] = append(byComp[o.Component], o)
		}
	}
	out := []phase{{"CRDs", crds}, {"Namespace", nss}}
	seen := map[string]bool{}
	for _, c := range manifest.ComponentOrder {
		seen[c] = true
		if len(byComp[c]) > 0 {
			out = append(out, phase{PhaseName(c), byComp[c]})
		}
	}
	var rest []string
	for c := range byComp {
		if !seen[c] {
			rest = append(rest, c)
		}
	}
	sort.Strings(rest)
	for _, c := range rest {
		out = append(out, phase{PhaseName(c), byComp[c]})
	}
	return out
}

// Applier applies installs with one client.
type Applier struct {
	Client *kube.Client
	Opts   Options

	mu     sync.Mutex
	writes int
	// forbidden is set when the server refused a request for lack of
	// permission: the error then lists every missing permission.
	forbidden bool
	// recorded are the configuration hashes of the previous install record.
	recorded map[string]string
	// dryNamespaces are namespaces that a dry run only pretended to create:
	// objects in them cannot be checked by the server, they are all new.
	dryNamespaces map[string]bool
}

func (a *Applier) dryCreated(ns string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.dryNamespaces == nil {
		a.dryNamespaces = map[string]bool{}
	}
	a.dryNamespaces[ns] = true
}

func (a *Applier) inDryNamespace(ns string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return ns != "" && a.dryNamespaces[ns]
}

// Apply applies m and returns what happened to each object. On error the
// result holds what was done so far.
func Apply(ctx context.Context, c *kube.Client, m *manifest.Manifest, o Options) (*Result, error) {
	a := &Applier{Client: c, Opts: o}
	return a.Apply(ctx, m)
}

func (a *Applier) emit(e Event) {
	if a.Opts.Progress != nil {
		a.mu.Lock()
		defer a.mu.Unlock()
		a.Opts.Progress(e)
	}
}

func (a *Applier) wrote() {
	a.mu.Lock()
	a.writes++
	a.mu.Unlock()
}

// explain turns an API error into text, noting permission refusals.
func (a *Applier) explain(err error) error {
	if apierrors.IsForbidden(err) {
		a.mu.Lock()
		a.forbidden = true
		a.mu.Unlock()
	}
	return kube.Explain(err, a.Client.Host())
}

// Apply applies m; see the package comment. When the server refuses a
// request for lack of permission, the error lists every permission the
// install needs and the user lacks, not just the first refusal.
func (a *Applier) Apply(ctx context.Context, m *manifest.Manifest) (*Result, error) {
	res, err := a.apply(ctx, m)
	if err != nil && a.forbidden {
		if perr := MissingPermissions(ctx, a.Client, m, a.Opts.Namespace); perr != nil {
			return res, perr
		}
	}
	return res, err
}

func (a *Applier) apply(ctx context.Context, m *manifest.Manifest) (*Result, error) {
	res := &Result{}
	if a.Opts.Namespace != "" {
		// A missing or unreadable record only costs the fast path.
		if r, err := ReadRecord(ctx, a.Client, a.Opts.Namespace, m.Name); err == nil && r != nil {
			a.recorded = r.Hashes
		}
	}
	defer func() { res.Writes = a.writes }()
	crdNames := map[string]bool{} // group/kind served by CRDs in this manifest
	for _, o := range m.Objects {
		if o.Object.GetKind() == "CustomResourceDefinition" {
			g, _, _ := unstructured.NestedString(o.Object.Object, "spec", "group")
			k, _, _ := unstructured.NestedString(o.Object.Object, "spec", "names", "kind")
			crdNames[g+"/"+k] = true
		}
	}
	type started struct {
		name string
		at   time.Time
		objs []manifest.Object
	}
	var done []started
	for _, p := range phases(m) {
		if p.name == "Namespace" && a.Opts.Namespace != "" {
			r, err := a.ensureNamespace(ctx, a.Opts.Namespace, m)
			if err != nil {
				return res, err
			}
			if r != nil {
				res.Objects = append(res.Objects, *r)
			}
		}
		if len(p.objects) == 0 {
			continue
		}
		start := time.Now()
		a.emit(Event{Type: PhaseStarted, Phase: p.name, Objects: len(p.objects)})
		results, err := a.applyAll(ctx, p.objects, crdNames)
		res.Objects = append(res.Objects, results...)
		if err != nil {
			return res, err
		}
		if p.name == "CRDs" {
			// Wait for the CRDs this run created or changed; unchanged ones
			// are established already and the mapper knows their kinds.
			var fresh []manifest.Object
			for i, r := range results {
				if r.Action != Unchanged && i < len(p.objects) {
					fresh = append(fresh, p.objects[i])
				}
			}
			if len(fresh) > 0 {
				if !a.Opts.DryRun {
					if err := a.waitCRDs(ctx, fresh); err != nil {
						return res, err
					}
				}
				a.Client.Mapper.Reset()
			}
		}
		if a.Opts.Wait && !a.Opts.DryRun && p.name != "CRDs" {
			done = append(done, started{p.name, start, p.objects})
			continue
		}
		a.emit(Event{Type: PhaseDone, Phase: p.name, Objects: len(p.objects), Duration: time.Since(start)})
	}
	if a.Opts.Prune {
		pruned, err := a.prune(ctx, m)
		res.Objects = append(res.Objects, pruned...)
		if err != nil {
			return res, err
		}
	}
	if a.Opts.Record != nil && !a.Opts.DryRun {
		if err := a.writeRecord(ctx, m, a.Opts.Record); err != nil {
			return res, err
		}
	}
	if len(done) > 0 {
		var all []manifest.Object
		for _, d := range done {
			all = append(all, d.objs...)
		}
		keys := make([]string, 0, len(all))
		for _, o := range all {
			keys = append(keys, o.Key())
		}
		a.emit(Event{Type: Waiting, Keys: keys})
		w := &Waiter{Client: a.Client, Timeout: a.Opts.ReadinessTimeout}
		err := w.Wait(ctx, all, func(ready map[string]bool) {
			for i := 0; i < len(done); i++ {
				d := done[i]
				ok := true
				for _, o := range d.objs {
					if !ready[o.Key()] {
						ok = false
						break
					}
				}
				if ok {
					a.emit(Event{Type: PhaseDone, Phase: d.name, Objects: len(d.objs), Duration: time.Since(d.at)})
					done = append(done[:i], done[i+1:]...)
					i--
				}
			}
		})
		if err != nil {
			return res, err
		}
	}
	return res, nil
}

// applyAll applies objects concurrently, bounded by Parallelism, and returns
// their results in input order. Every failure is reported.
func (a *Applier) applyAll(ctx context.Context, objs []manifest.Object, crdKinds map[string]bool) ([]ObjectResult, error) {
	par := a.Opts.Parallelism
	if par <= 0 {
		par = 16
	}
	results := make([]ObjectResult, len(objs))
	errs := make([]error, len(objs))
	sem := make(chan struct{}, par)
	var wg sync.WaitGroup
	for i, o := range objs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			act, err := a.applyOne(ctx, o.Object, crdKinds)
			results[i] = ObjectResult{Component: o.Component, Kind: o.Object.GetKind(), Namespace: o.Object.GetNamespace(), Name: o.Object.GetName(), Action: act}
			errs[i] = err
		}()
	}
	wg.Wait()
	var out []ObjectResult
	var conflicts []FieldConflict
	var failures []error
	for i := range objs {
		if errs[i] == nil {
			out = append(out, results[i])
			continue
		}
		var ce *ConflictError
		if errors.As(errs[i], &ce) {
			conflicts = append(conflicts, ce.Conflicts...)
			continue
		}
		failures = append(failures, errs[i])
	}
	if len(conflicts) > 0 {
		failures = append(failures, &ConflictError{Conflicts: conflicts})
	}
	return out, errors.Join(failures...)
}

// Resource returns the dynamic client for u's kind, scoped to its namespace.
func Resource(c *kube.Client, u *unstructured.Unstructured) (dynamic.ResourceInterface, *meta.RESTMapping, error) {
	gvk := u.GroupVersionKind()
	mapping, err := c.Mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if meta.IsNoMatchError(err) {
		return nil, nil, fmt.Errorf("%s is not served by the cluster: %w", gvk.GroupKind(), err)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("looking up %s: %w", gvk.GroupKind(), kube.Explain(err, c.Host()))
	}
	if mapping.Scope.Name() == meta.RESTScopeNameNamespace {
		return c.Dynamic.Resource(mapping.Resource).Namespace(u.GetNamespace()), mapping, nil
	}
	return c.Dynamic.Resource(mapping.Resource), mapping, nil
}

// applyOne applies one object. It reads the live object and server-side
// dry-runs the apply first; when the dry-run result equals the live object
// the apply would change nothing and no write is made.
func (a *Applier) applyOne(ctx context.Context, u *unstructured.Unstructured, crdKinds map[string]bool) (Action, error) {
	what := ref(u.GetKind(), u.GetNamespace(), u.GetName())
	if a.Opts.DryRun && a.inDryNamespace(u.GetNamespace()) {
		a.wrote()
		return Created, nil
	}
	ri, _, err := Resource(a.Client, u)
	if err != nil {
		gvk := u.GroupVersionKind()
		if a.Opts.DryRun && meta.IsNoMatchError(err) && crdKinds[gvk.Group+"/"+gvk.Kind] {
			// Its CRD is only dry-run created: the kind does not exist yet.
			a.wrote()
			return Created, nil
		}
		return "", fmt.Errorf("applying %s: %w", what, err)
	}
	live, err := ri.Get(ctx, u.GetName(), metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		live = nil
	case err != nil:
		return "", fmt.Errorf("reading %s: %w", what, a.explain(err))
	}
	data, err := json.Marshal(AdoptRuntimeFields(u, live).Object)
	if err != nil {
		return "", fmt.Errorf("applying %s: %w", what, err)
	}
	if live != nil && a.unchangedSinceRecord(u, live) {
		return Unchanged, nil
	}
	force := a.Opts.ForceConflicts
	dry := metav1.PatchOptions{FieldManager: FieldManager, Force: &force, DryRun: []string{metav1.DryRunAll}}
	if live == nil && !a.Opts.DryRun {
		if _, err := ri.Patch(ctx, u.GetName(), types.ApplyPatchType, data, metav1.PatchOptions{FieldManager: FieldManager, Force: &force}); err != nil {
			return "", a.applyError(what, err)
		}
		a.wrote()
		return Created, nil
	}
	out, err := ri.Patch(ctx, u.GetName(), types.ApplyPatchType, data, dry)
	if err != nil {
		return "", a.applyError(what, err)
	}
	if live == nil {
		if a.Opts.DryRun && u.GetKind() == "Namespace" && u.GroupVersionKind().Group == "" {
			a.dryCreated(u.GetName())
		}
		a.wrote()
		return Created, nil
	}
	if Same(live, out) {
		return Unchanged, nil
	}
	if !a.Opts.DryRun {
		if _, err := ri.Patch(ctx, u.GetName(), types.ApplyPatchType, data, metav1.PatchOptions{FieldManager: FieldManager, Force: &force}); err != nil {
			return "", a.applyError(what, err)
		}
	}
	a.wrote()
	return Changed, nil
}

// unchangedSinceRecord is the fast no-op check, which spares the server a
// dry run: the previous install record says this exact configuration was
// applied (so applying it again removes no field), and every value in it is
// still in the live object (so nobody changed what meshctl set). When in
// doubt it answers false and the dry run decides.
func (a *Applier) unchangedSinceRecord(u, live *unstructured.Unstructured) bool {
	prev, ok := a.recorded[manifest.Key(u)]
	if !ok {
		return false
	}
	h, err := configHash(u)
	return err == nil && h == prev && Subset(AdoptRuntimeFields(u, live).Object, live.Object)
}

// configHash is the SHA-256 of an object's JSON encoding (map keys sorted).
func configHash(u *unstructured.Unstructured) (string, error) {
	b, err := json.Marshal(u.Object)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// Subset reports whether every value in want is in have: maps may have more
// keys, lists must have the same length and match item by item, scalars
// must be equal. A null in want matches a missing field.
func Subset(want, have any) bool {
	switch w := want.(type) {
	case map[string]any:
		h, ok := have.(map[string]any)
		if !ok {
			return false
		}
		for k, v := range w {
			hv, present := h[k]
			if !present {
				if v == nil {
					continue
				}
				return false
			}
			if !Subset(v, hv) {
				return false
			}
		}
		return true
	case []any:
		h, ok := have.([]any)
		if !ok || len(h) != len(w) {
			return false
		}
		for i := range w {
			if !Subset(w[i], h[i]) {
				return false
			}
		}
		return true
	}
	return objdiff.EqualScalar(want, have)
}

// Same reports whether two versions of an object are equal in everything
// but their bookkeeping (resourceVersion, managed fields).
func Same(a, b *unstructured.Unstructured) bool {
	return equalMaps(strip(a), strip(b))
}

func strip(u *unstructured.Unstructured) map[string]any {
	c := u.DeepCopy()
	unstructured.RemoveNestedField(c.Object, "metadata", "managedFields")
	unstructured.RemoveNestedField(c.Object, "metadata", "resourceVersion")
	return c.Object
}

func equalMaps(a, b map[string]any) bool {
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && string(ja) == string(jb)
}

// FieldConflict is one field that another manager owns.
type FieldConflict struct {
	Object  string // Kind namespace/name
	Field   string
	Manager string
}

// ConflictError lists the fields that other managers own and the apply
// would change; --force-conflicts takes them over.
type ConflictError struct{ Conflicts []FieldConflict }

func (e *ConflictError) Error() string {
	var b strings.Builder
	b.WriteString("apply conflicts with fields managed by others (rerun with --force-conflicts to take them over):")
	for _, c := range e.Conflicts {
		fmt.Fprintf(&b, "\n  * %s: %s is managed by %q", c.Object, c.Field, c.Manager)
	}
	return b.String()
}

func (a *Applier) applyError(what string, err error) error {
	if apierrors.IsConflict(err) {
		var se *apierrors.StatusError
		if errors.As(err, &se) && se.ErrStatus.Details != nil && len(se.ErrStatus.Details.Causes) > 0 {
			ce := &ConflictError{}
			for _, c := range se.ErrStatus.Details.Causes {
				ce.Conflicts = append(ce.Conflicts, FieldConflict{Object: what, Field: c.Field, Manager: managerOf(c.Message)})
			}
			return ce
		}
	}
	return fmt.Errorf("applying %s: %w", what, a.explain(err))
}

// managerOf extracts the manager from a conflict cause message:
// `conflict with "kubectl-edit" using apps/v1`.
func managerOf(msg string) string {
	if i := strings.Index(msg, `"`); i >= 0 {
		if j := strings.Index(msg[i+1:], `"`); j >= 0 {
			return msg[i+1 : i+1+j]
		}
	}
	return msg
}
