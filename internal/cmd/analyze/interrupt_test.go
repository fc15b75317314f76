package analyze

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/meshctl/meshctl/pkg/analyze"
)

var errSignal = errors.New("interrupted by SIGTERM")

// An analyzer that is still at work when the signal comes does not hold
// the run: untilDone returns the signal's cause at once.
func TestUntilDoneGivesWayToTheSignal(t *testing.T) {
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	release := make(chan struct{})
	defer close(release)
	started := make(chan struct{})
	result := make(chan error, 1)
	go func() {
		_, err := untilDone(ctx, func() int {
			close(started)
			<-release // an analyzer that never looks at the context
			return 1
		})
		result <- err
	}()
	<-started
	cancel(errSignal)
	select {
	case err := <-result:
		if !errors.Is(err, errSignal) {
			t.Fatalf("returned %v, want the signal's cause", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("untilDone waited for the work despite the signal")
	}
}

func TestUntilDoneReturnsFinishedWork(t *testing.T) {
	v, err := untilDone(context.Background(), func() string { return "done" })
	if err != nil || v != "done" {
		t.Fatalf("got %q, %v", v, err)
	}
}

// countingAnalyzer counts its runs and cancels the run's context on the
// first, as a signal arriving mid-run would.
type countingAnalyzer struct {
	runs   *atomic.Int32
	cancel context.CancelCauseFunc
}

func (countingAnalyzer) Name() string                  { return "test.Counting" }
func (countingAnalyzer) Description() string           { return "counts its runs" }
func (countingAnalyzer) Codes() []*analyze.MessageType { return nil }
func (countingAnalyzer) Inputs() []string              { return nil }
func (a countingAnalyzer) Analyze(*analyze.Context) {
	a.runs.Add(1)
	a.cancel(errSignal)
}

// Once the signal has come, analyzers not yet started do not start.
func TestRunStartsNoAnalyzerAfterTheSignal(t *testing.T) {
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	var runs atomic.Int32
	as := make([]analyze.Analyzer, 50)
	for i := range as {
		as[i] = countingAnalyzer{runs: &runs, cancel: cancel}
	}
	analyze.Run(analyze.NewSnapshot(nil, analyze.SnapshotOptions{}), as, analyze.RunOptions{Context: ctx})
	// Run starts two at a time: at most the two under way when the
	// first cancelled finish.
	if n := runs.Load(); n < 1 || n > 2 {
		t.Fatalf("%d of %d analyzers ran after the signal came during the first", n, len(as))
	}
}
