package crdgen

import (
	"bytes"
	"encoding/json"
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

// doc is what a field's or message's comment says about validation.
type doc struct {
	markers map[string]string // e.g. "MaxItems" → "16", "value:MaxLength" → "63"
	// rules are the CEL rules of the XValidation markers, in the order
	// written, with Istio's macros expanded.
	rules []docRule
	// ignore lists the messages of rules of the field's message type that
	// do not hold here (IgnoreSubValidation).
	ignore []string
}

// docRule is one x-kubernetes-validations rule.
type docRule struct {
	value   bool // on each item of a list or value of a map, not the field
	rule    string
	message string
}

type goName struct{ pkg, name string }

type docKey struct {
	goName
	field string // proto field name; "" for the message's own comment
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
				// The message's own comment, with its message-level rules.
				cg := ts.Doc
				if cg == nil && len(gd.Specs) == 1 {
					cg = gd.Doc
				}
				md, err := parseDoc(cg)
				if err != nil {
					return fmt.Errorf("%s.%s: %w", pkg, ts.Name.Name, err)
				}
				if len(md.rules) > 0 {
					idx[docKey{goName{pkg, ts.Name.Name}, ""}] = md
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
					fd, err := parseDoc(fld.Doc)
					if err != nil {
						return fmt.Errorf("%s.%s.%s: %w", pkg, owner, name, err)
					}
					idx[docKey{goName{pkg, owner}, name}] = fd
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
func parseDoc(cg *ast.CommentGroup) (doc, error) {
	d := doc{markers: map[string]string{}}
	if cg == nil {
		return d, nil
	}
	for _, line := range strings.Split(cg.Text(), "\n") {
		line = strings.TrimSpace(line)
		if r, ok, err := xValidation(line); ok || err != nil {
			if err != nil {
				return d, err
			}
			d.rules = append(d.rules, r)
			continue
		}
		if list, ok := strings.CutPrefix(line, "+protoc-gen-crd:validation:IgnoreSubValidation:"); ok {
			var msgs []string
			if err := json.Unmarshal([]byte(list), &msgs); err != nil {
				return d, fmt.Errorf("%s: %w", line, err)
			}
			d.ignore = append(d.ignore, msgs...)
			continue
		}
		if k, v, ok := marker(line); ok {
			d.markers[k] = v
		}
		if line == "+protoc-gen-crd:duration-validation:none" {
			d.markers["duration-validation"] = "none"
		}
	}
	return d, nil
}

// xValidation reads an XValidation marker: on the field or message itself
// (+kubebuilder:validation:XValidation:message="...",rule="..."), or on
// each item or map value (+protoc-gen-crd:list-value-validation:XValidation:
// and map-value-validation). The rule's Istio macros are expanded.
func xValidation(line string) (r docRule, ok bool, err error) {
	args, found := strings.CutPrefix(line, "+kubebuilder:validation:XValidation:")
	if !found {
		for _, p := range []string{"+protoc-gen-crd:list-value-validation:XValidation:", "+protoc-gen-crd:map-value-validation:XValidation:"} {
			if args, found = strings.CutPrefix(line, p); found {
				r.value = true
				break
			}
		}
	}
	if !found {
		return r, false, nil
	}
	kv, err := markerArgs(args)
	if err != nil {
		return r, true, fmt.Errorf("%s: %w", line, err)
	}
	if kv["rule"] == "" {
		return r, true, fmt.Errorf("%s: no rule", line)
	}
	// Go's doc comment formatting turned the proto's '' (CEL's empty
	// string) into a typographic quote in the generated sources.
	rule := strings.ReplaceAll(kv["rule"], "\u201d", "''")
	if r.rule, err = expandIstioRule(rule); err != nil {
		return r, true, err
	}
	r.message = kv["message"]
	return r, true, nil
}

// markerArgs splits a marker's key=value arguments. A value in double
// quotes may hold commas and, as Istio writes them, unescaped quotes: it
// ends at the quote followed by the next argument or the end of the line.
func markerArgs(s string) (map[string]string, error) {
	out := map[string]string{}
	for s != "" {
		k, rest, ok := strings.Cut(s, "=")
		if !ok || k == "" || strings.ContainsAny(k, " ,\"") {
			return nil, fmt.Errorf("bad argument %q", s)
		}
		var v string
		if strings.HasPrefix(rest, `"`) {
			end := -1
			for i := 1; i < len(rest); i++ {
				if rest[i] == '"' && (i == len(rest)-1 || nextArg(rest[i+1:])) {
					end = i
					break
				}
			}
			if end < 0 {
				return nil, fmt.Errorf("unterminated value of %s", k)
			}
			v, rest = rest[1:end], rest[end+1:]
		} else {
			v, rest, _ = strings.Cut(rest, ",")
			rest = "," + rest
			if rest == "," {
				rest = ""
			}
		}
		out[k] = v
		s = strings.TrimPrefix(rest, ",")
	}
	return out, nil
}

// nextArg reports whether s starts a further argument: ",name=".
func nextArg(s string) bool {
	s, ok := strings.CutPrefix(s, ",")
	if !ok {
		return false
	}
	k, _, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return false
	}
	for _, c := range k {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
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

// message is what the message's own comment says.
func (idx docIndex) message(md protoreflect.MessageDescriptor) doc {
	n, ok := goNameOf(md)
	if !ok {
		return doc{}
	}
	return idx[docKey{n, ""}]
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
