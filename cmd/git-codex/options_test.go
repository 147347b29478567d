package main

import (
	"bytes"
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/git-codex/git-codex/cmd/git-codex/failure"
)

// Table tests from the command line to the options struct, one table per
// command (gh's pkg/cmd/*/*_test.go style): each command is built with a
// runF that captures what it would run with, so nothing else runs.

// parseCase is one command line and what it must give: the options, or a
// usage error whose message contains wantErr.
type parseCase[O any] struct {
	name    string
	args    string // after "git codex <command>", split on spaces; '' is an empty argument
	want    O
	wantErr string
}

// parseWith runs "git codex" plus argv through an app holding the one
// command build makes, and returns the options its runF received (nil when
// it was not called) and the run's error.
func parseWith[O any](t *testing.T, build func(*Env, func(context.Context, *O) error) *cli.Command, argv []string) (*O, error) {
	t.Helper()
	e := newEnv(strings.NewReader(""), &bytes.Buffer{}, &bytes.Buffer{}, func(string) string { return "" })
	var got *O
	cmd := build(e, func(ctx context.Context, o *O) error {
		if ctx == nil {
			t.Error("runF got no context")
		}
		got = o
		return nil
	})
	err := newApp(e, []*cli.Command{cmd}).RunContext(context.Background(), gitStyleArgs(append([]string{"git-codex"}, argv...)))
	return got, err
}

// runTable checks every case of one command.
func runTable[O any](t *testing.T, command string, build func(*Env, func(context.Context, *O) error) *cli.Command, cases []parseCase[O]) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			argv := []string{command}
			if c.args != "" {
				for _, a := range strings.Split(c.args, " ") {
					if a == "''" {
						a = ""
					}
					argv = append(argv, a)
				}
			}
			got, err := parseWith(t, build, argv)
			if c.wantErr != "" {
				if code, _, _ := failure.Classify(err); err == nil || code != failure.ExitUsage || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("git codex %s: err = %v, want a usage error containing %q", strings.Join(argv, " "), err, c.wantErr)
				}
				if got != nil {
					t.Errorf("the command ran despite the usage error: %+v", got)
				}
				return
			}
			if err != nil {
				t.Fatalf("git codex %s: %v", strings.Join(argv, " "), err)
			}
			if got == nil || !reflect.DeepEqual(*got, c.want) {
				t.Errorf("git codex %s:\n got %+v\nwant %+v", strings.Join(argv, " "), got, c.want)
			}
		})
	}
}

func TestListOptions(t *testing.T) {
	runTable(t, "list", newListCommand, []parseCase[ListOptions]{
		{name: "defaults", want: ListOptions{}},
		{name: "topic", args: "-t feature/x --json", want: ListOptions{Topic: "feature/x", JSON: true}},
		{name: "long topic", args: "--topic=x", want: ListOptions{Topic: "x"}},
		{name: "an argument", args: "x", wantErr: "list takes no arguments"},
		{name: "empty topic", args: "--topic=", wantErr: "--topic needs a non-empty value"},
	})
}

func TestShowOptions(t *testing.T) {
	runTable(t, "show", newShowCommand, []parseCase[ShowOptions]{
		{name: "defaults", want: ShowOptions{}},
		{name: "id or topic", args: "01JD3", want: ShowOptions{Arg: "01JD3"}},
		{name: "flags", args: "-t main -s 01JD --json", want: ShowOptions{Topic: "main", Session: "01JD", JSON: true}},
		{name: "two arguments", args: "a b", wantErr: "at most one argument"},
		{name: "flag after the id", args: "01JD --json", wantErr: "flags go before the arguments"},
		{name: "empty session", args: "-s ''", wantErr: "--session needs a non-empty value"},
	})
}

