package yamlstream

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func readAll(t *testing.T, in string) []Document {
	t.Helper()
	var docs []Document
	if err := Read("in.yaml", strings.NewReader(in), func(d Document) error { docs = append(docs, d); return nil }); err != nil {
		t.Fatal(err)
	}
	return docs
}

func TestReadYAMLDocumentsKeepBytesAndLines(t *testing.T) {
	t.Parallel()
	in := "# leading comment\napiVersion: v1\nkind: Service\n---\n# second\nkind: Pod\n--- # trailing comment\nkind: Deployment\n---\n"
	docs := readAll(t, in)
	if len(docs) != 4 {
		t.Fatalf("got %d documents, want 4: %+v", len(docs), docs)
	}
	want := []struct {
		line int
		raw  string
		sep  string
	}{
		{1, "# leading comment\napiVersion: v1\nkind: Service\n", ""},
		{5, "# second\nkind: Pod\n", "---\n"},
		{8, "kind: Deployment\n", "--- # trailing comment\n"},
		{10, "", "---\n"},
	}
	for i, w := range want {
		d := docs[i]
		if d.Index != i+1 || d.Line != w.line || string(d.Raw) != w.raw || d.Separator != w.sep {
			t.Errorf("doc %d = {Index:%d Line:%d Raw:%q Sep:%q}, want {%d %d %q %q}", i, d.Index, d.Line, d.Raw, d.Separator, i+1, w.line, w.raw, w.sep)
		}
	}
	if !docs[3].IsEmpty() || docs[0].IsEmpty() {
		t.Error("IsEmpty wrong")
	}
	// Re-joining separators and bytes reproduces the input exactly.
	var b strings.Builder
	for _, d := range docs {
		b.WriteString(d.Separator)
		b.Write(d.Raw)
	}
	if b.String() != in {
		t.Errorf("round trip:\n%q\nwant\n%q", b.String(), in)
	}
}

func TestLeadingSeparatorIsNotADocument(t *testing.T) {
	t.Parallel()
	docs := readAll(t, "---\nkind: A\n---\nkind: B\n")
	if len(docs) != 2 || string(docs[0].Raw) != "kind: A\n" || docs[0].Line != 2 || docs[1].Line != 4 {
		t.Fatalf("%+v", docs)
	}
}

func TestSeparatorLookalikesAreContent(t *testing.T) {
	t.Parallel()
	docs := readAll(t, "a: |\n  ---\nb: ---x\n---x: 1\n")
	if len(docs) != 1 {
		t.Fatalf("got %d documents", len(docs))
	}
}

func TestReadJSONStream(t *testing.T) {
	t.Parallel()
	in := "{\"kind\": \"A\"}\n\n{\n  \"kind\": \"B\"\n}\n[1]"
	var docs []Document
	if err := Read("in.json", strings.NewReader(in), func(d Document) error { docs = append(docs, d); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(docs) != 3 || !docs[0].JSON || docs[0].Line != 1 || docs[1].Line != 3 || docs[2].Line != 6 {
		t.Fatalf("%+v", docs)
	}
	err := Read("bad.json", strings.NewReader("{\"a\":1}\n{\"b\":"), func(Document) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "bad.json (document 2") {
		t.Fatalf("error should name file and document: %v", err)
	}
}

func TestReadPathsWalksDirectoriesInOrder(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for name, body := range map[string]string{
		"b.yaml":       "kind: B\n",
		"a.yml":        "kind: A\n",
		"sub/c.json":   `{"kind":"C"}`,
		"notes.txt":    "kind: ignored\n",
		"sub/d/e.yaml": "kind: E\n---\nkind: F\n",
	} {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	err := ReadPaths([]string{dir, "-"}, strings.NewReader("kind: G\n"), func(d Document) error {
		got = append(got, filepath.Base(d.Source)+":"+strings.TrimSpace(string(d.Raw)))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := "a.yml:kind: A b.yaml:kind: B c.json:{\"kind\":\"C\"} e.yaml:kind: E e.yaml:kind: F <stdin>:kind: G"
	if strings.Join(got, " ") != want {
		t.Fatalf("got  %s\nwant %s", strings.Join(got, " "), want)
	}
	if err := ReadPaths([]string{filepath.Join(dir, "missing.yaml")}, nil, func(Document) error { return nil }); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing file: %v", err)
	}
	// A directory with nothing to read is a mistake, not "nothing to do".
	empty := filepath.Join(dir, "sub", "empty")
	if err := os.MkdirAll(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(empty, "README"), []byte("kind: X\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ExpandPaths([]string{dir, empty}); err == nil || err.Error() != empty+": the directory holds no .yaml, .yml or .json file" {
		t.Fatalf("a directory with no manifest file: %v", err)
	}
}

func TestCallbackErrorStopsReading(t *testing.T) {
	t.Parallel()
	stop := errors.New("stop")
	n := 0
	err := Read("x", strings.NewReader("a: 1\n---\nb: 2\n"), func(Document) error { n++; return stop })
	if !errors.Is(err, stop) || n != 1 {
		t.Fatalf("err=%v n=%d", err, n)
	}
}

func FuzzRead(f *testing.F) {
	for _, s := range []string{"a: 1\n---\nb: 2\n", "{\"a\":1}{\"b\":2}", "---\n--- #x\n", "\n\n[1,2]\n", "---x\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		var b strings.Builder
		lastLine := 0
		err := Read("fuzz", strings.NewReader(in), func(d Document) error {
			if d.Line < lastLine || d.Line < 1 {
				t.Fatalf("line numbers must grow: %d after %d", d.Line, lastLine)
			}
			lastLine = d.Line
			b.WriteString(d.Separator)
			b.Write(d.Raw)
			return nil
		})
		if err == nil && !isJSONStream2(in) && b.String() != in {
			t.Fatalf("YAML round trip lost bytes:\n%q\n%q", b.String(), in)
		}
	})
}

func isJSONStream2(s string) bool {
	t := strings.TrimLeft(s, " \t\r\n")
	return strings.HasPrefix(t, "{") || strings.HasPrefix(t, "[")
}

// TestDuplicateKeys: a key given twice in one mapping is an error naming
// both lines of the file; the same key in different mappings, and merge
// keys, are not.
func TestDuplicateKeys(t *testing.T) {
	t.Parallel()
	in := "kind: A\nmetadata: {name: a}\n---\n# comment\nkind: B\nmetadata:\n  name: b\n  labels: {name: x}\n  name: c\n---\nbase: &b {x: 1}\nuse:\n  <<: *b\n  <<: *b\n  y: 2\n"
	var got []string
	err := Read("f.yaml", strings.NewReader(in), func(d Document) error {
		_, err := d.ToJSON()
		got = append(got, fmt.Sprint(err))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"<nil>", `f.yaml (document 2, line 9, column 3): key "name" is given twice (first at line 7)`, "<nil>"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("got  %q\nwant %q", got, want)
	}
}
