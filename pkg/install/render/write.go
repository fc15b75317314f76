package render

import (
	"fmt"
	"io"
	"runtime"
	"sync"

	"github.com/meshctl/meshctl/pkg/install/manifest"
)

// Write prints objects as one YAML stream, each document preceded by
// "---". Map keys come out sorted, so the bytes are the same on every run.
func Write(w io.Writer, objs []manifest.Object) error {
	// Encoding is the expensive part (the CRDs are most of the bytes), so
	// documents are encoded on every core, each worker printing into large
	// chunks of its own (few allocations, no copies), and the pieces are
	// written in order.
	parts := make([][][]byte, len(objs))
	errs := make([]error, len(objs))
	next := make(chan int)
	var wg sync.WaitGroup
	for range max(min(runtime.GOMAXPROCS(0), len(objs)), 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var c yamlChunks
			for i := range next {
				parts[i], errs[i] = c.appendDocument(nil, "---\n", objs[i].Object.Object)
			}
		}()
	}
	for i := range objs {
		next <- i
	}
	close(next)
	wg.Wait()
	for i, o := range objs {
		if errs[i] != nil {
			return fmt.Errorf("writing %s %s: %w", o.Object.GetKind(), o.Object.GetName(), errs[i])
		}
	}
	// Pieces that follow each other in one chunk are written at once (a
	// piece's capacity runs to the end of its chunk).
	var pending []byte
	for _, ps := range parts {
		for _, p := range ps {
			if len(pending) > 0 && cap(pending) > len(pending) && len(p) > 0 && &pending[:len(pending)+1][len(pending)] == &p[0] {
				pending = pending[:len(pending)+len(p)]
				continue
			}
			if len(pending) > 0 {
				if _, err := w.Write(pending); err != nil {
					return err
				}
			}
			pending = p
		}
	}
	if len(pending) > 0 {
		if _, err := w.Write(pending); err != nil {
			return err
		}
	}
	return nil
}
