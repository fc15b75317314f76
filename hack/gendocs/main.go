// Command gendocs regenerates meshctl's command reference (Markdown and man
// pages) under docs/. Run it from the repository root: go run ./hack/gendocs
package main

import (
	"fmt"
	"os"

	"github.com/meshctl/meshctl/internal/cli/clidocs"
)

func main() {
	dir := "docs"
	if len(os.Args) > 1 {
		dir = os.Args[1]
	}
	if err := clidocs.GenerateDocs(dir); err != nil {
		fmt.Fprintln(os.Stderr, "gendocs:", err)
		os.Exit(1)
	}
}
