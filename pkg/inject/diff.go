package inject

import (
	"encoding/json"
	"math/big"
	"sort"
	"strings"

	yaml "go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/api/resource"
)

func mapGet(m *yaml.Node, key string) (int, *yaml.Node) {
	if m == nil || m.Kind != yaml.MappingNode {
		return -1, nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return i, m.Content[i+1]
		}
	}
	return -1, nil
}

// emptyish values are what typed round trips invent (creationTimestamp:
// null, resources: {}); they are never inserted into the user's objects.
func emptyish(n *yaml.Node) bool {
	switch n.Kind {
	case yaml.ScalarNode:
		return n.Tag == "!!null"
	case yaml.MappingNode, yaml.SequenceNode:
		return len(n.Content) == 0
	}
	return false
}

// probeKeys hold handlers injection may turn into httpGet.
var probeKeys = map[string]bool{"readinessProbe": true, "livenessProbe": true, "startupProbe": true, "preStop": true, "postStart": true}

// apply makes orig (the user's node) agree with want (the injected value)
// through p, by insertions and scalar rewrites only; key is the name under
// which orig sits and keyIndent its key's column.
func apply(p patcher, orig, want *yaml.Node, key string, keyIndent int) error {
	if orig.Kind == yaml.AliasNode {
		return nil
	}
	switch {
	case orig.Kind == yaml.MappingNode && want.Kind == yaml.MappingNode:
		return applyMap(p, orig, want, key, keyIndent)
	case orig.Kind == yaml.SequenceNode && want.Kind == yaml.SequenceNode:
		return applySeq(p, orig, want, keyIndent)
	case orig.Kind == yaml.ScalarNode && want.Kind == yaml.ScalarNode:
		if !scalarEqual(orig, want) {
			return p.replaceScalar(orig, want.Value, want.Tag)
		}
	}
	return nil
}

func applyMap(p patcher, orig, want *yaml.Node, key string, keyIndent int) error {
	var missing []*yaml.Node
	for i := 0; i+1 < len(want.Content); i += 2 {
		k, wv := want.Content[i], want.Content[i+1]
		if k.Value == "annotations" {
			statusFirst(wv)
		}
		idx, ov := mapGet(orig, k.Value)
		if ov == nil {
			// A probe whose handler changes kind (tcpSocket, grpc to
			// httpGet) gets the new handler in place of the old.
			if probeKeys[key] && k.Value == "httpGet" {
				if hi := handlerIndex(orig); hi >= 0 {
					if _, port := mapGet(orig.Content[hi+1], "port"); port != nil && isPortName(port) {
						if _, wp := mapGet(wv, "port"); wp != nil {
							wp.LineComment = portNote(port.Value)
						}
					}
					if err := p.replaceEntry(orig, hi, []*yaml.Node{k, wv}, ""); err != nil {
						return err
					}
					continue
				}
			}
			if !emptyish(wv) {
				missing = append(missing, k, wv)
			}
			continue
		}
		ki := orig.Content[idx].Column - 1
		if ov.Kind == yaml.ScalarNode && ov.Tag == "!!null" && (wv.Kind == yaml.MappingNode || wv.Kind == yaml.SequenceNode) {
			if !emptyish(wv) {
				if err := p.fillNull(orig, idx, wv, ki); err != nil {
					return err
				}
			}
			continue
		}
		if k.Value == "port" && isPortName(ov) && wv.Kind == yaml.ScalarNode && wv.Tag == "!!int" {
			if isFlow(orig) {
				// The note goes after the handler, when that ends its line.
				if err := p.replaceScalar(ov, wv.Value, wv.Tag); err != nil {
					return err
				}
				if err := p.noteAfter(orig, portNote(ov.Value), ""); err != nil {
					return err
				}
			} else if err := p.replaceNoted(ov, wv.Value, wv.Tag, portNote(ov.Value), ""); err != nil {
				return err
			}
			continue
		}
		if err := apply(p, ov, wv, k.Value, ki); err != nil {
			return err
		}
	}
	if key == "annotations" {
		// Injection takes away only annotations: the prometheus.io ones it
		// moves into the proxy.
		for i := 0; i+1 < len(orig.Content); i += 2 {
			if wi, _ := mapGet(want, orig.Content[i].Value); wi < 0 {
				if err := p.deleteEntry(orig, i); err != nil {
					return err
				}
			}
		}
	}
	if len(missing) > 0 {
		return p.insertKeys(orig, keyIndent, missing)
	}
	return nil
}

// A probe that names its port (port: http) is pointed at the agent's port
// like any other, and the agent's record of the probe holds the number the
// name stands for, as Istio's does. The name stays in a comment after the
// new number, "# was: http", from which uninjection puts it back.
const portNotePrefix = "# was: "

