package history

import (
	"context"
	"errors"
	"fmt"

	"github.com/git-codex/git-codex/internal/text"

	"github.com/git-codex/git-codex/gitstore"
	"github.com/git-codex/git-codex/session"
)

// Index holds every record of every topic, read once, grouped the ways the
// history views need them.
type Index struct {
	// ByObject maps an annotated object (a commit, or the empty tree) to
	// the records of its notes in all topics, sorted by time then id.
	// Record.Topic is filled in from the ref when a line lacks it.
	ByObject map[string][]session.Record
	// BySession maps a session id to all its records, unique by id, sorted.
	BySession map[string][]session.Record
	// Answers maps a turn id to the answer records that reply to it.
	Answers map[string][]session.Record
	// Changes maps a turn id to its applied file changes (the edit tool's),
	// and Undone holds the turns an undo took back.
	Changes map[string][]session.Record
	Undone  map[string]bool
	// Warnings are the lines the readers skipped.
	Warnings []gitstore.Warning
}

func newIndex() *Index {
	return &Index{
		ByObject:  map[string][]session.Record{},
		BySession: map[string][]session.Record{},
		Answers:   map[string][]session.Record{},
		Changes:   map[string][]session.Record{},
		Undone:    map[string]bool{},
	}
}

// LoadIndex reads every record of every topic of the repository's notes
// store: the local topic refs and those fetched from remotes
// (refs/notes/remotes/<remote>/…). The history views read only what they
// show (readShown); this is the whole, for tools and tests.
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

// uniqueSorted sorts records by time and id and drops repeated ids (the
// same record in two notes of one object, or in two topics).
func uniqueSorted(recs []session.Record) []session.Record {
	session.SortRecords(recs)
	out := recs[:0]
	for i, r := range recs {
		if i > 0 && r.ID == recs[i-1].ID {
			continue
		}
		out = append(out, r)
	}
	return out
}

// add files r under the turn it answers, changes or undoes, if any.
func (idx *Index) add(r session.Record) {
	switch {
	case r.Kind == session.KindAnswer && r.Turn != "":
		idx.Answers[r.Turn] = append(idx.Answers[r.Turn], r)
	case r.Kind == session.KindChange && r.Turn != "" && r.Undo == "" && r.Status == session.ChangeApplied:
		idx.Changes[r.Turn] = append(idx.Changes[r.Turn], r)
	case r.Kind == session.KindEvent && r.Event == session.RecordUndo && r.Turn != "":
		idx.Undone[r.Turn] = true
	}
}
