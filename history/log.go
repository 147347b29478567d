package history

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/git-codex/git-codex/internal/text"

	"github.com/git-codex/git-codex/gitstore"
	"github.com/git-codex/git-codex/redact"
	"github.com/git-codex/git-codex/session"
)

// LogOptions selects what Log shows.
type LogOptions struct {
	// Revs are git revision arguments; empty means HEAD.
	Revs []string
	// Max bounds the number of commits; 0 means all.
	Max int
}

// LogEntry is one commit and the conversation turns attached to it.
type LogEntry struct {
	Commit string    `json:"commit"`
	Author string    `json:"author"`
	Email  string    `json:"email"`
	Date   time.Time `json:"date"`
	// Subject is the first line of the commit message.
	Subject string     `json:"subject"`
	Turns   []TurnView `json:"turns"`
}

// TurnView is one turn as history views show it.
type TurnView struct {
	Topic   string `json:"topic"`
	Session string `json:"session"`
	Turn    string `json:"turn"`
	Time    string `json:"ts"`
	// Message is the user's message; Answer the model's latest answer.
	Message string         `json:"message"`
	Answer  string         `json:"answer,omitempty"`
	Status  string         `json:"status,omitempty"`
	Usage   *session.Usage `json:"usage,omitempty"`
	// Via names the reattachment rule when the turn was found on another
	// commit (see FindReattachments), and From that commit.
	Via  string `json:"via,omitempty"`
	From string `json:"from,omitempty"`
	// Files are the files the turn's edits changed (workspace-write), in
	// order; Undone says an undo took them back.
	Files  []string `json:"files,omitempty"`
	Undone bool     `json:"undone,omitempty"`
}

// Log returns the commits of opt.Revs, newest first, each with the turns
// attached to it in any topic. Commits without notes get the turns found for
// them by FindReattachments (marked with Via); nothing is written. A turn is
// shown once: copied onto several of the commits (an amend or rebase with
// notes.rewriteRef, reattach), under the newest of them; found for a commit
// by a rule, only when no commit shown carries it.
func Log(ctx context.Context, repo *gitstore.Repo, opt LogOptions) ([]LogEntry, []gitstore.Warning, error) {
	h, err := readShown(ctx, repo, opt.Revs, opt.Max, true)
	if h == nil {
		return nil, nil, err
	}
	if err != nil {
		return nil, h.idx.Warnings, err
	}
	return h.logEntries(), h.idx.Warnings, nil
}

// logEntries makes Log's entries of what h read.
func (h *history) logEntries() []LogEntry {
	commits, idx, matches := h.commits, h.idx, h.matches
	byCommit := map[string][]Match{}
	for _, m := range matches {
		byCommit[m.Commit] = append(byCommit[m.Commit], m)
	}
	// The commit each turn is shown under: the newest carrying it.
	at := map[string]string{}
	for _, c := range commits {
		for _, r := range idx.ByObject[c.Hash] {
			if _, ok := at[r.ID]; !ok && r.Kind == session.KindTurn {
				at[r.ID] = c.Hash
			}
		}
	}
	shown := map[string]bool{}
	entries := make([]LogEntry, 0, len(commits))
	for _, c := range commits {
		e := LogEntry{Commit: c.Hash, Author: c.Author, Email: c.Email, Date: c.Time, Subject: c.Subject, Turns: []TurnView{}}
		attached := func(r session.Record) bool { return at[r.ID] == c.Hash }
		found := func(r session.Record) bool {
			if at[r.ID] != "" || shown[r.ID] {
				return false
			}
			shown[r.ID] = true
			return true
		}
		e.Turns = append(e.Turns, idx.turns(idx.ByObject[c.Hash], attached, "", "")...)
		for _, m := range byCommit[c.Hash] {
			e.Turns = append(e.Turns, idx.turns(m.Records, found, m.Rule, m.Source)...)
		}
		entries = append(entries, e)
	}
	return entries
}

