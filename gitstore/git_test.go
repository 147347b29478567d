package gitstore

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// A failed git process comes back as a *GitError naming the verb, git's
// exit code and the line of standard error that says what went wrong; a
// process stopped by the context is that context's error as well.
func TestGitError(t *testing.T) {
	dir := newRepo(t)
	r := openRepo(t, dir)
	ctx := context.Background()

	_, err := r.MergeBase(ctx, "HEAD", "no-such-branch")
	var ge *GitError
	if !errors.As(err, &ge) || ge.Verb != "merge-base" || ge.ExitCode <= 0 || !strings.Contains(ge.Stderr, "no-such-branch") {
		t.Fatalf("MergeBase error = %#v", err)
	}
	if !errors.Is(err, ErrNotFound) || !strings.HasPrefix(ge.Error(), "git merge-base: fatal: ") {
		t.Errorf("error text %q (not found: %v)", ge.Error(), errors.Is(err, ErrNotFound))
	}

	if anc, err := r.IsAncestor(ctx, "HEAD", "HEAD"); err != nil || !anc {
		t.Errorf("IsAncestor(HEAD, HEAD) = %v, %v", anc, err)
	}
	if _, err := r.IsAncestor(ctx, "HEAD", strings.Repeat("1", 40)); exitCode(err) <= 1 {
		t.Errorf("IsAncestor of a missing commit = %v; want git's failure, not a plain no", err)
	}

	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	_, err = r.git(cancelled, nil, "rev-parse", "HEAD")
	if !errors.As(err, &ge) || ge.ExitCode != -1 || !errors.Is(err, context.Canceled) {
		t.Errorf("git under a cancelled context = %#v; want a GitError that is context.Canceled", err)
	}
}

func TestGitVerb(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"fetch", "--quiet", "origin"}, "fetch"},
		{[]string{"-c", "remote.o.mirror=false", "push", "o"}, "push"},
		{[]string{"--literal-pathspecs", "ls-files", "--", "x"}, "ls-files"},
		{nil, "git"},
	} {
		if got := gitVerb(tt.args); got != tt.want {
			t.Errorf("gitVerb(%q) = %q, want %q", tt.args, got, tt.want)
		}
	}
}
