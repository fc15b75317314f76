package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/spf13/viper"
)

// DefaultConfigPath is $XDG_CONFIG_HOME/meshctl/config.yaml, falling back to
// ~/.config when XDG_CONFIG_HOME is unset.
func DefaultConfigPath() string {
	dir := os.Getenv("XDG_CONFIG_HOME")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return ""
		}
		dir = filepath.Join(home, ".config")
	}
	return filepath.Join(dir, "meshctl", "config.yaml")
}

// loadConfig layers configuration for cmd, lowest first: the config file,
// MESHCTL_* environment variables, then flags given on the command line. A
// key of the file is the long name of a flag (kubeconfig, istio-namespace,
// failure-threshold, ...); top-level keys apply to every command, and a
// section named after a command path ("analyze", "manifest generate")
// applies to that command only.
func loadConfig(cmd *cobra.Command, v *viper.Viper) error {
	path, explicit := cmd.Flags().Lookup("config").Value.String(), true
	if path == "" {
		path, explicit = os.Getenv("MESHCTL_CONFIG"), true
	}
	if path == "" {
		path, explicit = DefaultConfigPath(), false
	}
	fileValues := map[string]any{}
	if path != "" {
		v.SetConfigFile(path)
		v.SetConfigType("yaml")
		if err := v.ReadInConfig(); err != nil {
			var notFound viper.ConfigFileNotFoundError
			switch {
			case !explicit && (errors.As(err, &notFound) || errors.Is(err, os.ErrNotExist)):
				// No config file is fine unless the user named one.
			default:
				return fmt.Errorf("reading config file %s: %w", path, err)
			}
		} else {
			fileValues = v.AllSettings()
		}
	}

	flags := flagsOf(cmd)
	section := strings.TrimPrefix(cmd.CommandPath(), cmd.Root().Name()+" ")
	scoped := map[string]any{}
	if s, ok := lookupSection(fileValues, section); ok {
		scoped = s
	}
	if err := checkKeys(path, fileValues, cmd.Root()); err != nil {
		return err
	}

	var errs []error
	flags.VisitAll(func(fl *pflag.Flag) {
		if fl.Changed || fl.Name == "config" || fl.Name == "help" {
			return
		}
		if val, ok := os.LookupEnv(envName(fl.Name)); ok {
			source := "environment variable " + envName(fl.Name)
			if err := setFlag(cmd, fl, val); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", source, err))
			}
			fl.Annotations = withSource(fl.Annotations, source)
			return
		}
		key := section + "." + fl.Name
		val, ok := scoped[fl.Name]
		if !ok {
			key = fl.Name
			val, ok = fileValues[fl.Name]
		}
		if ok {
			source := fmt.Sprintf("config file %s (key %q)", path, key)
			if err := setFlag(cmd, fl, toFlagString(val)); err != nil {
				errs = append(errs, fmt.Errorf("config file %s: key %q: %w", path, key, err))
			}
			fl.Annotations = withSource(fl.Annotations, source)
		}
	})
	return errors.Join(errs...)
}

// setFlag sets a flag as if typed on the command line, through the command's
// own flag set so that viper bindings and Changed stay consistent.
func setFlag(cmd *cobra.Command, fl *pflag.Flag, val string) error {
	if err := cmd.Flags().Set(fl.Name, val); err != nil {
		// Persistent flags of the root are not always merged yet.
		if err2 := fl.Value.Set(val); err2 != nil {
			return fmt.Errorf("invalid value %q: %w", val, err2)
		}
	}
	return nil
}

func toFlagString(v any) string {
	switch t := v.(type) {
	case []any:
		parts := make([]string, len(t))
		for i, x := range t {
			parts[i] = fmt.Sprint(x)
		}
		return strings.Join(parts, ",")
	default:
		return fmt.Sprint(v)
	}
}

func lookupSection(values map[string]any, section string) (map[string]any, bool) {
	v, ok := values[section]
	if !ok {
		return nil, false
	}
	m, ok := v.(map[string]any)
	return m, ok
}

// checkKeys rejects keys that are neither a flag of some command nor a
// command section, so a typo in the file is an error naming file and key
// instead of a setting silently ignored.
func checkKeys(path string, values map[string]any, root *cobra.Command) error {
	if len(values) == 0 {
		return nil
	}
	known := map[string]bool{}
	sections := map[string]*cobra.Command{}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		c.Flags().VisitAll(func(f *pflag.Flag) { known[f.Name] = true })
		c.PersistentFlags().VisitAll(func(f *pflag.Flag) { known[f.Name] = true })
		if c != root {
			sections[strings.TrimPrefix(c.CommandPath(), root.Name()+" ")] = c
		}
		for _, s := range c.Commands() {
			walk(s)
		}
	}
	walk(root)
	var bad []string
	for k, v := range values {
		if c, ok := sections[k]; ok {
			m, isMap := v.(map[string]any)
			if !isMap {
				bad = append(bad, fmt.Sprintf("%q (a command section must be a mapping)", k))
				continue
			}
			for sk := range m {
				if flagsOf(c).Lookup(sk) == nil {
					bad = append(bad, fmt.Sprintf("%q (no flag --%s on 'meshctl %s')", k+"."+sk, sk, k))
				}
			}
			continue
		}
		if !known[k] {
			bad = append(bad, fmt.Sprintf("%q (not a meshctl flag or command)", k))
		}
	}
	if len(bad) == 0 {
		return nil
	}
	sort.Strings(bad)
	return fmt.Errorf("config file %s: unknown key %s", path, strings.Join(bad, ", "))
}

// flagSource records, on a flag set from the environment or the config
// file, where its value came from: a bad value is then reported there and
// not as a flag the user never typed.
const flagSource = "meshctl.io/value-source"

func withSource(a map[string][]string, source string) map[string][]string {
	if a == nil {
		a = map[string][]string{}
	}
	a[flagSource] = []string{source}
	return a
}

// nameValueSources rewrites the first "--NAME" in err's message to where
// NAME's value came from, when that was the environment or the config
// file ("--failure-threshold: unknown level" becomes "environment variable
// MESHCTL_FAILURE_THRESHOLD: unknown level"). The error keeps its type.
func nameValueSources(cmd *cobra.Command, err error) error {
	if cmd == nil || err == nil {
		return err
	}
	msg := err.Error()
	out := msg
	cmd.Flags().VisitAll(func(fl *pflag.Flag) {
		src := fl.Annotations[flagSource]
		if len(src) == 0 || out != msg {
			return
		}
		flag := "--" + fl.Name
		for from := 0; ; {
			i := strings.Index(out[from:], flag)
			if i < 0 {
				return
			}
			i += from
			end := i + len(flag)
			if end == len(out) || !isFlagNameByte(out[end]) {
				out = out[:i] + src[0] + out[end:]
				return
			}
			from = end
		}
	})
	if out == msg {
		return err
	}
	return &sourcedError{msg: out, err: err}
}

func isFlagNameByte(b byte) bool {
	return b == '-' || b >= 'a' && b <= 'z' || b >= '0' && b <= '9'
}

// sourcedError is an error whose message names a value's source; Unwrap
// keeps its type for the exit code.
type sourcedError struct {
	msg string
	err error
}

func (e *sourcedError) Error() string { return e.msg }
func (e *sourcedError) Unwrap() error { return e.err }
