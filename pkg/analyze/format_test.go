package analyze

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"sigs.k8s.io/yaml"
)

func compileSchema(t *testing.T, file string) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource(file, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(file)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func brokenMessages(t *testing.T) []Message {
	t.Helper()
	var ms []Message
	for _, s := range []string{"bookinfo", "legacy"} {
		ms = append(ms, analyzeSample(t, filepath.Join(samplesDir, s, "broken"))...)
	}
	if len(ms) < 10 {
		t.Fatalf("only %d messages", len(ms))
	}
	return ms
}

func TestJSONOutputMatchesSchema(t *testing.T) {
	t.Parallel()
	schema := compileSchema(t, "analysis.schema.json")
	ms := brokenMessages(t)
	for _, format := range []string{FormatJSON, FormatYAML} {
		var b bytes.Buffer
		if err := Write(&b, format, ms, FormatOptions{}); err != nil {
			t.Fatal(err)
		}
		data := b.Bytes()
		if format == FormatYAML {
			var err error
			if data, err = yaml.YAMLToJSON(data); err != nil {
				t.Fatal(err)
			}
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("%s output is not JSON: %v", format, err)
		}
		if err := schema.Validate(doc); err != nil {
			t.Fatalf("%s output does not match the schema: %v", format, err)
		}
		var decoded []JSONMessage
		if err := json.Unmarshal(data, &decoded); err != nil {
			t.Fatal(err)
		}
		if len(decoded) != len(ms) {
			t.Fatalf("%s: %d messages, want %d", format, len(decoded), len(ms))
		}
		if decoded[0].File == "" || decoded[0].Line == 0 {
			t.Errorf("%s: first message has no location: %+v", format, decoded[0])
		}
	}
	// No findings is an empty array, never null or text.
	var b bytes.Buffer
	if err := Write(&b, FormatJSON, nil, FormatOptions{}); err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(b.String()) != "[]" {
		t.Fatalf("empty JSON = %q", b.String())
	}
}

func TestSchemaRejectsBadJSON(t *testing.T) {
	t.Parallel()
	schema := compileSchema(t, "analysis.schema.json")
	for _, bad := range []string{
		`{}`,
		`[{"code":"X1","name":"n","level":"Error","message":"m","origin":"o","resource":{"kind":"k","name":"n"},"documentationUrl":"https://x"}]`,
		`[{"code":"IST0101","name":"n","level":"Fatal","message":"m","origin":"o","resource":{"kind":"k","name":"n"},"documentationUrl":"https://x"}]`,
	} {
		doc, err := jsonschema.UnmarshalJSON(strings.NewReader(bad))
		if err != nil {
			t.Fatal(err)
		}
		if schema.Validate(doc) == nil {
			t.Errorf("schema accepted %s", bad)
		}
	}
}

func TestSARIF(t *testing.T) {
	t.Parallel()
	schema := compileSchema(t, "sarif-2.1.0-subset.schema.json")
	ms := brokenMessages(t)
	var b bytes.Buffer
	if err := Write(&b, FormatSARIF, ms, FormatOptions{ToolVersion: "1.2.3", Rules: MessageTypes()}); err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if err := schema.Validate(doc); err != nil {
		t.Fatalf("SARIF does not match the schema: %v\n%s", err, b.String())
	}
	var log sarifLog
	if err := json.Unmarshal(b.Bytes(), &log); err != nil {
		t.Fatal(err)
	}
	run := log.Runs[0]
	if len(run.Tool.Driver.Rules) != len(MessageTypes()) {
		t.Errorf("%d rules, want %d", len(run.Tool.Driver.Rules), len(MessageTypes()))
	}
	if len(run.Results) != len(ms) {
		t.Fatalf("%d results, want %d", len(run.Results), len(ms))
	}
	for i, r := range run.Results {
		rule := run.Tool.Driver.Rules[r.RuleIndex]
		if rule.ID != r.RuleID {
			t.Errorf("result %d: ruleIndex %d points at %s, not %s", i, r.RuleIndex, rule.ID, r.RuleID)
		}
		want := sarifLevel(ms[i].Level)
		if r.Level != want {
			t.Errorf("result %d: level %s, want %s", i, r.Level, want)
		}
		pl := r.Locations[0].PhysicalLocation
		if pl == nil || pl.Region == nil || pl.Region.StartLine != ms[i].Line || !strings.HasSuffix(pl.ArtifactLocation.URI, filepath.Base(ms[i].File)) {
			t.Errorf("result %d: location %+v does not match %s:%d", i, pl, ms[i].File, ms[i].Line)
		}
	}
	if !strings.Contains(b.String(), `"fullyQualifiedName": "VirtualService/bookinfo/bookinfo"`) {
		t.Error("no logical location for the VirtualService")
	}
	var again bytes.Buffer
	_ = Write(&again, FormatSARIF, ms, FormatOptions{ToolVersion: "1.2.3", Rules: MessageTypes()})
	if !bytes.Equal(b.Bytes(), again.Bytes()) {
		t.Error("SARIF output differs between runs")
	}
}

func TestLogFormat(t *testing.T) {
	t.Parallel()
	m := Message{Type: ReferencedResourceNotFound, Level: Error, Text: `Referenced host not found: "x"`,
		Resource: Ref{Kind: "VirtualService", Namespace: "default", Name: "hello"}, File: "a.yaml", Line: 12, Column: 7, Detail: "line1\nline2"}
	tests := []struct {
		color bool
		want  string
	}{
		{false, "Error [IST0101] (VirtualService default/hello a.yaml:12:7) Referenced host not found: \"x\"\n    line1\n    line2\n"},
		{true, "\x1b[31mError\x1b[0m [IST0101] (VirtualService default/hello a.yaml:12:7) Referenced host not found: \"x\"\n    line1\n    line2\n"},
	}
	for _, tc := range tests {
		var b bytes.Buffer
		if err := WriteLog(&b, []Message{m}, tc.color); err != nil {
			t.Fatal(err)
		}
		if b.String() != tc.want {
			t.Errorf("color=%v: got %q, want %q", tc.color, b.String(), tc.want)
		}
	}
	live := Message{Type: NamespaceNotInjected, Level: Info, Text: "t", Resource: Ref{Kind: "Namespace", Name: "shop"}}
	if got := live.String(); got != "Info [IST0102] (Namespace shop) t" {
		t.Errorf("live message = %q", got)
	}
	if err := Write(&bytes.Buffer{}, "xml", nil, FormatOptions{}); err == nil {
		t.Error("unknown format accepted")
	}
}
