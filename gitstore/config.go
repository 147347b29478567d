package gitstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/go-git/go-git/v5/plumbing/format/config"
)

// Config returns the last value of a git config key (as `git config --get`),
// read once per Repo through the git binary so includes, worktree config and
// global/system files all count.
func (r *Repo) Config(key string) (string, bool) {
	vs := r.ConfigAll(key)
	if len(vs) == 0 {
		return "", false
	}
	return vs[len(vs)-1], true
}

// ConfigAll returns every value of a multi-valued config key.
func (r *Repo) ConfigAll(key string) []string {
	r.cfgOnce.Do(func() {
		r.cfg, r.cfgErr = r.loadConfig()
	})
	return r.cfg[canonicalKey(key)]
}

// ConfigWithPrefix returns the last value of every config key that starts
// with prefix (case-insensitive in the section and the key name, as git
// compares them; a subsection keeps its case): codex.price.gpt-5.input …
func (r *Repo) ConfigWithPrefix(prefix string) map[string]string {
	r.ConfigAll(prefix) // loads the configuration
	out := map[string]string{}
	for k, vs := range r.cfg {
		if len(k) >= len(prefix) && strings.EqualFold(k[:len(prefix)], prefix) && len(vs) > 0 {
			out[k] = vs[len(vs)-1]
		}
	}
	return out
}

// Remotes lists the configured remotes (those with a remote.<name>.url), sorted.
func (r *Repo) Remotes() []string {
	r.ConfigAll("remote.origin.url") // loads the configuration
	var out []string
	for k := range r.cfg {
		if name, ok := strings.CutPrefix(k, "remote."); ok && strings.HasSuffix(name, ".url") {
			out = append(out, strings.TrimSuffix(name, ".url"))
		}
	}
	sort.Strings(out)
	return out
}

// ConfigBool reads a boolean config key the way git spells booleans.
func (r *Repo) ConfigBool(key string, def bool) bool {
	v, ok := r.Config(key)
	if !ok {
		return def
	}
	if b, ok := parseBool(v); ok {
		return b
	}
	return def
}

