package testcluster

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"testing"
)

var shared *Cluster

// Main is a TestMain for packages with integration tests: it starts one
// cluster for the whole package, runs the tests and always stops the cluster,
// also on SIGINT/SIGTERM. Under -short no cluster is started and Get skips.
//
//	func TestMain(m *testing.M) { testcluster.Main(m) }
func Main(m interface{ Run() int }) {
	flag.Parse()
	if testing.Short() || fuzzing() {
		os.Exit(m.Run())
	}
	c, err := Start(context.Background(), Options{})
	if err != nil {
		fmt.Fprintf(os.Stderr, "testcluster: %v\n", err)
		os.Exit(1)
	}
	shared = c
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		s := <-sig
		c.Stop()
		fmt.Fprintf(os.Stderr, "testcluster: stopped on %s\n", s)
		os.Exit(130)
	}()
	code := m.Run()
	if code != 0 {
		// A failed integration test is often explained by the server's
		// own errors: show them, since the log goes with the cluster.
		fmt.Fprint(os.Stderr, c.errorLog(40))
	}
	c.Stop()
	os.Exit(code)
}

// fuzzing reports whether this process runs a fuzz target (or is one of its
// workers): only fuzz targets run then, and they never need a cluster, so
// starting one per worker would only waste seconds and memory.
func fuzzing() bool {
	if f := flag.Lookup("test.fuzz"); f != nil && f.Value.String() != "" {
		return true
	}
	if f := flag.Lookup("test.fuzzworker"); f != nil && f.Value.String() == "true" {
		return true
	}
	return false
}

// Get returns the package's cluster. Under -short it skips the test: the
// integration tests are the ones that need a cluster.
func Get(t testing.TB) *Cluster {
	t.Helper()
	if shared == nil {
		if testing.Short() {
			t.Skip("integration test: needs the test API server, skipped with -short")
		}
		t.Fatal("no test cluster: the package's TestMain must call testcluster.Main")
	}
	return shared
}
