package gitstore

import (
	"context"
	"maps"
	"os"
	"path/filepath"
	"sort"
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

// DirtyPaths lists what differs from HEAD, file by file, and nothing that
// matches it or is ignored; TreeFiles reads a commit's tree as git does.
func TestDirtyPathsAndTreeFiles(t *testing.T) {
	dir := newRepo(t)
	files := map[string]string{
		"clean.txt": "c\n", "edited.txt": "e\n", "staged.txt": "s\n", "gone.txt": "g\n",
		"sub/deep.txt": "d\n", "run.sh": "#!/bin/sh\n", ".gitignore": "*.log\n",
	}
	for name, text := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	os.Chmod(filepath.Join(dir, "run.sh"), 0o755)
	git(t, dir, "add", "-A")
	git(t, dir, "commit", "-q", "-m", "files")
	head := git(t, dir, "rev-parse", "HEAD")
	for name, text := range map[string]string{"edited.txt": "e2\n", "staged.txt": "s2\n", "new/a.txt": "n\n", "new/b.txt": "n\n", "debug.log": "x\n"} {
		p := filepath.Join(dir, filepath.FromSlash(name))
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	git(t, dir, "add", "staged.txt")
	os.Remove(filepath.Join(dir, "gone.txt"))
	r := openRepo(t, dir)

	dirty, err := r.DirtyPaths(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(dirty)
	if got, want := strings.Join(dirty, ","), "edited.txt,gone.txt,new/a.txt,new/b.txt,staged.txt"; got != want {
		t.Errorf("DirtyPaths = %s, want %s", got, want)
	}

	got, err := r.TreeFiles(context.Background(), head, []string{"clean.txt", "sub/deep.txt", "run.sh", "new/a.txt", "sub", "gone.txt"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]TreeFile{
		"clean.txt":    {Blob: git(t, dir, "rev-parse", head+":clean.txt")},
		"sub/deep.txt": {Blob: git(t, dir, "rev-parse", head+":sub/deep.txt")},
		"run.sh":       {Blob: git(t, dir, "rev-parse", head+":run.sh"), Executable: true},
		"gone.txt":     {Blob: git(t, dir, "rev-parse", head+":gone.txt")},
	}
	if !maps.Equal(got, want) {
		t.Errorf("TreeFiles = %v, want %v", got, want)
	}
	if got, err := r.TreeFiles(context.Background(), EmptyTree, []string{"clean.txt"}); err != nil || len(got) != 0 {
		t.Errorf("TreeFiles of the empty tree = %v, %v; want nothing", got, err)
	}

	ignored, err := r.IgnoredPaths(context.Background(), []string{"debug.log", "clean.txt", "new/x.log", "new/a.txt"})
	if err != nil || !maps.Equal(ignored, map[string]bool{"debug.log": true, "new/x.log": true}) {
		t.Errorf("IgnoredPaths = %v, %v; want debug.log and new/x.log", ignored, err)
	}
	if ignored, err := r.IgnoredPaths(context.Background(), []string{"clean.txt"}); err != nil || len(ignored) != 0 {
		t.Errorf("IgnoredPaths of a tracked file = %v, %v; want none", ignored, err)
	}
}
