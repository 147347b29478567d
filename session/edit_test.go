package session

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/git-codex/git-codex/gitstore"
	"github.com/git-codex/git-codex/internal/gittest"
	"github.com/git-codex/git-codex/internal/openaitest"
	"github.com/git-codex/git-codex/model"
	"github.com/git-codex/git-codex/worktree"
)

// TestModeRequest is the sandbox-memory rule: a new session takes the flag,
// else the configured default; a later turn takes a flag up or down, lowers
// to a stricter configured default freely and never raises to a laxer one.
func TestModeRequest(t *testing.T) {
	ro, ws := SandboxReadOnly, SandboxWorkspaceWrite
	open := []struct {
		name string
		req  ModeRequest
		want Mode
	}{
		{"defaults", ModeRequest{}, Mode{ro, ApprovalOnRequest}},
		{"config", ModeRequest{ConfigSandbox: ws, ConfigApproval: ApprovalNever}, Mode{ws, ApprovalNever}},
		{"flag over config", ModeRequest{Sandbox: ro, ConfigSandbox: ws, Approval: ApprovalUntrusted, ConfigApproval: ApprovalNever}, Mode{ro, ApprovalUntrusted}},
	}
	for _, tc := range open {
		if got := tc.req.Open(); got != tc.want {
			t.Errorf("Open %s = %v, want %v", tc.name, got, tc.want)
		}
	}
	follow := []struct {
		name     string
		session  Mode
		req      ModeRequest
		want     Mode
		wantNote bool
	}{
		{"kept", Mode{ws, ApprovalNever}, ModeRequest{}, Mode{ws, ApprovalNever}, false},
		{"flag raises", Mode{ro, ApprovalOnRequest}, ModeRequest{Sandbox: ws, Approval: ApprovalNever}, Mode{ws, ApprovalNever}, false},
		{"flag lowers", Mode{ws, ApprovalNever}, ModeRequest{Sandbox: ro, Approval: ApprovalUntrusted}, Mode{ro, ApprovalUntrusted}, false},
		{"config lowers the sandbox", Mode{ws, ApprovalNever}, ModeRequest{ConfigSandbox: ro}, Mode{ro, ApprovalNever}, false},
		{"config tightens the approval", Mode{ws, ApprovalNever}, ModeRequest{ConfigApproval: ApprovalOnRequest}, Mode{ws, ApprovalOnRequest}, false},
		{"config cannot raise the sandbox", Mode{ro, ApprovalOnRequest}, ModeRequest{ConfigSandbox: ws}, Mode{ro, ApprovalOnRequest}, true},
		{"config cannot loosen the approval", Mode{ws, ApprovalUntrusted}, ModeRequest{ConfigApproval: ApprovalNever}, Mode{ws, ApprovalUntrusted}, true},
		{"config equal", Mode{ws, ApprovalNever}, ModeRequest{ConfigSandbox: ws, ConfigApproval: ApprovalNever}, Mode{ws, ApprovalNever}, false},
		{"old session", Mode{}, ModeRequest{}, DefaultMode(), false},
	}
	for _, tc := range follow {
		got, note := tc.req.Follow(tc.session)
		if got != tc.want || (note != "") != tc.wantNote {
			t.Errorf("Follow %s = %v, note %q; want %v, note %v", tc.name, got, note, tc.want, tc.wantNote)
		}
		if tc.wantNote && !strings.Contains(note, "--") {
			t.Errorf("Follow %s: the note does not name the flag: %q", tc.name, note)
		}
	}
	for _, bad := range []error{CheckSandbox("danger-full-access"), CheckApproval("on-failure"), CheckSandbox("")} {
		if !errors.Is(bad, ErrBadMode) || !strings.Contains(bad.Error(), "want") {
			t.Errorf("check error %v", bad)
		}
	}
}

// offersPatch reports whether a model request offers the edit tool.
func offersPatch(req map[string]any) bool {
	tools, _ := req["tools"].([]any)
	for _, tl := range tools {
		if m, _ := tl.(map[string]any); m["type"] == "apply_patch" {
			return true
		}
	}
	return false
}

