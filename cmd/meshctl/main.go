// Command meshctl installs, injects, analyzes and secures an Istio service mesh.
package main

import (
	"os"

	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/meshctl/meshctl/internal/cli"
	"github.com/meshctl/meshctl/internal/initgc"
)

func main() {
	initgc.Restore()
	os.Exit(cli.Main(os.Args[1:], genericiooptions.IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr}))
}
