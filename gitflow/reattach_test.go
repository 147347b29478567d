package gitflow

import (
	"context"
	"strings"
	"testing"

	"github.com/git-codex/git-codex/gitstore"
)

// rewriteConfig is what `git codex init` sets so that git itself copies
// notes when it rewrites commits.
func rewriteConfig(t testing.TB, dir string) {
	t.Helper()
	git(t, dir, "config", "notes.rewriteRef", "refs/notes/codex/*")
	git(t, dir, "config", "notes.rewriteMode", "cat_sort_uniq")
}

// notedIDs returns the record ids of topic's note on commit.
func notedIDs(t testing.TB, dir, topic, commit string) map[string]bool {
	t.Helper()
	repo := openRepo(t, dir)
	byObj, _, err := repo.Notes().ReadByObject(context.Background(), topic)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, r := range byObj[commit] {
		ids[r.ID] = true
	}
	return ids
}

// Notes follow amend and both rebase backends when notes.rewriteRef covers
// the topic refs: git's own behaviour, which init relies on.
func TestNotesFollowGitRewrites(t *testing.T) {
	hermeticGit(t)
	tests := []struct {
		name    string
		rewrite func(t *testing.T, dir string)
	}{
		{"commit --amend", func(t *testing.T, dir string) {
			gitAt(t, dir, "2026-01-02T06:00:00Z", "commit", "-q", "--amend", "-m", "feature, amended")
		}},
		{"rebase --apply", func(t *testing.T, dir string) {
			gitAt(t, dir, "2026-01-02T06:00:00Z", "rebase", "-q", "--apply", "main")
		}},
		{"rebase --merge", func(t *testing.T, dir string) {
			gitAt(t, dir, "2026-01-02T06:00:00Z", "rebase", "-q", "--merge", "main")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := newRepo(t)
			rewriteConfig(t, dir)
			git(t, dir, "checkout", "-q", "-b", "feature")
			old := commitFile(t, dir, 1, "f.txt", "feature\n", "feature")
			git(t, dir, "checkout", "-q", "main")
			commitFile(t, dir, 2, "m.txt", "main\n", "main moves")
			git(t, dir, "checkout", "-q", "feature")
			id := addTurn(t, openRepo(t, dir), "feature", "S", old, "work on the feature", gitstore.Usage{})

			tt.rewrite(t, dir)
			head := git(t, dir, "rev-parse", "HEAD")
			if head == old {
				t.Fatal("the commit was not rewritten")
			}
			if !notedIDs(t, dir, "feature", head)[id] {
				t.Errorf("turn %s did not follow %s to %s", id, tt.name, head)
			}
		})
	}
}

