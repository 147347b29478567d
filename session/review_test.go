package session

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/git-codex/git-codex/internal/openaitest"
	"github.com/git-codex/git-codex/model"
)

// TestCloseWriteStaysInWorkTree: close --write never writes outside the
// work tree (.., absolute paths elsewhere, symlinks out, .git/); it refuses
// before asking the model, so the session stays open.
func TestCloseWriteStaysInWorkTree(t *testing.T) {
	outside := t.TempDir()
	cases := []struct {
		name  string
		write func(h *harness) string
		check string // file that must not exist afterwards
	}{
		{"dot-dot", func(h *harness) string { return "../escaped.md" }, ""},
		{"absolute elsewhere", func(h *harness) string { return filepath.Join(outside, "abs.md") }, filepath.Join(outside, "abs.md")},
		{"symlinked directory", func(h *harness) string {
			if err := os.Symlink(outside, filepath.Join(h.repo.dir, "docs")); err != nil {
				t.Fatal(err)
			}
			return "docs/link.md"
		}, filepath.Join(outside, "link.md")},
		{"symlinked file", func(h *harness) string {
			if err := os.Symlink(filepath.Join(outside, "target.md"), filepath.Join(h.repo.dir, "sum.md")); err != nil {
				t.Fatal(err)
			}
			return "sum.md"
		}, filepath.Join(outside, "target.md")},
		{"git dir", func(h *harness) string { return ".git/hooks/summary.md" }, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t, model.EngineResponses)
			h.delegate("Investigate the cache")
			path := c.write(h)
			h.srv.Enqueue(openaitest.Reply{Text: "### Found\nx\n### Decided\n- y\n### Next\n- z\n"})
			_, err := h.eng.Close(context.Background(), CloseOptions{Target: Target{Topic: "main"}, WriteFile: path})
			if !errors.Is(err, ErrOutsideWorkTree) {
				t.Fatalf("err = %v, want ErrOutsideWorkTree", err)
			}
			if c.check != "" {
				if _, err := os.Lstat(c.check); err == nil {
					t.Errorf("%s was written", c.check)
				}
			}
			if _, err := os.Stat(filepath.Join(filepath.Dir(h.repo.dir), "escaped.md")); err == nil {
				t.Error("../escaped.md was written")
			}
			if n := len(h.records("main", KindClose)); n != 0 {
				t.Errorf("session closed (%d close records) although the summary could not be written", n)
			}
		})
	}
}

// TestChatCompactionInterruptedKeepsMessage: Ctrl-C while the chat engine
// compacts the history before a reply must not lose the user's message.
func TestChatCompactionInterruptedKeepsMessage(t *testing.T) {
	h := newHarness(t, model.EngineChat)
	h.eng.CompactThreshold = 1500
	h.delegate("Explain the cache")
	h.srv.Enqueue(openaitest.Reply{Text: strings.Repeat("long answer ", 200)})
	h.reply("Tell me everything")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// The compaction's answer streams into io.Discard; cancel on the
	// compaction warning instead.
	h.eng.Out = textOutput{out: h.out, err: &cancelOn{w: h.errOut, word: "compacting", cancel: cancel}}
	_, err := h.eng.Reply(ctx, ReplyOptions{Target: Target{Topic: "main"}, Message: "please keep this message"})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	found := false
	for _, r := range h.records("main", KindTurn) {
		if strings.Contains(r.Text, "please keep this message") {
			found = true
		}
	}
	if !found {
		t.Fatal("the user's message was lost when the compaction was interrupted")
	}
}

type cancelOn struct {
	w      interface{ Write([]byte) (int, error) }
	word   string
	cancel context.CancelFunc
}

func (c *cancelOn) Write(p []byte) (int, error) {
	if strings.Contains(string(p), c.word) {
		c.cancel()
	}
	return c.w.Write(p)
}

