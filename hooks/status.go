package hooks

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"

	"github.com/git-codex/git-codex/gitstore"
)

// InstallStatus says whether init's hook and configuration are in place.
type InstallStatus struct {
	HooksDir string `json:"hooksDir"`
	// Hook is the pre-push hook's path; HookInstalled says whether it is
	// git codex's and executable.
	Hook          string `json:"hook"`
	HookInstalled bool   `json:"hookInstalled"`
	// MissingConfig lists "key=value" settings init would make.
	MissingConfig []string `json:"missingConfig,omitempty"`
}

// Installed reports whether hook and configuration are all in place.
func (s InstallStatus) Installed() bool { return s.HookInstalled && len(s.MissingConfig) == 0 }

// Status reports whether Install's hook and configuration are in place,
// without changing anything.
func Status(ctx context.Context, repo *gitstore.Repo) (InstallStatus, error) {
	return status(ctx, repo)
}

func status(ctx context.Context, repo installRepo) (InstallStatus, error) {
	dir, err := repo.HooksPath(ctx)
	if err != nil {
		return InstallStatus{}, err
	}
	hook := filepath.Join(dir, "pre-push")
	s := InstallStatus{HooksDir: displayPath(repo, dir), Hook: displayPath(repo, hook)}
	if b, err := os.ReadFile(hook); err == nil && bytes.Contains(b, []byte(HookMarker)) {
		if fi, err := os.Stat(hook); err == nil && fi.Mode().Perm()&0o111 != 0 {
			s.HookInstalled = true
		}
	}
	glob := repo.RefPrefix() + "*"
	vals, err := repo.ConfigGetAll(ctx, rewriteRefKey, gitstore.ConfigGetOptions{})
	if err != nil {
		return s, err
	}
	if coveringValue(vals, glob) == "" {
		s.MissingConfig = append(s.MissingConfig, rewriteRefKey+"="+glob)
	}
	for _, kv := range rewriteSettings {
		cur, ok, err := repo.ConfigGet(ctx, kv.key, gitstore.ConfigGetOptions{Bool: kv.isBool})
		if err != nil {
			return s, err
		}
		if !ok || !strings.EqualFold(cur, kv.value) {
			s.MissingConfig = append(s.MissingConfig, kv.key+"="+kv.value)
		}
	}
	return s, nil
}
