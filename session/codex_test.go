package session

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"

	"github.com/git-codex/git-codex/codexcli"
	"github.com/git-codex/git-codex/gitstore"
	"github.com/git-codex/git-codex/internal/gittest"
	"github.com/git-codex/git-codex/model"
	"github.com/git-codex/git-codex/worktree"
)

// streamsDir holds the event streams recorded from the real Codex CLI
// 0.169.0 (go test ./codexcli -run TestCodexEndToEnd -record).
const streamsDir = "../codexcli/testdata/streams"

// fakeCodexScript stands in for the Codex CLI: it answers --version as
// 0.169.0; otherwise it keeps its arguments and standard input (for the
// test to look at), runs $FAKE_EFFECT (the files Codex would change), and
// replays a recorded run — stdout with /WORKTREE replaced by its working
// directory, stderr, the exit code — chosen by whether it was asked to
// resume a thread ($FAKE_RESUME) or not ($FAKE_NEW). A recording of an
// interrupted run waits for the signal, as Codex does.
const fakeCodexScript = `#!/bin/sh
case "$1" in --version) echo "codex-cli 0.169.0"; exit 0 ;; esac
dir=$FAKE_NEW
[ "$2" = resume ] && dir=$FAKE_RESUME
n=$(cat "$FAKE_LOG/n" 2>/dev/null || echo 0); n=$((n+1)); echo $n > "$FAKE_LOG/n"
printf '%s\n' "$@" > "$FAKE_LOG/args.$n"
cat > "$FAKE_LOG/stdin.$n"
[ -n "$FAKE_EFFECT" ] && sh -c "$FAKE_EFFECT"
sed "s|/WORKTREE|$PWD|g" "$dir/stdout"
cat "$dir/stderr" >&2
if [ -f "$dir/wait" ]; then
	trap 'exit 1' INT TERM
	while :; do sleep 0.05; done
fi
exit $(cat "$dir/exit")
`

// recording is one recorded Codex run, unpacked for the fake.
type recording struct {
	dir   string
	files map[string]string
}

// unpack writes the recording name (from streamsDir) for the fake.
func unpack(t *testing.T, name string) recording {
	t.Helper()
	a, err := txtar.ParseFile(filepath.Join(streamsDir, name+".txtar"))
	if err != nil {
		t.Fatal(err)
	}
	return unpackArchive(t, a)
}

