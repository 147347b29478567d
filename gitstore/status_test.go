package gitstore

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// UncommittedPaths agrees with `git status` in every state a context file
// can be in, whether it answers from the index or asks git.
func TestUncommittedPaths(t *testing.T) {
	past := time.Now().Add(-time.Minute)
	write := func(t *testing.T, dir, name, text string) {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		// Older than the index git writes next: not "racy".
		if err := os.Chtimes(p, past, past); err != nil {
			t.Fatal(err)
		}
	}
	commitA := func(t *testing.T, dir string) {
		write(t, dir, "A.md", "a\n")
		git(t, dir, "add", "A.md")
		git(t, dir, "commit", "-q", "-m", "a")
	}
	tests := []struct {
		name      string
		setup     func(t *testing.T, dir string)
		untracked string // comma-separated
		changed   string
		fromIndex bool // answered without git
	}{
		{"committed", commitA, "", "", true},
		{"untracked", func(t *testing.T, dir string) { write(t, dir, "A.md", "a\n") }, "A.md", "", true},
		{"ignored", func(t *testing.T, dir string) {
			write(t, dir, ".gitignore", "*.md\n")
			write(t, dir, "A.md", "a\n")
		}, "A.md", "", true},
		{"missing", func(t *testing.T, dir string) {}, "", "", true},
		{"staged, not committed", func(t *testing.T, dir string) {
			commitA(t, dir)
			write(t, dir, "A.md", "a, changed\n")
			git(t, dir, "add", "A.md")
		}, "", "A.md", true},
		{"added, never committed", func(t *testing.T, dir string) {
			write(t, dir, "A.md", "a\n")
			git(t, dir, "add", "A.md")
		}, "", "A.md", true},
		{"changed, not staged", func(t *testing.T, dir string) {
			commitA(t, dir)
			if err := os.WriteFile(filepath.Join(dir, "A.md"), []byte("a, edited\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}, "", "A.md", false},
		{"touched, same content", func(t *testing.T, dir string) {
			commitA(t, dir)
			now := time.Now()
			os.Chtimes(filepath.Join(dir, "A.md"), now, now)
		}, "", "", false},
		{"conflict", func(t *testing.T, dir string) {
			commitA(t, dir)
			git(t, dir, "checkout", "-q", "-b", "other")
			write(t, dir, "A.md", "other\n")
			git(t, dir, "commit", "-q", "-am", "other")
			git(t, dir, "checkout", "-q", "main")
			write(t, dir, "A.md", "main\n")
			git(t, dir, "commit", "-q", "-am", "main")
			gitErr(dir, "", "merge", "-q", "other")
		}, "", "A.md", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := newRepo(t)
			tt.setup(t, dir)
			r := openRepo(t, dir)
			u, c, err := r.UncommittedPaths(context.Background(), "A.md", "B.md")
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(u, ",") != tt.untracked || strings.Join(c, ",") != tt.changed {
				t.Errorf("UncommittedPaths = untracked %q changed %q; want %q %q", u, c, tt.untracked, tt.changed)
			}
			_, _, ok := r.uncommittedFromIndex([]string{"A.md"})
			if _, err := os.Lstat(filepath.Join(dir, "A.md")); err == nil && ok != tt.fromIndex {
				t.Errorf("answered from the index: %v, want %v", ok, tt.fromIndex)
			}
			// git's own answer is the same.
			if _, err := os.Lstat(filepath.Join(dir, "A.md")); err == nil {
				u, c, err := r.uncommittedFromStatus(context.Background(), []string{"A.md"})
				if err != nil || strings.Join(u, ",") != tt.untracked || strings.Join(c, ",") != tt.changed {
					t.Errorf("git status: untracked %q changed %q (%v); want %q %q", u, c, err, tt.untracked, tt.changed)
				}
			}
		})
	}
}

func TestUncommittedPathsBare(t *testing.T) {
	dir := newRepo(t)
	bare := filepath.Join(t.TempDir(), "b.git")
	git(t, dir, "clone", "-q", "--bare", dir, bare)
	u, c, err := openRepo(t, bare).UncommittedPaths(context.Background(), "README.md")
	if err != nil || u != nil || c != nil {
		t.Errorf("in a bare repository: %v %v %v; want nothing", u, c, err)
	}
}
