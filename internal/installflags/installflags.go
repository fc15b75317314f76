// Package installflags holds the install flags that several commands share
// (manifest generate, manifest apply, kube-inject): --set, -f/--filename and
// --revision, and turns them into render options.
package installflags

import (
	"fmt"
	"io"

	"github.com/spf13/pflag"

	"github.com/meshctl/meshctl/pkg/install/manifest"
	"github.com/meshctl/meshctl/pkg/install/render"
	"github.com/meshctl/meshctl/pkg/yamlstream"
)

// Flags are the shared install flags.
type Flags struct {
	// Sets are --set path=value flags, in order.
	Sets []string
	// Files are -f overlay files, in order; "-" is standard input.
	Files []string
	// Revision is --revision.
	Revision string
}

// AddFlags registers the flags on fs.
func (f *Flags) AddFlags(fs *pflag.FlagSet) {
	fs.StringArrayVar(&f.Sets, "set", nil, "Override an IstioOperator field, as istioctl: profile=demo, meshConfig.accessLogFile=/dev/stdout, values.global.proxy.resources.requests.cpu=50m, components.ingressGateways[name:istio-ingressgateway].enabled=false (repeatable; later wins)")
	fs.StringArrayVarP(&f.Files, "filename", "f", nil, "IstioOperator overlay file, applied in order after the profile and before --set; - reads standard input (repeatable)")
	fs.StringVarP(&f.Revision, "revision", "r", "", "Control plane revision, for a side-by-side (canary) install")
}

// Options reads the -f files (stdin for "-") and returns the render options.
func (f *Flags) Options(stdin io.Reader) (render.Options, error) {
	o := render.Options{Sets: f.Sets, Revision: f.Revision}
	if len(f.Files) == 0 {
		return o, nil
	}
	files, err := yamlstream.ExpandPaths(f.Files)
	if err != nil {
		return o, fmt.Errorf("reading overlays: %w", err)
	}
	for _, file := range files {
		before := len(o.Files)
		err := yamlstream.ReadPaths([]string{file}, stdin, func(d yamlstream.Document) error {
			if d.IsEmpty() {
				return nil
			}
			if _, err := d.ToJSON(); err != nil {
				return err // a key given twice, which decoding would hide
			}
			o.Files = append(o.Files, render.Input{Source: d.Where(), Data: d.Raw, Locate: d.FieldAt})
			return nil
		})
		if err != nil {
			return o, fmt.Errorf("reading overlays: %w", err)
		}
		// An overlay that holds nothing would render the profile as if
		// it were not given: surely not what was meant.
		if len(o.Files) == before {
			name := file
			if file == yamlstream.Stdin {
				name = "standard input"
			}
			return o, fmt.Errorf("reading overlays: %s holds no IstioOperator document", name)
		}
	}
	return o, nil
}

// Merge returns the merged IstioOperator the flags describe.
func (f *Flags) Merge(stdin io.Reader) (*render.Merged, error) {
	o, err := f.Options(stdin)
	if err != nil {
		return nil, err
	}
	return render.Merge(o)
}

// Render returns the install the flags describe.
func (f *Flags) Render(stdin io.Reader) (*manifest.Manifest, error) {
	m, err := f.Merge(stdin)
	if err != nil {
		return nil, err
	}
	return m.Render()
}
