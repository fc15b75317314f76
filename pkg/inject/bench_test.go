package inject

import (
	"bytes"
	"io"
	"strconv"
	"testing"

	"github.com/meshctl/meshctl/internal/injectgen"
)

// BenchmarkInjectStream injects streams of 200, 2,000 and 20,000
// Deployments with Services; ns/op over the three sizes shows whether the
// time is linear in the input.
func BenchmarkInjectStream(b *testing.B) {
	in := injectorFor(b, nil, "")
	for _, n := range []int{200, 2000, 20000} {
		var src bytes.Buffer
		if err := injectgen.Write(&src, n); err != nil {
			b.Fatal(err)
		}
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			b.SetBytes(int64(src.Len()))
			b.ReportAllocs()
			for b.Loop() {
				if err := in.Inject("bench", bytes.NewReader(src.Bytes()), io.Discard, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func TestBenchStreamSize(t *testing.T) {
	t.Parallel()
	var src bytes.Buffer
	if err := injectgen.Write(&src, 2000); err != nil {
		t.Fatal(err)
	}
	if n := src.Len(); n < 2_200_000 || n > 2_400_000 {
		t.Fatalf("2,000 pairs are %d bytes, want about 2.3 MB", n)
	}
	in := injectorFor(t, nil, "")
	var small, out bytes.Buffer
	if err := injectgen.Write(&small, 100); err != nil {
		t.Fatal(err)
	}
	var injected int
	err := in.Inject("bench", &small, &out, func(r Result) {
		if r.Action == Injected {
			injected++
		}
	})
	if err != nil || injected != 100 {
		t.Fatalf("injected %d of the first 100 deployments: %v", injected, err)
	}
}
