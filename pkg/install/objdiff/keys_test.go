package objdiff

import (
	"bytes"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

func decode(t testing.TB, s string) *unstructured.Unstructured {
	t.Helper()
	var m map[string]any
	if err := yaml.Unmarshal([]byte(s), &m); err != nil {
		t.Fatal(err)
	}
	return &unstructured.Unstructured{Object: m}
}

func TestObjectValuesMatchListItemsByKey(t *testing.T) {
	t.Parallel()
	const pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n"
	tests := []struct {
		name string
		a, b string
		want string
	}{
		{"an inserted container port is one added item",
			pod + "  containers: [{name: c, ports: [{containerPort: 80}, {containerPort: 81}]}]",
			pod + "  containers: [{name: c, ports: [{containerPort: 79, name: x}, {containerPort: 80}, {containerPort: 81}]}]",
			`+ spec.containers[name:c].ports[containerPort:79]: {"containerPort":79,"name":"x"}` + "\n"},
		{"a removed one is one removed item",
			pod + "  containers: [{name: c, ports: [{containerPort: 80}, {containerPort: 81}]}]",
			pod + "  containers: [{name: c, ports: [{containerPort: 81}]}]",
			`- spec.containers[name:c].ports[containerPort:80]: {"containerPort":80}` + "\n"},
		{"a changed field of a matched item by its path",
			pod + "  containers: [{name: a, image: x}, {name: b, image: v1}]",
			pod + "  containers: [{name: b, image: v2}, {name: a, image: x}]",
			`~ spec.containers[name:b].image: "v1" -> "v2"` + "\n"},
		{"the protocol joins a key that repeats",
			pod + "  containers: [{name: c, ports: [{containerPort: 53, protocol: UDP, name: u}, {containerPort: 53, protocol: TCP}]}]",
			pod + "  containers: [{name: c, ports: [{containerPort: 53, protocol: TCP}, {containerPort: 53, protocol: UDP, name: dns}]}]",
			`~ spec.containers[name:c].ports[containerPort:53,protocol:UDP].name: "u" -> "dns"` + "\n"},
		{"volume mounts by mount path",
			pod + "  containers: [{name: c, volumeMounts: [{name: v, mountPath: /a}, {name: v, mountPath: /b}]}]",
			pod + "  containers: [{name: c, volumeMounts: [{name: v, mountPath: /b, readOnly: true}, {name: v, mountPath: /a}]}]",
			"+ spec.containers[name:c].volumeMounts[mountPath:/b].readOnly: true\n"},
		{"a list without a merge key by unique names",
			pod + "  containers: [{name: c, readinessProbe: {httpGet: {httpHeaders: [{name: A, value: '1'}, {name: B, value: '2'}]}}}]",
			pod + "  containers: [{name: c, readinessProbe: {httpGet: {httpHeaders: [{name: B, value: '3'}, {name: A, value: '1'}]}}}]",
			`~ spec.containers[name:c].readinessProbe.httpGet.httpHeaders[name:B].value: "2" -> "3"` + "\n"},
		{"merge keys other than name",
			pod + "  hostAliases: [{ip: 1.1.1.1, hostnames: [a]}, {ip: 2.2.2.2}]",
			pod + "  hostAliases: [{ip: 2.2.2.2}, {ip: 1.1.1.1, hostnames: [b]}]",
			`~ spec.hostAliases[ip:1.1.1.1].hostnames[0]: "a" -> "b"` + "\n"},
		{"a list without a key by position",
			pod + "  tolerations: [{key: a}, {key: b}]\n  containers: [{name: c, args: [p, q]}]",
			pod + "  tolerations: [{key: b}, {key: a}]\n  containers: [{name: c, args: [q]}]",
			"~ spec.containers[name:c].args[0]: \"p\" -> \"q\"\n- spec.containers[name:c].args[1]: \"q\"\n" +
				"~ spec.tolerations[0].key: \"a\" -> \"b\"\n~ spec.tolerations[1].key: \"b\" -> \"a\"\n"},
		{"items without their key by position",
			pod + "  containers: [{name: c, ports: [{name: a}, {containerPort: 80}]}]",
			pod + "  containers: [{name: c, ports: [{containerPort: 80}, {name: a}]}]",
			"+ spec.containers[name:c].ports[0].containerPort: 80\n- spec.containers[name:c].ports[0].name: \"a\"\n" +
				"- spec.containers[name:c].ports[1].containerPort: 80\n+ spec.containers[name:c].ports[1].name: \"a\"\n"},
		{"Service ports by port",
			"apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {ports: [{name: http, port: 80}, {name: https, port: 443}]}",
			"apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {ports: [{name: tcp, port: 31400}, {name: http, port: 80}, {name: https, port: 443}]}",
			`+ spec.ports[port:31400]: {"name":"tcp","port":31400}` + "\n"},
		{"custom resources by unique names",
			"apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: v}\nspec: {http: [{name: a, timeout: 1s}, {name: b}]}",
			"apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: v}\nspec: {http: [{name: b}, {name: a, timeout: 2s}]}",
			`~ spec.http[name:a].timeout: "1s" -> "2s"` + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			WriteChanges(&buf, ObjectValues(decode(t, tt.a), decode(t, tt.b)), "")
			if buf.String() != tt.want {
				t.Errorf("got:\n%s\nwant:\n%s", buf.String(), tt.want)
			}
		})
	}
}

// A key decoded as an int64 on one side (the API server's JSON) and a float
// on the other (YAML) is the same key.
func TestObjectValuesKeysByNumericValue(t *testing.T) {
	t.Parallel()
	mk := func(port any) *unstructured.Unstructured {
		return &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Service", "metadata": map[string]any{"name": "s"},
			"spec": map[string]any{"ports": []any{map[string]any{"port": port}, map[string]any{"port": 1.0}}}}}
	}
	if cs := ObjectValues(mk(int64(80)), mk(80.0)); len(cs) != 0 {
		t.Errorf("changes %+v", cs)
	}
}
