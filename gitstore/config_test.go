package gitstore

import (
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// The config reader agrees with `git config --list` on what users write:
// global (XDG and ~/.gitconfig), local, worktree config, subsections,
// multi-values, quoting, bare booleans; includes make it ask git.
func TestConfigMatchesGit(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, dir string) string
	}{
		{"plain", func(t *testing.T, dir string) string { return dir }},
		{"values", func(t *testing.T, dir string) string {
			git(t, dir, "config", "codex.model", "local-model")
			git(t, dir, "config", "--add", "notes.rewriteRef", "refs/notes/a")
			git(t, dir, "config", "--add", "notes.rewriteRef", "refs/notes/codex/*")
			git(t, dir, "config", "remote.Origin.url", "/tmp/x y")
			git(t, dir, "config", "codex.title", `quo"ted \ back; semi # hash`)
			appendFile(t, filepath.Join(dir, ".git", "config"), "[codex]\n\tbare\n\tEmpty =\n")
			return dir
		}},
		{"global and xdg", func(t *testing.T, dir string) string {
			home := os.Getenv("HOME")
			os.MkdirAll(filepath.Join(home, ".config", "git"), 0o755)
			appendFile(t, filepath.Join(home, ".config", "git", "config"), "[codex]\n\tmodel = xdg\n\tengine = chat\n")
			appendFile(t, filepath.Join(home, ".gitconfig"), "[codex]\n\tmodel = home\n")
			git(t, dir, "config", "codex.model", "local")
			return dir
		}},
		{"worktree config", func(t *testing.T, dir string) string {
			wt := filepath.Join(t.TempDir(), "wt")
			git(t, dir, "worktree", "add", "-q", wt)
			git(t, dir, "config", "extensions.worktreeConfig", "true")
			git(t, wt, "config", "--worktree", "codex.model", "per-worktree")
			return wt
		}},
		{"include falls back to git", func(t *testing.T, dir string) string {
			inc := filepath.Join(t.TempDir(), "inc")
			appendFile(t, inc, "[codex]\n\tmodel = included\n")
			git(t, dir, "config", "include.path", inc)
			return dir
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := openRepo(t, tc.setup(t, newRepo(t)))
			got, err := r.loadConfig()
			if err != nil {
				t.Fatal(err)
			}
			want, err := r.gitConfigList()
			if err != nil {
				t.Fatal(err)
			}
			if v, _ := r.Config("codex.model"); tc.name == "worktree config" && v != "per-worktree" {
				t.Fatalf("codex.model in the worktree = %q", v)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("config differs from git config --list:\n got %v\nwant %v", got, want)
			}
		})
	}
}

func appendFile(t *testing.T, path, text string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(text); err != nil {
		t.Fatal(err)
	}
}

// ConfigWithPrefix finds the keys git config holds under a prefix, the
// subsection (a model name, dots and case included) kept as written.
func TestConfigWithPrefix(t *testing.T) {
	dir := newRepo(t)
	git(t, dir, "config", "codex.price.gpt-4.1.input", "2")
	git(t, dir, "config", "codex.price.My-Model.Output", "8")
	git(t, dir, "config", "--add", "codex.price.My-Model.output", "9")
	git(t, dir, "config", "codex.model", "x")
	got := openRepo(t, dir).ConfigWithPrefix("codex.price.")
	want := map[string]string{"codex.price.gpt-4.1.input": "2", "codex.price.My-Model.output": "9"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ConfigWithPrefix = %v, want %v", got, want)
	}
}

// Outside a repository, UserConfig answers what `git config --get` answers
// there: the global files (XDG, then ~/.gitconfig, the later winning), and
// `git -c` through git itself; a repository's own file is never read.
func TestUserConfig(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", "")
	outside := t.TempDir()
	os.MkdirAll(filepath.Join(home, ".config", "git"), 0o755)
	appendFile(t, filepath.Join(home, ".config", "git", "config"), "[color]\n\tui = never\n[codex]\n\tmodel = xdg\n")
	appendFile(t, filepath.Join(home, ".gitconfig"), "[Color]\n\tUI = always\n[color \"codex\"]\n\tid = bold blue\n")
	gitGet := func(env []string, key string) (string, bool) {
		cmd := exec.Command("git", "config", "--get", key)
		cmd.Dir, cmd.Env = outside, append(os.Environ(), env...)
		out, err := cmd.Output()
		return strings.TrimSuffix(string(out), "\n"), err == nil
	}
	tests := []struct {
		name string
		env  []string
	}{
		{name: "files"},
		{name: "git -c", env: []string{"GIT_CONFIG_PARAMETERS='color.ui'='auto'"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			getenv := func(k string) string {
				for _, kv := range tc.env {
					if name, v, _ := strings.Cut(kv, "="); name == k {
						return v
					}
				}
				return os.Getenv(k)
			}
			if len(tc.env) > 0 {
				t.Setenv("GIT_CONFIG_PARAMETERS", getenv("GIT_CONFIG_PARAMETERS"))
			}
			lookup := UserConfig(getenv)
			for _, key := range []string{"color.ui", "color.codex.id", "codex.model", "core.pager"} {
				got, gotOK := lookup(key)
				want, wantOK := gitGet(tc.env, key)
				if got != want || gotOK != wantOK {
					t.Errorf("%s = %q %v, git config --get says %q %v", key, got, gotOK, want, wantOK)
				}
			}
		})
	}
	if v, _ := UserConfig(nil)("color.ui"); v != "always" {
		t.Errorf("color.ui = %q, want the ~/.gitconfig value", v)
	}
}
