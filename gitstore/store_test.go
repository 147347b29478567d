package gitstore_test

import (
	"os"
	"testing"

	"github.com/git-codex/git-codex/gitstore"
	"github.com/git-codex/git-codex/gitstore/storetest"
	"github.com/git-codex/git-codex/internal/gittest"
)

func TestConformanceMemory(t *testing.T) {
	storetest.Run(t, func(t *testing.T) gitstore.Store { return gitstore.NewMemoryStore() })
}

func TestConformanceNotes(t *testing.T) {
	storetest.Run(t, func(t *testing.T) gitstore.Store {
		gittest.Hermetic(t)
		dir := t.TempDir()
		gittest.Git(t, dir, "init", "-q")
		r, err := gitstore.Open(dir, os.Getenv)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			r.Close()
			// Plain git must find the repository sound after every case.
			if out, err := gittest.GitErr(dir, "", "fsck", "--strict", "--no-dangling"); err != nil {
				t.Errorf("git fsck: %v\n%s", err, out)
			}
		})
		return r.Notes()
	})
}

// The read view that also sees fetched notes is a Store like any other.
func TestConformanceNotesWithRemotes(t *testing.T) {
	storetest.Run(t, func(t *testing.T) gitstore.Store {
		gittest.Hermetic(t)
		dir := t.TempDir()
		gittest.Git(t, dir, "init", "-q")
		r, err := gitstore.Open(dir, os.Getenv)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { r.Close() })
		return r.Notes().WithRemotes()
	})
}