// TestFixOutputCaptureBounded: a verification command that prints a lot
// must not be held in memory whole; its tail (the part sent) is kept.
func TestFixOutputCaptureBounded(t *testing.T) {
	h := newHarness(t, model.EngineResponses)
	h.eng.Out = nil // the copy for the terminal is streamed, not kept
	script := `i=0; while [ $i -lt 20000 ]; do echo "line $i of a long and noisy test log that goes on and on"; i=$((i+1)); done; echo 'boom: the last line'; exit 1`
	out, code, err := h.eng.run(context.Background(), "", []string{"sh", "-c", script})
	if err != nil || code != 1 {
		t.Fatalf("run: code %d, err %v", code, err)
	}
	if !strings.HasSuffix(strings.TrimSpace(out), "boom: the last line") {
		t.Errorf("the tail was lost: ...%q", out[max(0, len(out)-80):])
	}
	if len(out) > maxFixOutput {
		t.Errorf("kept %d bytes of output, want at most %d", len(out), maxFixOutput)
	}
	if strings.HasPrefix(out, "ine") || !strings.HasPrefix(out, "line ") {
		t.Errorf("kept output starts mid-line: %q", out[:min(len(out), 40)])
	}
}

// TestChatReplayStaysUnderThreshold: after a compaction, one long answer
// pushes the replay over the threshold again; the next reply must compact
// it too instead of replaying it whole ("nothing to compact" for one turn).
func TestChatReplayStaysUnderThreshold(t *testing.T) {
	h := newHarness(t, model.EngineChat)
	h.eng.CompactThreshold = 1500
	h.delegate("Explain the cache")
	h.srv.Enqueue(openaitest.Reply{Text: strings.Repeat("long answer ", 200)})
	h.reply("Tell me everything")
	h.srv.Enqueue(openaitest.Reply{Text: "### Found\nThe cache is fine.\n### Decided\n- keep the TTL\n### Next\n- nothing"})
	h.srv.Enqueue(openaitest.Reply{Text: strings.Repeat("second long answer ", 150)})
	h.reply("And now?") // compacts first, then the long answer
	h.srv.Enqueue(openaitest.Reply{Text: "### Found\nStill fine.\n### Decided\n- keep the TTL\n- add a test\n### Next\n- release"})
	h.reply("Last question")
	reqs := h.modelRequests()
	msgs := reqs[len(reqs)-1]["messages"].([]any)
	joined := ""
	for _, m := range msgs {
		if m.(map[string]any)["role"] == "system" {
			continue
		}
		joined += m.(map[string]any)["content"].(string) + "\n"
	}
	if strings.Contains(joined, "second long answer second long answer") {
		t.Errorf("the last request replays %d bytes, over the threshold of 1500: the long answer was not compacted", len(joined))
	}
	if !strings.Contains(joined, "Last question") {
		t.Errorf("the last request lacks the new message:\n%s", joined)
	}
}

// TestCompactAfterProviderForgot: compacting a responses session whose
// chain the provider no longer knows rebuilds the context from git.
func TestCompactAfterProviderForgot(t *testing.T) {
	h := newHarness(t, model.EngineResponses)
	h.delegate("Investigate the cache")
	h.reply("Also: the TTL")
	h.srv.Forget()
	h.srv.Enqueue(openaitest.Reply{Text: "### Found\nTTL bug.\n### Decided\n- use time.Duration\n### Next\n- test"})
	res, err := h.eng.Compact(context.Background(), Target{Topic: "main"})
	if err != nil {
		t.Fatalf("compact: %v", err)
	}
	if res.Through == "" || !strings.Contains(res.Summary, "TTL bug") {
		t.Errorf("compaction = %+v", res)
	}
	sums := h.records("main", KindSummary)
	if len(sums) != 1 || len(sums[0].Decisions) != 1 {
		t.Errorf("summary records = %+v", sums)
	}
}

