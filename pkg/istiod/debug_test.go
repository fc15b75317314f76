package istiod

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestState(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ sent, acked, want string }{
		{"", "", NotSent}, {"", "x", NotSent}, {"n1", "n1", Synced}, {"n2", "n1", Stale}, {"n1", "", Stale},
	} {
		if got := State(tc.sent, tc.acked); got != tc.want {
			t.Errorf("State(%q, %q) = %s, want %s", tc.sent, tc.acked, got, tc.want)
		}
	}
}

func TestSyncStatuses(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/debug/syncz":
			_, _ = w.Write([]byte(`[{"proxy":"sleep-1.foo","cluster_id":"Kubernetes","cluster_sent":"a","cluster_acked":"a"},{"proxy":"httpbin-1.bar","cluster_sent":"b","cluster_acked":"a"}]`))
		default:
			http.Error(w, "no such path", http.StatusNotFound)
		}
	}))
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")
	st, err := SyncStatuses(context.Background(), Direct{Address: addr})
	if err != nil {
		t.Fatal(err)
	}
	if len(st) != 2 || st[0].ProxyID != "httpbin-1.bar" || State(st[0].ClusterSent, st[0].ClusterAcked) != Stale || st[1].ClusterID != "Kubernetes" {
		t.Fatalf("got %+v", st)
	}
	_, err = Direct{Address: addr}.Get(context.Background(), "/debug/nothing")
	if err == nil || !strings.Contains(err.Error(), "404") || !strings.Contains(err.Error(), "no such path") {
		t.Fatalf("got %v", err)
	}
	_, err = SyncStatuses(context.Background(), Direct{Address: "127.0.0.1:1"})
	if err == nil || !strings.Contains(err.Error(), "cannot reach istiod at 127.0.0.1:1") {
		t.Fatalf("got %v", err)
	}
}
