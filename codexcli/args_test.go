package codexcli_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/git-codex/git-codex/codexcli"
)

const thread = "01a23251-150c-7050-b03e-9eb784205862"

func TestArgs(t *testing.T) {
	tests := []struct {
		name string
		req  codexcli.Request
		want string // arguments joined by spaces
	}{
		{"new thread, Codex's defaults", codexcli.Request{}, "exec --json -"},
		{"new thread with model, sandbox, approval", codexcli.Request{Model: "gpt-5", Sandbox: "workspace-write", Approval: "never"},
			`exec --model gpt-5 --sandbox workspace-write -c approval_policy="never" --json -`},
		{"resume: no --sandbox flag there, -c instead", codexcli.Request{ThreadID: thread, Model: "gpt-5", Sandbox: "read-only", Approval: "on-request"},
			`exec resume --model gpt-5 -c sandbox_mode="read-only" -c approval_policy="on-request" --json ` + thread + ` -`},
		{"config overrides in order, after the mapped ones", codexcli.Request{Sandbox: "danger-full-access", Config: []string{"model_provider=\"x\"", "features.plugins=false"}},
			`exec --sandbox danger-full-access -c model_provider="x" -c features.plugins=false --json -`},
		{"a new thread kept off disk", codexcli.Request{Ephemeral: true, Sandbox: "read-only"}, "exec --sandbox read-only --ephemeral --json -"},
		{"outside a git repository", codexcli.Request{ThreadID: thread, SkipGitRepoCheck: true},
			"exec resume --skip-git-repo-check --json " + thread + " -"},
		{"on-failure is still accepted", codexcli.Request{Approval: "on-failure"}, `exec -c approval_policy="on-failure" --json -`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := codexcli.Args(tt.req)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(got, " ") != tt.want {
				t.Errorf("Args = %q\nwant   %q", strings.Join(got, " "), tt.want)
			}
			if got[len(got)-1] != "-" {
				t.Errorf("the prompt must come on stdin (last argument %q)", got[len(got)-1])
			}
		})
	}
}

// TestArgsPromptNeverOnCommandLine checks that no part of the prompt reaches
// the argument list.
func TestArgsPromptNeverOnCommandLine(t *testing.T) {
	got, err := codexcli.Args(codexcli.Request{Prompt: "secret plan " + strings.Repeat("x", 200<<10)})
	if err != nil {
		t.Fatal(err)
	}
	if slices.ContainsFunc(got, func(a string) bool { return strings.Contains(a, "secret plan") }) {
		t.Errorf("the prompt is on the command line: %.80q", got)
	}
}

func TestArgsRefuses(t *testing.T) {
	tests := []struct {
		name string
		req  codexcli.Request
		want string
	}{
		{"untrusted, which Codex 0.169 refuses", codexcli.Request{Approval: "untrusted"}, "no longer accepts it"},
		{"unknown approval", codexcli.Request{Approval: "always"}, `codex approval "always"`},
		{"unknown sandbox", codexcli.Request{Sandbox: "none"}, `codex sandbox "none"`},
		{"a thread name, which Codex would silently replace by a new thread", codexcli.Request{ThreadID: "my-thread"}, "not a thread id"},
		{"a truncated id", codexcli.Request{ThreadID: thread[:35]}, "not a thread id"},
		{"an id with a non-hex digit", codexcli.Request{ThreadID: "g" + thread[1:]}, "not a thread id"},
		{"a config override without a value", codexcli.Request{Config: []string{"features.plugins"}}, "want key=value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := codexcli.Args(tt.req)
			if !errors.Is(err, codexcli.ErrUnsupported) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Args error = %v, want ErrUnsupported containing %q", err, tt.want)
			}
		})
	}
}
