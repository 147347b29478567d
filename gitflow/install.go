package gitflow

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/git-codex/git-codex/gitstore"
)

// HookMarker is the line that identifies a hook written by git codex. A hook
// without it belongs to the user (or another tool) and is chained, never
// overwritten.
const HookMarker = "# git-codex-hook: pre-push"

// ChainedSuffix is appended to the name of a pre-existing hook that Install
// moved aside; the installed hook runs it first.
const ChainedSuffix = ".codex-chained"

// PrePushScript is the pre-push hook Install writes, and the content of the
// repository's own .githooks/pre-push. It runs a chained hook first (the
// user's previous pre-push, with git's ref lines on its standard input, its
// failure stopping the push), then `git codex hook pre-push`. Without
// git-codex on PATH it warns in one line and lets the push go on.
const PrePushScript = `#!/bin/sh
` + HookMarker + `
# Installed by 'git codex init'; removed by 'git codex init --uninstall'.
# Sends the session notes (refs/notes/codex/*) along with a push and checks
# the context files. A hook that was here before is kept as
# pre-push` + ChainedSuffix + ` and runs first.
chained="$0` + ChainedSuffix + `"
if [ -x "$chained" ]; then
	# Both hooks read git's ref lines: keep them for the second.
	input=$(cat)
	printf '%s' "${input:+$input
}" | "$chained" "$@" || exit $?
	exec <<EOF
$input
EOF
fi
# Fast path, without starting git-codex: the context files are in place and
# committed, and there are no session notes to send (no refs/notes/codex/*,
# loose or packed, and no codex.notesRef or git -c setting that could move
# them). One grep reads it all: the index must name both files at the top of
# the tree (an index entry's path follows its length byte: "^.NAME$" among
# NUL-separated records; an index git wrote otherwise, v4 or split, fails
# this and git-codex decides) and nothing may mention session notes; the
# files must not have changed since HEAD last moved (logs/HEAD).
if [ -f ARCHITECTURE.md ] && [ -f AGENTS.md ] && [ -z "$GIT_CONFIG_PARAMETERS$GIT_INDEX_FILE" ]; then
	gitdir=${GIT_DIR:-.git}
	if [ -f "$gitdir" ]; then
		read -r _ gitdir <"$gitdir"
	fi
	common=$gitdir
	if [ -f "$gitdir/commondir" ]; then
		read -r common <"$gitdir/commondir"
		case $common in /*) ;; *) common=$gitdir/$common ;; esac
	fi
	home=${HOME:-/nonexistent}
	if [ -d "$common/refs" ] && [ ! -e "$common/refs/notes/codex" ]; then
		hits=$(grep -czsaiE -e '^.(AGENTS|ARCHITECTURE)\.md$' -e '[0-9a-f]{40,64} refs/notes/codex/' -e notesref \
			"$gitdir/index" "$common/packed-refs" "$common/config" "$home/.gitconfig" \
			"${XDG_CONFIG_HOME:-$home/.config}/git/config" /etc/gitconfig)
		case $hits in
		"$gitdir/index:2"*)
			case ${hits#"$gitdir/index:2"} in
			*:[1-9]*) ;;
			*) [ ARCHITECTURE.md -nt "$gitdir/logs/HEAD" ] || [ AGENTS.md -nt "$gitdir/logs/HEAD" ] || exit 0 ;;
			esac
			;;
		esac
	fi
fi
if ! command -v git-codex >/dev/null 2>&1; then
	echo "warning: git-codex is not on PATH; session notes were not pushed" >&2
	exit 0
fi
# Straight to the binary: the hook already runs inside git.
exec git-codex hook pre-push "$@"
`

// The configuration Install sets so that notes follow amends and rebases,
// merging records as a union (JSON Lines sort and deduplicate cleanly).
const (
	rewriteRefKey  = "notes.rewriteRef"
	rewriteModeKey = "notes.rewriteMode"
	rewriteAmend   = "notes.rewrite.amend"
	rewriteRebase  = "notes.rewrite.rebase"
)

// stateFile, under the common git dir, records what Install changed so that
// Uninstall undoes exactly that.
const stateFile = "codex-install.json"

// Change is one thing Install or Uninstall did, or found already done.
type Change struct {
	// Kind is "hook" or "config".
	Kind string `json:"kind"`
	// Target is the hook's path (relative to the work tree top when inside
	// it) or the config key.
	Target string `json:"target"`
	// Value is the config value concerned.
	Value string `json:"value,omitempty"`
	// Action: installed, updated, added, set, unchanged, removed, restored,
	// unset, kept.
	Action string `json:"action"`
	// Detail explains, e.g. which hook now runs first.
	Detail string `json:"detail,omitempty"`
}

