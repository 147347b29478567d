package prompt_test

import (
	"reflect"
	"testing"

	"github.com/git-codex/git-codex/prompt"
)

func TestParseSummary(t *testing.T) {
	tests := []struct {
		name string
		text string
		want prompt.Summary
	}{
		{"canonical", "### Found\nThe lock file protocol is needed.\n### Decided\n- use update-ref\n- keep JSON lines\n### Next\n- add a hook\n",
			prompt.Summary{Found: "The lock file protocol is needed.", Decisions: []string{"use update-ref", "keep JSON lines"}, Next: []string{"add a hook"}}},
		{"other heading levels and synonyms", "# Findings\nA.\nB.\n## Decisions\n* one\n* two\n#### Next steps\n1. first\n2) second\n",
			prompt.Summary{Found: "A.\nB.", Decisions: []string{"one", "two"}, Next: []string{"first", "second"}}},
		{"bold headings", "**Found**\nIt works.\n\n**Decided:**\n- ship it\n\n**What's next**\n- nothing left\n",
			prompt.Summary{Found: "It works.", Decisions: []string{"ship it"}}},
		{"inline colon headings", "Found: the cache was stale.\nDecided: - flush on write\nNext steps:\n• benchmark\n",
			prompt.Summary{Found: "the cache was stale.", Decisions: []string{"flush on write"}, Next: []string{"benchmark"}}},
		{"wrapped bullets", "### Found\nx\n### Decided\n- a long decision that\n  wraps onto a second line\n- short\n### Next\n- none\n",
			prompt.Summary{Found: "x", Decisions: []string{"a long decision that wraps onto a second line", "short"}}},
		{"preamble kept when no Found section", "Here is where we are.\n\n### Decided\n- a\n### Next\n- b\n",
			prompt.Summary{Found: "Here is where we are.", Decisions: []string{"a"}, Next: []string{"b"}}},
		{"preamble dropped before Found", "Sure! Here is the summary:\n### Found\nf\n### Decided\n- d\n",
			prompt.Summary{Found: "f", Decisions: []string{"d"}}},
		{"fenced answer", "```markdown\n### Found\nf\n### Next\n- n\n```",
			prompt.Summary{Found: "f", Next: []string{"n"}}},
		{"plain lines as items", "### Decided\nuse git notes\n\nkeep records immutable\n",
			prompt.Summary{Decisions: []string{"use git notes", "keep records immutable"}}},
		{"checkboxes", "### Next\n- [ ] write docs\n- [x] tests\n", prompt.Summary{Next: []string{"write docs", "tests"}}},
		{"json object", `{"found": "f", "decisions": ["a", "none"], "next_steps": "b"}`,
			prompt.Summary{Found: "f", Decisions: []string{"a"}, Next: []string{"b"}}},
		{"no sections at all", "We changed the parser.\nAll good.",
			prompt.Summary{Found: "We changed the parser.\nAll good."}},
		{"empty", "", prompt.Summary{}},
		{"heading word inside prose is not a heading", "### Found\nNext we looked at the cache.\n",
			prompt.Summary{Found: "Next we looked at the cache."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := prompt.ParseSummary(tt.text)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseSummary(%q)\n got %#v\nwant %#v", tt.text, got, tt.want)
			}
		})
	}
}

// TestParseSummaryOfRequestedShape checks an answer that follows
// CloseRequest's own template to the letter parses into its parts.
func TestParseSummaryOfRequestedShape(t *testing.T) {
	answer := "### Found\nThe tool needed a lock.\n### Decided\n- none\n### Next\n- release v1\n"
	got := prompt.ParseSummary(answer)
	want := prompt.Summary{Found: "The tool needed a lock.", Next: []string{"release v1"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %#v, want %#v", got, want)
	}
}
