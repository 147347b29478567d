package hooks

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// stateFile, under the common git dir, records what Install changed so that
// Uninstall undoes exactly that.
const stateFile = "codex-install.json"

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

func loadState(repo layout) (installState, error) {
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

func saveState(repo layout, st installState) error {
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
func stateRel(repo layout, path string) string {
	if rel, err := filepath.Rel(repo.CommonDir(), path); err == nil {
		return filepath.ToSlash(rel)
	}
	return filepath.ToSlash(path)
}

// displayPath shows path relative to the work tree top when it is inside it.
func displayPath(repo layout, path string) string {
	if wt := repo.WorkTree(); wt != "" {
		if rel, err := filepath.Rel(wt, path); err == nil && !strings.HasPrefix(rel, "..") {
			return filepath.ToSlash(rel)
		}
	}
	return path
}
