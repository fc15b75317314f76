package apply

import (
	"strings"
	"testing"
)

// FuzzRecordData feeds arbitrary install-record data (read back from a
// ConfigMap anyone with access may edit) through the record decoder and the
// key parser: they must never panic, and keys survive a round trip.
func FuzzRecordData(f *testing.F) {
	f.Add("apps/Deployment/istio-system/istiod\n/Service/istio-system/istiod", "canary", "spec: {}")
	f.Add("", "", "")
	f.Add("no-slashes\n//\n/a/b/c/d/e", "x", "\x00")
	f.Fuzz(func(t *testing.T, objects, revision, iop string) {
		r := recordFrom(map[string]string{keyObjects: objects, keyRevision: revision, keyIOP: iop, keyHashes: objects}, "n")
		if r.Revision != revision || r.IstioOperator != iop {
			t.Fatal("fields lost")
		}
		if objects != "" && strings.Join(r.Objects, "\n") != objects {
			t.Fatal("objects lost")
		}
		for _, gk := range KindsOf(r.Objects) {
			if strings.Contains(gk.Group, "/") || strings.Contains(gk.Kind, "/") {
				t.Fatalf("bad split: %v", gk)
			}
		}
		_ = managerOf(objects)
	})
}
