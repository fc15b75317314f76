package authz

import (
	"strings"
	"testing"
)

// egressMesh: a client in foo, services in foo and bar (bar's
// httpbin exported to bar only), a wildcard ServiceEntry in foo.
const egressMesh = `
apiVersion: v1
kind: Namespace
metadata: {name: foo, labels: {istio-injection: enabled}}
---
apiVersion: v1
kind: Namespace
metadata: {name: bar, labels: {istio-injection: enabled}}
---
apiVersion: v1
kind: Pod
metadata: {name: sleep, namespace: foo, labels: {app: sleep}}
spec: {containers: [{name: sleep, image: x}]}
---
apiVersion: v1
kind: Pod
metadata: {name: other, namespace: foo, labels: {app: other}}
spec: {containers: [{name: other, image: x}]}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: bar, labels: {app: web}}
spec: {containers: [{name: web, image: x}]}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: bar}
spec: {selector: {app: web}, ports: [{name: http, port: 8080}, {name: tcp-db, port: 5432}]}
---
apiVersion: v1
kind: Service
metadata: {name: hidden, namespace: bar, annotations: {networking.istio.io/exportTo: "."}}
spec: {selector: {app: web}, ports: [{name: http, port: 8080}]}
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: wiki, namespace: foo}
spec:
  hosts: ["*.wikipedia.org"]
  ports: [{number: 443, name: tls, protocol: TLS}]
  resolution: NONE
---
apiVersion: v1
kind: ConfigMap
metadata: {name: istio, namespace: istio-system}
data:
  mesh: |
    outboundTrafficPolicy: {mode: REGISTRY_ONLY}
`

func sidecar(ns, name, spec string) string {
	return "---\napiVersion: networking.istio.io/v1\nkind: Sidecar\nmetadata: {name: " + name + ", namespace: " + ns + "}\nspec:\n" + spec
}

