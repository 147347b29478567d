package hooks

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/git-codex/git-codex/gitstore"
)

// rewriteSettings are the notes.rewrite settings init sets beside
// notes.rewriteRef (which it adds to, not replaces), and status checks.
var rewriteSettings = []struct {
	key, value string
	isBool     bool
}{
	{rewriteModeKey, "cat_sort_uniq", false},
	{rewriteAmend, "true", true},
	{rewriteRebase, "true", true},
}

// The configuration Install sets so that notes follow amends and rebases,
// merging records as a union (JSON Lines sort and deduplicate cleanly).
const (
	rewriteRefKey  = "notes.rewriteRef"
	rewriteModeKey = "notes.rewriteMode"
	rewriteAmend   = "notes.rewrite.amend"
	rewriteRebase  = "notes.rewrite.rebase"
)

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
	return install(ctx, repo)
}

func install(ctx context.Context, repo installRepo) (InstallResult, error) {
	st, err := loadState(repo)
	if err != nil {
		return InstallResult{}, err
	}
	dir, err := repo.HooksPath(ctx)
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

func installHook(repo installRepo, st *installState, hook string) (Change, error) {
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

func installConfig(ctx context.Context, repo installRepo, st *installState) ([]Change, error) {
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

	for _, kv := range rewriteSettings {
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
	return uninstall(ctx, repo)
}

func uninstall(ctx context.Context, repo installRepo) (InstallResult, error) {
	st, err := loadState(repo)
	if err != nil {
		return InstallResult{}, err
	}
	res := InstallResult{}
	if dir, err := repo.HooksPath(ctx); err == nil {
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

func uninstallHook(repo installRepo, h hookState) []Change {
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

func uninstallConfig(ctx context.Context, repo installRepo, s configState) (Change, error) {
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
