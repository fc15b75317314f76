package experimental

import (
	"bytes"
	"strings"
	"testing"

	"github.com/spf13/viper"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/meshctl/meshctl/internal/cmdutil"
)

func factory() *cmdutil.Factory {
	return cmdutil.NewFactory(genericiooptions.IOStreams{In: strings.NewReader(""), Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}}, genericclioptions.NewConfigFlags(true), viper.New())
}

func TestUninjectFlags(t *testing.T) {
	t.Parallel()
	var got *UninjectOptions
	cmd := newUninjectCmd(factory(), func(o *UninjectOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"-f", "a.yaml", "--in-place"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if len(got.IO.Files) != 1 || got.IO.Files[0] != "a.yaml" || !got.IO.InPlace || got.IO.Output != "" {
		t.Fatalf("got %+v", got.IO)
	}
}

func TestXListsUninject(t *testing.T) {
	t.Parallel()
	cmd := NewCmd(factory())
	if c, _, err := cmd.Find([]string{"uninject"}); err != nil || c.Name() != "uninject" {
		t.Fatalf("x has no uninject: %v", err)
	}
	if cmd.Aliases[0] != "experimental" {
		t.Fatalf("aliases %v", cmd.Aliases)
	}
}