// TestSessionRemembersItsMode: the mode a session is opened with holds for
// its replies, a configured default lowers it (recorded as an event the
// session keeps) but does not raise it again, and the flag does.
func TestSessionRemembersItsMode(t *testing.T) {
	h := newHarness(t, model.EngineResponses)
	ctx := context.Background()
	if _, err := h.eng.Delegate(ctx, DelegateOptions{Topic: "main", Task: "t", Mode: ModeRequest{Sandbox: SandboxWorkspaceWrite, Approval: ApprovalNever}}); err != nil {
		t.Fatal(err)
	}
	open := h.records("main", KindSession)[0]
	if open.Sandbox != SandboxWorkspaceWrite || open.Approval != ApprovalNever {
		t.Fatalf("session record: sandbox %q approval %q", open.Sandbox, open.Approval)
	}
	reply := func(r ModeRequest) {
		t.Helper()
		if _, err := h.eng.Reply(ctx, ReplyOptions{Target: Target{Topic: "main"}, Message: "go on", Mode: r}); err != nil {
			t.Fatal(err)
		}
	}
	reply(ModeRequest{})
	reply(ModeRequest{ConfigSandbox: SandboxReadOnly})
	reply(ModeRequest{ConfigSandbox: SandboxWorkspaceWrite})
	reply(ModeRequest{Sandbox: SandboxWorkspaceWrite})
	var offered []bool
	for _, r := range h.modelRequests() {
		offered = append(offered, offersPatch(r))
	}
	if want := []bool{true, true, false, false, true}; !equalBools(offered, want) {
		t.Errorf("edit tool offered per request %v, want %v", offered, want)
	}
	var events []string
	for _, ev := range h.records("main", KindEvent) {
		if ev.Event == RecordSandbox {
			events = append(events, ev.Sandbox+"/"+ev.Approval)
		}
	}
	if want := "read-only/never workspace-write/never"; strings.Join(events, " ") != want {
		t.Errorf("sandbox events %v, want %s", events, want)
	}
	if !strings.Contains(h.errOut.String(), "does not raise an open session's mode; pass --sandbox workspace-write") {
		t.Errorf("no note about the configured default:\n%s", h.errOut)
	}
	s, err := h.eng.Load(ctx, "main", "")
	if err != nil {
		t.Fatal(err)
	}
	if s.Mode() != (Mode{SandboxWorkspaceWrite, ApprovalNever}) {
		t.Errorf("session mode %v", s.Mode())
	}
}

func equalBools(a, b []bool) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// approver is an Output whose approvals answer from a script (or fail
// with err), recording the questions.
type approver struct {
	textOutput
	mu      sync.Mutex
	answers []Decision
	err     error
	asked   []Approval
}

func (a *approver) Approve(ctx context.Context, q Approval) (Decision, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.asked = append(a.asked, q)
	if a.err != nil {
		return Deny, a.err
	}
	if len(a.answers) == 0 {
		return Deny, nil
	}
	d := a.answers[0]
	a.answers = a.answers[1:]
	return d, nil
}

// editHarness opens a session in mode with the given approver.
func editHarness(t *testing.T, engine model.Engine, mode Mode, a *approver) *harness {
	t.Helper()
	h := newHarness(t, engine)
	a.textOutput = textOutput{out: h.out, err: h.errOut}
	h.eng.Out = a
	if _, err := h.eng.Delegate(context.Background(), DelegateOptions{Topic: "main", Task: "Fix Get", Mode: ModeRequest{Sandbox: mode.Sandbox, Approval: mode.Approval}}); err != nil {
		t.Fatal(err)
	}
	return h
}

func (h *harness) file(name string) string {
	h.t.Helper()
	b, err := os.ReadFile(filepath.Join(h.repo.dir, filepath.FromSlash(name)))
	if err != nil {
		return "<" + err.Error() + ">"
	}
	return string(b)
}

const (
	cacheGo    = "package cache\n\n// Get returns a value.\nfunc Get(k string) string { return k }\n"
	fixGet     = "@@\n // Get returns a value.\n-func Get(k string) string { return k }\n+func Get(k string) string { return \"v:\" + k }\n"
	cacheFixed = "package cache\n\n// Get returns a value.\nfunc Get(k string) string { return \"v:\" + k }\n"
)

