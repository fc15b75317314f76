package render

import (
	"bufio"
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
	// documents are encoded on every core and written in order.
	encoded := make([][]byte, len(objs))
	errs := make([]error, len(objs))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(objs)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				encoded[i], errs[i] = encodeYAML(objs[i].Object.Object)
			}
		}()
	}
	for i := range objs {
		next <- i
	}
	close(next)
	wg.Wait()
	bw := bufio.NewWriter(w)
	for i, o := range objs {
		if errs[i] != nil {
			return fmt.Errorf("writing %s %s: %w", o.Object.GetKind(), o.Object.GetName(), errs[i])
		}
		bw.WriteString("---\n")
		bw.Write(encoded[i])
	}
	return bw.Flush()
}
