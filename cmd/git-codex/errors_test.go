package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/git-codex/git-codex/cmd/git-codex/failure"
	"github.com/git-codex/git-codex/internal/gittest"
)

// `git codex sync` interrupted (Ctrl-C while git fetch talks to the remote)
// exits 130, not 1.
func TestSyncInterruptedExits130(t *testing.T) {
	hookEnv(t)
	base := t.TempDir()
	bare := filepath.Join(base, "remote.git")
	gittest.Git(t, base, "init", "-q", "--bare", bare)
	dir := workWithHook(t, false)
	gittest.Git(t, dir, "remote", "add", "origin", bare)
	// The remote's upload-pack says it started, then hangs.
	started := filepath.Join(base, "started")
	gittest.Git(t, dir, "config", "remote.origin.uploadpack", "touch '"+started+"'; sleep 30; git-upload-pack")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		for ctx.Err() == nil {
			if _, err := os.Stat(started); err == nil {
				cancel() // Ctrl-C
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
	var stdout, stderr bytes.Buffer
	e := newEnv(strings.NewReader(""), &stdout, &stderr, os.Getenv)
	e.Dir = dir
	defer e.close()
	code := run(ctx, e, []string{"git-codex", "sync"})
	if code != failure.ExitInterrupted {
		t.Fatalf("exit code %d, want %d; stderr:\n%s", code, failure.ExitInterrupted, stderr.String())
	}
	if stderr.String() != "git-codex: interrupted\n" || stdout.Len() != 0 {
		t.Errorf("stdout %q, stderr %q; want only the interruption said once", stdout.String(), stderr.String())
	}
}
