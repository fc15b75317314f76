// Package version reports meshctl's own version and the Istio release it
// targets. Both come from the binary's build information, so go.mod is the
// single source of truth: the Istio release is the version of istio.io/api
// that meshctl was built with.
package version

import (
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
)

// IstioAPIModule is the module whose version defines the Istio release that
// meshctl installs and understands.
const IstioAPIModule = "istio.io/api"

// fallbackIstio is used only when the binary carries no build information at
// all (for example some stripped test binaries); it is checked against go.mod
// by a test so it cannot silently drift.
const fallbackIstio = "1.31.4"

// Info describes a meshctl build.
type Info struct {
	Version      string `json:"version"`
	GitCommit    string `json:"gitCommit,omitempty"`
	GitTreeState string `json:"gitTreeState,omitempty"`
	GoVersion    string `json:"goVersion"`
	Platform     string `json:"platform"`
	IstioVersion string `json:"istioVersion"`
}

// injected at link time by release builds: -X .../pkg/version.version=v1.2.3
var version string

var (
	once sync.Once
	info Info
)

// Get returns the build's version information.
func Get() Info {
	once.Do(func() { info = read(debug.ReadBuildInfo) })
	return info
}

func read(readBuildInfo func() (*debug.BuildInfo, bool)) Info {
	i := Info{
		Version:      version,
		GoVersion:    runtime.Version(),
		Platform:     runtime.GOOS + "/" + runtime.GOARCH,
		IstioVersion: fallbackIstio,
	}
	bi, ok := readBuildInfo()
	if !ok {
		if i.Version == "" {
			i.Version = "devel"
		}
		return i
	}
	if i.Version == "" {
		i.Version = bi.Main.Version
	}
	if i.Version == "" || i.Version == "(devel)" {
		i.Version = "devel"
	}
	for _, d := range bi.Deps {
		if d.Path == IstioAPIModule {
			v := d.Version
			if d.Replace != nil && d.Replace.Version != "" {
				v = d.Replace.Version
			}
			i.IstioVersion = IstioRelease(v)
		}
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			i.GitCommit = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				i.GitTreeState = "dirty"
			} else {
				i.GitTreeState = "clean"
			}
		}
	}
	return i
}

// IstioRelease turns a module version such as "v1.31.4" into the Istio
// release name used for image tags ("1.31.4"). Pseudo-versions keep their
// base release.
func IstioRelease(moduleVersion string) string {
	v := strings.TrimPrefix(moduleVersion, "v")
	if i := strings.IndexAny(v, "-+"); i >= 0 {
		v = v[:i]
	}
	return v
}

// Istio returns the Istio release meshctl targets, e.g. "1.31.4".
func Istio() string { return Get().IstioVersion }
