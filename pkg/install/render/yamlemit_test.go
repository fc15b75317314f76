package render

import (
	"bytes"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/meshctl/meshctl/pkg/install/manifest"
)

// yamlFragments are pieces of strings that exercise the emitter's choices:
// words the resolver reads as other types, indicators, white space and
// breaks of every kind, characters it escapes, and long text that folds.
var yamlFragments = []string{
	"", " ", "  ", "a", "word", "key", "x y", "y", "Y", "yes", "No", "on", "OFF", "n", "null", "Null", "~", "true", "False",
	"1", "-1", "+1", "0", "007", "0x1F", "0o17", "0b101", "-0b1", "0b2", "1_000", "1e3", "1E+3", "-1.5e-3", ".5", "1.", ".",
	"+.inf", "-.Inf", ".nan", ".NaN", "1:20", "-1:20:30.5", "190:20:30", "1:60", "2001-12-14", "2001-12-14t21:59:43.10Z",
	"2001-12-14 21:59:43.10", "2001-1-2", "12345678901234567890", "9223372036854775808", "-9223372036854775809",
	": ", ":", " #", "#", "-", "- ", "-a", "?", "? ", ",", "[", "]", "{", "}", "&", "*", "!", "|", ">", "'", "\"", "%", "@",
	"`", "<<", "=", "\\", "---", "...", "--- x", "\t", "\r", "\r\n", "\n", "\n\n", " \n", "\n ", "\x00", "\x01", "\x1b",
	"\x7f", "\u0085", "\u00a0", "\u00e9", "\u2028", "\u2029", "\ufeff", "\ufffe", "\uffff", "\ue000", "\ud7ff", "日本語",
	"😀", "\U0010ffff", "lorem ipsum dolor sit amet, consectetur adipiscing elit, ",
	"Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua.",
	"averyveryveryveryveryveryveryveryveryveryveryveryveryveryveryveryveryveryveryveryveryverylongword",
	"https://example.com/a/b?c=d#e", "a: b", "a #b", "a#b", "a  b", "a \n b", "x\n  indented\n", "$ref", "istio.io/rev",
}

// yamlGen builds a JSON-like value from a byte string (a fuzz input or
// random bytes).
type yamlGen struct{ b []byte }

func (g *yamlGen) next() int {
	if len(g.b) == 0 {
		return 0
	}
	c := g.b[0]
	g.b = g.b[1:]
	return int(c)
}

func (g *yamlGen) str() string {
	var sb strings.Builder
	for n := g.next() % 6; n > 0; n-- {
		switch k := g.next(); {
		case k < 230:
			sb.WriteString(yamlFragments[k%len(yamlFragments)])
		case k < 240:
			// Raw bytes from the input, possibly not UTF-8.
			m := min(g.next()%8, len(g.b))
			sb.Write(g.b[:m])
			g.b = g.b[m:]
		default:
			sb.WriteString(strings.Repeat("ab cd ", g.next()%30))
		}
	}
	return sb.String()
}

func (g *yamlGen) value(depth int) any {
	switch k := g.next() % 12; {
	case k < 3 && depth < 6:
		m := map[string]any{}
		for n := g.next() % 5; n > 0; n-- {
			m[g.str()] = g.value(depth + 1)
		}
		return m
	case k < 5 && depth < 6:
		var l []any
		for n := g.next() % 4; n > 0; n-- {
			l = append(l, g.value(depth+1))
		}
		if l == nil && g.next()%2 == 0 {
			l = []any{}
		}
		return l
	case k == 5:
		return int64(g.next()*g.next()*g.next()) - 1<<20
	case k == 6:
		floats := []float64{0, math.Copysign(0, -1), 1.5, -2.25e-7, 1e21, 123456789.125, math.Inf(1), math.Inf(-1), math.NaN(), 1e300, 3}
		return floats[g.next()%len(floats)]
	case k == 7:
		return g.next()%2 == 0
	case k == 8:
		return nil
	default:
		return g.str()
	}
}

func (g *yamlGen) document() map[string]any {
	m := map[string]any{}
	for n := g.next() % 6; n > 0; n-- {
		m[g.str()] = g.value(0)
	}
	return m
}

