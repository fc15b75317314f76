package inject

import (
	"bytes"
	"fmt"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/meshctl/meshctl/internal/testutil/golden"
	"github.com/meshctl/meshctl/pkg/install/render"
	"github.com/meshctl/meshctl/pkg/yamlstream"
)

// goldenCase is one input injected with one configuration.
type goldenCase struct {
	name     string
	input    string
	sets     []string
	revision string
	// injected: the input holds an earlier injection, which uninjection
	// takes out; the round trip gives back that uninjected input.
	injected bool
}

var goldenCases = []goldenCase{
	{name: "helloworld", input: "helloworld.yaml"},
	{name: "bookinfo", input: "bookinfo.yaml"},
	{name: "kinds", input: "kinds.yaml"},
	{name: "list", input: "list.yaml"},
	{name: "probes", input: "probes.yaml"},
	// Named probe ports: the agent's record of the probe holds the number,
	// as Istio's does; the name stays in a comment.
	{name: "namedport", input: "namedport.yaml"},
	{name: "annotations", input: "annotations.yaml"},
	// Labels and annotations the user set with the values injection sets.
	{name: "preset", input: "preset.yaml"},
	{name: "preset-cni", input: "preset.yaml", sets: []string{"values.pilot.cni.enabled=true"}},
	{name: "skip", input: "skip.yaml"},
	{name: "style", input: "style.yaml"},
	// Flow-style collections stay flow style; what goes into them goes on
	// their line.
	{name: "flow", input: "flow.yaml"},
	// JSON documents are written whole, in their own indentation and key
	// order; inserting after a last member adds a comma to its line.
	{name: "json", input: "helloworld.json"},
	{name: "revision", input: "helloworld.yaml", revision: "canary"},
	{name: "native", input: "helloworld.yaml", sets: []string{"values.pilot.env.ENABLE_NATIVE_SIDECARS=true"}},
	{name: "cni", input: "bookinfo.yaml", sets: []string{"values.pilot.cni.enabled=true"}},
	{name: "hold", input: "helloworld.yaml", sets: []string{"values.global.proxy.holdApplicationUntilProxyStarts=true"}},
	{name: "pullsecrets", input: "helloworld.yaml", sets: []string{"values.global.imagePullSecrets[0]=regcred", "meshConfig.trustDomain=example.org"}},
	// An ingress gateway that selects the gateway template and declares
	// its proxy with image: auto: the template fills that container in.
	{name: "gateway", input: "gateway.yaml"},
	// A proxyless gRPC server: the grpc-agent template adds the agent and
	// merges the bootstrap settings into the application's container.
	{name: "grpc", input: "grpc.yaml"},
	// Prometheus annotations in every spelling Prometheus accepts, scrape
	// targets, and a pod that opts out of merging.
	{name: "prometheus", input: "prometheus.yaml"},
	// The agent serves merged metrics over mTLS: the pod announces the port.
	{name: "prometheus-secure", input: "prometheus.yaml", sets: []string{"meshConfig.defaultConfig.proxyMetadata.ENVOY_SECURE_MERGED_METRICS_PORT=15091"}},
	// A multi-network mesh: the proxy learns its cluster and network, and the
	// pod is labelled with the network (its own label wins).
	{name: "network", input: "network.yaml", sets: []string{"values.global.network=network1", "values.global.multiCluster.clusterName=cluster1"}},
	// Sidecars customised by declaring istio-proxy (and istio-init): the
	// user's settings win, a proxy run as another user is exempted from
	// capture by that uid (with CNI, istio-validation runs as it), and
	// where hold or native sidecars need the proxy elsewhere than the user
	// declared it, the pod is skipped with the reason.
	{name: "custom", input: "custom.yaml"},
	{name: "custom-cni", input: "custom.yaml", sets: []string{"values.pilot.cni.enabled=true"}},
	{name: "custom-hold", input: "custom.yaml", sets: []string{"values.global.proxy.holdApplicationUntilProxyStarts=true"}},
	{name: "custom-native", input: "custom.yaml", sets: []string{"values.pilot.env.ENABLE_NATIVE_SIDECARS=true"}},
	// Output of an older release (istioctl's layout) is re-injected, not
	// injected twice.
	{name: "upgrade", input: "upgrade.yaml", injected: true},
}

var (
	injMu    sync.Mutex
	injCache = map[string]*Injector{}
)

