package analyze

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"k8s.io/apimachinery/pkg/labels"
)

// randomLabels draws from few keys and values, so that selectors often
// share pairs with each other and with the label sets.
func randomLabels(r *rand.Rand, max int) map[string]string {
	n := r.IntN(max + 1)
	if n == 0 && r.IntN(2) == 0 {
		return nil
	}
	m := map[string]string{}
	for range n {
		m[fmt.Sprintf("k%d", r.IntN(4))] = fmt.Sprintf("v%d", r.IntN(3))
	}
	return m
}

// checkIndexes compares both indexes with labels.SelectorFromSet on every
// pair of label sets and selectors.
func checkIndexes(t *testing.T, sets, sels []map[string]string) {
	t.Helper()
	li := newLabelIndex[int]()
	for i, l := range sets {
		li.add(i, l)
	}
	for _, sel := range sels {
		var want []int
		for i, l := range sets {
			if labels.SelectorFromSet(sel).Matches(labels.Set(l)) {
				want = append(want, i)
			}
		}
		var got []int
		li.selected(sel, func(i int) bool { got = append(got, i); return true })
		if !slices.Equal(got, want) {
			t.Fatalf("labelIndex.selected(%v) = %v, want %v (sets %v)", sel, got, want, sets)
		}
		if len(want) > 1 {
			var first []int
			li.selected(sel, func(i int) bool { first = append(first, i); return false })
			if !slices.Equal(first, want[:1]) {
				t.Fatalf("labelIndex.selected(%v) stopping at once gave %v, want %v", sel, first, want[:1])
			}
		}
	}
	idx := make([]int, len(sels))
	for i := range idx {
		idx[i] = i
	}
	si := newSelectorIndex(idx, func(i int) map[string]string { return sels[i] })
	for _, l := range sets {
		var want []int
		for i, sel := range sels {
			if len(sel) > 0 && labels.SelectorFromSet(sel).Matches(labels.Set(l)) {
				want = append(want, i)
			}
		}
		if got := si.selecting(l); !slices.Equal(got, want) {
			t.Fatalf("selectorIndex.selecting(%v) = %v, want %v (selectors %v)", l, got, want, sels)
		}
	}
}

func TestLabelIndexesMatchSelectorFromSet(t *testing.T) {
	t.Parallel()
	// Hand-picked cases first: empty selectors, a pair every set holds, a
	// key with another value, a selector no set has all of.
	sets := []map[string]string{
		{"app": "a", "version": "v1"},
		{"app": "b", "version": "v1"},
		{"app": "a", "version": "v2"},
		nil,
		{"version": "v1"},
	}
	sels := []map[string]string{
		nil,
		{},
		{"version": "v1"},
		{"app": "a"},
		{"app": "a", "version": "v1"},
		{"app": "c"},
		{"app": "b", "version": "v2"},
		{"other": ""},
	}
	checkIndexes(t, sets, sels)
	var li labelIndex[int]
	li.byPair = map[labelPair][]int{}
	var got []int
	li.selected(map[string]string{"app": "a"}, func(i int) bool { got = append(got, i); return true })
	if got != nil {
		t.Fatalf("an empty index selected %v", got)
	}
	var nilIndex *labelIndex[int]
	nilIndex.selected(nil, func(int) bool { t.Fatal("a nil index selected something"); return true })
	var nilSel *selectorIndex[int]
	if got := nilSel.selecting(map[string]string{"app": "a"}); got != nil {
		t.Fatalf("a nil selector index gave %v", got)
	}

	r := rand.New(rand.NewPCG(1, 2))
	for range 300 {
		sets := make([]map[string]string, r.IntN(12))
		for i := range sets {
			sets[i] = randomLabels(r, 4)
		}
		sels := make([]map[string]string, r.IntN(12))
		for i := range sels {
			sels[i] = randomLabels(r, 3)
		}
		checkIndexes(t, sets, sels)
	}
}
