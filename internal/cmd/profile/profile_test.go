package profile

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	"github.com/meshctl/meshctl/internal/cmdutil"
	"github.com/meshctl/meshctl/internal/cmdutil/cmdtest"
	"github.com/meshctl/meshctl/internal/installflags"
	"github.com/meshctl/meshctl/pkg/install/render"
	"github.com/meshctl/meshctl/pkg/version"
	"github.com/meshctl/meshctl/profiles"
)

func newFactory(in string, out *bytes.Buffer) *cmdutil.Factory {
	return cmdtest.Factory(in, out, nil)
}

func run(t *testing.T, in string, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	cmd := NewCmd(newFactory(in, &out))
	cmd.SetArgs(args)
	cmd.SetOut(&bytes.Buffer{})
	cmd.SetErr(&bytes.Buffer{})
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	err := cmd.Execute()
	return out.String(), err
}

func TestList(t *testing.T) {
	t.Parallel()
	out, err := run(t, "", "list")
	if err != nil {
		t.Fatal(err)
	}
	if want := "default\ndemo\nempty\nminimal\npreview\nremote\n"; out != want {
		t.Errorf("got %q, want %q", out, want)
	}
}

func TestDumpFlags(t *testing.T) {
	t.Parallel()
	var got *DumpOptions
	cmd := newDumpCmd(newFactory("", &bytes.Buffer{}), func(o *DumpOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"demo", "--config-path", "components.pilot", "-o", "flags", "--set", "hub=x"})
	cmd.SetOut(&bytes.Buffer{})
	cmd.SetErr(&bytes.Buffer{})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got.Profile != "demo" || got.ConfigPath != "components.pilot" || got.Output != "flags" || len(got.Install.Sets) != 1 {
		t.Errorf("options = %+v", *got)
	}
	_, err := run(t, "", "dump", "-o", "table")
	var u *cmdutil.UsageError
	if !errors.As(err, &u) {
		t.Errorf("-o table: error %v, want a usage error", err)
	}
	if _, err := run(t, "", "dump", "a", "b"); err == nil {
		t.Error("two profiles must be refused")
	}
}

func TestDump(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		args []string
		want []string // lines that must be in the output
		not  []string
	}{
		{"flags of a subtree", "", []string{"dump", "demo", "--config-path", "components.egressGateways", "-o", "flags"},
			[]string{"components.egressGateways[0].enabled=true", "components.egressGateways[0].name=istio-egressgateway"}, nil},
		{"default tag", "", []string{"dump", "-o", "flags", "--config-path", "tag"}, []string{"tag=" + version.Istio()}, nil},
		{"overrides applied", "", []string{"dump", "minimal", "--set", "values.pilot.replicaCount=3", "--config-path", "values.pilot", "-o", "flags"},
			[]string{"values.pilot.replicaCount=3"}, nil},
		{"chart defaults shown", "", []string{"dump", "--config-path", "values.global.proxy", "-o", "flags"},
			[]string{"values.global.proxy.image=proxyv2", "values.global.proxy.resources.requests.cpu=100m"}, nil},
		{"demo values over chart defaults", "", []string{"dump", "demo", "--config-path", "values.global.proxy.resources", "-o", "flags"},
			[]string{"values.global.proxy.resources.requests.cpu=10m", "values.global.proxy.resources.limits.memory=1024Mi"}, nil},
		{"gateway defaults", "", []string{"dump", "--config-path", "values.gateways.istio-egressgateway", "-o", "flags"},
			[]string{"values.gateways.istio-egressgateway.type=ClusterIP", "values.gateways.istio-egressgateway.autoscaleMax=5"}, nil},
		{"file from stdin", "apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nspec:\n  hub: my.registry/istio\n", []string{"dump", "-f", "-", "-o", "flags", "--config-path", "hub"},
			[]string{"hub=my.registry/istio"}, nil},
		{"yaml", "", []string{"dump", "empty"}, []string{"apiVersion: install.istio.io/v1alpha1", "kind: IstioOperator", "  profile: empty"}, []string{"profile: default"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			out, err := run(t, tt.in, tt.args...)
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(out, "\n")
			for _, w := range tt.want {
				if !contains(lines, w) {
					t.Errorf("no line %q in:\n%s", w, out)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(out, n) {
					t.Errorf("%q in:\n%s", n, out)
				}
			}
		})
	}
}

