package main

import (
	"bytes"
	"context"
	"os"
	"regexp"
	"runtime/debug"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

// runCaptured runs git-codex in process and returns its stdout, stderr and
// exit code.
func runCaptured(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	e := newEnv(strings.NewReader(""), &stdout, &stderr, func(string) string { return "" })
	e.Dir = t.TempDir()
	defer e.close()
	code := run(context.Background(), e, append([]string{"git-codex"}, args...))
	return stdout.String(), stderr.String(), code
}

// helpCommands returns the command names `git codex -h` lists.
func helpCommands(t *testing.T) []string {
	t.Helper()
	out, _, code := runCaptured(t, "-h")
	if code != 0 {
		t.Fatalf("git codex -h: exit %d", code)
	}
	_, list, ok := strings.Cut(out, "COMMANDS:\n")
	if !ok {
		t.Fatalf("no COMMANDS section in:\n%s", out)
	}
	list, _, _ = strings.Cut(list, "\n\n")
	var names []string
	for _, line := range strings.Split(list, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		names = append(names, strings.TrimSuffix(f[0], ","))
	}
	sort.Strings(names)
	return names
}

// TestManPageListsEveryCommand: the manual is generated from the command
// table, so it documents exactly the commands `git codex -h` lists (help
// aside, which the manual's SYNOPSIS shows as `git codex help`), and no
// hidden ones.
func TestManPageListsEveryCommand(t *testing.T) {
	page, _, code := runCaptured(t, "install-man", "--stdout")
	if code != 0 {
		t.Fatalf("install-man --stdout: exit %d", code)
	}
	var documented []string
	for _, m := range regexp.MustCompile(`(?m)^\.SS git codex (\S+)$`).FindAllStringSubmatch(page, -1) {
		documented = append(documented, m[1])
	}
	sort.Strings(documented)
	var want []string
	for _, n := range helpCommands(t) {
		if n != "help" {
			want = append(want, n)
		}
	}
	if !slices.Equal(documented, want) {
		t.Errorf("man page documents %q\n-h lists %q", documented, want)
	}
	if len(want) < 15 || !slices.Contains(want, "install-man") || slices.Contains(documented, "__complete") {
		t.Errorf("command list looks wrong: %q", want)
	}
	for _, s := range []string{".TH GIT-CODEX 1", ".SH SYNOPSIS", "git codex help [COMMAND]", ".SH EXIT STATUS", "refs/notes/codex/<topic>"} {
		if !strings.Contains(page, s) {
			t.Errorf("man page lacks %q", s)
		}
	}
	// Every flag of every command, e.g. reply's --engine.
	if !regexp.MustCompile(`\\fB--engine\\fP \\fIENGINE\\fP`).MatchString(page) {
		t.Errorf("man page lacks reply's --engine ENGINE")
	}
}

// TestManPageExitCodesMatchREADME: the manual's EXIT STATUS lists the codes
// README.md documents.
func TestManPageExitCodesMatchREADME(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, table, _ := strings.Cut(string(readme), "## Exit codes")
	table, _, _ = strings.Cut(table, "\n## ")
	var fromREADME []string
	for _, m := range regexp.MustCompile(`(?m)^\| (\d+) \|`).FindAllStringSubmatch(table, -1) {
		fromREADME = append(fromREADME, m[1])
	}
	page := string(manPage(appFor(newEnv(nil, &bytes.Buffer{}, &bytes.Buffer{}, os.Getenv)), "test"))
	_, exit, _ := strings.Cut(page, ".SH EXIT STATUS")
	exit, _, _ = strings.Cut(exit, ".SH ")
	var fromMan []string
	for _, m := range regexp.MustCompile(`(?m)^\.TP\n(\d+)$`).FindAllStringSubmatch(exit, -1) {
		fromMan = append(fromMan, m[1])
	}
	if len(fromREADME) < 7 || !slices.Equal(fromMan, fromREADME) {
		t.Errorf("exit codes: man %q, README %q", fromMan, fromREADME)
	}
}

func TestDefaultManPrefix(t *testing.T) {
	for exe, want := range map[string]string{
		"/home/u/go/bin/git-codex":  "/home/u/go",
		"/usr/local/bin/git-codex":  "/usr/local",
		"/opt/codex/bin/git-codex":  "/opt/codex",
		"/home/u/.local/bin/git-cx": "/home/u/.local",
	} {
		if got := defaultManPrefix(exe); got != want {
			t.Errorf("defaultManPrefix(%q) = %q, want %q", exe, got, want)
		}
	}
}

func TestVersionLine(t *testing.T) {
	info := func(version string, settings ...string) *debug.BuildInfo {
		bi := &debug.BuildInfo{Main: debug.Module{Path: "github.com/git-codex/git-codex", Version: version}}
		for i := 0; i+1 < len(settings); i += 2 {
			bi.Settings = append(bi.Settings, debug.BuildSetting{Key: settings[i], Value: settings[i+1]})
		}
		return bi
	}
	rev := "705357e1a2b3c4d5e6f708192a3b4c5d6e7f8091"
	tests := []struct {
		name string
		bi   *debug.BuildInfo
		ok   bool
		want string
	}{
		{"release", info("v1.2.0", "vcs.revision", rev, "vcs.modified", "false"), true, "git-codex version v1.2.0 (commit 705357e1a2b3)"},
		{"pseudo-version names the commit", info("v0.0.0-20260101120000-705357e1a2b3+dirty", "vcs.revision", rev, "vcs.modified", "true"), true,
			"git-codex version v0.0.0-20260101120000-705357e1a2b3+dirty"},
		{"devel build with changes", info("(devel)", "vcs.revision", rev, "vcs.modified", "true"), true, "git-codex version devel (commit 705357e1a2b3, modified)"},
		{"no VCS information", info("(devel)"), true, "git-codex version devel"},
		{"go install module@version", info("v1.3.1"), true, "git-codex version v1.3.1"},
		{"no build information", nil, false, "git-codex version unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := versionLine(tt.bi, tt.ok); got != tt.want {
				t.Errorf("versionLine = %q, want %q", got, tt.want)
			}
		})
	}
}

