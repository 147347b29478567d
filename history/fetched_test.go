package history

import (
	"context"
	"testing"

	"github.com/git-codex/git-codex/gitstore"
	"github.com/git-codex/git-codex/internal/gittest"
	"github.com/git-codex/git-codex/internal/repotest"
	"github.com/git-codex/git-codex/session"
)

// The history views read the notes fetched into refs/notes/remotes/ (a CI
// clone has no others); reattach, which writes, copies only local records.
func TestHistoryViewsReadFetchedNotes(t *testing.T) {
	gittest.Hermetic(t, gitstore.GuardEnv)
	ctx := context.Background()
	_, clones := gittest.BareWithClones(t, 2)
	a, b := clones[0], clones[1]
	gittest.Git(t, a, "checkout", "-q", "-b", "feature")
	c := gittest.CommitFile(t, a, 1, "f.txt", "one\n", "feature one")
	repotest.AddTurn(t, repotest.OpenRepo(t, a), "feature", "S1", c, "write the feature", session.Usage{Input: 7})
	gittest.Git(t, a, "push", "-q", "origin", "feature", "refs/notes/codex/feature")

	gittest.Git(t, b, "fetch", "-q", "origin", "refs/notes/codex/*:refs/notes/remotes/origin/codex/*")
	gittest.Git(t, b, "fetch", "-q", "origin")
	rb := repotest.OpenRepo(t, b)
	sum, err := Summarize(ctx, rb, SummaryOptions{Base: "origin/main", Head: "origin/feature"})
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.Sessions) != 1 || sum.Sessions[0].ID != "S1" || sum.Tokens.Input != 7 {
		t.Errorf("Summarize = %+v, want session S1", sum.Sessions)
	}
	entries, _, err := Log(ctx, rb, LogOptions{Revs: []string{"origin/feature"}, Max: 1})
	if err != nil || len(entries) != 1 || len(entries[0].Turns) != 1 {
		t.Fatalf("Log = %+v, %v; want the turn", entries, err)
	}
	// A cherry-pick of the noted commit in b: reattach finds nothing to copy
	// from b's own topics (it has none), so it creates none.
	gittest.Git(t, b, "cherry-pick", c)
	if _, err := Reattach(ctx, rb, ReattachOptions{}); err != nil {
		t.Fatal(err)
	}
	if topics, _ := rb.Notes().Topics(ctx); len(topics) != 0 {
		t.Errorf("reattach made local topics %v out of fetched notes", topics)
	}
}
