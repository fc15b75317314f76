package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/meshctl/meshctl/internal/cmdutil"
)

// Main runs meshctl with the given arguments and streams and returns the
// process exit code. It is everything cmd/meshctl does.
func Main(args []string, streams genericiooptions.IOStreams) int {
	// A signal cancels the command's context with the signal as its cause:
	// the work stops, writes nothing partial, and the exit code says which.
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	go func() {
		select {
		case s := <-sigs:
			cancel(&cmdutil.SignalError{Signal: s})
		case <-ctx.Done():
		}
	}()
	root, f := NewRootCmd(streams)
	// The root applies the garbage collector's settings that the command
	// asks for (cmdutil.SetGC); they end with the run.
	defer cmdutil.SaveGC()()
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(ctx)
	var sig *cmdutil.SignalError
	if errors.As(context.Cause(ctx), &sig) {
		fmt.Fprintf(streams.ErrOut, "Error: %s\n", sig)
		return sig.Code()
	}
	if err == nil {
		return cmdutil.ExitOK
	}
	if isCobraUsageError(err) {
		err = &cmdutil.UsageError{Err: err}
	}
	err = nameValueSources(cmd, err)
	printError(streams.ErrOut, f.Term.Color, cmd, err)
	return cmdutil.ExitCode(err)
}

// isCobraUsageError recognises the few usage mistakes cobra reports as plain
// errors (an unknown subcommand).
func isCobraUsageError(err error) bool {
	var u *cmdutil.UsageError
	if errors.As(err, &u) {
		return false
	}
	return strings.HasPrefix(err.Error(), "unknown command") || strings.HasPrefix(err.Error(), "unknown shorthand flag") || strings.HasPrefix(err.Error(), "unknown flag")
}

func printError(w io.Writer, color bool, cmd *cobra.Command, err error) {
	var silent *cmdutil.SilentError
	var th *cmdutil.ThresholdError
	if errors.As(err, &silent) || (errors.As(err, &th) && th.Msg == "") {
		return
	}
	prefix := "Error:"
	if color {
		prefix = "\x1b[31mError:\x1b[0m"
	}
	fmt.Fprintf(w, "%s %s\n", prefix, err)
	// The message stays the last thing on the screen: the usage would
	// bury it under sixty lines, so it is one command away instead.
	var u *cmdutil.UsageError
	if errors.As(err, &u) && cmd != nil {
		fmt.Fprintf(w, "See '%s --help' for usage.\n", cmd.CommandPath())
	}
}
