package gitstore_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/git-codex/git-codex/gitstore"
	"github.com/git-codex/git-codex/gitstore/storetest"
)

func TestConformanceMemory(t *testing.T) {
	storetest.Run(t, func(t *testing.T) gitstore.Store { return gitstore.NewMemoryStore() })
}

func TestConformanceNotes(t *testing.T) {
	storetest.Run(t, func(t *testing.T) gitstore.Store {
		home := t.TempDir()
		t.Setenv("HOME", home)
		t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
		dir := t.TempDir()
		if out, err := exec.Command("git", "init", "-q", dir).CombinedOutput(); err != nil {
			t.Fatalf("git init: %v %s", err, out)
		}
		r, err := gitstore.Open(dir, os.Getenv)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			r.Close()
			// Plain git must find the repository sound after every case.
			if out, err := exec.Command("git", "-C", dir, "fsck", "--strict", "--no-dangling").CombinedOutput(); err != nil {
				t.Errorf("git fsck: %v\n%s", err, out)
			}
			_ = filepath.Join
		})
		return r.Notes()
	})
}
