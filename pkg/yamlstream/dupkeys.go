package yamlstream

import (
	"fmt"
	"strings"

	yaml "go.yaml.in/yaml/v3"
	sigsyaml "sigs.k8s.io/yaml"
)

// DuplicateKeyError is a mapping key given twice in one document. YAML
// parsers keep the last one silently, so a second `name:` or `profile:`
// would win without a word.
// It is reported at the second key, as an *Error.
type DuplicateKeyError struct {
	Key   string
	First int // line of the first key in the source file
}

func (e *DuplicateKeyError) Error() string {
	return fmt.Sprintf("key %q is given twice (first at line %d)", e.Key, e.First)
}

// DuplicateKey checks a parsed tree of the document for a key given twice
// in one mapping; it returns nil when there is none. The walk is cheap next
// to the parse that built the tree.
func (d Document) DuplicateKey(root *yaml.Node) error {
	key, first, second, ok := duplicateKey(root)
	if !ok {
		return nil
	}
	return d.ErrorAt(second.Line, second.Column, &DuplicateKeyError{Key: key, First: first.Line + d.Line - 1})
}

func duplicateKey(n *yaml.Node) (string, *yaml.Node, *yaml.Node, bool) {
	if n == nil {
		return "", nil, nil, false
	}
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind != yaml.ScalarNode || k.ShortTag() == "!!merge" {
				continue
			}
			for j := 0; j < i; j += 2 {
				if p := n.Content[j]; p.Kind == yaml.ScalarNode && p.Value == k.Value && p.ShortTag() != "!!merge" {
					return k.Value, p, k, true
				}
			}
		}
	}
	for _, c := range n.Content {
		if key, a, b, ok := duplicateKey(c); ok {
			return key, a, b, true
		}
	}
	return "", nil, nil, false
}

// ToJSON converts a YAML document to JSON as sigs.k8s.io/yaml does, and
// refuses a key given twice, naming both lines. The strict conversion costs
// what the plain one does; only a document that has a duplicate is parsed a
// second time, to find the first line.
func (d Document) ToJSON() ([]byte, error) {
	js, err := sigsyaml.YAMLToJSONStrict(d.Raw)
	if err == nil {
		return js, nil
	}
	if strings.Contains(err.Error(), "already set in map") {
		var root yaml.Node
		if yaml.Unmarshal(d.Raw, &root) == nil {
			if dup := d.DuplicateKey(&root); dup != nil {
				return nil, dup
			}
		}
		// Keys repeated only through "<<" merges are YAML's own way of
		// overriding, not a mistake.
		js, err = sigsyaml.YAMLToJSON(d.Raw)
		if err == nil {
			return js, nil
		}
	}
	return nil, d.SyntaxError(err)
}
