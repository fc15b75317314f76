package analyze

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"

	"github.com/meshctl/meshctl/pkg/yamlstream"
)

// maxExpandedNodes bounds alias expansion, so that a small document with
// nested aliases ("billion laughs") is an error rather than unbounded work.
const maxExpandedNodes = 1 << 20

var errTooManyAliases = errors.New("document expands to too many nodes through aliases")

// parseYAML decodes one YAML (or JSON) document into the generic form the
// decoders take: map[string]any, []any, string, int64, float64, bool, nil.
// It walks the parser's node tree directly, which is several times cheaper
// than decoding YAML into Go values and converting them through JSON.
// A key given twice in one mapping is an error naming both lines.
func parseYAML(d yamlstream.Document) (map[string]any, error) {
	v, err := parseTree(d)
	var ne *nodeError
	if errors.As(err, &ne) {
		return nil, d.ErrorAt(ne.line, ne.column, ne.err)
	}
	return v, d.Wrap(err)
}

// nodeError is a mistake at a node, placed in the file by parseYAML.
type nodeError struct {
	line, column int // in the document
	err          error
}

func (e *nodeError) Error() string { return e.err.Error() }

func atNode(n *yaml.Node, format string, args ...any) error {
	return &nodeError{n.Line, n.Column, fmt.Errorf(format, args...)}
}

func parseTree(d yamlstream.Document) (map[string]any, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(d.Raw, &doc); err != nil {
		return nil, d.SyntaxError(err)
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil, nil
	}
	if err := d.DuplicateKey(&doc); err != nil {
		return nil, err
	}
	budget := maxExpandedNodes
	v, err := nodeValue(doc.Content[0], &budget)
	if err != nil {
		return nil, err
	}
	switch m := v.(type) {
	case map[string]any:
		return m, nil
	case nil:
		return nil, nil
	}
	return nil, atNode(doc.Content[0], "a document must be an object, not %s", typeName(v))
}

func nodeValue(n *yaml.Node, budget *int) (any, error) {
	*budget--
	if *budget < 0 {
		return nil, errTooManyAliases
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return nodeValue(n.Content[0], budget)
	case yaml.AliasNode:
		if n.Alias == nil {
			return nil, atNode(n, "unknown alias")
		}
		return nodeValue(n.Alias, budget)
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := nodeValue(c, budget)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case yaml.MappingNode:
		out := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" {
				if err := mergeInto(out, v, budget); err != nil {
					return nil, err
				}
				continue
			}
			if k.Kind != yaml.ScalarNode {
				return nil, atNode(k, "map keys must be scalars")
			}
			val, err := nodeValue(v, budget)
			if err != nil {
				return nil, err
			}
			out[k.Value] = val
		}
		return out, nil
	case yaml.ScalarNode:
		return scalarValue(n)
	}
	return nil, atNode(n, "unexpected YAML node")
}

// mergeInto applies a "<<" merge key: keys already present win.
func mergeInto(out map[string]any, v *yaml.Node, budget *int) error {
	var srcs []*yaml.Node
	if v.Kind == yaml.SequenceNode {
		srcs = v.Content
	} else {
		srcs = []*yaml.Node{v}
	}
	for _, s := range srcs {
		val, err := nodeValue(s, budget)
		if err != nil {
			return err
		}
		m, ok := val.(map[string]any)
		if !ok {
			return atNode(s, "merge value must be a mapping")
		}
		for k, x := range m {
			if _, set := out[k]; !set {
				out[k] = x
			}
		}
	}
	return nil
}

func scalarValue(n *yaml.Node) (any, error) {
	switch n.ShortTag() {
	case "!!null":
		return nil, nil
	case "!!bool":
		switch strings.ToLower(n.Value) {
		case "true", "yes", "on", "y":
			return true, nil
		}
		return false, nil
	case "!!int":
		s := strings.ReplaceAll(n.Value, "_", "")
		if i, err := strconv.ParseInt(s, 0, 64); err == nil {
			return i, nil
		}
		if strings.HasPrefix(s, "0o") || strings.HasPrefix(s, "0O") {
			if i, err := strconv.ParseInt(s[2:], 8, 64); err == nil {
				return i, nil
			}
		}
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return f, nil
		}
		return n.Value, nil
	case "!!float":
		switch strings.ToLower(n.Value) {
		case ".inf", "+.inf", ".nan", "-.inf":
			return nil, atNode(n, "%s is not a JSON number", n.Value)
		}
		f, err := strconv.ParseFloat(strings.ReplaceAll(n.Value, "_", ""), 64)
		if err != nil || math.IsInf(f, 0) {
			return n.Value, nil
		}
		if f == math.Trunc(f) && math.Abs(f) < 1<<53 && !strings.ContainsAny(n.Value, ".eE") {
			return int64(f), nil
		}
		return f, nil
	}
	return n.Value, nil
}
