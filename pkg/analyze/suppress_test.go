package analyze

import (
	"bytes"
	"strings"
	"testing"
)

func msg(code, kind, ns, name string) Message {
	for _, t := range allTypes {
		if t.Code == code {
			return Message{Type: t, Level: t.Level, Text: "text " + name, Resource: Ref{Kind: kind, Namespace: ns, Name: name}}
		}
	}
	panic(code)
}

func TestSuppression(t *testing.T) {
	t.Parallel()
	tests := []struct {
		rule string
		m    Message
		want bool
	}{
		{"IST0101=VirtualService default/hello", msg("IST0101", "VirtualService", "default", "hello"), true},
		{"IST0101=VirtualService default/hello", msg("IST0101", "VirtualService", "other", "hello"), false},
		{"IST0101=VirtualService default/*", msg("IST0101", "VirtualService", "default", "x"), true},
		{"IST0101=* */hello", msg("IST0101", "DestinationRule", "a", "hello"), true},
		{"IST01*=virtualservice default/hello", msg("IST0109", "VirtualService", "default", "hello"), true},
		{"IST0102=Namespace shop", msg("IST0102", "Namespace", "", "shop"), true},
		{"IST0102=Namespace sh*", msg("IST0102", "Namespace", "", "other"), false},
		{"IST0103=Pod *.baz", msg("IST0103", "Pod", "baz", "p-1"), true},
		{"IST0103=Pod *.baz", msg("IST0103", "Pod", "qux", "p-1"), false},
		{"IST0106=VirtualService default/hello", msg("IST0101", "VirtualService", "default", "hello"), false},
	}
	for _, tc := range tests {
		s, err := ParseSuppression(tc.rule)
		if err != nil {
			t.Fatalf("%s: %v", tc.rule, err)
		}
		if got := s.Matches(tc.m); got != tc.want {
			t.Errorf("%s on %s = %v, want %v", tc.rule, tc.m.Resource, got, tc.want)
		}
	}
	for _, bad := range []string{"", "IST0101", "IST0101=Kind", "=Kind a/b", "IST0101=Kind a b", "IST0101=Kind [a"} {
		if _, err := ParseSuppression(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	s, _ := ParseSuppression("IST0102=Namespace *")
	kept, n := Suppress([]Message{msg("IST0102", "Namespace", "", "a"), msg("IST0101", "Gateway", "x", "g")}, []Suppression{s})
	if n != 1 || len(kept) != 1 || kept[0].Type.Code != "IST0101" {
		t.Errorf("Suppress kept %v (%d dropped)", kept, n)
	}
}

func TestSuppressAnnotation(t *testing.T) {
	t.Parallel()
	src := `apiVersion: v1
kind: Namespace
metadata: {name: a, annotations: {galley.istio.io/analyze-suppress: "IST0102"}}
---
apiVersion: v1
kind: Namespace
metadata: {name: b, annotations: {galley.istio.io/analyze-suppress: "IST0123,*"}}
---
apiVersion: v1
kind: Namespace
metadata: {name: c, annotations: {galley.istio.io/analyze-suppress: "IST0103"}}
`
	got, _ := analyzeSrc(t, src, "", SnapshotOptions{})
	if len(got) != 1 || got[0] != "IST0102 Namespace c" {
		t.Fatalf("got %v, want only namespace c's IST0102 (and no IST0108 for the suppress annotation)", got)
	}
}

func TestBaseline(t *testing.T) {
	t.Parallel()
	old := []Message{msg("IST0101", "VirtualService", "default", "a"), msg("IST0102", "Namespace", "", "shop"), msg("IST0101", "VirtualService", "default", "a")}
	var b bytes.Buffer
	if err := NewBaseline(old).Write(&b); err != nil {
		t.Fatal(err)
	}
	written := b.String()
	if strings.Count(written, `"code"`) != 2 {
		t.Fatalf("baseline should hold 2 distinct findings:\n%s", written)
	}
	bl, err := ReadBaseline(strings.NewReader(written))
	if err != nil {
		t.Fatal(err)
	}
	moved := msg("IST0101", "VirtualService", "default", "a")
	moved.File, moved.Line = "elsewhere.yaml", 99
	fresh := msg("IST0101", "VirtualService", "default", "b")
	kept, known := bl.Filter([]Message{moved, fresh})
	if known != 1 || len(kept) != 1 || kept[0].Resource.Name != "b" {
		t.Fatalf("kept %v, known %d", kept, known)
	}
	var again bytes.Buffer
	_ = NewBaseline(old).Write(&again)
	if again.String() != written {
		t.Error("baseline differs between runs")
	}
	for _, bad := range []string{"", "{}", `{"version":2,"findings":[]}`, `{"version":1,"findings":[],"x":1}`} {
		if _, err := ReadBaseline(strings.NewReader(bad)); err == nil {
			t.Errorf("baseline %q accepted", bad)
		}
	}
}

func FuzzParseSuppression(f *testing.F) {
	for _, s := range []string{"IST0101=VirtualService default/hello", "IST01*=* */*", "IST0102=Namespace shop", "=", "a=b c d", "IST0101=Kind [a"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sp, err := ParseSuppression(s)
		if err != nil {
			return
		}
		again, err := ParseSuppression(sp.String())
		if err != nil || again != sp {
			t.Fatalf("%q -> %q does not parse back: %v", s, sp.String(), err)
		}
		_ = sp.Matches(msg("IST0101", "VirtualService", "default", "hello"))
	})
}
