package apply

import (
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func webhooks(kind string, policies ...string) *unstructured.Unstructured {
	u := obj("admissionregistration.k8s.io/v1", kind, "", "istio-validator-istio-system")
	var hooks []any
	for i, p := range policies {
		h := map[string]any{"name": []string{"rev.validation.istio.io", "second.istio.io"}[i]}
		if p != "" {
			h["failurePolicy"] = p
		}
		hooks = append(hooks, h)
	}
	_ = unstructured.SetNestedSlice(u.Object, hooks, "webhooks")
	return u
}

func policies(u *unstructured.Unstructured) []string {
	hooks, _, _ := unstructured.NestedSlice(u.Object, "webhooks")
	var out []string
	for _, h := range hooks {
		p, _ := h.(map[string]any)["failurePolicy"].(string)
		out = append(out, p)
	}
	return out
}

func TestAdoptRuntimeFields(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name          string
		desired, live *unstructured.Unstructured
		want          []string
	}{
		{"istiod switched to Fail", webhooks("ValidatingWebhookConfiguration", "Ignore", "Ignore"), webhooks("ValidatingWebhookConfiguration", "Fail", "Ignore"), []string{"Fail", "Ignore"}},
		{"not installed yet", webhooks("ValidatingWebhookConfiguration", "Ignore"), nil, []string{"Ignore"}},
		{"never lowered", webhooks("ValidatingWebhookConfiguration", "Fail"), webhooks("ValidatingWebhookConfiguration", "Ignore"), []string{"Fail"}},
		{"unset stays unset", webhooks("ValidatingWebhookConfiguration", ""), webhooks("ValidatingWebhookConfiguration", "Fail"), []string{""}},
		{"mutating untouched", webhooks("MutatingWebhookConfiguration", "Ignore"), webhooks("MutatingWebhookConfiguration", "Fail"), []string{"Ignore"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			before := policies(tc.desired)
			got := policies(AdoptRuntimeFields(tc.desired, tc.live))
			if len(got) != len(tc.want) {
				t.Fatalf("got %v", got)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("got %v, want %v", got, tc.want)
				}
			}
			if after := policies(tc.desired); len(after) != len(before) || (len(after) > 0 && after[0] != before[0]) {
				t.Fatalf("the rendered object was modified: %v -> %v", before, after)
			}
		})
	}
}
