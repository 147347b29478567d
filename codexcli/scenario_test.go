package codexcli_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/git-codex/git-codex/codexcli"
	"github.com/git-codex/git-codex/internal/codextest"
	"github.com/git-codex/git-codex/internal/openaitest"
)

// A scenario is one Codex turn of the end-to-end sequence. TestCodexEndToEnd
// runs them in order with the real Codex CLI (and -record writes each run's
// stream to testdata/streams/NAME.txtar); TestRecordedStreams and
// TestRunReplay check the recordings against the same expectations.
type scenario struct {
	name   string
	prompt string
	// resume names the earlier scenario whose thread this turn resumes.
	resume  string
	sandbox string
	// config gives extra -c overrides; self is the test binary's path.
	config func(self string) []string
	// wipe empties CODEX_HOME first: this machine forgets every thread.
	wipe bool
	// replies and fault script the model server.
	replies []openaitest.Reply
	fault   *openaitest.Fault
	// interruptAt, when set, cancels the turn at the first event it
	// matches (Ctrl-C).
	interruptAt func(codexcli.Event) bool
	want        want
}

// want is what the turn must show, real or replayed.
type want struct {
	status    string
	err       error // a sentinel (or context.Canceled); nil for success
	resumed   bool
	messages  []string
	reasoning []string
	commands  []wantCommand
	changes   []codexcli.FileChange // Path is ignored: it is absolute
	mcp       []wantMCP
	// errorContains is a piece of Turn.Error.
	errorContains string
}

// commandStarts and turnStarts are interruption points.
func commandStarts(e codexcli.Event) bool {
	return e.Type == codexcli.EventItemStarted && e.Item.Type == codexcli.ItemCommand
}

func turnStarts(e codexcli.Event) bool { return e.Type == codexcli.EventTurnStarted }

// wantMCP is an MCP tool call; result and error are pieces of its result
// JSON and error message.
type wantMCP struct {
	server, tool, status, result, error string
}

// mcpServer configures the test binary as the MCP server "echo" (see
// mcpServer in mcp_test.go); approve lets Codex call its tool without
// asking, which `codex exec` cannot.
func mcpConfig(approve bool) func(self string) []string {
	return func(self string) []string {
		c := []string{"mcp_servers.echo.command=" + strconv.Quote(self), `mcp_servers.echo.env={` + fakeMCP + `="1"}`}
		if approve {
			c = append(c, `mcp_servers.echo.tools.echo.approval_mode="approve"`)
		}
		return c
	}
}

type wantCommand struct {
	contains string
	status   string
	exit     *int
}

func exit(n int) *int { return &n }

const (
	patchAddUpdate = `*** Begin Patch
*** Add File: notes.txt
+first note
+second note
*** Update File: README.md
@@
-# demo
+# demo, edited by codex
*** End Patch`
	// interruptMarker makes the interrupted command findable in the process
	// list: the shell stays (the echo after sleep), carrying it.
	interruptMarker = "codexcli-interrupt-marker"
)

