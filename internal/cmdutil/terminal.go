package cmdutil

import (
	"io"
	"os"

	"golang.org/x/term"
	"k8s.io/cli-runtime/pkg/genericiooptions"
)

// Terminal says what the streams are connected to. Colour, spinners and
// prompts are used only on a terminal, and colour never when NO_COLOR is set.
type Terminal struct {
	StdinTTY  bool
	StdoutTTY bool
	StderrTTY bool
	// Color is true when stderr is a terminal and NO_COLOR is unset or empty.
	Color bool
	// Width of the stdout terminal in columns, 0 when unknown.
	Width int
}

// DetectTerminal inspects the streams.
func DetectTerminal(s genericiooptions.IOStreams) Terminal {
	t := Terminal{StdinTTY: isTTY(s.In), StdoutTTY: isTTY(s.Out), StderrTTY: isTTY(s.ErrOut)}
	t.Color = ColorAllowed(t.StderrTTY)
	if f, ok := s.Out.(*os.File); ok && t.StdoutTTY {
		if w, _, err := term.GetSize(int(f.Fd())); err == nil {
			t.Width = w
		}
	}
	return t
}

// ColorAllowed applies the colour rules to a stream that is (or is not) a
// terminal: see https://no-color.org.
func ColorAllowed(tty bool) bool {
	// no-color.org: set and not empty.
	if v, _ := LookupEnv("NO_COLOR"); v != "" {
		return false
	}
	if v, _ := LookupEnv("TERM"); v == "dumb" {
		return false
	}
	return tty
}

// LookupEnv is os.LookupEnv; tests of the colour rules replace it.
var LookupEnv = os.LookupEnv

func isTTY(x any) bool {
	f, ok := x.(interface{ Fd() uintptr })
	if !ok {
		return false
	}
	if _, isWriter := x.(io.Writer); !isWriter {
		if _, isReader := x.(io.Reader); !isReader {
			return false
		}
	}
	return term.IsTerminal(int(f.Fd()))
}