func contains(lines []string, s string) bool {
	for _, l := range lines {
		if l == s {
			return true
		}
	}
	return false
}

// JSON and YAML dumps are the same document.
func TestDumpFormatsAgree(t *testing.T) {
	t.Parallel()
	y, err := run(t, "", "dump", "demo")
	if err != nil {
		t.Fatal(err)
	}
	j, err := run(t, "", "dump", "demo", "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	var fromY, fromJ any
	if err := yaml.Unmarshal([]byte(y), &fromY); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(j), &fromJ); err != nil {
		t.Fatal(err)
	}
	yb, _ := json.Marshal(fromY)
	jb, _ := json.Marshal(fromJ)
	if string(yb) != string(jb) {
		t.Error("yaml and json dumps differ")
	}
}

func TestDumpErrors(t *testing.T) {
	t.Parallel()
	if _, err := run(t, "", "dump", "nope"); err == nil || !strings.Contains(err.Error(), `unknown profile "nope"`) {
		t.Errorf("unknown profile: %v", err)
	}
	if _, err := run(t, "", "dump", "--config-path", "values.nothing"); err == nil || !strings.Contains(err.Error(), "values.nothing: not found") {
		t.Errorf("missing path: %v", err)
	}
}

func TestDiff(t *testing.T) {
	t.Parallel()
	out, err := run(t, "", "diff", "default", "demo")
	if code := cmdutil.ExitCode(err); code != 1 {
		t.Fatalf("exit code %d (%v), want 1", code, err)
	}
	for _, want := range []string{
		"~ spec.components.egressGateways[name:istio-egressgateway].enabled: false -> true",
		`~ spec.profile: "default" -> "demo"`,
		"+ spec.values.pilot: ",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in:\n%s", want, out)
		}
	}
	out, err = run(t, "", "diff", "minimal", "minimal")
	if err != nil || out != "" {
		t.Errorf("same profiles: out %q, err %v", out, err)
	}
	// An unknown profile is trouble (2), not "they differ" (1).
	_, err = run(t, "", "diff", "default", "no-such-profile")
	if code := cmdutil.ExitCode(err); code != 2 || !strings.Contains(err.Error(), "no-such-profile") {
		t.Errorf("unknown profile: exit %d, %v", code, err)
	}
}

func TestCompletion(t *testing.T) {
	t.Parallel()
	var c *cobra.Command
	for _, sub := range NewCmd(newFactory("", &bytes.Buffer{})).Commands() {
		if sub.Name() == "diff" {
			c = sub
		}
	}
	names, _ := c.ValidArgsFunction(c, []string{"default"}, "")
	if len(names) != 6 || names[0] != "default" {
		t.Errorf("completions = %v", names)
	}
	if names, _ := c.ValidArgsFunction(c, []string{"a", "b"}, ""); len(names) != 0 {
		t.Errorf("after two profiles: %v", names)
	}
}

// TestDumpFlagsRenderTheSameInstall: for every profile, the lines of
// `profile dump P -o flags`, given back as --set, render the same bytes as
// --set profile=P, the values ConfigMap included (once, the gateway
// chart's defaults made istiod record extra values).
func TestDumpFlagsRenderTheSameInstall(t *testing.T) {
	t.Parallel()
	renderSets := func(sets []string) []byte {
		f := installflags.Flags{Sets: sets}
		m, err := f.Render(strings.NewReader(""))
		if err != nil {
			t.Fatalf("rendering %d --set flags: %v", len(sets), err)
		}
		var buf bytes.Buffer
		if err := render.Write(&buf, m.Objects); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	for _, p := range profiles.Names() {
		out, err := run(t, "", "dump", p, "-o", "flags")
		if err != nil {
			t.Fatal(err)
		}
		sets := strings.Split(strings.TrimSpace(out), "\n")
		if p != "empty" && len(sets) < 10 {
			t.Errorf("%s: only %d flags", p, len(sets))
		}
		if got, want := renderSets(sets), renderSets([]string{"profile=" + p}); !bytes.Equal(got, want) {
			t.Errorf("%s: rendering its %d dumped flags differs from --set profile=%s", p, len(sets), p)
		}
	}
}