var scenarios = []scenario{
	{
		name:   "first_turn",
		prompt: "Say hello.",
		replies: []openaitest.Reply{{
			Reasoning: "The user wants a greeting.",
			Text:      "Hello from the loopback model.",
		}},
		want: want{status: codexcli.TurnCompleted,
			messages:  []string{"Hello from the loopback model."},
			reasoning: []string{"The user wants a greeting."}},
	},
	{
		name:    "resume",
		prompt:  "And a second answer, please.",
		resume:  "first_turn",
		replies: []openaitest.Reply{{Text: "Second answer, same thread."}},
		want:    want{status: codexcli.TurnCompleted, resumed: true, messages: []string{"Second answer, same thread."}},
	},
	{
		name:   "command",
		prompt: "Run two commands.",
		resume: "first_turn",
		replies: []openaitest.Reply{
			{Text: "Running a command.", ToolCalls: []openaitest.ToolCall{codextest.Shell("echo hello from a command")}},
			{ToolCalls: []openaitest.ToolCall{codextest.Shell("ls does-not-exist")}},
			{Text: "The second command failed."},
		},
		want: want{status: codexcli.TurnCompleted, resumed: true,
			messages: []string{"Running a command.", "The second command failed."},
			commands: []wantCommand{
				{contains: "echo hello from a command", status: codexcli.StatusCompleted, exit: exit(0)},
				{contains: "ls does-not-exist", status: codexcli.StatusFailed, exit: exit(2)},
			}},
	},
	{
		name:    "file_change",
		prompt:  "Add notes and edit the README.",
		sandbox: codexcli.SandboxWorkspaceWrite,
		replies: []openaitest.Reply{
			{Text: "Editing two files.", ToolCalls: []openaitest.ToolCall{codextest.ApplyPatch(patchAddUpdate)}},
			{Text: "Edited README.md and added notes.txt."},
		},
		want: want{status: codexcli.TurnCompleted,
			messages: []string{"Editing two files.", "Edited README.md and added notes.txt."},
			changes:  []codexcli.FileChange{{Rel: "README.md", Kind: "update"}, {Rel: "notes.txt", Kind: "add"}}},
	},
	{
		name:   "mcp_tool_call",
		prompt: "Echo ping through the MCP tool.",
		config: mcpConfig(true),
		replies: []openaitest.Reply{
			{Text: "Calling the echo tool.", ToolCalls: []openaitest.ToolCall{codextest.MCPCall("echo", "echo", `{"text":"ping"}`)}},
			{Text: "The tool said: echo: ping."},
		},
		want: want{status: codexcli.TurnCompleted,
			messages: []string{"Calling the echo tool.", "The tool said: echo: ping."},
			mcp:      []wantMCP{{server: "echo", tool: "echo", status: codexcli.StatusCompleted, result: `"text":"echo: ping"`}}},
	},
	{
		name:   "mcp_denied",
		prompt: "Echo ping through the MCP tool, not approved.",
		config: mcpConfig(false),
		replies: []openaitest.Reply{
			{ToolCalls: []openaitest.ToolCall{codextest.MCPCall("echo", "echo", `{"text":"ping"}`)}},
			{Text: "The call was refused."},
		},
		want: want{status: codexcli.TurnCompleted,
			messages: []string{"The call was refused."},
			mcp:      []wantMCP{{server: "echo", tool: "echo", status: codexcli.StatusFailed, error: "requires approval"}}},
	},
	{
		name:   "turn_failed",
		prompt: "This request is refused.",
		fault:  &openaitest.Fault{Kind: openaitest.FaultBadRequest},
		want: want{status: codexcli.TurnFailed, err: codexcli.ErrTurnFailed,
			errorContains: "Invalid value for 'input': scripted bad request."},
	},
	{
		name:   "interrupted",
		prompt: "Run something slow.",
		resume: "file_change",
		replies: []openaitest.Reply{
			{Text: "Starting a slow command.", ToolCalls: []openaitest.ToolCall{codextest.Shell("echo started; sleep 47; echo " + interruptMarker)}},
		},
		interruptAt: commandStarts,
		want: want{status: codexcli.TurnInterrupted, err: context.Canceled, resumed: true,
			messages: []string{"Starting a slow command."},
			commands: []wantCommand{{contains: "sleep 47", status: codexcli.StatusInProgress}}},
	},
	{
		name:        "interrupted_waiting",
		prompt:      "Take your time.",
		resume:      "file_change",
		fault:       &openaitest.Fault{Kind: openaitest.FaultStall},
		interruptAt: turnStarts,
		want:        want{status: codexcli.TurnInterrupted, err: context.Canceled, resumed: true},
	},
	{
		name:    "after_interrupt",
		prompt:  "Never mind, just answer.",
		resume:  "file_change",
		replies: []openaitest.Reply{{Text: "Answering after the interruption."}},
		want:    want{status: codexcli.TurnCompleted, resumed: true, messages: []string{"Answering after the interruption."}},
	},
	{
		name:   "no_rollout",
		prompt: "Continue on a machine that never saw this thread.",
		resume: "first_turn",
		wipe:   true,
		want: want{status: codexcli.TurnIncomplete, err: codexcli.ErrThreadNotFound,
			errorContains: "no rollout found for thread id"},
	},
	{
		name:    "restart",
		prompt:  "Transcript so far, rebuilt from git: Say hello. / Hello from the loopback model.\n\nContinue.",
		replies: []openaitest.Reply{{Text: "Continuing in a new thread."}},
		want:    want{status: codexcli.TurnCompleted, messages: []string{"Continuing in a new thread."}},
	},
}

