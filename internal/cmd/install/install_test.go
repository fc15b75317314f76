package install

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/spf13/viper"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/meshctl/meshctl/internal/cmdutil"
	"github.com/meshctl/meshctl/pkg/install/apply"
)

func factory(in string) (*cmdutil.Factory, *bytes.Buffer, *bytes.Buffer) {
	var out, errOut bytes.Buffer
	f := cmdutil.NewFactory(genericiooptions.IOStreams{In: strings.NewReader(in), Out: &out, ErrOut: &errOut}, genericclioptions.NewConfigFlags(true), viper.New())
	return f, &out, &errOut
}

func TestInstallFlags(t *testing.T) {
	t.Parallel()
	cases := []struct {
		args  []string
		check func(*Options) bool
		usage bool
	}{
		{[]string{}, func(o *Options) bool {
			return o.Wait && o.ReadinessTimeout == 5*time.Minute && !o.DryRun && !o.SkipConfirmation && !o.ForceConflicts
		}, false},
		{[]string{"--set", "profile=demo", "--set", "meshConfig.accessLogFile=/dev/stdout", "-f", "a.yaml", "-r", "canary", "-y", "--dry-run", "--force-conflicts", "--wait=false", "--readiness-timeout", "90s"},
			func(o *Options) bool {
				return strings.Join(o.Flags.Sets, ",") == "profile=demo,meshConfig.accessLogFile=/dev/stdout" && o.Flags.Files[0] == "a.yaml" && o.Flags.Revision == "canary" &&
					o.SkipConfirmation && o.DryRun && o.ForceConflicts && !o.Wait && o.ReadinessTimeout == 90*time.Second
			}, false},
		{[]string{"--readiness-timeout", "0s"}, nil, true},
		{[]string{"extra"}, nil, true},
	}
	for _, use := range []string{"install", "apply"} {
		for _, tc := range cases {
			f, _, _ := factory("")
			var got *Options
			cmd := newCmd(f, use, func(o *Options) error { got = o; return nil })
			cmd.SetArgs(tc.args)
			cmd.SetOut(&bytes.Buffer{})
			cmd.SetErr(&bytes.Buffer{})
			err := cmd.Execute()
			if tc.usage {
				var u *cmdutil.UsageError
				if err == nil || (!errors.As(err, &u) && !strings.Contains(err.Error(), "unknown command")) {
					t.Errorf("%s %v: want a usage error, got %v", use, tc.args, err)
				}
				continue
			}
			if err != nil || got == nil || !tc.check(got) {
				t.Errorf("%s %v: err %v, options %+v", use, tc.args, err, got)
			}
		}
	}
}

func TestUninstallNeedsExactlyOneSelection(t *testing.T) {
	t.Parallel()
	cases := []struct {
		args []string
		ok   bool
	}{
		{nil, false},
		{[]string{"-y"}, false},
		{[]string{"--purge"}, true},
		{[]string{"--revision", "canary"}, true},
		{[]string{"--revision", ""}, true}, // the default revision, said explicitly
		{[]string{"--set", "profile=demo"}, true},
		{[]string{"--purge", "--revision", "canary"}, false},
		{[]string{"--purge", "--set", "profile=demo"}, false},
		{[]string{"--purge", "--timeout", "0s"}, false},
	}
	for _, tc := range cases {
		f, _, _ := factory("")
		ran := false
		cmd := newUninstallCmd(f, func(*UninstallOptions) error { ran = true; return nil })
		cmd.SetArgs(tc.args)
		cmd.SetOut(&bytes.Buffer{})
		cmd.SetErr(&bytes.Buffer{})
		err := cmd.Execute()
		var u *cmdutil.UsageError
		if tc.ok != (err == nil) || ran != tc.ok || (!tc.ok && !errors.As(err, &u)) {
			t.Errorf("uninstall %v: err %v, ran %v", tc.args, err, ran)
		}
	}
}

