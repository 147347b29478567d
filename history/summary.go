package history

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/git-codex/git-codex/internal/text"

	"github.com/git-codex/git-codex/gitstore"
	"github.com/git-codex/git-codex/pricing"
	"github.com/git-codex/git-codex/session"
)

// ErrNoBase is returned by DefaultBase when no base can be guessed.
var ErrNoBase = errors.New("no base branch found")

// SummaryOptions selects the commits a PR summary describes.
type SummaryOptions struct {
	// Base is a revision; "" means DefaultBase.
	Base string
	// Head is a revision; "" means HEAD.
	Head string
	// Prices, when set, prices every answer with its model: the sessions'
	// and the branch's cost.
	Prices *pricing.Table
}

// PRSummary describes base..head: the commits, the sessions attached to
// them and what those sessions concluded. It holds no time of "now" and
// lists everything in a stable order, so the same history gives the same
// bytes.
type PRSummary struct {
	Base     string           `json:"base"`
	BaseRef  string           `json:"base_ref"`
	Head     string           `json:"head"`
	Commits  []SummaryCommit  `json:"commits"`
	Sessions []SummarySession `json:"sessions"`
	// Decisions and OpenItems gather the sessions' summaries' Decisions and
	// Next, in session order, without repeats.
	Decisions []string `json:"decisions"`
	OpenItems []string `json:"open_items"`
	Tokens    Tokens   `json:"tokens"`
	// Cost is what the sessions' answers cost (with SummaryOptions.Prices).
	Cost *pricing.Amount `json:"cost,omitempty"`
	// FilesChanged are the files the sessions' edits changed, sorted.
	FilesChanged []string `json:"files_changed"`
}

// SummaryCommit is one commit of the range.
type SummaryCommit struct {
	Commit  string `json:"commit"`
	Subject string `json:"subject"`
	Author  string `json:"author"`
	// Sessions are the ids of the sessions with turns on this commit.
	Sessions []string `json:"sessions"`
}

// SummarySession is one session attached to the range.
type SummarySession struct {
	ID     string `json:"id"`
	Topic  string `json:"topic"`
	Title  string `json:"title"`
	Engine string `json:"engine,omitempty"`
	Model  string `json:"model,omitempty"`
	Status string `json:"status"` // "open" or "closed"
	Turns  int    `json:"turns"`
	Tokens Tokens `json:"tokens"`
	// Cost is what its answers cost (with SummaryOptions.Prices).
	Cost *pricing.Amount `json:"cost,omitempty"`
	// Commits are the range's commits the session has turns on.
	Commits []string `json:"commits"`
	// Reattached names the rules by which some of its turns were found on
	// commits other than the ones they were recorded on.
	Reattached []string `json:"reattached,omitempty"`
	Summary    string   `json:"summary,omitempty"`
	Decisions  []string `json:"decisions,omitempty"`
	Next       []string `json:"next,omitempty"`
	// Files are the files the session's edits changed (turns undone left
	// out), sorted.
	Files []string `json:"files_changed,omitempty"`
}

// Tokens adds up usage.
type Tokens struct {
	Input  int `json:"input"`
	Cached int `json:"cached"`
	Output int `json:"output"`
}

func (t *Tokens) add(u *session.Usage) {
	if u != nil {
		t.Input += u.Input
		t.Cached += u.Cached
		t.Output += u.Output
	}
}

// Total is input plus output tokens.
func (t Tokens) Total() int { return t.Input + t.Output }

// DefaultBase finds the base of a pull request from HEAD and returns the
// merge-base commit and the ref it came from: the branch's upstream when it
// is a different branch (a branch made with --track origin/main), else
// origin/HEAD, else origin/main, origin/master, main, master. An upstream of
// the same name (origin/feature for feature) is where the branch is pushed,
// not what it is merged into, and is skipped.
func DefaultBase(ctx context.Context, repo *gitstore.Repo, head string) (commit, ref string, err error) {
	return defaultBase(ctx, repo, head)
}