func TestDelegateOptions(t *testing.T) {
	runTable(t, "delegate", newDelegateCommand, []parseCase[DelegateOptions]{
		{name: "task words", args: "Find the bug", want: DelegateOptions{Task: []string{"Find", "the", "bug"}}},
		{name: "every flag", args: "-t t1 -c a.go -c b.go --focus f --scope s --expect e --criteria c -F task.md --inline-context --model m --engine chat --private",
			want: DelegateOptions{Topic: "t1", Context: []string{"a.go", "b.go"}, Focus: "f", Scope: "s", Expect: "e", Criteria: "c",
				File: "task.md", Inline: true, Model: "m", Engine: "chat", Private: true, Task: []string{}}},
		{name: "mode", args: "--sandbox workspace-write --approval never Fix it",
			want: DelegateOptions{Sandbox: "workspace-write", Approval: "never", Task: []string{"Fix", "it"}}},
		{name: "unknown sandbox", args: "--sandbox danger-full-access x", wantErr: `unknown --sandbox "danger-full-access" (want read-only or workspace-write)`},
		{name: "unknown approval", args: "--approval on-failure x", wantErr: `unknown --approval "on-failure" (want untrusted, on-request, never)`},
		{name: "text after --", args: "Explain -- --weird", want: DelegateOptions{Task: []string{"Explain", "--", "--weird"}}},
		{name: "flag after the task", args: "Find the bug --model m", wantErr: "flags go before the task"},
		{name: "mistyped flag after the task", args: "Find --modle m", wantErr: "unknown flag --modle"},
		{name: "unknown flag", args: "--nope x", wantErr: "flag provided but not defined"},
	})
}

func TestReplyOptions(t *testing.T) {
	runTable(t, "reply", newReplyCommand, []parseCase[ReplyOptions]{
		{name: "message", args: "Also: the retry path", want: ReplyOptions{Message: []string{"Also:", "the", "retry", "path"}}},
		{name: "flags", args: "-t t1 -s 01JQ -F -", want: ReplyOptions{Topic: "t1", Session: "01JQ", File: "-", Message: []string{}}},
		{name: "flag after the message", args: "hello -t p1", wantErr: "flags go before the message: git codex reply -t TOPIC MESSAGE"},
		{name: "empty topic", args: "-t '' hi", wantErr: "--topic needs a non-empty value"},
		{name: "mode", args: "--sandbox read-only --approval untrusted hi", want: ReplyOptions{Sandbox: "read-only", Approval: "untrusted", Message: []string{"hi"}}},
		{name: "unknown sandbox", args: "--sandbox rw hi", wantErr: "want read-only or workspace-write"},
	})
}

func TestFixOptions(t *testing.T) {
	runTable(t, "fix", newFixCommand, []parseCase[FixOptions]{
		{name: "command", args: "-- go test ./...", want: FixOptions{Command: []string{"go", "test", "./..."}}},
		{name: "flags", args: "-t t1 -s 01JQ --max 3 -- make lint", want: FixOptions{Topic: "t1", Session: "01JQ", Max: 3, Command: []string{"make", "lint"}}},
		{name: "mode", args: "--sandbox workspace-write --approval never -- go test", want: FixOptions{Sandbox: "workspace-write", Approval: "never", Command: []string{"go", "test"}}},
		{name: "max zero", args: "--max 0 -- true", wantErr: "--max must be at least 1"},
		{name: "unknown approval", args: "--approval yolo -- true", wantErr: "want untrusted, on-request, never"},
		{name: "no command", args: "", wantErr: "fix needs a command after --"},
		{name: "not a number", args: "--max x -- true", wantErr: `--max wants a number, not "x"`},
	})
}

func TestUndoOptions(t *testing.T) {
	runTable(t, "undo", newUndoCommand, []parseCase[UndoOptions]{
		{name: "defaults", want: UndoOptions{}},
		{name: "flags", args: "-t t1 -s 01JQ --turn 3 --json", want: UndoOptions{Topic: "t1", Session: "01JQ", Turn: 3, JSON: true}},
		{name: "an argument", args: "3", wantErr: "undo takes no arguments"},
		{name: "turn zero", args: "--turn 0", wantErr: "--turn must be at least 1"},
	})
}

