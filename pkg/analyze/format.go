package analyze

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strings"

	"sigs.k8s.io/yaml"
)

// Output formats.
const (
	FormatLog   = "log"
	FormatJSON  = "json"
	FormatYAML  = "yaml"
	FormatSARIF = "sarif"
)

// Formats lists the output formats.
var Formats = []string{FormatLog, FormatJSON, FormatYAML, FormatSARIF}

// FormatOptions tune the writers.
type FormatOptions struct {
	// Color adds ANSI colours to log output.
	Color bool
	// ToolVersion is written into SARIF's tool section.
	ToolVersion string
	// Rules are the message types the analysis could report, for SARIF's
	// rule metadata; nil means those of the messages.
	Rules []*MessageType
}

// Write prints messages in a format.
func Write(w io.Writer, format string, ms []Message, opts FormatOptions) error {
	switch format {
	case FormatLog, "":
		return WriteLog(w, ms, opts.Color)
	case FormatJSON:
		return writeJSON(w, toJSON(ms))
	case FormatYAML:
		b, err := yaml.Marshal(toJSON(ms))
		if err != nil {
			return err
		}
		_, err = w.Write(b)
		return err
	case FormatSARIF:
		return writeJSON(w, toSARIF(ms, opts))
	}
	return fmt.Errorf("unknown output format %q: want one of %s", format, strings.Join(Formats, ", "))
}

// writeJSON writes indented JSON without HTML escaping ("<stdin>" stays
// readable).
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

const (
	ansiReset  = "\x1b[0m"
	ansiRed    = "\x1b[31m"
	ansiYellow = "\x1b[33m"
	ansiCyan   = "\x1b[36m"
)

