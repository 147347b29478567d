package session

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/git-codex/git-codex/gitstore"
	"github.com/git-codex/git-codex/model"
	"github.com/git-codex/git-codex/worktree"
)

// clone returns an engine over a copy of h's records: a second clone of the
// repository talking to the same provider.
func (h *harness) clone() (*Engine, *gitstore.MemoryStore) {
	h.t.Helper()
	store := gitstore.NewMemoryStore()
	copyRecords(h.t, h.store, store)
	eng := *h.eng
	eng.Store, eng.Out, eng.warned = store, textOutput{out: &bytes.Buffer{}, err: &bytes.Buffer{}}, nil
	return &eng, store
}

// copyRecords adds the records of from that to lacks: what a sync merges.
func copyRecords(t *testing.T, from, to *gitstore.MemoryStore) {
	t.Helper()
	ctx := context.Background()
	have := map[string]bool{}
	recs, _, err := to.Read(ctx, "main")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		have[r.ID] = true
	}
	recs, _, err = from.Read(ctx, "main")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if have[r.ID] {
			continue
		}
		target := r.NoteObject
		r.NoteObject = ""
		if err := to.Append(ctx, "main", target, r); err != nil {
			t.Fatal(err)
		}
	}
}

func TestForkRestartsFromGit(t *testing.T) {
	h := newHarness(t, model.EngineResponses)
	h.delegate("Investigate the cache")
	other, otherStore := h.clone()
	// Both clones reply to the same turn, then sync.
	if _, err := other.Reply(context.Background(), ReplyOptions{Target: Target{Topic: "main"}, Message: "From clone B: remember PELICAN"}); err != nil {
		t.Fatal(err)
	}
	h.reply("From clone A: remember FLAMINGO")
	copyRecords(t, otherStore, h.store)

	s, err := h.eng.Load(context.Background(), "main", "")
	if err != nil {
		t.Fatal(err)
	}
	if s.Forks != 1 || s.ForkOf(2) != 2 {
		t.Fatalf("forks = %d, ForkOf(2) = %d: the two replies should form a fork", s.Forks, s.ForkOf(2))
	}

	h.errOut.Reset()
	res := h.reply("Which two words?")
	if !res.Restarted {
		t.Error("result does not report the restart")
	}
	reqs := h.modelRequests()
	last := reqs[len(reqs)-1]
	if p, _ := last["previous_response_id"].(string); p != "" {
		t.Errorf("request still chains from %s, so the model misses a branch", p)
	}
	in := inputText(last)
	for _, want := range []string{"Investigate the cache", "PELICAN", "FLAMINGO", "Which two words?"} {
		if !strings.Contains(in, want) {
			t.Errorf("rebuilt input lacks %q:\n%s", want, in)
		}
	}
	// The model is told why, and sees the fork as two branches: turn 3
	// replied to turn 1, not to turn 2.
	if !strings.Contains(in, "restarted because turns 2 and 3 were replies to the same turn") ||
		!strings.Contains(in, `<turn role="developer" n="3" reply_to="1">`) || !strings.Contains(in, `<turn role="developer" n="2">`) {
		t.Errorf("the fork is not replayed as branches:\n%s", in)
	}
	// Turns are rebuilt in time order, whatever their branch: B replied first.
	if !strings.Contains(s.Turns[1].Record.Text, "PELICAN") || strings.Index(in, "PELICAN") > strings.Index(in, "FLAMINGO") {
		t.Errorf("turns not rebuilt in time order:\n%s", in)
	}
	evs := h.records("main", KindEvent)
	if len(evs) != 1 || evs[0].Event != RecordRestart || evs[0].Turn != res.Turn || !strings.Contains(evs[0].Text, "fork") {
		t.Errorf("events = %+v, want one restart naming the fork", evs)
	}
	if lines := strings.Count(h.errOut.String(), "rebuilding its context from git"); lines != 1 {
		t.Errorf("stderr should say so in one line:\n%s", h.errOut.String())
	}

	// The restarted conversation knows every turn: the next reply chains.
	h.reply("Thanks")
	reqs = h.modelRequests()
	if got := reqs[len(reqs)-1]["previous_response_id"]; got != res.ResponseID {
		t.Errorf("after the restart chained from %v, want %s", got, res.ResponseID)
	}
	if n := len(h.records("main", KindEvent)); n != 1 {
		t.Errorf("%d events: restarted again although nothing forked since", n)
	}
}

// TestAnsweredElsewhereRestarts: the other clone replied after this one;
// its answer is newer, so the chain would continue from it and skip ours.
func TestAnsweredElsewhereRestarts(t *testing.T) {
	h := newHarness(t, model.EngineResponses)
	h.delegate("Investigate the cache")
	h.reply("From clone A: remember FLAMINGO")
	other, otherStore := h.clone()
	h.reply("From clone A again: remember HERON")
	if _, err := other.Reply(context.Background(), ReplyOptions{Target: Target{Topic: "main"}, Message: "From clone B: remember PELICAN"}); err != nil {
		t.Fatal(err)
	}
	copyRecords(t, otherStore, h.store)
	res := h.reply("Which words?")
	if !res.Restarted {
		t.Fatal("no restart although the chain misses turn 3")
	}
	in := inputText(h.modelRequests()[len(h.modelRequests())-1])
	for _, want := range []string{"FLAMINGO", "HERON", "PELICAN"} {
		if !strings.Contains(in, want) {
			t.Errorf("rebuilt input lacks %q", want)
		}
	}
}