// fakeValues stands in for the repository in completion tests.
type fakeValues struct{}

func (fakeValues) Topics(context.Context) []candidate {
	return []candidate{{"main", "topic"}, {"feature/x", "topic"}}
}

func (fakeValues) Sessions(context.Context) []candidate {
	return []candidate{{"01JQ7AAAAAAAAAAAAAAAAAAAAA", "main, open: Investigate"}}
}

func (fakeValues) Refs(context.Context) []candidate {
	return []candidate{{"main", "ref"}, {"feature/x", "ref"}, {"v1.0", "ref"}}
}

func (fakeValues) Remotes(context.Context) []candidate { return []candidate{{"origin", "remote"}} }

func TestCompleteWords(t *testing.T) {
	app := appFor(newEnv(nil, &bytes.Buffer{}, &bytes.Buffer{}, os.Getenv))
	tests := []struct {
		name      string
		args      []string
		cur       string
		shell     string
		want      []string
		directive string
	}{
		{name: "commands", cur: "re", want: []string{"reattach", "reply"}},
		{name: "no hidden commands", cur: "__", want: nil},
		{name: "global flags", cur: "--v", want: []string{"--version"}},
		{name: "command flags", args: []string{"reply"}, cur: "--", want: []string{"--help", "--topic", "--session", "--file", "--engine", "--sandbox", "--approval"}},
		{name: "sandbox values", args: []string{"fix", "--sandbox"}, cur: "w", want: []string{"workspace-write"}},
		{name: "flag value after the flag", args: []string{"reply", "--engine"}, cur: "", want: []string{"responses", "chat", "codex"}},
		{name: "short flag value", args: []string{"reply", "-t"}, cur: "fe", want: []string{"feature/x"}},
		{name: "flag=value in bash", args: []string{"reply"}, cur: "--topic=ma", want: []string{"main"}},
		{name: "flag=value in fish", args: []string{"reply"}, cur: "--topic=ma", shell: "fish", want: []string{"--topic=main"}},
		{name: "sessions", args: []string{"close", "-s"}, cur: "01", want: []string{"01JQ7AAAAAAAAAAAAAAAAAAAAA"}},
		{name: "a value flag already answered", args: []string{"reply", "-t", "main"}, cur: "--f", want: []string{"--file"}},
		{name: "show takes a session or a topic", args: []string{"show"}, cur: "", want: []string{"01JQ7AAAAAAAAAAAAAAAAAAAAA", "main", "feature/x"}},
		{name: "log range", args: []string{"log"}, cur: "main..fe", want: []string{"main..feature/x"}},
		{name: "symmetric range", args: []string{"log", "-n", "5"}, cur: "v1.0...m", want: []string{"v1.0...main"}},
		{name: "pr-summary base", args: []string{"pr-summary", "--base"}, cur: "v", want: []string{"v1.0"}},
		{name: "sync remote", args: []string{"sync"}, cur: "", want: []string{"origin"}},
		{name: "sync takes one remote", args: []string{"sync", "origin"}, cur: "", want: nil},
		{name: "files for --context", args: []string{"delegate", "--context"}, cur: "", directive: "files"},
		{name: "dirs for --prefix", args: []string{"install-man", "--prefix"}, cur: "", directive: "dirs"},
		{name: "the command after fix --", args: []string{"fix", "--"}, cur: "go", directive: "default"},
		{name: "subcommands", args: []string{"hook"}, cur: "", want: []string{"pre-push"}},
		{name: "help topics", args: []string{"help"}, cur: "sh", want: []string{"share", "show"}},
		{name: "shells", args: []string{"completion"}, cur: "", want: []string{"bash", "zsh", "fish"}},
		{name: "free text", args: []string{"reply"}, cur: "Also", want: nil},
		{name: "unknown command", args: []string{"nosuch"}, cur: "", want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			shell := tt.shell
			if shell == "" {
				shell = "bash"
			}
			got := completeWords(context.Background(), app, tt.args, tt.cur, shell, fakeValues{})
			var values []string
			for _, c := range got.candidates {
				values = append(values, c.value)
			}
			if got.directive != tt.directive || !slices.Equal(values, tt.want) {
				t.Errorf("completeWords(%q, %q) = %q %q, want %q %q", tt.args, tt.cur, got.directive, values, tt.directive, tt.want)
			}
		})
	}
}

// appFor is the whole command line of git codex over e.
func appFor(e *Env) *cli.App { return newApp(e, commands(e)) }
