package session

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/git-codex/git-codex/internal/gittest"
	"github.com/git-codex/git-codex/worktree"
)

// TestToolsHardLinkRule: the file tools read a hard-linked file only when
// git's index tracks that path with that content, as the real git binary
// reports it.
func TestToolsHardLinkRule(t *testing.T) {
	repo := newGitRepo(t)
	dir := repo.WorkTree()
	outside := filepath.Join(t.TempDir(), "secret.txt")
	for name, body := range map[string]string{
		"src/a b[1].go": "package src // tracked\n",
		"run.sh":        "#!/bin/sh\necho tracked\n",
		"staged.txt":    "v1\n",
		"untracked.txt": "not added\n",
		outside:         "TOPSECRET outside\n",
	} {
		p := name
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, filepath.FromSlash(name))
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("run.sh", filepath.Join(dir, "run-link")); err != nil {
		t.Fatal(err)
	}
	gittest.Git(t, dir, "add", "src", "run.sh", "staged.txt", "run-link")
	gittest.Git(t, dir, "commit", "-q", "-m", "more files")
	if err := os.WriteFile(filepath.Join(dir, "staged.txt"), []byte("v2, not staged\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for link, target := range map[string]string{
		"src/copy.go":     "src/a b[1].go",
		"run-copy.sh":     "run.sh",
		"staged-copy.txt": "staged.txt",
		"untracked2.txt":  "untracked.txt",
		"out.txt":         outside,
	} {
		if !filepath.IsAbs(target) {
			target = filepath.Join(dir, filepath.FromSlash(target))
		}
		if err := os.Link(target, filepath.Join(dir, filepath.FromSlash(link))); err != nil {
			t.Skipf("hard links unsupported: %v", err)
		}
	}
	e := &Engine{Repo: repo}
	t.Run("lookup", func(t *testing.T) {
		tests := []struct {
			rel    string
			wantOK bool
		}{
			{"src/a b[1].go", true}, // pathspec magic characters taken literally
			{"run.sh", true},
			{"staged.txt", true}, // the index entry, whatever the work tree holds
			{"src/a b[1]", false},
			{"src", false},
			{"src/copy.go", false},
			{"run-link", false}, // a symlink entry
			{"untracked.txt", false},
			{"nope", false},
		}
		for _, tt := range tests {
			id, ok := e.tracked(context.Background(), tt.rel)
			if ok != tt.wantOK {
				t.Errorf("tracked(%q) ok = %v, want %v", tt.rel, ok, tt.wantOK)
				continue
			}
			if ok {
				if want := gittest.Git(t, dir, "rev-parse", ":"+tt.rel); id != want {
					t.Errorf("tracked(%q) = %s, want %s (git rev-parse :path)", tt.rel, id, want)
				}
			}
		}
	})
	ws, err := e.newWorkspace(&Session{ID: "s", Topic: "main"}, DefaultMode(), "t", 1, "", nil, discard{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	call := ws.call
	tests := []struct {
		path string
		want string // in the result; "" = refused
	}{
		{"src/a b[1].go", "package src // tracked"},
		{"run.sh", "echo tracked"},
		{"src/copy.go", ""},
		{"run-copy.sh", ""},
		{"staged.txt", ""}, // changed since it was staged
		{"staged-copy.txt", ""},
		{"untracked.txt", ""},
		{"out.txt", ""},
	}
	for _, tt := range tests {
		t.Run("read_file "+tt.path, func(t *testing.T) {
			out, err := call(context.Background(), "read_file", `{"path":"`+tt.path+`"}`)
			if strings.Contains(out, "TOPSECRET") {
				t.Fatalf("read_file %s leaked: %q", tt.path, out)
			}
			if tt.want == "" {
				if !errors.Is(err, worktree.ErrRefused) || !strings.Contains(err.Error(), "hard links") {
					t.Errorf("read_file %s = %q, %v; want a hard-link refusal", tt.path, out, err)
				}
				return
			}
			if err != nil || !strings.Contains(out, tt.want) {
				t.Errorf("read_file %s = %q, %v; want %q", tt.path, out, err, tt.want)
			}
		})
	}
}
