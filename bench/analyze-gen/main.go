// Command analyze-gen writes generated Istio config for the analysis
// benchmark: go run ./bench/analyze-gen -apps 2000 > config.yaml
// (-namespaces 1 puts every app in one namespace).
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/meshctl/meshctl/internal/analyzegen"
)

func main() {
	apps := flag.Int("apps", 2000, "number of apps")
	namespaces := flag.Int("namespaces", 0, "spread the apps over this many namespaces (0: 50 apps to a namespace)")
	flag.Parse()
	if err := analyzegen.GenerateOptions(os.Stdout, analyzegen.Options{Apps: *apps, Namespaces: *namespaces}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