func unpackArchive(t *testing.T, a *txtar.Archive) recording {
	t.Helper()
	r := recording{dir: t.TempDir(), files: map[string]string{}}
	for _, f := range a.Files {
		r.files[f.Name] = string(f.Data)
		if err := os.WriteFile(filepath.Join(r.dir, f.Name), f.Data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if strings.Contains(r.files["request.json"], `"interrupt":true`) {
		if err := os.WriteFile(filepath.Join(r.dir, "wait"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return r
}

// codexHarness is an engine over a real repository whose Codex CLI is the
// fake.
type codexHarness struct {
	t    *testing.T
	dir  string
	repo *gitstore.Repo
	eng  *Engine
	log  string
	out  *recordOutput
	env  map[string]string
}

// recordOutput keeps what the engine reported; cancel, when set, is called
// at the first event of kind cancelAt (Ctrl-C).
type recordOutput struct {
	mu       sync.Mutex
	answer   strings.Builder
	events   []Event
	cancelAt EventKind
	cancel   context.CancelFunc
}

func (o *recordOutput) Delta(text string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.answer.WriteString(text)
}

func (o *recordOutput) Event(ev Event) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.events = append(o.events, ev)
	if o.cancel != nil && ev.Kind == o.cancelAt {
		o.cancel()
	}
}

func (o *recordOutput) Approve(context.Context, Approval) (Decision, error) {
	return Deny, ErrNoApprover
}

// texts returns the texts of the events of kind k.
func (o *recordOutput) texts(k EventKind) []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []string
	for _, ev := range o.events {
		if ev.Kind == k {
			out = append(out, ev.Text)
		}
	}
	return out
}

func newCodexHarness(t *testing.T) *codexHarness {
	t.Helper()
	gittest.Hermetic(t)
	dir := t.TempDir()
	gittest.Git(t, dir, "init", "-q")
	for name, text := range map[string]string{"README.md": "# demo\n", "ARCHITECTURE.md": "# Architecture\n", "AGENTS.md": "# Agents\n", "run.sh": "#!/bin/sh\n"} {
		gittest.WriteFile(t, dir, name, text)
	}
	gittest.Git(t, dir, "add", "-A")
	gittest.Git(t, dir, "commit", "-q", "-m", "initial")
	repo, err := gitstore.Open(dir, os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { repo.Close() })
	fake := filepath.Join(t.TempDir(), "codex")
	if err := os.WriteFile(fake, []byte(fakeCodexScript), 0o755); err != nil {
		t.Fatal(err)
	}
	h := &codexHarness{t: t, dir: dir, repo: repo, log: t.TempDir(), out: &recordOutput{}, env: map[string]string{}}
	h.eng = &Engine{
		Store:  repo.Notes(),
		Repo:   repo,
		Config: model.Config{Engine: EngineCodex, Model: "test-model"},
		Out:    h.out,
		Codex:  CodexConfig{Path: fake},
	}
	return h
}

// use makes the fake replay new for a new thread and resume for a resumed
// one, running effect first.
func (h *codexHarness) use(new, resume recording, effect string) {
	env := os.Environ()
	env = append(env, "FAKE_LOG="+h.log, "FAKE_NEW="+new.dir, "FAKE_RESUME="+resume.dir, "FAKE_EFFECT="+effect)
	h.eng.Codex.Env = env
}

// startSession delegates "Say hello." on topic main, the fake replaying
// first for the new thread and resume for later turns.
func (h *codexHarness) startSession(first, resume recording) Result {
	h.t.Helper()
	h.use(first, resume, "")
	res, err := h.eng.Delegate(context.Background(), DelegateOptions{Topic: "main", Task: "Say hello."})
	if err != nil {
		h.t.Fatal(err)
	}
	return res
}

// received returns the arguments and standard input of the fake's nth run.
func (h *codexHarness) received(n int) (args []string, stdin string) {
	h.t.Helper()
	a, err := os.ReadFile(filepath.Join(h.log, "args."+itoa(n)))
	if err != nil {
		h.t.Fatalf("codex run %d: %v", n, err)
	}
	in, _ := os.ReadFile(filepath.Join(h.log, "stdin."+itoa(n)))
	return strings.Split(strings.TrimSpace(string(a)), "\n"), string(in)
}

func (h *codexHarness) records(kind Kind) []Record {
	h.t.Helper()
	recs, _, err := readRecords(context.Background(), h.repo.Notes(), h.repo, "main")
	if err != nil {
		h.t.Fatal(err)
	}
	var out []Record
	for _, r := range recs {
		if r.Kind == kind {
			out = append(out, r)
		}
	}
	return out
}

func (h *codexHarness) last(kind Kind) Record {
	h.t.Helper()
	recs := h.records(kind)
	if len(recs) == 0 {
		h.t.Fatalf("no %s record", kind)
	}
	return recs[len(recs)-1]
}

func stepTypes(steps []Step) []string {
	var out []string
	for _, s := range steps {
		out = append(out, s.Type)
	}
	return out
}

// TestCodexRecordedTurns drives sessions through the codex engine with
// Codex's recorded event streams and checks the records they become: the
// thread chain, each message, reasoning, commands with exit codes and
// output, MCP calls, the turn's own usage (Codex reports a resumed thread's
// running total), Codex's errors, the prompt and arguments Codex got.
func TestCodexRecordedTurns(t *testing.T) {
	h := newCodexHarness(t)
	first, resume, command := unpack(t, "first_turn"), unpack(t, "resume"), unpack(t, "command")
	ctx := context.Background()

	h.use(first, first, "")
	res, err := h.eng.Delegate(ctx, DelegateOptions{Topic: "main", Task: "Say hello."})
	if err != nil {
		t.Fatal(err)
	}
	const thread = "01a2326a-f443-72f3-b654-6b717e839e55"
	a := h.last(KindAnswer)
	if a.Text != "Hello from the loopback model." || a.Thread != thread || a.Status != StatusComplete ||
		*a.Usage != (Usage{Input: 9933, Output: 14}) || *a.ThreadUsage != *a.Usage || a.Model != "test-model" {
		t.Errorf("first answer = %+v", a)
	}
	if got, want := stepTypes(a.Steps), []string{"error", "reasoning", "agent_message"}; !slices.Equal(got, want) {
		t.Errorf("steps = %q, want %q", got, want)
	}
	if a.Steps[1].Text != "The user wants a greeting." {
		t.Errorf("reasoning step = %+v", a.Steps[1])
	}
	if ev := h.last(KindEvent); ev.Event != RecordThread || ev.Thread != thread || ev.Turn != res.Turn || ev.Text != "new Codex thread: the session's first turn" {
		t.Errorf("thread event = %+v", ev)
	}
	args, stdin := h.received(1)
	if !strings.Contains(stdin, "## Task\nSay hello.") || slices.Contains(args, "resume") || !slices.Contains(args, "--json") ||
		!slices.Contains(args, "read-only") || args[len(args)-1] != "-" {
		t.Errorf("codex got %q and the prompt %q", args, stdin)
	}
	if h.out.answer.String() != "Hello from the loopback model." {
		t.Errorf("streamed answer %q", h.out.answer.String())
	}
	if w := h.out.texts(EventWarning); len(w) != 1 || !strings.Contains(w[0], "codex: Model metadata for `test-model` not found") {
		t.Errorf("warnings %q, want Codex's error item once", w)
	}

	// A reply resumes the thread; the usage recorded is the turn's own.
	h.use(first, resume, "")
	if _, err := h.eng.Reply(ctx, ReplyOptions{Target: Target{Topic: "main"}, Message: "And a second answer, please."}); err != nil {
		t.Fatal(err)
	}
	a = h.last(KindAnswer)
	args, stdin = h.received(2)
	if i := slices.Index(args, "resume"); i != 1 || args[len(args)-2] != thread || stdin != "And a second answer, please." {
		t.Errorf("codex got %q and %q; want a resume of %s with the message alone", args, stdin, thread)
	}
	if a.Text != "Second answer, same thread." || a.Thread != thread || *a.ThreadUsage != (Usage{Input: 19985, Output: 21}) ||
		*a.Usage != (Usage{Input: 19985 - 9933, Output: 21 - 14}) {
		t.Errorf("resumed answer = %+v usage %+v of %+v", a, *a.Usage, *a.ThreadUsage)
	}
	if n := len(h.records(KindEvent)); n != 1 {
		t.Errorf("%d events after a resume, want the first thread's only", n)
	}

	// Commands: their exit codes and output, shown as they run.
	h.use(first, command, "")
	if _, err := h.eng.Reply(ctx, ReplyOptions{Target: Target{Topic: "main"}, Message: "Run two commands."}); err != nil {
		t.Fatal(err)
	}
	a = h.last(KindAnswer)
	var cmds []Step
	for _, s := range a.Steps {
		if s.Type == codexcli.ItemCommand {
			cmds = append(cmds, s)
		}
	}
	if len(cmds) != 2 || *cmds[0].Exit != 0 || cmds[0].Output != "hello from a command\n" || cmds[0].Status != "completed" ||
		*cmds[1].Exit != 2 || !strings.Contains(cmds[1].Output, "cannot access 'does-not-exist'") || cmds[1].Status != "failed" {
		t.Errorf("command steps = %+v", cmds)
	}
	if a.Text != "Running a command.\n\nThe second command failed." {
		t.Errorf("answer text %q", a.Text)
	}
	if got, want := h.out.texts(EventStep), []string{"$ echo hello from a command", "$ ls does-not-exist", "exit 2: ls does-not-exist"}; !slices.Equal(got, want) {
		t.Errorf("steps shown %q, want %q", got, want)
	}
}

// TestCodexFileChanges checks the change records of Codex's patches: the
// content before the turn (the uncommitted content when the file was dirty,
// HEAD's when it was clean, nothing for a new file), the diff and blob ids
// as the edit tool records them, the blobs kept for undo — and undo.
func TestCodexFileChanges(t *testing.T) {
	h := newCodexHarness(t)
	ctx := context.Background()
	rec := unpack(t, "file_change")
	// README.md is dirty before the turn; notes.txt does not exist.
	gittest.WriteFile(t, h.dir, "README.md", "# demo, uncommitted\n")
	h.use(rec, rec, `printf '# demo, edited by codex\n' > README.md; printf 'first note\nsecond note\n' > notes.txt`)
	_, err := h.eng.Delegate(ctx, DelegateOptions{Topic: "main", Task: "Add notes and edit the README.",
		Mode: ModeRequest{Sandbox: SandboxWorkspaceWrite, Approval: ApprovalNever}})
	if err != nil {
		t.Fatal(err)
	}
	args, _ := h.received(1)
	if i := slices.Index(args, "--sandbox"); i < 0 || args[i+1] != "workspace-write" {
		t.Errorf("codex got %q, want --sandbox workspace-write", args)
	}
	changes := h.records(KindChange)
	if len(changes) != 2 {
		t.Fatalf("%d change records, want 2: %+v", len(changes), changes)
	}
	byPath := map[string]Record{}
	for _, c := range changes {
		byPath[c.Path] = c
	}
	readme, notes := byPath["README.md"], byPath["notes.txt"]
	blob := func(s string) string { return worktree.BlobID(worktree.SHA1, []byte(s)) }
	if readme.Op != "update_file" || readme.Status != ChangeApplied || readme.Approval != ApprovedByCodex ||
		readme.Before != blob("# demo, uncommitted\n") || readme.After != blob("# demo, edited by codex\n") ||
		!strings.Contains(readme.Diff, "-# demo, uncommitted\n+# demo, edited by codex\n") || readme.Text != "updated README.md (+1 -1)" ||
		readme.ModeBefore != "100644" || readme.CallID != "item_2" {
		t.Errorf("README.md change = %+v", readme)
	}
	if notes.Op != "create_file" || notes.Before != "" || notes.After != blob("first note\nsecond note\n") || notes.Text != "created notes.txt (2 lines)" {
		t.Errorf("notes.txt change = %+v", notes)
	}
	for _, id := range []string{readme.Before, readme.After, notes.After} {
		if _, err := h.repo.ReadBlob(ctx, id); err != nil {
			t.Errorf("blob %s not kept: %v", id, err)
		}
	}
	if got := h.out.texts(EventEdit); !slices.Equal(got, []string{"codex changed update README.md, add notes.txt"}) {
		t.Errorf("edits shown %q", got)
	}

	// Undo gives back what the files held before the turn.
	if _, err := h.eng.Undo(ctx, UndoOptions{Target: Target{Topic: "main"}}); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(h.dir, "README.md")); string(b) != "# demo, uncommitted\n" {
		t.Errorf("README.md after undo = %q", b)
	}
	if _, err := os.Stat(filepath.Join(h.dir, "notes.txt")); !os.IsNotExist(err) {
		t.Errorf("notes.txt after undo: %v, want it gone", err)
	}
}

// TestCodexFileChangesBefore covers what a changed file held before the turn
// in the other cases: HEAD's content when it was clean, unknown when git
// ignores it (git status does not list it), unknown in a read-only turn
// (no snapshot taken), none when Codex changed it back.
func TestCodexFileChangesBefore(t *testing.T) {
	stream := func(kind, path string) *txtar.Archive {
		return &txtar.Archive{Files: []txtar.File{
			{Name: "stdout", Data: []byte(`{"type":"thread.started","thread_id":"01a2326a-f919-70d0-8579-f20715dced7b"}
{"type":"turn.started"}
{"type":"item.completed","item":{"id":"item_1","type":"file_change","changes":[{"path":"/WORKTREE/` + path + `","kind":"` + kind + `"}],"status":"completed"}}
{"type":"item.completed","item":{"id":"item_2","type":"agent_message","text":"Done."}}
{"type":"turn.completed","usage":{"input_tokens":10,"cached_input_tokens":0,"output_tokens":2}}
`)},
			{Name: "stderr"}, {Name: "exit", Data: []byte("0\n")},
		}}
	}
	tests := []struct {
		name, setup, effect, kind, path string
		sandbox                         string
		status, before, why             string
	}{
		{"clean file: HEAD's content", "", `printf '#!/bin/sh\necho hi\n' > run.sh`, "update", "run.sh",
			SandboxWorkspaceWrite, ChangeApplied, "#!/bin/sh\n", ""},
		{"ignored file", `printf 'debug.log\n' > .git/info/exclude; printf 'old\n' > debug.log`, `printf 'new\n' > debug.log`, "update", "debug.log",
			SandboxWorkspaceWrite, ChangeUnknown, "", "git ignores it"},
		{"read-only turn", "", `printf 'x\n' > README.md`, "update", "README.md",
			SandboxReadOnly, ChangeUnknown, "", "the turn was read-only"},
		{"a secret file", "", `printf 'KEY=1\n' > .env`, "add", ".env",
			SandboxWorkspaceWrite, ChangeUnknown, "", "secret deny list"},
		{"changed back", "", `printf '# demo\n' > README.md`, "update", "README.md",
			SandboxWorkspaceWrite, "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newCodexHarness(t)
			if tt.setup != "" {
				cmdRun(t, h.dir, tt.setup)
			}
			rec := unpackArchive(t, stream(tt.kind, tt.path))
			h.use(rec, rec, tt.effect)
			if _, err := h.eng.Delegate(context.Background(), DelegateOptions{Topic: "main", Task: "Change it.",
				Mode: ModeRequest{Sandbox: tt.sandbox, Approval: ApprovalNever}}); err != nil {
				t.Fatal(err)
			}
			changes := h.records(KindChange)
			if tt.status == "" {
				if len(changes) != 0 {
					t.Errorf("a file changed back got records: %+v", changes)
				}
				return
			}
			if len(changes) != 1 {
				t.Fatalf("%d change records, want 1", len(changes))
			}
			c := changes[0]
			if c.Status != tt.status || c.Path != tt.path || !strings.Contains(c.Error, tt.why) {
				t.Errorf("change = %+v", c)
			}
			if tt.before != "" && c.Before != worktree.BlobID(worktree.SHA1, []byte(tt.before)) {
				t.Errorf("before blob %s, want HEAD's %q", c.Before, tt.before)
			}
			if tt.status == ChangeUnknown && (c.Before != "" || c.After != "" || c.Diff != "") {
				t.Errorf("an unknown change keeps no blobs or diff: %+v", c)
			}
			if tt.status == ChangeUnknown {
				if _, err := h.eng.Undo(context.Background(), UndoOptions{Target: Target{Topic: "main"}}); !errors.Is(err, ErrNothingToUndo) {
					t.Errorf("undo of a turn with unknown changes only: %v, want ErrNothingToUndo", err)
				}
			}
		})
	}
}

func cmdRun(t *testing.T, dir, script string) {
	t.Helper()
	cmd := exec.Command("sh", "-c", script)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", script, err, out)
	}
}

