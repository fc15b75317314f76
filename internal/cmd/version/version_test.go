package version

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/meshctl/meshctl/internal/cmdutil"
	"github.com/meshctl/meshctl/internal/cmdutil/cmdtest"
)

func newFactory(out *bytes.Buffer) *cmdutil.Factory {
	return cmdtest.Factory("", out, nil)
}

// Flag parsing only: runF captures the options, nothing runs.
func TestFlagParsing(t *testing.T) {
	t.Parallel()
	cases := []struct {
		args    []string
		want    Options
		wantErr string
	}{
		{args: nil, want: Options{}},
		{args: []string{"--client", "--short"}, want: Options{Client: true, Short: true}},
		{args: []string{"-o", "json"}, want: Options{Output: "json"}},
		{args: []string{"--output=yaml", "--client"}, want: Options{Output: "yaml", Client: true}},
		{args: []string{"-o", "table"}, wantErr: `--output must be json or yaml, not "table"`},
		{args: []string{"extra"}, wantErr: `unknown command "extra"`},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			t.Parallel()
			var got *Options
			cmd := newCmd(newFactory(&bytes.Buffer{}), func(o *Options) error { got = o; return nil })
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
			if got.Client != tc.want.Client || got.Short != tc.want.Short || got.Output != tc.want.Output {
				t.Fatalf("options = %+v, want %+v", *got, tc.want)
			}
		})
	}
}

func TestClientOnlyNeverConnects(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args  []string
		check func(string) error
	}{
		{[]string{"--client"}, func(s string) error {
			if !strings.HasPrefix(s, "meshctl version: ") || !strings.Contains(s, "(Istio 1.") || strings.Count(s, "\n") != 1 {
				return errors.New("unexpected text")
			}
			return nil
		}},
		{[]string{"--client", "--short"}, func(s string) error {
			if !strings.HasPrefix(s, "client: ") || strings.Count(s, "\n") != 1 {
				return errors.New("unexpected short text")
			}
			return nil
		}},
		{[]string{"--client", "-o", "json"}, func(s string) error {
			var r Result
			if err := json.Unmarshal([]byte(s), &r); err != nil {
				return err
			}
			if r.Client.IstioVersion == "" || r.Client.GoVersion == "" || r.Kubernetes != "" {
				return errors.New("json fields wrong")
			}
			return nil
		}},
		{[]string{"--client", "-o", "yaml"}, func(s string) error {
			if !strings.Contains(s, "client:\n  goVersion: go") || !strings.Contains(s, "istioVersion: 1.") {
				return errors.New("yaml fields wrong")
			}
			return nil
		}},
	} {
		var out bytes.Buffer
		cmd := NewCmd(newFactory(&out))
		cmd.SetArgs(tc.args)
		if err := cmd.Execute(); err != nil {
			t.Fatalf("%v: %v", tc.args, err)
		}
		if err := tc.check(out.String()); err != nil {
			t.Errorf("%v: %v:\n%s", tc.args, err, out.String())
		}
	}
}
