package session

import (
	"context"
	"fmt"
	"github.com/git-codex/git-codex/redact"
	"os"
	"path/filepath"
	"strings"

	"github.com/git-codex/git-codex/gitstore"
	"github.com/git-codex/git-codex/prompt"
)

// CloseOptions describe the end of a session.
type CloseOptions struct {
	Target
	// WriteFile, when set, is where a markdown summary is written (an
	// absolute path, or relative to the work tree).
	WriteFile string
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
	rec := e.record(gitstore.KindSummary, s)
	rec.Commit, rec.Turn = target, r.Turn
	rec.Text, rec.Decisions, rec.Next = sum.Found, sum.Decisions, sum.Next
	closing := e.record(gitstore.KindClose, s)
	closing.Commit, closing.Turn = target, r.Turn
	if err := e.Store.Append(ctx, s.Topic, target, rec, closing); err != nil {
		return res, fmt.Errorf("store summary: %w", err)
	}
	if opt.WriteFile != "" {
		path := opt.WriteFile
		if !filepath.IsAbs(path) {
			path = filepath.Join(e.Repo.WorkTree(), path)
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return res, fmt.Errorf("write summary: %w", err)
		}
		// The file lands in the work tree and is usually committed: it gets
		// the same scrubbing as the notes.
		doc := redact.String(Markdown(res))
		if k := strings.TrimSpace(e.Config.APIKey); len(k) >= 8 {
			doc = strings.ReplaceAll(doc, k, "[REDACTED:configured-secret]")
		}
		if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
			return res, fmt.Errorf("write summary: %w", err)
		}
		res.Written = path
	}
	e.warnf("session %s closed", short(s.ID))
	return res, nil
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