// TestEditTurn: in workspace-write the model's patches change the work
// tree and each is recorded with its diff and blob ids, the contents kept;
// a patch that does not apply, or leaves the tree, changes nothing and the
// model is told why.
func TestEditTurn(t *testing.T) {
	for _, engine := range []model.Engine{model.EngineResponses, model.EngineChat} {
		t.Run(string(engine), func(t *testing.T) {
			h := editHarness(t, engine, Mode{SandboxWorkspaceWrite, ApprovalNever}, &approver{})
			h.srv.Enqueue(openaitest.Reply{Patches: []openaitest.Patch{
				{Type: "update_file", Path: "cache/cache.go", Diff: fixGet},
				{Type: "create_file", Path: "cache/cache_test.go", Diff: "+package cache\n"},
				{Type: "update_file", Path: "AGENTS.md", Diff: "@@\n-No such line\n+x\n"},
				{Type: "create_file", Path: "../outside.txt", Diff: "+x\n"},
				{Type: "create_file", Path: ".git/hooks/pre-commit", Diff: "+x\n"},
				{Type: "create_file", Path: ".env", Diff: "+KEY=x\n"},
			}}, openaitest.Reply{Text: "Get now prefixes its values."})
			res := h.reply("Fix: Get must prefix values")
			if got := h.file("cache/cache.go"); got != cacheFixed {
				t.Errorf("cache.go = %q", got)
			}
			if got := h.file("cache/cache_test.go"); got != "package cache\n" {
				t.Errorf("cache_test.go = %q", got)
			}
			for _, p := range []string{"../outside.txt", ".git/hooks/pre-commit", ".env"} {
				if _, err := os.Lstat(filepath.Join(h.repo.dir, p)); err == nil {
					t.Errorf("%s was written", p)
				}
			}
			changes := h.records("main", KindChange)
			if len(changes) != 6 || len(res.Changes) != 6 {
				t.Fatalf("%d change records (result %d), want 6", len(changes), len(res.Changes))
			}
			up := changes[0]
			if up.Status != ChangeApplied || up.Op != "update_file" || up.Path != "cache/cache.go" || up.Turn != res.Turn ||
				up.Before != worktree.BlobID(worktree.SHA1, []byte(cacheGo)) || up.After != worktree.BlobID(worktree.SHA1, []byte(cacheFixed)) ||
				up.ModeBefore != "100644" || up.ModeAfter != "100644" || up.Approval != ApprovedByPolicy ||
				!strings.Contains(up.Diff, "+func Get(k string) string { return \"v:\" + k }") || !strings.HasPrefix(up.Text, "updated cache/cache.go (+1 -1)") {
				t.Errorf("update record %+v", up)
			}
			for _, id := range []string{up.Before, up.After, changes[1].After} {
				if _, err := h.repo.ReadBlob(context.Background(), id); err != nil {
					t.Errorf("blob %s not kept: %v", id, err)
				}
			}
			if c := changes[1]; c.Status != ChangeApplied || c.Before != "" || c.ModeBefore != "" || c.Op != "create_file" {
				t.Errorf("create record %+v", c)
			}
			for i, want := range []string{"is not in the file", "leads out of the work tree", ".git", "secret"} {
				c := changes[2+i]
				if c.Status != ChangeFailed || !strings.Contains(c.Error, want) || c.After != "" || c.Patch == "" {
					t.Errorf("record %d: %s %s %q, want failed with %q", 2+i, c.Status, c.Path, c.Error, want)
				}
			}
			if got := h.file("AGENTS.md"); !strings.HasPrefix(got, "Run go test") {
				t.Errorf("AGENTS.md changed by a failed patch: %.40q", got)
			}
			outs := h.srv.PatchOutputs()
			if len(outs) != 6 || !strings.HasPrefix(outs[0].Output, "updated cache/cache.go") || !strings.HasPrefix(outs[2].Output, "failed, nothing was changed:") {
				t.Errorf("the model was told %+v", outs)
			}
			if !strings.Contains(h.errOut.String(), "edit: updated cache/cache.go (+1 -1)") || !strings.Contains(h.errOut.String(), "edit: could not apply update_file AGENTS.md") {
				t.Errorf("events:\n%s", h.errOut)
			}
			s, _ := h.eng.Load(context.Background(), "main", "")
			if last := s.Turns[len(s.Turns)-1]; len(last.Changes) != 6 || len(last.Applied()) != 2 {
				t.Errorf("the loaded turn has %d changes, %d applied", len(last.Changes), len(last.Applied()))
			}
		})
	}
}

