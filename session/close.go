package session

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/git-codex/git-codex/internal/text"

	"github.com/git-codex/git-codex/prompt"
	"github.com/git-codex/git-codex/redact"
	"github.com/git-codex/git-codex/worktree"
)

// CloseOptions describe the end of a session.
type CloseOptions struct {
	Target
	// WriteFile, when set, is where a markdown summary is written (an
	// absolute path, or relative to the work tree). It must lie inside the
	// work tree, outside .git, and not be reached through a symbolic link
	// that leaves the tree: otherwise Close returns ErrOutsideWorkTree
	// before asking the model anything. An existing file is overwritten
	// only with Force; otherwise Close returns ErrFileExists, also before
	// asking anything.
	WriteFile string
	Force     bool
}

// CloseResult is the stored summary of a closed session.
type CloseResult struct {
	Session   string   `json:"session"`
	Topic     string   `json:"topic"`
	Title     string   `json:"title"`
	Found     string   `json:"found"`
	Decisions []string `json:"decisions"`
	Next      []string `json:"next"`
	// Written is the file the summary was written to, if any.
	Written string `json:"written,omitempty"`
	Answer  Result `json:"answer"`
}

// Close asks the model for the final summary (what was found, decided and
// is next), stores it as a KindSummary record, marks the session closed and
// optionally writes the summary as markdown into the work tree. When the
// summary request fails, nothing is closed.
func (e *Engine) Close(ctx context.Context, opt CloseOptions) (CloseResult, error) {
	if opt.WriteFile != "" {
		// Refused before the model is asked, so the session stays open.
		if err := e.checkSummaryPath(opt.WriteFile, opt.Force); err != nil {
			return CloseResult{}, err
		}
	}
	s, err := e.open(ctx, opt.Target)
	if err != nil {
		return CloseResult{}, err
	}
	r, err := e.send(ctx, s, exchange{text: prompt.CloseRequest()})
	res := CloseResult{Session: s.ID, Topic: s.Topic, Title: s.Open.Title, Answer: r}
	if err != nil {
		return res, err
	}
	sum := prompt.ParseSummary(r.Text)
	res.Found, res.Decisions, res.Next = sum.Found, sum.Decisions, sum.Next
	target, err := e.head()
	if err != nil {
		return res, err
	}
	rec := e.record(KindSummary, s)
	rec.Commit, rec.Turn = target, r.Turn
	rec.Text, rec.Decisions, rec.Next = sum.Found, sum.Decisions, sum.Next
	closing := e.record(KindClose, s)
	closing.Commit, closing.Turn = target, r.Turn
	if err := e.append(ctx, s.Topic, target, rec, closing); err != nil {
		return res, fmt.Errorf("store summary: %w", err)
	}
	if opt.WriteFile != "" {
		path := opt.WriteFile
		if !filepath.IsAbs(path) {
			path = filepath.Join(e.Repo.WorkTree(), path)
		}
		if err := e.checkSummaryPath(path, opt.Force); err != nil {
			return res, err
		}
		// The file lands in the work tree and is usually committed: it gets
		// the same scrubbing as the notes. It is written as the model's
		// edits are: confined to the tree, never through a link, atomically.
		doc := e.redactor().String(Markdown(res))
		if err := worktree.WriteFile(ctx, e.Repo.WorkTree(), path, []byte(doc)); err != nil {
			if errors.Is(err, worktree.ErrRefused) {
				return res, fmt.Errorf("write summary to %s: %w (%w)", path, ErrOutsideWorkTree, err)
			}
			return res, fmt.Errorf("write summary: %w", err)
		}
		res.Written = path
	}
	e.notify(EventClosed, s, "session "+text.ShortID(s.ID)+" closed")
	return res, nil
}

// scrubKey replaces the configured API key in text, whatever its
// characters or length (see redact.Literal).
func (e *Engine) scrubKey(text string) string {
	return redact.Literal(text, e.Config.APIKey)
}

// checkSummaryPath refuses a path close --write may not write: outside the
// work tree (summaryPath), or an existing file unless force.
func (e *Engine) checkSummaryPath(p string, force bool) error {
	real, err := e.summaryPath(p)
	if err != nil {
		return err
	}
	if _, err := os.Lstat(real); err == nil && !force {
		return fmt.Errorf("write summary to %s: %w", p, ErrFileExists)
	}
	return nil
}

// summaryPath returns the real path close --write may write p to (p is
// absolute or relative to the work tree): symbolic links in the existing
// part of the path resolved, inside the work tree, not in .git, not an
// existing symbolic link itself. Otherwise the error wraps
// ErrOutsideWorkTree.
func (e *Engine) summaryPath(p string) (string, error) {
	root := e.Repo.WorkTree()
	if root == "" {
		return "", fmt.Errorf("write summary to %s: %w", p, ErrNoWorkTree)
	}
	if !filepath.IsAbs(p) {
		p = filepath.Join(root, p)
	}
	p = filepath.Clean(p)
	refuse := func(why string) (string, error) {
		return "", fmt.Errorf("write summary to %s: %w (%s)", p, ErrOutsideWorkTree, why)
	}
	realRoot, err := filepath.EvalSymlinks(root)
	if err != nil {
		return "", fmt.Errorf("write summary: resolve work tree: %w", err)
	}
	// Resolve the deepest directory that exists; the rest is created.
	dir, rest := filepath.Dir(p), []string{filepath.Base(p)}
	for {
		if _, err := os.Lstat(dir); err == nil {
			break
		} else if !errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("write summary: %w", err)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		rest = append([]string{filepath.Base(dir)}, rest...)
		dir = parent
	}
	realDir, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return "", fmt.Errorf("write summary: %w", err)
	}
	real := filepath.Join(append([]string{realDir}, rest...)...)
	rel, err := filepath.Rel(realRoot, real)
	if err != nil || !filepath.IsLocal(rel) {
		return refuse("write it inside the work tree " + root)
	}
	if first, _, _ := strings.Cut(filepath.ToSlash(rel), "/"); strings.EqualFold(first, ".git") {
		return refuse("not inside .git")
	}
	if fi, err := os.Lstat(real); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		return refuse("it is a symbolic link")
	}
	return real, nil
}

// Markdown renders a closing summary as a markdown document.
func Markdown(c CloseResult) string {
	var b strings.Builder
	title := c.Title
	if title == "" {
		title = "Session " + c.Session
	}
	fmt.Fprintf(&b, "# %s\n\n", title)
	fmt.Fprintf(&b, "Session `%s` on topic `%s`.\n\n", c.Session, c.Topic)
	b.WriteString("## What we found\n\n")
	if strings.TrimSpace(c.Found) == "" {
		b.WriteString("(nothing reported)\n")
	} else {
		b.WriteString(strings.TrimSpace(c.Found) + "\n")
	}
	list := func(head string, items []string) {
		fmt.Fprintf(&b, "\n## %s\n\n", head)
		if len(items) == 0 {
			b.WriteString("(none)\n")
		}
		for _, it := range items {
			fmt.Fprintf(&b, "- %s\n", it)
		}
	}
	list("What we decided", c.Decisions)
	list("What's next", c.Next)
	return b.String()
}
