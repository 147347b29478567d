package prompt

import (
	"fmt"
	"strings"

	"github.com/git-codex/git-codex/redact"
)

// Turn is one exchange of a session's transcript, as recorded in git.
type Turn struct {
	// User is the message sent (for the first turn: the first message).
	User string
	// Answer is the model's answer; empty when none was recorded.
	Answer string
}

// Bounds that keep a rebuilt conversation compact: older answers are cut
// to MaxOlderAnswerBytes; the latest answer is kept whole.
const MaxOlderAnswerBytes = 2 << 10

// Rebuild returns the restart message used when the provider forgot the
// session (previous_response_not_found) or for an engine without server-side
// state: the original first message (transcript[0].User) and a compact
// transcript of the later turns, clearly marked. When summary is not empty
// it stands for the turns between the first message and transcript[1], and
// the first answer is left out.
func Rebuild(transcript []Turn, summary string) string {
	var b strings.Builder
	b.WriteString("[git codex: this conversation is being restarted because the earlier session state is no longer available. " +
		"It is rebuilt below from the record kept in git: the original first message")
	summary = strings.TrimSpace(summary)
	if summary != "" {
		b.WriteString(", a summary of the earlier turns")
	}
	b.WriteString(" and the later turns. Treat it as our conversation so far and continue from its end; do not repeat earlier answers.]\n")
	if len(transcript) == 0 {
		if summary != "" {
			b.WriteString("\n<summary>\n" + summary + "\n</summary>\n")
		}
		return b.String()
	}
	b.WriteString("\n<first_message>\n" + strings.TrimSpace(transcript[0].User) + "\n</first_message>\n")
	if summary != "" {
		b.WriteString("\n<summary>\n" + summary + "\n</summary>\n")
	} else if a := strings.TrimSpace(transcript[0].Answer); a != "" {
		writeTurn(&b, "assistant", a, len(transcript) > 1)
	}
	for i, t := range transcript[1:] {
		last := i == len(transcript)-2
		writeTurn(&b, "developer", strings.TrimSpace(t.User), false)
		a := strings.TrimSpace(t.Answer)
		if a == "" {
			if !last {
				b.WriteString("\n<turn role=\"assistant\">(no answer was recorded)</turn>\n")
			}
			continue
		}
		writeTurn(&b, "assistant", a, !last)
	}
	b.WriteString("\n[end of the rebuilt conversation]")
	return b.String()
}

func writeTurn(b *strings.Builder, role, text string, shorten bool) {
	if shorten && len(text) > MaxOlderAnswerBytes {
		if head, left := redact.Cut(text, MaxOlderAnswerBytes); left > 0 {
			text = head + fmt.Sprintf("\n[… %d more bytes omitted]", left)
		}
	}
	fmt.Fprintf(b, "\n<turn role=%q>\n%s\n</turn>\n", role, text)
}
