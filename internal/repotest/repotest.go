// Package repotest writes and reads sessions in real repositories for the
// tests of the packages that work on the commit history and with remotes
// (hooks, notesync, history): session records written through gitstore,
// and record ids read back, also from a bare remote with plain git. The
// repositories themselves come from internal/gittest, which only test files
// import; this package is for test files only too.
package repotest

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/git-codex/git-codex/gitstore"
	"github.com/git-codex/git-codex/session"
)

// OpenRepo opens the repository in dir for the rest of the test.
func OpenRepo(t testing.TB, dir string) *gitstore.Repo {
	t.Helper()
	r, err := gitstore.Open(dir, os.Getenv)
	if err != nil {
		t.Fatalf("open %s: %v", dir, err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// seq makes distinct, ordered record times.
var seq = time.Date(2026, 1, 2, 5, 0, 0, 0, time.UTC)

func nextTime() time.Time {
	seq = seq.Add(time.Second)
	return seq
}

// AddTurn appends a turn and its answer to topic on target and returns the
// turn's id.
func AddTurn(t testing.TB, repo *gitstore.Repo, topic, sess, target, text string, usage session.Usage) string {
	t.Helper()
	now := nextTime()
	turn := session.Record{Time: gitstore.FormatTime(now), ID: gitstore.NewID(now), Kind: session.KindTurn,
		Session: sess, Topic: topic, Commit: target, Text: text}
	now = nextTime()
	ans := session.Record{Time: gitstore.FormatTime(now), ID: gitstore.NewID(now), Kind: session.KindAnswer,
		Session: sess, Topic: topic, Commit: target, Turn: turn.ID, Text: "answer to " + text, Usage: &usage}
	if err := AppendRecords(repo, topic, target, turn, ans); err != nil {
		t.Fatalf("append: %v", err)
	}
	return turn.ID
}

// AppendRecords stores session records in topic's notes ref.
func AppendRecords(repo *gitstore.Repo, topic, target string, recs ...session.Record) error {
	lines := make([]gitstore.Record, 0, len(recs))
	for _, r := range recs {
		g, err := r.Encode()
		if err != nil {
			return err
		}
		lines = append(lines, g)
	}
	return repo.Notes().Append(context.Background(), topic, target, lines...)
}

// RecordIDs reads every record id of topic in dir (through a fresh Repo).
func RecordIDs(t testing.TB, dir, topic string) map[string]bool {
	t.Helper()
	r, err := gitstore.Open(dir, os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	recs, _, err := r.Notes().Read(context.Background(), topic)
	if err != nil {
		t.Fatalf("read %s in %s: %v", topic, dir, err)
	}
	ids := map[string]bool{}
	for _, rec := range recs {
		ids[rec.ID] = true
	}
	return ids
}

// RemoteNoteIDs lists record ids in the remote's notes ref using plain git.
func RemoteNoteIDs(t testing.TB, bare, ref string) map[string]bool {
	t.Helper()
	ids := map[string]bool{}
	cmd := exec.Command("git", "--git-dir="+bare, "notes", "--ref="+ref, "list")
	out, err := cmd.Output()
	if err != nil {
		return ids
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		if len(f) != 2 {
			continue
		}
		note, err := exec.Command("git", "--git-dir="+bare, "cat-file", "blob", f[0]).Output()
		if err != nil {
			t.Fatalf("read note %s in %s: %v", f[0], bare, err)
		}
		recs, _ := gitstore.ParseNote(note)
		for _, r := range recs {
			ids[r.ID] = true
		}
	}
	return ids
}

// Missing lists the ids of want that got lacks.
func Missing(want, got map[string]bool) []string {
	var out []string
	for id := range want {
		if !got[id] {
			out = append(out, id)
		}
	}
	return out
}
