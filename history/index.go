package history

import (
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
