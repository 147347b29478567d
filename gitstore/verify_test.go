package gitstore

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/git-codex/git-codex/internal/gittest"
)

// check's storage scan: every kind of damage is found, with its fix.
func TestVerifyNotesRefs(t *testing.T) {
	tests := []struct {
		name   string
		damage func(t *testing.T, dir string)
		want   []string // substrings of problem details, in ref order
		fix    []string // substrings of the fixes
	}{
		{"healthy", func(t *testing.T, dir string) {}, nil, nil},
		{
			name:   "zero-byte ref",
			damage: func(t *testing.T, dir string) { gittest.WriteFile(t, dir, ".git/refs/notes/codex/b", "") },
			want:   []string{"zero-byte ref file"},
			fix:    []string{"rm '"},
		},
		{
			name:   "garbage ref",
			damage: func(t *testing.T, dir string) { gittest.WriteFile(t, dir, ".git/refs/notes/codex/b", "hello\n") },
			want:   []string{"broken ref file"},
			fix:    []string{"rm '"},
		},
		{
			name: "stale lock",
			damage: func(t *testing.T, dir string) {
				p := filepath.Join(dir, ".git/refs/notes/codex/a.lock")
				gittest.WriteFile(t, dir, ".git/refs/notes/codex/a.lock", "")
				old := time.Now().Add(-time.Hour)
				if err := os.Chtimes(p, old, old); err != nil {
					t.Fatal(err)
				}
			},
			want: []string{"stale lock file"},
			fix:  []string{"rm '"},
		},
		{
			name:   "fresh lock is a write in progress",
			damage: func(t *testing.T, dir string) { gittest.WriteFile(t, dir, ".git/refs/notes/codex/a.lock", "") },
		},
		{
			name: "missing object",
			damage: func(t *testing.T, dir string) {
				gittest.WriteFile(t, dir, ".git/refs/notes/codex/c", strings.Repeat("1", 40)+"\n")
			},
			want: []string{"missing from the object store"},
			fix:  []string{"git update-ref -d refs/notes/codex/c"},
		},
		{
			name: "packed refs are checked too",
			damage: func(t *testing.T, dir string) {
				git(t, dir, "pack-refs", "--all")
				f, err := os.OpenFile(filepath.Join(dir, ".git/packed-refs"), os.O_APPEND|os.O_WRONLY, 0)
				if err != nil {
					t.Fatal(err)
				}
				f.WriteString(strings.Repeat("2", 40) + " refs/notes/codex/d\n")
				f.Close()
			},
			want: []string{"missing from the object store"},
			fix:  []string{"refs/notes/codex/d"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := newRepo(t)
			appendOK(t, openRepo(t, dir).Notes(), "a", git(t, dir, "rev-parse", "HEAD"), rec("hello"))
			tt.damage(t, dir)
			probs, err := openRepo(t, dir).VerifyNotesRefs(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if len(probs) != len(tt.want) {
				t.Fatalf("problems = %+v, want %d", probs, len(tt.want))
			}
			for i, p := range probs {
				if !strings.Contains(p.Detail, tt.want[i]) || !strings.Contains(p.Fix, tt.fix[i]) {
					t.Errorf("problem %d = %+v, want detail %q and fix %q", i, p, tt.want[i], tt.fix[i])
				}
			}
		})
	}
}