func TestNoForkNoRestart(t *testing.T) {
	h := newHarness(t, model.EngineResponses)
	h.delegate("Investigate the cache")
	first := h.reply("Also: TTL")
	second := h.reply("And eviction?")
	if first.Restarted || second.Restarted {
		t.Error("restarted without a fork")
	}
	reqs := h.modelRequests()
	if got := reqs[len(reqs)-1]["previous_response_id"]; got != first.ResponseID {
		t.Errorf("chained from %v, want %s", got, first.ResponseID)
	}
}

func TestWrongTopicForSession(t *testing.T) {
	h := newHarness(t, model.EngineResponses)
	res := h.delegate("Investigate the cache")
	_, err := h.eng.Reply(context.Background(), ReplyOptions{Target: Target{Topic: "p1", Session: res.Session[:8]}, Message: "hi"})
	if !errors.Is(err, ErrWrongTopic) || !strings.Contains(err.Error(), `"p1"`) || !strings.Contains(err.Error(), `"main"`) {
		t.Fatalf("err = %v, want ErrWrongTopic naming p1 and main", err)
	}
	if n := len(h.records("main", KindTurn)); n != 1 {
		t.Errorf("%d turns stored", n)
	}
	// The right topic, or none, finds it.
	for _, topic := range []string{"main", ""} {
		if _, err := h.eng.Reply(context.Background(), ReplyOptions{Target: Target{Topic: topic, Session: res.Session[:8]}, Message: "hi"}); err != nil {
			t.Errorf("topic %q: %v", topic, err)
		}
	}
}

func TestDelegateRefusals(t *testing.T) {
	outside := filepath.Join(t.TempDir(), "passwd")
	if err := os.WriteFile(outside, []byte("root:x:0:0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		setup   func(h *harness)
		context []string
		wantErr error
	}{
		{"dotenv", func(h *harness) { write(t, h.repo.dir, ".env", "KEY=1\n") }, []string{".env"}, worktree.ErrRefused},
		{"git config", func(h *harness) { write(t, h.repo.dir, ".git/config", "[core]\n") }, []string{".git/config"}, worktree.ErrRefused},
		{"symlink out", func(h *harness) {
			if err := os.Symlink(outside, filepath.Join(h.repo.dir, "passwd")); err != nil {
				t.Fatal(err)
			}
		}, []string{"passwd"}, worktree.ErrRefused},
		{"missing", func(h *harness) {}, []string{"nope.go"}, ErrContextFile},
		{"bare repository", func(h *harness) { h.repo.dir = "" }, nil, ErrNoWorkTree},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t, model.EngineResponses)
			c.setup(h)
			_, err := h.eng.Delegate(context.Background(), DelegateOptions{Topic: "main", Task: "x", Context: c.context})
			if !errors.Is(err, c.wantErr) {
				t.Fatalf("err = %v, want %v", err, c.wantErr)
			}
			if recs := h.records("main", ""); len(recs) != 0 || len(h.srv.Requests()) != 0 {
				t.Errorf("stored %d records, sent %d requests", len(recs), len(h.srv.Requests()))
			}
		})
	}
}

func write(t *testing.T, dir, name, body string) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestShellJoin(t *testing.T) {
	cases := []struct {
		name string
		argv []string
		want string
	}{
		{"plain", []string{"go", "test", "./..."}, "go test ./..."},
		{"shell script", []string{"sh", "-c", "echo boom; exit 1"}, "sh -c 'echo boom; exit 1'"},
		{"quote inside", []string{"echo", "it's"}, `echo 'it'\''s'`},
		{"empty argument", []string{"printf", ""}, "printf ''"},
		{"flag with value", []string{"go", "test", "-run=TestX", "-count=1"}, "go test -run=TestX -count=1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := shellJoin(c.argv); got != c.want {
				t.Errorf("shellJoin(%q) = %s, want %s", c.argv, got, c.want)
			}
		})
	}
}

func TestFixQuotesCommand(t *testing.T) {
	h := newHarness(t, model.EngineResponses)
	h.delegate("Investigate the cache")
	_, err := h.eng.Fix(context.Background(), FixOptions{Target: Target{Topic: "main"}, Command: []string{"sh", "-c", "echo boom; exit 1"}})
	if !errors.Is(err, ErrFixFailed) {
		t.Fatalf("err = %v", err)
	}
	want := "sh -c 'echo boom; exit 1'"
	if !strings.Contains(h.errOut.String(), want) || !strings.Contains(err.Error(), want) {
		t.Errorf("command not quoted as typed; stderr:\n%s\nerr: %v", h.errOut.String(), err)
	}
	turns := h.records("main", KindTurn)
	if !strings.Contains(turns[len(turns)-1].Text, want) {
		t.Errorf("message to the model lacks %s:\n%s", want, turns[len(turns)-1].Text)
	}
}
