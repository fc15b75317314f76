package analyze

import (
	"sort"
	"strings"
	"testing"

	"github.com/meshctl/meshctl/pkg/yamlstream"
)

// load decodes a YAML stream written in a test.
func load(t testing.TB, src string) []*Resource {
	t.Helper()
	var out []*Resource
	err := yamlstream.Read("test.yaml", strings.NewReader(src), func(d yamlstream.Document) error {
		rs, _, err := DecodeDocument(d, "default")
		out = append(out, rs...)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// analyzeSrc runs the analyzers matching pattern ("" for all) and returns
// "CODE Kind ns/name" for each finding, sorted.
func analyzeSrc(t testing.TB, src, pattern string, opts SnapshotOptions) ([]string, []Message) {
	t.Helper()
	var pats []string
	if pattern != "" {
		pats = []string{pattern}
	}
	as, err := Select(pats)
	if err != nil {
		t.Fatal(err)
	}
	ms := Run(NewSnapshot(load(t, src), opts), as, RunOptions{})
	var out []string
	for _, m := range ms {
		out = append(out, m.Type.Code+" "+m.Resource.String())
	}
	sort.Strings(out)
	return out, ms
}
