package golden

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

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
	if len(ft.errors) != 1 || ft.fatal || !diffShows(ft.errors[0], "-", `"x\n"`) || !diffShows(ft.errors[0], "+", `"y\n"`) || !strings.Contains(ft.errors[0], path) {
		t.Errorf("a different output: %q, fatal %v", ft.errors, ft.fatal)
	}
}

// diffShows reports whether a diff has line, quoted, marked removed (-) or
// added (+); the diff's spacing varies from run to run on purpose.
func diffShows(diff, mark, line string) bool {
	return regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(mark) + `[\s\x{00a0}]+` + regexp.QuoteMeta(line)).MatchString(diff)
}
