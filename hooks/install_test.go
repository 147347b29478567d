package hooks

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/git-codex/git-codex/gitstore"
	"github.com/git-codex/git-codex/internal/gittest"
	"github.com/git-codex/git-codex/internal/repotest"
)

// localConfig returns the repository's local config, one key=value a line.
func localConfig(t *testing.T, dir string) string {
	t.Helper()
	return gittest.Git(t, dir, "config", "--local", "--list")
}

func TestHookScriptMatchesRepositoryCopy(t *testing.T) {
	b, err := os.ReadFile("../.githooks/pre-push")
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != PrePushScript {
		t.Errorf(".githooks/pre-push differs from hooks.PrePushScript; regenerate it")
	}
	fi, err := os.Stat("../.githooks/pre-push")
	if err != nil || fi.Mode().Perm()&0o111 == 0 {
		t.Errorf(".githooks/pre-push is not executable: %v %v", fi.Mode(), err)
	}
	if out, err := exec.Command("sh", "-n", "../.githooks/pre-push").CombinedOutput(); err != nil {
		t.Errorf("sh -n: %v\n%s", err, out)
	}
}

func TestInstallIdempotentAndUninstallRestores(t *testing.T) {
	tests := []struct {
		name      string
		setup     func(t *testing.T, dir string) // before init
		hooksDir  string                         // relative to the work tree
		wantHook  string                         // "ours" or "chained"
		wantAdded []string                       // config actions "key:action"
	}{
		{
			name:      "fresh repository",
			setup:     func(t *testing.T, dir string) {},
			hooksDir:  ".git/hooks",
			wantHook:  "ours",
			wantAdded: []string{"notes.rewriteRef:added", "notes.rewriteMode:set", "notes.rewrite.amend:set", "notes.rewrite.rebase:set"},
		},
		{
			name: "existing hook is chained",
			setup: func(t *testing.T, dir string) {
				gittest.WriteFile(t, dir, ".git/hooks/pre-push", "#!/bin/sh\necho user hook\n")
				os.Chmod(filepath.Join(dir, ".git/hooks/pre-push"), 0o755)
			},
			hooksDir: ".git/hooks",
			wantHook: "chained",
		},
		{
			name: "core.hooksPath relative to the work tree",
			setup: func(t *testing.T, dir string) {
				gittest.Git(t, dir, "config", "core.hooksPath", "tools/hooks")
			},
			hooksDir: "tools/hooks",
			wantHook: "ours",
		},
		{
			name: "user's settings are kept and restored",
			setup: func(t *testing.T, dir string) {
				gittest.Git(t, dir, "config", "--add", "notes.rewriteRef", "refs/notes/commits")
				gittest.Git(t, dir, "config", "notes.rewriteMode", "concatenate")
				gittest.Git(t, dir, "config", "notes.rewrite.amend", "yes")
			},
			hooksDir:  ".git/hooks",
			wantHook:  "ours",
			wantAdded: []string{"notes.rewriteRef:added", "notes.rewriteMode:set", "notes.rewrite.amend:unchanged"},
		},
		{
			name: "a broader rewriteRef glob covers ours",
			setup: func(t *testing.T, dir string) {
				gittest.Git(t, dir, "config", "notes.rewriteRef", "refs/notes/*")
			},
			hooksDir:  ".git/hooks",
			wantHook:  "ours",
			wantAdded: []string{"notes.rewriteRef:unchanged"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gittest.Hermetic(t, gitstore.GuardEnv)
			dir := gittest.NewRepo(t)
			tt.setup(t, dir)
			before := localConfig(t, dir)
			var userHook []byte
			hook := filepath.Join(dir, filepath.FromSlash(tt.hooksDir), "pre-push")
			userHook, _ = os.ReadFile(hook)
			ctx := context.Background()

			res, err := Install(ctx, repotest.OpenRepo(t, dir))
			if err != nil {
				t.Fatal(err)
			}
			if res.HooksDir != tt.hooksDir {
				t.Errorf("HooksDir = %q, want %q", res.HooksDir, tt.hooksDir)
			}
			got, err := os.ReadFile(hook)
			if err != nil || string(got) != PrePushScript {
				t.Fatalf("hook at %s not installed: %v", hook, err)
			}
			chained, cerr := os.ReadFile(hook + ChainedSuffix)
			if tt.wantHook == "chained" && (cerr != nil || string(chained) != string(userHook)) {
				t.Errorf("the user's hook was not kept as %s: %v", ChainedSuffix, cerr)
			}
			if tt.wantHook == "ours" && cerr == nil {
				t.Errorf("unexpected %s", ChainedSuffix)
			}
			actions := map[string]bool{}
			for _, c := range res.Changes {
				actions[c.Target+":"+c.Action] = true
			}
			for _, a := range tt.wantAdded {
				if !actions[a] {
					t.Errorf("missing change %s in %+v", a, res.Changes)
				}
			}
			if got := gittest.Git(t, dir, "config", "notes.rewriteMode"); got != "cat_sort_uniq" {
				t.Errorf("notes.rewriteMode = %q", got)
			}
			st, err := Status(ctx, repotest.OpenRepo(t, dir))
			if err != nil || !st.Installed() {
				t.Errorf("Status after Install = %+v, %v", st, err)
			}

			afterFirst := localConfig(t, dir)
			again, err := Install(ctx, repotest.OpenRepo(t, dir))
			if err != nil {
				t.Fatal(err)
			}
			if again.Changed() {
				t.Errorf("second Install changed something: %+v", again.Changes)
			}
			if c := localConfig(t, dir); c != afterFirst {
				t.Errorf("second Install changed config:\n%s\nwas\n%s", c, afterFirst)
			}

			if _, err := Uninstall(ctx, repotest.OpenRepo(t, dir)); err != nil {
				t.Fatal(err)
			}
			if c := localConfig(t, dir); c != before {
				t.Errorf("config after uninstall:\n%s\nwant\n%s", c, before)
			}
			got, err = os.ReadFile(hook)
			switch {
			case userHook == nil && err == nil:
				t.Errorf("hook still there after uninstall")
			case userHook != nil && string(got) != string(userHook):
				t.Errorf("user hook not restored: %q", got)
			}
			if _, err := os.Stat(hook + ChainedSuffix); err == nil {
				t.Errorf("%s left behind", ChainedSuffix)
			}
			if _, err := os.Stat(filepath.Join(dir, ".git", stateFile)); err == nil {
				t.Errorf("install record left behind")
			}
			st, err = Status(ctx, repotest.OpenRepo(t, dir))
			if err != nil || st.HookInstalled {
				t.Errorf("Status after Uninstall = %+v, %v", st, err)
			}
		})
	}
}