// TestApprovals: what each policy asks, and what each answer does.
func TestApprovals(t *testing.T) {
	update := openaitest.Patch{Type: "update_file", Path: "cache/cache.go", Diff: fixGet}
	create := openaitest.Patch{Type: "create_file", Path: "new.txt", Diff: "+new\n"}
	cases := []struct {
		name    string
		policy  string
		patches []openaitest.Patch
		answers []Decision
		err     error
		asked   int
		status  []string
		told    string // in the first output to the model
	}{
		{"on-request creates without asking", ApprovalOnRequest, []openaitest.Patch{create}, nil, nil, 0, []string{"applied"}, "created new.txt"},
		{"on-request asks for an update: yes", ApprovalOnRequest, []openaitest.Patch{update}, []Decision{Allow}, nil, 1, []string{"applied"}, "updated"},
		{"on-request asks for an update: no", ApprovalOnRequest, []openaitest.Patch{update}, []Decision{Deny}, nil, 1, []string{"refused"}, "refused, nothing was changed: the user declined"},
		{"no terminal", ApprovalOnRequest, []openaitest.Patch{update}, nil, ErrNoApprover, 1, []string{"refused"}, "--approval never"},
		{"untrusted asks for a create", ApprovalUntrusted, []openaitest.Patch{create}, []Decision{Allow}, nil, 1, []string{"applied"}, "created"},
		{"untrusted has no always", ApprovalUntrusted, []openaitest.Patch{update, create}, []Decision{AllowSession, Deny}, nil, 2, []string{"applied", "refused"}, "updated"},
		{"never asks nothing", ApprovalNever, []openaitest.Patch{update, create}, nil, ErrNoApprover, 0, []string{"applied", "applied"}, "updated"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := &approver{answers: tc.answers, err: tc.err}
			h := editHarness(t, model.EngineResponses, Mode{SandboxWorkspaceWrite, tc.policy}, a)
			h.srv.Enqueue(openaitest.Reply{Patches: tc.patches}, openaitest.Reply{Text: "done"})
			h.reply("Fix it")
			if len(a.asked) != tc.asked {
				t.Errorf("asked %d times, want %d", len(a.asked), tc.asked)
			}
			for _, q := range a.asked {
				if q.Diff == "" || q.Summary == "" || q.Policy != tc.policy || q.Always != (tc.policy == ApprovalOnRequest) {
					t.Errorf("question %+v", q)
				}
			}
			var status []string
			for _, c := range h.records("main", KindChange) {
				status = append(status, c.Status)
			}
			if strings.Join(status, " ") != strings.Join(tc.status, " ") {
				t.Errorf("statuses %v, want %v", status, tc.status)
			}
			if outs := h.srv.PatchOutputs(); len(outs) == 0 || !strings.Contains(outs[0].Output, tc.told) {
				t.Errorf("the model was told %+v, want %q", outs, tc.told)
			}
			if tc.status[0] == "refused" && h.file("cache/cache.go") != cacheGo {
				t.Errorf("a refused edit changed the file")
			}
		})
	}
}