func TestEgressRules(t *testing.T) {
	cases := []struct {
		name, sidecars, from, to string
		want                     Outcome
		upstream, text           string
	}{
		{"no Sidecar: every exported service", "", "sleep.foo", "web.bar:8080", Allowed, "outbound|8080||web.bar.svc.cluster.local", ""},
		{"exportTo hides a service (web.bar gives port 8080 an HTTP route)", "", "sleep.foo", "hidden.bar", BadGateway, BlockAll, `not exported to namespace foo`},
		{"wildcard ServiceEntry covers the host", "", "sleep.foo", "en.wikipedia.org:443", Allowed, "outbound|443||en.wikipedia.org", "ServiceEntry foo/wiki"},
		{"unregistered host", "", "sleep.foo", "www.example.com", Reset, BlackHoleCluster, "register www.example.com with a ServiceEntry"},
		{"an IP address", "", "sleep.foo", "10.1.2.3:443", Reset, BlackHoleCluster, "10.1.2.3 is in no registry"},
		{"an excluded host beats the wildcard", sidecar("foo", "s", "  egress:\n  - hosts: [\"*/*\", \"~bar/web.bar.svc.cluster.local\"]\n"), "sleep.foo", "web.bar:8080", Reset, BlackHoleCluster, "does not import"},
		{"short names are not completed", sidecar("foo", "s", "  egress:\n  - hosts: [\"bar/web\", \"./*\"]\n"), "sleep.foo", "web.bar:8080", Reset, BlackHoleCluster, "does not import"},
		{"a port listener imports only that port", sidecar("foo", "s", "  egress:\n  - port: {number: 5432, protocol: TCP, name: tcp}\n    hosts: [\"bar/*\"]\n"), "sleep.foo", "web.bar:8080", Reset, BlackHoleCluster, "does not import"},
		{"... and the port it names", sidecar("foo", "s", "  egress:\n  - port: {number: 5432, protocol: TCP, name: tcp}\n    hosts: [\"bar/*\"]\n"), "sleep.foo", "web.bar:5432", Allowed, "outbound|5432||web.bar.svc.cluster.local", `egress host "bar/*"`},
		{"the selector Sidecar wins", sidecar("foo", "a-ns", "  egress:\n  - hosts: [\"bar/*\"]\n") + sidecar("foo", "z-sleep", "  workloadSelector: {labels: {app: sleep}}\n  egress:\n  - hosts: [\"./*\"]\n"), "sleep.foo", "web.bar:8080", Reset, BlackHoleCluster, "Sidecar foo/z-sleep"},
		{"others keep the namespace's Sidecar", sidecar("foo", "a-ns", "  egress:\n  - hosts: [\"bar/*\"]\n") + sidecar("foo", "z-sleep", "  workloadSelector: {labels: {app: sleep}}\n  egress:\n  - hosts: [\"./*\"]\n"), "other.foo", "web.bar:8080", Allowed, "outbound|8080||web.bar.svc.cluster.local", "Sidecar foo/a-ns"},
		{"the namespace's Sidecar replaces the root one", sidecar("istio-system", "default", "  egress:\n  - hosts: [\"*/*\"]\n") + sidecar("foo", "own", "  egress:\n  - hosts: [\"./*\"]\n"), "sleep.foo", "web.bar:8080", Reset, BlackHoleCluster, "Sidecar foo/own"},
		{"a Sidecar without egress imports everything", sidecar("foo", "s", "  outboundTrafficPolicy: {mode: ALLOW_ANY}\n"), "sleep.foo", "web.bar:8080", Allowed, "outbound|8080||web.bar.svc.cluster.local", `egress host "*/*"`},
		{"the Sidecar's policy wins over the mesh's", sidecar("foo", "s", "  egress:\n  - hosts: [\"./*\"]\n  outboundTrafficPolicy: {mode: ALLOW_ANY}\n"), "sleep.foo", "www.example.com", Allowed, PassthroughCluster, ""},
		{"\"~/*\" imports nothing", sidecar("foo", "s", "  egress:\n  - hosts: [\"~/*\"]\n"), "sleep.foo", "en.wikipedia.org:443", Reset, BlackHoleCluster, "does not import"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := snapshotOf(t, egressMesh+c.sidecars)
			w, err := s.Workload(c.from, "")
			if err != nil {
				t.Fatal(err)
			}
			d, port, err := s.Destination(c.to, "foo")
			if err != nil {
				t.Fatal(err)
			}
			r := s.Evaluate(Request{From: w, To: d, Port: port})
			text := r.Summary
			for _, cr := range r.Client {
				text += " | " + cr.Text
			}
			if r.Outcome != c.want || r.Upstream != c.upstream || !strings.Contains(text, c.text) {
				t.Errorf("%s -> %s: got %s via %q (%s), want %s via %q mentioning %q", c.from, c.to, r.Outcome, r.Upstream, text, c.want, c.upstream, c.text)
			}
		})
	}
}

func TestDestinationNames(t *testing.T) {
	s := snapshotOf(t, egressMesh)
	for ref, want := range map[string]string{
		"web.bar":                        "web.bar",
		"web.bar.svc.cluster.local:8080": "web.bar",
		"web":                            "", // no web in foo
		"db.bar":                         "", // bar is a namespace: a service ref
		"api.example.com":                "api.example.com",
		"en.wikipedia.org":               "en.wikipedia.org",
		"10.1.2.3:443":                   "10.1.2.3",
		"web.bar:http":                   "",
		"web.bar:70000":                  "",
	} {
		d, _, err := s.Destination(ref, "foo")
		switch {
		case want == "" && err == nil:
			t.Errorf("%s: want an error, got %s", ref, d.ID())
		case want != "" && err != nil:
			t.Errorf("%s: %v", ref, err)
		case want != "" && d.ID() != want:
			t.Errorf("%s: got %s, want %s", ref, d.ID(), want)
		}
	}
}

