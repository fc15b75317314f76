package proxystatus

import (
	"bytes"
	"strings"
	"testing"

	"github.com/meshctl/meshctl/internal/cmdutil/cmdtest"
	"github.com/meshctl/meshctl/pkg/istiod"
)

func TestFlagsReachOptions(t *testing.T) {
	t.Parallel()
	f := cmdtest.Factory("", &bytes.Buffer{}, &bytes.Buffer{})
	var got *Options
	cmd := newCmd(f, func(o *Options) error { got = o; return nil })
	cmd.SetArgs([]string{"sleep-1.foo", "--istiod-address", "127.0.0.1:8080", "-o", "json", "-r", "canary"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got.Proxy != "sleep-1.foo" || got.Istiod.Address != "127.0.0.1:8080" || got.Output != "json" || got.Istiod.Revision != "canary" {
		t.Fatalf("options %+v", got)
	}
	for _, args := range [][]string{{"-o", "table"}, {"sleep-1"}} {
		cmd := newCmd(f, func(*Options) error { return nil })
		cmd.SetArgs(args)
		cmd.SetOut(&bytes.Buffer{})
		cmd.SetErr(&bytes.Buffer{})
		cmd.SilenceUsage, cmd.SilenceErrors = true, true
		if err := cmd.Execute(); err == nil {
			t.Errorf("%v: want a usage error", args)
		}
	}
}

func TestTable(t *testing.T) {
	t.Parallel()
	rows := []Row{
		rowOf(istiod.SyncStatus{ProxyID: "sleep-1.foo", ClusterID: "Kubernetes", ClusterSent: "a", ClusterAcked: "a", ListenerSent: "b", ListenerAcked: "a", IstioVersion: "1.31.4"}, "pod istio-system/istiod-1"),
	}
	var b bytes.Buffer
	if err := (&Options{}).print(&b, rows); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 2 || strings.Join(strings.Fields(lines[1]), " ") != "sleep-1.foo Kubernetes SYNCED STALE NOT SENT NOT SENT NOT SENT pod istio-system/istiod-1 1.31.4" {
		t.Fatalf("table:\n%s", b.String())
	}
	b.Reset()
	if err := (&Options{}).print(&b, nil); err != nil || b.String() != "No proxies are connected to istiod.\n" {
		t.Fatalf("empty: %q %v", b.String(), err)
	}
	b.Reset()
	if err := (&Options{Output: "json"}).print(&b, nil); err != nil || b.String() != "[]\n" {
		t.Fatalf("empty json: %q %v", b.String(), err)
	}
}
