package gitstore

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/git-codex/git-codex/internal/gittest"
)

// git runs the real git binary in dir and returns its trimmed output.
func git(t testing.TB, dir string, args ...string) string {
	t.Helper()
	return gittest.Git(t, dir, args...)
}

func gitErr(dir, stdin string, args ...string) (string, error) {
	return gittest.GitErr(dir, stdin, args...)
}

// newRepo creates a work tree with one commit and returns its path.
func newRepo(t testing.TB) string {
	t.Helper()
	gittest.Hermetic(t)
	return gittest.NewRepo(t)
}

func openRepo(t testing.TB, dir string) *Repo {
	t.Helper()
	r, err := Open(dir, os.Getenv)
	if err != nil {
		t.Fatalf("Open(%s): %v", dir, err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

var seq int

// rec builds a turn record with a fresh id.
func rec(text string) Record {
	seq++
	now := time.Date(2026, 1, 2, 3, 4, 5, seq, time.UTC)
	return Record{Time: FormatTime(now), ID: NewID(now), Kind: KindTurn, Session: "S1", Text: text}
}

func appendOK(t testing.TB, s Store, topic, target string, recs ...Record) {
	t.Helper()
	if err := s.Append(context.Background(), topic, target, recs...); err != nil {
		t.Fatalf("Append: %v", err)
	}
}
