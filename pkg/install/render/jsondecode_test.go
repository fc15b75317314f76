package render

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"math"
	"strings"
	"testing"

	"github.com/meshctl/meshctl/charts"
)

// decodeJSONStd is the reference decodeJSON must agree with: encoding/json
// with UseNumber, then integers to int64 and other numbers to float64.
func decodeJSONStd(b []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, fmt.Errorf("more than one JSON value in a document")
	}
	convertNumbers(m)
	return m, nil
}

func convertNumbers(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			t[k] = convertNumbers(x)
		}
	case []any:
		for i, x := range t {
			t[i] = convertNumbers(x)
		}
	case json.Number:
		if n, err := t.Int64(); err == nil {
			return n
		}
		f, _ := t.Float64()
		return f
	}
	return v
}

// sameValue is reflect.DeepEqual with floats compared by their bits (so -0
// and 0 differ) and nil maps told from empty ones.
func sameValue(a, b any) bool {
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) || (x == nil) != (y == nil) {
			return false
		}
		for k, v := range x {
			w, ok := y[k]
			if !ok || !sameValue(v, w) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) || (x == nil) != (y == nil) {
			return false
		}
		for i := range x {
			if !sameValue(x[i], y[i]) {
				return false
			}
		}
		return true
	case float64:
		y, ok := b.(float64)
		return ok && (math.Float64bits(x) == math.Float64bits(y) || (math.IsNaN(x) && math.IsNaN(y)))
	case int64, string, bool, nil:
		return a == b
	default:
		return false
	}
}

func checkDecodeJSON(t *testing.T, in []byte) {
	t.Helper()
	got, gerr := decodeJSON(in)
	want, werr := decodeJSONStd(in)
	if (gerr == nil) != (werr == nil) {
		t.Fatalf("%q: error %v, encoding/json's %v", in, gerr, werr)
	}
	if werr == nil && !sameValue(map[string]any(got), map[string]any(want)) {
		t.Fatalf("%q:\ngot  %#v\nwant %#v", in, got, want)
	}
	if gerr == nil && got == nil && want != nil {
		t.Fatalf("%q: nil map, encoding/json's is empty", in)
	}
}

func TestDecodeJSONValues(t *testing.T) {
	t.Parallel()
	got, err := decodeJSON([]byte(` {"i": -12, "z": -0, "zf": -0.0, "f": 1.5, "e": 1e3, "E": 2E-2, "big": 9223372036854775808,
		"max": 9223372036854775807, "min": -9223372036854775808, "huge": 1e400, "t": true, "n": null,
		"s": "a\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00", "l": [[], [1, [2, {}]]], "d": 1, "d": "last"} `))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"i": int64(-12), "z": int64(0), "zf": math.Copysign(0, -1), "f": 1.5, "e": 1000.0, "E": 0.02,
		"big": 9223372036854775808.0, "max": int64(math.MaxInt64), "min": int64(math.MinInt64),
		"huge": math.Inf(1), "t": true, "n": nil,
		"s": "a\"\\/\b\f\n\r\té😀",
		"l": []any{[]any{}, []any{int64(1), []any{int64(2), map[string]any{}}}},
		"d": "last",
	}
	if !sameValue(got, want) {
		t.Fatalf("got  %#v\nwant %#v", got, want)
	}
}

