package manifest

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/meshctl/meshctl/internal/cmdutil"
	"github.com/meshctl/meshctl/internal/cmdutil/cmdtest"
	"github.com/meshctl/meshctl/internal/testutil/golden"
	"github.com/meshctl/meshctl/pkg/install/render"
)

func newFactory(in string, out, errOut *bytes.Buffer) *cmdutil.Factory {
	return cmdtest.Factory(in, out, errOut)
}

func execute(cmd *cobra.Command, args ...string) error {
	cmd.SetArgs(args)
	cmd.SetOut(&bytes.Buffer{})
	cmd.SetErr(&bytes.Buffer{})
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	return cmd.Execute()
}

func TestGenerateFlags(t *testing.T) {
	t.Parallel()
	var got *GenerateOptions
	cmd := newGenerateCmd(newFactory("", &bytes.Buffer{}, &bytes.Buffer{}), func(o *GenerateOptions) error { got = o; return nil })
	err := execute(cmd, "--set", "profile=demo", "--set", "hub=x,y", "-f", "a.yaml", "--filename=-", "--revision", "canary", "-d", "out", "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"profile=demo", "hub=x,y"}; !reflect.DeepEqual(got.Install.Sets, want) {
		t.Errorf("sets = %q, want %q (in order, commas kept)", got.Install.Sets, want)
	}
	if want := []string{"a.yaml", "-"}; !reflect.DeepEqual(got.Install.Files, want) {
		t.Errorf("files = %q", got.Install.Files)
	}
	if got.Install.Revision != "canary" || got.OutputDir != "out" || got.Output != "json" {
		t.Errorf("revision %q, output dir %q, format %q", got.Install.Revision, got.OutputDir, got.Output)
	}
	if err := execute(newGenerateCmd(newFactory("", &bytes.Buffer{}, &bytes.Buffer{}), func(*GenerateOptions) error { return nil }), "extra"); err == nil {
		t.Error("an argument must be refused")
	}
}

func TestDiffFlags(t *testing.T) {
	t.Parallel()
	var got *DiffOptions
	cmd := newDiffCmd(newFactory("", &bytes.Buffer{}, &bytes.Buffer{}), func(o *DiffOptions) error { got = o; return nil })
	if err := execute(cmd, "x.yaml", "y.yaml", "--select", "Deployment,Service", "--ignore", "ConfigMap"); err != nil {
		t.Fatal(err)
	}
	if got.A != "x.yaml" || got.B != "y.yaml" || !reflect.DeepEqual(got.Select, []string{"Deployment", "Service"}) || !reflect.DeepEqual(got.Ignore, []string{"ConfigMap"}) {
		t.Errorf("options = %+v", *got)
	}
	cmd = newDiffCmd(newFactory("", &bytes.Buffer{}, &bytes.Buffer{}), func(*DiffOptions) error { return nil })
	if err := execute(cmd, "only-one.yaml"); err == nil {
		t.Error("one argument must be refused")
	}
}

// The command's output is the renderer's, byte for byte, on every run.
func TestGenerateOutput(t *testing.T) {
	t.Parallel()
	m, err := render.Render(render.Options{Sets: []string{"profile=minimal"}, Revision: "canary"})
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	if err := render.Write(&want, m.Objects); err != nil {
		t.Fatal(err)
	}
	overlay := "apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nspec:\n  profile: minimal\n"
	for i := 0; i < 2; i++ {
		var out, errOut bytes.Buffer
		cmd := newGenerateCmd(newFactory(overlay, &out, &errOut), nil)
		if err := execute(cmd, "-f", "-", "--revision", "canary"); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out.Bytes(), want.Bytes()) {
			t.Fatalf("run %d: output differs from the renderer's", i)
		}
		if errOut.Len() != 0 {
			t.Errorf("stderr: %s", errOut.String())
		}
	}
	if !strings.Contains(want.String(), "name: istiod-canary") {
		t.Error("the canary render has no istiod-canary")
	}
}

func TestGenerateOutputDir(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "out")
	var out bytes.Buffer
	cmd := newGenerateCmd(newFactory("", &out, &bytes.Buffer{}), nil)
	if err := execute(cmd, "--set", "profile=demo", "--output-dir", dir); err != nil {
		t.Fatal(err)
	}
	if out.Len() != 0 {
		t.Error("with --output-dir nothing goes to stdout")
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	var all []byte
	for _, e := range entries {
		names = append(names, e.Name())
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, b...)
	}
	want := []string{"02-Pilot.yaml", "05-IngressGateways.yaml", "06-EgressGateways.yaml"}
	if _, err := os.Stat("../../../charts/base/Chart.yaml"); err == nil {
		want = append([]string{"01-Base.yaml"}, want...)
	}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("files = %q, want %q", names, want)
	}
	var stdout bytes.Buffer
	if err := execute(newGenerateCmd(newFactory("", &stdout, &bytes.Buffer{}), nil), "--set", "profile=demo"); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(all, stdout.Bytes()) {
		t.Error("the files, in name order, are not the stdout output")
	}
}

