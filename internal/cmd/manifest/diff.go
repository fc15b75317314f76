package manifest

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"

	"github.com/meshctl/meshctl/internal/cmdutil"
	"github.com/meshctl/meshctl/pkg/install/objdiff"
	"github.com/meshctl/meshctl/pkg/yamlstream"
)

// DiffOptions are what one run of `manifest diff` needs.
type DiffOptions struct {
	A, B   string
	Select []string
	Ignore []string

	f *cmdutil.Factory
}

func newDiffCmd(f *cmdutil.Factory, runF func(*DiffOptions) error) *cobra.Command {
	o := &DiffOptions{f: f}
	cmd := &cobra.Command{
		Use:         "diff A.yaml B.yaml",
		Annotations: map[string]string{cmdutil.OfflineAnnotation: "true"},
		Short:       "Compare two manifests by meaning",
		Long: `Compare two manifests object by object (matched by kind, namespace and name)
and field by field. Key order, formatting, document order and the order of
list items that have a key do not count as differences. Items are matched
by the key strategic merge patch uses for that list of a built-in kind
(containers, volumes and env by name, container ports by containerPort,
Service ports by port, with the protocol where a port repeats, volume mounts
by mountPath), else by a name every item has once, else by position. A path
names an item by its key: containers[name:istio-proxy].ports[containerPort:80].

Lines start with "-" for what only the first has, "+" for what only the
second has and "~" for a changed object or field.

--select and --ignore take kinds, in any case. A kind in --select that
neither input has, or one in --ignore that is neither in the inputs nor a
Kubernetes or Istio kind, is an error naming the nearest kind, so a typo
cannot pass for "the same".

Exit codes, as diff(1)'s:
  0  the manifests are the same
  1  they differ (the differences are on standard output)
  2  trouble: a file is missing or unreadable, a document is not a Kubernetes
     object, an object is there twice, or a flag or kind is wrong (the error
     is on standard error)`,
		Example: `  meshctl manifest diff old.yaml new.yaml
  meshctl manifest diff a.yaml b.yaml --select Deployment,Service
  meshctl manifest diff a.yaml b.yaml --ignore CustomResourceDefinition`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.A, o.B = args[0], args[1]
			if runF != nil {
				return runF(o)
			}
			return o.Run()
		},
	}
	cmd.Flags().StringSliceVar(&o.Select, "select", nil, "Compare only these kinds (comma-separated)")
	cmd.Flags().StringSliceVar(&o.Ignore, "ignore", nil, "Leave these kinds out of the comparison (comma-separated)")
	return cmd
}

// Exit codes, as diff(1)'s.
const (
	exitDiffer  = 1 // the manifests differ
	exitTrouble = 2 // the comparison could not be made
)

// Run compares the two files and prints the differences. Every error is
// trouble (exit 2), never mistaken for "they differ" (exit 1).
func (o *DiffOptions) Run() error {
	d, err := o.diff()
	if err != nil {
		return &cmdutil.CodeError{Code: exitTrouble, Err: err}
	}
	if d.Empty() {
		return nil
	}
	d.Write(o.f.Out, o.A, o.B)
	return &cmdutil.SilentError{Code: exitDiffer}
}

func (o *DiffOptions) diff() (objdiff.ObjectDiff, error) {
	a, err := readObjects(o.A, o.f.In)
	if err != nil {
		return objdiff.ObjectDiff{}, err
	}
	b, err := readObjects(o.B, o.f.In)
	if err != nil {
		return objdiff.ObjectDiff{}, err
	}
	f := objdiff.Filter{Select: o.Select, Ignore: o.Ignore}
	if kes := f.Check(a, b); len(kes) > 0 {
		msgs := make([]string, len(kes))
		for i, e := range kes {
			flag := "--select"
			if e.Ignore {
				flag = "--ignore"
			}
			msgs[i] = fmt.Sprintf("%s %q: %s", flag, e.Kind, e.Reason())
		}
		return objdiff.ObjectDiff{}, errors.New(strings.Join(msgs, "; "))
	}
	return objdiff.Objects(a, b, f)
}

// readObjects reads every Kubernetes object of a file ("-" for stdin).
func readObjects(path string, stdin io.Reader) ([]*unstructured.Unstructured, error) {
	var objs []*unstructured.Unstructured
	err := yamlstream.ReadPaths([]string{path}, stdin, func(d yamlstream.Document) error {
		if d.IsEmpty() {
			return nil
		}
		var m map[string]any
		if err := yaml.Unmarshal(d.Raw, &m); err != nil {
			return fmt.Errorf("%s: %w", d.Where(), err)
		}
		if len(m) == 0 {
			return nil
		}
		u := &unstructured.Unstructured{Object: m}
		if u.IsList() {
			return u.EachListItem(func(item runtime.Object) error {
				objs = append(objs, item.(*unstructured.Unstructured))
				return nil
			})
		}
		if u.GetKind() == "" || u.GetName() == "" {
			return fmt.Errorf("%s: not a Kubernetes object (no kind or metadata.name)", d.Where())
		}
		objs = append(objs, u)
		return nil
	})
	return objs, err
}
