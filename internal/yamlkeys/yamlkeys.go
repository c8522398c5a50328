// Package yamlkeys checks the keys of a YAML document against the yaml
// tags of the Go type it decodes into, and names an unknown key as the
// user wrote it: its line, where it is ("in login_protection"), and the
// keys valid there. yaml.v3's KnownFields error names Go types instead
// ("field foo not found in type config.LoginProtection").
package yamlkeys

import (
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// UnknownKeyError is a key of a mapping that the Go type has no field for.
type UnknownKeyError struct {
	Line  int
	Key   string
	Path  string   // where the key is, e.g. "login_protection"; "" at the top level
	Valid []string // the keys valid there, in the type's field order
}

func (e *UnknownKeyError) Error() string {
	where := "at the top level"
	if e.Path != "" {
		where = "in " + e.Path
	}
	return fmt.Sprintf("line %d: unknown key %q %s; valid keys: %s", e.Line, e.Key, where, strings.Join(e.Valid, ", "))
}

var unmarshalerType = reflect.TypeFor[yaml.Unmarshaler]()

// Check walks doc (a document or any node) against t and returns every
// unknown key, joined (errors.Join) in document order; nil when there is
// none. Values of types with their own UnmarshalYAML are not walked.
func Check(doc *yaml.Node, t reflect.Type) error {
	var errs []error
	walk(doc, t, "", &errs)
	return errors.Join(errs...)
}

func walk(n *yaml.Node, t reflect.Type, path string, errs *[]error) {
	if n == nil {
		return
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if reflect.PointerTo(t).Implements(unmarshalerType) || t.Implements(unmarshalerType) {
		return
	}
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			walk(c, t, path, errs)
		}
		return
	case yaml.AliasNode:
		walk(n.Alias, t, path, errs)
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return // a type error yaml.v3 reports itself
		}
		fields, names := fieldsOf(t)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Value == "<<" { // a merge key: its mapping holds the same type
				walk(v, t, path, errs)
				continue
			}
			ft, ok := fields[k.Value]
			if !ok {
				*errs = append(*errs, &UnknownKeyError{Line: k.Line, Key: k.Value, Path: path, Valid: names})
				continue
			}
			walk(v, ft, join(path, k.Value), errs)
		}
	case reflect.Slice, reflect.Array:
		if n.Kind != yaml.SequenceNode {
			return
		}
		for i, c := range n.Content {
			walk(c, t.Elem(), path+"["+strconv.Itoa(i)+"]", errs)
		}
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			walk(n.Content[i+1], t.Elem(), join(path, n.Content[i].Value), errs)
		}
	}
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// fieldsOf returns the YAML keys of a struct type with their Go types, and
// the keys in field order. Inline fields contribute their own keys.
func fieldsOf(t reflect.Type) (map[string]reflect.Type, []string) {
	fields := map[string]reflect.Type{}
	var names []string
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("yaml")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" {
			continue
		}
		if strings.Contains(","+opts+",", ",inline,") {
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				m, n := fieldsOf(ft)
				for k, v := range m {
					fields[k] = v
				}
				names = append(names, n...)
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name) // yaml.v3's default key
		}
		fields[name] = f.Type
		names = append(names, name)
	}
	return fields, names
}