// ConfigInt reads an integer config key.
func (r *Repo) ConfigInt(key string, def int) int {
	v, ok := r.Config(key)
	if !ok {
		return def
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil {
		return def
	}
	return n
}

// SetConfig writes key=value to the repository's local config through the
// git binary (which keeps the user's formatting and comments).
func (r *Repo) SetConfig(ctx context.Context, key, value string) error {
	if _, err := r.git(ctx, nil, "config", "--local", key, value); err != nil {
		return fmt.Errorf("set config %s: %w", key, err)
	}
	r.cfgOnce = sync.Once{}
	return nil
}

// AddConfig adds value to the multi-valued key in the repository's local
// config (`git config --add`), unless the key already has exactly that value.
func (r *Repo) AddConfig(ctx context.Context, key, value string) error {
	for _, v := range r.ConfigAll(key) {
		if v == value {
			return nil
		}
	}
	if _, err := r.git(ctx, nil, "config", "--local", "--add", key, value); err != nil {
		return fmt.Errorf("add config %s: %w", key, err)
	}
	r.cfgOnce = sync.Once{}
	return nil
}

// UnsetConfigValue removes the values of key equal to value from the local
// config and reports whether there were any; none is not an error.
func (r *Repo) UnsetConfigValue(ctx context.Context, key, value string) (bool, error) {
	_, err := r.git(ctx, nil, "config", "--local", "--fixed-value", "--unset-all", key, value)
	r.cfgOnce = sync.Once{}
	switch {
	case err == nil:
		return true, nil
	case exitCode(err) == 5: // nothing matched
		return false, nil
	}
	return false, fmt.Errorf("unset config %s: %w", key, err)
}

// UnsetConfig removes key from the local config; a missing key is not an error.
func (r *Repo) UnsetConfig(ctx context.Context, key string) error {
	_, err := r.git(ctx, nil, "config", "--local", "--unset-all", key)
	r.cfgOnce = sync.Once{}
	if err != nil && exitCode(err) != 5 {
		return fmt.Errorf("unset config %s: %w", key, err)
	}
	return nil
}

// ConfigGetOptions narrows ConfigGet and ConfigGetAll.
type ConfigGetOptions struct {
	// Local reads the repository's own config file only.
	Local bool
	// Bool normalises the values as git booleans ("true"/"false").
	Bool bool
}

// ConfigGet asks git for the current value of key (the last one when it has
// several), as `git config --get` prints it; ok is false when it is not set.
// Unlike Config it reads the files again, and it can read one scope.
func (r *Repo) ConfigGet(ctx context.Context, key string, opt ConfigGetOptions) (value string, ok bool, err error) {
	vs, err := r.configGet(ctx, "--get", key, opt)
	if err != nil || len(vs) == 0 {
		return "", false, err
	}
	return vs[len(vs)-1], true, nil
}

// ConfigGetAll asks git for every value of key (`git config --get-all`);
// none when it is not set.
func (r *Repo) ConfigGetAll(ctx context.Context, key string, opt ConfigGetOptions) ([]string, error) {
	return r.configGet(ctx, "--get-all", key, opt)
}

func (r *Repo) configGet(ctx context.Context, mode, key string, opt ConfigGetOptions) ([]string, error) {
	args := []string{"config"}
	if opt.Local {
		args = append(args, "--local")
	}
	if opt.Bool {
		args = append(args, "--type=bool")
	}
	out, err := r.git(ctx, nil, append(args, mode, key)...)
	if exitCode(err) == 1 {
		return nil, nil // not set
	}
	if err != nil {
		return nil, fmt.Errorf("read config %s: %w", key, err)
	}
	var vals []string
	for _, l := range strings.Split(strings.TrimRight(string(out), "\n"), "\n") {
		if l != "" {
			vals = append(vals, l)
		}
	}
	return vals, nil
}

// loadConfig reads the configuration the way `git config --list` sees it:
// system, global (XDG then ~/.gitconfig), local, then worktree files, later
// values after earlier ones. Parsing the files directly saves spawning git
// on every command (about 2 ms); whenever the configuration uses something
// this reader does not follow — include/includeIf, `git -c`, GIT_CONFIG_* —
// it asks git itself instead.
func (r *Repo) loadConfig() (map[string][]string, error) {
	for _, k := range []string{"GIT_CONFIG_PARAMETERS", "GIT_CONFIG_COUNT", "GIT_CONFIG"} {
		if r.getenv(k) != "" {
			return r.gitConfigList()
		}
	}
	cfg := map[string][]string{}
	for _, path := range r.configFiles() {
		ok, err := readConfigFile(path, cfg)
		if err != nil {
			return nil, err
		}
		if !ok {
			return r.gitConfigList()
		}
		if path == filepath.Join(r.commonDir, "config") && configTrue(cfg["extensions.worktreeconfig"]) {
			wt := filepath.Join(r.gitDir, "config.worktree")
			if ok, err := readConfigFile(wt, cfg); err != nil {
				return nil, err
			} else if !ok {
				return r.gitConfigList()
			}
		}
	}
	return cfg, nil
}

// configFiles lists the files git reads, in order.
func (r *Repo) configFiles() []string {
	return append(userConfigFiles(r.getenv), filepath.Join(r.commonDir, "config"))
}

// userConfigFiles lists the system and global files git reads, in order.
func userConfigFiles(getenv func(string) string) []string {
	var files []string
	if !isTrue(getenv("GIT_CONFIG_NOSYSTEM")) {
		sys := getenv("GIT_CONFIG_SYSTEM")
		if sys == "" {
			sys = "/etc/gitconfig"
		}
		files = append(files, sys)
	}
	if g := getenv("GIT_CONFIG_GLOBAL"); g != "" {
		files = append(files, g)
	} else {
		home := getenv("HOME")
		xdg := getenv("XDG_CONFIG_HOME")
		if xdg == "" && home != "" {
			xdg = filepath.Join(home, ".config")
		}
		if xdg != "" {
			files = append(files, filepath.Join(xdg, "git", "config"))
		}
		if home != "" {
			files = append(files, filepath.Join(home, ".gitconfig"))
		}
	}
	return files
}

// UserConfig returns a lookup of git configuration for use outside any
// repository: the system and global files and `git -c` values, what `git
// config --get KEY` answers there (the last value of a key). Commands that
// run without a repository (help, version) read color.ui through it. The
// files are read on the first lookup, parsed here as Repo.Config parses them;
// when they use what this reader does not follow (include/includeIf, `git
// -c`, GIT_CONFIG_*) git is asked instead. A configuration that cannot be
// read looks empty.
func UserConfig(getenv func(string) string) func(key string) (string, bool) {
	if getenv == nil {
		getenv = os.Getenv
	}
	var once sync.Once
	var cfg map[string][]string
	return func(key string) (string, bool) {
		once.Do(func() { cfg = loadUserConfig(getenv) })
		vs := cfg[canonicalKey(key)]
		if len(vs) == 0 {
			return "", false
		}
		return vs[len(vs)-1], true
	}
}

func loadUserConfig(getenv func(string) string) map[string][]string {
	asGit := func() map[string][]string {
		// Outside a repository git reads the same files and `-c`; GIT_DIR
		// is dropped, as a stale one would make git refuse.
		cmd := exec.Command("git", "config", "-z", "--list")
		for _, kv := range os.Environ() {
			if k, _, _ := strings.Cut(kv, "="); k != "GIT_DIR" && k != "GIT_WORK_TREE" && k != "GIT_COMMON_DIR" {
				cmd.Env = append(cmd.Env, kv)
			}
		}
		out, err := cmd.Output()
		if err != nil {
			return nil
		}
		return parseConfigList(out)
	}
	for _, k := range []string{"GIT_CONFIG_PARAMETERS", "GIT_CONFIG_COUNT", "GIT_CONFIG"} {
		if getenv(k) != "" {
			return asGit()
		}
	}
	cfg := map[string][]string{}
	for _, path := range userConfigFiles(getenv) {
		if ok, err := readConfigFile(path, cfg); err != nil || !ok {
			return asGit()
		}
	}
	return cfg
}

// readConfigFile adds path's values to cfg. A missing file adds nothing. It
// returns false when the file includes others (which git resolves and this
// reader does not) or cannot be parsed.
func readConfigFile(path string, cfg map[string][]string) (bool, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) {
		return true, nil
	}
	if err != nil {
		return false, nil
	}
	var c config.Config
	if err := config.NewDecoder(bytes.NewReader(data)).Decode(&c); err != nil {
		return false, nil
	}
	if len(c.Includes) > 0 {
		return false, nil
	}
	for _, s := range c.Sections {
		name := strings.ToLower(s.Name)
		if name == "include" || name == "includeif" {
			return false, nil
		}
		for _, o := range s.Options {
			k := name + "." + strings.ToLower(o.Key)
			cfg[k] = append(cfg[k], o.Value)
		}
		for _, ss := range s.Subsections {
			for _, o := range ss.Options {
				// The subsection keeps its case, as git keeps it
				// (branch.Feature.remote, codex.topic.Fix.share).
				k := name + "." + ss.Name + "." + strings.ToLower(o.Key)
				cfg[k] = append(cfg[k], o.Value)
			}
		}
	}
	return true, nil
}

