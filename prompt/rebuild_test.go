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
		why        string
	}{
		{"rebuild_full", []prompt.Turn{
			{User: first, Answer: "Read the files; proposal: an LRU."},
			{User: "Also: make it thread-safe.", Answer: "Added a mutex."},
			{User: "Fix: the lock is held during I/O.", Answer: ""},
			{User: "Based on that, add a benchmark.", Answer: "Here is BenchmarkCache."},
		}, "", ""},
		{"rebuild_summary", []prompt.Turn{
			{User: first, Answer: "first answer, covered by the summary"},
			{User: "Also: document it.", Answer: "Documented."},
		}, "### Found\nLRU chosen.\n### Decided\n- mutex, no I/O under lock\n### Next\n- docs",
			"the conversation was compacted: the earlier turns are replaced by a summary"},
		{"rebuild_older_answer_cut", []prompt.Turn{
			{User: first, Answer: long},
			{User: "ok?", Answer: long},
		}, "", ""},
		{"rebuild_first_only", []prompt.Turn{{User: first}}, "", "no earlier request of this session got an answer the provider kept (the first turn failed)"},
		{"rebuild_fork", []prompt.Turn{
			{User: first, Answer: "An LRU.", N: 1},
			{User: "Also: make it thread-safe.", Answer: "Added a mutex.", N: 2},
			{User: "Also: make it lock-free.", Answer: "Used atomics.", N: 3, ReplyTo: 1},
			{User: "Which is faster?", Answer: "", N: 4},
		}, "", "turns 2 and 3 were replies to the same turn (a fork: run at the same time, or in two clones); 1 turn not in the model's memory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := prompt.Rebuild(tt.transcript, tt.summary, tt.why)
			golden(t, tt.name, got)
			if !strings.Contains(got, "<first_message>\n"+first+"\n</first_message>") {
				t.Error("the original first message is not carried whole")
			}
		})
	}
}

func TestRebuildSummaryReplacesFirstAnswer(t *testing.T) {
	got := prompt.Rebuild([]prompt.Turn{{User: "task", Answer: "OLD ANSWER"}, {User: "next", Answer: "new"}}, "the summary", "")
	if strings.Contains(got, "OLD ANSWER") || !strings.Contains(got, "<summary>\nthe summary\n</summary>") {
		t.Errorf("summary should stand for the first answer:\n%s", got)
	}
	if i, j := strings.Index(got, "<summary>"), strings.Index(got, "next"); i < 0 || j < i {
		t.Errorf("summary should come before the later turns:\n%s", got)
	}
}

// The restart message says why it restarts, and names a fork's branches.
func TestRebuildSaysWhy(t *testing.T) {
	turns := []prompt.Turn{{User: "task", Answer: "a", N: 1}, {User: "b1", Answer: "x", N: 2}, {User: "b2", N: 3, ReplyTo: 1}}
	got := prompt.Rebuild(turns, "", "the provider no longer has its stored state.")
	if !strings.HasPrefix(got, "[git codex: this conversation is being restarted because the provider no longer has its stored state. ") {
		t.Errorf("preamble: %.120q", got)
	}
	if !strings.Contains(got, `<turn role="developer" n="3" reply_to="1">`+"\nb2\n") || !strings.Contains(got, "The conversation forked") {
		t.Errorf("the fork is not marked:\n%s", got)
	}
	if got := prompt.Rebuild(turns[:2], "", ""); strings.Contains(got, "forked") || !strings.Contains(got, "because the earlier session state is no longer available.") {
		t.Errorf("without a fork or a reason:\n%s", got)
	}
}