// TestWorkloadEntries: a VM's WorkloadEntry behind a MESH_INTERNAL
// ServiceEntry and an inline endpoint without a proxy (samples/egress/vm).
func TestWorkloadEntries(t *testing.T) {
	t.Parallel()
	l := NewLoader("istio-system")
	if err := l.AddPaths([]string{"../../samples/security/scenarios/apps.yaml", "../../samples/egress/vm", "../../samples/security/scenarios/2-strict/strict.yaml"}, nil); err != nil {
		t.Fatal(err)
	}
	s, err := l.Build(BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	vm, err := s.Workload("mysql-vm-1.vm", "")
	if err != nil {
		t.Fatal(err)
	}
	if !vm.Sidecar || vm.IP != "10.20.0.11" || vm.Principal(s.Mesh.TrustDomain) != "cluster.local/ns/vm/sa/mysql-vm" || vm.Kind != "WorkloadEntry" {
		t.Errorf("WorkloadEntry as read: %+v", vm)
	}
	cases := []struct {
		from, to string
		want     Outcome
		decided  string
	}{
		// The VM's proxy enforces the mesh-wide STRICT and its ALLOW policy.
		{"sleep.foo", "mysql.vm.example", Allowed, "allow"},
		{"sleep.bar", "mysql.vm.example", Denied, "allow"},
		{"sleep.legacy", "mysql.vm.example", Reset, "mtls"},
		// No proxy on the old machine: plaintext, no policy.
		{"sleep.foo", "cache.vm.example", Allowed, "mtls"},
	}
	for _, c := range cases {
		r := evalRef(t, s, c.from, c.to)
		if r.Outcome != c.want || len(r.Backend) != 1 {
			t.Errorf("%s -> %s = %s with %d backends, want %s (%s)", c.from, c.to, r.Outcome, len(r.Backend), c.want, r.Summary)
			continue
		}
		if st, _, _ := decidingStep(r); st != c.decided {
			t.Errorf("%s -> %s: decided by %s, want %s", c.from, c.to, st, c.decided)
		}
	}
	r := evalRef(t, s, "sleep.foo", "cache.vm.example")
	if r.Backend[0].Workload != "legacy-cache-endpoint-0.vm" || !strings.Contains(r.Summary, "no sidecar") {
		t.Errorf("inline endpoint: %s: %s", r.Backend[0].Workload, r.Summary)
	}
	// The WorkloadEntry's port for the service port's name is the one the
	// VM's proxy receives on.
	r = evalRef(t, s, "sleep.foo", "mysql.vm.example")
	if rs := r.Backend[0].Reasons; !strings.Contains(rs[1].Text, "mysql-vm-1.vm port 3307") {
		t.Errorf("the VM's port: %+v", rs)
	}
}

// TestVirtualServicePrecedence: the VirtualService found through the host
// index is the one a scan of all of them finds: an exact host beats a
// wildcard, the older of two equal hosts wins, and one not exported to the
// client's namespace is passed over.
func TestVirtualServicePrecedence(t *testing.T) {
	t.Parallel()
	vs := func(name, created, exportTo string, hosts ...string) string {
		return "---\napiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: " + name + ", namespace: bar, creationTimestamp: \"" + created + "\"}\nspec:\n  hosts: [" + strings.Join(hosts, ", ") + "]\n  exportTo: [" + exportTo + "]\n  http: [{route: [{destination: {host: web.bar.svc.cluster.local}}]}]\n"
	}
	wild := vs("wild", "2020-01-01T00:00:00Z", `"*"`, `"*.bar.svc.cluster.local"`)
	cases := []struct{ name, objects, want string }{
		{"none covers the host", vs("other", "2020-01-01T00:00:00Z", `"*"`, "other.bar.svc.cluster.local"), ""},
		{"a wildcard alone", wild, "wild"},
		{"exact beats wildcard", wild + vs("exact", "2024-01-01T00:00:00Z", `"*"`, "web"), "exact"},
		{"the older of two exact", vs("young", "2024-01-01T00:00:00Z", `"*"`, "web") + vs("old", "2021-01-01T00:00:00Z", `"*"`, "web.bar.svc.cluster.local") + wild, "old"},
		{"not exported to foo", wild + vs("private", "2024-01-01T00:00:00Z", `"."`, "web"), "wild"},
		{"a longer wildcard", wild + vs("longer", "2024-01-01T00:00:00Z", `"*"`, `"*.svc.cluster.local"`, `"*.web.bar.svc.cluster.local"`, `"*.bar.svc.cluster.local"`), "wild"},
	}
	for _, c := range cases {
		s := snapshotOf(t, egressMesh+c.objects)
		client, err := s.Workload("sleep.foo", "")
		if err != nil {
			t.Fatal(err)
		}
		d, _, err := s.Destination("web.bar", "foo")
		if err != nil {
			t.Fatal(err)
		}
		got, _ := s.virtualServiceFor(client, d, 8080, "")
		name := ""
		if got != nil {
			name = got.Name
		}
		if name != c.want {
			t.Errorf("%s: VirtualService %q, want %q", c.name, name, c.want)
		}
	}
}
