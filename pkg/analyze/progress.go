package analyze

import "sync/atomic"

// Progress counts the work of reading files and running analyzers, for a
// caller that shows how far a long run has got. The library only adds to
// the counters; they may be read at any time from another goroutine.
type Progress struct {
	// Read counts documents split from the input so far and Decoded
	// those decoded, which starts before reading ends; Documents is set
	// to their number once all are read.
	Read, Documents, Decoded atomic.Int64
	// Analyzers is set when Run starts; AnalyzersDone counts those done.
	Analyzers, AnalyzersDone atomic.Int64
}