func defaultBase(ctx context.Context, repo revisions, head string) (commit, ref string, err error) {
	var cands []string
	if h, err := repo.Head(); err == nil && h.Branch != "" {
		if u, err := repo.Upstream(ctx); err == nil && u != "" {
			if u[strings.LastIndexByte(u, '/')+1:] != h.Branch[strings.LastIndexByte(h.Branch, '/')+1:] {
				cands = append(cands, u)
			}
		}
	}
	cands = append(cands, "origin/HEAD", "origin/main", "origin/master", "main", "master")
	for _, c := range cands {
		if _, err := repo.Resolve(ctx, c); err != nil {
			continue
		}
		base, err := repo.MergeBase(ctx, c, head)
		if err != nil {
			continue
		}
		return base, c, nil
	}
	return "", "", fmt.Errorf("%w: pass --base", ErrNoBase)
}

// Summarize builds the PR summary of base..head.
func Summarize(ctx context.Context, repo *gitstore.Repo, opt SummaryOptions) (*PRSummary, error) {
	head := opt.Head
	if head == "" {
		head = "HEAD"
	}
	headID, err := repo.Resolve(ctx, head)
	if err != nil {
		return nil, fmt.Errorf("resolve %s: %w", head, err)
	}
	var baseID, baseRef string
	if opt.Base == "" {
		if baseID, baseRef, err = DefaultBase(ctx, repo, headID); err != nil {
			return nil, err
		}
	} else {
		baseRef = opt.Base
		if baseID, err = repo.Resolve(ctx, opt.Base); err != nil {
			return nil, fmt.Errorf("resolve base %s: %w", opt.Base, err)
		}
	}
	h, err := readShown(ctx, repo, []string{headID, "^" + baseID}, 0, true)
	if err != nil {
		return nil, err
	}
	s := buildSummary(h.idx, baseID, baseRef, headID, h.commits, h.matches)
	if opt.Prices != nil {
		total := pricing.Amount{}
		for i := range s.Sessions {
			c := sessionCost(h.idx.BySession[s.Sessions[i].ID], opt.Prices)
			s.Sessions[i].Cost = &c
			total = total.Add(c)
		}
		s.Cost = &total
	}
	return s, nil
}

// sessionCost prices a session's answers and summaries (sorted by time),
// each with the model that gave it, else the session's.
func sessionCost(recs []session.Record, prices *pricing.Table) pricing.Amount {
	var c pricing.Amount
	model := ""
	for _, r := range recs {
		switch {
		case r.Kind == session.KindSession:
			model = r.Model
		case (r.Kind == session.KindAnswer || r.Kind == session.KindSummary) && r.Usage != nil:
			m := r.Model
			if m == "" {
				m = model
			}
			c = c.Add(prices.Amount(m, pricing.Usage{Input: r.Usage.Input, Cached: r.Usage.Cached, Output: r.Usage.Output}))
		}
	}
	return c
}

