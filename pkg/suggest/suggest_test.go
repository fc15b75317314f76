package suggest

import "testing"

func TestNearest(t *testing.T) {
	t.Parallel()
	names := []string{"securityContext", "resources", "readinessProbe", "name", "image", "imagePullPolicy", "enabled", "namespace", "k8s"}
	for in, want := range map[string]string{
		"securityContewer reaxt": "securityContext",
		"securitycontext":        "securityContext",
		"resorces":               "resources",
		"imagePullPolice":        "imagePullPolicy",
		"nmae":                   "name",
		"enabeld":                "enabled",
		"zzzzzzzzzz":             "",
		"x":                      "",
	} {
		if got := Nearest(in, names); got != want {
			t.Errorf("Nearest(%q) = %q, want %q", in, got, want)
		}
	}
	if Nearest("a", nil) != "" {
		t.Error("a suggestion from no candidates")
	}
	if d := Distance("kitten", "sitting"); d != 3 {
		t.Errorf("Distance = %d, want 3", d)
	}
}