// injectorFor renders the profile with the case's options (once per set of
// options) and builds an injector from its ConfigMaps, as kube-inject does.
func injectorFor(t testing.TB, sets []string, revision string) *Injector {
	t.Helper()
	key := strings.Join(sets, ",") + "|" + revision
	injMu.Lock()
	defer injMu.Unlock()
	if in, ok := injCache[key]; ok {
		return in
	}
	m, err := render.Render(render.Options{Sets: sets, Revision: revision})
	if err != nil {
		t.Fatal(err)
	}
	c, err := FromManifest(m)
	if err != nil {
		t.Fatal(err)
	}
	in, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	injCache[key] = in
	return in
}

// streamer is an Injector or an Uninjector.
type streamer interface {
	NewPipeline(report func(Result), workers int) *Pipeline
	WriteDocument(d yamlstream.Document, w io.Writer, report func(Result)) error
}

// run injects or uninjects src, as p does, and returns the output and the
// report.
func run(t testing.TB, p streamer, src []byte) ([]byte, string) {
	t.Helper()
	var out, rep bytes.Buffer
	report := func(r Result) { fmt.Fprintln(&rep, r) }
	err := stream(p.NewPipeline(report, 0), "in", bytes.NewReader(src), &out)
	if err != nil {
		t.Fatal(err)
	}
	return out.Bytes(), rep.String()
}

func readInput(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "in", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestGolden(t *testing.T) {
	for _, c := range goldenCases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			in := injectorFor(t, c.sets, c.revision)
			out, rep := run(t, in, readInput(t, c.input))
			ext := filepath.Ext(c.input)
			golden.Check(t, filepath.Join("testdata", "golden", c.name+ext), out)
			golden.Check(t, filepath.Join("testdata", "golden", c.name+".report"), []byte(rep))
		})
	}
}

// TestIdempotent: injecting injected output changes nothing.
func TestIdempotent(t *testing.T) {
	for _, c := range goldenCases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			in := injectorFor(t, c.sets, c.revision)
			once, _ := run(t, in, readInput(t, c.input))
			twice, rep := run(t, in, once)
			if !bytes.Equal(once, twice) {
				t.Fatalf("second injection changed the output:\n%s", golden.Diff(once, twice))
			}
			if strings.Contains(strings.ReplaceAll(rep, "already injected", ""), " injected") {
				t.Errorf("second injection reported changes:\n%s", rep)
			}
		})
	}
}

// base is what a case's round trip gives back: the input, or for an
// injected input the input uninjected.
func base(t *testing.T, c goldenCase, src []byte) []byte {
	if !c.injected {
		return src
	}
	b, _ := run(t, NewUninjector(), src)
	if bytes.Equal(b, src) {
		t.Fatal("the injected input did not change when uninjected")
	}
	return b
}

// TestUninjectRoundTrip: uninject(inject(x)) == x byte for byte, and
// injecting again gives the same output.
func TestUninjectRoundTrip(t *testing.T) {
	for _, c := range goldenCases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			in := injectorFor(t, c.sets, c.revision)
			src := readInput(t, c.input)
			want := base(t, c, src)
			out, _ := run(t, in, src)
			back, _ := run(t, NewUninjector(), out)
			if !bytes.Equal(back, want) {
				t.Fatalf("uninject did not restore the input:\n%s", golden.Diff(want, back))
			}
			again, _ := run(t, in, back)
			if !bytes.Equal(again, out) {
				t.Fatalf("inject(uninject(inject(x))) != inject(x):\n%s", golden.Diff(out, again))
			}
			if bytes.Contains(back, []byte(annStatus)) {
				t.Errorf("uninjected output still has %s", annStatus)
			}
		})
	}
}

// rewritable are the lines injection may change rather than only insert
// next to: probe targets and the prometheus scrape settings (which it may
// also take away).
// The image of a container the user leaves to the injector ("auto") is
// filled in.
var rewritable = []string{"path:", "port:", "scheme:", "tcpSocket:", "grpc:", "prometheus.io/", "prometheus.istio.io/scrape-targets:", "image: auto"}

// rewritableFlow mark lines with flow collections holding probe targets or
// prometheus settings.
var rewritableFlow = []string{"Probe: {", "preStop: {", "postStart: {", "httpGet: {", "tcpSocket: {", "grpc: {", "prometheus.io/"}