// buildSummary assembles the summary from the index; it does no IO.
func buildSummary(idx *Index, base, baseRef, head string, commits []gitstore.Commit, matches []Match) *PRSummary {
	s := &PRSummary{Base: base, BaseRef: baseRef, Head: head,
		Commits: []SummaryCommit{}, Sessions: []SummarySession{}, Decisions: []string{}, OpenItems: []string{}, FilesChanged: []string{}}
	sessCommits := map[string][]string{}
	sessRules := map[string][]string{}
	attach := func(c *SummaryCommit, recs []session.Record, rule string) {
		for _, r := range recs {
			if r.Session == "" {
				continue
			}
			if !contains(c.Sessions, r.Session) {
				c.Sessions = append(c.Sessions, r.Session)
			}
			if !contains(sessCommits[r.Session], c.Commit) {
				sessCommits[r.Session] = append(sessCommits[r.Session], c.Commit)
			}
			if rule != "" && !contains(sessRules[r.Session], rule) {
				sessRules[r.Session] = append(sessRules[r.Session], rule)
			}
		}
	}
	byCommit := map[string][]Match{}
	for _, m := range matches {
		byCommit[m.Commit] = append(byCommit[m.Commit], m)
	}
	// Oldest first reads like the story of the branch.
	for i := len(commits) - 1; i >= 0; i-- {
		c := commits[i]
		sc := SummaryCommit{Commit: c.Hash, Subject: c.Subject, Author: c.Author, Sessions: []string{}}
		attach(&sc, idx.ByObject[c.Hash], "")
		for _, m := range byCommit[c.Hash] {
			attach(&sc, m.Records, m.Rule)
		}
		sort.Strings(sc.Sessions)
		s.Commits = append(s.Commits, sc)
	}
	ids := make([]string, 0, len(sessCommits))
	for id := range sessCommits {
		ids = append(ids, id)
	}
	sort.Strings(ids) // session ids sort by creation time
	for _, id := range ids {
		ss := summarizeSession(id, idx.BySession[id])
		ss.Commits = sessCommits[id]
		ss.Reattached = sessRules[id]
		sort.Strings(ss.Reattached)
		s.Sessions = append(s.Sessions, ss)
		s.Tokens.Input += ss.Tokens.Input
		s.Tokens.Cached += ss.Tokens.Cached
		s.Tokens.Output += ss.Tokens.Output
		for _, d := range ss.Decisions {
			if !contains(s.Decisions, d) {
				s.Decisions = append(s.Decisions, d)
			}
		}
		for _, n := range ss.Next {
			if !contains(s.OpenItems, n) {
				s.OpenItems = append(s.OpenItems, n)
			}
		}
		for _, f := range ss.Files {
			if !contains(s.FilesChanged, f) {
				s.FilesChanged = append(s.FilesChanged, f)
			}
		}
	}
	sort.Strings(s.FilesChanged)
	return s
}

// summarizeSession condenses one session's records (sorted by time): its
// title, model, status, turn count, token totals and the latest closing
// summary (a compaction summary, with Through set, only when there is no
// closing one).
func summarizeSession(id string, recs []session.Record) SummarySession {
	ss := SummarySession{ID: id, Status: "open"}
	var closing, compaction *session.Record
	files := map[string][]string{} // turn → files its edits changed
	undone := map[string]bool{}
	for i := range recs {
		r := &recs[i]
		if ss.Topic == "" {
			ss.Topic = r.Topic
		}
		switch r.Kind {
		case session.KindSession:
			ss.Engine, ss.Model = r.Engine, r.Model
			if r.Title != "" {
				ss.Title = r.Title
			}
		case session.KindTurn:
			ss.Turns++
			if ss.Title == "" {
				ss.Title = headline(r.Text, 0)
			}
		case session.KindAnswer:
			ss.Tokens.add(r.Usage)
			if r.Model != "" {
				ss.Model = r.Model
			}
		case session.KindSummary:
			if r.Through == "" {
				closing = r
			} else {
				compaction = r
			}
		case session.KindClose:
			ss.Status = "closed"
		case session.KindChange:
			if r.Status == session.ChangeApplied && r.Undo == "" && r.Turn != "" {
				files[r.Turn] = append(files[r.Turn], r.Path)
			}
		case session.KindEvent:
			if r.Event == session.RecordUndo {
				undone[r.Turn] = true
			}
		}
	}
	for turn, paths := range files {
		if undone[turn] {
			continue
		}
		for _, p := range paths {
			if !contains(ss.Files, p) {
				ss.Files = append(ss.Files, p)
			}
		}
	}
	sort.Strings(ss.Files)
	if closing == nil {
		closing = compaction
	}
	if closing != nil {
		sum := session.SummaryOf(*closing)
		ss.Summary = strings.TrimSpace(sum.Found)
		ss.Decisions = sum.Decisions
		ss.Next = sum.Next
	}
	if ss.Title == "" {
		ss.Title = "session " + text.ShortID(id)
	}
	return ss
}

