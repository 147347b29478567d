package history

import (
	"context"
	"strings"
	"testing"

	"github.com/git-codex/git-codex/gitstore"
	"github.com/git-codex/git-codex/internal/gittest"
	"github.com/git-codex/git-codex/internal/repotest"
	"github.com/git-codex/git-codex/session"
)

// shownTurns runs Log on HEAD and lists the turns it shows, as
// "topic:id" strings.
func shownTurns(t *testing.T, repo *gitstore.Repo) string {
	t.Helper()
	entries, _, err := Log(context.Background(), repo, LogOptions{Max: 1})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		for _, tv := range e.Turns {
			out = append(out, tv.Topic+":"+tv.Turn)
		}
	}
	return strings.Join(out, " ")
}

// The notes facts cache must never change what the views show: a list of
// notes is used only for the notes commit it was read from, a brief only
// for its blob, and only by the executable that wrote them.
func TestNotesFactsCache(t *testing.T) {
	gittest.Hermetic(t, gitstore.GuardEnv)
	if binaryID() == "" {
		t.Skip("the test binary has no identity: the cache is off")
	}
	// tamper empties the cached list of topic feature's notes: only a
	// cache hit shows no turn.
	tamper := func(t *testing.T, dir string, repo *gitstore.Repo, binary string) {
		t.Helper()
		c := readNotesFacts(repo)
		head := gittest.Git(t, dir, "rev-parse", repo.Notes().Ref("feature"))
		if _, ok := c.Notes[head]; !ok {
			t.Fatal("no cached list for topic feature after Log")
		}
		c.Notes[head] = []gitstore.NoteBlob{}
		c.Binary = binary
		writeNotesFacts(repo, c)
	}
	tests := []struct {
		name string
		// change acts between the first and the second Log; it returns
		// the turn that must be shown (or must not, with a "-" prefix).
		change func(t *testing.T, dir string, repo *gitstore.Repo, first string) string
	}{
		{"unchanged notes come from the cache", func(t *testing.T, dir string, repo *gitstore.Repo, first string) string {
			tamper(t, dir, repo, binaryID())
			return "-" + first
		}},
		{"a moved notes ref is listed again", func(t *testing.T, dir string, repo *gitstore.Repo, first string) string {
			return repotest.AddTurn(t, repo, "feature", "S", gittest.Git(t, dir, "rev-parse", "HEAD"), "one more", session.Usage{})
		}},
		{"another executable's cache is not used", func(t *testing.T, dir string, repo *gitstore.Repo, first string) string {
			tamper(t, dir, repo, "another build")
			return first
		}},
		{"an unreadable cache is not used", func(t *testing.T, dir string, repo *gitstore.Repo, first string) string {
			if err := repo.WriteCache(notesFactsName, []byte("not a cache")); err != nil {
				t.Fatal(err)
			}
			return first
		}},
		{"a deleted topic is dropped", func(t *testing.T, dir string, repo *gitstore.Repo, first string) string {
			id := repotest.AddTurn(t, repo, "other", "S2", gittest.Git(t, dir, "rev-parse", "HEAD"), "elsewhere", session.Usage{})
			if got := shownTurns(t, repo); !strings.Contains(got, id) {
				t.Fatalf("Log shows %s; want topic other's turn %s", got, id)
			}
			gittest.Git(t, dir, "update-ref", "-d", repo.Notes().Ref("other"))
			return "-" + id
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := gittest.NewRepo(t)
			repo := repotest.OpenRepo(t, dir)
			first := repotest.AddTurn(t, repo, "feature", "S", gittest.Git(t, dir, "rev-parse", "HEAD"), "write it", session.Usage{})
			if got := shownTurns(t, repo); got != "feature:"+first {
				t.Fatalf("Log shows %q; want the first turn", got)
			}
			want := tt.change(t, dir, repo, first)
			got := shownTurns(t, repo)
			id, absent := strings.CutPrefix(want, "-")
			if strings.Contains(got, id) == absent {
				t.Errorf("Log shows %q; want %s %s", got, map[bool]string{true: "without", false: "with"}[absent], id)
			}
			// Whatever happened, the cache now lists the notes there are.
			c := readNotesFacts(repo)
			if len(c.Notes) != len(c.Heads) || c.Heads[repo.Notes().Ref("feature")] == "" {
				t.Errorf("cache lists notes commits %d, refs %v", len(c.Notes), c.Heads)
			}
		})
	}
}

// A noted commit whose header is cached but which was collected since must
// not count as existing: the subject rule needs the commit to be here.
func TestCachedHeaderOfCollectedCommit(t *testing.T) {
	gittest.Hermetic(t, gitstore.GuardEnv)
	ctx := context.Background()
	dir, noted := featureRepo(t)
	repotest.AddTurn(t, repotest.OpenRepo(t, dir), "feature", "S", noted, "write the feature", session.Usage{})
	if _, _, err := Log(ctx, repotest.OpenRepo(t, dir), LogOptions{Max: 1}); err != nil {
		t.Fatal(err)
	}
	if _, ok := readNotesFacts(repotest.OpenRepo(t, dir)).Commits[noted]; !ok {
		t.Fatalf("the header of %s was not cached", noted)
	}
	gittest.Git(t, dir, "branch", "-q", "-D", "feature")
	gittest.Git(t, dir, "reflog", "expire", "--expire=now", "--all")
	gittest.Git(t, dir, "gc", "-q", "--prune=now")
	gittest.WriteFile(t, dir, "g.txt", "squashed\n")
	gittest.Git(t, dir, "add", "g.txt")
	gittest.GitAt(t, dir, "2026-01-02T06:00:00Z", "commit", "-q", "-m", "Feature (#1)\n\n* add feature file")

	entries, _, err := Log(ctx, repotest.OpenRepo(t, dir), LogOptions{Max: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || len(entries[0].Turns) != 0 {
		t.Errorf("Log = %+v; want the squash commit without turns (its source is gone)", entries)
	}
}
