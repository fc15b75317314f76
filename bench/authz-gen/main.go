// Command authz-gen writes a synthetic mesh (workloads, services, security
// policies and, on request, Sidecars, ServiceEntries, VirtualServices and
// NetworkPolicies) for benchmarking `meshctl authz matrix`.
//
//	go run ./bench/authz-gen -workloads 200 -services 200 -policies 400 > mesh.yaml
//	go run ./bench/authz-gen -workloads 200 -services 200 -policies 400 \
//	    -sidecars 100 -serviceentries 200 -virtualservices 200 -networkpolicies 200 > mesh.yaml
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"

	"github.com/meshctl/meshctl/internal/authzgen"
)

func main() {
	var s authzgen.Sizes
	flag.IntVar(&s.Workloads, "workloads", 200, "number of workloads")
	flag.IntVar(&s.Services, "services", 200, "number of services")
	flag.IntVar(&s.Policies, "policies", 400, "number of policies")
	flag.IntVar(&s.Sidecars, "sidecars", 0, "number of Sidecars")
	flag.IntVar(&s.ServiceEntries, "serviceentries", 0, "number of ServiceEntries (one host each)")
	flag.IntVar(&s.VirtualServices, "virtualservices", 0, "number of VirtualServices (plus DestinationRules for their subsets)")
	flag.IntVar(&s.NetworkPolicies, "networkpolicies", 0, "number of NetworkPolicies")
	flag.Parse()
	w := bufio.NewWriter(os.Stdout)
	if err := authzgen.Write(w, s); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := w.Flush(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
