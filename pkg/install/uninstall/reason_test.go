package uninstall

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func TestPendingReasonNamesTheServersConditionAndFinalizers(t *testing.T) {
	u := &unstructured.Unstructured{Object: map[string]any{
		"kind": "CustomResourceDefinition",
		"status": map[string]any{"conditions": []any{
			map[string]any{"type": "Established", "status": "True"},
			map[string]any{"type": "Terminating", "status": "True", "reason": "InstanceDeletionFailed", "message": "could not list instances: storage is (re)initializing"},
		}},
	}}
	u.SetFinalizers([]string{"customresourcecleanup.apiextensions.k8s.io"})
	if got := pendingReason(u); got != "" {
		t.Fatalf("an object not being deleted has no pending reason, got %q", got)
	}
	now := metav1.Now()
	u.SetDeletionTimestamp(&now)
	want := "Terminating=True (InstanceDeletionFailed): could not list instances: storage is (re)initializing; waiting for finalizers customresourcecleanup.apiextensions.k8s.io"
	if got := pendingReason(u); got != want {
		t.Fatalf("got  %q\nwant %q", got, want)
	}
}