// TestCodexRestart: a resume of a thread this machine lacks restarts in a
// new thread whose first message is rebuilt from the transcript in git,
// recorded as a restart event and a new thread event.
func TestCodexRestart(t *testing.T) {
	h := newCodexHarness(t)
	ctx := context.Background()
	first := unpack(t, "first_turn")
	h.use(first, first, "")
	if _, err := h.eng.Delegate(ctx, DelegateOptions{Topic: "main", Task: "Say hello."}); err != nil {
		t.Fatal(err)
	}
	restart := unpack(t, "restart")
	h.use(restart, unpack(t, "no_rollout"), "")
	newThread := strings.TrimSuffix(strings.TrimPrefix(strings.SplitN(restart.files["stdout"], "\n", 2)[0], `{"type":"thread.started","thread_id":"`), `"}`)
	res, err := h.eng.Reply(ctx, ReplyOptions{Target: Target{Topic: "main"}, Message: "Continue."})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Restarted || res.Text != "Continuing in a new thread." {
		t.Errorf("reply = %+v, want a restart", res)
	}
	if args, stdin := h.received(2); args[1] != "resume" || stdin != "Continue." {
		t.Errorf("first try %q with %q, want a resume with the message alone", args, stdin)
	}
	args, stdin := h.received(3)
	if slices.Contains(args, "resume") || !strings.Contains(stdin, "rebuilt below from the record kept in git") ||
		!strings.Contains(stdin, "Say hello.") || !strings.Contains(stdin, "Hello from the loopback model.") || !strings.HasSuffix(stdin, "Continue.") {
		t.Errorf("restart: codex got %q and %q", args, stdin)
	}
	evs := h.records(KindEvent)
	if len(evs) != 3 || evs[1].Event != RecordRestart || !strings.Contains(evs[1].Text, "no rollout found for thread id") ||
		evs[2].Event != RecordThread || evs[2].Thread != newThread || !strings.HasPrefix(evs[2].Text, "new Codex thread: restart: Codex thread 01a2326a-f443") {
		t.Errorf("events = %+v", evs)
	}
	s, err := h.eng.Load(ctx, "main", "")
	if err != nil {
		t.Fatal(err)
	}
	if th := s.Threads(); len(th) != 2 || th[0].Thread != "01a2326a-f443-72f3-b654-6b717e839e55" || th[1].Thread != evs[2].Thread {
		t.Errorf("thread chain %+v", th)
	}
	if got := h.out.texts(EventRestart); len(got) != 1 || !strings.Contains(got[0], "is not on this machine; continuing in a new thread") {
		t.Errorf("restart told %q", got)
	}
}

