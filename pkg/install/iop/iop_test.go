package iop

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/meshctl/meshctl/pkg/suggest"
)

// testSchema has a small values schema standing in for the charts'.
func testSchema() *Schema {
	values := map[string]any{
		"global": map[string]any{
			"hub": "", "tag": "",
			"proxy": map[string]any{
				"image":     "proxyv2",
				"resources": map[string]any{"requests": map[string]any{"cpu": "100m"}},
			},
		},
		"pilot":    map[string]any{"env": map[string]any{}, "autoscaleEnabled": true},
		"gateways": map[string]any{"securityContext": map[string]any{}},
	}
	gateway := map[string]any{"name": "", "ports": []any{map[string]any{"name": "", "port": 80}}}
	return NewSchema(values, gateway)
}

func TestParseSet(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in    string
		path  string
		value any
	}{
		{"profile=demo", "profile", "demo"},
		{"spec.profile=demo", "profile", "demo"},
		{"hub=docker.io/istio", "hub", "docker.io/istio"},
		{"tag=1.31", "tag", "1.31"},
		{"tag=1", "tag", "1"},
		{"revision=canary", "revision", "canary"},
		{"meshConfig.accessLogFile=/dev/stdout", "meshConfig.accessLogFile", "/dev/stdout"},
		{"values.global.proxy.resources.requests.cpu=50m", "values.global.proxy.resources.requests.cpu", "50m"},
		{"values.pilot.autoscaleEnabled=false", "values.pilot.autoscaleEnabled", false},
		{"values.pilot.replicaCount=3", "values.pilot.replicaCount", int64(3)},
		{"values.pilot.traceSampling=0.5", "values.pilot.traceSampling", 0.5},
		{"components.egressGateways[0].enabled=true", "components.egressGateways[0].enabled", true},
		{"components.ingressGateways[name:istio-ingressgateway].enabled=false", "components.ingressGateways[name:istio-ingressgateway].enabled", false},
		{`values.pilot.podAnnotations.example\.com/team=mesh`, `values.pilot.podAnnotations.example\.com/team`, "mesh"},
		{"meshConfig.defaultConfig.proxyMetadata.ISTIO_META_DNS_CAPTURE=true", "meshConfig.defaultConfig.proxyMetadata.ISTIO_META_DNS_CAPTURE", "true"},
		{"values.global.proxy.excludeIPRanges=10.0.0.0/8,172.16.0.0/12", "values.global.proxy.excludeIPRanges", "10.0.0.0/8,172.16.0.0/12"},
		{"values.x=a=b", "values.x", "a=b"},
		{"values.x=", "values.x", ""},
		{"components.ingressGateways[name:a.b].enabled=true", "components.ingressGateways[name:a.b].enabled", true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			s, err := ParseSet(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if s.Path != tt.path {
				t.Errorf("path = %q, want %q", s.Path, tt.path)
			}
			if !reflect.DeepEqual(s.Value, tt.value) {
				t.Errorf("value = %#v, want %#v", s.Value, tt.value)
			}
		})
	}
}

func TestParseSetErrors(t *testing.T) {
	t.Parallel()
	for _, in := range []string{
		"profile", "=x", "spec=x", "a..b=1", "a.=1", ".a=1", "[0]=1", "a[0=1", "a[x]=1", "a[-1]=1",
		"a[:v]=1", `a\=1`, "a[0]b=1",
	} {
		t.Run(in, func(t *testing.T) {
			t.Parallel()
			if s, err := ParseSet(in); err == nil {
				t.Errorf("ParseSet(%q) = %+v, want an error", in, s)
			}
		})
	}
}

