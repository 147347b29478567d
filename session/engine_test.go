package session

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/git-codex/git-codex/gitstore"
	"github.com/git-codex/git-codex/internal/openaitest"
	"github.com/git-codex/git-codex/model"
	"github.com/git-codex/git-codex/pricing"
)

func TestInvestigativeSessionResponses(t *testing.T) {
	h := newHarness(t, model.EngineResponses)
	first := h.delegate("Find why the cache test is flaky")
	replies := []Result{h.reply("Also: check the eviction path"), h.reply("Fix: the lock order"), h.reply("Based on that, what next?")}

	reqs := h.modelRequests()
	if len(reqs) != 4 {
		t.Fatalf("model requests = %d, want 4", len(reqs))
	}
	instr := reqs[0]["instructions"]
	if instr == nil || instr == "" {
		t.Fatal("first request has no instructions")
	}
	if _, ok := reqs[0]["previous_response_id"]; ok && reqs[0]["previous_response_id"] != nil {
		t.Errorf("first request chains to %v", reqs[0]["previous_response_id"])
	}
	if in := inputText(reqs[0]); !strings.Contains(in, "ARCHITECTURE.md") || !strings.Contains(in, "cache/cache.go") || strings.Contains(in, "The storage layer keeps records") {
		t.Errorf("first message must reference, not inline, the context files:\n%s", in)
	}
	prev := first.ResponseID
	for i, r := range reqs[1:] {
		if r["instructions"] != instr {
			t.Errorf("request %d: instructions differ from the first request's", i+2)
		}
		if r["previous_response_id"] != prev {
			t.Errorf("request %d: previous_response_id = %v, want %s", i+2, r["previous_response_id"], prev)
		}
		if in := inputText(r); strings.Contains(in, "ARCHITECTURE.md") || len(in) > 200 {
			t.Errorf("request %d resends context: %q", i+2, in)
		}
		prev = replies[i].ResponseID
	}

	turns := h.records("main", KindTurn)
	answers := h.records("main", KindAnswer)
	if len(turns) != 4 || len(answers) != 4 {
		t.Fatalf("turns=%d answers=%d, want 4 and 4", len(turns), len(answers))
	}
	for i, tr := range turns {
		wantParent := ""
		if i > 0 {
			wantParent = turns[i-1].ID
		}
		if tr.Parent != wantParent {
			t.Errorf("turn %d parent = %q, want %q", i, tr.Parent, wantParent)
		}
		if tr.Commit != h.repo.head.Commit || tr.NoteObject != h.repo.head.Commit {
			t.Errorf("turn %d attached to %q/%q", i, tr.Commit, tr.NoteObject)
		}
		a := answers[i]
		if a.Turn != tr.ID || a.Status != StatusComplete || a.ResponseID == "" || a.Usage == nil || a.BytesSent == 0 {
			t.Errorf("answer %d = %+v", i, a)
		}
	}
	if !strings.Contains(h.out.String(), "answer 4 to:") {
		t.Errorf("stdout did not stream the answers:\n%s", h.out.String())
	}
	s, err := h.eng.Load(context.Background(), "main", "")
	if err != nil {
		t.Fatal(err)
	}
	if s.ID != first.Session || len(s.Turns) != 4 || s.Open.Title != "Find why the cache test is flaky" {
		t.Errorf("loaded session %+v", s)
	}
}

func TestSecondOpinionAndPrefix(t *testing.T) {
	h := newHarness(t, model.EngineResponses)
	a := h.delegate("Investigate the cache")
	h.reply("More detail please")
	b := h.delegate("Investigate the cache, fresh eyes")
	reqs := h.modelRequests()
	if p := reqs[2]["previous_response_id"]; p != nil && p != "" {
		t.Errorf("second opinion chained to %v", p)
	}
	r := h.reply("What do you think?")
	if r.Session != b.Session {
		t.Errorf("reply went to %s, want the newest session %s", r.Session, b.Session)
	}
	// The older session stays reachable by prefix.
	old, err := h.eng.Load(context.Background(), "", a.Session[:20])
	if err != nil || old.ID != a.Session || len(old.Turns) != 2 {
		t.Fatalf("load old session: %v %+v", err, old)
	}
	cases := []struct {
		name   string
		prefix string
		want   error
	}{
		{"ambiguous", a.Session[:1], ErrAmbiguous},
		{"unknown", "ZZZZZZZZ", ErrNoSession},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := h.eng.Load(context.Background(), "", c.prefix)
			if !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
			if c.want == ErrAmbiguous && (!strings.Contains(err.Error(), a.Session) || !strings.Contains(err.Error(), b.Session)) {
				t.Errorf("ambiguous error does not list the candidates: %v", err)
			}
		})
	}
	if _, err := h.eng.Load(context.Background(), "other", ""); !errors.Is(err, ErrNoSession) {
		t.Errorf("empty topic: %v", err)
	}
}

