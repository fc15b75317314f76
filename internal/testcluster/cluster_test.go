package testcluster

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/kubernetes"
)

// When MESHCTL_TESTCLUSTER_CHILD is set, the test binary plays a test
// process that owns a cluster: it prints the server PIDs and waits to be
// killed.
func TestMain(m *testing.M) {
	switch os.Getenv("MESHCTL_TESTCLUSTER_CHILD") {
	case "signal":
		// Like Main: stops the cluster on SIGTERM.
		Main(&childM{})
	case "kill":
		c, err := Start(context.Background(), Options{})
		if err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		fmt.Println("pids", c.PIDs())
		select {}
	default:
		Main(m)
	}
}

// childM stands in for testing.M in the child: its Run prints the PIDs and
// blocks until the signal handler exits the process.
type childM struct{}

func (*childM) Run() int {
	fmt.Println("pids", shared.PIDs())
	select {}
}

func alive(pid int) bool {
	if err := syscall.Kill(pid, 0); err != nil {
		return false
	}
	// A zombie is dead for our purposes.
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	return err == nil && !strings.Contains(string(data), ") Z ")
}

func TestServersDieWithTheTestProcess(t *testing.T) {
	Get(t) // integration: needs the binaries, skipped under -short
	for _, tc := range []struct {
		mode string
		sig  syscall.Signal
	}{{"signal", syscall.SIGTERM}, {"kill", syscall.SIGKILL}} {
		t.Run(tc.mode, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), "MESHCTL_TESTCLUSTER_CHILD="+tc.mode)
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			line, err := bufio.NewReader(out).ReadString('\n')
			if err != nil || !strings.HasPrefix(line, "pids [") {
				_ = cmd.Process.Kill()
				t.Fatalf("child said %q (%v)", line, err)
			}
			var pids []int
			for _, f := range strings.Fields(strings.Trim(strings.TrimPrefix(strings.TrimSpace(line), "pids "), "[]")) {
				pid, _ := strconv.Atoi(f)
				pids = append(pids, pid)
			}
			if len(pids) != 2 {
				t.Fatalf("want 2 server pids, got %v", pids)
			}
			_ = cmd.Process.Signal(tc.sig)
			_ = cmd.Wait()
			deadline := time.Now().Add(10 * time.Second)
			for _, pid := range pids {
				for alive(pid) && time.Now().Before(deadline) {
					time.Sleep(50 * time.Millisecond)
				}
				if alive(pid) {
					_ = syscall.Kill(pid, syscall.SIGKILL)
					t.Fatalf("server process %d outlived the test process (%s)", pid, tc.sig)
				}
			}
		})
	}
}

func TestClusterServesBothUsers(t *testing.T) {
	c := Get(t)
	admin, err := kubernetes.NewForConfig(c.AdminConfig())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.CoreV1().Namespaces().List(context.Background(), metav1.ListOptions{}); err != nil {
		t.Fatalf("admin cannot list namespaces: %v", err)
	}
	dev, err := kubernetes.NewForConfig(c.DevConfig())
	if err != nil {
		t.Fatal(err)
	}
	_, err = dev.CoreV1().Namespaces().List(context.Background(), metav1.ListOptions{})
	if err == nil || !strings.Contains(err.Error(), `User "developer" cannot list resource "namespaces"`) {
		t.Fatalf("developer must be forbidden, got %v", err)
	}
}

func TestInstallIstioCRDsWaitsUntilDiscoveryServesEveryKind(t *testing.T) {
	c := Get(t)
	c.InstallIstioCRDs(t)
	disc, err := discovery.NewDiscoveryClientForConfig(c.AdminConfig())
	if err != nil {
		t.Fatal(err)
	}
	// Right after the call, a fresh discovery client finds every kind.
	for _, crd := range IstioCRDs(t) {
		for _, v := range crd.Spec.Versions {
			list, err := disc.ServerResourcesForGroupVersion(crd.Spec.Group + "/" + v.Name)
			if err != nil {
				t.Fatalf("%s/%s: %v", crd.Spec.Group, v.Name, err)
			}
			if !slices.ContainsFunc(list.APIResources, func(r metav1.APIResource) bool { return r.Kind == crd.Spec.Names.Kind }) {
				t.Errorf("%s not served in %s/%s", crd.Spec.Names.Kind, crd.Spec.Group, v.Name)
			}
		}
	}
	if n := len(IstioCRDs(t)); n < 10 {
		t.Errorf("only %d Istio CRDs", n)
	}
}
