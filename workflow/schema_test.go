package workflow

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	yaml "github.com/goccy/go-yaml"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// compileSchema compiles schema.json; the compiler checks it against the
// draft 2020-12 metaschema it ships (no network).
func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(Schema()))
	if err != nil {
		t.Fatalf("schema.json is not JSON: %v", err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	if err := c.AddResource("schema.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("schema.json")
	if err != nil {
		t.Fatalf("compile schema.json: %v", err)
	}
	return sch
}

// schemaAccepts reports whether a YAML document is an instance of the
// schema, as an editor sees it (YAML read into JSON values).
func schemaAccepts(sch *jsonschema.Schema, src []byte) (bool, error) {
	var v any
	if err := yaml.Unmarshal(src, &v); err != nil {
		return false, nil // an editor cannot read it either
	}
	b, err := json.Marshal(v)
	if err != nil {
		return false, err
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		return false, err
	}
	return sch.Validate(inst) == nil, nil
}

func TestSchemaIsChecked(t *testing.T) {
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	if err := c.AddResource("bad.json", map[string]any{"type": 5}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Compile("bad.json"); err == nil {
		t.Fatal("a schema that breaks the metaschema compiled: schema.json's own check proves nothing")
	}
	b, err := os.ReadFile("schema.json")
	if err != nil || !bytes.Equal(b, Schema()) {
		t.Fatalf("Schema() differs from schema.json (%v)", err)
	}
}

// TestSchemaAgreesWithParserOnFixtures: every example is valid for both;
// every invalid fixture is refused by the parser, and by the schema exactly
// when its "# schema:" line says so (the schema cannot see what spans steps:
// ids, cycles, templates, sessions, topics).
func TestSchemaAgreesWithParserOnFixtures(t *testing.T) {
	sch := compileSchema(t)
	for _, dir := range []string{"examples", "invalid"} {
		for _, f := range fixtures(t, dir) {
			t.Run(dir+"/"+filepath.Base(f), func(t *testing.T) {
				src, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				schemaOK, err := schemaAccepts(sch, src)
				if err != nil {
					t.Fatal(err)
				}
				_, perr := Parse(f, src)
				wantSchema := true
				if dir == "invalid" {
					if perr == nil {
						t.Fatal("the parser accepts an invalid fixture")
					}
					h := header(t, f, "schema")
					if len(h) != 1 || (h[0] != "valid" && h[0] != "invalid") {
						t.Fatalf("want one # schema: valid|invalid line, got %q", h)
					}
					wantSchema = h[0] == "valid"
				} else if perr != nil {
					t.Fatalf("the parser refuses an example: %v", perr)
				}
				if schemaOK != wantSchema {
					t.Errorf("schema accepts = %v, want %v", schemaOK, wantSchema)
				}
			})
		}
	}
}

// TestSchemaAgreesWithParserOnShapes: documents that only differ in shape
// are accepted by both or refused by both.
func TestSchemaAgreesWithParserOnShapes(t *testing.T) {
	sch := compileSchema(t)
	step := func(extra string) string { return "steps:\n- id: a\n  task: x\n" + extra }
	tests := []struct {
		name, src string
		valid     bool
	}{
		{"minimal", step(""), true},
		{"empty after and context", "context: []\n" + step("  after: []\n"), true},
		{"every optional field", step("  topic: t\n  focus: f\n  scope: s\n  expect: e\n  criteria: c\n  check: [go, test]\n  max: 2\n  sandbox: workspace-write\n  model: m\n  engine: chat\n  when_failed: retry\n  retries: 10\n"), true},
		{"empty optional texts", step("  focus: \"\"\n  scope: ''\n"), true},
		{"whole float max", step("  check: c\n  max: 3.0\n"), true},
		{"merge key", "steps:\n- &a {id: a, task: x, model: m}\n- <<: *a\n  id: b\n", true},
		{"unknown top-level key", "extra: 1\n" + step(""), false},
		{"steps is a mapping", "steps: {id: a}\n", false},
		{"no steps", "steps: []\n", false},
		{"step is a list", "steps: [[a]]\n", false},
		{"id with a dot", "steps: [{id: a.b, task: x}]\n", false},
		{"id starting with a digit", "steps: [{id: 1a, task: x}]\n", false},
		{"id too long", "steps: [{id: " + strings.Repeat("a", 65) + ", task: x}]\n", false},
		{"id at the length limit", "steps: [{id: " + strings.Repeat("a", 64) + ", task: x}]\n", true},
		{"blank task", "steps: [{id: a, task: \" \\n\"}]\n", false},
		{"empty name", "name: \"\"\n" + step(""), false},
		{"empty topic", step("  topic: \"\"\n"), false},
		{"empty model", step("  model: \"\"\n"), false},
		{"empty context entry", "context: [\"\"]\n" + step(""), false},
		{"empty check list", step("  check: []\n"), false},
		{"blank check", step("  check: \" \"\n"), false},
		{"check list with an empty word", step("  check: [go, \"\"]\n"), false},
		{"max zero", step("  check: c\n  max: 0\n"), false},
		{"max too large", step("  check: c\n  max: 1001\n"), false},
		{"max half", step("  check: c\n  max: 1.5\n"), false},
		{"max as text", step("  check: c\n  max: \"2\"\n"), false},
		{"max without check", step("  max: 2\n"), false},
		{"retries zero", step("  when_failed: retry\n  retries: 0\n"), false},
		{"retries eleven", step("  when_failed: retry\n  retries: 11\n"), false},
		{"retries without when_failed", step("  retries: 1\n"), false},
		{"retries with continue", step("  when_failed: continue\n  retries: 1\n"), false},
		{"sandbox in capitals", step("  sandbox: READ-ONLY\n"), false},
		{"unknown engine", step("  engine: claude\n"), false},
		{"unknown when_failed", step("  when_failed: ignore\n"), false},
		{"null when_failed", step("  when_failed:\n"), false},
		{"boolean task", "steps: [{id: a, task: true}]\n", false},
		{"number model", step("  model: 5\n"), false},
		{"after as mapping", step("  after: {b: 1}\n"), false},
		{"reply_to with topic", "steps:\n- {id: a, task: x}\n- {id: b, task: y, reply_to: a, topic: t}\n", false},
		{"reply_to list", "steps:\n- {id: a, task: x}\n- {id: b, task: y, reply_to: [a]}\n", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			schemaOK, err := schemaAccepts(sch, []byte(tt.src))
			if err != nil {
				t.Fatal(err)
			}
			_, perr := Parse("t.yaml", []byte(tt.src))
			if schemaOK != tt.valid || (perr == nil) != tt.valid {
				t.Errorf("schema accepts = %v, parser error = %v; want valid = %v", schemaOK, perr, tt.valid)
			}
		})
	}
}
