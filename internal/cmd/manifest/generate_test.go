package manifest

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/meshctl/meshctl/internal/cmdutil"
)

// TestGenerateJSON: -o json is the format, not a directory: one v1 List
// holding the YAML stream's objects in the same order, the same bytes on
// every run, and no ./json directory.
func TestGenerateJSON(t *testing.T) {
	t.Parallel()
	run := func(args ...string) []byte {
		var out bytes.Buffer
		if err := execute(newGenerateCmd(newFactory("", &out, &bytes.Buffer{}), nil), args...); err != nil {
			t.Fatal(err)
		}
		return out.Bytes()
	}
	first, again := run("--set", "profile=minimal", "-o", "json"), run("--set", "profile=minimal", "-o", "json")
	if !bytes.Equal(first, again) {
		t.Error("two JSON renders differ")
	}
	if _, err := os.Stat("json"); err == nil {
		t.Error("-o json created a directory json")
	}
	var list struct {
		APIVersion, Kind string
		Items            []struct {
			Kind     string
			Metadata struct{ Name string }
		}
	}
	if err := json.Unmarshal(first, &list); err != nil {
		t.Fatalf("-o json is not JSON: %v", err)
	}
	var yamlNames []string
	for _, doc := range strings.Split(string(run("--set", "profile=minimal")), "\n---\n") {
		for _, line := range strings.Split(doc, "\n") {
			if strings.HasPrefix(line, "kind: ") {
				yamlNames = append(yamlNames, strings.TrimPrefix(line, "kind: "))
			}
		}
	}
	var jsonNames []string
	for _, it := range list.Items {
		jsonNames = append(jsonNames, it.Kind)
	}
	if list.APIVersion != "v1" || list.Kind != "List" || len(jsonNames) < 10 || !reflect.DeepEqual(jsonNames, yamlNames) {
		t.Errorf("JSON %s %s with kinds %q, YAML kinds %q", list.APIVersion, list.Kind, jsonNames, yamlNames)
	}
}

// TestGenerateOutputFlags: an unknown format is a usage error; a path
// given to -o is the old directory form, with a warning; both forms at
// once are refused.
func TestGenerateOutputFlags(t *testing.T) {
	t.Parallel()
	var errOut bytes.Buffer
	err := execute(newGenerateCmd(newFactory("", &bytes.Buffer{}, &errOut), nil), "-o", "jsn")
	var usage *cmdutil.UsageError
	if !errors.As(err, &usage) || !strings.Contains(err.Error(), `unknown output format "jsn": use one of yaml|json`) {
		t.Errorf("-o jsn: %v (want a usage error naming the formats)", err)
	}
	if _, err := os.Stat("jsn"); err == nil {
		t.Error("-o jsn created a directory")
	}
	dir := filepath.Join(t.TempDir(), "old")
	errOut.Reset()
	if err := execute(newGenerateCmd(newFactory("", &bytes.Buffer{}, &errOut), nil), "--set", "profile=minimal", "-o", dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "02-Pilot.yaml")); err != nil {
		t.Errorf("-o DIR wrote no 02-Pilot.yaml: %v", err)
	}
	if want := "Warning: -o DIR is deprecated (-o is the output format, yaml or json); use --output-dir " + dir + "\n"; errOut.String() != want {
		t.Errorf("stderr %q, want %q", errOut.String(), want)
	}
	err = execute(newGenerateCmd(newFactory("", &bytes.Buffer{}, &bytes.Buffer{}), nil), "-o", dir, "-d", dir)
	if !errors.As(err, &usage) || !strings.Contains(err.Error(), "give the directory once") {
		t.Errorf("-o DIR -d DIR: %v", err)
	}
}

// TestGenerateOutputDirReplacesItsFiles: rendering minimal into the
// directory demo was rendered into leaves minimal's files only (demo's
// gateways go), and files that are not ours stay.
func TestGenerateOutputDirReplacesItsFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	render := func(args ...string) []string {
		if err := execute(newGenerateCmd(newFactory("", &bytes.Buffer{}, &bytes.Buffer{}), nil), append(args, "-d", dir)...); err != nil {
			t.Fatal(err)
		}
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		return names
	}
	if err := os.WriteFile(filepath.Join(dir, "kustomization.yaml"), []byte("resources: []\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	demo := render("--set", "profile=demo")
	if !strings.Contains(strings.Join(demo, " "), "05-IngressGateways.yaml") {
		t.Fatalf("demo wrote %q", demo)
	}
	minimal := render("--set", "profile=minimal")
	for _, n := range minimal {
		if strings.Contains(n, "Gateways") || strings.HasPrefix(n, ".") {
			t.Errorf("after minimal the directory still has %s: %q", n, minimal)
		}
	}
	if !strings.Contains(strings.Join(minimal, " "), "kustomization.yaml") || !strings.Contains(strings.Join(minimal, " "), "02-Pilot.yaml") {
		t.Errorf("after minimal: %q", minimal)
	}
	asJSON := render("--set", "profile=minimal", "-o", "json")
	for _, n := range asJSON {
		if strings.HasSuffix(n, ".yaml") && n != "kustomization.yaml" {
			t.Errorf("after a JSON render the YAML file %s is left: %q", n, asJSON)
		}
	}
	if !strings.Contains(strings.Join(asJSON, " "), "02-Pilot.json") {
		t.Errorf("the JSON render wrote %q", asJSON)
	}
}

// TestGenerateAcceptsWellTypedValues: the type checks refuse nothing that
// fits: numbers for text, fractions where the default is one, quantities,
// and enum names.
func TestGenerateAcceptsWellTypedValues(t *testing.T) {
	t.Parallel()
	for _, set := range []string{
		"values.pilot.replicaCount=3", "values.pilot.traceSampling=0.5", "values.global.proxy.resources.requests.cpu=250m",
		"values.global.proxy.resources.limits.memory=1Gi", "values.global.proxy.resources.requests.cpu=2", "values.global.hub=123",
		"meshConfig.outboundTrafficPolicy.mode=REGISTRY_ONLY", "meshConfig.enableAutoMtls=false", "meshConfig.defaultConfig.concurrency=2",
		"values.gateways.istio-ingressgateway.autoscaleMax=7",
	} {
		var out bytes.Buffer
		if err := execute(newGenerateCmd(newFactory("", &out, &bytes.Buffer{}), nil), "--set", set); err != nil {
			t.Errorf("--set %s: %v", set, err)
		}
	}
}
