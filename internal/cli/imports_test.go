package cli

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestNoCommandImportsASibling: a package under internal/cmd/X imports
// nothing under internal/cmd/Y, in its code or its tests. What two commands
// share lives in internal/cmdutil or in pkg/, and the root wires the tree;
// otherwise moving or renaming one command would break another.
func TestNoCommandImportsASibling(t *testing.T) {
	t.Parallel()
	const cmdDir = "../cmd"
	const cmdPkg = "github.com/meshctl/meshctl/internal/cmd/"
	commands := map[string]bool{}
	err := filepath.WalkDir(cmdDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == "testdata" {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") {
			return nil
		}
		rel, err := filepath.Rel(cmdDir, path)
		if err != nil {
			return err
		}
		own, _, _ := strings.Cut(filepath.ToSlash(rel), "/")
		commands[own] = true
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		for _, spec := range f.Imports {
			imp, err := strconv.Unquote(spec.Path.Value)
			if err != nil {
				return err
			}
			rest, ok := strings.CutPrefix(imp, cmdPkg)
			if !ok {
				continue
			}
			if other, _, _ := strings.Cut(rest, "/"); other != own {
				t.Errorf("internal/cmd/%s imports %s, a package of the %s command: move what they share to internal/cmdutil or pkg/", filepath.ToSlash(rel), imp, other)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(commands) < 10 {
		t.Fatalf("found only %d command packages under %s: %v", len(commands), cmdDir, commands)
	}
}
