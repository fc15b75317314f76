package yamlstream

import (
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// FieldPosition finds the 1-based line and column, within a document, of
// the field at path ("spec.http[0].route[1].destination.subset"). When the
// full path is not there it returns the deepest part that is.
func FieldPosition(doc []byte, path string) (line, col int, ok bool) {
	var root yaml.Node
	if err := yaml.Unmarshal(doc, &root); err != nil || len(root.Content) == 0 {
		return 0, 0, false
	}
	line, col = NodeFieldPosition(root.Content[0], path)
	return line, col, true
}

// NodeFieldPosition is FieldPosition within a parsed node: the line and
// column (as the node's parser counts them) of the field at path below n,
// or of the deepest part of the path that is there.
func NodeFieldPosition(n *yaml.Node, path string) (line, col int) {
	line, col = n.Line, n.Column
	for _, seg := range splitPath(path) {
		next, keyNode := step(n, seg)
		if next == nil {
			return line, col
		}
		n = next
		if keyNode != nil {
			line, col = keyNode.Line, keyNode.Column
		} else {
			line, col = n.Line, n.Column
		}
	}
	return line, col
}

// splitPath turns "a.b[0].c" into "a", "b", "[0]", "c". Map keys holding
// dots (annotation names) are written in brackets: metadata.annotations[x.io/y].
func splitPath(p string) []string {
	var out []string
	for len(p) > 0 {
		switch p[0] {
		case '.':
			p = p[1:]
		case '[':
			end := strings.IndexByte(p, ']')
			if end < 0 {
				return append(out, p)
			}
			out = append(out, p[:end+1])
			p = p[end+1:]
		default:
			end := strings.IndexAny(p, ".[")
			if end < 0 {
				return append(out, p)
			}
			out = append(out, p[:end])
			p = p[end:]
		}
	}
	return out
}

func step(n *yaml.Node, seg string) (value, key *yaml.Node) {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if strings.HasPrefix(seg, "[") {
		inner := seg[1 : len(seg)-1]
		if i, err := strconv.Atoi(inner); err == nil {
			if n.Kind == yaml.SequenceNode && i >= 0 && i < len(n.Content) {
				return n.Content[i], nil
			}
			return nil, nil
		}
		seg = inner
	}
	if n.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == seg {
			return n.Content[i+1], n.Content[i]
		}
	}
	return nil, nil
}
