package analyze

import (
	"context"
	"fmt"
	"path"
	"sort"
	"strings"
	"sync"

	"github.com/meshctl/meshctl/pkg/yamlstream"
)

// Analyzer checks one aspect of the configuration.
type Analyzer interface {
	// Name is "group.Name", as listed by --list-analyzers.
	Name() string
	Description() string
	// Codes are the message types it can report.
	Codes() []*MessageType
	// Inputs are the kinds it reads; a live source reads only these.
	Inputs() []string
	Analyze(c *Context)
}

type analyzer struct {
	name, desc string
	codes      []*MessageType
	inputs     []string
	run        func(c *Context)
}

func (a *analyzer) Name() string          { return a.name }
func (a *analyzer) Description() string   { return a.desc }
func (a *analyzer) Codes() []*MessageType { return a.codes }
func (a *analyzer) Inputs() []string      { return a.inputs }
func (a *analyzer) Analyze(c *Context)    { a.run(c) }

var registry []Analyzer

func register(a *analyzer) { registry = append(registry, a) }

// All returns every analyzer, by name.
func All() []Analyzer {
	out := append([]Analyzer(nil), registry...)
	sort.Slice(out, func(i, j int) bool { return out[i].Name() < out[j].Name() })
	return out
}

// Select returns the analyzers whose names match one of the patterns: an
// exact name, a group ("virtualservice" matches "virtualservice.*"), or a
// glob. No pattern selects all. A pattern that matches nothing is an error.
func Select(patterns []string) ([]Analyzer, error) {
	all := All()
	if len(patterns) == 0 {
		return all, nil
	}
	chosen := map[string]bool{}
	for _, p := range patterns {
		found := false
		for _, a := range all {
			n := a.Name()
			ok, _ := path.Match(strings.ToLower(p), strings.ToLower(n))
			if ok || strings.EqualFold(n, p) || strings.HasPrefix(strings.ToLower(n), strings.ToLower(p)+".") {
				chosen[n] = true
				found = true
			}
		}
		if !found {
			return nil, fmt.Errorf("no analyzer matches %q (see --list-analyzers)", p)
		}
	}
	var out []Analyzer
	for _, a := range all {
		if chosen[a.Name()] {
			out = append(out, a)
		}
	}
	return out, nil
}

// Inputs is the union of the kinds the analyzers read, sorted.
func Inputs(as []Analyzer) []string {
	set := map[string]bool{}
	for _, a := range as {
		for _, k := range a.Inputs() {
			set[k] = true
		}
	}
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Context is what an analyzer sees: the snapshot, and a place to report.
type Context struct {
	S    *Snapshot
	msgs []Message
}

// Report records a finding about r. field is the path of the offending field
// ("spec.http[0].route[0].destination"), or "" for the whole resource.
func (c *Context) Report(r *Resource, t *MessageType, field string, args ...any) {
	c.ReportLevel(r, t, t.Level, field, args...)
}

// ReportLevel is Report with a level other than the type's default.
func (c *Context) ReportLevel(r *Resource, t *MessageType, lvl Level, field string, args ...any) *Message {
	m := Message{Type: t, Level: lvl, Text: fmt.Sprintf(t.Template, args...), Resource: r.Ref(), File: r.File, Line: r.Line, Field: field, docLine: r.Line}
	if r.Raw != nil {
		if l, col, ok := yamlstream.FieldPosition(r.Raw, field); ok {
			m.Line, m.Column = r.Line+l-1, col
		}
	}
	c.msgs = append(c.msgs, m)
	return &c.msgs[len(c.msgs)-1]
}

// RunOptions tune Run.
type RunOptions struct {
	// Namespace, when set, limits findings to resources of that namespace
	// (and cluster-scoped ones), as `analyze -n NS` does.
	Namespace string
	// Context, when done, keeps analyzers not yet started from starting.
	Context context.Context
	// Progress, when set, counts the analyzers as they finish.
	Progress *Progress
}

// Run runs the analyzers over the snapshot, in parallel, and returns the
// findings sorted, with the per-resource suppression annotation
// (galley.istio.io/analyze-suppress) applied.
func Run(s *Snapshot, as []Analyzer, opts RunOptions) []Message {
	if opts.Progress == nil {
		opts.Progress = &Progress{}
	}
	opts.Progress.Analyzers.Store(int64(len(as)))
	results := make([][]Message, len(as))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 2)
	for i, a := range as {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			defer opts.Progress.AnalyzersDone.Add(1)
			if opts.Context != nil && opts.Context.Err() != nil {
				return
			}
			c := &Context{S: s}
			a.Analyze(c)
			results[i] = c.msgs
		}()
	}
	wg.Wait()
	var out []Message
	for _, ms := range results {
		for _, m := range ms {
			if opts.Namespace != "" && m.Resource.Namespace != "" && m.Resource.Namespace != opts.Namespace {
				continue
			}
			if suppressedByAnnotation(s, m) {
				continue
			}
			out = append(out, m)
		}
	}
	SortMessages(out)
	return dedupe(out)
}

func dedupe(ms []Message) []Message {
	out := ms[:0]
	for i, m := range ms {
		if i > 0 {
			p := ms[i-1]
			if p.Type == m.Type && p.Resource == m.Resource && p.Text == m.Text && p.Line == m.Line && p.File == m.File {
				continue
			}
		}
		out = append(out, m)
	}
	return out
}

// SuppressAnnotation lists codes not to report on the annotated resource
// ("IST0102,IST0107", or "*" for all).
const SuppressAnnotation = "galley.istio.io/analyze-suppress"

func suppressedByAnnotation(s *Snapshot, m Message) bool {
	r := s.Get(m.Resource.Kind, m.Resource.Namespace, m.Resource.Name)
	if r == nil {
		return false
	}
	v, ok := r.Annotations[SuppressAnnotation]
	if !ok {
		return false
	}
	for _, c := range splitList(v) {
		if c == "*" || strings.EqualFold(c, m.Type.Code) {
			return true
		}
	}
	return false
}
