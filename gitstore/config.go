package gitstore

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/go-git/go-git/v5/plumbing/format/config"
)

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
	var files []string
	if !isTrue(r.getenv("GIT_CONFIG_NOSYSTEM")) {
		sys := r.getenv("GIT_CONFIG_SYSTEM")
		if sys == "" {
			sys = "/etc/gitconfig"
		}
		files = append(files, sys)
	}
	if g := r.getenv("GIT_CONFIG_GLOBAL"); g != "" {
		files = append(files, g)
	} else {
		home := r.getenv("HOME")
		xdg := r.getenv("XDG_CONFIG_HOME")
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
	return append(files, filepath.Join(r.commonDir, "config"))
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
	out, err := r.Git(context.Background(), nil, "config", "-z", "--list")
	if err != nil {
		return nil, err
	}
	cfg := map[string][]string{}
	for _, kv := range bytes.Split(out, []byte{0}) {
		if len(kv) == 0 {
			continue
		}
		k, v, _ := strings.Cut(string(kv), "\n")
		k = canonicalKey(k)
		cfg[k] = append(cfg[k], v)
	}
	return cfg, nil
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