// TestCompactionKeepsEarlierDecisions: a second compaction whose summary
// forgets a decision of the first must not drop it from the session.
func TestCompactionKeepsEarlierDecisions(t *testing.T) {
	h := newHarness(t, model.EngineChat)
	h.delegate("Explain the cache")
	h.reply("Also: the TTL")
	h.srv.Enqueue(openaitest.Reply{Text: "### Found\nTTL in seconds.\n### Decided\n- use time.Duration for TTLs\n### Next\n- test"})
	if _, err := h.eng.Compact(context.Background(), Target{Topic: "main"}); err != nil {
		t.Fatal(err)
	}
	h.reply("Also: eviction")
	h.reply("Also: metrics")
	h.srv.Enqueue(openaitest.Reply{Text: "### Found\nEviction is LRU.\n### Decided\n- keep LRU eviction\n### Next\n- release"})
	if _, err := h.eng.Compact(context.Background(), Target{Topic: "main"}); err != nil {
		t.Fatal(err)
	}
	sums := h.records("main", KindSummary)
	last := sums[len(sums)-1]
	joined := strings.Join(last.Decisions, "|")
	for _, want := range []string{"use time.Duration for TTLs", "keep LRU eviction"} {
		if !strings.Contains(joined, want) {
			t.Errorf("decisions after the second compaction = %q, lack %q", last.Decisions, want)
		}
	}
	h.reply("What did we decide?")
	reqs := h.modelRequests()
	body := string(mustJSON(t, reqs[len(reqs)-1]["messages"]))
	if !strings.Contains(body, "use time.Duration for TTLs") {
		t.Errorf("the replay after the second compaction lost the first decision:\n%s", body)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestFixDoesNotSendTheAPIKey: a failing command that prints the
// configured key (env, a debug dump) must not carry it to the model or
// into the stored turn.
func TestFixDoesNotSendTheAPIKey(t *testing.T) {
	const key = "local-gateway-key-0123456789abcdef"
	h := newHarness(t, model.EngineResponses)
	h.eng.Config.APIKey = key
	h.delegate("Investigate the cache")
	t.Setenv("REVIEW_KEY", key)
	_, err := h.eng.Fix(context.Background(), FixOptions{Target: Target{Topic: "main"}, Command: []string{"sh", "-c", "echo connecting with $REVIEW_KEY; exit 1"}})
	if !errors.Is(err, ErrFixFailed) {
		t.Fatalf("err = %v, want ErrFixFailed", err)
	}
	for i, r := range h.srv.Requests() {
		if strings.Contains(string(r.Body), key) {
			t.Errorf("request %d carries the API key", i+1)
		}
	}
	for _, r := range h.records("main", KindTurn) {
		if strings.Contains(r.Text, key) {
			t.Errorf("stored turn carries the API key: %q", r.Text)
		}
	}
}

// TestInterruptBetweenToolRoundsDoesNotBreakChain: Ctrl-C after the model
// asked for a tool call leaves a response with an unanswered call; the next
// reply must not chain from it (the API refuses: "No tool output found").
func TestInterruptBetweenToolRoundsDoesNotBreakChain(t *testing.T) {
	h := newHarness(t, model.EngineResponses)
	h.delegate("Investigate the cache")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	h.eng.Out = textOutput{out: h.out, err: &cancelOn{w: h.errOut, word: "tool:", cancel: cancel}}
	h.srv.Enqueue(openaitest.Reply{Text: "Let me look.", ToolCalls: []openaitest.ToolCall{{Name: "read_file", Arguments: `{"path":"cache/cache.go"}`}}})
	_, err := h.eng.Reply(ctx, ReplyOptions{Target: Target{Topic: "main"}, Message: "Read the cache"})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	h.eng.Out = textOutput{out: h.out, err: h.errOut}
	res, err := h.eng.Reply(context.Background(), ReplyOptions{Target: Target{Topic: "main"}, Message: "Go on"})
	if err != nil {
		t.Fatalf("the reply after the interrupted tool round failed: %v", err)
	}
	if res.Status != StatusComplete {
		t.Errorf("status = %s", res.Status)
	}
	answers := h.records("main", KindAnswer)
	if a := answers[1]; a.Status != StatusIncomplete || !strings.Contains(a.Text, "Let me look.") || len(a.ToolCalls) == 0 {
		t.Errorf("the interrupted answer = %+v, want incomplete with its text and tool call", a)
	}
}
