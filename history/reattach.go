package history

import (
	"context"
	"fmt"
	"time"

	"github.com/git-codex/git-codex/internal/text"

	"github.com/git-codex/git-codex/gitstore"
	"github.com/git-codex/git-codex/session"
)

// ReattachOptions selects the commits Reattach looks at.
type ReattachOptions struct {
	// Revs are git revision arguments ("main..feature", "HEAD~5..");
	// empty means HEAD.
	Revs []string
	// Max bounds the number of commits looked at; 0 means no bound.
	Max int
	// DryRun finds matches without writing.
	DryRun bool
	// Now stamps the reattach event records.
	Now func() time.Time
}

// Reattach finds records for commits without notes (FindReattachments) and
// adds their existing lines to the note of the new commit, in the records'
// own topic. Records are immutable and unique by id, so this copies lines,
// never makes new records of them: a union of notes stays deduplicated, and
// plain `git log --notes=codex/<topic>` shows them on the new commit. One
// event record per session and commit ("reattach", naming the source commit
// and rule) is added with them. Running it again finds nothing to do: the
// commits have notes now.
func Reattach(ctx context.Context, repo *gitstore.Repo, opt ReattachOptions) ([]Match, error) {
	// Only this clone's own topics are copied from: a teammate's fetched
	// session is not made one of this clone's topics behind its back.
	h, err := readShown(ctx, repo, opt.Revs, opt.Max, false)
	if err != nil {
		return nil, err
	}
	matches := h.matches
	if opt.DryRun {
		return matches, err
	}
	now := time.Now
	if opt.Now != nil {
		now = opt.Now
	}
	notes := repo.Notes()
	for _, m := range matches {
		recs := append([]session.Record(nil), m.Records...)
		t := now()
		var sessions []string
		for _, r := range m.Records {
			if r.Session != "" && !contains(sessions, r.Session) {
				sessions = append(sessions, r.Session)
			}
		}
		for _, s := range sessions {
			recs = append(recs, session.Record{
				Time: gitstore.FormatTime(t), ID: gitstore.NewID(t), Kind: session.KindEvent,
				Session: s, Topic: m.Topic, Commit: m.Commit, Event: "reattach",
				Text: fmt.Sprintf("records of %s reattached to %s (%s)", text.ShortID(m.Source), text.ShortID(m.Commit), m.Rule),
			})
		}
		lines := make([]gitstore.Record, 0, len(recs))
		for _, r := range recs {
			g, err := r.Encode()
			if err != nil {
				return matches, fmt.Errorf("reattach %s to %s: %w", text.ShortID(m.Source), text.ShortID(m.Commit), err)
			}
			lines = append(lines, g)
		}
		if err := notes.Append(ctx, m.Topic, m.Commit, lines...); err != nil {
			return matches, fmt.Errorf("reattach %s to %s: %w", text.ShortID(m.Source), text.ShortID(m.Commit), err)
		}
	}
	return matches, nil
}

// history is what the history views read: the commits of a revision range,
// the index of all records and the reattachments found for the commits.
type history struct {
	commits []gitstore.Commit
	idx     *Index
	matches []Match
}

// RevList returns the commits named by git revision arguments (default
// HEAD), newest first as `git log` orders them, at most max (0: all).
// Returns gitstore.ErrNotFound wrapped when a revision names nothing.
func RevList(ctx context.Context, repo *gitstore.Repo, revs []string, max int) ([]gitstore.Commit, error) {
	return startRevList(ctx, repo, revs, max)()
}

// startRevList starts RevList and returns the function that waits for its
// answer, so that the git rev-list process runs while the caller goes on
// (reading the notes, say); Repo.RevList only runs git, sharing no state.
func startRevList(ctx context.Context, repo revisions, revs []string, max int) func() ([]gitstore.Commit, error) {
	fail := func(err error) func() ([]gitstore.Commit, error) {
		return func() ([]gitstore.Commit, error) { return nil, err }
	}
	if len(revs) == 0 {
		h, err := repo.Head()
		if err != nil {
			return fail(err)
		}
		if h.Unborn() {
			return fail(nil)
		}
		revs = []string{"HEAD"}
	}
	type result struct {
		commits []gitstore.Commit
		err     error
	}
	done := make(chan result, 1)
	go func() {
		commits, err := repo.RevList(ctx, gitstore.RevListOptions{Revs: revs, Max: max})
		done <- result{commits, err}
	}()
	return func() ([]gitstore.Commit, error) {
		res := <-done
		return res.commits, res.err
	}
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// readShown lists the commits of revs (at most max, 0: all) with one git
// process that runs while this one reads the notes, then finds the
// reattachments, reading what the views show of the notes of every topic
// (with remotes, the fetched ones too): the notes of the commits listed, those of the commits their
// reattachments come from, and the whole of the sessions with records
// among them (for answers, changes and undos on other commits, and
// pr-summary's sessions). Its Index holds only those: ByObject the listed
// and source commits, BySession, Answers, Changes and Undone those
// sessions'. Warnings are those of every note, as LoadIndex's. On a
// reattachment error it returns the history read so far with the error.
func readShown(ctx context.Context, repo *gitstore.Repo, revs []string, max int, remotes bool) (*history, error) {
	walkCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	revList := startRevList(walkCtx, repo, revs, max)
	cache := readNotesFacts(repo)
	notes := repo.Notes()
	if remotes {
		notes = notes.WithRemotes()
	}
	v, learned, err := openNotesView(ctx, notes, cache)
	var srcs map[string]*source
	if err == nil {
		var headers map[string]gitstore.Commit
		var changed bool
		srcs, headers, changed = readSources(repo, v, nil, cache.Commits)
		// Only a view of every note writes the cache: one of the local
		// topics only would forget the fetched notes' facts.
		if remotes && (learned || changed) {
			writeNotesFacts(repo, v.factsCache(headers))
		}
	}
	commits, rerr := revList()
	if rerr != nil {
		return nil, rerr
	}
	if err != nil {
		return nil, err
	}
	idx := newIndex()
	h := &history{commits: commits, idx: idx}
	h.matches, err = findReattachments(ctx, repo, v, srcs, withoutNotes(v, commits))
	var shown [][]session.Record
	for _, c := range commits {
		if v.has(c.Hash) {
			idx.ByObject[c.Hash] = v.records(c.Hash)
			shown = append(shown, idx.ByObject[c.Hash])
		}
	}
	for _, m := range h.matches {
		idx.ByObject[m.Source] = v.records(m.Source)
		shown = append(shown, m.Records)
	}
	var ids []string
	named := map[string]bool{}
	for _, recs := range shown {
		for _, r := range recs {
			if r.Session != "" && !named[r.Session] {
				named[r.Session] = true
				ids = append(ids, r.Session)
			}
		}
	}
	idx.BySession = v.sessionRecords(ids)
	for _, id := range ids {
		shown = append(shown, idx.BySession[id])
	}
	seen := map[string]bool{}
	for _, recs := range shown {
		for _, r := range recs {
			if seen[r.ID] {
				continue
			}
			seen[r.ID] = true
			idx.add(r)
		}
	}
	for _, m := range []map[string][]session.Record{idx.Answers, idx.Changes} {
		for _, recs := range m {
			session.SortRecords(recs)
		}
	}
	idx.Warnings = v.warnings
	if v.err != nil {
		return h, v.err
	}
	return h, err
}