// turns makes the turn views of the KindTurn records among recs that show
// lets through, each with its latest answer, in record order.
func (idx *Index) turns(recs []session.Record, show func(session.Record) bool, via, from string) []TurnView {
	var out []TurnView
	for _, r := range recs {
		if r.Kind != session.KindTurn || !show(r) {
			continue
		}
		tv := TurnView{Topic: r.Topic, Session: r.Session, Turn: r.ID, Time: r.Time, Message: r.Text, Via: via, From: from}
		if as := idx.Answers[r.ID]; len(as) > 0 {
			a := as[len(as)-1]
			tv.Answer, tv.Status, tv.Usage = a.Text, a.Status, a.Usage
		}
		for _, c := range idx.Changes[r.ID] {
			if !contains(tv.Files, c.Path) {
				tv.Files = append(tv.Files, c.Path)
			}
		}
		tv.Undone = len(tv.Files) > 0 && idx.Undone[r.ID]
		out = append(out, tv)
	}
	return out
}

// LogStyle colours the parts of WriteLog's text. history knows no colours:
// the front end passes them in; a nil func leaves its part plain, so the
// zero LogStyle writes plain text.
type LogStyle struct {
	// ID paints commit and session ids (the command line: git log's yellow).
	ID func(string) string
	// Changed paints the line naming the files a turn changed.
	Changed func(string) string
}

func paint(f func(string) string, s string) string {
	if f == nil {
		return s
	}
	return f(s)
}

// WriteLog prints entries like `git log --oneline` with author and date,
// each followed by its turns: topic, short session id, the first line of
// the user's message, the first line of the answer and the tokens.
func WriteLog(w io.Writer, entries []LogEntry, style LogStyle) error {
	ew := &errWriter{w: w}
	for _, e := range entries {
		ew.printf("%s %s %s  %s\n", paint(style.ID, text.ShortID(e.Commit)), e.Date.UTC().Format("2006-01-02"), e.Author, e.Subject)
		for _, t := range e.Turns {
			via := ""
			if t.Via != "" {
				via = fmt.Sprintf(" (via %s from %s)", t.Via, paint(style.ID, text.ShortID(t.From)))
			}
			ew.printf("    [%s %s]%s %s\n", t.Topic, paint(style.ID, text.ShortID(t.Session)), via, headline(t.Message, 100))
			switch {
			case t.Answer != "":
				ew.printf("      → %s%s\n", headline(t.Answer, 100), tokenNote(t.Usage, t.Status))
			case t.Status != "":
				ew.printf("      → (%s)\n", t.Status)
			default:
				ew.printf("      → (no answer)\n")
			}
			if len(t.Files) > 0 {
				undone := ""
				if t.Undone {
					undone = " (undone)"
				}
				ew.printf("      %s\n", paint(style.Changed, "✎ changed "+strings.Join(t.Files, ", ")+undone))
			}
		}
	}
	return ew.err
}

func tokenNote(u *session.Usage, status string) string {
	var parts []string
	if u != nil {
		parts = append(parts, fmt.Sprintf("%s tokens", commas(u.Input+u.Output)))
	}
	if status != "" && status != "complete" {
		parts = append(parts, status)
	}
	if len(parts) == 0 {
		return ""
	}
	return "  (" + strings.Join(parts, ", ") + ")"
}

type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) printf(format string, args ...any) {
	if e.err == nil {
		_, e.err = fmt.Fprintf(e.w, format, args...)
	}
}

// headline is the headline of a message, redacted and cut to n runes: its
// first non-empty line, or for a structured first message the first line of
// its "## Task" section (n <= 0: the whole line).
func headline(s string, n int) string {
	if _, task, ok := strings.Cut(s, "## Task\n"); ok {
		s = task
	}
	if n <= 0 {
		n = len(s)
	}
	return redact.Line(s, n)
}

// commas formats n with thousands separators.
func commas(n int) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
