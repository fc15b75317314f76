package golden

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestDiff(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, want, got, diff string
	}{
		{"one line changed", "a\nb\nc\n", "a\nB\nc\n", `--- want
+++ got
@@ -1,3 +1,3 @@
 a
-b
+B
 c
`},
		{"line added at the end", "a\n", "a\nb\n", `--- want
+++ got
@@ -1,1 +1,2 @@
 a
+b
`},
		{"far apart changes are two hunks, with three lines of context", "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n", "x\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\ny\n", `--- want
+++ got
@@ -1,4 +1,4 @@
-1
+x
 2
 3
 4
@@ -9,4 +9,4 @@
 9
 10
 11
-12
+y
`},
		{"close changes share a hunk", "1\n2\n3\n4\n5\n", "x\n2\n3\n4\ny\n", `--- want
+++ got
@@ -1,5 +1,5 @@
-1
+x
 2
 3
 4
-5
+y
`},
		{"only the final newline", "a\n", "a", `--- want
+++ got
(want ends with a newline, got has no newline at the end)
`},
		{"empty want", "", "a\n", `--- want
+++ got
@@ -0,0 +1,1 @@
+a
`},
	} {
		if d := Diff([]byte(tc.want), []byte(tc.got)); d != tc.diff {
			t.Errorf("%s: got\n%s\nwant\n%s", tc.name, d, tc.diff)
		}
	}
}

// TestDiffIsCut: a diff of every line of a long file shows its beginning.
func TestDiffIsCut(t *testing.T) {
	t.Parallel()
	a := strings.Repeat("a\n", 1000)
	b := strings.Repeat("b\n", 1000)
	d := Diff([]byte(a), []byte(b))
	if n := strings.Count(d, "\n"); n > maxDiffLines+5 || !strings.HasSuffix(d, "... (diff cut)\n") || !strings.Contains(d, "-a\n") {
		t.Errorf("%d lines:\n%s", n, d)
	}
}

// fakeT records failures instead of failing the test that runs Check.
type fakeT struct {
	testing.TB
	errors []string
	fatal  bool
}

func (f *fakeT) Helper() {}
func (f *fakeT) Errorf(format string, args ...any) {
	f.errors = append(f.errors, fmt.Sprintf(format, args...))
}
func (f *fakeT) Fatalf(format string, args ...any) {
	f.errors = append(f.errors, fmt.Sprintf(format, args...))
	f.fatal = true
}
func (f *fakeT) Fatal(args ...any) { f.fatal = true }

func TestCheck(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "out.golden")

	ft := &fakeT{TB: t}
	Check(ft, path, []byte("x\n"))
	if !ft.fatal {
		t.Error("a missing golden file passed")
	}

	*update = true
	ft = &fakeT{TB: t}
	Check(ft, path, []byte("x\n"))
	*update = false
	if b, err := os.ReadFile(path); err != nil || string(b) != "x\n" || len(ft.errors) > 0 {
		t.Fatalf("-update wrote %q, %v, %v", b, err, ft.errors)
	}

	ft = &fakeT{TB: t}
	CheckString(ft, path, "x\n")
	if len(ft.errors) > 0 {
		t.Errorf("the same output failed: %v", ft.errors)
	}
	ft = &fakeT{TB: t}
	Check(ft, path, []byte("y\n"))
	if len(ft.errors) != 1 || ft.fatal || !strings.Contains(ft.errors[0], "-x\n+y\n") || !strings.Contains(ft.errors[0], path) {
		t.Errorf("a different output: %q, fatal %v", ft.errors, ft.fatal)
	}
}

// TestEditScriptRebuildsBothSides: the kept and removed lines are want, the
// kept and added ones got, for inputs small and too large for the table.
func TestEditScriptRebuildsBothSides(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 200 {
		n := r.IntN(20)
		if i%50 == 0 {
			n = 3000 // past the table's limit
		}
		a, b := make([]string, n), make([]string, r.IntN(n+5))
		for k := range a {
			a[k] = strconv.Itoa(r.IntN(4))
		}
		for k := range b {
			b[k] = strconv.Itoa(r.IntN(4))
		}
		var gotA, gotB []string
		for _, o := range editScript(a, b) {
			if o.kind != ins {
				gotA = append(gotA, o.line)
			}
			if o.kind != del {
				gotB = append(gotB, o.line)
			}
		}
		if !slices.Equal(gotA, a) || !slices.Equal(gotB, b) {
			t.Fatalf("%v → %v rebuilt as %v → %v", a, b, gotA, gotB)
		}
	}
}