// TestApprovalAlwaysAndQuit: "always" covers the session's later edits in
// this process; "quit" refuses the edit and ends the turn as an interrupt
// does, keeping what was said.
func TestApprovalAlwaysAndQuit(t *testing.T) {
	a := &approver{answers: []Decision{AllowSession}}
	h := editHarness(t, model.EngineResponses, Mode{SandboxWorkspaceWrite, ApprovalOnRequest}, a)
	h.srv.Enqueue(openaitest.Reply{Patches: []openaitest.Patch{{Type: "update_file", Path: "cache/cache.go", Diff: fixGet}}}, openaitest.Reply{Text: "one"})
	h.reply("Fix Get")
	h.srv.Enqueue(openaitest.Reply{Patches: []openaitest.Patch{{Type: "delete_file", Path: "AGENTS.md"}}}, openaitest.Reply{Text: "two"})
	h.reply("Also: drop AGENTS.md")
	if len(a.asked) != 1 {
		t.Errorf("asked %d times, want 1", len(a.asked))
	}
	changes := h.records("main", KindChange)
	if len(changes) != 2 || changes[0].Approval != ApprovedByUser || changes[1].Approval != ApprovedBySession || changes[1].Status != ChangeApplied {
		t.Errorf("changes %+v", changes)
	}

	q := &approver{answers: []Decision{Quit}}
	h = editHarness(t, model.EngineResponses, Mode{SandboxWorkspaceWrite, ApprovalOnRequest}, q)
	h.srv.Enqueue(openaitest.Reply{Text: "Patching now.", Patches: []openaitest.Patch{{Type: "update_file", Path: "cache/cache.go", Diff: fixGet}}}, openaitest.Reply{Text: "never sent"})
	_, err := h.eng.Reply(context.Background(), ReplyOptions{Target: Target{Topic: "main"}, Message: "Fix Get"})
	if !errors.Is(err, context.Canceled) || !errors.Is(err, ErrInterrupted) {
		t.Fatalf("quit: %v, want an interruption", err)
	}
	answers := h.records("main", KindAnswer)
	last := answers[len(answers)-1]
	if last.Status != StatusIncomplete || last.Text != "Patching now." {
		t.Errorf("answer after quit: %s %q", last.Status, last.Text)
	}
	if c := h.records("main", KindChange); len(c) != 1 || c[0].Status != ChangeRefused || h.file("cache/cache.go") != cacheGo {
		t.Errorf("changes after quit %+v", c)
	}
}

