package gitflow

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/git-codex/git-codex/gitstore"
	"github.com/git-codex/git-codex/internal/gittest"
	"github.com/git-codex/git-codex/session"
)

// hermeticGit makes git ignore the user's and the system's configuration and
// use fixed identities and dates, so commit ids are the same on every run, and
// clears the pre-push guard.
func hermeticGit(t testing.TB) {
	t.Helper()
	gittest.Hermetic(t)
	gittest.Unsetenv(t, GuardEnv)
}

// gitAt runs git with a given commit date (distinct dates keep commit order
// and ids deterministic).
func gitAt(t testing.TB, dir, date string, args ...string) string {
	t.Helper()
	return gittest.GitEnv(t, dir, []string{"GIT_AUTHOR_DATE=" + date, "GIT_COMMITTER_DATE=" + date}, args...)
}

// commitFile writes a file and commits it at the given minute of the fixed day.
func commitFile(t testing.TB, dir string, minute int, name, content, msg string) string {
	t.Helper()
	writeFile(t, dir, name, content)
	gittest.Git(t, dir, "add", name)
	gitAt(t, dir, fmt.Sprintf("2026-01-02T04:%02d:00Z", minute), "commit", "-q", "-m", msg)
	return gittest.Git(t, dir, "rev-parse", "HEAD")
}

func writeFile(t testing.TB, dir, name, content string) {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// bareWithClones makes a bare remote holding one commit and n clones of it.
func bareWithClones(t testing.TB, n int) (string, []string) {
	t.Helper()
	seed := gittest.NewRepo(t)
	bare := filepath.Join(t.TempDir(), "remote.git")
	gittest.Git(t, seed, "clone", "-q", "--bare", seed, bare)
	var clones []string
	for i := 0; i < n; i++ {
		dir := filepath.Join(t.TempDir(), fmt.Sprintf("clone%d", i))
		gittest.Git(t, seed, "clone", "-q", bare, dir)
		clones = append(clones, dir)
	}
	return bare, clones
}

func openRepo(t testing.TB, dir string) *gitstore.Repo {
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

// addTurn appends a turn and its answer to topic on target and returns the
// turn's id.
func addTurn(t testing.TB, repo *gitstore.Repo, topic, sess, target, text string, usage session.Usage) string {
	t.Helper()
	now := nextTime()
	turn := session.Record{Time: gitstore.FormatTime(now), ID: gitstore.NewID(now), Kind: session.KindTurn,
		Session: sess, Topic: topic, Commit: target, Text: text}
	now = nextTime()
	ans := session.Record{Time: gitstore.FormatTime(now), ID: gitstore.NewID(now), Kind: session.KindAnswer,
		Session: sess, Topic: topic, Commit: target, Turn: turn.ID, Text: "answer to " + text, Usage: &usage}
	if err := appendRecords(repo, topic, target, turn, ans); err != nil {
		t.Fatalf("append: %v", err)
	}
	return turn.ID
}

// appendRecords stores session records in topic's notes ref.
func appendRecords(repo *gitstore.Repo, topic, target string, recs ...session.Record) error {
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

// recordIDs reads every record id of topic in dir (through a fresh Repo).
func recordIDs(t testing.TB, dir, topic string) map[string]bool {
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

// remoteNoteIDs lists record ids in the remote's notes ref using plain git.
func remoteNoteIDs(t testing.TB, bare, ref string) map[string]bool {
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
		note := gittest.Git(t, bare, "--git-dir="+bare, "cat-file", "blob", f[0])
		recs, _ := gitstore.ParseNote([]byte(note))
		for _, r := range recs {
			ids[r.ID] = true
		}
	}
	return ids
}

func missing(want, got map[string]bool) []string {
	var out []string
	for id := range want {
		if !got[id] {
			out = append(out, id)
		}
	}
	return out
}

// gitOr runs git in dir and returns its output, or def when it fails.
func gitOr(dir, def string, args ...string) string {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		return def
	}
	return strings.TrimSpace(string(out))
}

// share shares topic with remote (git codex share).
func share(t testing.TB, repo *gitstore.Repo, topic, remote string) {
	t.Helper()
	if _, err := ShareTopic(context.Background(), repo, topic, remote, false); err != nil {
		t.Fatalf("share %s with %s: %v", topic, remote, err)
	}
}
