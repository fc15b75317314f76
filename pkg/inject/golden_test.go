package inject

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/meshctl/meshctl/pkg/install/render"
	"github.com/meshctl/meshctl/pkg/yamlstream"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// goldenCase is one input injected with one configuration.
type goldenCase struct {
	name     string
	input    string
	sets     []string
	revision string
	// exact: uninject gives back the input byte for byte.
	exact bool
	// additive: the line diff input → output only inserts lines, apart from
	// rewritten probe and prometheus values.
	additive bool
}

var goldenCases = []goldenCase{
	{name: "helloworld", input: "helloworld.yaml", exact: true, additive: true},
	{name: "bookinfo", input: "bookinfo.yaml", exact: true, additive: true},
	{name: "kinds", input: "kinds.yaml", exact: true, additive: true},
	{name: "list", input: "list.yaml", exact: true, additive: true},
	{name: "probes", input: "probes.yaml", exact: true, additive: true},
	// A named probe port: the agent's record of the probe holds the number,
	// as Istio's does; the name stays in a comment.
	{name: "namedport", input: "namedport.yaml", exact: true, additive: true},
	{name: "annotations", input: "annotations.yaml", exact: true, additive: true},
	{name: "preset", input: "preset.yaml", exact: true, additive: true},
	{name: "preset-cni", input: "preset.yaml", sets: []string{"values.pilot.cni.enabled=true"}, exact: true, additive: true},
	{name: "skip", input: "skip.yaml", exact: true, additive: true},
	{name: "style", input: "style.yaml", exact: true, additive: true},
	// Flow-style collections are rewritten in block style.
	{name: "flow", input: "flow.yaml", exact: false, additive: false},
	// JSON documents are written whole, in their own indentation and key
	// order; inserting after a last member adds a comma to its line.
	{name: "json", input: "helloworld.json", exact: true, additive: false},
	{name: "revision", input: "helloworld.yaml", revision: "canary", exact: true, additive: true},
	{name: "native", input: "helloworld.yaml", sets: []string{"values.pilot.env.ENABLE_NATIVE_SIDECARS=true"}, exact: true, additive: true},
	{name: "cni", input: "bookinfo.yaml", sets: []string{"values.pilot.cni.enabled=true"}, exact: true, additive: true},
	{name: "hold", input: "helloworld.yaml", sets: []string{"values.global.proxy.holdApplicationUntilProxyStarts=true"}, exact: true, additive: true},
	{name: "pullsecrets", input: "helloworld.yaml", sets: []string{"values.global.imagePullSecrets[0]=regcred", "meshConfig.trustDomain=example.org"}, exact: true, additive: true},
	// Output of an older release is re-injected, not injected twice.
	{name: "upgrade", input: "upgrade.yaml", exact: false, additive: false},
}

var (
	injMu    sync.Mutex
	injCache = map[string]*Injector{}
)

// injectorFor renders the profile with the case's options (once per set of
// options) and builds an injector from its ConfigMaps, as kube-inject does.
func injectorFor(t testing.TB, sets []string, revision string) *Injector {
	t.Helper()
	key := strings.Join(sets, ",") + "|" + revision
	injMu.Lock()
	defer injMu.Unlock()
	if in, ok := injCache[key]; ok {
		return in
	}
	m, err := render.Render(render.Options{Sets: sets, Revision: revision})
	if err != nil {
		t.Fatal(err)
	}
	c, err := FromManifest(m)
	if err != nil {
		t.Fatal(err)
	}
	in, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	injCache[key] = in
	return in
}

func run(t testing.TB, in *Injector, src []byte, inject bool) ([]byte, string) {
	t.Helper()
	var out, rep bytes.Buffer
	report := func(r Result) { fmt.Fprintln(&rep, r) }
	var err error
	if inject {
		err = in.Inject("in", bytes.NewReader(src), &out, report)
	} else {
		err = in.Uninject("in", bytes.NewReader(src), &out, report)
	}
	if err != nil {
		t.Fatal(err)
	}
	return out.Bytes(), rep.String()
}

func readInput(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "in", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func checkGolden(t *testing.T, path string, got []byte) {
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
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the output:\n%s", path, firstDifference(want, got))
	}
}

func firstDifference(want, got []byte) string {
	wl, gl := strings.Split(string(want), "\n"), strings.Split(string(got), "\n")
	for i := 0; i < len(wl) || i < len(gl); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return fmt.Sprintf("line %d:\n  want %q\n  got  %q", i+1, w, g)
		}
	}
	return "(same lines, different bytes)"
}