func TestUninstallLeavesUserChanges(t *testing.T) {
	gittest.Hermetic(t, gitstore.GuardEnv)
	dir := gittest.NewRepo(t)
	ctx := context.Background()
	if _, err := Install(ctx, repotest.OpenRepo(t, dir)); err != nil {
		t.Fatal(err)
	}
	// The user changes the mode and replaces the hook after init.
	gittest.Git(t, dir, "config", "notes.rewriteMode", "concatenate")
	gittest.WriteFile(t, dir, ".git/hooks/pre-push", "#!/bin/sh\nexit 0\n")
	res, err := Uninstall(ctx, repotest.OpenRepo(t, dir))
	if err != nil {
		t.Fatal(err)
	}
	if got := gittest.Git(t, dir, "config", "notes.rewriteMode"); got != "concatenate" {
		t.Errorf("notes.rewriteMode = %q, want the user's concatenate", got)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, ".git/hooks/pre-push")); string(b) != "#!/bin/sh\nexit 0\n" {
		t.Errorf("user's new hook touched: %q", b)
	}
	kept := 0
	for _, c := range res.Changes {
		if c.Action == "kept" {
			kept++
		}
	}
	if kept != 2 {
		t.Errorf("want 2 kept changes, got %+v", res.Changes)
	}
	if _, err := exec.Command("git", "-C", dir, "config", "--get", "notes.rewriteRef").Output(); err == nil {
		t.Errorf("notes.rewriteRef still set")
	}
}

func TestInstallRefusesToClobberChained(t *testing.T) {
	gittest.Hermetic(t, gitstore.GuardEnv)
	dir := gittest.NewRepo(t)
	gittest.WriteFile(t, dir, ".git/hooks/pre-push", "#!/bin/sh\necho a\n")
	gittest.WriteFile(t, dir, ".git/hooks/pre-push"+ChainedSuffix, "#!/bin/sh\necho b\n")
	_, err := Install(context.Background(), repotest.OpenRepo(t, dir))
	if err == nil || !strings.Contains(err.Error(), ChainedSuffix) {
		t.Fatalf("err = %v, want a refusal naming %s", err, ChainedSuffix)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, ".git/hooks/pre-push")); string(b) != "#!/bin/sh\necho a\n" {
		t.Errorf("hook changed: %q", b)
	}
}