func TestCloseOptions(t *testing.T) {
	runTable(t, "close", newCloseCommand, []parseCase[CloseOptions]{
		{name: "defaults", want: CloseOptions{}},
		{name: "flags", args: "-t t1 -s 01JQ --json -w docs/x.md", want: CloseOptions{Topic: "t1", Session: "01JQ", JSON: true, Write: "docs/x.md"}},
		{name: "force", args: "--write docs/x.md -f", want: CloseOptions{Write: "docs/x.md", Force: true}},
		{name: "force alone", args: "--force", wantErr: "--force only matters with --write"},
		{name: "an argument", args: "x", wantErr: "close takes no arguments"},
	})
}

func TestCompactOptions(t *testing.T) {
	runTable(t, "compact", newCompactCommand, []parseCase[CompactOptions]{
		{name: "defaults", want: CompactOptions{}},
		{name: "flags", args: "-t t1 --session 01JQ", want: CompactOptions{Topic: "t1", Session: "01JQ"}},
		{name: "an argument", args: "x", wantErr: "compact takes no arguments"},
	})
}

func TestStatsOptions(t *testing.T) {
	runTable(t, "stats", newStatsCommand, []parseCase[StatsOptions]{
		{name: "defaults", want: StatsOptions{}},
		{name: "flags", args: "-t main --json", want: StatsOptions{Topic: "main", JSON: true}},
		{name: "a range", args: "--since 2.weeks --until 2026-01-31", want: StatsOptions{Since: "2.weeks", Until: "2026-01-31"}},
		{name: "an argument", args: "x", wantErr: "stats takes no arguments"},
		{name: "flag after an argument", args: "x --json", wantErr: "git codex stats --json"},
	})
}

func TestRunOptions(t *testing.T) {
	runTable(t, "run", newRunCommand, []parseCase[RunOptions]{
		{name: "a file", args: "wf.yaml", want: RunOptions{File: "wf.yaml", Jobs: 4}},
		{name: "jobs and json", args: "-j 8 --json wf.yaml", want: RunOptions{File: "wf.yaml", Jobs: 8, JSON: true}},
		{name: "long jobs", args: "--jobs 2 wf.yaml", want: RunOptions{File: "wf.yaml", Jobs: 2}},
		{name: "dry run", args: "--dry-run wf.yaml", want: RunOptions{File: "wf.yaml", Jobs: 4, DryRun: true}},
		{name: "resume", args: "--resume 01JD3", want: RunOptions{Resume: "01JD3", Jobs: 4}},
		{name: "resume with its file", args: "--resume 01JD3 wf.yaml", want: RunOptions{Resume: "01JD3", File: "wf.yaml", Jobs: 4}},
		{name: "no file", args: "", wantErr: "run needs a workflow file"},
		{name: "two files", args: "a.yaml b.yaml", wantErr: "run takes one workflow file"},
		{name: "no jobs", args: "-j 0 wf.yaml", wantErr: "-j must be at least 1"},
		{name: "empty resume", args: "--resume ''", wantErr: "--resume needs a run id"},
		{name: "dry run of a resume", args: "--dry-run --resume 01JD3", wantErr: "--dry-run plans a new run"},
		{name: "flag after the file", args: "wf.yaml -j 2", wantErr: "git codex run -j"},
		{name: "schema", args: "--schema", want: RunOptions{Schema: true}},
		{name: "schema and a file", args: "--schema wf.yaml", wantErr: "--schema takes nothing else"},
		{name: "schema and a flag", args: "--schema --json", wantErr: "--schema takes nothing else"},
	})
}

func TestRunsOptions(t *testing.T) {
	runTable(t, "runs", newRunsCommand, []parseCase[RunsOptions]{
		{name: "defaults", want: RunsOptions{}},
		{name: "json", args: "--json", want: RunsOptions{JSON: true}},
		{name: "an argument", args: "01JD3", wantErr: "runs takes no arguments"},
	})
}

