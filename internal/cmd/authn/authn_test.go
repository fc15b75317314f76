package authn

import (
	"bytes"
	"strings"
	"testing"

	"github.com/meshctl/meshctl/internal/cmdutil"
	"github.com/meshctl/meshctl/internal/cmdutil/cmdtest"
)

func newFactory() *cmdutil.Factory {
	return cmdtest.Factory("", nil, nil)
}

// Flag parsing only: runF captures the options.
func TestTLSCheckFlags(t *testing.T) {
	t.Parallel()
	cases := []struct {
		args                 []string
		workload, svc, out   string
		files                int
		useKube, auto, autoS bool
		wantErr              string
	}{
		{args: []string{"-f", "x.yaml"}, out: "table", files: 1, auto: true},
		{args: []string{"sleep.foo", "httpbin.bar", "-f", "a", "-f", "b", "-o", "json"}, workload: "sleep.foo", svc: "httpbin.bar", out: "json", files: 2, auto: true},
		{args: []string{"sleep.foo", "--use-kube", "--auto-mtls=false"}, workload: "sleep.foo", out: "table", useKube: true},
		{args: []string{}, wantErr: "give input files with -f"},
		{args: []string{"-f", "x", "-o", "yaml"}, wantErr: `--output must be one of table|json, not "yaml"`},
		{args: []string{"a", "b", "c", "-f", "x"}, wantErr: "accepts at most 2 arg(s)"},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			t.Parallel()
			var got *Options
			cmd := newTLSCheckCmd(newFactory(), func(o *Options) error { got = o; return nil })
			cmd.SetArgs(tc.args)
			cmd.SetOut(&bytes.Buffer{})
			cmd.SetErr(&bytes.Buffer{})
			err := cmd.Execute()
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Workload != tc.workload || got.Service != tc.svc || got.Output != tc.out || len(got.Input.Files) != tc.files || got.Input.UseKube != tc.useKube || got.Input.AutoMTLS != tc.auto {
				t.Fatalf("options = %+v", *got)
			}
		})
	}
}
