// Package golden compares test output with files under testdata/ and
// rewrites them when the tests run with -update, so that every package's
// golden files are checked, reported and refreshed the same way:
//
//	go test ./pkg/inject -update
//
// A rewritten file is reviewed like code: git diff shows what changed.
package golden

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files with the output instead of comparing them")

// Check compares got with the file at path. Under -update it writes got to
// path (creating its directory) instead; otherwise a difference fails the
// test with a line diff, and a missing file says how to create it.
func Check(t testing.TB, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -update creates it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("the output differs from %s (go test -update rewrites it; check the change first):\n%s", path, Diff(want, got))
	}
}

// CheckString is Check for output held in a string.
func CheckString(t testing.TB, path, got string) {
	t.Helper()
	Check(t, path, []byte(got))
}

// Diff shows, line by line, what got changed from want (- want, + got),
// with the unchanged stretches summed up.
func Diff(want, got []byte) string {
	return cmp.Diff(strings.SplitAfter(string(want), "\n"), strings.SplitAfter(string(got), "\n"))
}