func checkEncodeYAML(t *testing.T, v map[string]any) {
	t.Helper()
	want, err := encodeYAMLv2(v)
	if err != nil {
		t.Fatalf("yaml.v2: %v", err)
	}
	got, err := encodeYAML(v)
	if err != nil {
		t.Fatalf("encodeYAML: %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("value %#v\ngot:\n%s\nwant (yaml.v2):\n%s", v, got, want)
	}
}

// Every fragment, and pairs of fragments, as keys and values at several
// depths and in sequences, print as yaml.v2 prints them.
func TestEncodeYAMLFragments(t *testing.T) {
	t.Parallel()
	prefixes := []string{"", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx ", strings.Repeat("y ", 45)}
	for _, a := range yamlFragments {
		for _, b := range append([]string{""}, yamlFragments...) {
			for _, p := range prefixes {
				s := p + a + b
				checkEncodeYAML(t, map[string]any{
					s:   s,
					"k": map[string]any{s: []any{s, []any{s}, map[string]any{s: s}}},
					"l": []any{map[string]any{"a": s, s: map[string]any{}}},
				})
			}
		}
	}
}

func TestEncodeYAMLValues(t *testing.T) {
	t.Parallel()
	got, err := encodeYAML(map[string]any{
		"int": int64(-3), "i": 7, "f": 1.5, "e": 1e21, "inf": math.Inf(-1), "t": true, "n": nil,
		"s": "yes", "m": map[string]any{}, "l": []any{}, "nested": []any{[]any{"a", map[string]any{"b": "c", "d": "e"}}},
		"lit": "line 1\nline 2\n", "q": "a: b", "long": strings.Repeat("word ", 20),
	})
	if err != nil {
		t.Fatal(err)
	}
	want := `e: 1e+21
f: 1.5
i: 7
inf: -.inf
int: -3
l: []
lit: |
  line 1
  line 2
long: 'word word word word word word word word word word word word word word word
  word word word word word '
m: {}
"n": null
nested:
- - a
  - b: c
    d: e
q: 'a: b'
s: "yes"
t: true
`
	if string(got) != want {
		t.Fatalf("got:\n%s\nwant:\n%s", got, want)
	}
}

// Other Go types and invalid UTF-8 go to yaml.v2 whole.
func TestEncodeYAMLFallback(t *testing.T) {
	t.Parallel()
	for _, v := range []map[string]any{
		{"a": "\xff"}, {"\xfe": 1}, {"a": []string{"x"}}, {"a": map[string]string{"b": "c"}}, {"a": float32(1.1)}, {"a": uint(3)},
	} {
		if _, ok := appendEmitYAML(nil, v); ok {
			t.Errorf("%#v: the emitter should give up", v)
		}
		checkEncodeYAML(t, v)
	}
}

// Every rendered document of the goldens goes through the emitter, not the
// fallback.
func TestEncodeYAMLNoFallbackOnGoldens(t *testing.T) {
	t.Parallel()
	m, err := Render(Options{Sets: []string{"profile=demo"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range m.Objects {
		if _, ok := appendEmitYAML(nil, o.Object.Object); !ok {
			t.Errorf("%s falls back to yaml.v2", o.Key())
		}
		checkEncodeYAML(t, o.Object.Object)
	}
	var want bytes.Buffer
	for _, o := range m.Objects {
		b, err := encodeYAMLv2(o.Object.Object)
		if err != nil {
			t.Fatal(err)
		}
		want.WriteString("---\n")
		want.Write(b)
	}
	var got bytes.Buffer
	if err := Write(&got, m.Objects); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), want.Bytes()) {
		t.Fatal("Write's output differs from yaml.v2's")
	}
}

func TestEncodeYAMLRandom(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	buf := make([]byte, 400)
	for range 3000 {
		for i := range buf {
			buf[i] = byte(r.IntN(256))
		}
		g := yamlGen{b: buf}
		checkEncodeYAML(t, g.document())
	}
}

// FuzzEncodeYAML: the emitter prints every JSON-like value exactly as
// yaml.v2 does.
func FuzzEncodeYAML(f *testing.F) {
	f.Add([]byte("\x03\x02\x05\x01\x07\x00\x02\x10\x20"))
	f.Add([]byte(strings.Repeat("\x01\x04\xf5\x09", 20)))
	f.Add([]byte("\x05\x03\x10\x11\x12\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a"))
	f.Fuzz(func(t *testing.T, in []byte) {
		g := yamlGen{b: in}
		checkEncodeYAML(t, g.document())
	})
}

// Write's chunked output, with documents that fall back to yaml.v2 among
// others and documents larger than a chunk, is the documents' yaml.v2
// output in order.
func TestWriteChunksAndFallback(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(3, 4))
	var objs []manifest.Object
	var want bytes.Buffer
	for i := range 200 {
		var v map[string]any
		switch i % 7 {
		case 3:
			v = map[string]any{"kind": "X", "bad": "\xff\xfe", "n": i}
		case 5:
			v = map[string]any{"kind": "Big", "text": strings.Repeat("line of text\n", 8000+i)}
		default:
			buf := make([]byte, 300)
			for j := range buf {
				buf[j] = byte(r.IntN(256))
			}
			g := yamlGen{b: buf}
			v = g.document()
		}
		b, err := encodeYAMLv2(v)
		if err != nil {
			t.Fatal(err)
		}
		want.WriteString("---\n")
		want.Write(b)
		objs = append(objs, manifest.Object{Object: &unstructured.Unstructured{Object: v}})
	}
	var got bytes.Buffer
	if err := Write(&got, objs); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), want.Bytes()) {
		t.Fatalf("Write's output differs from yaml.v2's (%d bytes, want %d)", got.Len(), want.Len())
	}
	var c yamlChunks
	var parts [][]byte
	for _, o := range objs {
		var err error
		if parts, err = c.appendDocument(parts, "---\n", o.Object.Object); err != nil {
			t.Fatal(err)
		}
	}
	if j := bytes.Join(parts, nil); !bytes.Equal(j, want.Bytes()) {
		t.Fatal("one worker's chunks differ from yaml.v2's output")
	}
	if len(parts) < 10 {
		t.Fatalf("only %d pieces: chunks did not roll over", len(parts))
	}
}

// The printable-ASCII shortcut agrees with the general analysis.
func TestAnalyzePrintableASCII(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(5, 6))
	const alphabet = " -?:#.,[]{}&*!|>'\"%@`ab1"
	check := func(s string) {
		got, ok := analyzePrintableASCII(s)
		if !ok {
			t.Fatalf("%q: not taken as printable ASCII", s)
		}
		want := analyzeAny(s)
		want.printableASCII = true
		if got != want {
			t.Fatalf("%q: %+v, want %+v", s, got, want)
		}
	}
	for range 200000 {
		b := make([]byte, 1+r.IntN(6))
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
		check(string(b))
	}
	for c := 0x20; c < 0x7f; c++ {
		check(string(rune(c)))
		check(string(rune(c)) + " x")
		check("x " + string(rune(c)))
	}
	for _, s := range []string{"a\tb", "a\nb", "\x7f", "é"} {
		if _, ok := analyzePrintableASCII(s); ok {
			t.Errorf("%q taken as printable ASCII", s)
		}
	}
}
