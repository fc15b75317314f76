package install

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/meshctl/meshctl/internal/cmdutil"
)

// errNotConfirmed stops a run the user declined.
var errNotConfirmed = errors.New("cancelled: nothing was changed")

// confirm asks question on stderr and reads the answer from stdin. It asks
// only on a terminal: without one it refuses at once, so that a script
// without -y fails instead of hanging.
func confirm(f *cmdutil.Factory, question, flag string) error {
	if !f.Term.StdinTTY {
		return fmt.Errorf("refusing to continue without confirmation: standard input is not a terminal (pass %s to proceed)", flag)
	}
	return ask(f.In, f.ErrOut, question)
}

func ask(in io.Reader, out io.Writer, question string) error {
	fmt.Fprintf(out, "%s Proceed? (y/N) ", question)
	line, err := bufio.NewReader(in).ReadString('\n')
	if err != nil && line == "" {
		fmt.Fprintln(out)
		return errNotConfirmed
	}
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return nil
	}
	return errNotConfirmed
}