func TestChatEngineReplaysHistory(t *testing.T) {
	h := newHarness(t, model.EngineChat)
	h.delegate("Explain the cache")
	h.reply("Also: the TTL")
	h.reply("Fix: naming")
	reqs := h.modelRequests()
	msgs, _ := reqs[2]["messages"].([]any)
	// system + (first, answer) + (reply, answer) + new message
	if len(msgs) != 6 {
		t.Fatalf("third chat request has %d messages, want 6: %v", len(msgs), msgs)
	}
	last := msgs[len(msgs)-1].(map[string]any)
	if !strings.Contains(last["content"].(string), "Fix: naming") {
		t.Errorf("last message = %v", last)
	}
	if reqs[0]["messages"].([]any)[0].(map[string]any)["content"] != msgs[0].(map[string]any)["content"] {
		t.Error("system message changed between requests")
	}
}

func TestChatAutoCompact(t *testing.T) {
	h := newHarness(t, model.EngineChat)
	h.eng.CompactThreshold = 1500
	h.delegate("Explain the cache")
	h.srv.Enqueue(openaitest.Reply{Text: strings.Repeat("long answer ", 200)})
	h.reply("Tell me everything")
	h.srv.Enqueue(openaitest.Reply{Text: "### Found\nThe cache is fine.\n### Decided\n- keep the TTL\n### Next\n- nothing"})
	h.reply("And now?")
	sums := h.records("main", KindSummary)
	if len(sums) != 1 || sums[0].Through == "" {
		t.Fatalf("summaries = %+v, want one compaction", sums)
	}
	if !strings.Contains(h.errOut.String(), "compacting") {
		t.Errorf("stderr does not mention the compaction: %s", h.errOut.String())
	}
	reqs := h.modelRequests()
	msgs := reqs[len(reqs)-1]["messages"].([]any)
	joined := ""
	for _, m := range msgs {
		joined += m.(map[string]any)["content"].(string) + "\n"
	}
	if strings.Contains(joined, "long answer long answer") {
		t.Error("the request after compaction still replays the compacted answer")
	}
	if !strings.Contains(joined, "The cache is fine.") || !strings.Contains(joined, "And now?") {
		t.Errorf("request after compaction lacks the summary or the new text:\n%s", joined)
	}
}