const emptyFile = "testdata/no-yaml/empty.yml.txt"

func TestGenerateErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		in   string
		want string
	}{
		{[]string{"--set", "values.global.proxy.imag=x"}, "", "did you mean values.global.proxy.image?"},
		{[]string{"-f", "-"}, "apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nspec:\n  bogus: 1\n", "<stdin>"},
		{[]string{"-f", "does-not-exist.yaml"}, "", "does-not-exist.yaml"},
		// An overlay that holds nothing would render the profile as if it
		// were not given.
		{[]string{"-f", "-"}, "\n---\n# only a comment\n", "standard input holds no IstioOperator document"},
		{[]string{"-f", emptyFile}, "", emptyFile + " holds no IstioOperator document"},
		{[]string{"-f", "testdata/no-yaml"}, "", "testdata/no-yaml: the directory holds no .yaml, .yml or .json file"},
		// Values and MeshConfig fields are checked against their types:
		// each of these rendered and exited 0.
		{[]string{"--set", "values.pilot.replicaCount=abc"}, "", `values.pilot.replicaCount: want a number, got "abc"`},
		{[]string{"--set", "values.pilot.replicaCount=-5"}, "", "values.pilot.replicaCount: want zero or more, got -5"},
		{[]string{"--set", "values.pilot.replicaCount=2.5"}, "", "values.pilot.replicaCount: want a whole number, got 2.5"},
		{[]string{"--set", "values.pilot.replicaCount=[1,2]"}, "", `values.pilot.replicaCount: want a number, got "[1,2]"`},
		{[]string{"--set", "values.global.proxy.resources.requests.cpu=lots"}, "", `want a quantity such as 100m, 2 or 128Mi, got "lots"`},
		{[]string{"--set", "meshConfig.enableAutoMtls=maybe"}, "", `meshConfig.enableAutoMtls: want true or false, got "maybe"`},
		{[]string{"--set", "meshConfig.outboundTrafficPolicy.mode=REGISTRYONLY"}, "", `got "REGISTRYONLY" (did you mean REGISTRY_ONLY?)`},
		{[]string{"--set", "values.global.proxy.resources=5"}, "", "values.global.proxy.resources: is an object, not the single value 5"},
		{[]string{"-f", "-"}, "apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nspec:\n  values:\n    pilot:\n      replicaCount: abc\n", `spec.values.pilot.replicaCount: want a number, got "abc"`},
		{[]string{"-f", "-"}, "apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nspec:\n  meshConfig:\n    outboundTrafficPolicy: {mode: REGISTRYONLY}\n", "(did you mean REGISTRY_ONLY?)"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			err := execute(newGenerateCmd(newFactory(tc.in, &out, &bytes.Buffer{}), nil), tc.args...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v, want it to contain %q", err, tc.want)
			}
			if cmdutil.ExitCode(err) != cmdutil.ExitFailure {
				t.Errorf("exit code %d", cmdutil.ExitCode(err))
			}
			if out.Len() != 0 {
				t.Error("nothing may reach stdout on error")
			}
		})
	}
}

func TestDiff(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		args     []string
		wantCode int
		golden   string
		want     string
	}{
		{"different", []string{"testdata/a.yaml", "testdata/b.yaml"}, 1, "diff-a-b.golden", ""},
		{"same by meaning", []string{"testdata/a.yaml", "testdata/a-reordered.json"}, 0, "", ""},
		{"select", []string{"testdata/a.yaml", "testdata/b.yaml", "--select", "service"}, 1, "", "~ Service shop/web\n    + spec.ports[port:8080]: {\"name\":\"http\",\"port\":8080}\n    - spec.ports[port:80]: {\"name\":\"http\",\"port\":80}\n"},
		{"ignore all that differs", []string{"testdata/a.yaml", "testdata/b.yaml", "--ignore", "Service,Deployment,ConfigMap"}, 0, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			err := execute(newDiffCmd(newFactory("", &out, &bytes.Buffer{}), nil), tt.args...)
			if code := cmdutil.ExitCode(err); code != tt.wantCode {
				t.Fatalf("exit code %d (%v), want %d", code, err, tt.wantCode)
			}
			got := out.String()
			switch {
			case tt.golden != "":
				golden.Check(t, filepath.Join("testdata", tt.golden), out.Bytes())
			case got != tt.want:
				t.Errorf("got:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

func TestDiffBadInput(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("a: 1\n---\nkind: [\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := execute(newDiffCmd(newFactory("", &bytes.Buffer{}, &bytes.Buffer{}), nil), "testdata/a.yaml", bad)
	if err == nil || !strings.Contains(err.Error(), "bad.yaml (document 1") {
		t.Fatalf("error = %v, want it to name the file and document", err)
	}
}
