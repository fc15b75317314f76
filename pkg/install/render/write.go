package render

import (
	"bufio"
	"fmt"
	"io"

	"github.com/meshctl/meshctl/pkg/install/manifest"
)

// Write prints objects as one YAML stream, each document preceded by
// "---". Map keys come out sorted, so the bytes are the same on every run.
func Write(w io.Writer, objs []manifest.Object) error {
	bw := bufio.NewWriter(w)
	for _, o := range objs {
		b, err := encodeYAML(o.Object.Object)
		if err != nil {
			return fmt.Errorf("writing %s %s: %w", o.Object.GetKind(), o.Object.GetName(), err)
		}
		bw.WriteString("---\n")
		bw.Write(b)
	}
	return bw.Flush()
}
