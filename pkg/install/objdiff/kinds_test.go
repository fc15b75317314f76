package objdiff

import (
	"errors"
	"reflect"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func TestFilterCheck(t *testing.T) {
	t.Parallel()
	a := []*unstructured.Unstructured{obj("Service", "ns", "s", nil), obj("Sidecar", "ns", "default", nil)}
	b := []*unstructured.Unstructured{obj("Service", "ns", "s", nil), obj("Widget", "ns", "w", nil)}
	tests := []struct {
		name string
		f    Filter
		want []string
	}{
		{"kinds present, any case", Filter{Select: []string{"service", "WIDGET"}, Ignore: []string{"sidecar"}}, nil},
		{"known kinds may be ignored when absent", Filter{Ignore: []string{"Deployment", "CustomResourceDefinition", "IstioOperator", "PeerAuthentication"}}, nil},
		{"a kind only one side has may be selected", Filter{Select: []string{"Sidecar"}}, nil},
		{"select: typo of a present kind", Filter{Select: []string{"Servcie"}}, []string{`kind "Servcie": no object of that kind in either input; did you mean "Service"?`}},
		{"select: typo of a kind only in the input", Filter{Select: []string{"Widgte"}}, []string{`kind "Widgte": no object of that kind in either input; did you mean "Widget"?`}},
		{"select: typo of an absent kind", Filter{Select: []string{"Deploymnet"}}, []string{`kind "Deploymnet": no object of that kind in either input; did you mean "Deployment"?`}},
		{"select: an absent kind", Filter{Select: []string{"Deployment"}}, []string{`kind "Deployment": no object of that kind in either input (they have Service, Sidecar, Widget)`}},
		{"ignore: a typo", Filter{Ignore: []string{"Sidecra"}}, []string{`kind "Sidecra": no such kind; did you mean "Sidecar"?`}},
		{"select first, each in order", Filter{Select: []string{"B1", "Service", "A1"}, Ignore: []string{"Sidecra"}}, []string{
			`kind "B1": no object of that kind in either input (they have Service, Sidecar, Widget)`,
			`kind "A1": no object of that kind in either input (they have Service, Sidecar, Widget)`,
			`kind "Sidecra": no such kind; did you mean "Sidecar"?`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got []string
			for _, e := range tt.f.Check(a, b) {
				got = append(got, e.Error())
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestObjectsRefusesAFilterThatSelectsNothing(t *testing.T) {
	t.Parallel()
	a := []*unstructured.Unstructured{obj("Service", "ns", "s", nil)}
	_, err := Objects(a, a, Filter{Select: []string{"Deploymnet"}})
	var ke *KindError
	if !errors.As(err, &ke) || ke.Kind != "Deploymnet" || ke.Hint != "Deployment" || ke.Ignore {
		t.Fatalf("error %v, want a KindError for Deploymnet with hint Deployment", err)
	}
	if d, err := Objects(a, a, Filter{}); err != nil || !d.Empty() {
		t.Fatalf("no filter: %+v, %v", d, err)
	}
}
