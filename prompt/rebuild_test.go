package prompt_test

import (
	"strings"
	"testing"

	"github.com/git-codex/git-codex/prompt"
)

func TestRebuild(t *testing.T) {
	first := "## Context\n- ARCHITECTURE.md\n\n## Task\nAdd a cache."
	long := strings.Repeat("é", prompt.MaxOlderAnswerBytes) // two bytes a rune
	tests := []struct {
		name       string
		transcript []prompt.Turn
		summary    string
	}{
		{"rebuild_full", []prompt.Turn{
			{User: first, Answer: "Read the files; proposal: an LRU."},
			{User: "Also: make it thread-safe.", Answer: "Added a mutex."},
			{User: "Fix: the lock is held during I/O.", Answer: ""},
			{User: "Based on that, add a benchmark.", Answer: "Here is BenchmarkCache."},
		}, ""},
		{"rebuild_summary", []prompt.Turn{
			{User: first, Answer: "first answer, covered by the summary"},
			{User: "Also: document it.", Answer: "Documented."},
		}, "### Found\nLRU chosen.\n### Decided\n- mutex, no I/O under lock\n### Next\n- docs"},
		{"rebuild_older_answer_cut", []prompt.Turn{
			{User: first, Answer: long},
			{User: "ok?", Answer: long},
		}, ""},
		{"rebuild_first_only", []prompt.Turn{{User: first}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := prompt.Rebuild(tt.transcript, tt.summary)
			golden(t, tt.name, got)
			if !strings.Contains(got, "<first_message>\n"+first+"\n</first_message>") {
				t.Error("the original first message is not carried whole")
			}
		})
	}
}

func TestRebuildSummaryReplacesFirstAnswer(t *testing.T) {
	got := prompt.Rebuild([]prompt.Turn{{User: "task", Answer: "OLD ANSWER"}, {User: "next", Answer: "new"}}, "the summary")
	if strings.Contains(got, "OLD ANSWER") || !strings.Contains(got, "<summary>\nthe summary\n</summary>") {
		t.Errorf("summary should stand for the first answer:\n%s", got)
	}
	if i, j := strings.Index(got, "<summary>"), strings.Index(got, "next"); i < 0 || j < i {
		t.Errorf("summary should come before the later turns:\n%s", got)
	}
}
