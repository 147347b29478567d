package workflow

import (
	"reflect"
	"strings"
	"testing"
)

func TestTemplateRender(t *testing.T) {
	out := func(step, field string) string { return "<" + step + ":" + field + ">" }
	tests := []struct {
		name, src, want string
		refs            []string
	}{
		{"plain text", "no braces here", "no braces here", nil},
		{"summary and answer", "A {{ steps.a.summary }} B {{steps.b-2.answer}} C", "A <a:summary> B <b-2:answer> C", []string{"a.summary", "b-2.answer"}},
		{"tabs and extra spaces", "{{\tsteps.a.answer   }}", "<a:answer>", []string{"a.answer"}},
		{"literal open braces", `{{ "{{" }} .Name }}`, "{{ .Name }}", nil},
		{"literal close braces", `{{ "}}" }}`, "}}", nil},
		{"any quoted text", `x{{ "a b" }}y`, "xa by", nil},
		{"lone close braces are text", "a }} b", "a }} b", nil},
		{"adjacent references", "{{steps.a.answer}}{{steps.a.summary}}", "<a:answer><a:summary>", []string{"a.answer", "a.summary"}},
		{"unicode around", "é{{ steps.a.answer }}ü", "é<a:answer>ü", []string{"a.answer"}},
		{"multi-line", "line1\n{{ steps.a.answer }}\nline3\n", "line1\n<a:answer>\nline3\n", []string{"a.answer"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := &errs{}
			tpl := parseTemplate(tt.src, func(int) Pos { return Pos{1, 1} }, e)
			if err := e.err(); err != nil {
				t.Fatal(err)
			}
			if got := tpl.Render(out); got != tt.want {
				t.Errorf("Render = %q, want %q", got, tt.want)
			}
			var refs []string
			for _, r := range tpl.Refs() {
				refs = append(refs, r.Step+"."+r.Field)
			}
			if !reflect.DeepEqual(refs, tt.refs) {
				t.Errorf("Refs = %v, want %v", refs, tt.refs)
			}
			if tpl.Source() != tt.src {
				t.Errorf("Source = %q", tpl.Source())
			}
		})
	}
}

func TestTemplateErrors(t *testing.T) {
	tests := []struct {
		name, src string
		k         int // which {{ the error is at
		want      string
	}{
		{"unclosed", "a {{ steps.a.answer", 0, "unclosed"},
		{"unclosed quote", `a {{ "{{ }}`, 0, "unclosed"},
		{"unknown expression", "{{ .Name }}", 0, "unknown template expression {{ .Name }}"},
		{"empty expression", "{{}}", 0, "unknown template expression {{  }}"},
		{"two dots too many", "{{ steps.a.b.answer }}", 0, "unknown template expression"},
		{"bad id", "{{ steps.1a.answer }}", 0, "unknown template expression"},
		{"unknown field", "ok {{ steps.a.answer }} {{ steps.a.output }}", 1, `a step has no output "output"`},
		{"position after a literal", `{{ "{{" }} {{ nope }}`, 2, "unknown template expression {{ nope }}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := &errs{}
			parseTemplate(tt.src, func(k int) Pos { return Pos{1, k} }, e)
			if len(e.list) != 1 || !strings.Contains(e.list[0].Msg, tt.want) || e.list[0].Pos.Col != tt.k {
				t.Errorf("errors = %v, want one containing %q at {{ number %d", e.list, tt.want, tt.k)
			}
		})
	}
}

func TestValidID(t *testing.T) {
	for id, want := range map[string]bool{
		"a": true, "_x": true, "step-2": true, "A_b-C9": true,
		"": false, "2a": false, "-a": false, "a.b": false, "a b": false, "é": false, strings.Repeat("a", 65): false,
	} {
		if got := validID(id); got != want {
			t.Errorf("validID(%q) = %v, want %v", id, got, want)
		}
	}
}
