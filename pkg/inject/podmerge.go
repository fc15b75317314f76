package inject

import (
	"bytes"
	"encoding/json"
	"strings"
	"sync"

	yamlv3 "go.yaml.in/yaml/v3"
	corev1 "k8s.io/api/core/v1"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	"k8s.io/apimachinery/pkg/util/mergepatch"
	"k8s.io/apimachinery/pkg/util/strategicpatch"
	"sigs.k8s.io/yaml"
)

// podSchema is what strategicpatch.StrategicMergePatch(…, corev1.Pod{})
// builds on every call.
var podSchema, podSchemaErr = strategicpatch.NewPatchMetaFromStruct(corev1.Pod{})

// decodeJSONMap is the library's own first step of a strategic merge patch:
// a JSON object read with numbers as int64 where they are integers.
func decodeJSONMap(j []byte) (map[string]any, error) {
	if j == nil {
		j = []byte("{}")
	}
	m := map[string]any{}
	if err := utiljson.Unmarshal(j, &m); err != nil {
		return nil, mergepatch.ErrBadJSONDoc
	}
	return m, nil
}

// mergeOverPod is strategicpatch.StrategicMergePatch(orig, patch,
// corev1.Pod{}) with the patch already decoded by decodeJSONMap: the steps
// of the library, each once. patch is consumed.
func mergeOverPod(orig []byte, patch map[string]any) ([]byte, error) {
	res, err := mergeOverPodMap(orig, patch)
	if err != nil {
		return nil, err
	}
	return json.Marshal(res)
}

// mergeOverPodMap is mergeOverPod before its last step: the merged map.
func mergeOverPodMap(orig []byte, patch map[string]any) (map[string]any, error) {
	if podSchemaErr != nil {
		return nil, podSchemaErr
	}
	origMap, err := decodeJSONMap(orig)
	if err != nil {
		return nil, err
	}
	return mergeMapsOverPod(origMap, patch)
}

// mergeMapsOverPod is the merge itself, of the decoded pod and patch; both
// are consumed.
func mergeMapsOverPod(origMap, patch map[string]any) (map[string]any, error) {
	if podSchemaErr != nil {
		return nil, podSchemaErr
	}
	return strategicpatch.StrategicMergeMapPatchUsingLookupPatchMeta(origMap, patch, podSchema)
}

// namesFromMap reads the names a decoded template adds, as
// json.Unmarshal(patch, &injectedNames{}) would; ok is false for anything
// where encoding/json's rules (case-insensitive keys, type errors, null
// items) could make a difference, and the caller decodes the text instead.
func namesFromMap(m map[string]any) (n *injectedNames, ok bool) {
	n = &injectedNames{}
	spec, ok := field(m, "spec")
	if !ok {
		return nil, false
	}
	if spec == nil {
		return n, true
	}
	sm, isMap := spec.(map[string]any)
	if !isMap {
		return nil, false
	}
	for _, f := range []struct {
		key string
		dst *[]named
	}{
		{"initContainers", &n.Spec.InitContainers},
		{"containers", &n.Spec.Containers},
		{"volumes", &n.Spec.Volumes},
		{"imagePullSecrets", &n.Spec.ImagePullSecrets},
	} {
		v, ok := field(sm, f.key)
		if !ok {
			return nil, false
		}
		if v == nil {
			continue
		}
		items, isList := v.([]any)
		if !isList {
			return nil, false
		}
		out := make([]named, 0, len(items))
		for _, it := range items {
			im, isMap := it.(map[string]any)
			if !isMap {
				return nil, false
			}
			name, ok := field(im, "name")
			if !ok {
				return nil, false
			}
			s, isStr := name.(string)
			if name != nil && !isStr {
				return nil, false
			}
			if name == nil && hasKey(im, "name") {
				return nil, false
			}
			out = append(out, named{Name: s})
		}
		*f.dst = out
	}
	return n, true
}

// field returns m[key]; ok is false when another key of m matches key
// case-insensitively (encoding/json would consider it too).
func field(m map[string]any, key string) (any, bool) {
	for k := range m {
		if k != key && strings.EqualFold(k, key) {
			return nil, false
		}
	}
	return m[key], true
}

func hasKey(m map[string]any, key string) bool {
	_, ok := m[key]
	return ok
}

// yamlMemo remembers toYaml's results by the JSON of the value: the
// templates print the same configuration values for every pod. It is
// bounded and starts over when full.
type yamlMemo struct {
	mu sync.Mutex
	m  map[string]string
}

const (
	maxMemoEntries = 256
	maxMemoKey     = 16 << 10
)

