package session

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/git-codex/git-codex/internal/openaitest"
	"github.com/git-codex/git-codex/model"
)

// leaked returns the first run of 8 bytes of secret (the whole of it when
// shorter) that text holds, or "".
func leaked(text, secret string) string {
	if len(secret) < 8 {
		if strings.Contains(text, secret) {
			return secret
		}
		return ""
	}
	for i := 0; i+8 <= len(secret); i++ {
		if run := secret[i : i+8]; strings.Contains(text, run) {
			return run
		}
	}
	return ""
}

// A session's title is cut from its task: whatever position the cut falls
// at inside a secret, no run of 8 bytes of it reaches a record, the list of
// sessions or an output line, because the task is redacted before the
// title is cut (issue 8: a GitHub token cut at 72 bytes kept 30 of its 40
// characters in "title"). The configured key goes whatever its characters
// or length.
func TestDerivedTitleCarriesNoSecret(t *testing.T) {
	const key = `k"<>&\y` // shorter than 8 bytes, and JSON escapes it
	for _, secret := range []string{
		"ghp_Zx9aQ2vL8mK3pR7tW4yN6cF1hJ5dG0sA2eU8",
		"AKIAQ4TXYZ7N2LKW5R3M",
		"sk-proj-Qz7Lm2Kv9Xp4Rt8Wn3Yb6Cf1Hj5Dg0SaEu",
		"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",
		"Zx8vQ2mK9pL4tR7wN3yB6cF1hJ5dG0sA2eU8iO4k",
		key,
	} {
		t.Run(secret[:4], func(t *testing.T) {
			h := newHarness(t, model.EngineResponses)
			h.eng.Config.APIKey = key
			h.store.AddSecrets(key)
			// The title keeps 71 runes and "…": put the cut at every byte
			// of the secret, and just before and after it. The secret stands
			// alone, as pasted.
			var topics []string
			for at := -1; at <= len(secret); at++ {
				prefix := "Task" + strings.Repeat(" ", 67-at)
				topic := fmt.Sprintf("cut%02d", at+1)
				topics = append(topics, topic)
				_, err := h.eng.Delegate(context.Background(), DelegateOptions{Topic: topic, Task: prefix + secret + " and the rest of the task"})
				if err != nil {
					t.Fatalf("delegate: %v", err)
				}
			}
			var shown []string
			for _, topic := range topics {
				for _, r := range h.records(topic, "") {
					line, err := json.Marshal(r)
					if err != nil {
						t.Fatal(err)
					}
					shown = append(shown, string(line))
				}
			}
			list, err := h.eng.List(context.Background(), topics...)
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range list {
				shown = append(shown, o.Title, o.Summary)
			}
			shown = append(shown, h.out.String(), h.errOut.String())
			all := strings.Join(shown, "\n")
			if run := leaked(all, secret); run != "" {
				t.Errorf("%q of %q survives in records or output", run, secret)
			}
			for _, form := range []string{`k\"<>&\\y`, `k\"\u003c\u003e\u0026\\y`} {
				if strings.Contains(all, form) {
					t.Errorf("the configured key survives JSON-escaped as %s", form)
				}
			}
			if n := strings.Count(all, "[REDACTED"); n < len(topics) {
				t.Errorf("only %d markers for %d sessions", n, len(topics))
			}
		})
	}
}

// A tool result is clipped to 2048 bytes for the record: the clip is cut
// from the redacted result, so the configured key across the cut (which no
// rule knows, and the file tools do not) leaves no run behind.
func TestClippedToolResultCarriesNoSecret(t *testing.T) {
	const key = "cfgkey-QAQAQAQAQAQAQAQAQAQAQA"
	for _, at := range []int{-1, 0, 1, 8, 20, len(key) - 1, len(key)} {
		t.Run(fmt.Sprint(at), func(t *testing.T) {
			h := newHarness(t, model.EngineResponses)
			h.eng.Config.APIKey = key
			h.store.AddSecrets(key)
			// read_file answers "     1\t" and the line: put the 2048-byte
			// cut at byte at of the key.
			line := strings.Repeat("x", 2048-len("     1\t")-at) + key + strings.Repeat(" tail", 100)
			if err := os.WriteFile(filepath.Join(h.repo.dir, "notes.txt"), []byte(line+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			h.srv.Enqueue(
				openaitest.Reply{ToolCalls: []openaitest.ToolCall{{Name: "read_file", Arguments: `{"path":"notes.txt"}`}}},
				openaitest.Reply{Text: "Read it."},
			)
			h.delegate("What does notes.txt say?")
			a := h.records("main", KindAnswer)[0]
			if len(a.ToolCalls) != 1 || !strings.HasSuffix(a.ToolCalls[0].Result, "[… truncated]") {
				t.Fatalf("tool calls = %+v", a.ToolCalls)
			}
			out, _ := json.Marshal(a)
			if run := leaked(string(out)+h.errOut.String(), key); run != "" {
				t.Errorf("%q of the key survives: …%s", run, out[max(0, len(out)-200):])
			}
		})
	}
}
