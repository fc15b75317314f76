package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// buildMeshctl links the real binary, as `make build` does, so the test sees
// the package initialisation order the linker chose for it.
func buildMeshctl(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "meshctl")
	cmd := exec.Command("go", "build", "-trimpath", "-o", bin, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// The collector stays off until every package is initialised: initgc is
// initialised before the packages that allocate most at start-up, and no
// collection starts before main.
func TestNoCollectionDuringPackageInit(t *testing.T) {
	if testing.Short() {
		t.Skip("links the meshctl binary")
	}
	bin := buildMeshctl(t)
	cmd := exec.Command(bin, "version", "--client")
	cmd.Env = append(withoutEnv(os.Environ(), "GOGC", "GODEBUG", "GOMEMLIMIT"), "GODEBUG=inittrace=1,gctrace=1")
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("meshctl version --client: %v\n%s", err, stderr.String())
	}
	if !strings.HasPrefix(stdout.String(), "meshctl version: ") {
		t.Fatalf("unexpected output %q", stdout.String())
	}

	lines := strings.Split(stderr.String(), "\n")
	order := map[string]int{}
	for i, line := range lines {
		if fields := strings.Fields(line); len(fields) > 1 && fields[0] == "init" {
			order[fields[1]] = i
		}
	}
	for i, line := range lines[:lastInit(lines)+1] {
		if strings.HasPrefix(line, "gc ") {
			t.Errorf("a collection ran during package init (trace line %d): %s", i, line)
		}
	}
	self, ok := order["github.com/meshctl/meshctl/internal/initgc"]
	if !ok {
		t.Fatalf("initgc was not initialised; inittrace:\n%s", stderr.String())
	}
	// The largest start-up allocators, measured with GODEBUG=inittrace=1.
	for _, heavy := range []string{
		"github.com/santhosh-tekuri/jsonschema/v6",
		"k8s.io/client-go/kubernetes/scheme",
		"istio.io/client-go/pkg/clientset/versioned/scheme",
	} {
		at, ok := order[heavy]
		if !ok {
			t.Errorf("%s is no longer linked; update this list", heavy)
			continue
		}
		if at < self {
			t.Errorf("%s is initialised before initgc, with the collector still on", heavy)
		}
	}
}

// lastInit is the index of the last inittrace line.
func lastInit(lines []string) int {
	last := -1
	for i, line := range lines {
		if strings.HasPrefix(line, "init ") {
			last = i
		}
	}
	return last
}

func withoutEnv(env []string, names ...string) []string {
	var out []string
next:
	for _, kv := range env {
		for _, n := range names {
			if strings.HasPrefix(kv, n+"=") {
				continue next
			}
		}
		out = append(out, kv)
	}
	return out
}
