package session

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/git-codex/git-codex/gitstore"
)

// TestStartEarly checks when a reply starts Codex before reading the
// session: after a completed Codex turn of the topic's session, for a reply
// that stays on that session and engine, while the topic's notes are where
// that turn left them.
func TestStartEarly(t *testing.T) {
	h := newCodexHarness(t)
	ctx := context.Background()
	res := h.startSession(unpack(t, "first_turn"), unpack(t, "resume"))
	st := h.eng.Store.(indexStore)
	data, err := st.ReadCache(codexNextFile("main"))
	if err != nil {
		t.Fatalf("no guess for the next reply after a Codex turn: %v", err)
	}
	var n codexNext
	if err := json.Unmarshal(data, &n); err != nil {
		t.Fatal(err)
	}
	if n.Session != res.Session || n.Thread != "01a2326a-f443-72f3-b654-6b717e839e55" || n.Prior.Input != 9933 ||
		n.Model != "test-model" || n.Sandbox != SandboxReadOnly || len(n.Heads) != 1 {
		t.Errorf("the guess for the next reply is %+v", n)
	}
	// The runs below are stopped: the fake logs them elsewhere.
	env := h.eng.Codex.Env
	h.eng.Codex.Env = append(slices.Clip(env), "FAKE_LOG="+t.TempDir())
	try := func(name string, opt ReplyOptions, want bool) {
		t.Helper()
		opt.Message = "Go on."
		if opt.Topic == "" {
			opt.Topic = "main"
		}
		p := h.eng.startEarly(ctx, opt)
		if (p != nil) != want {
			t.Errorf("%s: started early: %v, want %v", name, p != nil, want)
		}
		p.Stop()
	}
	try("a reply", ReplyOptions{}, true)
	try("to the session by prefix", ReplyOptions{Target: Target{Session: strings.ToLower(res.Session[:6])}}, true)
	try("with --engine codex", ReplyOptions{Engine: EngineCodex}, true)
	try("raising the sandbox", ReplyOptions{Mode: ModeRequest{Sandbox: SandboxWorkspaceWrite, Approval: ApprovalNever}}, true)
	try("to another session", ReplyOptions{Target: Target{Session: "01ZZZZ"}}, false)
	try("on another topic", ReplyOptions{Target: Target{Topic: "other"}}, false)
	try("moving to another engine", ReplyOptions{Engine: "chat"}, false)
	try("asking before every operation", ReplyOptions{Mode: ModeRequest{Approval: ApprovalUntrusted}}, false)

	// Anything written to the topic since makes the guess stale.
	s, err := h.eng.Load(ctx, "main", "")
	if err != nil {
		t.Fatal(err)
	}
	target, err := h.eng.head()
	if err != nil {
		t.Fatal(err)
	}
	ev := h.eng.record(KindEvent, s)
	ev.Commit, ev.Event, ev.Sandbox, ev.Approval, ev.Text = target, RecordSandbox, s.Mode().Sandbox, s.Mode().Approval, "sandbox unchanged"
	if err := h.eng.append(ctx, "main", target, ev); err != nil {
		t.Fatal(err)
	}
	try("after the notes moved", ReplyOptions{}, false)

	// A damaged file is no guess.
	h.eng.Codex.Env = env
	if _, err := h.eng.Reply(ctx, ReplyOptions{Target: Target{Topic: "main"}, Message: "Go on."}); err != nil {
		t.Fatal(err)
	}
	h.eng.Codex.Env = append(slices.Clip(env), "FAKE_LOG="+t.TempDir())
	try("after a reply", ReplyOptions{}, true)
	file := filepath.Join(h.repo.CommonDir(), "codex", codexNextFile("main")+"-local")
	if err := os.WriteFile(file, []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	try("with a damaged file", ReplyOptions{}, false)

	// A store that keeps no derived files has no guesses.
	h.eng.Store = gitstore.NewMemoryStore()
	try("without derived files", ReplyOptions{}, false)
}

// TestStartEarlyWrongGuess checks that a guess that does not match the
// session's next request costs a Codex start and nothing else: the Codex
// started from it never gets the prompt, and the turn runs in the thread
// the session names.
func TestStartEarlyWrongGuess(t *testing.T) {
	h := newCodexHarness(t)
	ctx := context.Background()
	h.startSession(unpack(t, "first_turn"), unpack(t, "resume"))
	const thread, wrong = "01a2326a-f443-72f3-b654-6b717e839e55", "01a2326a-f443-72f3-b654-000000000000"
	st := h.eng.Store.(indexStore)
	data, err := st.ReadCache(codexNextFile("main"))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.WriteCache(codexNextFile("main"), []byte(strings.Replace(string(data), thread, wrong, 1))); err != nil {
		t.Fatal(err)
	}
	if _, err := h.eng.Reply(ctx, ReplyOptions{Target: Target{Topic: "main"}, Message: "And a second answer, please."}); err != nil {
		t.Fatal(err)
	}
	// The fake counts its runs as it starts: the stopped one may or may
	// not have got that far.
	count, _ := os.ReadFile(filepath.Join(h.log, "n"))
	runs := 0
	for _, c := range strings.TrimSpace(string(count)) {
		runs = runs*10 + int(c-'0')
	}
	if runs < 2 || runs > 3 {
		t.Fatalf("codex ran %d times, want the delegate, the reply and at most one stopped start", runs)
	}
	for i := 2; i <= runs; i++ {
		args, stdin := h.received(i)
		switch {
		case slices.Contains(args, wrong) && stdin != "":
			t.Errorf("codex run %d, started from the wrong guess, read %q", i, stdin)
		case slices.Contains(args, thread) && i != runs:
			t.Errorf("codex run %d resumed the thread but was not the last", i)
		}
	}
	args, stdin := h.received(runs)
	if !slices.Contains(args, thread) || stdin != "And a second answer, please." {
		t.Errorf("the turn ran with %q and %q; want a resume of %s", args, stdin, thread)
	}
	if a := h.last(KindAnswer); a.Thread != thread || a.Text != "Second answer, same thread." {
		t.Errorf("answer %+v", a)
	}
	data, err = st.ReadCache(codexNextFile("main"))
	if err != nil || !strings.Contains(string(data), thread) {
		t.Errorf("after the reply the guess is %s (%v); want the session's thread", data, err)
	}
}

// TestStartEarlyMatchesTheTurn checks that the Codex a reply starts early
// is the one its turn runs in: started for exactly the request the turn
// works out from the session, when the model reports reasoning tokens
// (which the answers do not keep) and when the reply raises the sandbox.
func TestStartEarlyMatchesTheTurn(t *testing.T) {
	h := newCodexHarness(t)
	ctx := context.Background()
	first, resume := unpack(t, "first_turn"), unpack(t, "resume")
	for _, r := range []recording{first, resume} {
		out := filepath.Join(r.dir, "stdout")
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		withReasoning := strings.ReplaceAll(string(b), `"reasoning_output_tokens":0`, `"reasoning_output_tokens":7`)
		if withReasoning == string(b) {
			t.Fatal("the recording reports no reasoning tokens to change")
		}
		if err := os.WriteFile(out, []byte(withReasoning), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	h.startSession(first, resume)
	env := h.eng.Codex.Env
	check := func(when string, opt ReplyOptions) {
		t.Helper()
		h.eng.Codex.Env = append(slices.Clip(env), "FAKE_LOG="+t.TempDir()) // stopped below
		defer func() { h.eng.Codex.Env = env }()
		opt.Topic, opt.Message = "main", "Go on."
		p := h.eng.startEarly(ctx, opt)
		defer p.Stop()
		if p == nil {
			t.Fatalf("%s: no early start", when)
		}
		s, err := h.eng.Load(ctx, "main", "")
		if err != nil {
			t.Fatal(err)
		}
		x := h.eng.replyExchange(s, opt)
		x.text = h.eng.scrubKey(x.text) // as send does
		b := &codexBackend{e: h.eng, model: s.Open.Model}
		bin, err := b.binary(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if req, _ := b.turnRequest(bin, s, x); !p.Matches(req) {
			t.Errorf("%s: the early Codex was not started for the turn's request (thread %s, prior %+v, mode %s/%s)",
				when, req.ThreadID, req.PriorUsage, req.Sandbox, req.Approval)
		}
	}
	check("after the first turn", ReplyOptions{})
	check("raising the sandbox", ReplyOptions{Mode: ModeRequest{Sandbox: SandboxWorkspaceWrite, Approval: ApprovalNever}})
	if _, err := h.eng.Reply(ctx, ReplyOptions{Target: Target{Topic: "main"}, Message: "And a second answer, please."}); err != nil {
		t.Fatal(err)
	}
	check("after a resumed turn", ReplyOptions{})
}
