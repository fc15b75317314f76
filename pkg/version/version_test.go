package version

import (
	"os"
	"runtime/debug"
	"strings"
	"testing"

	"golang.org/x/mod/modfile"
)

func TestIstioReleaseFromModuleVersion(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"v1.31.4":                            "1.31.4",
		"v1.32.0-alpha.1":                    "1.32.0",
		"v0.0.0-20260101000000-abcdefabcdef": "0.0.0",
		"1.30.0+incompatible":                "1.30.0",
	} {
		if got := IstioRelease(in); got != want {
			t.Errorf("IstioRelease(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestReadUsesIstioAPIDependency(t *testing.T) {
	t.Parallel()
	got := read(func() (*debug.BuildInfo, bool) {
		return &debug.BuildInfo{
			Main: debug.Module{Path: "github.com/meshctl/meshctl", Version: "v0.3.0"},
			Deps: []*debug.Module{{Path: "istio.io/api", Version: "v1.40.2"}},
			Settings: []debug.BuildSetting{
				{Key: "vcs.revision", Value: "abc123"},
				{Key: "vcs.modified", Value: "true"},
			},
		}, true
	})
	if got.Version != "v0.3.0" || got.IstioVersion != "1.40.2" || got.GitCommit != "abc123" || got.GitTreeState != "dirty" {
		t.Fatalf("unexpected info: %+v", got)
	}
	none := read(func() (*debug.BuildInfo, bool) { return nil, false })
	if none.Version != "devel" || none.IstioVersion != fallbackIstio {
		t.Fatalf("without build info: %+v", none)
	}
}

// The fallback must agree with go.mod, the single source of truth.
func TestFallbackMatchesGoMod(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	mf, err := modfile.Parse("go.mod", data, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range mf.Require {
		if r.Mod.Path == IstioAPIModule {
			if got := IstioRelease(r.Mod.Version); got != fallbackIstio {
				t.Fatalf("fallbackIstio = %q but go.mod requires istio.io/api %s; update the constant", fallbackIstio, r.Mod.Version)
			}
			if !strings.HasPrefix(Istio(), "1.") {
				t.Fatalf("Istio() = %q", Istio())
			}
			return
		}
	}
	t.Fatal("go.mod does not require istio.io/api")
}
