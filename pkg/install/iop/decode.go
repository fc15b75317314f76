package iop

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strconv"

	meshv1alpha1 "istio.io/api/mesh/v1alpha1"
	"sigs.k8s.io/yaml"

	"github.com/meshctl/meshctl/pkg/suggest"
)

// Schema knows which fields an IstioOperator may have: the IstioOperator
// structure itself, Istio's MeshConfig for spec.meshConfig, and the charts'
// values for spec.values.
type Schema struct {
	root node
}

// NewSchema builds a schema. values are the default chart values that
// define which spec.values paths exist; gateway is the schema of one entry
// of spec.values.gateways.<name>.
func NewSchema(values, gateway map[string]any) *Schema {
	vals := valuesNode(values)
	gw := valuesNode(gateway)
	overrides := map[string]node{
		"spec.meshConfig":        protoNode((&meshv1alpha1.MeshConfig{}).ProtoReflect().Descriptor()),
		"spec.values":            valuesWithGateways{values: vals, gateway: gw},
		"spec.unvalidatedValues": openNode{},
	}
	return &Schema{root: structSchema(reflect.TypeOf(IstioOperator{}), "", overrides)}
}

// valuesWithGateways is spec.values: chart values, where gateways.<name> is
// one gateway's values under any name.
type valuesWithGateways struct {
	values, gateway node
}

func (v valuesWithGateways) field(key string) (node, bool) {
	if key == "gateways" {
		return gatewaysNode(v), true
	}
	return v.values.field(key)
}
func (valuesWithGateways) elem() (node, bool) { return nil, false }
func (v valuesWithGateways) keys() []string {
	return append(v.values.keys(), "gateways")
}

type gatewaysNode valuesWithGateways

func (g gatewaysNode) field(key string) (node, bool) {
	if n, ok := g.values.field("gateways"); ok {
		if c, ok := n.field(key); ok {
			return c, true
		}
	}
	return g.gateway, true
}
func (gatewaysNode) elem() (node, bool) { return nil, false }
func (gatewaysNode) keys() []string     { return nil }

// FieldError is an unknown or misplaced field in an IstioOperator.
type FieldError struct {
	Source     string // file (and document) the field came from; "" for --set
	Path       string // e.g. spec.components.pilot.k8s.replicas
	Msg        string
	Suggestion string // nearest valid path, if any
}

func (e *FieldError) Error() string {
	s := ""
	if e.Source != "" {
		s = e.Source + ": "
	}
	s += fmt.Sprintf("%s: %s", e.Path, e.Msg)
	if e.Suggestion != "" {
		s += fmt.Sprintf(" (did you mean %s?)", e.Suggestion)
	}
	return s
}

// Decode parses one IstioOperator document (YAML or JSON) strictly: the
// apiVersion and kind must be IstioOperator's, every field must exist in the
// schema and have the right type. source names the input in errors.
func (s *Schema) Decode(data []byte, source string) (map[string]any, error) {
	var doc map[string]any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	if doc == nil {
		return nil, fmt.Errorf("%s: empty IstioOperator document", source)
	}
	if av, k := doc["apiVersion"], doc["kind"]; av != APIVersion || k != Kind {
		return nil, fmt.Errorf("%s: want apiVersion %s and kind %s, got %v and %v", source, APIVersion, Kind, av, k)
	}
	if err := s.Check(doc, source); err != nil {
		return nil, err
	}
	return doc, nil
}

// Check verifies that every field of doc exists in the schema and that the
// document decodes into the typed IstioOperator.
func (s *Schema) Check(doc map[string]any, source string) error {
	if err := s.walk(doc, s.root, "", source); err != nil {
		return err
	}
	if _, err := toTyped(doc); err != nil {
		var fe *FieldError
		if errors.As(err, &fe) {
			fe.Source = source
			return fe
		}
		return fmt.Errorf("%s: %w", source, err)
	}
	return nil
}

func (s *Schema) walk(v any, n node, path, source string) error {
	switch t := v.(type) {
	case map[string]any:
		if _, open := n.(openNode); open {
			return nil
		}
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			c, ok := n.field(k)
			p := join(path, k)
			if !ok {
				e := &FieldError{Source: source, Path: p, Msg: "unknown field"}
				if isLeaf(n) {
					e.Msg = "is a single value, not an object"
				} else if best := suggest.Nearest(k, n.keys()); best != "" {
					e.Suggestion = join(path, best)
				}
				return e
			}
			if err := s.walk(t[k], c, p, source); err != nil {
				return err
			}
		}
	case []any:
		item, ok := n.elem()
		if !ok {
			if _, open := n.(openNode); open {
				return nil
			}
			return &FieldError{Source: source, Path: path, Msg: "is not a list"}
		}
		for i, it := range t {
			if err := s.walk(it, item, path+"["+strconv.Itoa(i)+"]", source); err != nil {
				return err
			}
		}
	default:
		if msg, hint := checkValue(t, n); msg != "" {
			return &FieldError{Source: source, Path: path, Msg: msg, Suggestion: hint}
		}
	}
	return nil
}

// toTyped decodes a checked document into the typed IstioOperator.
func toTyped(doc map[string]any) (*IstioOperator, error) {
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	var out IstioOperator
	if err := json.Unmarshal(b, &out); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return nil, &FieldError{Path: te.Field, Msg: fmt.Sprintf("want %s, got %s", te.Type, te.Value)}
		}
		return nil, err
	}
	return &out, nil
}

// Typed decodes a merged document into the typed IstioOperator.
func Typed(doc map[string]any) (*IstioOperator, error) { return toTyped(doc) }