func TestApply(t *testing.T) {
	t.Parallel()
	base := func() map[string]any {
		return map[string]any{"spec": map[string]any{
			"components": map[string]any{
				"ingressGateways": []any{map[string]any{"name": "istio-ingressgateway", "enabled": true}},
			},
		}}
	}
	tests := []struct {
		sets []string
		want string
	}{
		{[]string{"components.ingressGateways[name:istio-ingressgateway].enabled=false"},
			`{"spec":{"components":{"ingressGateways":[{"enabled":false,"name":"istio-ingressgateway"}]}}}`},
		{[]string{"components.ingressGateways[0].label.x=y"},
			`{"spec":{"components":{"ingressGateways":[{"enabled":true,"label":{"x":"y"},"name":"istio-ingressgateway"}]}}}`},
		{[]string{"components.ingressGateways[name:other].enabled=true"},
			`{"spec":{"components":{"ingressGateways":[{"enabled":true,"name":"istio-ingressgateway"},{"enabled":true,"name":"other"}]}}}`},
		{[]string{"components.egressGateways[0].name=e", "components.egressGateways[0].enabled=true"},
			`{"spec":{"components":{"egressGateways":[{"enabled":true,"name":"e"}],"ingressGateways":[{"enabled":true,"name":"istio-ingressgateway"}]}}}`},
		{[]string{"hub=a", "hub=b"},
			`{"spec":{"components":{"ingressGateways":[{"enabled":true,"name":"istio-ingressgateway"}]},"hub":"b"}}`},
		{[]string{`values.pilot.podAnnotations.a\.b=c`},
			`{"spec":{"components":{"ingressGateways":[{"enabled":true,"name":"istio-ingressgateway"}]},"values":{"pilot":{"podAnnotations":{"a.b":"c"}}}}}`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.sets, " "), func(t *testing.T) {
			t.Parallel()
			doc := base()
			for _, s := range tt.sets {
				st, err := ParseSet(s)
				if err != nil {
					t.Fatal(err)
				}
				if err := st.Apply(doc); err != nil {
					t.Fatal(err)
				}
			}
			got, _ := json.Marshal(doc)
			if string(got) != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestApplyErrors(t *testing.T) {
	t.Parallel()
	doc := map[string]any{"spec": map[string]any{"components": map[string]any{"ingressGateways": []any{}}}}
	for _, s := range []string{"components.ingressGateways[3].enabled=true", "components.ingressGateways.x=1"} {
		st, err := ParseSet(s)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.Apply(doc); err == nil {
			t.Errorf("Apply(%s): want an error", s)
		}
	}
}

func TestCheckSetSuggests(t *testing.T) {
	t.Parallel()
	sc := testSchema()
	tests := []struct {
		set     string
		wantErr string // "" for a valid path
	}{
		{"values.global.proxy.image=x", ""},
		{"values.pilot.env.ANY_NAME=1", ""},
		{"values.gateways.my-gateway.ports[0].port=8080", ""},
		{"values.gateways.securityContext.runAsUser=1", ""},
		{"meshConfig.accessLogFile=/dev/stdout", ""},
		{"meshConfig.defaultConfig.proxyMetadata.FOO=bar", ""},
		{"meshConfig.extensionProviders[0].name=otel", ""},
		{"components.ingressGateways[name:x].k8s.replicaCount=2", ""},
		{"unvalidatedValues.anything.at.all=1", ""},
		{"values.global.prxy.image=x", "did you mean values.global.proxy.image?"},
		{"meshConfig.accesLogFile=x", "did you mean meshConfig.accessLogFile?"},
		{"components.pilot.enabeld=true", "did you mean components.pilot.enabled?"},
		{"global.hub=x", "did you mean values.global.hub?"},
		{"accessLogFile=x", "did you mean meshConfig.accessLogFile?"},
		{"profle=demo", "did you mean profile?"},
		{"values.global.hub.x=1", "is a single value"},
		{"values.zzzzzzzzzz=1", "unknown field"},
	}
	for _, tt := range tests {
		t.Run(tt.set, func(t *testing.T) {
			t.Parallel()
			st, err := ParseSet(tt.set)
			if err != nil {
				t.Fatal(err)
			}
			err = sc.CheckSet(st)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("error = %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

func TestDecodeStrict(t *testing.T) {
	t.Parallel()
	sc := testSchema()
	tests := []struct {
		name, doc, wantErr string
	}{
		{"ok", "apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nspec:\n  profile: demo\n  values:\n    pilot:\n      env:\n        X: y\n", ""},
		{"unknown spec field", "apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nspec:\n  profil: demo\n", "f.yaml: spec.profil: unknown field (did you mean spec.profile?)"},
		{"unknown k8s field", "apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nspec:\n  components:\n    pilot:\n      k8s:\n        replicas: 2\n", "f.yaml: spec.components.pilot.k8s.replicas: unknown field"},
		{"unknown gateway field", "apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nspec:\n  components:\n    ingressGateways:\n    - name: a\n      enable: true\n", "spec.components.ingressGateways[0].enable: unknown field (did you mean spec.components.ingressGateways[0].enabled?)"},
		{"unknown mesh field", "apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nspec:\n  meshConfig:\n    defaultConfig:\n      discoveryAdress: x\n", "spec.meshConfig.defaultConfig.discoveryAdress: unknown field (did you mean spec.meshConfig.defaultConfig.discoveryAddress?)"},
		{"unknown value", "apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nspec:\n  values:\n    global:\n      hubb: x\n", "spec.values.global.hubb: unknown field (did you mean spec.values.global.hub?)"},
		{"wrong type", "apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nspec:\n  components:\n    pilot:\n      enabled: yes please\n", "spec.components.pilot.enabled"},
		{"wrong kind", "apiVersion: v1\nkind: ConfigMap\n", "want apiVersion install.istio.io/v1alpha1 and kind IstioOperator"},
		{"not yaml", "spec: [\n", "f.yaml"},
		{"empty", "# nothing\n", "empty IstioOperator document"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := sc.Decode([]byte(tt.doc), "f.yaml")
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("error = %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

func TestMergePrecedence(t *testing.T) {
	t.Parallel()
	base := map[string]any{"spec": map[string]any{
		"hub": "base",
		"components": map[string]any{
			"ingressGateways": []any{map[string]any{"name": "istio-ingressgateway", "enabled": true, "label": map[string]any{"a": "1"}}},
			"egressGateways":  []any{map[string]any{"name": "istio-egressgateway", "enabled": false}},
		},
		"values": map[string]any{"ports": []any{1, 2, 3}, "keep": "me", "drop": "me"},
	}}
	overlay := map[string]any{"spec": map[string]any{
		"hub": "overlay",
		"components": map[string]any{
			"ingressGateways": []any{map[string]any{"name": "istio-ingressgateway", "label": map[string]any{"b": "2"}}},
			"egressGateways":  []any{map[string]any{"name": "istio-egressgateway", "enabled": true}, map[string]any{"name": "extra", "enabled": true}},
		},
		"values": map[string]any{"ports": []any{9}, "drop": nil},
	}}
	got := Merge(base, overlay)
	b, _ := json.Marshal(got)
	want := `{"spec":{"components":{"egressGateways":[{"enabled":true,"name":"istio-egressgateway"},{"enabled":true,"name":"extra"}],"ingressGateways":[{"enabled":true,"label":{"a":"1","b":"2"},"name":"istio-ingressgateway"}]},"hub":"overlay","values":{"keep":"me","ports":[9]}}}`
	if string(b) != want {
		t.Errorf("got  %s\nwant %s", b, want)
	}
	// The inputs are untouched.
	if base["spec"].(map[string]any)["hub"] != "base" || len(base["spec"].(map[string]any)["values"].(map[string]any)) != 3 {
		t.Error("Merge changed its base")
	}
}

func TestGetAndFlags(t *testing.T) {
	t.Parallel()
	doc := map[string]any{"spec": map[string]any{
		"values":     map[string]any{"global": map[string]any{"hub": "h", "n": 1.5, "a.b": true, "empty": map[string]any{}}},
		"components": map[string]any{"ingressGateways": []any{map[string]any{"name": "gw", "enabled": true}}},
	}}
	v, err := Get(doc, "spec.values.global")
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(Flags("values.global", v), "\n")
	want := "values.global.a\\.b=true\nvalues.global.hub=h\nvalues.global.n=1.5"
	if got != want {
		t.Errorf("flags:\n%s\nwant:\n%s", got, want)
	}
	if v, err := Get(doc, "components.ingressGateways[name:gw].enabled"); err != nil || v != true {
		t.Errorf("Get selector = %v, %v", v, err)
	}
	if _, err := Get(doc, "values.nothing"); err == nil || !strings.Contains(err.Error(), "values.nothing: not found") {
		t.Errorf("Get missing: %v", err)
	}
}

func TestNearest(t *testing.T) {
	t.Parallel()
	if got := suggest.Nearest("enabeld", []string{"enabled", "namespace", "k8s"}); got != "enabled" {
		t.Errorf("nearest = %q", got)
	}
	if got := suggest.Nearest("zzzzzz", []string{"enabled", "k8s"}); got != "" {
		t.Errorf("nearest of a far word = %q, want none", got)
	}
}
