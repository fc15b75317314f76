// Command authz-gen writes a synthetic mesh (workloads, services and
// security policies) for benchmarking `meshctl authz matrix`.
//
//	go run ./bench/authz-gen -workloads 200 -services 200 -policies 400 > mesh.yaml
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"

	"github.com/meshctl/meshctl/pkg/authz/authztest"
)

func main() {
	var s authztest.Sizes
	flag.IntVar(&s.Workloads, "workloads", 200, "number of workloads")
	flag.IntVar(&s.Services, "services", 200, "number of services")
	flag.IntVar(&s.Policies, "policies", 400, "number of policies")
	flag.Parse()
	w := bufio.NewWriter(os.Stdout)
	if err := authztest.Write(w, s); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := w.Flush(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
