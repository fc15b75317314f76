package crdgen

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
)

// The protobuf descriptors compiled into Go carry no comments, but the
// generated Go code of istio.io/api does: each field keeps its proto comment,
// with the validation markers Istio's API declares there
// (`+kubebuilder:validation:MaxItems=16`, ...). docIndex reads them from the
// module's sources, the exact version in go.mod, so the schemas get the same
// bounds.

// doc is what a field's comment says about validation.
type doc struct {
	markers map[string]string // e.g. "MaxItems" → "16", "value:MaxLength" → "63"
}

type goName struct{ pkg, name string }

type docKey struct {
	goName
	field string // proto field name
}

type docIndex map[docKey]doc

// loadDocs parses the Go sources of every package that holds istio.*
// protobuf messages.
func loadDocs() (docIndex, error) {
	pkgs := map[string]bool{}
	protoregistry.GlobalTypes.RangeMessages(func(mt protoreflect.MessageType) bool {
		if strings.HasPrefix(string(mt.Descriptor().FullName()), "istio.") {
			if n, ok := goNameOf(mt.Descriptor()); ok {
				pkgs[n.pkg] = true
			}
		}
		return true
	})
	var list []string
	for p := range pkgs {
		list = append(list, p)
	}
	sort.Strings(list)
	dirs, err := packageDirs(list)
	if err != nil {
		return nil, err
	}
	idx := docIndex{}
	for _, p := range list {
		if dirs[p] == "" {
			return nil, fmt.Errorf("locating the istio.io/api sources: go list found no directory for %s", p)
		}
		if err := idx.parsePackage(p, dirs[p]); err != nil {
			return nil, err
		}
	}
	return idx, nil
}

// packageDirs asks the go command where the module sources are.
func packageDirs(pkgs []string) (map[string]string, error) {
	if len(pkgs) == 0 {
		return nil, nil
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.Command("go", append([]string{"list", "-f", "{{.ImportPath}} {{.Dir}}"}, pkgs...)...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("locating the istio.io/api sources: go list: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	out := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(stdout.String()), "\n") {
		if p, d, ok := strings.Cut(line, " "); ok {
			out[p] = d
		}
	}
	return out, nil
}

func (idx docIndex) parsePackage(pkg, dir string) error {
	files, err := filepath.Glob(filepath.Join(dir, "*.pb.go"))
	if err != nil {
		return err
	}
	sort.Strings(files)
	fset := token.NewFileSet()
	for _, f := range files {
		file, err := parser.ParseFile(fset, f, nil, parser.ParseComments)
		if err != nil {
			return fmt.Errorf("reading comments of %s: %w", pkg, err)
		}
		for _, decl := range file.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.TYPE {
				continue
			}
			for _, spec := range gd.Specs {
				ts := spec.(*ast.TypeSpec)
				st, ok := ts.Type.(*ast.StructType)
				if !ok {
					continue
				}
				for _, fld := range st.Fields.List {
					name, oneof := protoFieldName(fld)
					if name == "" {
						continue
					}
					owner := ts.Name.Name
					if oneof {
						// A oneof member lives in a wrapper struct named
						// <Message>_<Field>; its comment belongs to the message.
						// Go adds a "_" when that name is taken.
						owner = strings.TrimSuffix(owner, "_")
						i := strings.LastIndex(owner, "_")
						if i < 0 {
							continue
						}
						owner = owner[:i]
					}
					idx[docKey{goName{pkg, owner}, name}] = parseDoc(fld.Doc)
				}
			}
		}
	}
	return nil
}

// protoFieldName reads name= from a field's protobuf struct tag.
func protoFieldName(f *ast.Field) (name string, oneof bool) {
	if f.Tag == nil {
		return "", false
	}
	tag, err := strconv.Unquote(f.Tag.Value)
	if err != nil {
		return "", false
	}
	pb := reflect.StructTag(tag).Get("protobuf")
	for _, part := range strings.Split(pb, ",") {
		if v, ok := strings.CutPrefix(part, "name="); ok {
			name = v
		}
		if part == "oneof" {
			oneof = true
		}
	}
	return name, oneof
}

// parseDoc reads the validation markers of a comment.
func parseDoc(cg *ast.CommentGroup) doc {
	d := doc{markers: map[string]string{}}
	if cg == nil {
		return d
	}
	for _, line := range strings.Split(cg.Text(), "\n") {
		line = strings.TrimSpace(line)
		if k, v, ok := marker(line); ok {
			d.markers[k] = v
		}
		if line == "+protoc-gen-crd:duration-validation:none" {
			d.markers["duration-validation"] = "none"
		}
	}
	return d
}

// marker parses a validation marker line. Bounds on the field itself keep
// their name ("MaxItems"); bounds on each item of a list or value of a map
// get a "value:" prefix ("value:MaxLength").
func marker(line string) (key, value string, ok bool) {
	for _, p := range []struct{ prefix, key string }{
		{"+kubebuilder:validation:", ""},
		{"+protoc-gen-crd:list-value-validation:", "value:"},
		{"+protoc-gen-crd:map-value-validation:", "value:"},
	} {
		if m, found := strings.CutPrefix(line, p.prefix); found {
			k, v, ok := strings.Cut(m, "=")
			return p.key + k, v, ok
		}
	}
	return "", "", false
}

// goNameOf finds the Go package and type name of a message.
func goNameOf(md protoreflect.MessageDescriptor) (goName, bool) {
	mt, err := protoregistry.GlobalTypes.FindMessageByName(md.FullName())
	if err != nil {
		return goName{}, false
	}
	t := reflect.TypeOf(mt.Zero().Interface())
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return goName{t.PkgPath(), t.Name()}, true
}

func (idx docIndex) field(fd protoreflect.FieldDescriptor) doc {
	n, ok := goNameOf(fd.ContainingMessage())
	if !ok {
		return doc{}
	}
	return idx[docKey{n, string(fd.Name())}]
}

// bound parses a numeric marker value.
func bound(v string) (float64, bool) {
	f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	return f, err == nil
}

func unquoteMarker(v string) string {
	v = strings.TrimSpace(v)
	if u, err := strconv.Unquote(v); err == nil {
		return u
	}
	return v
}
