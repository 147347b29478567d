package main

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/git-codex/git-codex/internal/gittest"
	"github.com/git-codex/git-codex/internal/openaitest"
)

// readmeCIRecipe returns the `run:` lines of the README's CI example, as
// the README shows them.
func readmeCIRecipe(t *testing.T) []string {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var runs []string
	inCI, inBlock := false, false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "#"):
			inCI = strings.Contains(line, "in CI")
		case inCI && strings.HasPrefix(line, "```yaml"):
			inBlock = true
		case inBlock && strings.HasPrefix(line, "```"):
			return runs
		case inBlock:
			if run, ok := strings.CutPrefix(strings.TrimSpace(line), "- run: "); ok {
				runs = append(runs, run)
			}
		}
	}
	t.Fatal("README.md has no yaml block of run: lines in its CI section")
	return nil
}

// TestReadmeCIRecipe runs the README's CI recipe, exactly as the README
// shows it, in a fresh clone of a bare remote that got a branch and its
// session through a real `git push` (the hook sent the notes): pr-summary
// must show the branch's session. The recipe's install step is the one line
// not run: this test binary is git-codex on PATH (see TestMain).
func TestReadmeCIRecipe(t *testing.T) {
	if _, err := exec.LookPath("git-codex"); err != nil {
		t.Skip("git-codex is not on PATH")
	}
	hookEnv(t)
	srv := openaitest.New(t)
	t.Setenv("OPENAI_BASE_URL", srv.URL())
	t.Setenv("OPENAI_API_KEY", "")
	root := t.TempDir()
	bare := filepath.Join(root, "remote.git")
	gittest.Git(t, root, "init", "-q", "--bare", bare)

	// A developer: main with the context files, then a feature branch with
	// a session, pushed with the hook 'init' installs.
	dev := filepath.Join(root, "dev")
	gittest.Git(t, root, "clone", "-q", bare, dev)
	for _, f := range []string{"ARCHITECTURE.md", "AGENTS.md"} {
		if err := os.WriteFile(filepath.Join(dev, f), []byte("# "+f+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	gittest.Git(t, dev, "add", ".")
	gittest.Git(t, dev, "commit", "-q", "-m", "context files")
	runIn(t, dev, "git", "codex", "init")
	gittest.Git(t, dev, "push", "-q", "origin", "main")
	gittest.Git(t, dev, "checkout", "-q", "-b", "feature/parser")
	if err := os.WriteFile(filepath.Join(dev, "parser.go"), []byte("package parser\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	gittest.Git(t, dev, "add", "parser.go")
	gittest.Git(t, dev, "commit", "-q", "-m", "parser: first cut")
	runIn(t, dev, "git", "codex", "delegate", "Review the parser's error handling")
	if out := runIn(t, dev, "git", "push", "-q", "-u", "origin", "feature/parser"); !strings.Contains(out, "sent session notes to origin: feature/parser") {
		t.Fatalf("the hook did not send the notes:\n%s", out)
	}

	// CI: a fresh clone with the pull request's branch checked out.
	ci := filepath.Join(root, "ci")
	gittest.Git(t, root, "clone", "-q", bare, ci)
	gittest.Git(t, ci, "checkout", "-q", "feature/parser")
	summary := filepath.Join(root, "step-summary.md")
	ghPath := filepath.Join(root, "github-path")
	ran := 0
	for _, line := range readmeCIRecipe(t) {
		if strings.Contains(line, "go install") {
			continue // the test binary is git-codex on PATH
		}
		cmd := exec.Command("sh", "-c", line)
		cmd.Dir = ci
		cmd.Env = append(os.Environ(), "GITHUB_STEP_SUMMARY="+summary, "GITHUB_PATH="+ghPath)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", line, err, out)
		}
		ran++
	}
	if ran < 2 {
		t.Fatalf("ran %d recipe lines; the README's recipe has changed shape", ran)
	}
	b, err := os.ReadFile(summary)
	if err != nil {
		t.Fatal(err)
	}
	got := string(b)
	for _, want := range []string{"### Review the parser's error handling", "topic `feature/parser`", "parser: first cut — session"} {
		if !strings.Contains(got, want) {
			t.Errorf("pr-summary in CI lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "No agent sessions are attached") {
		t.Errorf("pr-summary in CI sees no sessions:\n%s", got)
	}
}

// runIn runs a command in dir and returns its combined output; failure ends
// the test.
func runIn(t *testing.T, dir, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}
