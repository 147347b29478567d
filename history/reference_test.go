package history

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/git-codex/git-codex/gitstore"
	"github.com/git-codex/git-codex/internal/text"
	"github.com/git-codex/git-codex/session"
)

// The reference the history views are checked against: every record of
// every topic read and decoded (LoadIndex), the reattachment rules run on
// all of it (FindReattachments). The views read only what they show
// (readShown); TestHistoryViewsReadWhatTheyShow holds them to this.

// notesSource lists the notes commits of every topic (local and fetched)
// and reads them.
type notesSource interface {
	Topics(ctx context.Context) ([]string, error)
	Ref(topic string) string
	ReadRef(name string) (string, error)
	TrackedTopics() ([]gitstore.Tracked, error)
	ReadCommit(ctx context.Context, ref, id string) (map[string][]gitstore.Record, []gitstore.Warning, error)
}

// gitNotes is a *gitstore.Repo's local notes store with the repository's
// ref reading beside it.
type gitNotes struct {
	*gitstore.NotesStore
	repo *gitstore.Repo
}

func notesOf(r *gitstore.Repo) gitNotes { return gitNotes{NotesStore: r.Notes(), repo: r} }

func (g gitNotes) ReadRef(name string) (string, error)        { return g.repo.ReadRef(name) }
func (g gitNotes) TrackedTopics() ([]gitstore.Tracked, error) { return g.repo.TrackedTopics() }

// LoadIndex reads every record of every topic of the repository's notes
// store: the local topic refs and those fetched from remotes
// (refs/notes/remotes/<remote>/…).
func LoadIndex(ctx context.Context, repo *gitstore.Repo) (*Index, error) {
	return loadIndex(ctx, notesOf(repo), true)
}

// loadIndex is LoadIndex from notes: with remotes, the fetched notes count
// too; without, only local topics.
func loadIndex(ctx context.Context, notes notesSource, remotes bool) (*Index, error) {
	topics, err := notes.Topics(ctx)
	if err != nil {
		return nil, fmt.Errorf("list topics: %w", err)
	}
	type source struct{ ref, topic, commit string }
	var srcs []source
	for _, topic := range topics {
		ref := notes.Ref(topic)
		head, err := notes.ReadRef(ref)
		if errors.Is(err, gitstore.ErrNotFound) {
			continue // deleted since it was listed
		}
		if err != nil {
			return nil, fmt.Errorf("read topic %s: %w", topic, err)
		}
		srcs = append(srcs, source{ref, topic, head})
	}
	if remotes {
		tracked, err := notes.TrackedTopics()
		if err != nil {
			return nil, fmt.Errorf("list fetched topics: %w", err)
		}
		for _, tr := range tracked {
			srcs = append(srcs, source{tr.Ref, tr.Topic, tr.Commit})
		}
	}
	idx := newIndex()
	read := map[string]bool{}
	seen := map[string]bool{}
	for _, src := range srcs {
		if read[src.commit] {
			continue // a tracking ref where the local ref is: the same records
		}
		read[src.commit] = true
		byObj, warns, err := notes.ReadCommit(ctx, src.ref, src.commit)
		if err != nil {
			return nil, fmt.Errorf("read topic %s: %w", src.topic, err)
		}
		ct := decodeNotes(byObj, warns, src.ref)
		idx.Warnings = append(idx.Warnings, ct.Warnings...)
		for obj, recs := range ct.ByObject {
			for _, r := range recs {
				if r.Topic == "" {
					r.Topic = src.topic
				}
				idx.ByObject[obj] = append(idx.ByObject[obj], r)
				if seen[r.ID] {
					continue
				}
				seen[r.ID] = true
				if r.Session != "" {
					idx.BySession[r.Session] = append(idx.BySession[r.Session], r)
				}
				idx.add(r)
			}
		}
	}
	for obj, recs := range idx.ByObject {
		idx.ByObject[obj] = uniqueSorted(recs)
	}
	for _, recs := range idx.BySession {
		session.SortRecords(recs)
	}
	for _, recs := range idx.Answers {
		session.SortRecords(recs)
	}
	for _, recs := range idx.Changes {
		session.SortRecords(recs)
	}
	return idx, nil
}

// decodedNotes are the records of one notes commit, by annotated object,
// and the lines skipped.
type decodedNotes struct {
	ByObject map[string][]session.Record
	Warnings []gitstore.Warning
}

// decodeNotes decodes the records of one notes commit; a record that does
// not fit the session schema is skipped with a warning.
func decodeNotes(byObj map[string][]gitstore.Record, warns []gitstore.Warning, ref string) decodedNotes {
	out := decodedNotes{ByObject: make(map[string][]session.Record, len(byObj)), Warnings: warns}
	for obj, recs := range byObj {
		for _, g := range recs {
			r, err := session.Decode(g)
			if err != nil {
				out.Warnings = append(out.Warnings, gitstore.Warning{Ref: ref, Object: obj, Record: g.ID,
					Reason: "skipped malformed record: " + text.Cut(err.Error(), 80)})
				continue
			}
			out.ByObject[obj] = append(out.ByObject[obj], r)
		}
	}
	return out
}

// Index implements noted, for the reference.

func (idx *Index) objects() []string { return slices.Collect(maps.Keys(idx.ByObject)) }

func (idx *Index) has(obj string) bool                 { return len(idx.ByObject[obj]) > 0 }
func (idx *Index) records(obj string) []session.Record { return idx.ByObject[obj] }

func (idx *Index) patchID(obj string) string {
	for _, r := range idx.ByObject[obj] {
		if r.Commit == obj && r.PatchID != "" {
			return r.PatchID
		}
	}
	return ""
}

func (idx *Index) recordKeys(obj string) []uint64 {
	recs := idx.ByObject[obj]
	out := make([]uint64, len(recs))
	for i, r := range recs {
		out[i] = idKey(r.ID)
	}
	return out
}

// FindReattachments is findReattachments on idx, for the commits given.
func FindReattachments(ctx context.Context, repo *gitstore.Repo, idx *Index, commits []gitstore.Commit) ([]Match, error) {
	targets := withoutNotes(idx, commits)
	if len(targets) == 0 || len(idx.ByObject) == 0 {
		return nil, nil
	}
	walked := make(map[string]gitstore.Commit, len(commits))
	for _, c := range commits {
		walked[c.Hash] = c
	}
	srcs, _, _ := readSources(repo, idx, walked, nil)
	return findReattachments(ctx, repo, idx, srcs, targets)
}

// readHistory is readShown reading every record of every topic (LoadIndex):
// the reference the views' reading only what they show is checked against.
func readHistory(ctx context.Context, repo *gitstore.Repo, revs []string, max int, remotes bool) (*history, error) {
	walkCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	revList := startRevList(walkCtx, repo, revs, max)
	idx, err := loadIndex(ctx, notesOf(repo), remotes)
	var srcs map[string]*source
	if err == nil {
		srcs, _, _ = readSources(repo, idx, nil, nil)
	}
	commits, rerr := revList()
	if rerr != nil {
		return nil, rerr
	}
	if err != nil {
		return nil, err
	}
	h := &history{commits: commits, idx: idx}
	h.matches, err = findReattachments(ctx, repo, idx, srcs, withoutNotes(idx, commits))
	return h, err
}
