package session

import (
	"strings"
	"testing"
)

// An event's line is redacted: a command Codex ran, a search, a tool's
// error may carry a token, and every front end shows the line.
func TestEventLineRedacts(t *testing.T) {
	tok := "ghp_" + strings.Repeat("Zx9aQ2", 6)
	for _, kind := range []EventKind{EventCommand, EventTool, EventWarning, EventRetry} {
		line := Event{Kind: kind, Text: "$ git push https://x-access-token:" + tok + "@github.com/o/r.git"}.Line()
		if strings.Contains(line, tok[:12]) || !strings.Contains(line, "REDACTED") {
			t.Errorf("%s: %q", kind, line)
		}
	}
}
