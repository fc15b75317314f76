// Package render turns a profile plus the user's overrides into the
// ordered Kubernetes objects of an Istio install, in memory: merge the
// IstioOperator inputs in istioctl's precedence, translate them to chart
// values, render the embedded charts and tag every object with its
// component and ownership labels.
package render

import (
	"errors"
	"fmt"
	"io/fs"
	"sync"

	"sigs.k8s.io/yaml"

	"github.com/meshctl/meshctl/charts"
	"github.com/meshctl/meshctl/pkg/install/iop"
	"github.com/meshctl/meshctl/pkg/version"
	"github.com/meshctl/meshctl/profiles"
)

// DefaultInstallName names an install whose IstioOperator has no name,
// as istioctl does.
const DefaultInstallName = "installed-state"

// Input is one IstioOperator overlay file (-f).
type Input struct {
	// Source names the input in messages: a file name and document.
	Source string
	Data   []byte
	// Locate, when set, names the place of a field ("spec.values.x") in
	// messages, with its line; Source is used where it is nil.
	Locate func(path string) string
}

// Options are the inputs of a render, in precedence order: the profile's
// overlays, then Files in order, then Sets in order, then Revision.
type Options struct {
	// Profile, when set, replaces the profile named by the inputs.
	Profile string
	Files   []Input
	// Sets are --set flags: "path=value".
	Sets []string
	// Revision, when set, is the control plane revision (as --set revision=).
	Revision string
}

// Merged is the merged IstioOperator of an install, before rendering.
type Merged struct {
	// Doc is the merged document, as written to an install record.
	Doc map[string]any
	// IOP is Doc decoded.
	IOP *iop.IstioOperator
	// Profile is the profile the install is an overlay on.
	Profile string
}

var (
	schemaOnce sync.Once
	schema     *iop.Schema
	schemaErr  error
)

// Schema is the IstioOperator schema for the embedded charts.
func Schema() (*iop.Schema, error) {
	schemaOnce.Do(func() { schema, schemaErr = buildSchema() })
	return schema, schemaErr
}

func buildSchema() (*iop.Schema, error) {
	istiod, err := chartValues("istiod")
	if err != nil {
		return nil, err
	}
	gw, err := chartValues("gateway")
	if err != nil {
		return nil, err
	}
	values := iop.DeepCopy(istiod)
	delete(values, "meshConfig") // spec.meshConfig is the place for it
	delete(values, "revision")   // spec.revision
	values["profile"] = ""
	values["defaultRevision"] = ""
	// Istio's component values that meshctl does not render yet still
	// validate, so that Istio's own overlays decode.
	values["cni"] = map[string]any{}
	values["ztunnel"] = map[string]any{}
	if base, err := chartValues("base"); err == nil {
		for k, v := range base {
			if _, ok := values[k]; !ok {
				values[k] = v
			}
		}
		if b, ok := base["base"]; ok {
			values["base"] = b
		}
	}
	gwSchema, _ := gw["gateway"].(map[string]any)
	return iop.NewSchema(values, gwSchema), nil
}

// chartValues reads a chart's values.yaml.
func chartValues(chart string) (map[string]any, error) {
	b, err := fs.ReadFile(charts.FS, chart+"/values.yaml")
	if err != nil {
		return nil, fmt.Errorf("chart %s: %w", chart, err)
	}
	var v map[string]any
	if err := yaml.Unmarshal(b, &v); err != nil {
		return nil, fmt.Errorf("chart %s: values.yaml: %w", chart, err)
	}
	return v, nil
}

// ProfileDoc returns a built-in profile merged over default, decoded.
func ProfileDoc(name string) (map[string]any, error) {
	m, err := Merge(Options{Profile: name})
	if err != nil {
		return nil, err
	}
	return m.Doc, nil
}

