package authz

import (
	"bytes"
	"strings"
	"testing"

	"github.com/meshctl/meshctl/pkg/yamlstream"
)

// FuzzEvaluate feeds arbitrary policy documents and request attributes to
// the loader and the evaluator: bad input may be an error, never a panic.
func FuzzEvaluate(f *testing.F) {
	f.Add(ap("ALLOW", "  - from: [{source: {namespaces: [bar]}}]\n"), "GET", "/ip", "x-user=alice", "groups=admin")
	f.Add(ap("DENY", "  - to: [{operation: {paths: ['/a/{**}/b', '*/c', '/d*'], ports: ['80', 'x']}}]\n"), "POST", "/a/x/y/b?q", "", "iss=https://issuer.example")
	f.Add(ap("ALLOW", "  - when: [{key: 'request.auth.claims[a][b]', values: ['*']}, {key: source.ip, values: ['10.0.0.0/8', 'junk']}]\n"), "", "", "", "")
	f.Add("apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: p, namespace: foo}\nspec: {portLevelMtls: {80: {mode: STRICT}}}\n", "GET", "{**}", "", "")
	f.Add("apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: d, namespace: bar}\nspec: {host: '*', exportTo: ['~'], trafficPolicy: {tls: {mode: MUTUAL}}}\n", "", "", "", "")
	f.Add("kind: List\nitems: [{kind: Pod}]\n", "", "", "", "")
	f.Fuzz(func(t *testing.T, doc, method, path, header, claim string) {
		l := NewLoader("istio-system")
		err := yamlstream.Read("fuzz.yaml", strings.NewReader(base+doc), l.AddDocument)
		if err != nil {
			return
		}
		s, err := l.Build(BuildOptions{})
		if err != nil {
			return
		}
		req := Request{Method: method, Path: path, Headers: map[string]string{}}
		if k, v, ok := strings.Cut(header, "="); ok {
			req.Headers[k] = v
		}
		if k, v, ok := strings.Cut(claim, "="); ok {
			req.Claims = map[string][]string{k: {v}, "iss": {"https://issuer.example"}}
		}
		for _, w := range s.Workloads {
			for _, svc := range s.Services {
				req.From, req.To = w, svc
				r := s.Evaluate(req)
				if r.Outcome == "" && len(svc.Workloads) > 0 {
					t.Fatalf("empty outcome for %s -> %s", w.ID(), svc.ID())
				}
				_ = WriteExplanation(&bytes.Buffer{}, r)
			}
			_ = WriteCheck(&bytes.Buffer{}, s.CheckWorkload(w))
		}
		_ = s.TLSCheck(nil, s.Services)
		m := s.Matrix(MatrixOptions{Method: method, Path: path})
		_ = m.WriteSVG(&bytes.Buffer{})
		_ = m.WriteDOT(&bytes.Buffer{})
	})
}
