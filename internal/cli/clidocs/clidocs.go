// Package clidocs generates meshctl's command reference (Markdown and man
// pages) from the cobra tree. It lives apart from the cli package so that the
// meshctl binary does not link the Markdown and roff libraries, whose package
// initialisation would run on every start.
package clidocs

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
	"github.com/spf13/pflag"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/meshctl/meshctl/internal/cli"
)

// docsDate is the date printed in man page headers. It is fixed so that the
// generated reference is the same bytes on every run and machine.
var docsDate = time.Date(2026, time.January, 1, 0, 0, 0, 0, time.UTC)

// GenerateDocs writes the command reference into dir: Markdown pages under
// dir/reference and man pages under dir/man, one page per command. Existing
// generated pages are replaced, so a removed command's page disappears.
func GenerateDocs(dir string) error {
	root, _ := cli.NewRootCmd(genericiooptions.IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr})
	neutralDefaults(root)
	md := filepath.Join(dir, "reference")
	man := filepath.Join(dir, "man")
	for _, d := range []string{md, man} {
		if err := os.RemoveAll(d); err != nil {
			return err
		}
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	header := doc.GenManHeader{Title: "MESHCTL", Section: "1", Source: "meshctl", Manual: "meshctl manual", Date: &docsDate}
	return eachCommand(root, func(c *cobra.Command) error {
		if err := writePage(filepath.Join(md, strings.ReplaceAll(c.CommandPath(), " ", "_")+".md"), func(w io.Writer) error {
			return doc.GenMarkdown(c, w)
		}); err != nil {
			return fmt.Errorf("writing Markdown reference: %w", err)
		}
		if err := writePage(filepath.Join(man, strings.ReplaceAll(c.CommandPath(), " ", "-")+".1"), func(w io.Writer) error {
			h := header
			return doc.GenMan(c, &h, w)
		}); err != nil {
			return fmt.Errorf("writing man pages: %w", err)
		}
		return nil
	})
}

// eachCommand calls fn for every command the reference documents, as
// cobra's tree generators choose them, with the page written the way the
// command's help shows it (an offline command without cluster flags).
func eachCommand(c *cobra.Command, fn func(*cobra.Command) error) error {
	for _, s := range c.Commands() {
		if !s.IsAvailableCommand() || s.IsAdditionalHelpTopicCommand() {
			continue
		}
		if err := eachCommand(s, fn); err != nil {
			return err
		}
	}
	return cli.WithOfflineFlagsHidden(c, func() error { return fn(c) })
}

func writePage(name string, write func(io.Writer) error) error {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// neutralDefaults replaces the machine's home directory in flag defaults by
// $HOME, so the reference does not depend on who generated it.
func neutralDefaults(root *cobra.Command) {
	home, err := os.UserHomeDir()
	if err != nil || home == "" || home == "/" {
		return
	}
	var walk func(*cobra.Command)
	walk = func(c *cobra.Command) {
		c.Flags().VisitAll(func(f *pflag.Flag) { f.DefValue = strings.ReplaceAll(f.DefValue, home, "$HOME") })
		c.PersistentFlags().VisitAll(func(f *pflag.Flag) { f.DefValue = strings.ReplaceAll(f.DefValue, home, "$HOME") })
		for _, s := range c.Commands() {
			walk(s)
		}
	}
	walk(root)
}

// DocsDiff generates the reference into a temporary directory and reports
// the pages under dir that differ from it (stale, missing or extra).
func DocsDiff(dir string) ([]string, error) {
	tmp, err := os.MkdirTemp("", "meshctl-docs-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	if err := GenerateDocs(tmp); err != nil {
		return nil, err
	}
	var diffs []string
	for _, sub := range []string{"reference", "man"} {
		want, err := readTree(filepath.Join(tmp, sub))
		if err != nil {
			return nil, err
		}
		have, _ := readTree(filepath.Join(dir, sub))
		for name, data := range want {
			if h, ok := have[name]; !ok {
				diffs = append(diffs, "missing "+filepath.Join(sub, name))
			} else if !bytes.Equal(h, data) {
				diffs = append(diffs, "stale "+filepath.Join(sub, name))
			}
		}
		for name := range have {
			if _, ok := want[name]; !ok {
				diffs = append(diffs, "extra "+filepath.Join(sub, name))
			}
		}
	}
	return diffs, nil
}

func readTree(dir string) (map[string][]byte, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	out := map[string][]byte{}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		out[e.Name()] = data
	}
	return out, nil
}