// TestAdditiveOnly: a line diff of input → output deletes nothing but the
// rewritten probe and prometheus lines; a line that a flow collection or a
// JSON comma grows on is changed only by characters added to it.
func TestAdditiveOnly(t *testing.T) {
	for _, c := range goldenCases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			in := injectorFor(t, c.sets, c.revision)
			src := base(t, c, readInput(t, c.input))
			out, _ := run(t, in, src)
			deleted, inserted := lineDiff(strings.Split(string(src), "\n"), strings.Split(string(out), "\n"))
			if len(inserted) == 0 && strings.Contains(string(out), annStatus) {
				t.Fatal("output differs from input but no line was inserted")
			}
			used := make([]bool, len(inserted))
		next:
			for _, d := range deleted {
				tr := strings.TrimLeft(strings.TrimSpace(d), "- ")
				if k, rest, ok := strings.Cut(strings.TrimPrefix(tr, `"`), `":`); ok && tr[0] == '"' {
					tr = k + ":" + rest // a JSON member
				}
				for _, p := range rewritable {
					if strings.HasPrefix(tr, p) {
						continue next
					}
				}
				for _, p := range rewritableFlow {
					if strings.Contains(d, p) {
						continue next
					}
				}
				for i, l := range inserted {
					if !used[i] && grownFrom(d, l) {
						used[i] = true
						continue next
					}
				}
				t.Errorf("line deleted or changed: %q", d)
			}
		})
	}
}

// grownFrom reports whether line b is line a with characters added after
// its indentation.
func grownFrom(a, b string) bool {
	if indentOf(a) != indentOf(b) || len(b) <= len(a) {
		return false
	}
	j := 0
	for i := 0; i < len(b) && j < len(a); i++ {
		if b[i] == a[j] {
			j++
		}
	}
	return j == len(a)
}

