package analyze

import (
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
	var docs []yamlstream.Document
	err := yamlstream.ReadPaths(paths, stdin, func(d yamlstream.Document) error {
		if !d.IsEmpty() {
			docs = append(docs, d)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
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
				rs, sk, err := DecodeDocument(docs[i], defaultNamespace)
				results[i] = result{rs, sk, err}
			}
		}()
	}
	for i := range docs {
		next <- i
	}
	close(next)
	wg.Wait()
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