// Changed reports whether c modified the repository.
func (c Change) Changed() bool { return c.Action != "unchanged" && c.Action != "kept" }

// InstallResult reports what Install or Uninstall did.
type InstallResult struct {
	HooksDir string   `json:"hooksDir"`
	Changes  []Change `json:"changes"`
}

// Changed reports whether anything in the repository was modified.
func (r InstallResult) Changed() bool {
	for _, c := range r.Changes {
		if c.Changed() {
			return true
		}
	}
	return false
}

type installState struct {
	Version int           `json:"version"`
	Hooks   []hookState   `json:"hooks,omitempty"`
	Config  []configState `json:"config,omitempty"`
}

type hookState struct {
	// Path is relative to the common git dir (slash-separated), so the
	// record survives moving the repository.
	Path    string `json:"path"`
	Chained bool   `json:"chained,omitempty"`
}

type configState struct {
	Key   string `json:"key"`
	Value string `json:"value"`
	// Added: the value was added to a multi-valued key (git config --add).
	Added bool `json:"added,omitempty"`
	// HadPrevious and Previous: the local value Install replaced.
	HadPrevious bool   `json:"hadPrevious,omitempty"`
	Previous    string `json:"previous,omitempty"`
}

// HooksDir returns the directory git runs hooks from: core.hooksPath when set
// (relative paths are relative to the top of the work tree, ~ is expanded),
// otherwise <common git dir>/hooks.
func HooksDir(ctx context.Context, repo *gitstore.Repo) (string, error) {
	return repo.HooksPath(ctx)
}

// Install installs the pre-push hook into the hooks directory git uses and
// sets the notes-rewrite configuration:
//
//   - notes.rewriteRef gains the glob <notes prefix>* as an additional value
//     (unless a value already covers it; the user's others stay),
//   - notes.rewriteMode = cat_sort_uniq, so amends and rebases merge records
//     as a union,
//   - notes.rewrite.amend and notes.rewrite.rebase = true.
//
// An existing pre-push hook that is not git codex's is renamed to
// pre-push.codex-chained and run first by ours. Install is idempotent: run
// again, it changes nothing. What it changed is recorded under the git dir
// for Uninstall. It never touches remote.* settings.
func Install(ctx context.Context, repo *gitstore.Repo) (InstallResult, error) {
	st, err := loadState(repo)
	if err != nil {
		return InstallResult{}, err
	}
	dir, err := HooksDir(ctx, repo)
	if err != nil {
		return InstallResult{}, err
	}
	res := InstallResult{HooksDir: displayPath(repo, dir)}
	c, err := installHook(repo, &st, filepath.Join(dir, "pre-push"))
	if err != nil {
		return res, err
	}
	res.Changes = append(res.Changes, c)
	cs, err := installConfig(ctx, repo, &st)
	res.Changes = append(res.Changes, cs...)
	if res.Changed() {
		if serr := saveState(repo, st); serr != nil && err == nil {
			err = serr
		}
	}
	return res, err
}

func installHook(repo *gitstore.Repo, st *installState, hook string) (Change, error) {
	c := Change{Kind: "hook", Target: displayPath(repo, hook)}
	rel := stateRel(repo, hook)
	owned := -1
	for i, h := range st.Hooks {
		if h.Path == rel {
			owned = i
		}
	}
	cur, err := os.ReadFile(hook)
	_, lerr := os.Lstat(hook)
	switch {
	case err == nil && bytes.Contains(cur, []byte(HookMarker)):
		fi, _ := os.Stat(hook)
		if string(cur) == PrePushScript && fi != nil && fi.Mode().Perm()&0o111 != 0 {
			c.Action = "unchanged"
			return c, nil
		}
		if owned < 0 {
			// A git codex hook we did not write (a tracked .githooks/pre-push,
			// say): it is the repository's to update.
			c.Action, c.Detail = "kept", "a git codex hook is already there"
			return c, nil
		}
		if err := writeHook(hook); err != nil {
			return c, err
		}
		c.Action, c.Detail = "updated", "rewrote the git codex hook"
		return c, nil
	case err == nil || lerr == nil:
		// Somebody else's hook (or a dangling symlink): keep it and run it first.
		chained := hook + ChainedSuffix
		if _, err := os.Lstat(chained); err == nil {
			return c, fmt.Errorf("install pre-push hook: %s is not git codex's and %s already exists; merge them by hand",
				hook, chained)
		}
		if err := os.MkdirAll(filepath.Dir(hook), 0o755); err != nil {
			return c, fmt.Errorf("install pre-push hook: %w", err)
		}
		if err := os.Rename(hook, chained); err != nil {
			return c, fmt.Errorf("install pre-push hook: keep the existing hook: %w", err)
		}
		if err := writeHook(hook); err != nil {
			_ = os.Rename(chained, hook)
			return c, err
		}
		st.Hooks = append(st.Hooks, hookState{Path: rel, Chained: true})
		c.Action = "installed"
		c.Detail = "the existing hook now runs first, as " + filepath.Base(chained)
		return c, nil
	case errors.Is(err, fs.ErrNotExist):
		if err := os.MkdirAll(filepath.Dir(hook), 0o755); err != nil {
			return c, fmt.Errorf("install pre-push hook: %w", err)
		}
		if err := writeHook(hook); err != nil {
			return c, err
		}
		if owned < 0 {
			st.Hooks = append(st.Hooks, hookState{Path: rel})
		}
		c.Action = "installed"
		return c, nil
	default:
		return c, fmt.Errorf("install pre-push hook: %w", err)
	}
}

