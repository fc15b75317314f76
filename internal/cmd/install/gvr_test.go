package install_test

import "k8s.io/apimachinery/pkg/runtime/schema"

func schemaGVR(g, v, r string) schema.GroupVersionResource {
	return schema.GroupVersionResource{Group: g, Version: v, Resource: r}
}
