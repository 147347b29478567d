package worktree

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestCheckPath(t *testing.T) {
	root := t.TempDir()
	outside := filepath.Join(t.TempDir(), "passwd")
	for name, data := range map[string]string{
		"main.go": "package main\n", "docs/a.md": "# a\n", ".env": "KEY=1\n", "config/.env.local": "K=2\n",
	} {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(outside, []byte("root:x:0:0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(root, ".git"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, ".git", "config"), []byte("[core]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(root, "passwd-link")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("main.go", filepath.Join(root, "inside-link")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(".env", filepath.Join(root, "env-link")); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, rel string
		want      error
	}{
		{"plain file", "main.go", nil},
		{"nested file", "docs/a.md", nil},
		{"dot slash", "./main.go", nil},
		{"symlink inside", "inside-link", nil},
		{"dotenv", ".env", ErrRefused},
		{"nested dotenv", "config/.env.local", ErrRefused},
		{"git config", ".git/config", ErrRefused},
		{"symlink out", "passwd-link", ErrRefused},
		{"symlink to secret", "env-link", ErrRefused},
		{"dotdot escape", "../x", ErrRefused},
		{"absolute", outside, ErrRefused},
		{"missing", "nope.go", ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckPath(context.Background(), root, tt.rel, nil)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("CheckPath(%q) = %v, want nil", tt.rel, err)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("CheckPath(%q) = %v, want %v", tt.rel, err, tt.want)
			}
		})
	}
}
