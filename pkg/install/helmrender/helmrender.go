// Package helmrender renders a chart held in a filesystem with Helm's
// template engine, in memory. It is the only package of meshctl that
// imports Helm, so that moving to another Helm major version changes this
// package alone.
package helmrender

import (
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
)

// Chart is a loaded chart, ready to render many times.
type Chart struct {
	c *chart.Chart
}

// Load reads the chart in directory dir of fsys. version, when not empty,
// replaces the chart's version and appVersion.
func Load(fsys fs.FS, dir, version string) (*Chart, error) {
	var files []*loader.BufferedFile
	err := fs.WalkDir(fsys, dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		if path.Ext(p) == ".go" {
			return nil
		}
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		files = append(files, &loader.BufferedFile{Name: strings.TrimPrefix(p, dir+"/"), Data: data})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading chart %q: %w", dir, err)
	}
	c, err := loader.LoadFiles(files)
	if err != nil {
		return nil, fmt.Errorf("loading chart %q: %w", dir, err)
	}
	if version != "" {
		c.Metadata.Version = version
		c.Metadata.AppVersion = version
	}
	return &Chart{c: c}, nil
}

// Name is the chart's name.
func (c *Chart) Name() string { return c.c.Metadata.Name }

// Values are the chart's default values (values.yaml). The map is the
// chart's own: callers must copy before changing it.
func (c *Chart) Values() map[string]any { return c.c.Values }

// Release names the Helm release a chart is rendered as.
type Release struct {
	Name      string
	Namespace string
}

// Document is one rendered template file's output.
type Document struct {
	// Template is the template's path inside the chart, e.g. "templates/service.yaml".
	Template string
	// Content is the rendered text, possibly several YAML documents.
	Content string
}

// Render renders the chart with vals merged over its defaults. Documents
// come back sorted by template name; notes and helper templates are left
// out.
func (c *Chart) Render(rel Release, vals map[string]any) ([]Document, error) {
	opts := chartutil.ReleaseOptions{Name: rel.Name, Namespace: rel.Namespace, IsInstall: true}
	rv, err := chartutil.ToRenderValues(c.c, vals, opts, chartutil.DefaultCapabilities)
	if err != nil {
		return nil, fmt.Errorf("chart %s: values: %w", c.Name(), err)
	}
	out, err := engine.Render(c.c, rv)
	if err != nil {
		return nil, fmt.Errorf("chart %s: %w", c.Name(), err)
	}
	docs := make([]Document, 0, len(out))
	for name, text := range out {
		base := path.Base(name)
		if strings.HasPrefix(base, "_") || strings.HasSuffix(base, "NOTES.txt") {
			continue
		}
		if strings.TrimSpace(text) == "" {
			continue
		}
		docs = append(docs, Document{Template: strings.TrimPrefix(name, c.Name()+"/"), Content: text})
	}
	sort.Slice(docs, func(i, j int) bool { return docs[i].Template < docs[j].Template })
	return docs, nil
}