// TestCodexFailures: a failed turn, Ctrl-C and an unknown event type, each
// stored with what arrived.
func TestCodexFailures(t *testing.T) {
	t.Run("turn failed", func(t *testing.T) {
		h := newCodexHarness(t)
		rec := unpack(t, "turn_failed")
		h.use(rec, rec, "")
		_, err := h.eng.Delegate(context.Background(), DelegateOptions{Topic: "main", Task: "This request is refused."})
		var se *SendError
		if !errors.Is(err, codexcli.ErrTurnFailed) || !errors.As(err, &se) {
			t.Fatalf("error %v, want a SendError wrapping ErrTurnFailed", err)
		}
		a := h.last(KindAnswer)
		if a.Status != StatusError || !strings.Contains(a.Error, "Invalid value for 'input': scripted bad request.") || a.Usage != nil {
			t.Errorf("answer = %+v", a)
		}
		if w := h.out.texts(EventWarning); !slices.ContainsFunc(w, func(s string) bool {
			return s == "codex: Invalid value for 'input': scripted bad request."
		}) {
			t.Errorf("warnings %q: Codex's error event shortened to its message", w)
		}
	})
	t.Run("interrupted", func(t *testing.T) {
		h := newCodexHarness(t)
		rec := unpack(t, "interrupted")
		h.use(rec, rec, "")
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		h.out.cancelAt, h.out.cancel = EventStep, cancel
		_, err := h.eng.Delegate(ctx, DelegateOptions{Topic: "main", Task: "Run something slow.",
			Mode: ModeRequest{Sandbox: SandboxWorkspaceWrite, Approval: ApprovalNever}})
		if !errors.Is(err, context.Canceled) || !errors.Is(err, ErrInterrupted) {
			t.Fatalf("error %v, want an interruption", err)
		}
		a := h.last(KindAnswer)
		if a.Status != StatusIncomplete || a.Text != "Starting a slow command." || a.Thread != "01a2326a-f919-70d0-8579-f20715dced7b" {
			t.Errorf("answer = %+v", a)
		}
		if st := a.Steps[len(a.Steps)-1]; st.Type != codexcli.ItemCommand || st.Status != codexcli.StatusInProgress || st.Exit != nil {
			t.Errorf("last step %+v, want the command still running", st)
		}
	})
	t.Run("unknown event types", func(t *testing.T) {
		h := newCodexHarness(t)
		rec := unpackArchive(t, &txtar.Archive{Files: []txtar.File{
			{Name: "stdout", Data: []byte(`{"type":"thread.started","thread_id":"01a2326a-f919-70d0-8579-f20715dced7b"}
{"type":"turn.started"}
{"type":"session.configured","model":"x"}
{"type":"session.configured","model":"y"}
{"type":"item.completed","item":{"id":"item_1","type":"image_generation","prompt":"a cat"}}
{"type":"item.completed","item":{"id":"item_2","type":"agent_message","text":"Done."}}
{"type":"turn.completed","usage":{"input_tokens":10,"cached_input_tokens":0,"output_tokens":2}}
`)}, {Name: "stderr"}, {Name: "exit", Data: []byte("0\n")},
		}})
		h.use(rec, rec, "")
		if _, err := h.eng.Delegate(context.Background(), DelegateOptions{Topic: "main", Task: "Go."}); err != nil {
			t.Fatal(err)
		}
		a := h.last(KindAnswer)
		if got, want := stepTypes(a.Steps), []string{"image_generation", "agent_message", "event", "event"}; !slices.Equal(got, want) {
			t.Errorf("steps %q, want %q", got, want)
		}
		if a.Steps[0].Raw != `{"id":"item_1","type":"image_generation","prompt":"a cat"}` || a.Steps[2].Text != "session.configured" ||
			a.Steps[2].Raw != `{"type":"session.configured","model":"x"}` {
			t.Errorf("unknown steps %+v", a.Steps)
		}
		w := h.out.texts(EventWarning)
		if n := len(slices.DeleteFunc(slices.Clone(w), func(s string) bool { return !strings.Contains(s, "unknown codex event") })); n != 2 {
			t.Errorf("warnings %q, want one per unknown type", w)
		}
	})
}