// WriteLog prints one line per message, in istioctl's layout:
//
//	Error [IST0101] (VirtualService default/hello hello.yaml:31:9) Referenced ...
//
// followed by the message's detail, indented.
func WriteLog(w io.Writer, ms []Message, color bool) error {
	var b strings.Builder
	for _, m := range ms {
		lvl := m.Level.String()
		if color {
			c := ansiCyan
			switch m.Level {
			case Error:
				c = ansiRed
			case Warning:
				c = ansiYellow
			}
			lvl = c + lvl + ansiReset
		}
		fmt.Fprintf(&b, "%s [%s] (%s) %s\n", lvl, m.Type.Code, m.Origin(), m.Text)
		if m.Detail != "" {
			for _, l := range strings.Split(m.Detail, "\n") {
				b.WriteString("    " + l + "\n")
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// JSONMessage is the JSON and YAML form of a message.
type JSONMessage struct {
	Code             string `json:"code"`
	Name             string `json:"name"`
	Level            string `json:"level"`
	Message          string `json:"message"`
	Origin           string `json:"origin"`
	Resource         Ref    `json:"resource"`
	File             string `json:"file,omitempty"`
	Line             int    `json:"line,omitempty"`
	Column           int    `json:"column,omitempty"`
	Field            string `json:"field,omitempty"`
	Replacement      string `json:"replacement,omitempty"`
	DocumentationURL string `json:"documentationUrl"`
}

func toJSON(ms []Message) []JSONMessage {
	out := make([]JSONMessage, 0, len(ms))
	for _, m := range ms {
		out = append(out, JSONMessage{
			Code: m.Type.Code, Name: m.Type.Name, Level: m.Level.String(), Message: m.Text,
			Origin: m.Origin(), Resource: m.Resource, File: m.File, Line: m.Line, Column: m.Column,
			Field: m.Field, Replacement: m.Detail, DocumentationURL: m.Type.DocURL(),
		})
	}
	return out
}

// SARIF 2.1.0, the parts meshctl writes.
type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool    sarifTool     `json:"tool"`
	Results []sarifResult `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	InformationURI string      `json:"informationUri"`
	Version        string      `json:"version,omitempty"`
	Rules          []sarifRule `json:"rules"`
}

type sarifText struct {
	Text string `json:"text"`
}

type sarifRule struct {
	ID                   string        `json:"id"`
	Name                 string        `json:"name"`
	ShortDescription     sarifText     `json:"shortDescription"`
	FullDescription      sarifText     `json:"fullDescription"`
	HelpURI              string        `json:"helpUri"`
	Help                 sarifText     `json:"help"`
	DefaultConfiguration sarifRuleConf `json:"defaultConfiguration"`
}

type sarifRuleConf struct {
	Level string `json:"level"`
}

type sarifResult struct {
	RuleID              string            `json:"ruleId"`
	RuleIndex           int               `json:"ruleIndex"`
	Level               string            `json:"level"`
	Message             sarifText         `json:"message"`
	Locations           []sarifLocation   `json:"locations"`
	PartialFingerprints map[string]string `json:"partialFingerprints"`
}

type sarifLocation struct {
	PhysicalLocation *sarifPhysical `json:"physicalLocation,omitempty"`
	LogicalLocations []sarifLogical `json:"logicalLocations"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           *sarifRegion  `json:"region,omitempty"`
}

type sarifArtifact struct {
	URI       string `json:"uri"`
	URIBaseID string `json:"uriBaseId,omitempty"`
}

type sarifRegion struct {
	StartLine   int `json:"startLine"`
	StartColumn int `json:"startColumn,omitempty"`
}

type sarifLogical struct {
	Name               string `json:"name"`
	FullyQualifiedName string `json:"fullyQualifiedName"`
	Kind               string `json:"kind"`
}

func sarifLevel(l Level) string {
	switch l {
	case Error:
		return "error"
	case Warning:
		return "warning"
	}
	return "note"
}

func toSARIF(ms []Message, opts FormatOptions) sarifLog {
	rules := opts.Rules
	if rules == nil {
		seen := map[string]bool{}
		for _, m := range ms {
			if !seen[m.Type.Code] {
				seen[m.Type.Code] = true
				rules = append(rules, m.Type)
			}
		}
	}
	rules = append([]*MessageType(nil), rules...)
	sort.Slice(rules, func(i, j int) bool { return rules[i].Code < rules[j].Code })
	index := map[string]int{}
	driver := sarifDriver{Name: "meshctl", InformationURI: "https://github.com/meshctl/meshctl", Version: opts.ToolVersion, Rules: []sarifRule{}}
	for _, t := range rules {
		if _, dup := index[t.Code]; dup {
			continue
		}
		index[t.Code] = len(driver.Rules)
		driver.Rules = append(driver.Rules, sarifRule{
			ID: t.Code, Name: t.Name,
			ShortDescription:     sarifText{t.Name},
			FullDescription:      sarifText{t.Description},
			HelpURI:              t.DocURL(),
			Help:                 sarifText{t.Description + " See " + t.DocURL()},
			DefaultConfiguration: sarifRuleConf{sarifLevel(t.Level)},
		})
	}
	results := make([]sarifResult, 0, len(ms))
	for _, m := range ms {
		idx, ok := index[m.Type.Code]
		if !ok {
			idx = len(driver.Rules)
			index[m.Type.Code] = idx
			driver.Rules = append(driver.Rules, sarifRule{ID: m.Type.Code, Name: m.Type.Name, ShortDescription: sarifText{m.Type.Name},
				FullDescription: sarifText{m.Type.Description}, HelpURI: m.Type.DocURL(), Help: sarifText{m.Type.Description},
				DefaultConfiguration: sarifRuleConf{sarifLevel(m.Type.Level)}})
		}
		text := m.Text
		if m.Detail != "" {
			text += "\n" + m.Detail
		}
		loc := sarifLocation{LogicalLocations: []sarifLogical{{
			Name: m.Resource.Name, FullyQualifiedName: m.Resource.Kind + "/" + m.Resource.FullName(), Kind: "resource",
		}}}
		if m.File != "" && m.File != "<stdin>" {
			uri := filepath.ToSlash(m.File)
			ph := &sarifPhysical{ArtifactLocation: sarifArtifact{URI: uri}}
			if !filepath.IsAbs(m.File) {
				ph.ArtifactLocation.URIBaseID = "%SRCROOT%"
			} else {
				ph.ArtifactLocation.URI = "file://" + uri
			}
			if m.Line > 0 {
				ph.Region = &sarifRegion{StartLine: m.Line, StartColumn: m.Column}
			}
			loc.PhysicalLocation = ph
		}
		e := entryOf(m)
		sum := sha256.Sum256([]byte(e.Code + "\x00" + e.Kind + "\x00" + e.Namespace + "\x00" + e.Name + "\x00" + e.Message))
		results = append(results, sarifResult{
			RuleID: m.Type.Code, RuleIndex: idx, Level: sarifLevel(m.Level), Message: sarifText{text},
			Locations:           []sarifLocation{loc},
			PartialFingerprints: map[string]string{"meshctlFinding/v1": hex.EncodeToString(sum[:16])},
		})
	}
	return sarifLog{
		Schema:  "https://json.schemastore.org/sarif-2.1.0.json",
		Version: "2.1.0",
		Runs:    []sarifRun{{Tool: sarifTool{Driver: driver}, Results: results}},
	}
}
