// Package apischema checks JSON bodies against schemas extracted from
// OpenAI's published API reference (openapi.yaml's components.schemas), for
// tests of the wire format: the apply_patch tool's items are checked against
// the API's own definitions, not only against the loopback test server.
//
// It is for tests only. It knows the part of JSON Schema those schemas use
// (type, enum, properties, required, oneOf with a discriminator, anyOf,
// $ref, items, lengths) and is stricter than the schema in one way: a
// property the schema does not name is an error, to catch a misspelt field.
package apischema

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Set is the components.schemas of an openapi.yaml extract.
type Set map[string]any

// Load reads the schemas of an openapi.yaml extract (components.schemas).
func Load(path string) (Set, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var doc struct {
		Components struct {
			Schemas map[string]any `yaml:"schemas"`
		} `yaml:"components"`
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("read schemas %s: %w", path, err)
	}
	if len(doc.Components.Schemas) == 0 {
		return nil, fmt.Errorf("read schemas %s: no components.schemas", path)
	}
	return doc.Components.Schemas, nil
}

// Check validates the JSON document raw against the named schema.
func (s Set) Check(schema string, raw []byte) error {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return fmt.Errorf("decode: %w", err)
	}
	return s.Validate(schema, v)
}

// Validate validates a decoded JSON value against the named schema.
func (s Set) Validate(schema string, v any) error {
	if _, ok := s[schema]; !ok {
		return fmt.Errorf("no schema %q", schema)
	}
	return s.validate("#", map[string]any{"$ref": "#/components/schemas/" + schema}, v)
}

var refPath = regexp.MustCompile(`^#/components/schemas/(\w+)$`)

// resolve follows a $ref.
func (s Set) resolve(schema map[string]any) map[string]any {
	if r, ok := schema["$ref"].(string); ok {
		if m := refPath.FindStringSubmatch(r); m != nil {
			if def, ok := s[m[1]].(map[string]any); ok {
				return def
			}
		}
	}
	return schema
}

func (s Set) validate(at string, schema map[string]any, v any) error {
	if r, ok := schema["$ref"].(string); ok {
		m := refPath.FindStringSubmatch(r)
		if m == nil || s[m[1]] == nil {
			return fmt.Errorf("%s: unresolved $ref %s", at, r)
		}
		return s.validate(at, s[m[1]].(map[string]any), v)
	}
	if alts, ok := schema["anyOf"].([]any); ok {
		var errs []string
		for _, a := range alts {
			err := s.validate(at, a.(map[string]any), v)
			if err == nil {
				return nil
			}
			errs = append(errs, err.Error())
		}
		return fmt.Errorf("%s: no anyOf branch fits: %s", at, strings.Join(errs, "; "))
	}
	if alts, ok := schema["oneOf"].([]any); ok {
		disc, _ := schema["discriminator"].(map[string]any)
		if prop, _ := disc["propertyName"].(string); prop != "" {
			obj, _ := v.(map[string]any)
			for _, a := range alts {
				branch := s.resolve(a.(map[string]any))
				ps, _ := branch["properties"].(map[string]any)
				p, _ := ps[prop].(map[string]any)
				if enum, _ := p["enum"].([]any); slices.Contains(enum, obj[prop]) {
					return s.validate(at, branch, v)
				}
			}
			return fmt.Errorf("%s: no oneOf branch for %s %q", at, prop, fmt.Sprint(obj[prop]))
		}
		fits := 0
		for _, a := range alts {
			if s.validate(at, a.(map[string]any), v) == nil {
				fits++
			}
		}
		if fits != 1 {
			return fmt.Errorf("%s: %d oneOf branches fit, want 1", at, fits)
		}
		return nil
	}
	if enum, ok := schema["enum"].([]any); ok && !slices.ContainsFunc(enum, func(e any) bool { return e == v }) {
		return fmt.Errorf("%s: %q is not one of %v", at, fmt.Sprint(v), enum)
	}
	switch typ, _ := schema["type"].(string); typ {
	case "null":
		if v != nil {
			return fmt.Errorf("%s: want null", at)
		}
	case "string":
		str, ok := v.(string)
		if !ok {
			return fmt.Errorf("%s: want a string, got %T", at, v)
		}
		if n, ok := schema["minLength"].(int); ok && len(str) < n {
			return fmt.Errorf("%s: %q is shorter than %d", at, str, n)
		}
		if n, ok := schema["maxLength"].(int); ok && len(str) > n {
			return fmt.Errorf("%s: longer than %d", at, n)
		}
	case "array":
		arr, ok := v.([]any)
		if !ok {
			return fmt.Errorf("%s: want an array, got %T", at, v)
		}
		if n, ok := schema["minItems"].(int); ok && len(arr) < n {
			return fmt.Errorf("%s: fewer than %d items", at, n)
		}
		if items, ok := schema["items"].(map[string]any); ok {
			for i, x := range arr {
				if err := s.validate(fmt.Sprintf("%s[%d]", at, i), items, x); err != nil {
					return err
				}
			}
		}
	case "object":
		obj, ok := v.(map[string]any)
		if !ok {
			return fmt.Errorf("%s: want an object, got %T", at, v)
		}
		props, _ := schema["properties"].(map[string]any)
		req, _ := schema["required"].([]any)
		for _, r := range req {
			if _, ok := obj[r.(string)]; !ok {
				return fmt.Errorf("%s: missing required %q", at, r)
			}
		}
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			ps, ok := props[k].(map[string]any)
			if !ok {
				return fmt.Errorf("%s: unknown property %q", at, k)
			}
			if err := s.validate(at+"."+k, ps, obj[k]); err != nil {
				return err
			}
		}
	case "":
	default:
		return fmt.Errorf("%s: the validator does not know type %q", at, typ)
	}
	return nil
}
