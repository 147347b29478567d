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
	// N is the turn's number in the session (as 'git codex show' numbers
	// turns); 0 leaves it out.
	N int
	// ReplyTo is the number of the turn this one replied to when that is
	// not the turn before it in the transcript: the session forked there
	// (two replies to one turn, at the same time or from two clones). 0
	// for a turn that follows the one before it.
	ReplyTo int
}

// Bounds that keep a rebuilt conversation compact: older answers are cut
// to MaxOlderAnswerBytes; the latest answer is kept whole.
const MaxOlderAnswerBytes = 2 << 10

// Rebuild returns the restart message used when the provider cannot continue
// the session (its stored response expired, the session was compacted or
// moved to another engine, the first request failed, the provider's chain
// misses turns): the original first message (transcript[0].User) and a
// compact transcript of the later turns, clearly marked. why says in a
// clause why it restarts ("" says the earlier state is no longer
// available). When summary is not empty it stands for the turns between the
// first message and transcript[1], and the first answer is left out. Turns
// that replied to an earlier turn than the one before them (a fork) are
// marked with the turn they replied to, so the model sees the branches as
// branches rather than as one line of conversation.
func Rebuild(transcript []Turn, summary, why string) string {
	var b strings.Builder
	why = strings.TrimSpace(why)
	if why == "" {
		why = "the earlier session state is no longer available"
	}
	b.WriteString("[git codex: this conversation is being restarted because " + strings.TrimSuffix(why, ".") + ". " +
		"It is rebuilt below from the record kept in git: the original first message")
	summary = strings.TrimSpace(summary)
	if summary != "" {
		b.WriteString(", a summary of the earlier turns")
	}
	b.WriteString(" and the later turns. Treat it as our conversation so far and continue from its end; do not repeat earlier answers.")
	for _, t := range transcript {
		if t.ReplyTo != 0 {
			b.WriteString(" The conversation forked: a turn marked reply_to=\"N\" answers turn N, not the turn before it " +
				"(two replies were sent to the same turn, at the same time or from two clones); both branches happened and are kept, in order.")
			break
		}
	}
	b.WriteString("]\n")
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
		writeTurn(&b, "assistant", "", a, len(transcript) > 1)
	}
	for i, t := range transcript[1:] {
		last := i == len(transcript)-2
		attrs := ""
		if t.N != 0 {
			attrs += fmt.Sprintf(" n=\"%d\"", t.N)
		}
		if t.ReplyTo != 0 {
			attrs += fmt.Sprintf(" reply_to=\"%d\"", t.ReplyTo)
		}
		writeTurn(&b, "developer", attrs, strings.TrimSpace(t.User), false)
		a := strings.TrimSpace(t.Answer)
		if a == "" {
			if !last {
				b.WriteString("\n<turn role=\"assistant\">(no answer was recorded)</turn>\n")
			}
			continue
		}
		writeTurn(&b, "assistant", "", a, !last)
	}
	b.WriteString("\n[end of the rebuilt conversation]")
	return b.String()
}

func writeTurn(b *strings.Builder, role, attrs, text string, shorten bool) {
	if shorten && len(text) > MaxOlderAnswerBytes {
		if head, left := redact.Cut(text, MaxOlderAnswerBytes); left > 0 {
			text = head + fmt.Sprintf("\n[… %d more bytes omitted]", left)
		}
	}
	fmt.Fprintf(b, "\n<turn role=%q%s>\n%s\n</turn>\n", role, attrs, text)
}
