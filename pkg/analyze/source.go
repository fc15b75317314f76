package analyze

import (
	"context"
	"io"
	"runtime"
	"sync"

	"github.com/meshctl/meshctl/pkg/yamlstream"
)

// FileInput is what ReadFiles found.
type FileInput struct {
	Resources []*Resource
	Skipped   []Skipped
	// Documents is the number of non-empty documents read.
	Documents int
}

// ReadFiles reads every document of the files, directories (recursively)
// and "-" (stdin) given, and decodes them in parallel. Every document is
// accounted for: decoded into resources or listed in Skipped. Objects without
// a namespace get defaultNamespace.
func ReadFiles(paths []string, stdin io.Reader, defaultNamespace string) (*FileInput, error) {
	return ReadFilesContext(context.Background(), paths, stdin, defaultNamespace)
}

// ReadFilesContext is ReadFiles that stops between documents once ctx is
// done, returning its cause.
func ReadFilesContext(ctx context.Context, paths []string, stdin io.Reader, defaultNamespace string) (*FileInput, error) {
	return ReadFilesProgress(ctx, paths, stdin, defaultNamespace, nil)
}

// ReadFilesProgress is ReadFilesContext that counts the documents read and
// decoded in p, when p is not nil.
func ReadFilesProgress(ctx context.Context, paths []string, stdin io.Reader, defaultNamespace string, p *Progress) (*FileInput, error) {
	if p == nil {
		p = &Progress{}
	}
	// Documents are decoded while later ones are still being read.
	type result struct {
		rs  []*Resource
		sk  []Skipped
		err error
	}
	type job struct {
		doc yamlstream.Document
		out *result
	}
	var results []*result // in document order; only this goroutine touches the slice
	var wg sync.WaitGroup
	next := make(chan job, 64)
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range next {
				if ctx.Err() != nil {
					continue // stopped: the caller gets the cause below
				}
				rs, sk, err := DecodeDocument(j.doc, defaultNamespace)
				*j.out = result{rs, sk, err}
				p.Decoded.Add(1)
			}
		}()
	}
	err := yamlstream.ReadPaths(paths, stdin, func(d yamlstream.Document) error {
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		if !d.IsEmpty() {
			r := &result{}
			results = append(results, r)
			p.Read.Add(1)
			next <- job{d, r}
		}
		return nil
	})
	close(next)
	wg.Wait()
	if err != nil {
		return nil, err
	}
	p.Documents.Store(int64(len(results)))
	if ctx.Err() != nil {
		return nil, context.Cause(ctx)
	}
	in := &FileInput{Documents: len(results)}
	for _, r := range results {
		if r.err != nil {
			return nil, r.err
		}
		in.Resources = append(in.Resources, r.rs...)
		in.Skipped = append(in.Skipped, r.sk...)
	}
	return in, nil
}
