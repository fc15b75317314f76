// Command devcluster starts the same etcd + kube-apiserver pair the
// integration tests use, in the foreground, and prints the KUBECONFIG to
// export so that meshctl can be tried by hand. With -istiod it also installs
// the demo profile with meshctl and runs Istio's real istiod against it, its
// webhooks pointed at it, as test/istiod does. Ctrl-C stops everything and
// removes the data. Run it with `make cluster` (`make cluster ISTIOD=1`).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/kubernetes"

	"github.com/meshctl/meshctl/internal/cli"
	"github.com/meshctl/meshctl/internal/testcluster"
)

func main() {
	dir := flag.String("dir", "", "keep the cluster's state and kubeconfig files in this directory (default: a temporary directory removed on exit)")
	withIstiod := flag.Bool("istiod", false, "install the demo profile with meshctl and run istiod (pilot-discovery) against it")
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
	if *withIstiod {
		if err := startIstiod(ctx, c); err != nil {
			fmt.Fprintln(os.Stderr, "devcluster:", err)
			c.Stop()
			os.Exit(1)
		}
	}
	fmt.Printf("  export KUBECONFIG=%s\n\n", c.AdminKubeconfig)
	fmt.Printf("An unprivileged user (no RBAC bindings) for trying permission errors:\n\n  export KUBECONFIG=%s\n\n", c.DevKubeconfig)
	fmt.Println("No controllers, scheduler or kubelet run: objects are stored and validated, pods never start.")
	fmt.Println("Press Ctrl-C to stop.")
	<-ctx.Done()
	fmt.Println("\nstopping")
}

func startIstiod(ctx context.Context, c *testcluster.Cluster) error {
	var out strings.Builder
	args := []string{"install", "--set", "profile=demo", "-y", "--wait=false", "--kubeconfig", c.AdminKubeconfig}
	if code := cli.Main(args, genericiooptions.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &out}); code != 0 {
		return fmt.Errorf("meshctl install: exit %d\n%s", code, out.String())
	}
	d, err := c.StartIstiod(ctx, testcluster.IstiodOptions{})
	if err != nil {
		return err
	}
	kc, err := kubernetes.NewForConfig(c.AdminConfig())
	if err != nil {
		return err
	}
	if _, err := d.PointWebhooks(ctx, kc); err != nil {
		return err
	}
	fmt.Printf("meshctl installed the demo profile; istiod is ready (debug and xDS: http://%s, grpc %s; webhooks %s).\n", d.HTTPAddr, d.GRPCAddr, d.WebhookURL)
	fmt.Println("Label a namespace istio-injection=enabled and the Pods you create there are injected by istiod.")
	fmt.Println()
	return nil
}
