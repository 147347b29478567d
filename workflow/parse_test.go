package workflow

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// fixtures lists testdata/<dir>/*.yaml.
func fixtures(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", dir, "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures in testdata/%s: %v", dir, err)
	}
	return files
}

// header returns the values of "# key: value" comment lines of a fixture.
func header(t *testing.T, file, key string) []string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "# "+key+": "); ok {
			out = append(out, v)
		}
	}
	return out
}

func TestExamplesParse(t *testing.T) {
	for _, f := range fixtures(t, "examples") {
		t.Run(filepath.Base(f), func(t *testing.T) {
			w, err := ParseFile(f)
			if err != nil {
				t.Fatalf("ParseFile: %v", err)
			}
			if len(w.Warnings) > 0 {
				t.Errorf("warnings: %v", w.Warnings)
			}
		})
	}
}

// TestInvalidFixtures checks every error of every invalid fixture, with its
// position, against the fixture's "# want:" lines.
func TestInvalidFixtures(t *testing.T) {
	for _, f := range fixtures(t, "invalid") {
		t.Run(filepath.Base(f), func(t *testing.T) {
			want := header(t, f, "want")
			if len(want) == 0 {
				t.Fatal("fixture has no # want: line")
			}
			_, err := ParseFile(f)
			var list ErrorList
			if !errors.As(err, &list) {
				t.Fatalf("ParseFile = %v, want an ErrorList", err)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Error("the error does not wrap ErrInvalid")
			}
			var got []string
			for _, e := range list {
				if e.File != f {
					t.Errorf("error names file %q, want %q", e.File, f)
				}
				got = append(got, e.Pos.String()+": "+e.Msg)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}

func TestReviewExample(t *testing.T) {
	w, err := ParseFile("testdata/examples/review.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if w.Name != "review" || w.Base != "review" || !reflect.DeepEqual(w.Context, []string{"docs/design.md"}) {
		t.Errorf("name %q base %q context %q", w.Name, w.Base, w.Context)
	}
	deps := map[string][]string{}
	for _, s := range w.Steps {
		deps[s.ID] = w.Deps(s.ID)
	}
	wantDeps := map[string][]string{
		"survey": {}, "api": {"survey"}, "api-tests": {"api"}, "storage": {"survey"}, "report": {"api-tests", "storage"},
	}
	if !reflect.DeepEqual(deps, wantDeps) {
		t.Errorf("deps = %v, want %v", deps, wantDeps)
	}
	tests := w.Step("api-tests")
	if tests.ReplyTo != "api" || tests.Max != 3 || tests.Retries != 1 || tests.WhenFailed != Retry ||
		tests.Sandbox != SandboxWorkspaceWrite || !reflect.DeepEqual(tests.Check, []string{"go test ./api/..."}) {
		t.Errorf("api-tests = %+v", tests)
	}
	if s := w.Step("survey"); s.WhenFailed != Stop || s.Max != 0 || s.Retries != 0 || s.Check != nil {
		t.Errorf("survey defaults = %+v", s)
	}
	if !w.Waits("report", "survey") || w.Waits("survey", "report") || w.Waits("api", "storage") {
		t.Error("Waits is not the transitive dependency relation")
	}
	var refs []string
	for _, r := range w.Step("report").Task.Refs() {
		refs = append(refs, r.Step+"."+r.Field+"@"+r.Pos.String())
	}
	if want := []string{"api-tests.summary@39:12", "storage.summary@40:16"}; !reflect.DeepEqual(refs, want) {
		t.Errorf("report refs = %v, want %v", refs, want)
	}
}

func TestEveryFieldExample(t *testing.T) {
	w, err := ParseFile("testdata/examples/every-field.yaml")
	if err != nil {
		t.Fatal(err)
	}
	plan, second, apply := w.Step("plan"), w.Step("second-opinion"), w.Step("apply")
	if w.Name != "every field" || w.Base != "every-field" {
		t.Errorf("name %q base %q", w.Name, w.Base)
	}
	// The merge key copies what second-opinion does not set itself.
	if second.Model != "gpt-5" || second.Engine != "responses" || second.Sandbox != SandboxReadOnly ||
		second.Focus.Source() != "the parser" || second.Topic != "team/second" || second.Task.Source() == plan.Task.Source() {
		t.Errorf("merged step = %+v", second)
	}
	if !reflect.DeepEqual(apply.Check, []string{"go", "test", "./..."}) || apply.Max != 2 || apply.Retries != DefaultRetries {
		t.Errorf("apply = %+v", apply)
	}
	got := plan.Task.Render(func(string, string) string { return "X" })
	if want := "Plan the change. Our templates look like {{ .Name }} and must stay as they are.\n"; got != want {
		t.Errorf("plan task = %q, want %q", got, want)
	}
	topics, err := w.Topics("main")
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]string{"plan": "team/plan", "second-opinion": "team/second", "apply": "team/plan"}; !reflect.DeepEqual(topics, want) {
		t.Errorf("topics = %v, want %v", topics, want)
	}
}

func TestParseFields(t *testing.T) {
	tests := []struct {
		name, src string
		check     func(t *testing.T, w *Workflow)
	}{
		{"name defaults to the base name", "steps: [{id: a, task: x}]", func(t *testing.T, w *Workflow) {
			if w.Name != "flow" || w.Base != "flow" {
				t.Errorf("name %q base %q", w.Name, w.Base)
			}
		}},
		{"context and after take one string", "context: a.md\nsteps:\n- {id: a, task: x}\n- {id: b, task: y, after: a}\n", func(t *testing.T, w *Workflow) {
			if !reflect.DeepEqual(w.Context, []string{"a.md"}) || !reflect.DeepEqual(w.Step("b").After, []string{"a"}) {
				t.Errorf("context %q after %q", w.Context, w.Step("b").After)
			}
		}},
		{"check defaults max to 1", "steps: [{id: a, task: x, check: make test}]", func(t *testing.T, w *Workflow) {
			if s := w.Step("a"); s.Max != DefaultMax || !reflect.DeepEqual(s.Check, []string{"make test"}) {
				t.Errorf("step = %+v", s)
			}
		}},
		{"retry defaults retries", "steps: [{id: a, task: x, when_failed: retry}]", func(t *testing.T, w *Workflow) {
			if s := w.Step("a"); s.Retries != DefaultRetries {
				t.Errorf("retries = %d", s.Retries)
			}
		}},
		{"a whole float is an integer, as in JSON Schema", "steps: [{id: a, task: x, check: c, max: 2.0}]", func(t *testing.T, w *Workflow) {
			if s := w.Step("a"); s.Max != 2 {
				t.Errorf("max = %d", s.Max)
			}
		}},
		{"!!str makes a number text", "steps: [{id: a, task: !!str 42}]", func(t *testing.T, w *Workflow) {
			if got := w.Step("a").Task.Source(); got != "42" {
				t.Errorf("task = %q", got)
			}
		}},
		{"after is deduplicated and reply_to added", "steps:\n- {id: a, task: x}\n- {id: b, task: y, after: [a, a], reply_to: a}\n", func(t *testing.T, w *Workflow) {
			if got := w.Deps("b"); !reflect.DeepEqual(got, []string{"a"}) {
				t.Errorf("deps = %v", got)
			}
		}},
		{"read-only fix rounds are a warning", "steps: [{id: a, task: x, check: c, max: 3, sandbox: read-only}]", func(t *testing.T, w *Workflow) {
			if len(w.Warnings) != 1 || w.Warnings[0].Pos != (Pos{1, 41}) || !strings.Contains(w.Warnings[0].Msg, "cannot edit files") {
				t.Errorf("warnings = %v", w.Warnings)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, err := Parse("dir/flow.yaml", []byte(tt.src))
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, w)
		})
	}
}

// TestErrorPositions checks positions where counting is easy to get wrong:
// characters after multi-byte ones, flow style, block scalars, several
// references on a line, quoted braces.
func TestErrorPositions(t *testing.T) {
	tests := []struct{ name, src, want string }{
		{"column counts characters", "steps: [{id: a, task: \"é ü {{ steps.x.answer }}\"}]", `1:28: {{ steps.x.answer }}: unknown step "x"`},
		{"second reference on a line", "steps:\n- {id: a, task: x}\n- id: b\n  after: a\n  task: ok {{ steps.a.answer }} bad {{ steps.q.summary }}\n",
			`5:37: {{ steps.q.summary }}: unknown step "q"`},
		{"quoted braces are skipped", "steps:\n- id: a\n  task: |\n    {{ \"{{\" }} {{ steps.a.answer }}\n",
			`4:16: {{ steps.a.answer }}: a step cannot use its own output`},
		{"folded block", "steps:\n- id: a\n  task: >\n    one\n    two {{ nope }}\n",
			`5:9: unknown template expression {{ nope }}: want {{ steps.ID.summary }} or {{ steps.ID.answer }} (write {{ "{{" }} for a literal "{{")`},
		{"flow mapping keys", "steps: [{id: a, task: x, tsk: y}]", `1:26: unknown key "tsk" in a step (did you mean "task"?)`},
		{"top level is not a mapping", "- a\n- b\n", "1:1: a workflow file: want a mapping of keys to values, got a list"},
		{"steps missing", "name: x\n", "1:1: missing steps: a workflow needs at least one step"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("", []byte(tt.src))
			var list ErrorList
			if !errors.As(err, &list) {
				t.Fatalf("Parse = %v, want an ErrorList", err)
			}
			if got := list[0].Pos.String() + ": " + list[0].Msg; got != tt.want || len(list) != 1 {
				t.Errorf("errors = %v\nwant %s", list, tt.want)
			}
		})
	}
}

func TestTopics(t *testing.T) {
	src := "steps:\n- {id: a, task: x}\n- {id: b, task: y, reply_to: a}\n- {id: c, task: z, topic: feature/flow/a}\n"
	w, err := Parse(".codex/workflows/flow.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Topics(""); !errors.Is(err, ErrNoBranch) {
		t.Errorf("Topics(\"\") = %v, want ErrNoBranch", err)
	}
	got, err := w.Topics("main")
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]string{"a": "main/flow/a", "b": "main/flow/a", "c": "feature/flow/a"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Topics(main) = %v, want %v", got, want)
	}
	// On branch feature, c's topic is a's default topic, and c may run
	// at the same time as a.
	_, err = w.Topics("feature")
	var list ErrorList
	if !errors.As(err, &list) || len(list) != 1 || list[0].Pos != (Pos{4, 27}) || !strings.Contains(list[0].Msg, `"a" and "c" open sessions on the same topic "feature/flow/a"`) {
		t.Errorf("Topics(feature) = %v", err)
	}
}

func TestParseFileMissing(t *testing.T) {
	_, err := ParseFile(filepath.Join(t.TempDir(), "nope.yaml"))
	if err == nil || errors.Is(err, ErrInvalid) || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("ParseFile = %v, want a wrapped not-exist error", err)
	}
}

func TestSuggest(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{"tsk", ` (did you mean "task"?)`},
		{"Task", ` (did you mean "task"?)`},
		{"reply-to", ` (did you mean "reply_to"?)`},
		{"xyzzy", ""},
		{"id", ` (did you mean "id"?)`},
	}
	for _, tt := range tests {
		if got := suggest(tt.in, stepKeys); got != tt.want {
			t.Errorf("suggest(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