// TestCodexMCPStep: an MCP tool call is kept with its server, tool,
// arguments and result; a refused one with its error.
func TestCodexMCPStep(t *testing.T) {
	for _, tt := range []struct {
		name, status, result, err string
	}{
		{"mcp_tool_call", "completed", `"text":"echo: ping"`, ""},
		{"mcp_denied", "failed", "", "requires approval"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := newCodexHarness(t)
			rec := unpack(t, tt.name)
			h.use(rec, rec, "")
			if _, err := h.eng.Delegate(context.Background(), DelegateOptions{Topic: "main", Task: "Echo ping."}); err != nil {
				t.Fatal(err)
			}
			var call *Step
			for _, s := range h.last(KindAnswer).Steps {
				if s.Type == codexcli.ItemMCPToolCall {
					call = &s
				}
			}
			if call == nil || call.Server != "echo" || call.Tool != "echo" || call.Args != `{"text":"ping"}` || call.Status != tt.status ||
				!strings.Contains(call.Output, tt.result) || !strings.Contains(call.Error, tt.err) || (tt.err == "") != (call.Error == "") {
				t.Errorf("MCP step = %+v", call)
			}
			if got := h.out.texts(EventStep); len(got) == 0 || got[0] != "mcp: echo.echo" {
				t.Errorf("steps shown %q", got)
			}
		})
	}
}

