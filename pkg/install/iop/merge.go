package iop

// nameMergedLists are the list paths whose items merge by their "name"
// field rather than being replaced, so that an overlay can change one
// gateway of the profile without restating the others.
var nameMergedLists = map[string]bool{
	"spec.components.ingressGateways": true,
	"spec.components.egressGateways":  true,
}

// Merge returns overlay merged over base, neither of which it changes:
// maps merge key by key, lists replace (gateway lists merge by name),
// scalars replace. A null in overlay removes the key.
func Merge(base, overlay map[string]any) map[string]any {
	return mergeMap(base, overlay, "")
}

func mergeMap(base, overlay map[string]any, path string) map[string]any {
	out := make(map[string]any, len(base)+len(overlay))
	for k, v := range base {
		out[k] = deepCopy(v)
	}
	for k, v := range overlay {
		p := join(path, k)
		if v == nil {
			delete(out, k)
			continue
		}
		switch ov := v.(type) {
		case map[string]any:
			if bv, ok := out[k].(map[string]any); ok {
				out[k] = mergeMap(bv, ov, p)
				continue
			}
		case []any:
			if bv, ok := out[k].([]any); ok && nameMergedLists[p] {
				out[k] = mergeByName(bv, ov, p)
				continue
			}
		}
		out[k] = deepCopy(v)
	}
	return out
}

func mergeByName(base, overlay []any, path string) []any {
	out := make([]any, 0, len(base)+len(overlay))
	index := map[string]int{}
	for _, it := range base {
		if m, ok := it.(map[string]any); ok {
			if n, ok := m["name"].(string); ok {
				index[n] = len(out)
			}
		}
		out = append(out, deepCopy(it))
	}
	for _, it := range overlay {
		m, ok := it.(map[string]any)
		if ok {
			if n, ok := m["name"].(string); ok {
				if i, found := index[n]; found {
					if bm, ok := out[i].(map[string]any); ok {
						out[i] = mergeMap(bm, m, path+"[]")
						continue
					}
				}
				index[n] = len(out)
			}
		}
		out = append(out, deepCopy(it))
	}
	return out
}

// deepCopy copies the maps and lists of a decoded document.
func deepCopy(v any) any {
	switch t := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(t))
		for k, x := range t {
			m[k] = deepCopy(x)
		}
		return m
	case []any:
		l := make([]any, len(t))
		for i, x := range t {
			l[i] = deepCopy(x)
		}
		return l
	default:
		return v
	}
}

// DeepCopy copies a decoded document.
func DeepCopy(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	return deepCopy(m).(map[string]any)
}
