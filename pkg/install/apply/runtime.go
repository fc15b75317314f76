package apply

import (
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// AdoptRuntimeFields returns the object to apply over live: desired, except
// for fields the control plane itself changes at run time, which keep their
// live value so that a re-apply neither conflicts with istiod nor undoes its
// work (and so stays a no-op).
//
// istiod's validation controller switches its ValidatingWebhookConfiguration
// from failurePolicy Ignore (as installed) to Fail once it can serve the
// webhook, with an update of its own. Applying Ignore again would conflict
// with that update, or with --force-conflicts turn validation off until
// istiod flips it back. meshctl therefore applies Fail where istiod already
// set it; it never lowers Fail to Ignore nor raises Ignore to Fail itself.
func AdoptRuntimeFields(desired, live *unstructured.Unstructured) *unstructured.Unstructured {
	if live == nil || desired.GetKind() != "ValidatingWebhookConfiguration" || desired.GroupVersionKind().Group != "admissionregistration.k8s.io" {
		return desired
	}
	liveHooks, _, _ := unstructured.NestedSlice(live.Object, "webhooks")
	livePolicy := map[string]string{}
	for _, h := range liveHooks {
		if m, ok := h.(map[string]any); ok {
			name, _ := m["name"].(string)
			p, _ := m["failurePolicy"].(string)
			livePolicy[name] = p
		}
	}
	hooks, _, _ := unstructured.NestedSlice(desired.Object, "webhooks")
	changed := false
	for _, h := range hooks {
		m, ok := h.(map[string]any)
		if !ok {
			continue
		}
		name, _ := m["name"].(string)
		if p, _ := m["failurePolicy"].(string); p == "Ignore" && livePolicy[name] == "Fail" {
			m["failurePolicy"] = "Fail"
			changed = true
		}
	}
	if !changed {
		return desired
	}
	out := desired.DeepCopy()
	_ = unstructured.SetNestedSlice(out.Object, hooks, "webhooks")
	return out
}
