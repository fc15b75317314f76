// Package suggest finds the name a misspelling most likely meant, for "did
// you mean" hints in errors about unknown fields and keys.
package suggest

import "strings"

// Nearest is the candidate at the smallest edit distance from name
// (ignoring case; ties go to the longer common prefix), or "" when none is
// close enough to be a plausible typo: the distance is small for the
// lengths, or the two share a long prefix (a word typed over the end of the
// right one, "securityContewer reaxt" for securityContext).
func Nearest(name string, candidates []string) string {
	best, bestDist, bestPrefix := "", -1, 0
	lower := strings.ToLower(name)
	for _, c := range candidates {
		lc := strings.ToLower(c)
		d := Distance(lower, lc)
		p := commonPrefix(lower, lc)
		if bestDist < 0 || d < bestDist || (d == bestDist && p > bestPrefix) {
			best, bestDist, bestPrefix = c, d, p
		}
	}
	if best == "" {
		return ""
	}
	if bestDist <= max(2, len(name)/2) || bestDist*3 <= len(best)+3 || (bestPrefix >= 4 && bestPrefix*2 >= len(best)) {
		return best
	}
	return ""
}

func commonPrefix(a, b string) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}

// Distance is the Levenshtein distance between a and b, in runes.
func Distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
