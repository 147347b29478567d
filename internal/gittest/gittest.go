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
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
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
// repository. It returns the HOME directory.
func Hermetic(t testing.TB) string {
	t.Helper()
	home := t.TempDir()
	for k, v := range Env(home) {
		t.Setenv(k, v)
	}
	Unsetenv(t, repoVars...)
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