// TestCodexStepsBounded: a turn keeps its messages and at most maxSteps
// other items, and counts the rest.
func TestCodexStepsBounded(t *testing.T) {
	e := &Engine{}
	run := &codexcli.Turn{}
	for i := 0; i < maxSteps+10; i++ {
		run.Items = append(run.Items, codexcli.Item{ID: "c" + itoa(i), Type: codexcli.ItemCommand, Command: "true", Status: "completed"})
	}
	run.Items = append(run.Items, codexcli.Item{ID: "m", Type: codexcli.ItemAgentMessage, Text: "Done."})
	steps := e.steps(run)
	if len(steps) != maxSteps+2 || steps[maxSteps].Text != "Done." || steps[maxSteps+1].Type != StepOmitted ||
		!strings.HasPrefix(steps[maxSteps+1].Text, "10 more items not kept") {
		t.Errorf("%d steps, last %+v %+v", len(steps), steps[len(steps)-2], steps[len(steps)-1])
	}
}

// TestCodexTurnUpdatesIndex: once a Codex turn is stored, the session
// index file already covers the notes it wrote (the next reply reads no
// note it does not need), and an engine reading through it sees the turn.
func TestCodexTurnUpdatesIndex(t *testing.T) {
	h := newCodexHarness(t)
	ctx := context.Background()
	h.startSession(unpack(t, "first_turn"), unpack(t, "resume"))
	res, err := h.eng.Reply(ctx, ReplyOptions{Target: Target{Topic: "main"}, Message: "And a second answer, please."})
	if err != nil {
		t.Fatal(err)
	}
	st := h.repo.Notes() // the harness engine's store
	srcs, err := st.Sources(ctx, "main")
	if err != nil {
		t.Fatal(err)
	}
	ix := loadSessionIndex(st)
	var heads []gitstore.NotesSource
	if te := ix.Topics["main"]; te != nil {
		heads = te.Heads
	}
	if !slices.Equal(heads, srcs["main"]) {
		t.Fatalf("the index entry of topic main covers %+v, want %+v", heads, srcs["main"])
	}
	eng := &Engine{Store: st, Repo: h.repo}
	s, err := eng.Load(ctx, "main", "")
	if err != nil {
		t.Fatal(err)
	}
	if n := len(s.Turns); n != 2 || s.Turns[1].Record.ID != res.Turn || s.Turns[1].Answer == nil || s.Turns[1].Answer.ID != res.Answer {
		t.Errorf("session through the index: %d turns, last %+v; want the reply %s answered by %s", n, s.Turns[n-1], res.Turn, res.Answer)
	}
	if eng.idx.work != 0 || eng.idx.changed {
		t.Errorf("loading the session read %d notes and changed the index (%v); want it current", eng.idx.work, eng.idx.changed)
	}
}