// WriteMarkdown renders s as a pull-request description (GitHub markdown),
// ready for `gh pr create --body-file -`.
func WriteMarkdown(w io.Writer, s *PRSummary) error {
	ew := &errWriter{w: w}
	if len(s.Sessions) > 0 {
		var summaries []string
		for _, ss := range s.Sessions {
			if ss.Summary != "" {
				summaries = append(summaries, ss.Summary)
			}
		}
		if len(summaries) > 1 {
			// Several sessions: say which one concluded what.
			summaries = summaries[:0]
			for _, ss := range s.Sessions {
				if ss.Summary != "" {
					summaries = append(summaries, "**"+mdEscape(ss.Title)+".** "+ss.Summary)
				}
			}
		}
		if len(summaries) > 0 {
			ew.printf("## Summary\n\n%s\n\n", strings.Join(summaries, "\n\n"))
		}
	}
	ew.printf("## Commits\n\n")
	if len(s.Commits) == 0 {
		ew.printf("No commits between %s and %s.\n\n", mdRef(s.BaseRef, s.Base), text.ShortID(s.Head))
	}
	for _, c := range s.Commits {
		sess := ""
		if len(c.Sessions) > 0 {
			var ids []string
			for _, id := range c.Sessions {
				ids = append(ids, "`"+text.ShortID(id)+"`")
			}
			sess = " — session " + strings.Join(ids, ", ")
		}
		ew.printf("- `%s` %s%s\n", text.ShortID(c.Commit), mdEscape(c.Subject), sess)
	}
	if len(s.Commits) > 0 {
		ew.printf("\n")
	}
	ew.printf("## Sessions\n\n")
	if len(s.Sessions) == 0 {
		ew.printf("No agent sessions are attached to these commits.\n")
		return ew.err
	}
	for _, ss := range s.Sessions {
		ew.printf("### %s\n\n", mdEscape(ss.Title))
		facts := []string{"topic `" + ss.Topic + "`", "session `" + text.ShortID(ss.ID) + "`"}
		if ss.Engine == session.EngineCodex {
			facts = append(facts, "Codex CLI")
		}
		if ss.Model != "" {
			facts = append(facts, "model `"+ss.Model+"`")
		}
		facts = append(facts, plural(ss.Turns, "turn"), commas(ss.Tokens.Total())+" tokens")
		if ss.Cost != nil {
			facts = append(facts, ss.Cost.String())
		}
		facts = append(facts, ss.Status)
		ew.printf("%s\n", strings.Join(facts, " · "))
		if len(ss.Reattached) > 0 {
			ew.printf("\nSome turns were recorded on commits since rewritten; found again by %s.\n", strings.Join(ss.Reattached, ", "))
		}
		if len(ss.Files) > 0 {
			var fs []string
			for _, f := range ss.Files {
				fs = append(fs, "`"+mdEscape(f)+"`")
			}
			ew.printf("\nFiles changed by the session: %s.\n", strings.Join(fs, ", "))
		}
		ew.printf("\n")
	}
	if len(s.Decisions) > 0 {
		ew.printf("## Decisions\n\n")
		for _, d := range s.Decisions {
			ew.printf("- %s\n", d)
		}
		ew.printf("\n")
	}
	if len(s.OpenItems) > 0 {
		ew.printf("## Open items\n\n")
		for _, n := range s.OpenItems {
			ew.printf("- [ ] %s\n", n)
		}
		ew.printf("\n")
	}
	if s.Cost == nil {
		ew.printf("## Tokens\n\n| session | input | cached | output |\n|---|---:|---:|---:|\n")
	} else {
		ew.printf("## Tokens\n\n| session | input | cached | output | cost |\n|---|---:|---:|---:|---:|\n")
	}
	cost := func(a *pricing.Amount) string {
		if a == nil {
			return ""
		}
		return " " + a.String() + " |"
	}
	for _, ss := range s.Sessions {
		ew.printf("| `%s` | %s | %s | %s |%s\n", text.ShortID(ss.ID), commas(ss.Tokens.Input), commas(ss.Tokens.Cached), commas(ss.Tokens.Output), cost(ss.Cost))
	}
	ew.printf("| **total** | %s | %s | %s |%s\n", commas(s.Tokens.Input), commas(s.Tokens.Cached), commas(s.Tokens.Output), cost(s.Cost))
	return ew.err
}

func mdRef(ref, id string) string {
	if ref != "" {
		return "`" + ref + "`"
	}
	return "`" + text.ShortID(id) + "`"
}

// mdEscape keeps a one-line text from turning into markup it did not mean.
func mdEscape(s string) string {
	r := strings.NewReplacer("\n", " ", "<", "&lt;", ">", "&gt;")
	return r.Replace(strings.TrimSpace(s))
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
