package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/git-codex/git-codex/gitstore"
	"github.com/git-codex/git-codex/history"
	"github.com/git-codex/git-codex/hooks"
	"github.com/git-codex/git-codex/internal/gittest"
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
		{"no key", session.ErrNoAPIKey, exitConfig},
		{"auth", model.ErrAuth, exitConfig},
		{"model not found", model.ErrModelNotFound, exitConfig},
		{"bad config", errBadConfig, exitConfig},
		{"quota", model.ErrQuota, exitModel},
		{"rate limited", model.ErrRateLimited, exitModel},
		{"unavailable", model.ErrUnavailable, exitModel},
		{"bad request", model.ErrBadRequest, exitModel},
		{"no responses API", model.ErrNoResponsesAPI, exitConfig},
		{"base URL", model.ErrBaseURL, exitConfig},
		{"an unusable answer", errModelAnswer, exitModel},
		{"interrupted", context.Canceled, exitInterrupted},
		{"no session", session.ErrNoSession, exitError},
		{"ambiguous", session.ErrAmbiguous, exitUsage},
		{"closed", session.ErrClosed, exitError},
		{"fix failed", session.ErrFixFailed, exitError},
		{"unknown revision", gitstore.ErrUnknownRevision, exitUsage},
		{"a missing object is no usage error", gitstore.ErrNotFound, exitError},
		{"no base", history.ErrNoBase, exitUsage},
		{"no such remote", notesync.ErrNoSuchRemote, exitUsage},
		{"private topic", notesync.ErrPrivateTopic, exitError},
		{"context files missing", hooks.ErrContextFilesMissing, exitError},
		{"check failed", errCheckFailed, exitCheck},
		{"not a repository", gitstore.ErrNotRepository, exitError},
		{"invalid topic", gitstore.ErrInvalidTopic, exitUsage},
		{"usage", usageErrorf("hint", "bad flag"), exitUsage},
		{"other", errors.New("disk full"), exitError},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wrapped := fmt.Errorf("send turn: %w", c.err)
			if got, _, _ := classify(wrapped); got != c.want {
				t.Errorf("classify(%v) = %d, want %d", wrapped, got, c.want)
			}
			// A next step the command attaches changes neither the code
			// nor the cause.
			hinted := withHint(wrapped, "do this")
			if got, _, hint := classify(hinted); got != c.want || (hint != "do this" && c.want != exitInterrupted && c.name != "usage") {
				t.Errorf("classify(withHint(%v)) = %d, %q", wrapped, got, hint)
			}
			if !errors.Is(hinted, c.err) {
				t.Errorf("withHint lost the cause: %v", hinted)
			}
		})
	}
}

// Cancellation is checked first: an interrupted command exits 130 whatever
// else its error says, and says so once.
func TestClassifyCancellationFirst(t *testing.T) {
	for _, err := range []error{
		fmt.Errorf("fetch notes from origin: %w", &gitstore.GitError{Verb: "fetch", ExitCode: -1}),
		withHint(fmt.Errorf("push notes: %w", context.Canceled), "check the remote"),
		fmt.Errorf("%w: %w", gitstore.ErrLocked, context.Canceled),
		sayInstead(fmt.Errorf("%w (%w)", context.Canceled, session.ErrNoSession), "something else", "a hint"),
	} {
		code, msg, hint := classify(err)
		wantCode := exitInterrupted
		if !errors.Is(err, context.Canceled) {
			wantCode = exitError // a GitError of a git that died on its own
		}
		if code != wantCode || (code == exitInterrupted && (msg != "interrupted" || hint != "")) {
			t.Errorf("classify(%v) = %d, %q, %q", err, code, msg, hint)
		}
	}
	if _, msg, _ := classify(fmt.Errorf("send turn: %w (%w)", context.Canceled, session.ErrInterrupted)); msg != "interrupted; what was said so far is stored" {
		t.Errorf("an interrupted turn says %q", msg)
	}
}

// `git codex sync` interrupted (Ctrl-C while git fetch talks to the remote)
// exits 130, not 1.
func TestSyncInterruptedExits130(t *testing.T) {
	hookEnv(t)
	base := t.TempDir()
	bare := filepath.Join(base, "remote.git")
	gittest.Git(t, base, "init", "-q", "--bare", bare)
	dir := workWithHook(t, false)
	gittest.Git(t, dir, "remote", "add", "origin", bare)
	// The remote's upload-pack says it started, then hangs.
	started := filepath.Join(base, "started")
	gittest.Git(t, dir, "config", "remote.origin.uploadpack", "touch '"+started+"'; sleep 30; git-upload-pack")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		for ctx.Err() == nil {
			if _, err := os.Stat(started); err == nil {
				cancel() // Ctrl-C
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
	var stdout, stderr bytes.Buffer
	e := newEnv(strings.NewReader(""), &stdout, &stderr, os.Getenv)
	e.Dir = dir
	defer e.close()
	code := run(ctx, e, []string{"git-codex", "sync"})
	if code != exitInterrupted {
		t.Fatalf("exit code %d, want %d; stderr:\n%s", code, exitInterrupted, stderr.String())
	}
	if stderr.String() != "git-codex: interrupted\n" || stdout.Len() != 0 {
		t.Errorf("stdout %q, stderr %q; want only the interruption said once", stdout.String(), stderr.String())
	}
}
