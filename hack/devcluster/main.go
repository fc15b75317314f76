// Command devcluster starts the same etcd + kube-apiserver pair the
// integration tests use, in the foreground, and prints the KUBECONFIG to
// export so that meshctl can be tried by hand. Ctrl-C stops both servers and
// removes their data. Run it with `make cluster`.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/meshctl/meshctl/internal/testcluster"
)

func main() {
	dir := flag.String("dir", "", "keep the cluster's state and kubeconfig files in this directory (default: a temporary directory removed on exit)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	c, err := testcluster.Start(ctx, testcluster.Options{Dir: *dir})
	if err != nil {
		fmt.Fprintln(os.Stderr, "devcluster:", err)
		os.Exit(1)
	}
	defer c.Stop()
	fmt.Printf("kube-apiserver is ready at %s\n\n", c.Host)
	fmt.Printf("  export KUBECONFIG=%s\n\n", c.AdminKubeconfig)
	fmt.Printf("An unprivileged user (no RBAC bindings) for trying permission errors:\n\n  export KUBECONFIG=%s\n\n", c.DevKubeconfig)
	fmt.Println("No controllers, scheduler or kubelet run: objects are stored and validated, pods never start.")
	fmt.Println("Press Ctrl-C to stop.")
	<-ctx.Done()
	fmt.Println("\nstopping")
}