// writeHook writes PrePushScript to path atomically, executable.
func writeHook(path string) error {
	tmp := path + ".codex-tmp"
	if err := os.WriteFile(tmp, []byte(PrePushScript), 0o755); err != nil {
		return fmt.Errorf("write pre-push hook: %w", err)
	}
	if err := os.Chmod(tmp, 0o755); err != nil { // WriteFile's mode is filtered by the umask
		os.Remove(tmp)
		return fmt.Errorf("write pre-push hook: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write pre-push hook: %w", err)
	}
	return nil
}

func installConfig(ctx context.Context, repo *gitstore.Repo, st *installState) ([]Change, error) {
	var out []Change
	glob := repo.RefPrefix() + "*"
	vals, err := repo.ConfigGetAll(ctx, rewriteRefKey, gitstore.ConfigGetOptions{})
	if err != nil {
		return out, err
	}
	c := Change{Kind: "config", Target: rewriteRefKey, Value: glob, Action: "unchanged"}
	if by := coveringValue(vals, glob); by != "" {
		if by != glob {
			c.Detail = "already covered by " + by
		}
	} else {
		if err := repo.AddConfig(ctx, rewriteRefKey, glob); err != nil {
			return out, err
		}
		st.Config = append(st.Config, configState{Key: rewriteRefKey, Value: glob, Added: true})
		c.Action = "added"
	}
	out = append(out, c)

	for _, kv := range []struct {
		key, value string
		isBool     bool
	}{
		{rewriteModeKey, "cat_sort_uniq", false},
		{rewriteAmend, "true", true},
		{rewriteRebase, "true", true},
	} {
		c := Change{Kind: "config", Target: kv.key, Value: kv.value, Action: "unchanged"}
		cur, ok, err := repo.ConfigGet(ctx, kv.key, gitstore.ConfigGetOptions{Bool: kv.isBool})
		if err != nil {
			return out, err
		}
		if ok && strings.EqualFold(cur, kv.value) {
			out = append(out, c)
			continue
		}
		prev, hadPrev, err := repo.ConfigGet(ctx, kv.key, gitstore.ConfigGetOptions{Local: true})
		if err != nil {
			return out, err
		}
		if err := repo.SetConfig(ctx, kv.key, kv.value); err != nil {
			return out, err
		}
		s := configState{Key: kv.key, Value: kv.value}
		if hadPrev {
			s.HadPrevious, s.Previous = true, prev
			c.Detail = "was " + s.Previous
		}
		st.Config = append(st.Config, s)
		c.Action = "set"
		out = append(out, c)
	}
	return out, nil
}

// coveringValue returns the notes.rewriteRef value that already makes git
// rewrite the notes refs matched by glob ("" when none): the glob itself or a
// broader one ending in "/*". git's glob "*" also matches "/", so
// "refs/notes/*" covers "refs/notes/codex/x"; a value without glob
// characters names one ref only (notes.c string_list_add_refs_by_glob).
func coveringValue(vals []string, glob string) string {
	want := strings.TrimSuffix(glob, "*")
	for _, v := range vals {
		if v = strings.TrimSpace(v); v == glob {
			return v
		}
	}
	for _, v := range vals {
		v = strings.TrimSpace(v)
		prefix, ok := strings.CutSuffix(v, "/*")
		if ok && !strings.ContainsAny(prefix, "*?[") && strings.HasPrefix(want, prefix+"/") {
			return v
		}
	}
	return ""
}