func TestFaults(t *testing.T) {
	cases := []struct {
		name       string
		setup      func(h *harness)
		wantErr    error
		wantStatus string
		wantEvent  string
	}{
		{"rate limit then success", func(h *harness) {
			h.srv.Inject(openaitest.Fault{Kind: openaitest.FaultRateLimit, RetryAfter: "1"})
		}, nil, StatusComplete, ""},
		{"500 then success", func(h *harness) {
			h.srv.Inject(openaitest.Fault{Kind: openaitest.FaultServerError})
		}, nil, StatusComplete, ""},
		{"quota", func(h *harness) {
			h.srv.Inject(openaitest.Fault{Kind: openaitest.FaultQuota})
		}, model.ErrQuota, StatusError, ""},
		{"401", func(h *harness) {
			h.srv.Inject(openaitest.Fault{Kind: openaitest.FaultAuth})
		}, model.ErrAuth, StatusError, ""},
		{"stream cut", func(h *harness) {
			h.srv.Enqueue(openaitest.Reply{Text: "a long partial answer that will be cut short"})
			h.srv.Inject(openaitest.Fault{Kind: openaitest.FaultCut, AfterDeltas: 2, Count: -1})
		}, model.ErrUnavailable, StatusIncomplete, ""},
		{"previous response forgotten", func(h *harness) {
			h.srv.Forget()
		}, nil, StatusComplete, RecordRestart},
		{"model not found falls back", func(h *harness) {
			h.eng.Config.FallbackModel = "fallback-model"
			h.srv.MissingModels("test-model")
		}, nil, StatusComplete, RecordFallback},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t, model.EngineResponses)
			h.delegate("Investigate the cache")
			c.setup(h)
			_, err := h.eng.Reply(context.Background(), ReplyOptions{Target: Target{Topic: "main"}, Message: "Also: TTL"})
			if c.wantErr == nil && err != nil || c.wantErr != nil && !errors.Is(err, c.wantErr) {
				t.Fatalf("err = %v, want %v", err, c.wantErr)
			}
			turns := h.records("main", KindTurn)
			answers := h.records("main", KindAnswer)
			if len(turns) != 2 || len(answers) != 2 {
				t.Fatalf("turns=%d answers=%d: the message and the answer must be stored", len(turns), len(answers))
			}
			a := answers[1]
			if a.Status != c.wantStatus {
				t.Errorf("status = %q, want %q (%+v)", a.Status, c.wantStatus, a)
			}
			if c.wantStatus == StatusIncomplete && (a.Text == "" || a.Error == "") {
				t.Errorf("incomplete answer lacks partial text or error: %+v", a)
			}
			if c.wantEvent != "" {
				evs := h.records("main", KindEvent)
				if len(evs) != 1 || evs[0].Event != c.wantEvent || evs[0].Turn != turns[1].ID {
					t.Errorf("events = %+v, want one %q", evs, c.wantEvent)
				}
			}
		})
	}
}

func TestRestartRebuildsFromGit(t *testing.T) {
	h := newHarness(t, model.EngineResponses)
	h.delegate("Investigate the cache")
	h.reply("Also: remember the word PELICAN")
	h.srv.Forget()
	res := h.reply("What was the word?")
	if !res.Restarted {
		t.Error("result does not report the restart")
	}
	reqs := h.modelRequests()
	last := reqs[len(reqs)-1]
	if p := last["previous_response_id"]; p != nil && p != "" {
		t.Errorf("restart request still chains to %v", p)
	}
	in := inputText(last)
	if !strings.Contains(in, "restarted because the provider no longer has its stored state (the previous response expired") {
		t.Errorf("the model is not told why it restarts:\n%.300s", in)
	}
	for _, want := range []string{"Investigate the cache", "PELICAN", "What was the word?"} {
		if !strings.Contains(in, want) {
			t.Errorf("rebuilt input lacks %q:\n%s", want, in)
		}
	}
	if !strings.Contains(h.errOut.String(), "rebuilt from git") {
		t.Errorf("user not told on stderr: %s", h.errOut.String())
	}
	// The next reply chains from the restarted conversation.
	next := h.reply("Thanks")
	_ = next
	reqs = h.modelRequests()
	if reqs[len(reqs)-1]["previous_response_id"] != res.ResponseID {
		t.Errorf("after restart chained to %v, want %s", reqs[len(reqs)-1]["previous_response_id"], res.ResponseID)
	}
}

// cancelWriter cancels a context on the first write: an interrupt mid-stream.
type cancelWriter struct{ cancel context.CancelFunc }

func (w cancelWriter) Write(p []byte) (int, error) { w.cancel(); return len(p), nil }

func TestInterruptStoresPartialAnswer(t *testing.T) {
	h := newHarness(t, model.EngineResponses)
	h.delegate("Investigate the cache")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	h.eng.Out = textOutput{out: cancelWriter{cancel}}
	h.srv.SetChunkSize(4)
	h.srv.Enqueue(openaitest.Reply{Text: strings.Repeat("word ", 2000)})
	_, err := h.eng.Reply(ctx, ReplyOptions{Target: Target{Topic: "main"}, Message: "Tell me a lot"})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	answers := h.records("main", KindAnswer)
	if len(answers) != 2 || answers[1].Status != StatusIncomplete || answers[1].Text == "" {
		t.Fatalf("partial answer not stored as incomplete: %+v", answers)
	}
}

