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
)

// hermeticGit makes git ignore the user's and the system's configuration and
// use fixed identities and dates, so commit ids are the same on every run.
func hermeticGit(t testing.TB) {
	t.Helper()
	home := t.TempDir()
	for k, v := range map[string]string{
		"HOME":                home,
		"XDG_CONFIG_HOME":     filepath.Join(home, ".config"),
		"GIT_CONFIG_NOSYSTEM": "1",
		"GIT_AUTHOR_NAME":     "Test User",
		"GIT_AUTHOR_EMAIL":    "test@example.com",
		"GIT_COMMITTER_NAME":  "Test User",
		"GIT_COMMITTER_EMAIL": "test@example.com",
		"GIT_AUTHOR_DATE":     "2026-01-02T03:04:05Z",
		"GIT_COMMITTER_DATE":  "2026-01-02T03:04:05Z",
		GuardEnv:              "",
	} {
		t.Setenv(k, v)
	}
	for _, k := range []string{"GIT_DIR", "GIT_WORK_TREE", "GIT_COMMON_DIR", "GIT_INDEX_FILE", GuardEnv} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	cfg := "[init]\n\tdefaultBranch = main\n[gc]\n\tauto = 0\n[advice]\n\tdetachedHead = false\n[protocol \"file\"]\n\tallow = always\n"
	if err := os.WriteFile(filepath.Join(home, ".gitconfig"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
}

// git runs the real git binary in dir and returns trimmed output.
func git(t testing.TB, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// gitAt runs git with a given commit date (distinct dates keep commit order
// and ids deterministic).
func gitAt(t testing.TB, dir, date string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_DATE="+date, "GIT_COMMITTER_DATE="+date)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// newRepo makes a work tree with one commit on main.
func newRepo(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	git(t, dir, "init", "-q")
	writeFile(t, dir, "README.md", "hello\n")
	git(t, dir, "add", ".")
	git(t, dir, "commit", "-q", "-m", "first")
	return dir
}

// commitFile writes a file and commits it at the given minute of the fixed day.
func commitFile(t testing.TB, dir string, minute int, name, content, msg string) string {
	t.Helper()
	writeFile(t, dir, name, content)
	git(t, dir, "add", name)
	gitAt(t, dir, fmt.Sprintf("2026-01-02T04:%02d:00Z", minute), "commit", "-q", "-m", msg)
	return git(t, dir, "rev-parse", "HEAD")
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
	seed := newRepo(t)
	bare := filepath.Join(t.TempDir(), "remote.git")
	git(t, seed, "clone", "-q", "--bare", seed, bare)
	var clones []string
	for i := 0; i < n; i++ {
		dir := filepath.Join(t.TempDir(), fmt.Sprintf("clone%d", i))
		git(t, seed, "clone", "-q", bare, dir)
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
func addTurn(t testing.TB, repo *gitstore.Repo, topic, session, target, text string, usage gitstore.Usage) string {
	t.Helper()
	now := nextTime()
	turn := gitstore.Record{Time: gitstore.FormatTime(now), ID: gitstore.NewID(now), Kind: gitstore.KindTurn,
		Session: session, Topic: topic, Commit: target, Text: text}
	now = nextTime()
	ans := gitstore.Record{Time: gitstore.FormatTime(now), ID: gitstore.NewID(now), Kind: gitstore.KindAnswer,
		Session: session, Topic: topic, Commit: target, Turn: turn.ID, Text: "answer to " + text, Usage: &usage}
	if err := repo.Notes().Append(context.Background(), topic, target, turn, ans); err != nil {
		t.Fatalf("append: %v", err)
	}
	return turn.ID
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
		note := git(t, bare, "--git-dir="+bare, "cat-file", "blob", f[0])
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