func TestFindReattachments(t *testing.T) {
	hermeticGit(t)
	ctx := context.Background()
	tests := []struct {
		name     string
		build    func(t *testing.T, dir string, noted string) // makes HEAD the commit to find
		wantRule string                                       // "" = no match
	}{
		{"cherry-pick", func(t *testing.T, dir, noted string) {
			gitAt(t, dir, "2026-01-02T06:00:00Z", "cherry-pick", noted)
		}, RulePatchID},
		{"cherry-pick -x", func(t *testing.T, dir, noted string) {
			gitAt(t, dir, "2026-01-02T06:00:00Z", "cherry-pick", "-x", noted)
		}, RulePatchID},
		{"reset and recommit", func(t *testing.T, dir, noted string) {
			git(t, dir, "checkout", "-q", "feature")
			git(t, dir, "reset", "-q", "--hard", "HEAD~2")
			writeFile(t, dir, "f.txt", "feature\n")
			git(t, dir, "add", "f.txt")
			gitAt(t, dir, "2026-01-02T06:00:00Z", "commit", "-q", "-m", "same change, new commit")
		}, RulePatchID},
		{"squash merge, branch deleted and collected", func(t *testing.T, dir, noted string) {
			git(t, dir, "merge", "-q", "--squash", "feature")
			gitAt(t, dir, "2026-01-02T06:00:00Z", "commit", "-q", "--no-edit")
			git(t, dir, "branch", "-q", "-D", "feature")
			git(t, dir, "reflog", "expire", "--expire=now", "--all")
			git(t, dir, "gc", "-q", "--prune=now")
			if out := gitOr(dir, "gone", "cat-file", "-t", noted); out != "gone" {
				t.Fatalf("noted commit still exists (%s)", out)
			}
		}, RuleSquash},
		{"GitHub-style squash message", func(t *testing.T, dir, noted string) {
			writeFile(t, dir, "f.txt", "feature\nplus review fixes\n")
			writeFile(t, dir, "g.txt", "second\n")
			git(t, dir, "add", ".")
			gitAt(t, dir, "2026-01-02T06:00:00Z", "commit", "-q", "-m", "Add the feature (#12)\n\n* add feature file\n\n* second commit")
		}, RuleSubject},
		{"unrelated commit", func(t *testing.T, dir, noted string) {
			commitFile(t, dir, 30, "other.txt", "other\n", "add feature file") // same subject, but it is the subject line
		}, ""},
		{"the noted commit itself merged", func(t *testing.T, dir, noted string) {
			gitAt(t, dir, "2026-01-02T06:00:00Z", "merge", "-q", "--no-ff", "-m", "merge feature", "feature")
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := newRepo(t)
			git(t, dir, "checkout", "-q", "-b", "feature")
			noted := commitFile(t, dir, 1, "f.txt", "feature\n", "add feature file")
			commitFile(t, dir, 2, "g.txt", "second\n", "second commit")
			git(t, dir, "checkout", "-q", "main")
			commitFile(t, dir, 3, "m.txt", "main\n", "main moves")
			id := addTurn(t, openRepo(t, dir), "feature", "S", noted, "write the feature", gitstore.Usage{Input: 5})
			tt.build(t, dir, noted)

			repo := openRepo(t, dir)
			idx, err := LoadIndex(ctx, repo)
			if err != nil {
				t.Fatal(err)
			}
			commits, err := RevList(ctx, repo, []string{"HEAD"}, 1)
			if err != nil {
				t.Fatal(err)
			}
			matches, err := FindReattachments(ctx, repo, idx, commits)
			if err != nil {
				t.Fatal(err)
			}
			if tt.wantRule == "" {
				if len(matches) != 0 {
					t.Errorf("matches = %+v, want none", matches)
				}
				return
			}
			if len(matches) != 1 {
				t.Fatalf("matches = %+v, want one", matches)
			}
			m := matches[0]
			if m.Rule != tt.wantRule || m.Source != noted || m.Topic != "feature" || m.Commit != commits[0].Hash {
				t.Errorf("match = %+v, want rule %s from %s", m, tt.wantRule, noted)
			}
			if len(m.Records) != 2 || m.Records[0].ID != id {
				t.Errorf("match records = %+v, want the turn %s and its answer", m.Records, id)
			}
		})
	}
}

// Reattach copies the records' lines (same ids) onto the new commit, where
// plain git shows them; a second run has nothing to do.
func TestReattachWritesAndIsIdempotent(t *testing.T) {
	hermeticGit(t)
	ctx := context.Background()
	dir := newRepo(t)
	git(t, dir, "checkout", "-q", "-b", "feature")
	noted := commitFile(t, dir, 1, "f.txt", "feature\n", "add feature file")
	git(t, dir, "checkout", "-q", "main")
	id := addTurn(t, openRepo(t, dir), "feature", "S", noted, "write the feature", gitstore.Usage{})
	gitAt(t, dir, "2026-01-02T06:00:00Z", "cherry-pick", noted)
	picked := git(t, dir, "rev-parse", "HEAD")

	matches, err := Reattach(ctx, openRepo(t, dir), ReattachOptions{Max: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(matches) != 1 || matches[0].Commit != picked {
		t.Fatalf("Reattach = %+v, want one match on %s", matches, picked)
	}
	note := git(t, dir, "notes", "--ref=refs/notes/codex/feature", "show", picked)
	if !strings.Contains(note, `"id":"`+id+`"`) || !strings.Contains(note, `"event":"reattach"`) {
		t.Errorf("git notes show on the cherry-pick:\n%s\nwant the turn %s and a reattach event", note, id)
	}
	// The original record line is unchanged: same id, same original commit.
	if !strings.Contains(note, `"commit":"`+noted+`"`) {
		t.Errorf("reattached record lost its original commit:\n%s", note)
	}
	again, err := Reattach(ctx, openRepo(t, dir), ReattachOptions{Max: 10})
	if err != nil || len(again) != 0 {
		t.Errorf("second Reattach = %+v, %v; want nothing", again, err)
	}
	dry, err := Reattach(ctx, openRepo(t, dir), ReattachOptions{Max: 10, DryRun: true})
	if err != nil || len(dry) != 0 {
		t.Errorf("dry run after reattach = %+v, %v", dry, err)
	}
}

func TestRevListBadRevision(t *testing.T) {
	hermeticGit(t)
	dir := newRepo(t)
	tests := []struct {
		name string
		revs []string
	}{
		{"unknown", []string{"no-such-branch"}},
		{"option", []string{"--all"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := RevList(context.Background(), openRepo(t, dir), tt.revs, 0)
			if err == nil || !strings.Contains(err.Error(), "not found") {
				t.Errorf("RevList(%v) = %v, want a not-found error", tt.revs, err)
			}
		})
	}
}
