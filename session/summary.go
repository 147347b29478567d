package session

import (
	"strings"

	"github.com/git-codex/git-codex/prompt"
)

// SummaryOf returns what a KindSummary record says: what was found, the
// decisions and the next steps. A closing summary stores them parsed. A
// compaction (Through set) stores the decisions and next steps parsed too,
// but as its text the model's whole answer, which later requests replay
// (with the decisions kept from earlier compactions appended): what was
// found is parsed from it here, the way close parses a closing summary.
func SummaryOf(r Record) prompt.Summary {
	s := prompt.Summary{Found: r.Text, Decisions: r.Decisions, Next: r.Next}
	if r.Through != "" {
		text, _, _ := strings.Cut(r.Text, keptDecisions)
		s.Found = prompt.ParseSummary(text).Found
	}
	return s
}
