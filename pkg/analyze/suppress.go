package analyze

import (
	"encoding/json"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"
)

// Suppression hides matching findings: "CODE=Kind ns/name", where each part
// may hold * and ? wildcards. The resource may also be written the istioctl
// way, "name.namespace", or just "name" for cluster-scoped kinds.
type Suppression struct {
	Code, Kind, Resource string
}

// ParseSuppression reads "IST0102=Namespace default" or
// "IST0101=VirtualService bookinfo/*".
func ParseSuppression(s string) (Suppression, error) {
	code, rest, ok := strings.Cut(strings.TrimSpace(s), "=")
	if !ok || code == "" {
		return Suppression{}, fmt.Errorf("suppression %q: want CODE=Kind namespace/name", s)
	}
	fields := strings.Fields(rest)
	if len(fields) != 2 {
		return Suppression{}, fmt.Errorf("suppression %q: want CODE=Kind namespace/name", s)
	}
	sp := Suppression{Code: strings.ToUpper(code), Kind: fields[0], Resource: fields[1]}
	for _, p := range []string{sp.Code, sp.Kind, sp.Resource} {
		if _, err := path.Match(p, ""); err != nil {
			return Suppression{}, fmt.Errorf("suppression %q: bad pattern %q", s, p)
		}
	}
	return sp, nil
}

func (s Suppression) String() string { return s.Code + "=" + s.Kind + " " + s.Resource }

// Matches reports whether the suppression hides m.
func (s Suppression) Matches(m Message) bool {
	if ok, _ := path.Match(s.Code, m.Type.Code); !ok {
		return false
	}
	if ok, _ := path.Match(strings.ToLower(s.Kind), strings.ToLower(m.Resource.Kind)); !ok {
		return false
	}
	r := m.Resource
	var forms []string
	if r.Namespace == "" {
		forms = []string{r.Name, "/" + r.Name}
	} else {
		forms = []string{r.Namespace + "/" + r.Name, r.Name + "." + r.Namespace}
	}
	for _, f := range forms {
		if ok, _ := path.Match(s.Resource, f); ok {
			return true
		}
	}
	return false
}

// Suppress drops the findings any suppression matches, returning the rest
// and how many were dropped.
func Suppress(ms []Message, sups []Suppression) ([]Message, int) {
	if len(sups) == 0 {
		return ms, 0
	}
	var out []Message
	for _, m := range ms {
		hidden := false
		for _, s := range sups {
			if s.Matches(m) {
				hidden = true
				break
			}
		}
		if !hidden {
			out = append(out, m)
		}
	}
	return out, len(ms) - len(out)
}

// Baseline is a record of accepted findings: CI run with --baseline fails
// only on findings not in it. Entries leave out file and line so that
// moving a resource in its file does not make its findings new.
type Baseline struct {
	Version  int             `json:"version"`
	Findings []BaselineEntry `json:"findings"`
}

// BaselineEntry identifies one accepted finding.
type BaselineEntry struct {
	Code      string `json:"code"`
	Kind      string `json:"kind"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
	Message   string `json:"message"`
}

func entryOf(m Message) BaselineEntry {
	return BaselineEntry{Code: m.Type.Code, Kind: m.Resource.Kind, Namespace: m.Resource.Namespace, Name: m.Resource.Name, Message: m.Text}
}

// NewBaseline records the findings, sorted and without repeats.
func NewBaseline(ms []Message) Baseline {
	seen := map[BaselineEntry]bool{}
	b := Baseline{Version: 1, Findings: []BaselineEntry{}}
	for _, m := range ms {
		e := entryOf(m)
		if !seen[e] {
			seen[e] = true
			b.Findings = append(b.Findings, e)
		}
	}
	sort.Slice(b.Findings, func(i, j int) bool {
		x, y := b.Findings[i], b.Findings[j]
		if x.Namespace != y.Namespace {
			return x.Namespace < y.Namespace
		}
		if x.Kind != y.Kind {
			return x.Kind < y.Kind
		}
		if x.Name != y.Name {
			return x.Name < y.Name
		}
		if x.Code != y.Code {
			return x.Code < y.Code
		}
		return x.Message < y.Message
	})
	return b
}

// Write writes the baseline as indented JSON.
func (b Baseline) Write(w io.Writer) error {
	out, err := json.MarshalIndent(b, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", out)
	return err
}

// ReadBaseline reads a baseline written by Write.
func ReadBaseline(r io.Reader) (Baseline, error) {
	var b Baseline
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&b); err != nil {
		return Baseline{}, fmt.Errorf("reading baseline: %w", err)
	}
	if b.Version != 1 {
		return Baseline{}, fmt.Errorf("reading baseline: unsupported version %d", b.Version)
	}
	return b, nil
}

// Filter drops the findings the baseline holds, returning the new ones and
// how many were known.
func (b Baseline) Filter(ms []Message) ([]Message, int) {
	known := make(map[BaselineEntry]bool, len(b.Findings))
	for _, e := range b.Findings {
		known[e] = true
	}
	var out []Message
	for _, m := range ms {
		if !known[entryOf(m)] {
			out = append(out, m)
		}
	}
	return out, len(ms) - len(out)
}