// lineDiff returns the lines of a missing from b and the lines b adds, in a
// longest common subsequence alignment.
func lineDiff(a, b []string) (deleted, inserted []string) {
	n, m := len(a), len(b)
	lcs := make([][]int32, n+1)
	for i := range lcs {
		lcs[i] = make([]int32, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	i, j := 0, 0
	for i < n && j < m {
		switch {
		case a[i] == b[j]:
			i++
			j++
		case lcs[i+1][j] >= lcs[i][j+1]:
			deleted = append(deleted, a[i])
			i++
		default:
			inserted = append(inserted, b[j])
			j++
		}
	}
	return append(deleted, a[i:]...), append(inserted, b[j:]...)
}

func TestLineDiff(t *testing.T) {
	t.Parallel()
	del, ins := lineDiff([]string{"a", "b", "c"}, []string{"a", "x", "c", "d"})
	if len(del) != 1 || del[0] != "b" || len(ins) != 2 || ins[0] != "x" || ins[1] != "d" {
		t.Fatalf("got %q, %q", del, ins)
	}
}

func TestGrownFrom(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		a, b string
		want bool
	}{
		{"  labels: {app: web}", "  labels: {app: web, x: y}", true},
		{"  }", "  },", true},
		{"  labels: {app: web}", "  labels: {app: wab, x: y}", false},
		{"  a: b", "    a: b", false},
		{"  a: b", "  a: b", false},
	} {
		if got := grownFrom(c.a, c.b); got != c.want {
			t.Errorf("grownFrom(%q, %q) = %v", c.a, c.b, got)
		}
	}
}

// roundTrip injects src with the default profile, checks that uninjecting
// gives src back byte for byte, and returns the injected text.
func roundTrip(t *testing.T, src string) string {
	t.Helper()
	in := injectorFor(t, nil, "")
	out, _ := run(t, in, []byte(src))
	if !bytes.Contains(out, []byte(annStatus)) {
		t.Fatalf("not injected:\n%s", out)
	}
	back, _ := run(t, NewUninjector(), out)
	if string(back) != src {
		t.Fatalf("uninject did not restore the input:\n%s\ninjected:\n%s", golden.Diff([]byte(src), back), out)
	}
	return string(out)
}

func wantLines(t *testing.T, out string, lines ...string) {
	t.Helper()
	for _, l := range lines {
		if !strings.Contains(out, "\n"+l+"\n") {
			t.Errorf("injected output has no line %q", l)
		}
	}
}

const podHead = `apiVersion: v1
kind: Pod
metadata:
  name: web
`

func TestRoundTripNamedPort(t *testing.T) {
	t.Parallel()
	src := podHead + `spec:
  containers:
  - name: web
    image: example.com/web:1
    ports:
    - name: http
      containerPort: 8080
    readinessProbe:
      httpGet:
        path: /ready
        port: http   # the app's port
    livenessProbe:
      httpGet:
        path: /live
        port: 8080
    startupProbe:
      tcpSocket:
        port: http
`
	out := roundTrip(t, src)
	wantLines(t, out,
		"        port: 15020 # was: http   # the app's port",
		"        port: 15020",
		"        port: 15020 # was: http")
}

// A note that does not name a port of that number is the user's comment.
func TestNamedPortNoteChecked(t *testing.T) {
	t.Parallel()
	src := podHead + `spec:
  containers:
  - name: web
    image: example.com/web:1
    ports:
    - name: http
      containerPort: 8080
    readinessProbe:
      httpGet:
        path: /ready
        port: 8080 # was: admin
`
	out := roundTrip(t, src)
	wantLines(t, out, "        port: 15020 # was: admin")
}

func TestRoundTripPresetLabels(t *testing.T) {
	t.Parallel()
	src := `apiVersion: v1
kind: Pod
metadata:
  name: details
  labels:
    app: details
    service.istio.io/canonical-name: details
    version: v1
    service.istio.io/canonical-revision: v1
  annotations:
    istio.io/rev: default
    kubectl.kubernetes.io/default-container: details
spec:
  containers:
  - name: details
    image: docker.io/istio/examples-bookinfo-details-v1:1.20.2
`
	out := roundTrip(t, src)
	wantLines(t, out,
		"    service.istio.io/canonical-revision: v1\n    security.istio.io/tlsMode: istio",
		"    kubectl.kubernetes.io/default-container: details\n    sidecar.istio.io/status: "+`'{"initContainers":["istio-init"],"containers":["istio-proxy"],"volumes":["workload-socket","credential-socket","workload-certs","istio-envoy","istio-data","istio-podinfo","istio-token","istiod-ca-cert","istio-ca-crl"],"imagePullSecrets":null,"revision":"default"}'`+"\n    kubectl.kubernetes.io/default-logs-container: details")
}

// The residual ambiguity of labels: the user's labels end with ones
// injection adds, in its order, before every label it adds. The output is
// the same as without them, so uninject removes them.
func TestPresetLabelsAmbiguous(t *testing.T) {
	t.Parallel()
	in := injectorFor(t, nil, "")
	with := podHead + `  labels:
    app: details
    security.istio.io/tlsMode: istio
spec:
  containers:
  - name: details
    image: example.com/details:1
`
	without := strings.Replace(with, "    security.istio.io/tlsMode: istio\n", "", 1)
	a, _ := run(t, in, []byte(with))
	b, _ := run(t, in, []byte(without))
	if !bytes.Equal(a, b) {
		t.Fatalf("injected outputs differ:\n%s", golden.Diff(a, b))
	}
	back, _ := run(t, NewUninjector(), a)
	if string(back) != without {
		t.Fatalf("got\n%s", back)
	}
}

// Output in istioctl's layout (every key sorted) loses every annotation
// injection sets.
func TestUninjectSortedLayout(t *testing.T) {
	t.Parallel()
	src := podHead + `  annotations:
    istio.io/rev: default
    kubectl.kubernetes.io/default-container: web
    prometheus.io/path: /stats/prometheus
    prometheus.io/port: "15020"
    prometheus.io/scrape: "true"
    sidecar.istio.io/status: '{"initContainers":null,"containers":["istio-proxy"],"volumes":null,"imagePullSecrets":null,"revision":"default"}'
    zz.example.com/team: web
spec:
  containers:
  - name: web
    image: example.com/web:1
  - name: istio-proxy
    image: example.com/proxy:1
`
	back, _ := run(t, NewUninjector(), []byte(src))
	want := podHead + `  annotations:
    zz.example.com/team: web
spec:
  containers:
  - name: web
    image: example.com/web:1
`
	if string(back) != want {
		t.Fatalf("got\n%s", back)
	}
}

func TestRoundTripFlow(t *testing.T) {
	t.Parallel()
	src := `apiVersion: v1
kind: Pod
metadata: {name: web, annotations: { }, labels: {app: web}}
spec:
  initContainers: []
  containers: [{name: web, image: "example.com/web:1", ports: [{containerPort: 80}],
    readinessProbe: {httpGet: {path: /ready, port: 80}}}]
`
	// A flow collection over several lines: the document is written whole.
	in := injectorFor(t, nil, "")
	out, _ := run(t, in, []byte(src))
	if bytes.Contains(out, []byte("{name: web")) {
		t.Fatalf("multi-line flow was edited as text:\n%s", out)
	}
	src = strings.Replace(src, ",\n    readinessProbe", ", readinessProbe", 1)
	o := roundTrip(t, src)
	wantLines(t, o,
		`metadata: {name: web, annotations: { sidecar.istio.io/status: '{"initContainers":["istio-init"],"containers":["istio-proxy"],"volumes":["workload-socket","credential-socket","workload-certs","istio-envoy","istio-data","istio-podinfo","istio-token","istiod-ca-cert","istio-ca-crl"],"imagePullSecrets":null,"revision":"default"}', istio.io/rev: default, kubectl.kubernetes.io/default-container: web, kubectl.kubernetes.io/default-logs-container: web, prometheus.io/path: /stats/prometheus, prometheus.io/port: '15020', prometheus.io/scrape: 'true'}, labels: {app: web, security.istio.io/tlsMode: istio, service.istio.io/canonical-name: web, service.istio.io/canonical-revision: latest}}`)
	if !strings.Contains(o, `  containers: [{name: web, image: "example.com/web:1", ports: [{containerPort: 80}], readinessProbe: {httpGet: {path: /app-health/web/readyz, port: 15020}}}, {name: istio-proxy, `) {
		t.Errorf("containers not edited in flow style:\n%s", o)
	}
	if !strings.Contains(o, "  initContainers: [{name: istio-init, ") {
		t.Errorf("init containers not edited in flow style:\n%s", o)
	}
	// Labels added whole to a flow mapping go, whole, again.
	roundTrip(t, `apiVersion: v1
kind: Pod
metadata: {name: web, annotations: {}}
spec: {containers: [{name: web, image: "example.com/web:1"}]}
`)
}

// The residual ambiguity of flow style: an empty flow collection among the
// last keys of a flow mapping, where injection appends what it adds whole,
// is taken for added.
func TestFlowEmptyAtEndAmbiguous(t *testing.T) {
	t.Parallel()
	in := injectorFor(t, nil, "")
	src := `apiVersion: v1
kind: Pod
metadata: {name: web, labels: {app: web}, annotations: {}}
spec: {containers: [{name: web, image: "example.com/web:1"}]}
`
	out, _ := run(t, in, []byte(src))
	back, _ := run(t, NewUninjector(), out)
	want := strings.Replace(src, ", annotations: {}", "", 1)
	if string(back) != want {
		t.Fatalf("got\n%s", back)
	}
}

// TestRoundTripGenerated: pods combining block and flow style, named and
// numbered probe ports, and labels injection sets, under four
// configurations, round-trip byte for byte.
func TestRoundTripGenerated(t *testing.T) {
	t.Parallel()
	ins := []*Injector{injectorFor(t, nil, ""), injectorFor(t, []string{"values.global.proxy.holdApplicationUntilProxyStarts=true"}, ""), injectorFor(t, []string{"values.pilot.env.ENABLE_NATIVE_SIDECARS=true"}, ""), injectorFor(t, []string{"values.pilot.cni.enabled=true"}, "")}
	r := rand.New(rand.NewSource(1))
	pick := func(xs ...string) string { return xs[r.Intn(len(xs))] }
	fails := 0
	for n := 0; n < 800; n++ {
		labels := pick("", "  labels: {app: web}\n", "  labels: {app: web, version: v1}\n", "  labels:\n    app: web\n", "  labels: {}\n", "  labels: { app: web }\n", "  labels:\n    app: web\n    security.istio.io/tlsMode: istio\n    v: x\n", "  labels: {app: web,}\n")
		anns := pick("", "  annotations: {}\n", "  annotations: {a: b}\n", "  annotations:\n    a: \"b\"\n", "  annotations: {prometheus.io/scrape: \"true\", prometheus.io/port: \"9090\"}\n", "  annotations:\n    istio.io/rev: default\n    x: y\n")
		if r.Intn(2) == 0 {
			labels, anns = anns, labels
		}
		ports := pick("", "    ports: [{containerPort: 8080, name: http}]\n", "    ports:\n    - name: http\n      containerPort: 8080\n", "    ports: [{containerPort: 8080}]\n")
		probe := pick("", "    readinessProbe: {httpGet: {path: /r, port: 8080}}\n", "    readinessProbe:\n      httpGet: {path: /r, port: http}\n", "    readinessProbe:\n      httpGet:\n        path: /r\n        port: http\n", "    livenessProbe: {tcpSocket: {port: 8080}, periodSeconds: 3}\n", "    livenessProbe:\n      tcpSocket: {port: 8080}\n", "    livenessProbe:\n      grpc: {port: 8080}\n")
		if strings.Contains(probe, "port: http") && !strings.Contains(ports, "http") {
			probe = ""
		}
		extra := pick("", "  initContainers: []\n", "  volumes: [{name: v, emptyDir: {}}]\n", "  volumes: []\n", "  initContainers:\n  - {name: init, image: busybox}\n")
		var src string
		if r.Intn(3) == 0 {
			src = fmt.Sprintf("apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n%s%sspec:\n%s  containers: [{name: web, image: x}]\n", labels, anns, extra)
		} else {
			src = fmt.Sprintf("apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n%s%sspec:\n%s  containers:\n  - name: web\n    image: x\n%s%s", labels, anns, extra, ports, probe)
		}
		in := ins[r.Intn(len(ins))]
		if r.Intn(3) == 0 {
			src = strings.Replace(src, "metadata:\n  name: web\n  labels: {app: web}\nspec:", "metadata: {name: web, labels: {app: web}}\nspec:", 1)
			src = strings.Replace(src, "  containers: [{name: web, image: x}]\n", "  containers: [{name: web, image: x, readinessProbe: {tcpSocket: {port: 80}}}, {name: side, image: y}]\n", 1)
		}
		out, _ := run(t, in, []byte(src))
		back, _ := run(t, NewUninjector(), out)
		again, _ := run(t, in, back)
		if !bytes.Equal(back, []byte(src)) || !bytes.Equal(again, out) {
			fails++
			if fails < 6 {
				t.Errorf("case %d:\n%s\n---\n%s", n, src, golden.Diff([]byte(src), back))
			}
		}
	}
	if fails > 0 {
		t.Errorf("%d of 800 did not round-trip", fails)
	}
}

// A collection the user left empty (null, {} or []) that injection filled
// is emptied again, unless it sits where injection would have added it:
// among the last keys of its mapping, in the order injection adds them.
func TestRoundTripEmptyCollections(t *testing.T) {
	t.Parallel()
	roundTrip(t, `apiVersion: v1
kind: Pod
metadata:
  name: web
  annotations:
  labels:
    app: web
spec:
  volumes:
  containers:
  - name: web
    image: example.com/web:1
  initContainers: []
  restartPolicy: Always
`)
	roundTrip(t, `{
  "apiVersion": "v1",
  "kind": "Pod",
  "metadata": {
    "name": "web",
    "annotations": {},
    "labels": {
      "app": "web"
    }
  },
  "spec": {
    "containers": [
      {
        "name": "web",
        "image": "example.com/web:1"
      }
    ],
    "restartPolicy": "Always"
  }
}
`)
	// At the end of metadata, a null annotations key cannot be told from
	// one injection added.
	in := injectorFor(t, nil, "")
	roundTrip(t, podHead+"  annotations:\nspec:\n  containers:\n  - name: web\n    image: example.com/web:1\n")
	src := podHead + "  labels:\n    app: web\n  annotations:\nspec:\n  containers:\n  - name: web\n    image: example.com/web:1\n"
	out, _ := run(t, in, []byte(src))
	back, _ := run(t, NewUninjector(), out)
	if want := strings.Replace(src, "  annotations:\n", "", 1); string(back) != want {
		t.Fatalf("got\n%s", back)
	}
}

// A port note whose spacing was edited stays as a comment; the port still
// gets its name back.
func TestNamedPortNoteEdited(t *testing.T) {
	t.Parallel()
	src := podHead + `spec:
  containers:
  - name: web
    image: example.com/web:1
    ports:
    - name: http
      containerPort: 8080
    readinessProbe:
      httpGet:
        path: /app-health/web/readyz
        port: 15020   # was: http
  - name: istio-proxy
    image: example.com/proxy:1
    env:
    - name: ISTIO_KUBE_APP_PROBERS
      value: '{"/app-health/web/readyz":{"httpGet":{"path":"/ready","port":8080}}}'
`
	src = strings.Replace(src, "  name: web\n", "  name: web\n  annotations:\n    sidecar.istio.io/status: '{\"containers\":[\"istio-proxy\"]}'\n", 1)
	back, _ := run(t, NewUninjector(), []byte(src))
	if !strings.Contains(string(back), "        port: http   # was: http\n") || strings.Contains(string(back), "istio-proxy") {
		t.Fatalf("got\n%s", back)
	}
}
