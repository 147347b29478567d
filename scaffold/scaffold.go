package scaffold

import (
	repoctx "github.com/git-codex/git-codex/context"

	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// DefaultMaxFiles bounds how many files Scaffold visits when it explores a
// tree, so that a huge monorepo costs a bounded amount of work.
const DefaultMaxFiles = 20000

// ScaffoldOptions controls Scaffold.
type ScaffoldOptions struct {
	// Force replaces context files that already have content. Without it
	// such files are kept as they are; missing and blank files are written
	// either way (a blank file has nothing to lose).
	Force bool
	// MaxFiles bounds the files visited while exploring the code; 0 means
	// DefaultMaxFiles.
	MaxFiles int
}

// Action says what Scaffold did with one file.
type Action string

// Actions reported in Written.
const (
	ActionCreated  Action = "created"  // the file did not exist, or was blank
	ActionReplaced Action = "replaced" // the file had content and Force was set
	ActionKept     Action = "kept"     // the file had content and was left alone
	// ActionSkipped: init --llm drafted the file but its version was not
	// accepted; nothing was written.
	ActionSkipped Action = "skipped"
)

// Written reports what Scaffold did with one context file.
type Written struct {
	File   string `json:"file"`   // relative to root, e.g. "ARCHITECTURE.md"
	Action Action `json:"action"` // created, replaced or kept
	// Source says what the draft was built from: "CLAUDE.md" or "code".
	// Empty for kept files.
	Source string `json:"source,omitempty"`
}

// Scaffold drafts ARCHITECTURE.md and AGENTS.md under root (the top of the
// work tree) where they are missing or blank, and replaces existing ones only
// when opts.Force is set. ARCHITECTURE.md is built from the architecture
// sections of CLAUDE.md when there are any, otherwise from exploring the code
// (languages, modules, packages and their doc comments, entry points and which
// packages import which). AGENTS.md lists the build, test and lint commands and
// the formatting conventions found in the project.
//
// It returns one Written per required file, in RequiredFiles order. Files are
// written atomically (a temporary file renamed into place). The exploration
// skips vendored, generated and hidden directories and visits at most
// opts.MaxFiles files.
func Scaffold(root string, opts ScaffoldOptions) ([]Written, error) {
	drafts, err := Drafts(root, opts)
	var out []Written
	for _, d := range drafts {
		if d.Action != ActionKept {
			if werr := Write(root, d.File, d.Text); werr != nil {
				return out, werr
			}
		}
		out = append(out, d.Written)
	}
	return out, err
}

// Draft is what Scaffold would do with one context file, and the text it
// would write.
type Draft struct {
	Written
	Text string // the draft; empty for kept files
	// Old is the file's content before, when it existed (blank or replaced).
	Old     string
	Existed bool
}

// Drafts drafts the context files the way Scaffold does, without writing
// anything: one Draft per required file, in RequiredFiles order; kept files
// have no text. `init --llm` shows these to the model before they are
// written.
func Drafts(root string, opts ScaffoldOptions) ([]Draft, error) {
	fi, err := os.Stat(root)
	if err != nil {
		return nil, fmt.Errorf("scaffold context files: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("scaffold context files: %s is not a directory", root)
	}
	var p *project
	explore := func() *project {
		if p == nil {
			p = exploreProject(root, opts.MaxFiles)
		}
		return p
	}
	var out []Draft
	for _, name := range repoctx.RequiredFiles {
		path := filepath.Join(root, name)
		d := Draft{Written: Written{File: name, Action: ActionCreated}}
		if prob, ok := repoctx.CheckFile(root, name); ok {
			if !opts.Force {
				d.Action = ActionKept
				out = append(out, d)
				continue
			}
			d.Action = ActionReplaced
		} else if prob.Kind == repoctx.ProblemUnreadable {
			return out, fmt.Errorf("scaffold %s: it %s", name, prob.Detail)
		}
		if b, err := os.ReadFile(path); err == nil {
			d.Old, d.Existed = string(b), true
		}
		switch name {
		case repoctx.ArchitectureFile:
			d.Text, d.Source = renderArchitecture(root, explore)
		case repoctx.AgentsFile:
			d.Text, d.Source = renderAgents(root, explore())
		}
		out = append(out, d)
	}
	return out, nil
}

// Write writes one context file (name relative to root) atomically.
func Write(root, name, text string) error {
	if err := writeFileAtomic(filepath.Join(root, filepath.FromSlash(name)), []byte(text)); err != nil {
		return fmt.Errorf("scaffold %s: %w", name, err)
	}
	return nil
}

// Restore puts a context file back as it was before its draft was
// written: removed when it did not exist, its old content otherwise.
func Restore(root string, d Draft) error {
	if !d.Existed {
		err := os.Remove(filepath.Join(root, filepath.FromSlash(d.File)))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("restore %s: %w", d.File, err)
		}
		return nil
	}
	return Write(root, d.File, d.Old)
}

// writeFileAtomic writes data to a temporary file next to path and renames it
// into place, so a reader never sees half a file.
func writeFileAtomic(path string, data []byte) error {
	perm := fs.FileMode(0o644)
	if fi, err := os.Stat(path); err == nil {
		perm = fi.Mode().Perm()
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
