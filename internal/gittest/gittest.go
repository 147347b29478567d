// Package gittest holds hermetic real-git helpers for tests: a temporary
// HOME, GIT_CONFIG_NOSYSTEM=1, fixed identities and dates, so that commit ids
// are the same on every run and nothing of the user's or the system's git
// configuration leaks in. It runs the git binary on PATH.
//
// Only _test.go files may import it; non-test code must not. It imports
// nothing from this module, so every package's internal tests can use it
// without an import cycle.
package gittest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The fixed identity and date of every commit made under Hermetic.
const (
	Name  = "Test User"
	Email = "test@example.com"
	Date  = "2026-01-02T03:04:05Z"
)

// GlobalConfig is the ~/.gitconfig Hermetic writes: branch main, no
// automatic gc (it would race with tests that count objects or packs), no
// detached-HEAD advice, and local file:// remotes allowed for submodules.
const GlobalConfig = "[user]\n\tname = " + Name + "\n\temail = " + Email + "\n" +
	"[init]\n\tdefaultBranch = main\n[gc]\n\tauto = 0\n[advice]\n\tdetachedHead = false\n" +
	"[protocol \"file\"]\n\tallow = always\n"

// Env returns the environment variables that make git hermetic with home as
// its HOME (where GlobalConfig belongs), for callers that do not set the
// environment through testing.TB, such as testscript setups.
func Env(home string) map[string]string {
	return map[string]string{
		"HOME":                home,
		"XDG_CONFIG_HOME":     filepath.Join(home, ".config"),
		"GIT_CONFIG_NOSYSTEM": "1",
		"GIT_AUTHOR_NAME":     Name,
		"GIT_AUTHOR_EMAIL":    Email,
		"GIT_COMMITTER_NAME":  Name,
		"GIT_COMMITTER_EMAIL": Email,
		"GIT_AUTHOR_DATE":     Date,
		"GIT_COMMITTER_DATE":  Date,
	}
}

// repoVars point git at another repository than the one it finds from its
// working directory; Hermetic unsets them.
var repoVars = []string{"GIT_DIR", "GIT_WORK_TREE", "GIT_COMMON_DIR", "GIT_INDEX_FILE"}

// Hermetic makes git in this test ignore the user's and the system's
// configuration and use fixed identities and dates: it sets Env with a fresh
// temporary HOME holding GlobalConfig (through t.Setenv, so it is undone
// when the test ends) and unsets the variables that redirect git to another
// repository, and the variables named in unset (such as a guard of the
// caller's own). It returns the HOME directory.
func Hermetic(t testing.TB, unset ...string) string {
	t.Helper()
	home := t.TempDir()
	for k, v := range Env(home) {
		t.Setenv(k, v)
	}
	Unsetenv(t, repoVars...)
	Unsetenv(t, unset...)
	if err := os.WriteFile(filepath.Join(home, ".gitconfig"), []byte(GlobalConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	return home
}

// Unsetenv unsets the variables for the rest of the test and restores them
// when it ends.
func Unsetenv(t testing.TB, keys ...string) {
	t.Helper()
	for _, k := range keys {
		t.Setenv(k, "") // registers the restore
		os.Unsetenv(k)
	}
}

// Git runs the real git in dir and returns its trimmed output (stdout and
// stderr); it fails the test with that output if git fails.
func Git(t testing.TB, dir string, args ...string) string {
	t.Helper()
	return GitEnv(t, dir, nil, args...)
}

// GitEnv is Git with env ("KEY=value") added to the environment, for
// example a commit date of its own.
func GitEnv(t testing.TB, dir string, env []string, args ...string) string {
	t.Helper()
	out, err := run(dir, "", env, args)
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// GitErr runs the real git in dir with stdin as its input (none if empty)
// and returns its trimmed output (stdout and stderr) and error. It does not
// need a test, so goroutines and child processes can use it.
func GitErr(dir, stdin string, args ...string) (string, error) {
	return run(dir, stdin, nil, args)
}

func run(dir, stdin string, env, args []string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	out, err := cmd.CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

// NewRepo makes a work tree with one commit ("first", adding README.md) on
// the default branch and returns its path. Call Hermetic first.
func NewRepo(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	Git(t, dir, "init", "-q")
	if err := os.WriteFile(filepath.Join(dir, "README.md"), []byte("hello\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	Git(t, dir, "add", ".")
	Git(t, dir, "commit", "-q", "-m", "first")
	return dir
}

// GitAt runs git with a given author and committer date (distinct dates
// keep commit order and ids deterministic).
func GitAt(t testing.TB, dir, date string, args ...string) string {
	t.Helper()
	return GitEnv(t, dir, []string{"GIT_AUTHOR_DATE=" + date, "GIT_COMMITTER_DATE=" + date}, args...)
}

// CommitFile writes a file and commits it at the given minute of the fixed
// day, and returns the commit's id.
func CommitFile(t testing.TB, dir string, minute int, name, content, msg string) string {
	t.Helper()
	WriteFile(t, dir, name, content)
	Git(t, dir, "add", name)
	GitAt(t, dir, fmt.Sprintf("2026-01-02T04:%02d:00Z", minute), "commit", "-q", "-m", msg)
	return Git(t, dir, "rev-parse", "HEAD")
}

// WriteFile writes a file below dir, making its directories.
func WriteFile(t testing.TB, dir, name, content string) {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// CommitContextFiles writes and commits ARCHITECTURE.md and AGENTS.md. The
// files are dated a minute back, so that the index written right after them
// vouches for them (a file as new as the index is "racy" and makes git
// compare contents).
func CommitContextFiles(t testing.TB, dir string) {
	t.Helper()
	past := time.Now().Add(-time.Minute)
	for _, f := range []string{"ARCHITECTURE.md", "AGENTS.md"} {
		WriteFile(t, dir, f, "# "+f+"\n")
		if err := os.Chtimes(filepath.Join(dir, f), past, past); err != nil {
			t.Fatal(err)
		}
	}
	Git(t, dir, "add", "ARCHITECTURE.md", "AGENTS.md")
	Git(t, dir, "commit", "-q", "-m", "context files")
}

// BareWithClones makes a bare remote holding one commit (NewRepo's) and n
// clones of it, and returns their paths. Call Hermetic first.
func BareWithClones(t testing.TB, n int) (string, []string) {
	t.Helper()
	seed := NewRepo(t)
	bare := filepath.Join(t.TempDir(), "remote.git")
	Git(t, seed, "clone", "-q", "--bare", seed, bare)
	var clones []string
	for i := 0; i < n; i++ {
		dir := filepath.Join(t.TempDir(), fmt.Sprintf("clone%d", i))
		Git(t, seed, "clone", "-q", bare, dir)
		clones = append(clones, dir)
	}
	return bare, clones
}

// GitOr runs git in dir and returns its trimmed standard output, or def
// when it fails.
func GitOr(dir, def string, args ...string) string {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		return def
	}
	return strings.TrimSpace(string(out))
}