// Merge builds the merged IstioOperator: default profile, chosen profile,
// files in order, --set in order, --revision.
func Merge(o Options) (*Merged, error) {
	sc, err := Schema()
	if err != nil {
		return nil, err
	}
	overlays := make([]map[string]any, 0, len(o.Files))
	profile := ""
	for _, f := range o.Files {
		doc, err := sc.Decode(f.Data, f.Source)
		var fe *iop.FieldError
		if errors.As(err, &fe) && f.Locate != nil && fe.Source == f.Source {
			fe.Source = f.Locate(fe.Path)
		}
		if err != nil {
			return nil, err
		}
		if spec, ok := doc["spec"].(map[string]any); ok {
			if p, ok := spec["profile"].(string); ok && p != "" {
				profile = p
			}
		}
		overlays = append(overlays, doc)
	}
	sets := make([]iop.Set, 0, len(o.Sets))
	for _, s := range o.Sets {
		st, err := iop.ParseSet(s)
		if err != nil {
			return nil, err
		}
		if err := sc.CheckSet(st); err != nil {
			return nil, err
		}
		if st.Path == "profile" {
			p, ok := st.Value.(string)
			if !ok || p == "" {
				return nil, fmt.Errorf("--set %s: profile must be a name", s)
			}
			profile = p
		}
		sets = append(sets, st)
	}
	if o.Profile != "" {
		profile = o.Profile
	}
	if profile == "" {
		profile = profiles.Default
	}

	doc, err := profileOverlay(sc, profiles.Default)
	if err != nil {
		return nil, err
	}
	if profile != profiles.Default {
		p, err := profileOverlay(sc, profile)
		if err != nil {
			return nil, err
		}
		doc = iop.Merge(doc, p)
	}
	for _, ov := range overlays {
		doc = iop.Merge(doc, ov)
	}
	for _, st := range sets {
		if err := st.Apply(doc); err != nil {
			return nil, err
		}
	}
	spec, _ := doc["spec"].(map[string]any)
	if spec == nil {
		spec = map[string]any{}
		doc["spec"] = spec
	}
	if o.Revision != "" {
		spec["revision"] = o.Revision
	}
	spec["profile"] = profile
	if t, _ := spec["tag"].(string); t == "" {
		spec["tag"] = version.Istio()
	}
	doc["apiVersion"], doc["kind"] = iop.APIVersion, iop.Kind
	if err := sc.Check(doc, "merged configuration"); err != nil {
		return nil, err
	}
	typed, err := iop.Typed(doc)
	if err != nil {
		return nil, fmt.Errorf("merged configuration: %w", err)
	}
	if err := validateRevision(typed.Spec.Revision); err != nil {
		return nil, err
	}
	return &Merged{Doc: doc, IOP: typed, Profile: profile}, nil
}

func profileOverlay(sc *iop.Schema, name string) (map[string]any, error) {
	b, err := profiles.Get(name)
	if err != nil {
		return nil, err
	}
	return sc.Decode(b, "profile "+name)
}

// validateRevision checks that a revision can be part of object names and
// label values.
func validateRevision(rev string) error {
	if rev == "" {
		return nil
	}
	if rev == "default" {
		return fmt.Errorf("revision %q is reserved for the default control plane; leave revision empty", rev)
	}
	if len(rev) > 40 {
		return fmt.Errorf("revision %q is longer than 40 characters", rev)
	}
	for i, c := range rev {
		ok := c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' && i > 0 && i < len(rev)-1
		if !ok {
			return fmt.Errorf("revision %q must be lower-case letters, digits and inner dashes", rev)
		}
	}
	return nil
}

// WithChartDefaults returns the merged document with the charts' default
// values filled in under spec.values, where the inputs did not set them:
// the effective values, as `profile dump` shows them.
func (m *Merged) WithChartDefaults() (map[string]any, error) {
	return m.withDefaults(true)
}

// WithIstiodChartDefaults is WithChartDefaults without the gateway chart's
// defaults under values.gateways: what `profile dump -o flags` prints.
// Those defaults are not part of istiod's chart values, so giving them
// back with --set would change the values istiod's ConfigMap records.
func (m *Merged) WithIstiodChartDefaults() (map[string]any, error) {
	return m.withDefaults(false)
}

func (m *Merged) withDefaults(gatewayDefaults bool) (map[string]any, error) {
	istiod, err := chartValues("istiod")
	if err != nil {
		return nil, err
	}
	defaults := iop.DeepCopy(istiod)
	for _, k := range []string{"meshConfig", "revision", "ownerName"} {
		delete(defaults, k)
	}
	gw, err := chartValues("gateway")
	if err != nil {
		return nil, err
	}
	gwDefaults, _ := gw["gateway"].(map[string]any)
	gateways := mapAt(defaults, "gateways")
	if spec, ok := m.Doc["spec"].(map[string]any); ok {
		if vals, ok := spec["values"].(map[string]any); ok {
			if set, ok := vals["gateways"].(map[string]any); ok {
				for name, v := range set {
					if _, isMap := v.(map[string]any); gatewayDefaults && isMap && name != "securityContext" && name != "seccompProfile" {
						gateways[name] = iop.DeepCopy(gwDefaults)
					}
				}
			}
		}
	}
	base := map[string]any{"spec": map[string]any{"values": defaults}}
	return iop.Merge(base, m.Doc), nil
}
