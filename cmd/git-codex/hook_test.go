package main

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/git-codex/git-codex/internal/gittest"
)

// hookEnv makes git hermetic for Go tests of the hook (scripts get the same
// from setupScriptEnv). git-codex is on PATH: TestMain put this test binary
// there under that name.
func hookEnv(t testing.TB) {
	t.Helper()
	gittest.Hermetic(t)
	t.Setenv("NO_COLOR", "1")
	gittest.Unsetenv(t, "GIT_CODEX_NOTES_PUSH")
}

const hookScript = "#!/bin/sh\nexec git codex hook pre-push \"$@\"\n"

// workWithHook makes a work tree with context files, one commit and the
// pre-push hook installed.
func workWithHook(t testing.TB, hook bool) string {
	t.Helper()
	dir := t.TempDir()
	gittest.Git(t, dir, "init", "-q")
	for _, f := range []string{"ARCHITECTURE.md", "AGENTS.md"} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("# "+f+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	gittest.Git(t, dir, "add", ".")
	gittest.Git(t, dir, "commit", "-q", "-m", "first")
	if hook {
		if err := os.WriteFile(filepath.Join(dir, ".git", "hooks", "pre-push"), []byte(hookScript), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func addNote(t testing.TB, dir, id string) {
	t.Helper()
	gittest.Git(t, dir, "notes", "--ref=refs/notes/codex/main", "append", "-m",
		`{"v":1,"ts":"2026-01-02T05:00:00.000000000Z","id":"`+id+`","kind":"turn","session":"01JA0000000000000000000000","topic":"main","text":"hi"}`)
}

// TestHookPushOverGitDaemon pushes over the git protocol to a `git daemon`
// on loopback: the hook gets the URL as the remote and sends the notes there.
func TestHookPushOverGitDaemon(t *testing.T) {
	if _, err := exec.LookPath("git-codex"); err != nil {
		t.Skip("git-codex is not on PATH")
	}
	hookEnv(t)
	base := t.TempDir()
	gittest.Git(t, base, "init", "-q", "--bare", "r.git")
	daemonURL, stop, err := startGitDaemon(base, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	url := daemonURL + "/r.git"

	dir := workWithHook(t, true)
	addNote(t, dir, "01JA0000000000000000000T01")
	cmd := exec.Command("git", "push", "-q", url, "main")
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git push: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "sent session notes to "+url+": main (its branch is pushed)") {
		t.Errorf("hook output = %q, want the notes sent", out)
	}
	note := gittest.Git(t, base, "--git-dir=r.git", "log", "-1", "--notes=codex/main", "--format=%N", "main")
	if !strings.Contains(note, "01JA0000000000000000000T01") {
		t.Errorf("remote note = %q, want the turn", note)
	}
	// The tracking ref for the URL remote lets the next push skip the notes.
	tracking := gittest.Git(t, dir, "for-each-ref", "--format=%(refname)", "refs/notes/remotes/")
	if !strings.HasSuffix(tracking, "/codex/main") {
		t.Errorf("tracking refs = %q", tracking)
	}
	cmd = exec.Command("git", "push", "-q", url, "main")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil || strings.Contains(string(out), "sent session notes") {
		t.Errorf("second push: %v, %q; want a quiet push", err, out)
	}
}

// startGitDaemon serves the repositories under base over git:// on a free
// loopback port, pushes allowed, until stop is called. env is the daemon's
// environment (nil: this process's). It returns the base URL once the
// daemon accepts connections (readiness, not a timing assertion).
func startGitDaemon(base string, env []string) (url string, stop func(), err error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	daemon := exec.Command("git", "daemon", "--export-all", "--enable=receive-pack", "--reuseaddr",
		"--base-path="+base, fmt.Sprintf("--port=%d", port), "--listen=127.0.0.1", base)
	daemon.Env = env
	// `git daemon` runs git-daemon as a child: killing the git process
	// alone would leave the daemon running, so it gets a process group of
	// its own and stop ends the group.
	daemon.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := daemon.Start(); err != nil {
		return "", nil, err
	}
	stop = func() {
		_ = syscall.Kill(-daemon.Process.Pid, syscall.SIGKILL)
		_ = daemon.Wait()
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	for i := 0; ; i++ {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			return "git://" + addr, stop, nil
		}
		if i == 200 {
			stop()
			return "", nil, fmt.Errorf("git daemon did not come up on %s: %w", addr, err)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// BenchmarkPush measures what the pre-push hook adds to a real `git push`
// of one new commit to a local bare remote: without a hook, with the hook
// and no sessions, and with sessions the remote already has. Compare the
// ns/op figures; nothing is asserted.
func BenchmarkPush(b *testing.B) {
	if _, err := exec.LookPath("git-codex"); err != nil {
		b.Skip("git-codex is not on PATH")
	}
	cases := []struct {
		name  string
		hook  bool
		notes bool
	}{
		{"no-hook", false, false},
		{"hook-no-sessions", true, false},
		{"hook-sessions-up-to-date", true, true},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			hookEnv(b)
			dir := workWithHook(b, c.hook)
			bare := filepath.Join(b.TempDir(), "r.git")
			gittest.Git(b, dir, "init", "-q", "--bare", bare)
			if c.notes {
				addNote(b, dir, "01JA0000000000000000000T01")
			}
			gittest.Git(b, dir, "push", "-q", bare, "main")
			for b.Loop() {
				b.StopTimer()
				gittest.Git(b, dir, "commit", "-q", "--allow-empty", "-m", "more")
				b.StartTimer()
				gittest.Git(b, dir, "push", "-q", bare, "main")
			}
		})
	}
}
