package gitstore

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The store works wherever a user runs git: subdirectories, linked
// worktrees (also with extensions.worktreeConfig, which go-git refuses),
// refs only in packed-refs, after gc; bare repositories are readable.
func TestOpenRealRepositoryShapes(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name  string
		setup func(t *testing.T, main string) (dir string)
	}{
		{"subdirectory", func(t *testing.T, main string) string {
			sub := filepath.Join(main, "a", "b")
			os.MkdirAll(sub, 0o755)
			return sub
		}},
		{"linked worktree", func(t *testing.T, main string) string {
			wt := filepath.Join(t.TempDir(), "wt")
			git(t, main, "worktree", "add", "-q", "-b", "side", wt)
			return wt
		}},
		{"worktreeConfig extension", func(t *testing.T, main string) string {
			wt := filepath.Join(t.TempDir(), "wt")
			git(t, main, "worktree", "add", "-q", "-b", "side2", wt)
			git(t, main, "config", "extensions.worktreeConfig", "true")
			git(t, wt, "config", "--worktree", "codex.model", "local-model")
			return wt
		}},
		{"packed refs only after gc", func(t *testing.T, main string) string {
			git(t, main, "gc", "-q", "--prune=now")
			return main
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			main := newRepo(t)
			dir := tc.setup(t, main)
			r := openRepo(t, dir)
			h, err := r.Head()
			if err != nil || h.Commit == "" {
				t.Fatalf("Head = %+v, %v", h, err)
			}
			if want := git(t, dir, "rev-parse", "HEAD"); h.Commit != want {
				t.Fatalf("Head = %s, git says %s", h.Commit, want)
			}
			appendOK(t, r.Notes(), h.Branch, h.Target(), rec("from "+tc.name))
			// git, run in the main work tree, sees the note: nothing was
			// written where git does not look.
			ref := r.TopicRef(h.Branch)
			if got := git(t, main, "notes", "--ref="+ref, "show", h.Commit); !strings.Contains(got, "from "+tc.name) {
				t.Fatalf("git in main work tree shows %q", got)
			}
			git(t, main, "pack-refs", "--all", "--prune")
			appendOK(t, r.Notes(), h.Branch, h.Target(), rec("after pack-refs"))
			recs, _, err := openRepo(t, dir).Notes().Read(ctx, h.Branch)
			if err != nil || len(recs) != 2 {
				t.Fatalf("read %d records, %v", len(recs), err)
			}
			git(t, main, "fsck", "--strict", "--no-dangling")
		})
	}
}

func TestOpenBareAndOutside(t *testing.T) {
	main := newRepo(t)
	r := openRepo(t, main)
	appendOK(t, r.Notes(), "t", git(t, main, "rev-parse", "HEAD"), rec("pushed"))
	bare := filepath.Join(t.TempDir(), "remote.git")
	git(t, main, "clone", "-q", "--bare", main, bare)
	git(t, main, "push", "-q", bare, "refs/notes/*:refs/notes/*")
	br := openRepo(t, bare)
	if br.WorkTree() != "" {
		t.Fatalf("bare repo has work tree %q", br.WorkTree())
	}
	recs, _, err := br.Notes().Read(context.Background(), "t")
	if err != nil || len(recs) != 1 {
		t.Fatalf("bare read %d, %v", len(recs), err)
	}
	if _, err := Open(t.TempDir(), func(string) string { return "" }); !errors.Is(err, ErrNotRepository) {
		t.Fatalf("Open outside a repository = %v", err)
	}
}

func TestHooksEnvironment(t *testing.T) {
	main := newRepo(t)
	env := map[string]string{"GIT_DIR": filepath.Join(main, ".git")}
	r, err := Open(t.TempDir(), func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if h, err := r.Head(); err != nil || h.Branch != "main" {
		t.Fatalf("Head under GIT_DIR = %+v, %v", h, err)
	}
}
