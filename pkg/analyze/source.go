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
	var docs []yamlstream.Document
	err := yamlstream.ReadPaths(paths, stdin, func(d yamlstream.Document) error {
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		if !d.IsEmpty() {
			docs = append(docs, d)
			p.Read.Add(1)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	p.Documents.Store(int64(len(docs)))
	type result struct {
		rs  []*Resource
		sk  []Skipped
		err error
	}
	results := make([]result, len(docs))
	workers := runtime.GOMAXPROCS(0)
	if workers > len(docs) {
		workers = len(docs)
	}
	var wg sync.WaitGroup
	next := make(chan int, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if ctx.Err() != nil {
					continue // stopped: the caller gets the cause below
				}
				rs, sk, err := DecodeDocument(docs[i], defaultNamespace)
				results[i] = result{rs, sk, err}
				p.Decoded.Add(1)
			}
		}()
	}
	for i := range docs {
		next <- i
	}
	close(next)
	wg.Wait()
	if ctx.Err() != nil {
		return nil, context.Cause(ctx)
	}
	in := &FileInput{Documents: len(docs)}
	for _, r := range results {
		if r.err != nil {
			return nil, r.err
		}
		in.Resources = append(in.Resources, r.rs...)
		in.Skipped = append(in.Skipped, r.sk...)
	}
	return in, nil
}
