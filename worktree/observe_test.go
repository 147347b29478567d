package worktree_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/git-codex/git-codex/worktree"
)

// State reads a file as an edit would, refusing what the rules refuse, and
// Describe turns two states into the Change Prepare would report for them:
// the states of a file someone else (the Codex CLI) changed.
func TestStateAndDescribe(t *testing.T) {
	_, root := editTree(t)
	e, err := worktree.NewEditor(root, worktree.EditOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	before, err := e.State(ctx, "README.md")
	if err != nil || !before.Exists || string(before.Data) != "# Demo\n\nA demo project.\n" || before.Blob != worktree.BlobID(worktree.SHA1, before.Data) {
		t.Fatalf("State(README.md) = %+v, %v", before, err)
	}
	if err := os.WriteFile(filepath.Join(root, "README.md"), []byte("# Demo\n\nA changed project.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	after, err := e.State(ctx, "README.md")
	if err != nil {
		t.Fatal(err)
	}
	missing, err := e.State(ctx, "no/such/file.txt")
	if err != nil || missing.Exists {
		t.Fatalf("State of a missing file = %+v, %v", missing, err)
	}
	head := e.NewState([]byte("#!/bin/sh\n"), 0o755)

	tests := []struct {
		name          string
		path          string
		before, after worktree.State
		op            worktree.OpType
		diff          string // a piece of the diff
		summary       string
	}{
		{"update", "README.md", before, after, worktree.OpUpdate, "-A demo project.\n+A changed project.", "updated README.md (+1 -1)"},
		{"create", "new.txt", missing, e.NewState([]byte("a\nb\n"), 0o644), worktree.OpCreate, "--- /dev/null\n+++ b/new.txt", "created new.txt (2 lines)"},
		{"delete", "run.sh", head, missing, worktree.OpDelete, "+++ /dev/null", "deleted run.sh (1 line)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := e.Describe(tt.path, tt.before, tt.after)
			if err != nil {
				t.Fatal(err)
			}
			if c.Op != tt.op || c.Path != tt.path || !strings.Contains(c.Diff, tt.diff) || c.Summary() != tt.summary {
				t.Errorf("Describe = %s %s %q %q", c.Op, c.Path, c.Diff, c.Summary())
			}
			if c.BeforeBlob != tt.before.Blob || c.AfterBlob != tt.after.Blob {
				t.Errorf("blobs %s → %s, want %s → %s", c.BeforeBlob, c.AfterBlob, tt.before.Blob, tt.after.Blob)
			}
		})
	}
	if _, err := e.Describe("x.txt", missing, missing); err == nil {
		t.Error("Describe of a file that never existed: no error")
	}
	for _, p := range []string{".env", ".git/config", "link-in.go", "../outside/secret.txt"} {
		if st, err := e.State(ctx, p); !errors.Is(err, worktree.ErrRefused) || st.Data != nil {
			t.Errorf("State(%s) = %q, %v; want it refused", p, st.Data, err)
		}
		if _, err := e.Describe(p, missing, e.NewState([]byte("x"), 0o644)); p != "link-in.go" && !errors.Is(err, worktree.ErrRefused) {
			t.Errorf("Describe(%s): %v; want it refused", p, err)
		}
	}
}