// TestUndo: undo restores what the newest turn that changed files changed,
// records itself, refuses to run twice, and refuses — naming the files and
// changing nothing — when a file was edited after the turn.
func TestUndo(t *testing.T) {
	h := editHarness(t, model.EngineResponses, Mode{SandboxWorkspaceWrite, ApprovalNever}, &approver{})
	ctx := context.Background()
	h.srv.Enqueue(openaitest.Reply{Patches: []openaitest.Patch{
		{Type: "update_file", Path: "cache/cache.go", Diff: fixGet},
		{Type: "create_file", Path: "cache/new.go", Diff: "+package cache\n"},
		{Type: "delete_file", Path: "AGENTS.md"},
	}}, openaitest.Reply{Text: "done"})
	h.reply("Fix Get")
	agents := strings.Repeat("Run go test ./... before you finish.\n", 100)
	h.reply("Thanks") // a later turn that changes nothing

	res, err := h.eng.Undo(ctx, UndoOptions{Target: Target{Topic: "main"}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Turn != 2 || len(res.Restored) != 3 {
		t.Errorf("undo result %+v", res)
	}
	if h.file("cache/cache.go") != cacheGo || h.file("AGENTS.md") != agents {
		t.Errorf("files not restored: %q", h.file("cache/cache.go"))
	}
	if _, err := os.Stat(filepath.Join(h.repo.dir, "cache/new.go")); !os.IsNotExist(err) {
		t.Errorf("created file not removed: %v", err)
	}
	var undone []string
	for _, c := range h.records("main", KindChange) {
		if c.Undo != "" {
			undone = append(undone, c.Op+" "+c.Path)
		}
	}
	if strings.Join(undone, ", ") != "update_file cache/cache.go, delete_file cache/new.go, create_file AGENTS.md" {
		t.Errorf("undo records: %v", undone)
	}
	if _, err := h.eng.Undo(ctx, UndoOptions{Target: Target{Topic: "main"}}); !errors.Is(err, ErrNothingToUndo) {
		t.Errorf("second undo: %v", err)
	}
	if _, err := h.eng.Undo(ctx, UndoOptions{Target: Target{Topic: "main"}, Turn: 2}); !errors.Is(err, ErrNothingToUndo) || !strings.Contains(err.Error(), "undone") {
		t.Errorf("undo of an undone turn: %v", err)
	}

	// A turn whose files the user edited afterwards is not undone.
	h.srv.Enqueue(openaitest.Reply{Patches: []openaitest.Patch{
		{Type: "update_file", Path: "cache/new2.go", Diff: "@@\n"}, // gone: undone
		{Type: "create_file", Path: "cache/util.go", Diff: "+package cache\n"},
		{Type: "create_file", Path: "notes.md", Diff: "+notes\n"},
		{Type: "update_file", Path: "notes.md", Diff: "@@\n-notes\n+notes, again\n"},
	}}, openaitest.Reply{Text: "again"})
	h.reply("Fix Get again")
	os.WriteFile(filepath.Join(h.repo.dir, "cache/util.go"), []byte("package cache // mine\n"), 0o644)
	os.Remove(filepath.Join(h.repo.dir, "notes.md"))
	_, err = h.eng.Undo(ctx, UndoOptions{Target: Target{Topic: "main"}})
	if !errors.Is(err, worktree.ErrUndoConflict) || !strings.Contains(err.Error(), "cache/util.go (edited since") || !strings.Contains(err.Error(), "notes.md (deleted since)") {
		t.Fatalf("undo after the user's edits: %v", err)
	}
	if h.file("cache/util.go") != "package cache // mine\n" {
		t.Errorf("a refused undo changed files")
	}

	// Contents this clone does not have: the turn that edited cache.go.
	h.srv.Enqueue(openaitest.Reply{ToolCalls: []openaitest.ToolCall{{Name: "read_file", Arguments: `{"path":"cache/cache.go"}`}}},
		openaitest.Reply{Patches: []openaitest.Patch{{Type: "update_file", Path: "cache/cache.go", Diff: fixGet}}}, openaitest.Reply{Text: "third"})
	h.reply("Fix Get a third time")
	if h.file("cache/cache.go") != cacheFixed {
		t.Fatalf("the third fix did not apply: %q", h.file("cache/cache.go"))
	}
	h.repo.mu.Lock()
	h.repo.blobs = nil
	h.repo.mu.Unlock()
	if _, err := h.eng.Undo(ctx, UndoOptions{Target: Target{Topic: "main"}}); !errors.Is(err, ErrBlobsElsewhere) || !strings.Contains(err.Error(), "another clone") {
		t.Errorf("undo without the blobs: %v", err)
	}
}

// TestUndoAfterGC: in a real repository the contents a turn changed survive
// `git gc --prune=now` (the topic's blob ref keeps them), so the turn can
// still be undone.
func TestUndoAfterGC(t *testing.T) {
	repo := newGitRepo(t)
	dir := repo.WorkTree()
	srv := openaitest.New(t)
	eng := &Engine{Store: repo.Notes(), Repo: repo, Out: textOutput{},
		Config: model.Config{Engine: model.EngineResponses, BaseURL: srv.URL(), Model: "test-model"}}
	ctx := context.Background()
	before, _ := os.ReadFile(filepath.Join(dir, "cache/cache.go"))
	srv.Enqueue(openaitest.Reply{Text: "opened"}, openaitest.Reply{Patches: []openaitest.Patch{
		{Type: "update_file", Path: "cache/cache.go", Diff: "@@\n-// The cache keeps entries in memory and evicts the least recently used one.\n+// rewritten\n"},
	}}, openaitest.Reply{Text: "done"})
	if _, err := eng.Delegate(ctx, DelegateOptions{Topic: "main", Task: "t", Mode: ModeRequest{Sandbox: SandboxWorkspaceWrite, Approval: ApprovalNever}}); err != nil {
		t.Fatal(err)
	}
	res, err := eng.Reply(ctx, ReplyOptions{Target: Target{Topic: "main"}, Message: "edit"})
	if err != nil || len(res.Changes) != 1 || res.Changes[0].Status != ChangeApplied {
		t.Fatalf("reply: %v %+v", err, res.Changes)
	}
	gittest.Git(t, dir, "gc", "--prune=now", "--quiet")
	if out := gittest.Git(t, dir, "cat-file", "-t", res.Changes[0].Before); out != "blob" {
		t.Fatalf("before blob after gc: %s", out)
	}
	repo2, err := gitstore.Open(dir, os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	defer repo2.Close()
	eng.Repo, eng.Store = repo2, repo2.Notes()
	if _, err := eng.Undo(ctx, UndoOptions{Target: Target{Topic: "main"}}); err != nil {
		t.Fatal(err)
	}
	if after, _ := os.ReadFile(filepath.Join(dir, "cache/cache.go")); string(after) != string(before) {
		t.Errorf("not restored after gc")
	}
}

// TestContextDeltas: a re-read of a file the model still has in its
// context is answered in a line (responses: across turns, from the records
// of earlier turns; chat: within a turn only, since its history replays no
// tool results), and a changed file with a diff.
func TestContextDeltas(t *testing.T) {
	read := openaitest.Reply{ToolCalls: []openaitest.ToolCall{{Name: "read_file", Arguments: `{"path":"cache/cache.go"}`}}}
	for _, engine := range []model.Engine{model.EngineResponses, model.EngineChat} {
		t.Run(string(engine), func(t *testing.T) {
			h := newHarness(t, engine)
			var big strings.Builder
			for i := range 40 {
				fmt.Fprintf(&big, "// line %d of the cache's documentation, long enough to matter.\n", i)
			}
			os.WriteFile(filepath.Join(h.repo.dir, "cache/cache.go"), []byte(cacheGo+big.String()), 0o644)
			h.srv.Enqueue(read, read, openaitest.Reply{Text: "read twice"})
			h.delegate("Read the cache")
			h.srv.Enqueue(read, openaitest.Reply{Text: "read again"})
			h.reply("Again")
			os.WriteFile(filepath.Join(h.repo.dir, "cache/cache.go"), []byte(strings.Replace(cacheGo, "return k", "return k + k", 1)+big.String()), 0o644)
			h.srv.Enqueue(read, openaitest.Reply{Text: "read changed"})
			h.reply("And again")

			var results []string
			for _, a := range h.records("main", KindAnswer) {
				for _, c := range a.ToolCalls {
					results = append(results, c.Result)
				}
			}
			if len(results) != 4 {
				t.Fatalf("%d reads", len(results))
			}
			if !strings.Contains(results[0], "func Get") || !strings.Contains(results[1], "unchanged since you read it in turn 1") {
				t.Errorf("turn 1 reads: %q / %q", results[0], results[1])
			}
			switch engine {
			case model.EngineResponses:
				if !strings.Contains(results[2], "unchanged since you read it in turn 1") || len(results[2]) > 300 {
					t.Errorf("turn 2 re-read: %q", results[2])
				}
				if !strings.Contains(results[3], "changed since you read it in turn") || !strings.Contains(results[3], "+func Get(k string) string { return k + k }") {
					t.Errorf("turn 3 re-read: %q", results[3])
				}
			case model.EngineChat:
				// The chat history holds no tool results: every turn reads anew.
				if !strings.Contains(results[2], "func Get") || !strings.Contains(results[3], "return k + k") || strings.Contains(results[3], "changed since") {
					t.Errorf("chat re-reads across turns: %q / %q", results[2], results[3])
				}
			}
			answers := h.records("main", KindAnswer)
			if seen := answers[0].Seen; len(seen) != 2 || seen[0].Path != "cache/cache.go" || seen[0].Turn != 1 {
				t.Errorf("first answer's seen files %+v", seen)
			}
		})
	}
}

// TestFixConverges: in workspace-write fix runs the command, sends the
// failure, lets the model patch, and runs it again until it passes, with a
// verdict per round; three rounds by default.
func TestFixConverges(t *testing.T) {
	h := editHarness(t, model.EngineResponses, Mode{SandboxWorkspaceWrite, ApprovalNever}, &approver{})
	wrong := "@@\n // Get returns a value.\n-func Get(k string) string { return k }\n+func Get(k string) string { return \"x:\" + k }\n"
	right := "@@\n // Get returns a value.\n-func Get(k string) string { return \"x:\" + k }\n+func Get(k string) string { return \"v:\" + k }\n"
	h.srv.Enqueue(
		openaitest.Reply{Patches: []openaitest.Patch{{Type: "update_file", Path: "cache/cache.go", Diff: wrong}}}, openaitest.Reply{Text: "try 1"},
		openaitest.Reply{Patches: []openaitest.Patch{{Type: "update_file", Path: "cache/cache.go", Diff: right}}}, openaitest.Reply{Text: "try 2"},
	)
	res, err := h.eng.Fix(context.Background(), FixOptions{Target: Target{Topic: "main"}, Command: []string{`grep -q '"v:"' cache/cache.go`}})
	if err != nil || !res.Passed || res.Rounds != 2 || len(res.Answers) != 2 {
		t.Fatalf("fix: %v %+v", err, res)
	}
	if h.file("cache/cache.go") != cacheFixed {
		t.Errorf("cache.go = %q", h.file("cache/cache.go"))
	}
	var verdicts []string
	for _, l := range strings.Split(h.errOut.String(), "\n") {
		if v, ok := strings.CutPrefix(l, "git-codex: verdict: "); ok {
			verdicts = append(verdicts, v)
		}
	}
	want := []string{
		"round 1 of 3: `grep -q '\"v:\"' cache/cache.go` failed (exit 1); the model updated cache/cache.go (+1 -1)",
		"round 2 of 3: `grep -q '\"v:\"' cache/cache.go` failed (exit 1); the model updated cache/cache.go (+1 -1)",
		"after 2 rounds: `grep -q '\"v:\"' cache/cache.go` passes",
	}
	if strings.Join(verdicts, "\n") != strings.Join(want, "\n") {
		t.Errorf("verdicts:\n%s\nwant:\n%s", strings.Join(verdicts, "\n"), strings.Join(want, "\n"))
	}

	// A model that never fixes it: three rounds, then the last run decides.
	h.srv.Enqueue(openaitest.Reply{Text: "no idea"}, openaitest.Reply{Text: "no idea"}, openaitest.Reply{Text: "no idea"})
	res, err = h.eng.Fix(context.Background(), FixOptions{Target: Target{Topic: "main"}, Command: []string{"false"}})
	if !errors.Is(err, ErrFixFailed) || res.Rounds != 3 || !strings.Contains(h.errOut.String(), "after 3 rounds: `false` still fails (exit 1)") {
		t.Errorf("never fixed: %v %+v\n%s", err, res, h.errOut)
	}
}

// TestFixStopsWithoutAnApprover: under on-request with no one to ask, the
// model's changes are refused, and fix stops after the first round instead
// of sending the same failure again.
func TestFixStopsWithoutAnApprover(t *testing.T) {
	h := editHarness(t, model.EngineResponses, Mode{SandboxWorkspaceWrite, ApprovalOnRequest}, &approver{err: ErrNoApprover})
	h.srv.Enqueue(openaitest.Reply{Patches: []openaitest.Patch{{Type: "update_file", Path: "cache/cache.go", Diff: fixGet}}}, openaitest.Reply{Text: "patched"})
	res, err := h.eng.Fix(context.Background(), FixOptions{Target: Target{Topic: "main"}, Command: []string{"false"}})
	if !errors.Is(err, ErrFixFailed) || res.Rounds != 1 || len(res.Answers) != 1 {
		t.Fatalf("fix: %v %+v", err, res)
	}
	if !strings.Contains(h.errOut.String(), "verdict: stopping: the model's edits need approval and there is no terminal to ask on; --approval never applies them without asking") {
		t.Errorf("stderr:\n%s", h.errOut)
	}
	if h.file("cache/cache.go") != cacheGo {
		t.Errorf("the refused edit changed the file")
	}
}

// TestApprovalNeverInReadOnly: never without workspace-write does nothing,
// and says so.
func TestApprovalNeverInReadOnly(t *testing.T) {
	h := newHarness(t, model.EngineResponses)
	if _, err := h.eng.Delegate(context.Background(), DelegateOptions{Topic: "main", Task: "t", Mode: ModeRequest{Approval: ApprovalNever}}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(h.errOut.String(), "--approval never only matters with --sandbox workspace-write") || offersPatch(h.modelRequests()[0]) {
		t.Errorf("stderr:\n%s", h.errOut)
	}
}
