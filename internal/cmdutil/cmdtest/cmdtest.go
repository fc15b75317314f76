// Package cmdtest builds command factories for flag-parsing and offline
// command tests: streams in memory and a cluster client that refuses to be
// made, so a test that reaches the network fails instead of connecting.
package cmdtest

import (
	"bytes"
	"errors"
	"strings"

	"github.com/spf13/viper"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/meshctl/meshctl/internal/cmdutil"
	"github.com/meshctl/meshctl/pkg/kube"
)

// Factory returns a factory reading in and writing to out and errOut; a
// nil buffer is replaced by one the test does not look at.
func Factory(in string, out, errOut *bytes.Buffer) *cmdutil.Factory {
	if out == nil {
		out = &bytes.Buffer{}
	}
	if errOut == nil {
		errOut = &bytes.Buffer{}
	}
	f := cmdutil.NewFactory(genericiooptions.IOStreams{In: strings.NewReader(in), Out: out, ErrOut: errOut}, genericclioptions.NewConfigFlags(true), viper.New())
	f.Kube = func() (*kube.Client, error) { return nil, errors.New("the test must not connect") }
	return f
}