// Table of edge cases, each checked against encoding/json.
func TestDecodeJSONMatchesEncodingJSON(t *testing.T) {
	t.Parallel()
	cases := []string{
		`{}`, `null`, ` null `, `{} `, `{}}`, `{}]`, `{} ]x`, `{}x`, `{} {}`, `{}1`, `[]`, `"s"`, `1`, `true`, ``, ` `,
		`{`, `{"a"`, `{"a":`, `{"a":1`, `{"a":1,}`, `{,}`, `{"a" 1}`, `{'a':1}`, `{a:1}`, `{"a":[1,]}`, `{"a":[,1]}`,
		`{"a":01}`, `{"a":-}`, `{"a":1.}`, `{"a":.5}`, `{"a":1e}`, `{"a":1e+}`, `{"a":+1}`, `{"a":0x1}`, `{"a":-01}`,
		`{"a":1.5e-7}`, `{"a":123456789012345678901234567890}`, `{"a":-9223372036854775809}`, `{"a":1E400}`, `{"a":-1e400}`,
		`{"a":1e-400}`, `{"a":-0.0e0}`, `{"a":0.1e1}`, `{"a":10000000000000000000}`, `{"a":99999999999999999999}`,
		`{"a":tru}`, `{"a":nul}`, `{"a":falsey}`, `{"a":True}`, `{"a":NaN}`, `{"a":Infinity}`,
		`{"a":"\x"}`, `{"a":"\'"}`, `{"a":"\u12"}`, `{"a":"\u12G4"}`, `{"a":"\"}`, `{"a":"` + "\x01" + `"}`, `{"a":"` + "\t" + `"}`,
		`{"a":"` + "\x7f" + `"}`, `{"a":"\ud800"}`, `{"a":"\udc00"}`, `{"a":"\ud800\u0041"}`, `{"a":"\ud800\ud800\udc00"}`,
		`{"a":"\ud800\\"}`, `{"a":"\ud800\u"}`, `{"a":"\ud800\uZZZZ"}`, `{"a":"\udbff\udfff"}`, `{"a":"\uDC00\uD800"}`,
		`{"a":"\u0000"}`, `{"a":"\uFFFF"}`, "{\"a\":\"\xff\"}", "{\"a\":\"\xe2\x82\"}", "{\"a\":\"\xed\xa0\x80\"}",
		"{\"\xff\":1}", "{\"a\":\"\xc0\xaf\\n\"}", "{\"a\":\"\xf4\x90\x80\x80\"}", "\xef\xbb\xbf{}", "{\"a\":1}\x00",
		`{"a":{"a":{"a":1},"a":2}}`, `{"a":[1,{"b":[true,false,null]}],"c":"d"}`, "{\r\n\t\"a\" :\t1 \r\n}", "{\"a\":1}\v",
		`{"a":"` + strings.Repeat("x", 300) + `\n"}`,
	}
	for _, c := range cases {
		checkDecodeJSON(t, []byte(c))
	}
}

func TestDecodeJSONDepth(t *testing.T) {
	t.Parallel()
	for _, n := range []int{9999, 10000, 10001} {
		for _, open := range []string{"[", `{"a":`} {
			closeS := "]"
			if open != "[" {
				closeS = "}"
			}
			in := `{"x":` + strings.Repeat(open, n-1) + "1" + strings.Repeat(closeS, n-1) + "}"
			checkDecodeJSON(t, []byte(in))
			_, err := decodeJSON([]byte(in))
			if (err == nil) != (n <= 10000) {
				t.Fatalf("depth %d with %q: error %v", n, open, err)
			}
		}
	}
}

// Every generated CRD decodes to the same values as with encoding/json.
func TestDecodeJSONCRDs(t *testing.T) {
	t.Parallel()
	raw, err := fs.ReadFile(charts.FS, "base/files/crds.gen.yaml")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, part := range splitDocuments(string(raw)) {
		if t := bytes.TrimLeft(part, " \t\r\n"); len(t) == 0 || t[0] != '{' {
			continue
		}
		checkDecodeJSON(t, part)
		n++
	}
	if n != 15 {
		t.Fatalf("checked %d CRDs, want 15", n)
	}
}

// FuzzDecodeJSON: decodeJSON accepts exactly what encoding/json (as
// decodeJSONStd uses it) accepts, and gives the same values.
func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{
		`{}`, `null`, `{"a":1,"b":[1.5,-0,1e3,"x\u00e9\ud83d\ude00"],"c":{"d":null,"e":true}}`, `{"a":"\ud800x"}`,
		`{"a":92233720368547758070}`, "{\"a\":\"\xff\"}", `{"a":1,"a":2}`, `{} ]`, `{"a":[[[]]]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		checkDecodeJSON(t, in)
	})
}

func BenchmarkDecodeJSONCRDs(b *testing.B) {
	raw, err := fs.ReadFile(charts.FS, "base/files/crds.gen.yaml")
	if err != nil {
		b.Fatal(err)
	}
	var docs [][]byte
	for _, part := range splitDocuments(string(raw)) {
		if t := bytes.TrimLeft(part, " \t\r\n"); len(t) > 0 && t[0] == '{' {
			docs = append(docs, t)
		}
	}
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		for _, d := range docs {
			if _, err := decodeJSON(d); err != nil {
				b.Fatal(err)
			}
		}
	}
}
