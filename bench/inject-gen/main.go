// Command inject-gen writes the kube-inject benchmark stream: N Deployments
// with their Services (default 2,000, about 2.3 MB) to standard output.
package main

import (
	"fmt"
	"os"
	"strconv"

	"github.com/meshctl/meshctl/internal/injectgen"
)

func main() {
	n := 2000
	if len(os.Args) > 1 {
		v, err := strconv.Atoi(os.Args[1])
		if err != nil || v < 0 {
			fmt.Fprintln(os.Stderr, "usage: inject-gen [N]")
			os.Exit(2)
		}
		n = v
	}
	if err := injectgen.Write(os.Stdout, n); err != nil {
		fmt.Fprintln(os.Stderr, "Error:", err)
		os.Exit(1)
	}
}