func portNote(name string) string { return portNotePrefix + name }

// portNoteOf is the note on a handler's port, if any.
func portNoteOf(handler *yaml.Node) string {
	if _, port := mapGet(handler, "port"); port != nil {
		return port.LineComment
	}
	return ""
}

// isPortName reports whether a port value is a name, not a number.
func isPortName(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!str" && n.Value != "" && !strings.ContainsAny(n.Value, " #\n") && !allDigits(n.Value)
}

func allDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

// statusFirst moves the status annotation to the front of the injected
// annotations. The annotations injection adds are appended to the user's in
// this order, so uninjection knows the keys before the status annotation
// for the user's own, even those injection sets too (istio.io/rev, ...).
func statusFirst(anns *yaml.Node) {
	i, _ := mapGet(anns, annStatus)
	if i <= 0 {
		return
	}
	k, v := anns.Content[i], anns.Content[i+1]
	copy(anns.Content[2:i+2], anns.Content[:i])
	anns.Content[0], anns.Content[1] = k, v
}

func handlerIndex(probe *yaml.Node) int {
	for _, h := range []string{"tcpSocket", "grpc"} {
		if i, _ := mapGet(probe, h); i >= 0 {
			return i
		}
	}
	return -1
}

func itemName(n *yaml.Node) (string, bool) {
	if n.Kind != yaml.MappingNode {
		return "", false
	}
	_, v := mapGet(n, "name")
	if v == nil || v.Kind != yaml.ScalarNode {
		return "", false
	}
	return v.Value, true
}

// portKey keys a container port as strategic merge does: by its
// containerPort (and protocol, TCP when unset).
func portKey(n *yaml.Node) (string, bool) {
	_, port := mapGet(n, "containerPort")
	if port == nil || port.Kind != yaml.ScalarNode {
		return "", false
	}
	proto := "TCP"
	if _, p := mapGet(n, "protocol"); p != nil && p.Kind == yaml.ScalarNode {
		proto = p.Value
	}
	return port.Value + "/" + proto, true
}

// keyedBy reports whether every item of both lists has a key.
func keyedBy(key func(*yaml.Node) (string, bool), lists ...*yaml.Node) bool {
	for _, l := range lists {
		for _, it := range l.Content {
			if _, ok := key(it); !ok {
				return false
			}
		}
	}
	return true
}

// applySeq merges lists of named items (containers, volumes, env) by name,
// and lists of ports (a declared proxy's, merged with the template's) by
// port; new items go where the injected order puts them. Other lists are
// left as the user wrote them.
func applySeq(p patcher, orig, want *yaml.Node, keyIndent int) error {
	itemName := itemName
	if !keyedBy(itemName, orig, want) {
		if !keyedBy(portKey, orig, want) {
			return nil
		}
		itemName = portKey
	}
	index := map[string]int{}
	for i, it := range orig.Content {
		n, _ := itemName(it)
		index[n] = i
	}
	type group struct {
		at    int
		items []*yaml.Node
	}
	var groups []group
	var pending []*yaml.Node
	for _, w := range want.Content {
		n, _ := itemName(w)
		oi, found := index[n]
		if !found {
			pending = append(pending, w)
			continue
		}
		if len(pending) > 0 {
			groups = append(groups, group{oi, pending})
			pending = nil
		}
		if err := apply(p, orig.Content[oi], w, "", keyIndent); err != nil {
			return err
		}
	}
	if len(pending) > 0 {
		groups = append(groups, group{len(orig.Content), pending})
	}
	// Insert from the back so that indexes stay valid for node edits.
	sort.SliceStable(groups, func(i, j int) bool { return groups[i].at > groups[j].at })
	for _, g := range groups {
		if err := p.insertItems(orig, g.at, g.items, keyIndent); err != nil {
			return err
		}
	}
	return nil
}

// scalarEqual compares scalars by meaning: "1Gi" and 1Gi, 0.5 and 500m.
func scalarEqual(a, b *yaml.Node) bool {
	if a.Value == b.Value {
		return true
	}
	if a.Tag == "!!null" && b.Tag == "!!null" {
		return true
	}
	qa, ea := resource.ParseQuantity(a.Value)
	qb, eb := resource.ParseQuantity(b.Value)
	if ea == nil && eb == nil && qa.Cmp(qb) == 0 {
		return true
	}
	fa, oka := new(big.Float).SetString(a.Value)
	fb, okb := new(big.Float).SetString(b.Value)
	if oka && okb && fa.Cmp(fb) == 0 {
		return true
	}
	var va, vb any
	if a.Decode(&va) == nil && b.Decode(&vb) == nil {
		ja, _ := json.Marshal(va)
		jb, _ := json.Marshal(vb)
		return string(ja) == string(jb)
	}
	return false
}
