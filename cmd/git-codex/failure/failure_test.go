package failure

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/git-codex/git-codex/gitstore"
	"github.com/git-codex/git-codex/history"
	"github.com/git-codex/git-codex/hooks"
	"github.com/git-codex/git-codex/model"
	"github.com/git-codex/git-codex/notesync"
	"github.com/git-codex/git-codex/session"
)

// One map from errors to exit codes (README's table), whatever the command.
func TestClassify(t *testing.T) {
	cases := []struct {
		name string
		err  error
		want int
	}{
		{"no key", session.ErrNoAPIKey, ExitConfig},
		{"auth", model.ErrAuth, ExitConfig},
		{"model not found", model.ErrModelNotFound, ExitConfig},
		{"bad config", ErrBadConfig, ExitConfig},
		{"quota", model.ErrQuota, ExitModel},
		{"rate limited", model.ErrRateLimited, ExitModel},
		{"unavailable", model.ErrUnavailable, ExitModel},
		{"bad request", model.ErrBadRequest, ExitModel},
		{"no responses API", model.ErrNoResponsesAPI, ExitConfig},
		{"base URL", model.ErrBaseURL, ExitConfig},
		{"an unusable answer", ErrModelAnswer, ExitModel},
		{"interrupted", context.Canceled, ExitInterrupted},
		{"no session", session.ErrNoSession, ExitError},
		{"ambiguous", session.ErrAmbiguous, ExitUsage},
		{"closed", session.ErrClosed, ExitError},
		{"fix failed", session.ErrFixFailed, ExitError},
		{"unknown revision", gitstore.ErrUnknownRevision, ExitUsage},
		{"a missing object is no usage error", gitstore.ErrNotFound, ExitError},
		{"no base", history.ErrNoBase, ExitUsage},
		{"no such remote", notesync.ErrNoSuchRemote, ExitUsage},
		{"private topic", notesync.ErrPrivateTopic, ExitError},
		{"context files missing", hooks.ErrContextFilesMissing, ExitError},
		{"check failed", ErrCheckFailed, ExitCheck},
		{"not a repository", gitstore.ErrNotRepository, ExitError},
		{"invalid topic", gitstore.ErrInvalidTopic, ExitUsage},
		{"usage", Usagef("hint", "bad flag"), ExitUsage},
		{"other", errors.New("disk full"), ExitError},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wrapped := fmt.Errorf("send turn: %w", c.err)
			if got, _, _ := Classify(wrapped); got != c.want {
				t.Errorf("Classify(%v) = %d, want %d", wrapped, got, c.want)
			}
			// A next step the command attaches changes neither the code
			// nor the cause.
			hinted := WithHint(wrapped, "do this")
			if got, _, hint := Classify(hinted); got != c.want || (hint != "do this" && c.want != ExitInterrupted && c.name != "usage") {
				t.Errorf("Classify(WithHint(%v)) = %d, %q", wrapped, got, hint)
			}
			if !errors.Is(hinted, c.err) {
				t.Errorf("WithHint lost the cause: %v", hinted)
			}
		})
	}
}

// Cancellation is checked first: an interrupted command exits 130 whatever
// else its error says, and says so once.
func TestClassifyCancellationFirst(t *testing.T) {
	for _, err := range []error{
		fmt.Errorf("fetch notes from origin: %w", &gitstore.GitError{Verb: "fetch", ExitCode: -1}),
		WithHint(fmt.Errorf("push notes: %w", context.Canceled), "check the remote"),
		fmt.Errorf("%w: %w", gitstore.ErrLocked, context.Canceled),
		SayInstead(fmt.Errorf("%w (%w)", context.Canceled, session.ErrNoSession), "something else", "a hint"),
	} {
		code, msg, hint := Classify(err)
		wantCode := ExitInterrupted
		if !errors.Is(err, context.Canceled) {
			wantCode = ExitError // a GitError of a git that died on its own
		}
		if code != wantCode || (code == ExitInterrupted && (msg != "interrupted" || hint != "")) {
			t.Errorf("Classify(%v) = %d, %q, %q", err, code, msg, hint)
		}
	}
	if _, msg, _ := Classify(fmt.Errorf("send turn: %w (%w)", context.Canceled, session.ErrInterrupted)); msg != "interrupted; what was said so far is stored" {
		t.Errorf("an interrupted turn says %q", msg)
	}
}

// The report's two lines are exactly what the command line prints on stderr
// and the MCP server returns: scripts and agents parse them.
func TestDescribe(t *testing.T) {
	cases := []struct {
		name string
		err  error
		want string
		code int
	}{
		{"with a hint", fmt.Errorf("check model configuration: %w", session.ErrNoAPIKey),
			"git-codex: check model configuration: OPENAI_API_KEY is not set\nhint: set OPENAI_API_KEY (or OPENAI_BASE_URL / git config codex.baseURL for a local server)\n", ExitConfig},
		{"without a hint", errors.New("disk full"), "git-codex: disk full\n", ExitError},
		{"on one line", Usagef("run 'git codex list --help'", "  list takes\nno arguments\n"),
			"git-codex: list takes no arguments\nhint: run 'git codex list --help'\n", ExitUsage},
		{"interrupted", fmt.Errorf("send turn: %w (%w)", context.Canceled, session.ErrInterrupted),
			"git-codex: interrupted; what was said so far is stored\n", ExitInterrupted},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := Describe(c.err)
			if r.String() != c.want || r.Code != c.code {
				t.Errorf("Describe(%v) = %d %q, want %d %q", c.err, r.Code, r.String(), c.code, c.want)
			}
		})
	}
}

// What an error carries from a server, Codex or a command is redacted in
// every front end's report.
func TestDescribeRedacts(t *testing.T) {
	tok := "ghp_" + strings.Repeat("Zx9aQ2", 6)
	r := Describe(fmt.Errorf("codex exited 1: curl -H 'Authorization: token %s' failed", tok))
	if strings.Contains(r.String(), tok[:12]) || !strings.Contains(r.Message, "REDACTED") {
		t.Fatalf("report carries the token: %q", r.String())
	}
}
