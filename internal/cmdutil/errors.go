package cmdutil

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// Exit codes. They are few on purpose and documented in the README and in
// `meshctl help`; CI scripts written for istioctl rely on 79.
const (
	ExitOK        = 0  // success
	ExitFailure   = 1  // the command failed
	ExitUsage     = 2  // bad flags or arguments
	ExitThreshold = 79 // analysis or verification found problems at or above the threshold
	// A signal stops a command with 128 + its number, as a shell reports it.
	ExitInterrupted = 130 // SIGINT (Ctrl-C)
	ExitTerminated  = 143 // SIGTERM
)

// SignalError is the cause of a command's context when a signal stopped it.
type SignalError struct{ Signal os.Signal }

func (e *SignalError) Error() string { return "interrupted by " + signalName(e.Signal) }

func signalName(s os.Signal) string {
	if s == syscall.SIGTERM {
		return "SIGTERM"
	}
	return "SIGINT"
}

// Code is the exit code for the signal.
func (e *SignalError) Code() int {
	if e.Signal == syscall.SIGTERM {
		return ExitTerminated
	}
	return ExitInterrupted
}

// ExitCodesHelp documents the exit codes for `meshctl help`.
const ExitCodesHelp = `Exit codes:
  0   success
  1   failure (the error is printed on stderr)
  2   usage error (bad flags or arguments); any error of manifest/profile diff
  79  analysis or verification found problems at or above the failure threshold
  130 interrupted (SIGINT, Ctrl-C); nothing partial is written
  143 terminated (SIGTERM); nothing partial is written`

// UsageError is a mistake in flags or arguments: the root command points to
// --help after it and exits with ExitUsage.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// UsageErrorf builds a UsageError.
func UsageErrorf(format string, a ...any) error {
	return &UsageError{Err: fmt.Errorf(format, a...)}
}

// ThresholdError means the command did its job and the findings it printed
// reach the failure threshold. The message is printed like any error unless
// it is empty (the findings already said it all).
type ThresholdError struct{ Msg string }

func (e *ThresholdError) Error() string { return e.Msg }

// SilentError carries an exit code after the command has already reported
// everything itself; the root prints nothing more.
type SilentError struct{ Code int }

func (e *SilentError) Error() string { return fmt.Sprintf("exit status %d", e.Code) }

// CodeError is an error printed like any other but exiting with its own
// code, for a command whose codes follow another tool's: in `manifest diff`,
// as in diff(1), 1 means "they differ", so an error there exits 2.
type CodeError struct {
	Code int
	Err  error
}

func (e *CodeError) Error() string { return e.Err.Error() }
func (e *CodeError) Unwrap() error { return e.Err }

// ExitCode maps an error returned by a command to the process exit code.
func ExitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	var u *UsageError
	var th *ThresholdError
	var s *SilentError
	var c *CodeError
	switch {
	case errors.As(err, &c):
		return c.Code
	case errors.As(err, &th):
		return ExitThreshold
	case errors.As(err, &s):
		return s.Code
	case errors.As(err, &u):
		return ExitUsage
	}
	return ExitFailure
}
