package history

import (
	"context"
	"sort"
	"strings"
	"testing"

	"github.com/git-codex/git-codex/gitstore"
	"github.com/git-codex/git-codex/internal/gittest"
	"github.com/git-codex/git-codex/internal/repotest"
	"github.com/git-codex/git-codex/internal/text"
	"github.com/git-codex/git-codex/session"
)

// indexIDs lists the record ids of an index by annotated object, as
// "object:id" strings, sorted.
func indexIDs(idx *Index) []string {
	var out []string
	for obj, recs := range idx.ByObject {
		for _, r := range recs {
			out = append(out, text.ShortID(obj)+":"+r.ID+":"+r.Topic)
		}
	}
	sort.Strings(out)
	return out
}

// The history index cache must never change what LoadIndex returns: it is
// used only while a topic's notes ref is where it was read from, and only by
// the executable that wrote it.
func TestLoadIndexCache(t *testing.T) {
	gittest.Hermetic(t, gitstore.GuardEnv)
	ctx := context.Background()
	tests := []struct {
		name string
		// change acts between the first and the second LoadIndex; it
		// returns the record id that must be there (or must not, with
		// a "-" prefix).
		change func(t *testing.T, dir string, repo *gitstore.Repo, noted string) string
	}{
		{"unchanged notes come from the cache", func(t *testing.T, dir string, repo *gitstore.Repo, noted string) string {
			// Tamper with the cached entry: only a cache hit can return it.
			c := readIndexCache(repo)
			head := gittest.Git(t, dir, "rev-parse", repo.Notes().Ref("feature"))
			ct, ok := c.Notes[head]
			if !ok {
				t.Fatal("no cache entry for topic feature after LoadIndex")
			}
			ct.ByObject = map[string][]session.Record{noted: {{ID: "CACHED", Kind: session.KindTurn, Topic: "feature"}}}
			c.Notes[head] = ct
			writeIndexCache(repo, c)
			return "CACHED"
		}},
		{"a moved notes ref is read again", func(t *testing.T, dir string, repo *gitstore.Repo, noted string) string {
			return repotest.AddTurn(t, repo, "feature", "S", noted, "one more", session.Usage{})
		}},
		{"another executable's cache is not used", func(t *testing.T, dir string, repo *gitstore.Repo, noted string) string {
			c := readIndexCache(repo)
			head := gittest.Git(t, dir, "rev-parse", repo.Notes().Ref("feature"))
			ct := c.Notes[head]
			ct.ByObject = map[string][]session.Record{noted: {{ID: "CACHED", Kind: session.KindTurn}}}
			c.Notes[head], c.Binary = ct, "another build"
			writeIndexCache(repo, c)
			return "-CACHED"
		}},
		{"an unreadable cache is not used", func(t *testing.T, dir string, repo *gitstore.Repo, noted string) string {
			if err := repo.WriteCache(cacheName, []byte("not a cache")); err != nil {
				t.Fatal(err)
			}
			return "-CACHED"
		}},
		{"a deleted topic is dropped", func(t *testing.T, dir string, repo *gitstore.Repo, noted string) string {
			id := repotest.AddTurn(t, repo, "other", "S2", noted, "elsewhere", session.Usage{})
			if _, err := LoadIndex(ctx, repo); err != nil {
				t.Fatal(err)
			}
			gittest.Git(t, dir, "update-ref", "-d", repo.Notes().Ref("other"))
			return "-" + id
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := gittest.NewRepo(t)
			noted := gittest.Git(t, dir, "rev-parse", "HEAD")
			repo := repotest.OpenRepo(t, dir)
			first := repotest.AddTurn(t, repo, "feature", "S", noted, "write it", session.Usage{})
			if _, err := LoadIndex(ctx, repo); err != nil {
				t.Fatal(err)
			}
			want := tt.change(t, dir, repo, noted)

			idx, err := LoadIndex(ctx, repo)
			if err != nil {
				t.Fatal(err)
			}
			got := strings.Join(indexIDs(idx), " ")
			id, absent := strings.CutPrefix(want, "-")
			if strings.Contains(got, ":"+id+":") == absent {
				t.Errorf("LoadIndex = %s; want %s %s", got, map[bool]string{true: "without", false: "with"}[absent], id)
			}
			if want != "CACHED" && !strings.Contains(got, ":"+first+":feature") {
				t.Errorf("LoadIndex = %s; want the first turn %s in topic feature", got, first)
			}
			// Whatever happened, the cache now matches the notes.
			c := readIndexCache(repo)
			if _, ok := c.Notes[gittest.Git(t, dir, "rev-parse", repo.Notes().Ref("feature"))]; !ok || len(c.Notes) != 1 {
				t.Errorf("cache holds %d notes commits, not the one of the notes ref", len(c.Notes))
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
