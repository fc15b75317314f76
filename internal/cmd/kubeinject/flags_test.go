package kubeinject

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"github.com/spf13/viper"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/meshctl/meshctl/internal/cmdutil"
)

func TestFlagsReachOptions(t *testing.T) {
	t.Parallel()
	f := cmdutil.NewFactory(genericiooptions.IOStreams{In: strings.NewReader(""), Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}}, genericclioptions.NewConfigFlags(true), viper.New())
	var got *Options
	cmd := newCmd(f, func(o *Options) error { got = o; return nil })
	cmd.SetArgs([]string{"-f", "a.yaml", "-f", "dir", "-o", "out.yaml", "--set", "profile=demo", "--set", "values.global.tag=1.2.3",
		"--operatorFileName", "op.yaml", "-r", "canary", "--injectConfigFile", "i.yaml", "--valuesFile", "v.yaml", "--meshConfigFile", "m.yaml"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.IO.Files, []string{"a.yaml", "dir"}) || got.IO.Output != "out.yaml" || got.IO.InPlace {
		t.Errorf("io: %+v", got.IO)
	}
	if !reflect.DeepEqual(got.Install.Sets, []string{"profile=demo", "values.global.tag=1.2.3"}) ||
		!reflect.DeepEqual(got.Install.Files, []string{"op.yaml"}) || got.Install.Revision != "canary" {
		t.Errorf("install: %+v", got.Install)
	}
	if got.InjectConfigFile != "i.yaml" || got.ValuesFile != "v.yaml" || got.MeshConfigFile != "m.yaml" || got.UseKube {
		t.Errorf("config files: %+v", got)
	}
}