// TestNoAPIKeyRecordsMessageFirst: without a key and a base URL no request
// can succeed, yet the user's text is stored first (SPEC §5), as it is when
// the server answers 401; the next reply sends it along.
func TestNoAPIKeyRecordsMessageFirst(t *testing.T) {
	noKey := func(h *harness) { h.eng.Config.BaseURL, h.eng.Config.APIKey = "", "" }
	h := newHarness(t, model.EngineResponses)
	noKey(h)
	_, err := h.eng.Delegate(context.Background(), DelegateOptions{Topic: "main", Task: "Investigate the cache"})
	if !errors.Is(err, ErrNoAPIKey) || !strings.Contains(err.Error(), "OPENAI_API_KEY") {
		t.Fatalf("delegate err = %v, want ErrNoAPIKey naming the variable", err)
	}
	if n := len(h.srv.Requests()); n != 0 {
		t.Errorf("sent %d requests without a key", n)
	}
	turns, answers := h.records("main", KindTurn), h.records("main", KindAnswer)
	if len(h.records("main", KindSession)) != 1 || len(turns) != 1 || !strings.Contains(turns[0].Text, "Investigate the cache") {
		t.Fatalf("the task was not stored: turns %+v", turns)
	}
	if len(answers) != 1 || answers[0].Status != StatusError || !strings.Contains(answers[0].Error, "OPENAI_API_KEY") {
		t.Errorf("answers = %+v, want one error answer naming the variable", answers)
	}

	h.eng.Config.BaseURL = h.srv.URL()
	h.delegate("Investigate the cache again")
	noKey(h)
	if _, err := h.eng.Reply(context.Background(), ReplyOptions{Target: Target{Topic: "main"}, Message: "Also: check PELICAN"}); !errors.Is(err, ErrNoAPIKey) {
		t.Fatalf("reply err = %v, want ErrNoAPIKey", err)
	}
	turns = h.records("main", KindTurn)
	if last := turns[len(turns)-1]; !strings.Contains(last.Text, "PELICAN") {
		t.Fatalf("the reply was not stored: %+v", last)
	}
	h.eng.Config.BaseURL = h.srv.URL()
	h.reply("And the TTL?")
	reqs := h.modelRequests()
	if in := inputText(reqs[len(reqs)-1]); !strings.Contains(in, "PELICAN") || !strings.Contains(in, "And the TTL?") {
		t.Errorf("the stored message was not sent along:\n%s", in)
	}

	h = newHarness(t, model.EngineResponses)
	if _, err := h.eng.Delegate(context.Background(), DelegateOptions{Topic: "main", Task: "  "}); !errors.Is(err, ErrEmptyMessage) {
		t.Errorf("empty task: %v", err)
	}
	if recs := h.records("main", ""); len(recs) != 0 {
		t.Errorf("an empty task stored %d records", len(recs))
	}
}

func TestFix(t *testing.T) {
	h := newHarness(t, model.EngineResponses)
	h.delegate("Investigate the cache")
	cases := []struct {
		name    string
		cmd     []string
		max     int
		wantErr error
		turns   int // turns added
		event   bool
	}{
		{"passes", []string{"true"}, 1, nil, 0, true},
		{"fails once", []string{"sh", "-c", "echo first line; echo boom: assertion failed; exit 3"}, 1, ErrFixFailed, 1, false},
		{"fails in every round", []string{"echo boom; exit 1"}, 2, ErrFixFailed, 2, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := len(h.records("main", KindTurn))
			beforeEv := len(h.records("main", KindEvent))
			res, err := h.eng.Fix(context.Background(), FixOptions{Target: Target{Topic: "main"}, Command: c.cmd, Max: c.max})
			if c.wantErr == nil && err != nil || c.wantErr != nil && !errors.Is(err, c.wantErr) {
				t.Fatalf("err = %v, want %v", err, c.wantErr)
			}
			turns := h.records("main", KindTurn)
			if got := len(turns) - before; got != c.turns {
				t.Errorf("turns added = %d, want %d", got, c.turns)
			}
			if c.turns > 0 {
				last := turns[len(turns)-1].Text
				if !strings.Contains(last, "Failed") || !strings.Contains(last, "boom") {
					t.Errorf("fix message = %q", last)
				}
			}
			evs := h.records("main", KindEvent)
			if got := len(evs) > beforeEv; got != c.event || res.Passed != c.event {
				t.Errorf("pass event = %v, passed = %v, want %v", got, res.Passed, c.event)
			}
		})
	}
}