// check compares a turn and its error with w; prior is the thread's usage
// before the turn.
func (w want) check(t *testing.T, turn *codexcli.Turn, err error, prior codexcli.Usage) {
	t.Helper()
	switch {
	case w.err == nil && err != nil:
		t.Fatalf("unexpected error: %v", err)
	case w.err != nil && !errors.Is(err, w.err):
		t.Fatalf("error = %v, want %v", err, w.err)
	}
	if turn == nil {
		t.Fatal("no turn returned")
	}
	if turn.Status != w.status {
		t.Errorf("status = %q, want %q (error %q, stderr %q)", turn.Status, w.status, turn.Error, turn.Stderr)
	}
	if turn.Resumed != w.resumed {
		t.Errorf("resumed = %v, want %v", turn.Resumed, w.resumed)
	}
	if w.status != codexcli.TurnIncomplete && !isUUID(turn.ThreadID) {
		t.Errorf("thread id %q is not a UUID", turn.ThreadID)
	}
	if got := turn.Messages(); !slices.Equal(got, w.messages) {
		t.Errorf("messages = %q, want %q", got, w.messages)
	}
	var reasoning []string
	for _, it := range turn.ItemsOf(codexcli.ItemReasoning) {
		reasoning = append(reasoning, it.Text)
	}
	if !slices.Equal(reasoning, w.reasoning) {
		t.Errorf("reasoning = %q, want %q", reasoning, w.reasoning)
	}
	cmds := turn.ItemsOf(codexcli.ItemCommand)
	if len(cmds) != len(w.commands) {
		t.Errorf("%d commands, want %d: %+v", len(cmds), len(w.commands), cmds)
	} else {
		for i, c := range w.commands {
			got := cmds[i]
			if !strings.Contains(got.Command, c.contains) || got.Status != c.status || fmt.Sprint(deref(got.ExitCode)) != fmt.Sprint(deref(c.exit)) {
				t.Errorf("command %d = %q %s exit %v, want one containing %q %s exit %v",
					i, got.Command, got.Status, deref(got.ExitCode), c.contains, c.status, deref(c.exit))
			}
		}
	}
	var changes []codexcli.FileChange
	for _, c := range turn.FileChanges() {
		changes = append(changes, codexcli.FileChange{Rel: c.Rel, Kind: c.Kind})
	}
	if !slices.Equal(changes, w.changes) {
		t.Errorf("file changes = %+v, want %+v", changes, w.changes)
	}
	calls := turn.ItemsOf(codexcli.ItemMCPToolCall)
	if len(calls) != len(w.mcp) {
		t.Errorf("%d MCP tool calls, want %d: %+v", len(calls), len(w.mcp), calls)
	} else {
		for i, c := range w.mcp {
			got := calls[i]
			if got.Server != c.server || got.Tool != c.tool || got.Status != c.status || !strings.Contains(string(got.Result), c.result) ||
				!strings.Contains(got.Error, c.error) || (c.error == "") != (got.Error == "") {
				t.Errorf("MCP call %d = %s, want %+v", i, got.Raw, c)
			}
		}
	}
	if !strings.Contains(turn.Error, w.errorContains) {
		t.Errorf("turn error = %q, want it to contain %q", turn.Error, w.errorContains)
	}
	if w.status == codexcli.TurnCompleted {
		if turn.Usage.Input <= 0 || turn.Usage.Output <= 0 {
			t.Errorf("turn usage %+v has no tokens", turn.Usage)
		}
		if want := turn.ThreadUsage.Sub(prior); w.resumed && turn.Usage != want {
			t.Errorf("turn usage = %+v, want the thread's total %+v minus the prior %+v", turn.Usage, turn.ThreadUsage, prior)
		}
		if !w.resumed && turn.Usage != turn.ThreadUsage {
			t.Errorf("new thread: turn usage %+v differs from the thread's %+v", turn.Usage, turn.ThreadUsage)
		}
	}
}

func deref(p *int) any {
	if p == nil {
		return nil
	}
	return *p
}

func isUUID(s string) bool {
	_, err := codexcli.Args(codexcli.Request{ThreadID: s})
	return err == nil
}
