package installflags

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

func TestFlagsToOptions(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "a.yaml")
	overlay := "apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nspec:\n  profile: minimal\n---\n# only a comment\n---\napiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nspec:\n  hub: second\n"
	if err := os.WriteFile(file, []byte(overlay), 0o644); err != nil {
		t.Fatal(err)
	}
	var f Flags
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	f.AddFlags(fs)
	if err := fs.Parse([]string{"-f", file, "--filename", "-", "--set", "hub=x", "--set=tag=y,z", "-r", "canary"}); err != nil {
		t.Fatal(err)
	}
	stdin := "apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nspec:\n  tag: from-stdin\n"
	o, err := f.Options(strings.NewReader(stdin))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(o.Sets, []string{"hub=x", "tag=y,z"}) || o.Revision != "canary" {
		t.Errorf("sets %q revision %q", o.Sets, o.Revision)
	}
	if len(o.Files) != 3 {
		t.Fatalf("%d overlay documents, want 3 (two from the file, one from stdin)", len(o.Files))
	}
	if !strings.Contains(o.Files[1].Source, "a.yaml (document 3") || !strings.Contains(string(o.Files[2].Data), "from-stdin") {
		t.Errorf("sources %q, %q", o.Files[1].Source, o.Files[2].Source)
	}
	m, err := f.Merge(strings.NewReader(stdin))
	if err != nil {
		t.Fatal(err)
	}
	if m.Profile != "minimal" || m.IOP.Spec.Hub != "x" || m.IOP.Spec.Tag != "y,z" || m.IOP.Spec.Revision != "canary" {
		t.Errorf("merged: profile %q hub %q tag %q revision %q", m.Profile, m.IOP.Spec.Hub, m.IOP.Spec.Tag, m.IOP.Spec.Revision)
	}
	man, err := f.Render(strings.NewReader(stdin))
	if err != nil {
		t.Fatal(err)
	}
	if man.Revision != "canary" || len(man.Objects) == 0 {
		t.Errorf("render: revision %q, %d objects", man.Revision, len(man.Objects))
	}
}

func TestMissingFile(t *testing.T) {
	t.Parallel()
	f := Flags{Files: []string{filepath.Join(t.TempDir(), "nope.yaml")}}
	if _, err := f.Options(strings.NewReader("")); err == nil || !strings.Contains(err.Error(), "nope.yaml") {
		t.Errorf("error = %v", err)
	}
}
