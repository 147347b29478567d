package hooks

import (
	"context"
	"strings"
	"testing"

	"github.com/git-codex/git-codex/gitstore"
	"github.com/git-codex/git-codex/internal/gittest"
	"github.com/git-codex/git-codex/internal/repotest"
	"github.com/git-codex/git-codex/session"
)

func TestGitPushDryRun(t *testing.T) {
	tests := []struct {
		name    string
		args    string
		dry, is bool
	}{
		{"plain push", "git push origin main", false, true},
		{"dry run", "git push --dry-run origin main", true, true},
		{"short", "git push -n", true, true},
		{"bundled", "git push -qn origin", true, true},
		{"undone", "git push -n --no-dry-run", false, true},
		{"global options", "git -C dir -c push.default=current push -n", true, true},
		{"push option value", "git push -o n origin", false, true},
		{"attached push option", "git push -onote origin", false, true},
		{"after double dash", "git push origin -- -n", false, true},
		{"dashed command", "/usr/lib/git-core/git-push --dry-run", true, true},
		{"not a push", "git fetch -n", false, false},
		{"git codex", "git codex hook pre-push origin", false, false},
		{"shell", "/bin/sh .git/hooks/pre-push origin", false, false},
		{"nothing", "", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var args []string
			if tt.args != "" {
				args = strings.Fields(tt.args)
			}
			dry, is := gitPushDryRun(args)
			if dry != tt.dry || is != tt.is {
				t.Errorf("gitPushDryRun(%q) = %v, %v; want %v, %v", tt.args, dry, is, tt.dry, tt.is)
			}
		})
	}
}

// A dry-run push sends nothing, and does not touch the remote.
func TestPrePushDryRunSendsNothing(t *testing.T) {
	gittest.Hermetic(t, gitstore.GuardEnv)
	bare, clones := gittest.BareWithClones(t, 1)
	repo := repotest.OpenRepo(t, clones[0])
	h, _ := repo.Head()
	repotest.AddTurn(t, repo, "topic", "S", h.Target(), "x", session.Usage{})
	res, err := PrePush(context.Background(), repo, PrePushOptions{Remote: "origin", URL: bare,
		RefLines: strings.NewReader("refs/heads/main " + h.Target() + " refs/heads/main " + h.Target() + "\n"),
		DryRun:   func() bool { return true }})
	if err != nil || len(res.Pushed) != 0 || res.Skipped == "" {
		t.Errorf("PrePush in a dry run = %+v, %v; want nothing sent", res, err)
	}
	if got := gittest.GitOr(clones[0], "", "--git-dir="+bare, "for-each-ref", "refs/notes"); got != "" {
		t.Errorf("the remote got notes: %s", got)
	}
}
