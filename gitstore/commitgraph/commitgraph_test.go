package commitgraph

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/git-codex/git-codex/internal/gittest"
	"github.com/go-git/go-billy/v5/osfs"
	"github.com/go-git/go-git/v5/plumbing"
	cgv2 "github.com/go-git/go-git/v5/plumbing/format/commitgraph/v2"
)

// newRepo makes a history with merges and distinct commit times.
func newRepo(t testing.TB, commits int) string {
	t.Helper()
	gittest.Hermetic(t)
	dir := t.TempDir()
	gittest.Git(t, dir, "init", "-q", "-b", "main")
	addCommits(t, dir, 0, commits)
	return dir
}

func addCommits(t testing.TB, dir string, from, n int) {
	t.Helper()
	for i := from; i < from+n; i++ {
		date := []string{fmt.Sprintf("GIT_COMMITTER_DATE=%d +0000", 1700000000+i*60), fmt.Sprintf("GIT_AUTHOR_DATE=%d +0000", 1700000000+i*60)}
		if i%7 == 6 { // a side branch merged back
			gittest.GitEnv(t, dir, date, "checkout", "-q", "-b", fmt.Sprintf("side%d", i), "HEAD~1")
			gittest.GitEnv(t, dir, date, "commit", "-q", "--allow-empty", "-m", fmt.Sprintf("side %d", i))
			gittest.GitEnv(t, dir, date, "checkout", "-q", "main")
			gittest.GitEnv(t, dir, date, "merge", "-q", "--no-ff", "-m", fmt.Sprintf("merge %d", i), fmt.Sprintf("side%d", i))
			continue
		}
		if err := os.WriteFile(filepath.Join(dir, "f.txt"), []byte(strconv.Itoa(i)), 0o644); err != nil {
			t.Fatal(err)
		}
		gittest.GitEnv(t, dir, date, "add", "-A")
		gittest.GitEnv(t, dir, date, "commit", "-q", "-m", fmt.Sprintf("commit %d", i))
	}
}

type gitCommit struct {
	id      plumbing.Hash
	tree    plumbing.Hash
	parents []plumbing.Hash
	time    int64
}

func gitCommits(t *testing.T, dir string) []gitCommit {
	t.Helper()
	var out []gitCommit
	for _, line := range strings.Split(gittest.Git(t, dir, "log", "--all", "--format=%H %T %ct %P"), "\n") {
		f := strings.Fields(line)
		ct, _ := strconv.ParseInt(f[2], 10, 64)
		c := gitCommit{id: plumbing.NewHash(f[0]), tree: plumbing.NewHash(f[1]), time: ct}
		for _, p := range f[3:] {
			c.parents = append(c.parents, plumbing.NewHash(p))
		}
		out = append(out, c)
	}
	return out
}

// check requires idx to agree with git log on every commit and with go-git's
// own opener on every index position.
func check(t *testing.T, dir string, idx Index) {
	t.Helper()
	ref, err := cgv2.OpenChainOrFileIndex(osfs.New(filepath.Join(dir, ".git")))
	if err != nil {
		t.Fatalf("go-git open: %v", err)
	}
	defer ref.Close()
	commits := gitCommits(t, dir)
	if len(commits) < 10 {
		t.Fatalf("only %d commits", len(commits))
	}
	for _, c := range commits {
		i, err := idx.GetIndexByHash(c.id)
		if err != nil {
			t.Fatalf("GetIndexByHash(%s): %v", c.id, err)
		}
		if j, _ := ref.GetIndexByHash(c.id); j != i {
			t.Errorf("index of %s = %d, go-git %d", c.id, i, j)
		}
		d, err := idx.GetCommitDataByIndex(i)
		if err != nil {
			t.Fatal(err)
		}
		if d.TreeHash != c.tree || !slices.Equal(d.ParentHashes, c.parents) || d.When.Unix() != c.time || d.Generation == 0 {
			t.Errorf("%s: tree %s parents %v time %d gen %d; git says %s %v %d", c.id, d.TreeHash, d.ParentHashes, d.When.Unix(), d.Generation, c.tree, c.parents, c.time)
		}
	}
	if _, err := idx.GetIndexByHash(plumbing.NewHash("0123456789012345678901234567890123456789")); !errors.Is(err, plumbing.ErrObjectNotFound) {
		t.Errorf("absent commit: error = %v", err)
	}
	if got, want := len(idx.Hashes()), len(commits); got != want {
		t.Errorf("%d hashes, want %d", got, want)
	}
}

