package clidocs

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The committed reference must match the command tree.
func TestCommittedDocsAreCurrent(t *testing.T) {
	diffs, err := DocsDiff(filepath.Join("..", "..", "..", "docs"))
	if err != nil {
		t.Fatal(err)
	}
	if len(diffs) > 0 {
		t.Fatalf("the command reference under docs/ is out of date; run `make docs`:\n  %s", strings.Join(diffs, "\n  "))
	}
}

func TestGeneratedDocsAreDeterministicAndNeutral(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	if err := GenerateDocs(a); err != nil {
		t.Fatal(err)
	}
	if err := GenerateDocs(b); err != nil {
		t.Fatal(err)
	}
	ta, _ := readTree(filepath.Join(a, "man"))
	tb, _ := readTree(filepath.Join(b, "man"))
	if len(ta) == 0 || len(ta) != len(tb) {
		t.Fatalf("man pages: %d vs %d", len(ta), len(tb))
	}
	for name, data := range ta {
		if string(tb[name]) != string(data) {
			t.Fatalf("%s differs between runs", name)
		}
	}
	home, _ := os.UserHomeDir()
	ref, _ := readTree(filepath.Join(a, "reference"))
	if _, ok := ref["meshctl_version.md"]; !ok {
		t.Fatalf("no page for meshctl version: %v", keys(ref))
	}
	for name, data := range ref {
		if home != "" && home != "/" && strings.Contains(string(data), home) {
			t.Fatalf("%s mentions the home directory %s", name, home)
		}
	}
}

func keys(m map[string][]byte) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
