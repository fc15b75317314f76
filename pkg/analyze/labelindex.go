package analyze

import "sort"

// Label selectors in the analyzed kinds are equality selectors: a selector
// selects a set of labels when each of its key=value pairs is in the set.
// Comparing every selector with every workload (or Service) of a namespace
// grows with the square of the namespace's size; the two indexes below
// compare each with the few that share one of its pairs.

type labelPair struct{ key, value string }

// selects reports whether the equality selector sel selects lbls, as
// labels.SelectorFromSet(sel).Matches(lbls) does; an empty sel selects all.
func selects(sel, lbls map[string]string) bool {
	for k, v := range sel {
		if w, ok := lbls[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// labelIndex holds items by each of their labels, to find the items a
// selector selects.
type labelIndex[T any] struct {
	all    []T
	labels []map[string]string
	byPair map[labelPair][]int // positions in all, ascending
}

func newLabelIndex[T any]() *labelIndex[T] {
	return &labelIndex[T]{byPair: map[labelPair][]int{}}
}

func (x *labelIndex[T]) add(item T, lbls map[string]string) {
	i := len(x.all)
	x.all = append(x.all, item)
	x.labels = append(x.labels, lbls)
	for k, v := range lbls {
		p := labelPair{k, v}
		x.byPair[p] = append(x.byPair[p], i)
	}
}

// selected calls f, in the order the items were added, with each item sel
// selects (every item when sel is empty) until f returns false. Only the
// items holding sel's rarest pair are compared with sel.
func (x *labelIndex[T]) selected(sel map[string]string, f func(T) bool) {
	if x == nil {
		return
	}
	if len(sel) == 0 {
		for _, it := range x.all {
			if !f(it) {
				return
			}
		}
		return
	}
	var rarest []int
	first := true
	for k, v := range sel {
		c := x.byPair[labelPair{k, v}]
		if len(c) == 0 {
			return
		}
		if first || len(c) < len(rarest) {
			rarest, first = c, false
		}
	}
	for _, i := range rarest {
		if selects(sel, x.labels[i]) && !f(x.all[i]) {
			return
		}
	}
}

// selectorIndex holds items that carry a selector (Services), each under
// one pair of its selector, to find the items whose selector selects a set
// of labels. Items with an empty selector select nothing here.
type selectorIndex[T any] struct {
	items  []T
	sels   []map[string]string
	byPair map[labelPair][]int // positions in items, ascending
}

// newSelectorIndex indexes each item under the pair of its selector that
// the fewest selectors hold, so that looking up a common label (version=v1)
// does not bring back every item.
func newSelectorIndex[T any](items []T, selector func(T) map[string]string) *selectorIndex[T] {
	x := &selectorIndex[T]{byPair: map[labelPair][]int{}}
	count := map[labelPair]int{}
	for _, it := range items {
		sel := selector(it)
		if len(sel) == 0 {
			continue
		}
		x.items = append(x.items, it)
		x.sels = append(x.sels, sel)
		for k, v := range sel {
			count[labelPair{k, v}]++
		}
	}
	for i, sel := range x.sels {
		var best labelPair
		n := -1
		for k, v := range sel {
			p := labelPair{k, v}
			if c := count[p]; n < 0 || c < n || (c == n && (p.key < best.key || p.key == best.key && p.value < best.value)) {
				best, n = p, c
			}
		}
		x.byPair[best] = append(x.byPair[best], i)
	}
	return x
}

// selecting returns the items whose selector selects lbls, in the order
// they were given.
func (x *selectorIndex[T]) selecting(lbls map[string]string) []T {
	if x == nil {
		return nil
	}
	var pos []int
	for k, v := range lbls {
		for _, i := range x.byPair[labelPair{k, v}] {
			if selects(x.sels[i], lbls) {
				pos = append(pos, i)
			}
		}
	}
	sort.Ints(pos)
	out := make([]T, len(pos))
	for j, i := range pos {
		out[j] = x.items[i]
	}
	return out
}
