package objdiff

import (
	"sort"
	"strconv"
	"strings"
	"sync"

	istioscheme "istio.io/client-go/pkg/clientset/versioned/scheme"
	apiextv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/scheme"

	"github.com/meshctl/meshctl/pkg/install/iop"
	"github.com/meshctl/meshctl/pkg/suggest"
)

// KindError is a kind in a Filter that can only be a mistake: in Select, a
// kind that no object on either side has (the comparison would be empty
// however the inputs differ); in Ignore, a kind that is neither on either
// side nor a Kubernetes or Istio kind.
type KindError struct {
	Ignore bool   // the kind is in Filter.Ignore, else in Filter.Select
	Kind   string // as given
	// Hint is the nearest kind on either side or, failing that, the nearest
	// Kubernetes or Istio kind, when the two are close enough for a typo;
	// it is empty for a known kind.
	Hint string
	// Present are the kinds on either side, sorted.
	Present []string
}

func (e *KindError) Error() string { return "kind " + strconv.Quote(e.Kind) + ": " + e.Reason() }

// Reason is the error without the kind.
func (e *KindError) Reason() string {
	s := "no object of that kind in either input"
	if e.Ignore {
		s = "no such kind"
	}
	switch {
	case e.Hint != "":
		return s + "; did you mean " + strconv.Quote(e.Hint) + "?"
	case len(e.Present) == 0:
		return s + " (they have no objects)"
	}
	return s + " (they have " + strings.Join(e.Present, ", ") + ")"
}

// Check lists the kinds in f that are mistakes for inputs a and b, those of
// Select first, each list in its order.
func (f Filter) Check(a, b []*unstructured.Unstructured) []*KindError {
	present := map[string]bool{}
	for _, objs := range [][]*unstructured.Unstructured{a, b} {
		for _, u := range objs {
			present[u.GetKind()] = true
		}
	}
	has := func(kind string) bool {
		for k := range present {
			if strings.EqualFold(k, kind) {
				return true
			}
		}
		return false
	}
	kinds := sortedKeys(present)
	var errs []*KindError
	check := func(l []string, ignore bool) {
		for _, k := range l {
			if has(k) || ignore && isKnownKind(k) {
				continue
			}
			e := &KindError{Ignore: ignore, Kind: k, Present: kinds}
			if !isKnownKind(k) {
				e.Hint = hint(k, kinds)
			}
			errs = append(errs, e)
		}
	}
	check(f.Select, false)
	check(f.Ignore, true)
	return errs
}

// hint is the nearest kind to k among those present, unless a known kind
// is nearer.
func hint(k string, present []string) string {
	all := suggest.Nearest(k, append(knownKinds(), present...))
	in := suggest.Nearest(k, present)
	dist := func(c string) int { return suggest.Distance(strings.ToLower(k), strings.ToLower(c)) }
	if in != "" && (all == "" || dist(in) <= dist(all)) {
		return in
	}
	return all
}

func isKnownKind(kind string) bool {
	ks := knownKinds()
	i := sort.SearchStrings(ks, kind)
	if i < len(ks) && ks[i] == kind {
		return true
	}
	for _, k := range ks {
		if strings.EqualFold(k, kind) {
			return true
		}
	}
	return false
}

// knownKinds are the kinds of Kubernetes's and Istio's API groups and the
// IstioOperator, sorted, without their lists and request options.
var knownKinds = sync.OnceValue(func() []string {
	ext := runtime.NewScheme()
	_ = apiextv1.AddToScheme(ext)
	set := map[string]bool{iop.Kind: true}
	for _, s := range []*runtime.Scheme{scheme.Scheme, istioscheme.Scheme, ext} {
		for gvk := range s.AllKnownTypes() {
			k := gvk.Kind
			if strings.HasSuffix(k, "List") || strings.HasSuffix(k, "Options") || k == "WatchEvent" || k == "Status" {
				continue
			}
			set[k] = true
		}
	}
	return sortedKeys(set)
})
