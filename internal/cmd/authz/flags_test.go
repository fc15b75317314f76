package authz

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

func TestCanFlags(t *testing.T) {
	t.Parallel()
	var got *CanOptions
	cmd := newCanCmd(newFactory(), func(o *CanOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"sleep.foo", "httpbin.bar", "-f", "-", "--port", "8000", "--path", "/ip", "--method", "POST", "--header", "x-a=1", "--header", "x-b=2=3", "--jwt-claim", "groups=a", "--jwt-claim", "groups=b", "--source-ip", "10.0.0.1", "--host", "h", "-o", "json"})
	cmd.SetOut(&bytes.Buffer{})
	cmd.SetErr(&bytes.Buffer{})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got.From != "sleep.foo" || got.To != "httpbin.bar" || got.Port != 8000 || got.Path != "/ip" || got.Method != "POST" || len(got.Headers) != 2 || got.Headers[1] != "x-b=2=3" || len(got.Claims) != 2 || got.SourceIP != "10.0.0.1" || got.Host != "h" || got.Output != "json" {
		t.Fatalf("options = %+v", *got)
	}
}

func TestMatrixFlags(t *testing.T) {
	t.Parallel()
	cases := []struct {
		args    []string
		wantErr string
		from    int
		out     string
	}{
		{args: []string{"-f", "x", "--from", "sleep.*", "--from", "gw.*", "-o", "svg"}, from: 2, out: "svg"},
		{args: []string{"--use-kube", "-A"}, out: "table"},
		{args: []string{"-f", "x", "--port", "70000"}, wantErr: "--port must be between 1 and 65535"},
		{args: []string{"-f", "x", "extra"}, wantErr: `unknown command "extra"`},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			t.Parallel()
			var got *MatrixOptions
			cmd := newMatrixCmd(newFactory(), func(o *MatrixOptions) error { got = o; return nil })
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
			if len(got.From) != tc.from || got.Output != tc.out {
				t.Fatalf("options = %+v", *got)
			}
		})
	}
}