// toYAML is sigs.k8s.io/yaml's Marshal (JSON, then YAML from the JSON),
// the second step remembered.
func (c *yamlMemo) toYAML(v any) string {
	j, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	if len(j) > maxMemoKey {
		return jsonToYAMLString(j)
	}
	c.mu.Lock()
	s, ok := c.m[string(j)]
	c.mu.Unlock()
	if ok {
		return s
	}
	s = jsonToYAMLString(j)
	c.mu.Lock()
	if c.m == nil || len(c.m) >= maxMemoEntries {
		c.m = map[string]string{}
	}
	c.m[string(j)] = s
	c.mu.Unlock()
	return s
}

func jsonToYAMLString(j []byte) string {
	b, err := yaml.JSONToYAML(j)
	if err != nil {
		return ""
	}
	return string(b)
}

// bufPool holds the buffers templates render into.
var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func getBuf() *bytes.Buffer {
	b := bufPool.Get().(*bytes.Buffer)
	b.Reset()
	return b
}

func putBuf(b *bytes.Buffer) {
	if b.Cap() <= 1<<20 {
		bufPool.Put(b)
	}
}

// podJSON is the JSON decodePod builds from a pod template node — yaml.v3's
// decoding into map[string]any, then json.Marshal of its metadata and spec
// — written straight from the nodes. Keys come in document order rather
// than sorted, which decoding into a Pod does not see, since keys are
// unique. ok is false for anything but untagged mappings, lists and scalars
// with unique string keys: the caller then takes the library's way, which
// also words the errors.
func podJSON(n *yamlv3.Node) ([]byte, bool) {
	if n.Kind != yamlv3.MappingNode || !plainTree(n) {
		return nil, false
	}
	var meta, spec *yamlv3.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		switch n.Content[i].Value {
		case "metadata":
			meta = n.Content[i+1]
		case "spec":
			spec = n.Content[i+1]
		}
	}
	b := make([]byte, 0, 1024)
	b = append(b, `{"metadata":`...)
	b, ok := appendNodeJSON(b, meta)
	if !ok {
		return nil, false
	}
	b = append(b, `,"spec":`...)
	if b, ok = appendNodeJSON(b, spec); !ok {
		return nil, false
	}
	return append(b, '}'), true
}

// plainTree reports whether a subtree has no tags, aliases or merge keys,
// and its mappings have unique string keys.
func plainTree(n *yamlv3.Node) bool {
	if n.Style&yamlv3.TaggedStyle != 0 {
		return false
	}
	switch n.Kind {
	case yamlv3.ScalarNode:
		return true
	case yamlv3.SequenceNode:
		for _, c := range n.Content {
			if !plainTree(c) {
				return false
			}
		}
		return true
	case yamlv3.MappingNode:
		var seen map[string]struct{}
		if len(n.Content) > 16 {
			seen = make(map[string]struct{}, len(n.Content)/2)
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind != yamlv3.ScalarNode || k.Style&yamlv3.TaggedStyle != 0 || k.ShortTag() != "!!str" {
				return false
			}
			if seen != nil {
				if _, dup := seen[k.Value]; dup {
					return false
				}
				seen[k.Value] = struct{}{}
			} else {
				for j := 0; j < i; j += 2 {
					if n.Content[j].Value == k.Value {
						return false
					}
				}
			}
			if !plainTree(n.Content[i+1]) {
				return false
			}
		}
		return true
	}
	return false
}

// appendNodeJSON appends the JSON of a plain subtree (nil is null).
func appendNodeJSON(b []byte, n *yamlv3.Node) ([]byte, bool) {
	if n == nil {
		return append(b, "null"...), true
	}
	var ok bool
	switch n.Kind {
	case yamlv3.MappingNode:
		b = append(b, '{')
		for i := 0; i+1 < len(n.Content); i += 2 {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, n.Content[i].Value)
			b = append(b, ':')
			if b, ok = appendNodeJSON(b, n.Content[i+1]); !ok {
				return nil, false
			}
		}
		return append(b, '}'), true
	case yamlv3.SequenceNode:
		b = append(b, '[')
		for i, c := range n.Content {
			if i > 0 {
				b = append(b, ',')
			}
			if b, ok = appendNodeJSON(b, c); !ok {
				return nil, false
			}
		}
		return append(b, ']'), true
	case yamlv3.ScalarNode:
		if n.ShortTag() == "!!str" {
			return appendJSONString(b, n.Value), true
		}
		// Numbers, booleans, nulls and the rest: as the library decodes
		// and marshals them.
		var v any
		if err := n.Decode(&v); err != nil {
			return nil, false
		}
		j, err := json.Marshal(v)
		if err != nil {
			return nil, false
		}
		return append(b, j...), true
	}
	return nil, false
}

// appendJSONString appends s as a JSON string.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			j, _ := json.Marshal(s)
			return append(b, j...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