// gitConfigList asks git for the whole configuration.
func (r *Repo) gitConfigList() (map[string][]string, error) {
	out, err := r.git(context.Background(), nil, "config", "-z", "--list")
	if err != nil {
		return nil, err
	}
	return parseConfigList(out), nil
}

// parseConfigList reads the output of `git config -z --list`.
func parseConfigList(out []byte) map[string][]string {
	cfg := map[string][]string{}
	for _, kv := range bytes.Split(out, []byte{0}) {
		if len(kv) == 0 {
			continue
		}
		k, v, _ := strings.Cut(string(kv), "\n")
		k = canonicalKey(k)
		cfg[k] = append(cfg[k], v)
	}
	return cfg
}

// canonicalKey spells a config key the way git compares keys: the section
// and the variable name are case-insensitive (lower-cased here), a
// subsection between them is case-sensitive and kept as it is.
func canonicalKey(key string) string {
	first, last := strings.IndexByte(key, '.'), strings.LastIndexByte(key, '.')
	if first < 0 || first == last {
		return strings.ToLower(key)
	}
	return strings.ToLower(key[:first]) + key[first:last] + strings.ToLower(key[last:])
}

// configTrue reports whether the last value of a config key is true.
func configTrue(vs []string) bool {
	if len(vs) == 0 {
		return false
	}
	b, ok := parseBool(vs[len(vs)-1])
	return ok && b
}

// parseBool reads a boolean the way git spells it; a key without a value
// ("[core] bare") is true. ok is false for anything else.
func parseBool(v string) (val, ok bool) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "", "true", "yes", "on", "1":
		return true, true
	case "false", "no", "off", "0":
		return false, true
	}
	return false, false
}

// isTrue reports whether a set value is a true boolean.
func isTrue(v string) bool {
	b, ok := parseBool(v)
	return ok && b && strings.TrimSpace(v) != ""
}
