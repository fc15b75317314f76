package inject

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	yaml "go.yaml.in/yaml/v3"

	"github.com/meshctl/meshctl/internal/testutil/golden"
	"github.com/meshctl/meshctl/pkg/yamlstream"
)

// FuzzInject feeds arbitrary streams to injection: it must never panic;
// when it succeeds, every document it changed must parse, injecting again
// must change nothing, and uninjecting must succeed and give documents that
// inject again.
func FuzzInject(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "in", "*"))
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("kind: Pod\nspec:\n  containers: [{name: a}]\n"))
	f.Add([]byte("kind: List\nitems: 3\n"))
	f.Add([]byte("kind: Pod\nmetadata: {labels: {app: a}, annotations: {}}\nspec:\n  initContainers: []\n  containers: [{name: a, ports: [{name: p, containerPort: 1}], readinessProbe: {httpGet: {port: p}}}]\n"))
	in := injectorFor(f, nil, "")
	f.Fuzz(func(t *testing.T, src []byte) {
		defer hangGuard(src)()
		var out bytes.Buffer
		err := yamlstream.Read("fuzz", bytes.NewReader(src), func(d yamlstream.Document) error {
			o, _, err := in.InjectDocument(d)
			if err != nil {
				return err
			}
			if !bytes.Equal(o, d.Raw) && !d.JSON {
				var n yaml.Node
				if err := yaml.Unmarshal(o, &n); err != nil {
					t.Fatalf("changed document does not parse: %v\ninput:\n%s\noutput:\n%s", err, d.Raw, o)
				}
			}
			return in.WriteDocument(d, &out, nil)
		})
		if err != nil {
			return
		}
		var again bytes.Buffer
		if err := sequential(in, out.Bytes(), &again); err != nil {
			t.Fatalf("injecting the output failed: %v\noutput:\n%s", err, out.Bytes())
		}
		if !bytes.Equal(again.Bytes(), out.Bytes()) {
			t.Fatalf("not idempotent:\n%s", golden.Diff(out.Bytes(), again.Bytes()))
		}
		var back bytes.Buffer
		if err := sequential(NewUninjector(), out.Bytes(), &back); err != nil {
			t.Fatalf("uninject failed: %v\noutput:\n%s", err, out.Bytes())
		}
		// What uninjection gives must read and inject again.
		var re bytes.Buffer
		if err := sequential(in, back.Bytes(), &re); err != nil {
			t.Fatalf("injecting the uninjected output failed: %v\nuninjected:\n%s", err, back.Bytes())
		}
	})
}

// hangGuard ends the process when one input runs for more than ten
// seconds: the fuzzing engine reports no hangs of its own, but it keeps the
// input of a worker that died, for a regression case.
func hangGuard(src []byte) (stop func()) {
	done := make(chan struct{})
	go func() {
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			panic(fmt.Sprintf("one input ran for more than 10s (a hang): %q", src))
		}
	}()
	return func() { close(done) }
}

// sequential processes a stream on the calling goroutine (the fuzzing
// engine measures coverage best without the pipeline's workers).
func sequential(p streamer, src []byte, w *bytes.Buffer) error {
	return yamlstream.Read("fuzz", bytes.NewReader(src), func(d yamlstream.Document) error {
		return p.WriteDocument(d, w, nil)
	})
}