func TestInstallInLinkedWorktreeUsesCommonHooks(t *testing.T) {
	gittest.Hermetic(t, gitstore.GuardEnv)
	dir := gittest.NewRepo(t)
	wt := filepath.Join(t.TempDir(), "wt")
	gittest.Git(t, dir, "worktree", "add", "-q", "-b", "side", wt)
	if _, err := Install(context.Background(), repotest.OpenRepo(t, wt)); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, ".git/hooks/pre-push")); err != nil || string(b) != PrePushScript {
		t.Errorf("hook not in the common hooks dir: %v", err)
	}
}

// TestHookChainsOnRealPush pushes to a bare remote with git-codex off PATH:
// the chained hook sees git's ref lines, a failing chained hook stops the
// push, and a missing git-codex only warns.
func TestHookChainsOnRealPush(t *testing.T) {
	tests := []struct {
		name     string
		exit     int
		wantPush bool
	}{
		{"chained hook passes", 0, true},
		{"chained hook fails", 7, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gittest.Hermetic(t, gitstore.GuardEnv)
			bare, clones := gittest.BareWithClones(t, 1)
			dir := clones[0]
			seen := filepath.Join(t.TempDir(), "seen")
			gittest.WriteFile(t, dir, ".git/hooks/pre-push",
				"#!/bin/sh\necho \"args: $*\" > '"+seen+"'\ncat >> '"+seen+"'\nexit "+strconv.Itoa(tt.exit)+"\n")
			os.Chmod(filepath.Join(dir, ".git/hooks/pre-push"), 0o755)
			if _, err := Install(context.Background(), repotest.OpenRepo(t, dir)); err != nil {
				t.Fatal(err)
			}
			gittest.CommitFile(t, dir, 1, "a.txt", "a\n", "second")
			head := gittest.Git(t, dir, "rev-parse", "HEAD")
			cmd := exec.Command("git", "push", "origin", "HEAD:main")
			cmd.Dir = dir
			cmd.Env = append(os.Environ(), "PATH="+gitOnlyPath(t))
			out, err := cmd.CombinedOutput()
			if (err == nil) != tt.wantPush {
				t.Fatalf("push err = %v, want success %v\n%s", err, tt.wantPush, out)
			}
			b, rerr := os.ReadFile(seen)
			if rerr != nil {
				t.Fatalf("chained hook did not run: %v\n%s", rerr, out)
			}
			if !strings.Contains(string(b), "args: origin "+bare) || !strings.Contains(string(b), head+" refs/heads/main ") {
				t.Errorf("chained hook saw %q", b)
			}
			if tt.wantPush && !strings.Contains(string(out), "git-codex is not on PATH") {
				t.Errorf("no warning about the missing git-codex:\n%s", out)
			}
			remote := gittest.Git(t, bare, "rev-parse", "main")
			if (remote == head) != tt.wantPush {
				t.Errorf("remote main = %s, head %s, want pushed %v", remote, head, tt.wantPush)
			}
		})
	}
}

// gitOnlyPath returns a PATH holding git and the shell tools the hook
// needs, but not git-codex.
func gitOnlyPath(t *testing.T) string {
	t.Helper()
	bin := t.TempDir()
	for _, tool := range []string{"git", "sh", "cat", "printf"} {
		p, err := exec.LookPath(tool)
		if err != nil {
			continue
		}
		if err := os.Symlink(p, filepath.Join(bin, tool)); err != nil {
			t.Fatal(err)
		}
	}
	gitExec := gittest.Git(t, ".", "--exec-path")
	return bin + string(os.PathListSeparator) + gitExec
}

func TestCoveringValue(t *testing.T) {
	tests := []struct {
		name string
		vals []string
		want string
	}{
		{"none", nil, ""},
		{"exact", []string{"refs/notes/commits", "refs/notes/codex/*"}, "refs/notes/codex/*"},
		{"broader glob", []string{"refs/notes/*"}, "refs/notes/*"},
		{"a single ref is no prefix", []string{"refs/notes"}, ""},
		{"other ref", []string{"refs/notes/commits"}, ""},
		{"sibling glob", []string{"refs/notes/code*"}, ""},
		{"narrower glob", []string{"refs/notes/codex/a*"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := coveringValue(tt.vals, "refs/notes/codex/*"); got != tt.want {
				t.Errorf("coveringValue(%q) = %q, want %q", tt.vals, got, tt.want)
			}
		})
	}
}
