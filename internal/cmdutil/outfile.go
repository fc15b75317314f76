package cmdutil

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// PendingFile is a finished temporary file and the file it is to replace.
type PendingFile struct{ Tmp, Target string }

// ResolveTarget follows symlinks to the file that is to be written (which
// need not exist yet) and says whether it is to be written directly: a
// device, FIFO or socket, which a rename would replace.
func ResolveTarget(target string) (string, bool, error) {
	real := target
	for range 40 {
		st, err := os.Lstat(real)
		switch {
		case os.IsNotExist(err):
			return real, false, nil
		case err != nil:
			return "", false, fmt.Errorf("writing %s: %w", target, err)
		case st.Mode()&os.ModeSymlink != 0:
			link, err := os.Readlink(real)
			if err != nil {
				return "", false, fmt.Errorf("writing %s: %w", target, err)
			}
			if !filepath.IsAbs(link) {
				link = filepath.Join(filepath.Dir(real), link)
			}
			real = link
		case st.Mode().IsRegular():
			return real, false, nil
		case st.IsDir():
			return "", false, fmt.Errorf("writing %s: is a directory", target)
		default:
			return real, true, nil
		}
	}
	return "", false, fmt.Errorf("writing %s: too many levels of symbolic links", target)
}

// WriteAtomically writes through a temporary file next to the file target
// resolves to (a device or FIFO is written directly). With keep nil it
// renames the file into place; otherwise it leaves the rename to the caller
// and stores what to rename in keep.
func WriteAtomically(target string, write func(io.Writer) error, keep *PendingFile) error {
	real, direct, err := ResolveTarget(target)
	if err != nil {
		return err
	}
	if direct {
		f, err := os.OpenFile(real, os.O_WRONLY, 0)
		if err != nil {
			return fmt.Errorf("writing %s: %w", target, err)
		}
		bw := bufio.NewWriterSize(f, 64<<10)
		err = write(bw)
		if err == nil {
			err = bw.Flush()
		}
		if cerr := f.Close(); err == nil && cerr != nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("writing %s: %w", target, err)
		}
		return nil
	}
	f, err := os.CreateTemp(filepath.Dir(real), "."+filepath.Base(real)+".meshctl-*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", target, err)
	}
	tmp := f.Name()
	mode := os.FileMode(0o644)
	if st, err := os.Stat(real); err == nil {
		mode = st.Mode().Perm()
	}
	bw := bufio.NewWriterSize(f, 64<<10)
	err = write(bw)
	if err == nil {
		err = bw.Flush()
	}
	if err == nil {
		err = f.Chmod(mode)
	}
	if cerr := f.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(tmp)
		return err
	}
	if keep != nil {
		*keep = PendingFile{tmp, real}
		return nil
	}
	if err := os.Rename(tmp, real); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", target, err)
	}
	return nil
}
