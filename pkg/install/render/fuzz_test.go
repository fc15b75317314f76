package render

import (
	"strings"
	"testing"
)

// FuzzSet renders the default profile with one arbitrary --set flag and one
// arbitrary overlay document: never a panic, and an accepted input renders
// objects that all carry the ownership labels.
func FuzzSet(f *testing.F) {
	f.Add("values.pilot.replicaCount=3", "")
	f.Add("components.ingressGateways[name:istio-ingressgateway].k8s.service.type=NodePort", "")
	f.Add("meshConfig.defaultConfig.proxyMetadata.X=1", "apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nspec:\n  profile: demo\n")
	f.Add("revision=canary", "apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nspec:\n  values:\n    pilot:\n      env: {A: b}\n")
	f.Fuzz(func(t *testing.T, set, overlay string) {
		o := Options{Sets: []string{set}}
		if strings.TrimSpace(overlay) != "" {
			o.Files = []Input{{Source: "fuzz.yaml", Data: []byte(overlay)}}
		}
		m, err := Render(o)
		if err != nil {
			return
		}
		for _, obj := range m.Objects {
			if obj.Object.GetLabels()["app.kubernetes.io/managed-by"] != "meshctl" {
				t.Fatalf("%s has no ownership label", obj.Key())
			}
		}
	})
}
