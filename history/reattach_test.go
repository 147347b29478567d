package history

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/git-codex/git-codex/gitstore"
	"github.com/git-codex/git-codex/internal/gittest"
	"github.com/git-codex/git-codex/internal/repotest"
	"github.com/git-codex/git-codex/session"
)

// rewriteConfig is what `git codex init` sets so that git itself copies
// notes when it rewrites commits.
func rewriteConfig(t testing.TB, dir string) {
	t.Helper()
	gittest.Git(t, dir, "config", "notes.rewriteRef", "refs/notes/codex/*")
	gittest.Git(t, dir, "config", "notes.rewriteMode", "cat_sort_uniq")
}

// notedIDs returns the record ids of topic's note on commit.
func notedIDs(t testing.TB, dir, topic, commit string) map[string]bool {
	t.Helper()
	repo := repotest.OpenRepo(t, dir)
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
	gittest.Hermetic(t, gitstore.GuardEnv)
	tests := []struct {
		name    string
		rewrite func(t *testing.T, dir string)
	}{
		{"commit --amend", func(t *testing.T, dir string) {
			gittest.GitAt(t, dir, "2026-01-02T06:00:00Z", "commit", "-q", "--amend", "-m", "feature, amended")
		}},
		{"rebase --apply", func(t *testing.T, dir string) {
			gittest.GitAt(t, dir, "2026-01-02T06:00:00Z", "rebase", "-q", "--apply", "main")
		}},
		{"rebase --merge", func(t *testing.T, dir string) {
			gittest.GitAt(t, dir, "2026-01-02T06:00:00Z", "rebase", "-q", "--merge", "main")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := gittest.NewRepo(t)
			rewriteConfig(t, dir)
			gittest.Git(t, dir, "checkout", "-q", "-b", "feature")
			old := gittest.CommitFile(t, dir, 1, "f.txt", "feature\n", "feature")
			gittest.Git(t, dir, "checkout", "-q", "main")
			gittest.CommitFile(t, dir, 2, "m.txt", "main\n", "main moves")
			gittest.Git(t, dir, "checkout", "-q", "feature")
			id := repotest.AddTurn(t, repotest.OpenRepo(t, dir), "feature", "S", old, "work on the feature", session.Usage{})

			tt.rewrite(t, dir)
			head := gittest.Git(t, dir, "rev-parse", "HEAD")
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
	gittest.Hermetic(t, gitstore.GuardEnv)
	tests := []struct {
		name     string
		build    func(t *testing.T, dir string, noted string) // makes HEAD the commit to find
		wantRule string                                       // "" = no match
	}{
		{"cherry-pick", func(t *testing.T, dir, noted string) {
			gittest.GitAt(t, dir, "2026-01-02T06:00:00Z", "cherry-pick", noted)
		}, RulePatchID},
		{"cherry-pick -x", func(t *testing.T, dir, noted string) {
			gittest.GitAt(t, dir, "2026-01-02T06:00:00Z", "cherry-pick", "-x", noted)
		}, RulePatchID},
		{"reset and recommit", func(t *testing.T, dir, noted string) {
			gittest.Git(t, dir, "checkout", "-q", "feature")
			gittest.Git(t, dir, "reset", "-q", "--hard", "HEAD~2")
			gittest.WriteFile(t, dir, "f.txt", "feature\n")
			gittest.Git(t, dir, "add", "f.txt")
			gittest.GitAt(t, dir, "2026-01-02T06:00:00Z", "commit", "-q", "-m", "same change, new commit")
		}, RulePatchID},
		{"squash merge, branch deleted and collected", func(t *testing.T, dir, noted string) {
			gittest.Git(t, dir, "merge", "-q", "--squash", "feature")
			gittest.GitAt(t, dir, "2026-01-02T06:00:00Z", "commit", "-q", "--no-edit")
			gittest.Git(t, dir, "branch", "-q", "-D", "feature")
			gittest.Git(t, dir, "reflog", "expire", "--expire=now", "--all")
			gittest.Git(t, dir, "gc", "-q", "--prune=now")
			if out := gittest.GitOr(dir, "gone", "cat-file", "-t", noted); out != "gone" {
				t.Fatalf("noted commit still exists (%s)", out)
			}
		}, RuleSquash},
		{"GitHub-style squash message", func(t *testing.T, dir, noted string) {
			gittest.WriteFile(t, dir, "f.txt", "feature\nplus review fixes\n")
			gittest.WriteFile(t, dir, "g.txt", "second\n")
			gittest.Git(t, dir, "add", ".")
			gittest.GitAt(t, dir, "2026-01-02T06:00:00Z", "commit", "-q", "-m", "Add the feature (#12)\n\n* add feature file\n\n* second commit")
		}, RuleSubject},
		{"unrelated commit", func(t *testing.T, dir, noted string) {
			gittest.CommitFile(t, dir, 30, "other.txt", "other\n", "add feature file") // same subject, but it is the subject line
		}, ""},
		{"the noted commit itself merged", func(t *testing.T, dir, noted string) {
			gittest.GitAt(t, dir, "2026-01-02T06:00:00Z", "merge", "-q", "--no-ff", "-m", "merge feature", "feature")
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, noted := divergedRepo(t)
			id := repotest.AddTurn(t, repotest.OpenRepo(t, dir), "feature", "S", noted, "write the feature", session.Usage{Input: 5})
			tt.build(t, dir, noted)

			matches, commits := reattachmentsIn(t, repotest.OpenRepo(t, dir), "HEAD", 1)
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
	gittest.Hermetic(t, gitstore.GuardEnv)
	ctx := context.Background()
	dir, noted := featureRepo(t)
	id := repotest.AddTurn(t, repotest.OpenRepo(t, dir), "feature", "S", noted, "write the feature", session.Usage{})
	gittest.GitAt(t, dir, "2026-01-02T06:00:00Z", "cherry-pick", noted)
	picked := gittest.Git(t, dir, "rev-parse", "HEAD")

	matches, err := Reattach(ctx, repotest.OpenRepo(t, dir), ReattachOptions{Max: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(matches) != 1 || matches[0].Commit != picked {
		t.Fatalf("Reattach = %+v, want one match on %s", matches, picked)
	}
	note := gittest.Git(t, dir, "notes", "--ref=refs/notes/codex/feature", "show", picked)
	if !strings.Contains(note, `"id":"`+id+`"`) || !strings.Contains(note, `"event":"reattach"`) {
		t.Errorf("git notes show on the cherry-pick:\n%s\nwant the turn %s and a reattach event", note, id)
	}
	// The original record line is unchanged: same id, same original commit.
	if !strings.Contains(note, `"commit":"`+noted+`"`) {
		t.Errorf("reattached record lost its original commit:\n%s", note)
	}
	again, err := Reattach(ctx, repotest.OpenRepo(t, dir), ReattachOptions{Max: 10})
	if err != nil || len(again) != 0 {
		t.Errorf("second Reattach = %+v, %v; want nothing", again, err)
	}
	dry, err := Reattach(ctx, repotest.OpenRepo(t, dir), ReattachOptions{Max: 10, DryRun: true})
	if err != nil || len(dry) != 0 {
		t.Errorf("dry run after reattach = %+v, %v", dry, err)
	}
}

func TestRevListBadRevision(t *testing.T) {
	gittest.Hermetic(t, gitstore.GuardEnv)
	dir := gittest.NewRepo(t)
	tests := []struct {
		name string
		revs []string
	}{
		{"unknown", []string{"no-such-branch"}},
		{"option", []string{"--all"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := RevList(context.Background(), repotest.OpenRepo(t, dir), tt.revs, 0)
			if err == nil || !strings.Contains(err.Error(), "not found") {
				t.Errorf("RevList(%v) = %v, want a not-found error", tt.revs, err)
			}
		})
	}
}

// More rewrites git does not carry notes over, each found by patch-id
// through the commit headers that make a pair worth diffing (same author,
// and the same author time or the same parent), or through a patch-id
// stored in the records when the noted commit is gone.
func TestFindReattachmentsByPatchID(t *testing.T) {
	gittest.Hermetic(t, gitstore.GuardEnv)
	ctx := context.Background()
	tests := []struct {
		name string
		// rewrite makes the commit to find and returns the revision
		// range to walk and that commit.
		rewrite  func(t *testing.T, dir, noted string) (rev, want string)
		storePID bool // the turn carries its commit's patch-id
		wantRule string
	}{
		{"rebase onto a moved main without rewriteRef (same author time)", func(t *testing.T, dir, noted string) (string, string) {
			gittest.Git(t, dir, "checkout", "-q", "feature")
			gittest.GitAt(t, dir, "2026-01-02T06:00:00Z", "rebase", "-q", "--merge", "main")
			return "main..HEAD", gittest.Git(t, dir, "rev-parse", "HEAD~1")
		}, false, RulePatchID},
		{"amend --reset-author without rewriteRef (same parent)", func(t *testing.T, dir, noted string) (string, string) {
			gittest.Git(t, dir, "checkout", "-q", noted)
			gittest.GitAt(t, dir, "2026-01-02T06:00:00Z", "commit", "-q", "--amend", "--reset-author", "-m", "feature, reworded")
			head := gittest.Git(t, dir, "rev-parse", "HEAD")
			return "HEAD~1..HEAD", head
		}, false, RulePatchID},
		{"cherry-pick, then the source branch deleted and collected (stored patch-id)", func(t *testing.T, dir, noted string) (string, string) {
			gittest.GitAt(t, dir, "2026-01-02T06:00:00Z", "cherry-pick", noted)
			gittest.Git(t, dir, "branch", "-q", "-D", "feature")
			gittest.Git(t, dir, "reflog", "expire", "--expire=now", "--all")
			gittest.Git(t, dir, "gc", "-q", "--prune=now")
			if out := gittest.GitOr(dir, "gone", "cat-file", "-t", noted); out != "gone" {
				t.Fatalf("noted commit still exists (%s)", out)
			}
			return "HEAD~1..HEAD", gittest.Git(t, dir, "rev-parse", "HEAD")
		}, true, RulePatchID},
		{"same change committed again by hand on another base: not looked for", func(t *testing.T, dir, noted string) (string, string) {
			gittest.WriteFile(t, dir, "f.txt", "feature\n")
			gittest.Git(t, dir, "add", "f.txt")
			gittest.GitAt(t, dir, "2026-01-02T06:00:00Z", "commit", "-q", "-m", "feature again")
			return "HEAD~1..HEAD", gittest.Git(t, dir, "rev-parse", "HEAD")
		}, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, noted := divergedRepo(t)
			repo := repotest.OpenRepo(t, dir)
			turn := session.Record{Time: "2026-01-02T05:00:00.000000000Z", ID: "01JA0000000000000000000T01",
				Kind: session.KindTurn, Session: "S", Topic: "feature", Commit: noted, Text: "write the feature"}
			if tt.storePID {
				pid, err := repo.PatchID(ctx, noted)
				if err != nil || pid == "" {
					t.Fatalf("PatchID = %q, %v", pid, err)
				}
				turn.PatchID = pid
			}
			if err := repotest.AppendRecords(repo, "feature", noted, turn); err != nil {
				t.Fatal(err)
			}
			rev, want := tt.rewrite(t, dir, noted)

			matches, _ := reattachmentsIn(t, repotest.OpenRepo(t, dir), rev, 0)
			if tt.wantRule == "" {
				if len(matches) != 0 {
					t.Errorf("matches = %+v, want none", matches)
				}
				return
			}
			if len(matches) != 1 {
				t.Fatalf("matches = %+v, want one on %s", matches, want)
			}
			if m := matches[0]; m.Commit != want || m.Source != noted || m.Rule != tt.wantRule || len(m.Records) != 1 || m.Records[0].ID != turn.ID {
				t.Errorf("match = %+v, want %s from %s by %s with the turn", m, want, noted, tt.wantRule)
			}
		})
	}
}

// patchIDWork decides which commits get diffed; on unrelated history it
// must ask for none, which is what keeps log and pr-summary fast.
func TestPatchIDWork(t *testing.T) {
	at := func(min int) time.Time { return time.Date(2026, 1, 2, 4, min, 0, 0, time.UTC) }
	commit := func(hash, author string, min int, parent string) gitstore.Commit {
		return gitstore.Commit{Hash: hash, Author: author, Email: author + "@example.com", Time: at(min), Parents: []string{parent}}
	}
	src := func(c gitstore.Commit, pid string) *source {
		return &source{id: c.Hash, c: &c, exists: true, pid: pid}
	}
	gone := func(id, pid string) *source { return &source{id: id, pid: pid} }
	target1 := commit("c1", "ann", 10, "p1")
	target2 := commit("c2", "ann", 11, "c1")
	targets := []gitstore.Commit{target2, target1}
	tests := []struct {
		name  string
		srcs  []*source
		alive map[string][]string // object → record ids noted on it
		want  []string
	}{
		{"unrelated noted commits", []*source{src(commit("n1", "ann", 20, "q1"), ""), src(commit("n2", "bob", 21, "n1"), "")}, nil, nil},
		{"same author and author time", []*source{src(commit("n1", "ann", 10, "q1"), "")}, nil, []string{"c1", "n1"}},
		{"same author and parent", []*source{src(commit("n1", "ann", 30, "p1"), "")}, nil, []string{"c1", "n1"}},
		{"same author time, other author", []*source{src(commit("n1", "bob", 10, "q1"), "")}, nil, nil},
		{"patch-id stored with the source", []*source{src(commit("n1", "ann", 10, "q1"), "pid")}, nil, []string{"c1"}},
		{"gone source with a stored patch-id", []*source{gone("n1", "pid")}, nil, []string{"c1", "c2"}},
		{"gone source without a patch-id", []*source{gone("n1", "")}, nil, nil},
		{"gone source whose records live on", []*source{gone("n1", "pid"), src(commit("n2", "ann", 40, "q2"), "")},
			map[string][]string{"n1": {"r1"}, "n2": {"r1"}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			idx := &Index{ByObject: map[string][]session.Record{}}
			srcs := map[string]*source{}
			for _, s := range tt.srcs {
				srcs[s.id] = s
				ids := tt.alive[s.id]
				if ids == nil {
					ids = []string{"rec-" + s.id}
				}
				for _, id := range ids {
					idx.ByObject[s.id] = append(idx.ByObject[s.id], session.Record{ID: id, Commit: s.id, PatchID: s.pid})
				}
			}
			got := patchIDWork(targets, srcs, idx)
			if strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Errorf("patchIDWork = %v, want %v", got, tt.want)
			}
		})
	}
}

// RevList reads commits through one git process; what it returns must be
// what gitstore reads object by object.
func TestRevListMatchesCommit(t *testing.T) {
	gittest.Hermetic(t, gitstore.GuardEnv)
	ctx := context.Background()
	dir := gittest.NewRepo(t)
	gittest.Git(t, dir, "checkout", "-q", "-b", "side")
	gittest.CommitFile(t, dir, 1, "s.txt", "side\n", "side: one")
	gittest.Git(t, dir, "checkout", "-q", "main")
	gittest.WriteFile(t, dir, "m.txt", "main\n")
	gittest.Git(t, dir, "add", "m.txt")
	gittest.GitAt(t, dir, "2026-01-02T09:10:11+05:30", "commit", "-q", "-m",
		"Subject with trailing space \n\nBody line one.\ncommit 0123456789012345678901234567890123456789\n\n* a bullet\n")
	gittest.GitAt(t, dir, "2026-01-02T04:20:00Z", "merge", "-q", "--no-ff", "-m", "Merge side", "side")
	gittest.Git(t, dir, "commit", "-q", "--allow-empty", "--allow-empty-message", "-m", "")

	repo := repotest.OpenRepo(t, dir)
	commits, err := RevList(ctx, repo, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(commits) != 5 {
		t.Fatalf("RevList = %d commits, want 5", len(commits))
	}
	for _, got := range commits {
		want, err := repo.Commit(got.Hash)
		if err != nil {
			t.Fatal(err)
		}
		if got.Hash != want.Hash || strings.Join(got.Parents, " ") != strings.Join(want.Parents, " ") ||
			got.Author != want.Author || got.Email != want.Email || got.Subject != want.Subject || got.Body != want.Body ||
			!got.Time.Equal(want.Time) || !got.CommitTime.Equal(want.CommitTime) ||
			got.Time.Format(time.RFC3339) != want.Time.Format(time.RFC3339) {
			t.Errorf("RevList commit\n %+v\nrepo.Commit\n %+v", got, want)
		}
	}
}

// featureRepo makes a work tree whose branch feature adds f.txt ("add
// feature file") to main's first commit, and returns its path and that
// commit, with main checked out.
func featureRepo(t *testing.T) (dir, noted string) {
	t.Helper()
	dir = gittest.NewRepo(t)
	gittest.Git(t, dir, "checkout", "-q", "-b", "feature")
	noted = gittest.CommitFile(t, dir, 1, "f.txt", "feature\n", "add feature file")
	gittest.Git(t, dir, "checkout", "-q", "main")
	return dir, noted
}

// divergedRepo is featureRepo with a second commit on feature (g.txt) and
// one on main (m.txt) after it.
func divergedRepo(t *testing.T) (dir, noted string) {
	t.Helper()
	dir, noted = featureRepo(t)
	gittest.Git(t, dir, "checkout", "-q", "feature")
	gittest.CommitFile(t, dir, 2, "g.txt", "second\n", "second commit")
	gittest.Git(t, dir, "checkout", "-q", "main")
	gittest.CommitFile(t, dir, 3, "m.txt", "main\n", "main moves")
	return dir, noted
}

// reattachmentsIn loads repo's index and looks for reattachments among the
// commits RevList gives for rev (at most max, 0 for all); it returns the
// matches and those commits.
func reattachmentsIn(t *testing.T, repo *gitstore.Repo, rev string, max int) ([]Match, []gitstore.Commit) {
	t.Helper()
	ctx := context.Background()
	idx, err := LoadIndex(ctx, repo)
	if err != nil {
		t.Fatal(err)
	}
	commits, err := RevList(ctx, repo, []string{rev}, max)
	if err != nil {
		t.Fatal(err)
	}
	matches, err := FindReattachments(ctx, repo, idx, commits)
	if err != nil {
		t.Fatal(err)
	}
	return matches, commits
}