// parseWhen reads what stats --since and --until accept, in local time.
func TestParseWhen(t *testing.T) {
	loc := time.FixedZone("X", 3600)
	now := time.Date(2026, 3, 15, 12, 30, 0, 0, loc)
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, loc) }
	tests := []struct {
		in    string
		until bool
		want  time.Time
	}{
		{"2026-01-02", false, day(2026, 1, 2)},
		{"2026-01-02", true, day(2026, 1, 3)},
		{"2026-01-02T15:04", false, time.Date(2026, 1, 2, 15, 4, 0, 0, loc)},
		{"2026-01-02 15:04:05", false, time.Date(2026, 1, 2, 15, 4, 5, 0, loc)},
		{"2026-01-02T15:04:05Z", false, time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC)},
		{"today", false, day(2026, 3, 15)},
		{"yesterday", true, day(2026, 3, 15)},
		{"now", false, now},
		{"2.weeks", false, now.AddDate(0, 0, -14)},
		{"3.days.ago", false, now.AddDate(0, 0, -3)},
		{"3 days ago", false, now.AddDate(0, 0, -3)},
		{"12h", false, now.Add(-12 * time.Hour)},
		{"1.month", false, now.AddDate(0, -1, 0)},
		{"90 minutes", false, now.Add(-90 * time.Minute)},
	}
	for _, tt := range tests {
		got, err := parseWhen(tt.in, now, tt.until)
		if err != nil || !got.Equal(tt.want) {
			t.Errorf("parseWhen(%q, until=%v) = %v, %v; want %v", tt.in, tt.until, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "soon", "2026-13-01", "2.fortnights", "-3.days"} {
		if _, err := parseWhen(bad, now, false); err == nil {
			t.Errorf("parseWhen(%q) accepted", bad)
		}
	}
}

func TestHookOptions(t *testing.T) {
	runTable(t, "hook", newHookCommand, []parseCase[HookOptions]{
		{name: "remote and URL", args: "pre-push origin https://example.com/r.git", want: HookOptions{Remote: "origin", URL: "https://example.com/r.git"}},
		{name: "remote only", args: "pre-push origin", want: HookOptions{Remote: "origin"}},
		{name: "no remote", args: "pre-push", wantErr: "hook pre-push takes REMOTE and URL"},
		{name: "too many", args: "pre-push a b c", wantErr: "hook pre-push takes REMOTE and URL"},
		{name: "unknown hook", args: "post-commit", wantErr: `unknown hook "post-commit"`},
	})
}

func TestSyncOptions(t *testing.T) {
	runTable(t, "sync", newSyncCommand, []parseCase[SyncOptions]{
		{name: "defaults", want: SyncOptions{}},
		{name: "remote and json", args: "--json upstream", want: SyncOptions{Remote: "upstream", JSON: true}},
		{name: "two remotes", args: "a b", wantErr: "sync takes at most one remote"},
	})
}

func TestShareOptions(t *testing.T) {
	runTable(t, "share", newShareCommand, []parseCase[ShareOptions]{
		{name: "topic", args: "review-42", want: ShareOptions{Topic: "review-42"}},
		{name: "everything", args: "-f --json exp upstream", want: ShareOptions{Topic: "exp", Remote: "upstream", Force: true, JSON: true}},
		{name: "no topic", args: "", wantErr: "share takes TOPIC and an optional REMOTE"},
		{name: "three", args: "a b c", wantErr: "share takes TOPIC and an optional REMOTE"},
	})
	runTable(t, "unshare", newUnshareCommand, []parseCase[UnshareOptions]{
		{name: "topic", args: "exp", want: UnshareOptions{Topic: "exp"}},
		{name: "remote", args: "--json exp upstream", want: UnshareOptions{Topic: "exp", Remote: "upstream", JSON: true}},
		{name: "private", args: "--private scratch", want: UnshareOptions{Topic: "scratch", Private: true}},
		{name: "private with a remote", args: "--private scratch origin", wantErr: "unshare --private takes no REMOTE"},
		{name: "no topic", args: "", wantErr: "unshare takes TOPIC and an optional REMOTE"},
	})
}

func TestLogOptions(t *testing.T) {
	runTable(t, "log", newLogCommand, []parseCase[LogOptions]{
		{name: "defaults", want: LogOptions{Revs: []string{}}},
		{name: "git style -n", args: "-n5 main..HEAD", want: LogOptions{Max: 5, Revs: []string{"main..HEAD"}}},
		{name: "git style -N", args: "-3", want: LogOptions{Max: 3, Revs: []string{}}},
		{name: "long", args: "--max-count 7 --json a b", want: LogOptions{Max: 7, JSON: true, Revs: []string{"a", "b"}}},
		{name: "negative", args: "--max-count=-1", wantErr: "-n -1: a number of commits cannot be negative"},
	})
}

func TestPRSummaryOptions(t *testing.T) {
	runTable(t, "pr-summary", newPRSummaryCommand, []parseCase[PRSummaryOptions]{
		{name: "defaults", want: PRSummaryOptions{Format: "markdown"}},
		{name: "base and json", args: "--base origin/main --json", want: PRSummaryOptions{Base: "origin/main", Format: "json"}},
		{name: "format", args: "--format json", want: PRSummaryOptions{Format: "json"}},
		{name: "llm", args: "--llm", want: PRSummaryOptions{Format: "markdown", LLM: true}},
		{name: "unknown format", args: "--format html", wantErr: `unknown format "html"`},
		{name: "llm and json", args: "--llm --json", wantErr: "--llm rewrites markdown"},
		{name: "an argument", args: "main", wantErr: "pr-summary takes no arguments"},
	})
}

func TestReattachOptions(t *testing.T) {
	runTable(t, "reattach", newReattachCommand, []parseCase[ReattachOptions]{
		{name: "defaults", want: ReattachOptions{Max: 100, Revs: []string{}}},
		{name: "flags", args: "-n 0 --dry-run --json origin/main~20..origin/main", want: ReattachOptions{DryRun: true, JSON: true, Revs: []string{"origin/main~20..origin/main"}}},
		{name: "negative", args: "-n -2", wantErr: "-n -2: a number of commits cannot be negative"},
	})
}

func TestInitOptions(t *testing.T) {
	runTable(t, "init", newInitCommand, []parseCase[InitOptions]{
		{name: "defaults", want: InitOptions{}},
		{name: "redraft", args: "--force --no-hooks --json", want: InitOptions{Force: true, NoHooks: true, JSON: true}},
		{name: "llm", args: "--force --llm -y", want: InitOptions{Force: true, LLM: true, Yes: true}},
		{name: "hooks only", args: "--no-scaffold", want: InitOptions{NoScaffold: true}},
		{name: "uninstall", args: "--uninstall --json", want: InitOptions{Uninstall: true, JSON: true}},
		{name: "yes without llm", args: "--yes", wantErr: "--yes confirms the model's version: it needs --llm"},
		{name: "llm without drafts", args: "--llm --no-scaffold", wantErr: "--llm improves the drafts that --no-scaffold skips"},
		{name: "uninstall and more", args: "--uninstall --force", wantErr: "--uninstall takes no other option but --json"},
		{name: "uninstall and llm", args: "--uninstall --llm", wantErr: "--uninstall takes no other option but --json"},
		{name: "an argument", args: "here", wantErr: "init takes no arguments"},
	})
}

func TestCheckOptions(t *testing.T) {
	runTable(t, "check", newCheckCommand, []parseCase[CheckOptions]{
		{name: "defaults", want: CheckOptions{}},
		{name: "json", args: "--json", want: CheckOptions{JSON: true}},
		{name: "an argument", args: "x", wantErr: "check takes no arguments"},
	})
}

// Every command of the table has an options test above.
func TestEveryCommandHasAnOptionsTable(t *testing.T) {
	tested := map[string]bool{"list": true, "show": true, "delegate": true, "reply": true, "fix": true, "close": true,
		"compact": true, "stats": true, "hook": true, "sync": true, "share": true, "unshare": true, "log": true,
		"pr-summary": true, "reattach": true, "init": true, "check": true, "undo": true, "run": true, "runs": true,
		"help": true, "version": true, "install-man": true, "completion": true, "__complete": true, "mcp": true}
	e := newEnv(strings.NewReader(""), &bytes.Buffer{}, &bytes.Buffer{}, func(string) string { return "" })
	for _, c := range commands(e) {
		if !tested[c.Name] {
			t.Errorf("command %s has no options table", c.Name)
		}
	}
}

func TestMCPOptions(t *testing.T) {
	runTable(t, "mcp", newMCPCommand, []parseCase[MCPOptions]{
		{name: "serve", want: MCPOptions{}},
		{name: "print config", args: "--print-config codex", want: MCPOptions{PrintConfig: "codex"}},
		{name: "log", args: "--log /tmp/mcp.log", want: MCPOptions{Log: "/tmp/mcp.log"}},
		{name: "an argument", args: "serve", wantErr: "mcp takes no arguments"},
	})
}

func TestVersionOptions(t *testing.T) {
	runTable(t, "version", newVersionCommand, []parseCase[VersionOptions]{
		{name: "defaults", want: VersionOptions{}},
		{name: "an argument", args: "x", wantErr: "version takes no arguments"},
	})
}

func TestCompletionOptions(t *testing.T) {
	runTable(t, "completion", newCompletionCommand, []parseCase[CompletionOptions]{
		{name: "bash", args: "bash", want: CompletionOptions{Shell: "bash"}},
		{name: "fish", args: "fish", want: CompletionOptions{Shell: "fish"}},
		{name: "no shell", args: "", wantErr: "completion takes one shell name"},
		{name: "two shells", args: "bash zsh", wantErr: "completion takes one shell name"},
	})
}

// The commands about the command line itself carry the running app in their
// options (unexported, so the tables compare the rest).
func TestHelpOptions(t *testing.T) {
	for _, c := range []struct {
		args []string
		want []string
	}{{nil, nil}, {[]string{"reply"}, []string{"reply"}}, {[]string{"reply", "x"}, []string{"reply", "x"}}} {
		got, err := parseWith(t, newHelpCommand, append([]string{"help"}, c.args...))
		if err != nil || got == nil || len(got.Topics) != len(c.want) || (len(c.want) > 0 && !reflect.DeepEqual(got.Topics, c.want)) || got.app == nil {
			t.Errorf("help %v: %+v, %v; want topics %q and the app", c.args, got, err, c.want)
		}
	}
}

func TestInstallManOptions(t *testing.T) {
	got, err := parseWith(t, newInstallManCommand, []string{"install-man", "--prefix", "/opt/x", "--stdout"})
	if err != nil || got == nil || got.Prefix != "/opt/x" || !got.Stdout || got.app == nil {
		t.Errorf("install-man: %+v, %v", got, err)
	}
	if _, err := parseWith(t, newInstallManCommand, []string{"install-man", "x"}); err == nil || !strings.Contains(err.Error(), "install-man takes no arguments") {
		t.Errorf("install-man x: %v", err)
	}
}

func TestCompleteOptions(t *testing.T) {
	got, err := parseWith(t, newCompleteCommand, []string{"__complete", "--shell", "zsh", "--", "reply", "--no-pager", "-t", "fe"})
	if err != nil || got == nil || got.Shell != "zsh" || !reflect.DeepEqual(got.Words, []string{"reply", "-t"}) || got.Current != "fe" || got.app == nil {
		t.Errorf("__complete: %+v, %v", got, err)
	}
}
