package iop

import (
	"fmt"
	"math"
	"regexp"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/meshctl/meshctl/pkg/suggest"
)

// scalarKind is what a single value in the schema must be.
type scalarKind int

const (
	anyScalar scalarKind = iota // a string field: numbers and booleans are written as text
	boolScalar
	numberScalar
	intScalar
	quantityScalar // a Kubernetes resource quantity: 100m, 128Mi
	enumScalar
)

// scalarNode is a single value of a known kind. Values and MeshConfig are
// free-form maps to Helm and to the IstioOperator type, so without it
// `--set values.pilot.replicaCount=abc` rendered `replicas: abc`.
type scalarNode struct {
	kind scalarKind
	// nonNegative refuses numbers below zero (replica counts, ports).
	nonNegative bool
	// enum lists the names an enumScalar accepts.
	enum []string
}

func (scalarNode) field(string) (node, bool) { return nil, false }
func (scalarNode) elem() (node, bool)        { return nil, false }
func (scalarNode) keys() []string            { return nil }

// isLeaf reports whether nothing can be below the node.
func isLeaf(n node) bool {
	switch n.(type) {
	case leafNode, scalarNode:
		return true
	}
	return false
}

// countKey names the chart values that are whole, non-negative numbers
// whatever their default looks like: replica counts and bounds, ports.
var countKey = regexp.MustCompile(`(?i)(replica|count$|^autoscale(min|max)$|port$)`)

// quantityKeys are the resource names whose values are quantities.
var quantityKeys = map[string]bool{"cpu": true, "memory": true, "ephemeral-storage": true}

// valueScalar is the schema of a chart value from its key and default.
func valueScalar(key string, def any) node {
	switch t := def.(type) {
	case bool:
		return scalarNode{kind: boolScalar}
	case float64, float32, int, int64, int32, uint64:
		if countKey.MatchString(key) {
			return scalarNode{kind: intScalar, nonNegative: true}
		}
		return scalarNode{kind: numberScalar}
	case string:
		if quantityKeys[key] && t != "" {
			return scalarNode{kind: quantityScalar}
		}
		return scalarNode{kind: anyScalar}
	}
	return leafNode{}
}

// protoScalar is the schema of a scalar protobuf field.
func protoScalar(fd protoreflect.FieldDescriptor) node {
	switch fd.Kind() {
	case protoreflect.BoolKind:
		return scalarNode{kind: boolScalar}
	case protoreflect.EnumKind:
		vals := fd.Enum().Values()
		names := make([]string, vals.Len())
		for i := range names {
			names[i] = string(vals.Get(i).Name())
		}
		return scalarNode{kind: enumScalar, enum: names}
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind,
		protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		return scalarNode{kind: intScalar}
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind, protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return scalarNode{kind: intScalar, nonNegative: true}
	case protoreflect.FloatKind, protoreflect.DoubleKind:
		return scalarNode{kind: numberScalar}
	}
	return leafNode{}
}

// wrapperScalars are the protobuf wrapper messages, written as their value.
var wrapperScalars = map[protoreflect.FullName]scalarNode{
	"google.protobuf.BoolValue":   {kind: boolScalar},
	"google.protobuf.Int32Value":  {kind: intScalar},
	"google.protobuf.Int64Value":  {kind: intScalar},
	"google.protobuf.UInt32Value": {kind: intScalar, nonNegative: true},
	"google.protobuf.UInt64Value": {kind: intScalar, nonNegative: true},
	"google.protobuf.DoubleValue": {kind: numberScalar},
	"google.protobuf.FloatValue":  {kind: numberScalar},
}

// checkValue checks a single value (not a map or list) against the schema
// node it lands on. It returns the message and the nearest valid value, if
// any; "" when the value fits.
func checkValue(v any, n node) (msg, hint string) {
	if v == nil {
		return "", "" // null removes a value
	}
	switch t := n.(type) {
	case scalarNode:
		return t.check(v)
	case listNode:
		return fmt.Sprintf("is a list, not the single value %s", show(v)), ""
	case fixedNode, mapNode, protoSchema, valuesWithGateways, gatewaysNode:
		return fmt.Sprintf("is an object, not the single value %s", show(v)), ""
	}
	return "", ""
}

func (s scalarNode) check(v any) (string, string) {
	switch s.kind {
	case boolScalar:
		if _, ok := v.(bool); !ok {
			return fmt.Sprintf("want true or false, got %s", show(v)), ""
		}
	case numberScalar, intScalar:
		f, ok := number(v)
		if !ok {
			return fmt.Sprintf("want a number, got %s", show(v)), ""
		}
		if s.kind == intScalar && f != math.Trunc(f) {
			return fmt.Sprintf("want a whole number, got %s", show(v)), ""
		}
		if s.nonNegative && f < 0 {
			return fmt.Sprintf("want zero or more, got %s", show(v)), ""
		}
	case quantityScalar:
		if _, isNumber := number(v); isNumber {
			return "", ""
		}
		str, _ := v.(string)
		if _, err := resource.ParseQuantity(str); err != nil {
			return fmt.Sprintf("want a quantity such as 100m, 2 or 128Mi, got %s", show(v)), ""
		}
	case enumScalar:
		if _, isNumber := number(v); isNumber {
			return "", "" // protojson takes an enum's number too
		}
		str, _ := v.(string)
		for _, e := range s.enum {
			if e == str {
				return "", ""
			}
		}
		return fmt.Sprintf("want one of %s, got %s", strings.Join(s.enum, ", "), show(v)), suggest.Nearest(str, s.enum)
	case anyScalar:
		switch v.(type) {
		case string, bool, float64, float32, int, int64, int32:
		default:
			return fmt.Sprintf("want a single value, got %s", show(v)), ""
		}
	}
	return "", ""
}

func number(v any) (float64, bool) {
	switch t := v.(type) {
	case float64:
		return t, true
	case float32:
		return float64(t), true
	case int:
		return float64(t), true
	case int64:
		return float64(t), true
	case int32:
		return float64(t), true
	}
	return 0, false
}

func show(v any) string {
	if s, ok := v.(string); ok {
		return fmt.Sprintf("%q", s)
	}
	return fmt.Sprint(v)
}
