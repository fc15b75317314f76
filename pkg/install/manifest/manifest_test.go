package manifest

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func obj(apiVersion, kind, ns, name string) *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetAPIVersion(apiVersion)
	u.SetKind(kind)
	u.SetNamespace(ns)
	u.SetName(name)
	return u
}

func TestSortPutsDependenciesFirst(t *testing.T) {
	t.Parallel()
	objs := []Object{
		{EgressGateways, obj("apps/v1", "Deployment", "istio-system", "istio-egressgateway")},
		{Pilot, obj("v1", "Service", "istio-system", "istiod")},
		{Pilot, obj("admissionregistration.k8s.io/v1", "MutatingWebhookConfiguration", "", "istio-sidecar-injector")},
		{Base, obj("apiextensions.k8s.io/v1", "CustomResourceDefinition", "", "virtualservices.networking.istio.io")},
		{Pilot, obj("apps/v1", "Deployment", "istio-system", "istiod")},
		{Pilot, obj("v1", "ConfigMap", "istio-system", "istio")},
		{Base, obj("apiextensions.k8s.io/v1", "CustomResourceDefinition", "", "gateways.networking.istio.io")},
		{IngressGateways, obj("v1", "ServiceAccount", "istio-system", "istio-ingressgateway-service-account")},
		{Pilot, obj("example.com/v1", "Widget", "istio-system", "w")},
		{Pilot, obj("v1", "ServiceAccount", "istio-system", "istiod")},
	}
	Sort(objs)
	var got []string
	for _, o := range objs {
		got = append(got, o.Component+":"+o.Object.GetKind()+"/"+o.Object.GetName())
	}
	want := []string{
		"Base:CustomResourceDefinition/gateways.networking.istio.io",
		"Base:CustomResourceDefinition/virtualservices.networking.istio.io",
		"Pilot:ServiceAccount/istiod",
		"Pilot:ConfigMap/istio",
		"Pilot:MutatingWebhookConfiguration/istio-sidecar-injector",
		"Pilot:Service/istiod",
		"Pilot:Deployment/istiod",
		"Pilot:Widget/w",
		"IngressGateways:ServiceAccount/istio-ingressgateway-service-account",
		"EgressGateways:Deployment/istio-egressgateway",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("order:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if k := objs[3].Key(); k != "/ConfigMap/istio-system/istio" {
		t.Fatalf("Key() = %q", k)
	}
}