func TestAsk(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in string
		ok bool
	}{{"y\n", true}, {"YES\n", true}, {" y \n", true}, {"n\n", false}, {"\n", false}, {"", false}, {"yy\n", false}}
	for _, tc := range cases {
		var out bytes.Buffer
		err := ask(strings.NewReader(tc.in), &out, "Install demo?")
		if (err == nil) != tc.ok {
			t.Errorf("answer %q: %v", tc.in, err)
		}
		if !strings.HasPrefix(out.String(), "Install demo? Proceed? (y/N) ") {
			t.Errorf("prompt %q", out.String())
		}
	}
}

func TestConfirmRefusesWithoutATerminal(t *testing.T) {
	t.Parallel()
	f, _, errOut := factory("y\n")
	err := confirm(f, "Install?", "-y/--skip-confirmation")
	if err == nil || !strings.Contains(err.Error(), "standard input is not a terminal (pass -y/--skip-confirmation to proceed)") {
		t.Fatalf("got %v", err)
	}
	if errOut.Len() != 0 {
		t.Fatalf("prompted without a terminal: %q", errOut.String())
	}
}

func TestProgressLinesWithoutATerminal(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	p := newProgress(&b, false, "installed")
	p.Event(apply.Event{Type: apply.PhaseStarted, Phase: "Istiod", Objects: 12})
	p.Event(apply.Event{Type: apply.Pruning, Objects: 2, Keys: []string{"Deployment istio-system/istio-egressgateway", "Service istio-system/istio-egressgateway"}})
	p.Event(apply.Event{Type: apply.Waiting, Keys: []string{"a", "b", "c"}})
	p.Event(apply.Event{Type: apply.PhaseDone, Phase: "Istiod", Duration: 2140 * time.Millisecond})
	p.Close()
	want := `Pruning 2 object(s) this install no longer renders:
  - Deployment istio-system/istio-egressgateway
  - Service istio-system/istio-egressgateway
Waiting for 3 object(s) to be ready...
✔ Istiod installed (2.1s)
`
	if b.String() != want {
		t.Fatalf("got:\n%s\nwant:\n%s", b.String(), want)
	}
	if len(p.pending) != 0 {
		t.Fatalf("pending after done: %v", p.pending)
	}
}

func TestProgressSpinnerOnATerminal(t *testing.T) {
	t.Parallel()
	var b syncBuffer
	p := newProgress(&b, true, "installed")
	p.Event(apply.Event{Type: apply.PhaseStarted, Phase: "Istiod"})
	// Wait for the spinner to draw (it ticks every 100ms); a busy machine
	// may take longer, so poll rather than sleep a fixed time.
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(b.String(), "Processing: Istiod") && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	p.Event(apply.Event{Type: apply.PhaseDone, Phase: "Istiod", Duration: time.Second})
	p.Close()
	s := b.String()
	if !strings.Contains(s, " Processing: Istiod") || !strings.Contains(s, "\r\033[K✔ Istiod installed (1.0s)\n") {
		t.Fatalf("terminal output %q", s)
	}
}

func TestWriteResults(t *testing.T) {
	t.Parallel()
	res := &apply.Result{Objects: []apply.ObjectResult{
		{Kind: "Namespace", Name: "istio-system", Action: apply.Created},
		{Kind: "Deployment", Namespace: "istio-system", Name: "istiod", Action: apply.Unchanged},
		{Kind: "ConfigMap", Namespace: "istio-system", Name: "istio", Action: apply.Changed},
		{Kind: "Service", Namespace: "istio-system", Name: "istio-egressgateway", Action: apply.Pruned},
	}}
	var b bytes.Buffer
	writeResults(&b, res, true)
	want := `created   Namespace istio-system (dry run)
unchanged Deployment istio-system/istiod (dry run)
changed   ConfigMap istio-system/istio (dry run)
pruned    Service istio-system/istio-egressgateway (dry run)
`
	if b.String() != want {
		t.Fatalf("got:\n%s", b.String())
	}
}