func TestOpen(t *testing.T) {
	cases := []struct {
		name  string
		write func(t *testing.T, dir string)
		chain bool
	}{
		{"single file", func(t *testing.T, dir string) {
			gittest.Git(t, dir, "commit-graph", "write", "--reachable")
		}, false},
		{"split chain of two graphs", func(t *testing.T, dir string) {
			gittest.Git(t, dir, "commit-graph", "write", "--reachable", "--split=no-merge")
			addCommits(t, dir, 30, 9)
			gittest.Git(t, dir, "commit-graph", "write", "--reachable", "--split=no-merge")
		}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := newRepo(t, 30)
			tc.write(t, dir)
			if tc.chain {
				chain, err := os.ReadFile(filepath.Join(dir, ".git/objects/info/commit-graphs/commit-graph-chain"))
				if err != nil || strings.Count(string(chain), "\n") != 2 {
					t.Fatalf("want a chain of two graphs, got %q (%v)", chain, err)
				}
			}
			idx, err := Open(filepath.Join(dir, ".git"))
			if err != nil {
				t.Fatal(err)
			}
			defer idx.Close()
			check(t, dir, idx)
		})
	}
}

func TestOpenWithoutGraph(t *testing.T) {
	dir := newRepo(t, 2)
	_, err := Open(filepath.Join(dir, ".git"))
	if !errors.Is(err, ErrNotFound) || !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("error = %v, want ErrNotFound", err)
	}
}

func TestOpenCorrupt(t *testing.T) {
	dir := newRepo(t, 3)
	gittest.Git(t, dir, "commit-graph", "write", "--reachable")
	p := filepath.Join(dir, ".git/objects/info/commit-graph")
	os.Chmod(p, 0o644)
	if err := os.WriteFile(p, []byte("CGPH garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	if idx, err := Open(filepath.Join(dir, ".git")); err == nil {
		idx.Close()
		t.Fatal("a corrupt commit-graph opened without error")
	}
}

// BenchmarkWalk follows 10,000 first parents in the repository named by
// CODEX_BIGREPO (bench/mkbigrepo.sh), through this package and through
// go-git's own opener.
func BenchmarkWalk(b *testing.B) {
	dir := os.Getenv("CODEX_BIGREPO")
	if dir == "" {
		b.Skip("set CODEX_BIGREPO to a repository made by bench/mkbigrepo.sh")
	}
	gitDir := filepath.Join(dir, ".git")
	out, err := exec.Command("git", "--git-dir", gitDir, "rev-parse", "HEAD").Output()
	if err != nil {
		b.Fatal(err)
	}
	head := plumbing.NewHash(strings.TrimSpace(string(out)))
	openers := map[string]func() (Index, error){
		"mmap":   func() (Index, error) { return Open(gitDir) },
		"go-git": func() (Index, error) { return cgv2.OpenChainOrFileIndex(osfs.New(gitDir)) },
	}
	for _, name := range []string{"go-git", "mmap"} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				idx, err := openers[name]()
				if err != nil {
					b.Fatal(err)
				}
				i, err := idx.GetIndexByHash(head)
				if err != nil {
					b.Fatal(err)
				}
				for k := 0; k < 10000; k++ {
					d, err := idx.GetCommitDataByIndex(i)
					if err != nil {
						b.Fatal(err)
					}
					if len(d.ParentIndexes) == 0 {
						break
					}
					i = d.ParentIndexes[0]
				}
				idx.Close()
			}
		})
	}
}