func TestCloseWritesSummary(t *testing.T) {
	h := newHarness(t, model.EngineResponses)
	h.delegate("Investigate the cache")
	h.srv.Enqueue(openaitest.Reply{Text: "### Found\nThe TTL was in seconds, not ms.\n\n### Decided\n- use time.Duration\n- add a test\n\n### Next\n- release 1.2\n"})
	res, err := h.eng.Close(context.Background(), CloseOptions{Target: Target{Topic: "main"}, WriteFile: "docs/cache.md"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(res.Found, "TTL was in seconds") || len(res.Decisions) != 2 || len(res.Next) != 1 {
		t.Errorf("parsed summary = %+v", res)
	}
	sums := h.records("main", KindSummary)
	if len(sums) != 1 || sums[0].Through != "" || len(sums[0].Decisions) != 2 {
		t.Errorf("summary records = %+v", sums)
	}
	if len(h.records("main", KindClose)) != 1 {
		t.Error("no close record")
	}
	md, err := os.ReadFile(filepath.Join(h.repo.dir, "docs", "cache.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"# Investigate the cache", "- use time.Duration", "- release 1.2", res.Session} {
		if !strings.Contains(string(md), want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
	if _, err := h.eng.Reply(context.Background(), ReplyOptions{Target: Target{Topic: "main"}, Message: "more"}); !errors.Is(err, ErrClosed) {
		t.Errorf("reply to closed session: %v", err)
	}
}

func TestCompactResponsesRestartsChain(t *testing.T) {
	h := newHarness(t, model.EngineResponses)
	h.delegate("Investigate the cache")
	h.reply("Also: the TTL")
	h.reply("Also: the locks")
	h.srv.Enqueue(openaitest.Reply{Text: "We found the TTL bug. ### Decided\n- fix the TTL"})
	res, err := h.eng.Compact(context.Background(), Target{Topic: "main"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Through == "" || res.Turns != 3 {
		t.Fatalf("compact result = %+v", res)
	}
	h.reply("Next step?")
	reqs := h.modelRequests()
	last := reqs[len(reqs)-1]
	if p := last["previous_response_id"]; p != nil && p != "" {
		t.Errorf("request after compaction chains to %v", p)
	}
	in := inputText(last)
	if !strings.Contains(in, "We found the TTL bug.") || !strings.Contains(in, "Next step?") || !strings.Contains(in, "Investigate the cache") {
		t.Errorf("rebuilt input after compaction:\n%s", in)
	}
	if strings.Contains(in, "Also: the locks") {
		t.Errorf("compacted turn replayed:\n%s", in)
	}
	if !strings.Contains(in, "restarted because the conversation was compacted") {
		t.Errorf("the model is not told why it restarts:\n%.300s", in)
	}
}

// When the first request failed the provider holds nothing: the next reply
// restarts from git and tells the model so.
func TestFirstTurnFailedRestarts(t *testing.T) {
	h := newHarness(t, model.EngineResponses)
	h.srv.Inject(openaitest.Fault{Kind: "invalid_api_key"})
	if _, err := h.eng.Delegate(context.Background(), DelegateOptions{Topic: "main", Task: "Investigate the cache"}); err == nil {
		t.Fatal("the first request did not fail")
	}
	h.reply("Try again")
	reqs := h.modelRequests()
	last := reqs[len(reqs)-1]
	in := inputText(last)
	if p, _ := last["previous_response_id"].(string); p != "" || !strings.Contains(in, "restarted because no earlier request of this session got an answer the provider kept (the first turn failed)") ||
		!strings.Contains(in, "Investigate the cache") {
		t.Errorf("request after a failed first turn (prev %q):\n%s", p, in)
	}
}

func TestStats(t *testing.T) {
	h := newHarness(t, model.EngineResponses)
	h.srv.SetUsage(&openaitest.Usage{Input: 100, Cached: 40, Output: 10})
	h.delegate("Investigate the cache")
	for i := 0; i < 5; i++ {
		h.reply("Also: one more thing")
	}
	stats, err := h.eng.Stats(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(stats) != 1 || len(stats[0].Sessions) != 1 {
		t.Fatalf("stats = %+v", stats)
	}
	f := stats[0].Total
	if f.Turns != 6 || f.Input != 600 || f.Cached != 240 || f.Output != 60 {
		t.Errorf("figures = %+v", f)
	}
	sent := 0
	for _, a := range h.records("main", KindAnswer) {
		sent += a.BytesSent
	}
	if f.BytesSent != sent || f.OneOffBytes <= f.BytesSent {
		t.Errorf("bytes sent %d (records %d), one-off %d", f.BytesSent, sent, f.OneOffBytes)
	}
	t.Logf("six-turn session: sent %d bytes, one-off estimate %d bytes, saving %.1f%%", f.BytesSent, f.OneOffBytes, f.Saving())
}

func TestToolCallsAnsweredAndRecorded(t *testing.T) {
	for _, engine := range []model.Engine{model.EngineResponses, model.EngineChat} {
		t.Run(string(engine), func(t *testing.T) {
			h := newHarness(t, engine)
			h.srv.Enqueue(
				openaitest.Reply{ToolCalls: []openaitest.ToolCall{
					{Name: "read_file", Arguments: `{"path":"cache/cache.go"}`},
					{Name: "git_log", Arguments: `{"n":3}`},
					{Name: "read_file", Arguments: `{"path":"../outside"}`},
				}},
				openaitest.Reply{Text: "Get returns its key."},
			)
			res := h.delegate("What does Get return?")
			if res.Text != "Get returns its key." {
				t.Errorf("answer = %q", res.Text)
			}
			a := h.records("main", KindAnswer)[0]
			if len(a.ToolCalls) != 3 {
				t.Fatalf("tool calls = %+v", a.ToolCalls)
			}
			if a.ToolCalls[0].Name != "read_file" || !strings.Contains(a.ToolCalls[0].Result, "func Get") {
				t.Errorf("read_file call = %+v", a.ToolCalls[0])
			}
			if !strings.Contains(a.ToolCalls[1].Result, "initial commit") {
				t.Errorf("git_log call = %+v", a.ToolCalls[1])
			}
			if a.ToolCalls[2].Error == "" {
				t.Errorf("escape not refused: %+v", a.ToolCalls[2])
			}
			if !strings.Contains(h.errOut.String(), "tool: ") {
				t.Errorf("tool calls not shown on stderr: %s", h.errOut.String())
			}
		})
	}
}

func TestUnansweredMessagesAreResent(t *testing.T) {
	h := newHarness(t, model.EngineResponses)
	first := h.delegate("Investigate the cache")
	h.srv.Inject(openaitest.Fault{Kind: openaitest.FaultQuota})
	if _, err := h.eng.Reply(context.Background(), ReplyOptions{Target: Target{Topic: "main"}, Message: "Also: the TTL unit"}); !errors.Is(err, model.ErrQuota) {
		t.Fatalf("err = %v, want quota", err)
	}
	h.reply("And the locks?")
	reqs := h.modelRequests()
	last := reqs[len(reqs)-1]
	if last["previous_response_id"] != first.ResponseID {
		t.Errorf("chained to %v, want the last answered response %s", last["previous_response_id"], first.ResponseID)
	}
	in := inputText(last)
	if !strings.Contains(in, "Also: the TTL unit") || !strings.Contains(in, "And the locks?") {
		t.Errorf("input lacks the unanswered message:\n%s", in)
	}
}

// recorder keeps what the engine reports.
type recorder struct {
	deltas strings.Builder
	events []Event
}

func (r *recorder) Delta(text string)                                   { r.deltas.WriteString(text) }
func (r *recorder) Event(ev Event)                                      { r.events = append(r.events, ev) }
func (r *recorder) Approve(context.Context, Approval) (Decision, error) { return Deny, nil }

// The engine reports through its Output, and only there: the session it
// opens, the request it waits on, the tool calls, the answer as it streams
// and its end, in that order.
func TestOutputEvents(t *testing.T) {
	h := newHarness(t, model.EngineResponses)
	rec := &recorder{}
	h.eng.Out = rec
	h.srv.Enqueue(
		openaitest.Reply{ToolCalls: []openaitest.ToolCall{{Name: "read_file", Arguments: `{"path":"cache/cache.go"}`}}},
		openaitest.Reply{Text: "Get returns its key."},
	)
	res := h.delegate("What does Get return?")
	if rec.deltas.String() != "Get returns its key." {
		t.Errorf("deltas = %q", rec.deltas.String())
	}
	var kinds []string
	for _, ev := range rec.events {
		kinds = append(kinds, string(ev.Kind))
	}
	if got := strings.Join(kinds, " "); got != "opened turn waiting tool answer-end answered" {
		t.Errorf("events = %s", got)
	}
	if rec.events[0].Session != res.Session || !strings.Contains(rec.events[0].Text, "opened on topic") ||
		!strings.Contains(rec.events[3].Text, "read_file") {
		t.Errorf("events = %+v", rec.events)
	}
	// The stored turn is named before the request goes out, and the stored
	// answer with its model and usage.
	if ev := rec.events[1]; ev.Turn != res.Turn || ev.Session != res.Session {
		t.Errorf("turn event = %+v, want turn %s", ev, res.Turn)
	}
	if ev := rec.events[5]; ev.Turn != res.Turn || ev.Model != res.Model || ev.Usage == nil || ev.Usage.Input != res.Usage.Input || ev.Usage.Output != res.Usage.Output || ev.Usage.Output == 0 {
		t.Errorf("answered event = %+v, want turn %s model %s usage %+v", ev, res.Turn, res.Model, res.Usage)
	}
	if h.out.Len()+h.errOut.Len() != 0 {
		t.Errorf("the engine wrote elsewhere: %q %q", h.out, h.errOut)
	}
}

// TestReplySwitchesEngine: reply --engine moves a session to the other
// engine. The switch is recorded as an engine event with the message, the
// request restarts from the transcript in git, and later requests continue
// on the new engine (chaining again on the responses engine).
func TestReplySwitchesEngine(t *testing.T) {
	h := newHarness(t, model.EngineResponses)
	h.delegate("Investigate the cache")
	h.reply("Also: remember the word PELICAN")
	switchTo := func(engine, msg string) Result {
		t.Helper()
		res, err := h.eng.Reply(context.Background(), ReplyOptions{Target: Target{Topic: "main"}, Message: msg, Engine: engine})
		if err != nil {
			t.Fatalf("reply --engine %s: %v", engine, err)
		}
		return res
	}
	lastRequest := func() (string, map[string]any) {
		reqs := h.srv.Requests()
		r := reqs[len(reqs)-1]
		return r.Path, r.JSON
	}

	switchTo("chat", "What was the word?")
	path, body := lastRequest()
	if !strings.HasSuffix(path, "/chat/completions") {
		t.Fatalf("switched reply went to %s", path)
	}
	hist, _ := json.Marshal(body["messages"])
	for _, want := range []string{"Investigate the cache", "PELICAN", "What was the word?"} {
		if !strings.Contains(string(hist), want) {
			t.Errorf("chat replay lacks %q: %s", want, hist)
		}
	}
	evs := h.records("main", KindEvent)
	if len(evs) != 1 || evs[0].Event != RecordEngine || evs[0].Engine != "chat" || evs[0].Turn == "" ||
		!strings.Contains(evs[0].Text, "from responses to chat") {
		t.Fatalf("engine events = %+v", evs)
	}
	if !strings.Contains(h.errOut.String(), "switching from the responses engine to chat") {
		t.Errorf("the switch is not reported on stderr: %s", h.errOut.String())
	}
	h.reply("Also: the TTL")
	if path, _ := lastRequest(); !strings.HasSuffix(path, "/chat/completions") {
		t.Errorf("the session did not stay on chat: %s", path)
	}
	s, err := h.eng.Load(context.Background(), "main", "")
	if err != nil || s.Engine() != "chat" || s.Open.Engine != "responses" {
		t.Fatalf("Load: engine %q (opened with %q), err %v", s.Engine(), s.Open.Engine, err)
	}

	// Back to responses: the chat answers' ids must not be chained from.
	back := switchTo("responses", "Summarise the word and the TTL")
	path, body = lastRequest()
	if !strings.HasSuffix(path, "/responses") {
		t.Fatalf("switched reply went to %s", path)
	}
	if p := body["previous_response_id"]; p != nil && p != "" {
		t.Errorf("the switch chained to %v instead of restarting", p)
	}
	for _, want := range []string{"Investigate the cache", "PELICAN", "the TTL", "Summarise"} {
		if !strings.Contains(inputText(body), want) {
			t.Errorf("rebuilt input lacks %q", want)
		}
	}
	h.reply("Thanks")
	if _, body := lastRequest(); body["previous_response_id"] != back.ResponseID {
		t.Errorf("after the switch chained to %v, want %s", body["previous_response_id"], back.ResponseID)
	}

	// The same engine again is no switch; an unknown one is refused.
	before := len(h.records("main", KindEvent))
	switchTo("responses", "Still there?")
	if n := len(h.records("main", KindEvent)); n != before {
		t.Errorf("a reply on the same engine stored %d engine events", n-before)
	}
	if _, err := h.eng.Reply(context.Background(), ReplyOptions{Target: Target{Topic: "main"}, Message: "x", Engine: "codex"}); err == nil {
		t.Error("an unknown engine was accepted")
	}
}

// TestSendErrorMarksStoredMessages: an error after the message was stored is
// a *SendError naming the turn; one before (fix without a session, or
// without a key) is not, so nobody claims the message was kept.
func TestSendErrorMarksStoredMessages(t *testing.T) {
	h := newHarness(t, model.EngineResponses)
	h.eng.Config.BaseURL = ""
	_, err := h.eng.Delegate(context.Background(), DelegateOptions{Topic: "main", Task: "Investigate the cache"})
	var se *SendError
	if !errors.As(err, &se) || se.Turn == "" || !errors.Is(err, ErrNoAPIKey) {
		t.Fatalf("delegate without a key: %v, want a *SendError wrapping ErrNoAPIKey", err)
	}
	if turns := h.records("main", KindTurn); len(turns) != 1 || turns[0].ID != se.Turn {
		t.Errorf("SendError names turn %s, stored %+v", se.Turn, turns)
	}
	_, err = h.eng.Fix(context.Background(), FixOptions{Target: Target{Topic: "main"}, Command: []string{"false"}})
	if !errors.Is(err, ErrNoAPIKey) || errors.As(err, &se) {
		t.Errorf("fix without a key: %v, want ErrNoAPIKey and no SendError", err)
	}
	_, err = h.eng.Fix(context.Background(), FixOptions{Target: Target{Topic: "other"}, Command: []string{"false"}})
	if !errors.Is(err, ErrNoSession) || errors.As(err, &se) {
		t.Errorf("fix without a session or a key: %v, want ErrNoSession and no SendError", err)
	}
}

// TestWithKeepsConfiguration checks that With copies every exported field
// but Out: a workflow step's engine (runner) runs a codex session with the
// configured Codex CLI, model client and prices, not the defaults.
func TestWithKeepsConfiguration(t *testing.T) {
	e := &Engine{
		Store: gitstore.NewMemoryStore(), Config: model.Config{Model: "m", BaseURL: "http://127.0.0.1:1"},
		NewClient: func(model.Config) (model.Client, error) { return nil, nil }, Now: time.Now,
		CompactThreshold: 1, MaxToolRounds: 2, Prices: &pricing.Table{},
		Codex: CodexConfig{Path: "/opt/codex", Config: []string{"a=1"}, Env: []string{"X=1"}, VersionCache: "v"},
	}
	out := &recordOutput{}
	w := e.With(out)
	ev, wv := reflect.ValueOf(e).Elem(), reflect.ValueOf(w).Elem()
	for i := range ev.NumField() {
		f := ev.Type().Field(i)
		if !f.IsExported() {
			continue
		}
		a, b := ev.Field(i), wv.Field(i)
		if f.Name == "Out" {
			if b.Interface() != Output(out) {
				t.Errorf("With did not set Out")
			}
			continue
		}
		same := reflect.DeepEqual(a.Interface(), b.Interface())
		if a.Kind() == reflect.Func {
			same = a.Pointer() == b.Pointer()
		}
		if !same {
			t.Errorf("With dropped %s: %v, want %v", f.Name, b.Interface(), a.Interface())
		}
	}
}
