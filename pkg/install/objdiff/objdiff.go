// Package objdiff compares Kubernetes objects and nested values by meaning:
// objects are matched by kind, namespace and name, fields by path, list
// items by their key; order of keys, formatting and the order of list items
// that have a key do not matter.
package objdiff

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Change is one difference at a field path.
type Change struct {
	Path string
	// A and B are the values on each side; Missing marks an absent side.
	A, B any
	// InA and InB tell whether the field exists on each side.
	InA, InB bool
}

// Values lists the differences between a and b, sorted by path. Lists of
// maps are matched by a "name" that every item has once, else by position.
func Values(a, b any) []Change {
	return values(nil, a, b)
}

// ObjectValues lists the differences between two objects, sorted by path.
// For a built-in Kubernetes kind, the items of a list are matched by the
// list's strategic-merge-patch key (containers and env by name, container
// ports by containerPort, Service ports by port, volume mounts by
// mountPath), with "protocol" added where the key alone repeats; lists
// without such a key, and every list of other kinds, are matched as Values
// matches them.
func ObjectValues(a, b *unstructured.Unstructured) []Change {
	s := schemaOf(a)
	if s == nil {
		s = schemaOf(b)
	}
	return values(s, a.Object, b.Object)
}

func values(s schema, a, b any) []Change {
	var out []Change
	walk("", a, b, true, true, s, "", &out)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// walk compares a and b at path. s is the schema of their type, or nil;
// mergeKey is the strategic-merge-patch key when they are lists.
func walk(path string, a, b any, inA, inB bool, s schema, mergeKey string, out *[]Change) {
	if !inA || !inB {
		*out = append(*out, Change{Path: path, A: a, B: b, InA: inA, InB: inB})
		return
	}
	switch ta := a.(type) {
	case map[string]any:
		tb, ok := b.(map[string]any)
		if !ok {
			break
		}
		keys := map[string]bool{}
		for k := range ta {
			keys[k] = true
		}
		for k := range tb {
			keys[k] = true
		}
		for _, k := range sortedKeys(keys) {
			va, okA := ta[k]
			vb, okB := tb[k]
			sub, mk := field(s, k, va, vb)
			walk(joinKey(path, k), va, vb, okA, okB, sub, mk, out)
		}
		return
	case []any:
		tb, ok := b.([]any)
		if !ok {
			break
		}
		if fields := listKey(mergeKey, ta, tb); fields != nil {
			ia, ib := byKey(ta, fields), byKey(tb, fields)
			keys := map[string]bool{}
			for k := range ia {
				keys[k] = true
			}
			for k := range ib {
				keys[k] = true
			}
			for _, k := range sortedKeys(keys) {
				va, okA := ia[k]
				vb, okB := ib[k]
				walk(path+"["+k+"]", va, vb, okA, okB, s, "", out)
			}
			return
		}
		for i := 0; i < max(len(ta), len(tb)); i++ {
			var va, vb any
			if i < len(ta) {
				va = ta[i]
			}
			if i < len(tb) {
				vb = tb[i]
			}
			walk(path+"["+strconv.Itoa(i)+"]", va, vb, i < len(ta), i < len(tb), s, "", out)
		}
		return
	}
	if !EqualScalar(a, b) {
		*out = append(*out, Change{Path: path, A: a, B: b, InA: true, InB: true})
	}
}

// listKey chooses the fields that identify the items of two lists, the same
// for both: the merge key, then the merge key with "protocol" (a port
// number may be there once for TCP and once for UDP), then "name"; nil when
// none identifies every item of each list.
func listKey(mergeKey string, a, b []any) []string {
	var candidates [][]string
	if mergeKey != "" {
		candidates = append(candidates, []string{mergeKey}, []string{mergeKey, "protocol"})
	}
	if mergeKey != "name" {
		candidates = append(candidates, []string{"name"})
	}
	for _, c := range candidates {
		if identifies(a, c) && identifies(b, c) {
			return c
		}
	}
	return nil
}

// identifies tells whether every item of l is a map with a scalar at
// fields[0], a scalar or nothing at the other fields, and a label (see
// itemKey) that no other item has.
func identifies(l []any, fields []string) bool {
	seen := make(map[string]bool, len(l))
	for _, it := range l {
		k, ok := itemKey(it, fields)
		if !ok || seen[k] {
			return false
		}
		seen[k] = true
	}
	return true
}

// itemKey labels a list item by its key fields for a path,
// "containerPort:15090" or "port:53,protocol:UDP".
func itemKey(item any, fields []string) (string, bool) {
	m, ok := item.(map[string]any)
	if !ok {
		return "", false
	}
	var parts []string
	for i, f := range fields {
		v, present := m[f]
		if !present && i > 0 {
			continue
		}
		s, ok := scalarText(v)
		if !ok {
			return "", false
		}
		parts = append(parts, f+":"+s)
	}
	return strings.Join(parts, ","), true
}

// scalarText is a string as it is and a number in its shortest form (YAML
// and JSON decode 80 as an int or a float).
func scalarText(v any) (string, bool) {
	if s, ok := v.(string); ok {
		return s, true
	}
	if f, ok := number(v); ok {
		return strconv.FormatFloat(f, 'f', -1, 64), true
	}
	return "", false
}

func byKey(l []any, fields []string) map[string]any {
	m := make(map[string]any, len(l))
	for _, it := range l {
		k, _ := itemKey(it, fields)
		m[k] = it
	}
	return m
}

// EqualScalar compares leaves, treating numbers by value (YAML may decode
// 1 as an int on one side and a float on the other, the API server's JSON
// as int64).
func EqualScalar(a, b any) bool {
	if fa, ok := number(a); ok {
		if fb, ok := number(b); ok {
			return fa == fb || fa != fa && fb != fb // NaN is NaN
		}
	}
	return reflect.DeepEqual(a, b)
}

func number(v any) (float64, bool) {
	switch n := v.(type) {
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	case int32:
		return float64(n), true
	case float64:
		return n, true
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	}
	return 0, false
}

func joinKey(path, k string) string {
	k = strings.ReplaceAll(k, ".", `\.`)
	if path == "" {
		return k
	}
	return path + "." + k
}

func sortedKeys(m map[string]bool) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// Filter selects the kinds to compare: when Select is not empty only those
// kinds; kinds in Ignore never. Kinds match case-insensitively. Check tells
// which of them can only be mistakes.
type Filter struct {
	Select []string
	Ignore []string
}

func (f Filter) keep(kind string) bool {
	has := func(l []string) bool {
		for _, k := range l {
			if strings.EqualFold(k, kind) {
				return true
			}
		}
		return false
	}
	if len(f.Select) > 0 && !has(f.Select) {
		return false
	}
	return !has(f.Ignore)
}

// ObjectDiff is the result of comparing two sets of objects.
type ObjectDiff struct {
	OnlyA   []string
	OnlyB   []string
	Changed []ObjectChange
}

// ObjectChange is an object present on both sides with different fields.
type ObjectChange struct {
	Key     string
	Changes []Change
}

// Empty reports whether the two sides are the same.
func (d ObjectDiff) Empty() bool {
	return len(d.OnlyA) == 0 && len(d.OnlyB) == 0 && len(d.Changed) == 0
}

// Key names an object for a diff: kind namespace/name (or kind name).
func Key(u *unstructured.Unstructured) string {
	if ns := u.GetNamespace(); ns != "" {
		return u.GetKind() + " " + ns + "/" + u.GetName()
	}
	return u.GetKind() + " " + u.GetName()
}

// Objects compares two sets of objects. Duplicate keys on one side are an
// error, and so are the kinds of f that Check reports (all of them joined).
func Objects(a, b []*unstructured.Unstructured, f Filter) (ObjectDiff, error) {
	if kes := f.Check(a, b); len(kes) > 0 {
		errs := make([]error, len(kes))
		for i, e := range kes {
			errs[i] = e
		}
		return ObjectDiff{}, errors.Join(errs...)
	}
	ia, err := index(a, f, "first")
	if err != nil {
		return ObjectDiff{}, err
	}
	ib, err := index(b, f, "second")
	if err != nil {
		return ObjectDiff{}, err
	}
	var d ObjectDiff
	keys := map[string]bool{}
	for k := range ia {
		keys[k] = true
	}
	for k := range ib {
		keys[k] = true
	}
	for _, k := range sortedKeys(keys) {
		ua, okA := ia[k]
		ub, okB := ib[k]
		switch {
		case !okB:
			d.OnlyA = append(d.OnlyA, k)
		case !okA:
			d.OnlyB = append(d.OnlyB, k)
		default:
			if cs := ObjectValues(ua, ub); len(cs) > 0 {
				d.Changed = append(d.Changed, ObjectChange{Key: k, Changes: cs})
			}
		}
	}
	return d, nil
}

func index(objs []*unstructured.Unstructured, f Filter, side string) (map[string]*unstructured.Unstructured, error) {
	m := make(map[string]*unstructured.Unstructured, len(objs))
	for _, u := range objs {
		if !f.keep(u.GetKind()) {
			continue
		}
		k := Key(u)
		if _, dup := m[k]; dup {
			return nil, fmt.Errorf("%s input has %s twice", side, k)
		}
		m[k] = u
	}
	return m, nil
}

// WriteChanges prints field changes, one per line, indented by indent.
func WriteChanges(w io.Writer, cs []Change, indent string) {
	for _, c := range cs {
		switch {
		case !c.InA:
			fmt.Fprintf(w, "%s+ %s: %s\n", indent, c.Path, show(c.B))
		case !c.InB:
			fmt.Fprintf(w, "%s- %s: %s\n", indent, c.Path, show(c.A))
		default:
			sa, okA := c.A.(string)
			sb, okB := c.B.(string)
			if okA && okB && (strings.Contains(sa, "\n") || strings.Contains(sb, "\n")) {
				fmt.Fprintf(w, "%s~ %s:\n", indent, c.Path)
				writeLineDiff(w, sa, sb, indent+"    ")
				continue
			}
			fmt.Fprintf(w, "%s~ %s: %s -> %s\n", indent, c.Path, show(c.A), show(c.B))
		}
	}
}

// Write prints an object diff.
func (d ObjectDiff) Write(w io.Writer, nameA, nameB string) {
	for _, k := range d.OnlyA {
		fmt.Fprintf(w, "- %s (only in %s)\n", k, nameA)
	}
	for _, k := range d.OnlyB {
		fmt.Fprintf(w, "+ %s (only in %s)\n", k, nameB)
	}
	for _, c := range d.Changed {
		fmt.Fprintf(w, "~ %s\n", c.Key)
		WriteChanges(w, c.Changes, "    ")
	}
}

// show renders a value on one line, abbreviated when long.
func show(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	s := string(b)
	if len(s) > 120 {
		s = s[:117] + "..."
	}
	return s
}

// writeLineDiff prints the lines that differ between two multi-line
// strings (embedded config files), "-" for a and "+" for b, from their
// longest common subsequence. Inputs beyond maxLineDiff lines fall back to
// printing both sides whole.
func writeLineDiff(w io.Writer, a, b, indent string) {
	la, lb := strings.Split(a, "\n"), strings.Split(b, "\n")
	if len(la)*len(lb) > maxLineDiff*maxLineDiff {
		for _, l := range la {
			fmt.Fprintf(w, "%s- %s\n", indent, l)
		}
		for _, l := range lb {
			fmt.Fprintf(w, "%s+ %s\n", indent, l)
		}
		return
	}
	// lcs[i][j] is the LCS length of la[i:] and lb[j:].
	lcs := make([][]int, len(la)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(lb)+1)
	}
	for i := len(la) - 1; i >= 0; i-- {
		for j := len(lb) - 1; j >= 0; j-- {
			if la[i] == lb[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	i, j := 0, 0
	for i < len(la) || j < len(lb) {
		switch {
		case i < len(la) && j < len(lb) && la[i] == lb[j]:
			i++
			j++
		case i < len(la) && (j == len(lb) || lcs[i+1][j] >= lcs[i][j+1]):
			fmt.Fprintf(w, "%s- %s\n", indent, la[i])
			i++
		default:
			fmt.Fprintf(w, "%s+ %s\n", indent, lb[j])
			j++
		}
	}
}

// maxLineDiff bounds the line diff's quadratic table.
const maxLineDiff = 5000
