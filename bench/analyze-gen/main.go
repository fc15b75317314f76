// Command analyze-gen writes generated Istio config for the analysis
// benchmark: go run ./bench/analyze-gen -apps 2000 > config.yaml
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/meshctl/meshctl/pkg/analyze/analyzetest"
)

func main() {
	apps := flag.Int("apps", 2000, "number of apps")
	flag.Parse()
	if err := analyzetest.Generate(os.Stdout, *apps); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