func TestGolden(t *testing.T) {
	for _, c := range goldenCases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			in := injectorFor(t, c.sets, c.revision)
			out, rep := run(t, in, readInput(t, c.input), true)
			ext := filepath.Ext(c.input)
			checkGolden(t, filepath.Join("testdata", "golden", c.name+ext), out)
			checkGolden(t, filepath.Join("testdata", "golden", c.name+".report"), []byte(rep))
		})
	}
}

// TestIdempotent: injecting injected output changes nothing.
func TestIdempotent(t *testing.T) {
	for _, c := range goldenCases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			in := injectorFor(t, c.sets, c.revision)
			once, _ := run(t, in, readInput(t, c.input), true)
			twice, rep := run(t, in, once, true)
			if !bytes.Equal(once, twice) {
				t.Fatalf("second injection changed the output:\n%s", firstDifference(once, twice))
			}
			if strings.Contains(strings.ReplaceAll(rep, "already injected", ""), " injected") {
				t.Errorf("second injection reported changes:\n%s", rep)
			}
		})
	}
}

// TestUninjectRoundTrip: uninject(inject(x)) == x byte for byte, and where
// that cannot hold, uninjecting and injecting again gives the same output.
func TestUninjectRoundTrip(t *testing.T) {
	for _, c := range goldenCases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			in := injectorFor(t, c.sets, c.revision)
			src := readInput(t, c.input)
			out, _ := run(t, in, src, true)
			back, _ := run(t, NewUninjector(), out, false)
			if c.exact && !bytes.Equal(back, src) {
				t.Fatalf("uninject did not restore the input:\n%s", firstDifference(src, back))
			}
			again, _ := run(t, in, back, true)
			// A document written whole once and edited as text the second
			// time (flow style) holds the same data, not the same bytes.
			if !bytes.Equal(again, out) && (c.name != "flow" || !sameStream(t, again, out)) {
				t.Fatalf("inject(uninject(inject(x))) != inject(x):\n%s", firstDifference(out, again))
			}
			if bytes.Contains(back, []byte(annStatus)) {
				t.Errorf("uninjected output still has %s", annStatus)
			}
		})
	}
}

// sameStream reports whether two streams hold the same documents' data.
func sameStream(t *testing.T, a, b []byte) bool {
	t.Helper()
	var da, db [][]byte
	for _, x := range []struct {
		src []byte
		out *[][]byte
	}{{a, &da}, {b, &db}} {
		err := yamlstream.Read("x", bytes.NewReader(x.src), func(d yamlstream.Document) error {
			*x.out = append(*x.out, d.Raw)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(da) != len(db) {
		return false
	}
	for i := range da {
		if !sameContent(da[i], db[i]) {
			return false
		}
	}
	return true
}

// rewritable are the lines injection may change rather than only insert
// next to: probe targets and the prometheus scrape settings.
var rewritable = []string{"path:", "port:", "scheme:", "tcpSocket:", "grpc:", "prometheus.io/"}

// TestAdditiveOnly: a line diff of input → output deletes nothing but the
// rewritten probe and prometheus lines.
func TestAdditiveOnly(t *testing.T) {
	for _, c := range goldenCases {
		if !c.additive {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			in := injectorFor(t, c.sets, c.revision)
			src := readInput(t, c.input)
			out, _ := run(t, in, src, true)
			deleted, inserted := lineDiff(strings.Split(string(src), "\n"), strings.Split(string(out), "\n"))
			if inserted == 0 && strings.Contains(string(out), annStatus) {
				t.Fatal("output differs from input but no line was inserted")
			}
			for _, d := range deleted {
				ok := false
				tr := strings.TrimLeft(strings.TrimSpace(d), "- ")
				for _, p := range rewritable {
					if strings.HasPrefix(tr, p) {
						ok = true
					}
				}
				if !ok {
					t.Errorf("line deleted or changed: %q", d)
				}
			}
		})
	}
}

// lineDiff returns the lines of a missing from b in a longest common
// subsequence alignment, and how many lines b adds.
func lineDiff(a, b []string) (deleted []string, inserted int) {
	n, m := len(a), len(b)
	lcs := make([][]int32, n+1)
	for i := range lcs {
		lcs[i] = make([]int32, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	i, j := 0, 0
	for i < n && j < m {
		switch {
		case a[i] == b[j]:
			i++
			j++
		case lcs[i+1][j] >= lcs[i][j+1]:
			deleted = append(deleted, a[i])
			i++
		default:
			inserted++
			j++
		}
	}
	deleted = append(deleted, a[i:]...)
	return deleted, inserted + m - j
}

func TestLineDiff(t *testing.T) {
	t.Parallel()
	del, ins := lineDiff([]string{"a", "b", "c"}, []string{"a", "x", "c", "d"})
	if len(del) != 1 || del[0] != "b" || ins != 2 {
		t.Fatalf("got %q, %d", del, ins)
	}
}