// Uninstall undoes what Install recorded, and nothing else: it removes the
// hooks it installed (if they are still git codex's), puts a chained hook
// back in place, removes the config values it added and restores the values
// it replaced (where the user has not changed them since). It then forgets
// the record. With no record it changes nothing.
func Uninstall(ctx context.Context, repo *gitstore.Repo) (InstallResult, error) {
	st, err := loadState(repo)
	if err != nil {
		return InstallResult{}, err
	}
	res := InstallResult{}
	if dir, err := HooksDir(ctx, repo); err == nil {
		res.HooksDir = displayPath(repo, dir)
	}
	for i := len(st.Hooks) - 1; i >= 0; i-- {
		res.Changes = append(res.Changes, uninstallHook(repo, st.Hooks[i])...)
	}
	for i := len(st.Config) - 1; i >= 0; i-- {
		c, err := uninstallConfig(ctx, repo, st.Config[i])
		if err != nil {
			return res, err
		}
		res.Changes = append(res.Changes, c)
	}
	if err := os.Remove(filepath.Join(repo.CommonDir(), stateFile)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return res, fmt.Errorf("forget install record: %w", err)
	}
	return res, nil
}

func uninstallHook(repo *gitstore.Repo, h hookState) []Change {
	hook := filepath.Join(repo.CommonDir(), filepath.FromSlash(h.Path))
	c := Change{Kind: "hook", Target: displayPath(repo, hook)}
	cur, err := os.ReadFile(hook)
	ours := err == nil && bytes.Contains(cur, []byte(HookMarker))
	switch {
	case ours:
		if err := os.Remove(hook); err != nil {
			c.Action, c.Detail = "kept", "could not remove it: "+err.Error()
			return []Change{c}
		}
		c.Action = "removed"
	case errors.Is(err, fs.ErrNotExist):
		c.Action, c.Detail = "unchanged", "already gone"
	default:
		c.Action, c.Detail = "kept", "it is no longer git codex's hook"
	}
	if !h.Chained {
		return []Change{c}
	}
	chained := hook + ChainedSuffix
	r := Change{Kind: "hook", Target: displayPath(repo, hook)}
	if _, err := os.Lstat(chained); err != nil {
		r.Action, r.Detail = "unchanged", "the chained hook "+filepath.Base(chained)+" is gone"
		return []Change{c, r}
	}
	if _, err := os.Lstat(hook); err == nil {
		r.Action, r.Detail = "kept", "left "+filepath.Base(chained)+" in place: "+filepath.Base(hook)+" exists"
		return []Change{c, r}
	}
	if err := os.Rename(chained, hook); err != nil {
		r.Action, r.Detail = "kept", "could not restore "+filepath.Base(chained)+": "+err.Error()
		return []Change{c, r}
	}
	r.Action, r.Detail = "restored", "the hook that was there before"
	return []Change{c, r}
}

func uninstallConfig(ctx context.Context, repo *gitstore.Repo, s configState) (Change, error) {
	c := Change{Kind: "config", Target: s.Key, Value: s.Value}
	if s.Added {
		removed, err := repo.UnsetConfigValue(ctx, s.Key, s.Value)
		if err != nil {
			return c, err
		}
		c.Action = "removed"
		if !removed { // nothing matched: the user removed it already
			c.Action = "unchanged"
		}
		return c, nil
	}
	cur, ok, err := repo.ConfigGet(ctx, s.Key, gitstore.ConfigGetOptions{Local: true})
	if err != nil {
		return c, err
	}
	if !ok || cur != s.Value {
		c.Action, c.Detail = "kept", "changed since init"
		return c, nil
	}
	if s.HadPrevious {
		if err := repo.SetConfig(ctx, s.Key, s.Previous); err != nil {
			return c, err
		}
		c.Action, c.Value = "restored", s.Previous
		return c, nil
	}
	if err := repo.UnsetConfig(ctx, s.Key); err != nil {
		return c, err
	}
	c.Action = "unset"
	return c, nil
}

func loadState(repo *gitstore.Repo) (installState, error) {
	st := installState{Version: 1}
	b, err := os.ReadFile(filepath.Join(repo.CommonDir(), stateFile))
	if errors.Is(err, fs.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return st, fmt.Errorf("read install record: %w", err)
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return st, fmt.Errorf("read install record %s: %w", filepath.Join(repo.CommonDir(), stateFile), err)
	}
	return st, nil
}

func saveState(repo *gitstore.Repo, st installState) error {
	st.Version = 1
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return fmt.Errorf("write install record: %w", err)
	}
	path := filepath.Join(repo.CommonDir(), stateFile)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("write install record: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write install record: %w", err)
	}
	return nil
}

// stateRel names path relative to the common git dir for the install record.
func stateRel(repo *gitstore.Repo, path string) string {
	if rel, err := filepath.Rel(repo.CommonDir(), path); err == nil {
		return filepath.ToSlash(rel)
	}
	return filepath.ToSlash(path)
}

// displayPath shows path relative to the work tree top when it is inside it.
func displayPath(repo *gitstore.Repo, path string) string {
	if wt := repo.WorkTree(); wt != "" {
		if rel, err := filepath.Rel(wt, path); err == nil && !strings.HasPrefix(rel, "..") {
			return filepath.ToSlash(rel)
		}
	}
	return path
}
