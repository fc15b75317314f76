package golden

import (
	"fmt"
	"strings"
)

// context is how many unchanged lines a hunk shows around a change, and
// maxDiffLines where a long diff is cut: the first hunks tell what broke.
const (
	context      = 3
	maxDiffLines = 200
)

// Diff returns a unified line diff from want to got.
func Diff(want, got []byte) string {
	a, aNL := lines(string(want))
	b, bNL := lines(string(got))
	var out strings.Builder
	out.WriteString("--- want\n+++ got\n")
	n := 0
	for _, h := range hunks(editScript(a, b)) {
		fmt.Fprintf(&out, "@@ -%s +%s @@\n", hunkRange(h.aStart, h.aLen), hunkRange(h.bStart, h.bLen))
		for _, l := range h.lines {
			if n == maxDiffLines {
				out.WriteString("... (diff cut)\n")
				return out.String()
			}
			out.WriteString(l)
			out.WriteByte('\n')
			n++
		}
	}
	if aNL != bNL && len(a) > 0 && len(b) > 0 {
		fmt.Fprintf(&out, "(want %s, got %s)\n", newlineAtEnd(aNL), newlineAtEnd(bNL))
	}
	return out.String()
}

// hunkRange is a hunk's first line and length, where an empty range is
// numbered by the line before it, as diff -u does.
func hunkRange(start, n int) string {
	if n == 0 {
		return fmt.Sprintf("%d,0", start)
	}
	return fmt.Sprintf("%d,%d", start+1, n)
}

func newlineAtEnd(nl bool) string {
	if nl {
		return "ends with a newline"
	}
	return "has no newline at the end"
}

// lines splits s into lines and says whether s ended with a newline.
func lines(s string) ([]string, bool) {
	if s == "" {
		return nil, false
	}
	nl := strings.HasSuffix(s, "\n")
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n"), nl
}

type opKind byte

const (
	same opKind = ' '
	del  opKind = '-'
	ins  opKind = '+'
)

type op struct {
	kind opKind
	line string
}

// editScript turns a into b, keeping a longest common subsequence of lines.
// The common prefix and suffix are cut first; a middle too large for the
// quadratic table is shown as all of a's lines removed and all of b's
// added, which is still a correct (if longer) diff.
func editScript(a, b []string) []op {
	var ops []op
	p := 0
	for p < len(a) && p < len(b) && a[p] == b[p] {
		ops = append(ops, op{same, a[p]})
		p++
	}
	s := 0
	for s < len(a)-p && s < len(b)-p && a[len(a)-1-s] == b[len(b)-1-s] {
		s++
	}
	ma, mb := a[p:len(a)-s], b[p:len(b)-s]
	if len(ma)*len(mb) > 1<<22 {
		for _, l := range ma {
			ops = append(ops, op{del, l})
		}
		for _, l := range mb {
			ops = append(ops, op{ins, l})
		}
	} else {
		ops = append(ops, lcs(ma, mb)...)
	}
	for _, l := range a[len(a)-s:] {
		ops = append(ops, op{same, l})
	}
	return ops
}

func lcs(a, b []string) []op {
	// n[i][j] is the length of the longest common subsequence of a[i:] and b[j:].
	w := len(b) + 1
	n := make([]int32, (len(a)+1)*w)
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				n[i*w+j] = n[(i+1)*w+j+1] + 1
			} else {
				n[i*w+j] = max(n[(i+1)*w+j], n[i*w+j+1])
			}
		}
	}
	var ops []op
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] == b[j]:
			ops = append(ops, op{same, a[i]})
			i++
			j++
		case n[(i+1)*w+j] >= n[i*w+j+1]:
			ops = append(ops, op{del, a[i]})
			i++
		default:
			ops = append(ops, op{ins, b[j]})
			j++
		}
	}
	for ; i < len(a); i++ {
		ops = append(ops, op{del, a[i]})
	}
	for ; j < len(b); j++ {
		ops = append(ops, op{ins, b[j]})
	}
	return ops
}

type hunk struct {
	aStart, aLen, bStart, bLen int
	lines                      []string
}

// hunks groups the changes with up to context unchanged lines around each;
// changes closer than twice that share a hunk.
func hunks(ops []op) []hunk {
	var hs []hunk
	ai, bi := 0, 0 // line numbers in a and b of ops[k]
	for k := 0; k < len(ops); {
		if ops[k].kind == same {
			ai, bi, k = ai+1, bi+1, k+1
			continue
		}
		// The lines before a change are unchanged: the hunk before this
		// one ended more than context lines earlier.
		start := max(k-context, 0)
		h := hunk{aStart: ai - (k - start), bStart: bi - (k - start)}
		end := k
		for end < len(ops) {
			if ops[end].kind != same {
				end++
				continue
			}
			run := end
			for run < len(ops) && ops[run].kind == same {
				run++
			}
			if run == len(ops) || run-end > 2*context {
				end = min(end+context, len(ops))
				break
			}
			end = run
		}
		for _, o := range ops[start:end] {
			h.lines = append(h.lines, string(o.kind)+o.line)
			if o.kind != ins {
				h.aLen++
			}
			if o.kind != del {
				h.bLen++
			}
		}
		for _, o := range ops[k:end] {
			if o.kind != ins {
				ai++
			}
			if o.kind != del {
				bi++
			}
		}
		hs = append(hs, h)
		k = end
	}
	return hs
}
