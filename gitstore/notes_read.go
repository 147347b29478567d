package gitstore

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/git-codex/git-codex/internal/text"

	"github.com/go-git/go-git/v5/plumbing"
)

// Read returns every copy of every record of topic: a record copied to
// another commit (by git on amend and rebase, by reattach) appears once per
// note that holds it, each copy with its NoteObject. Copies are sorted by
// (time, id, note object). Which copy to show is the reader's choice, not
// storage's. With WithRemotes, a record that the local ref and a fetched
// ref hold on the same object is one copy, the local one.
func (n *NotesStore) Read(ctx context.Context, topic string) ([]Record, []Warning, error) {
	byObj, warns, err := n.ReadByObject(ctx, topic)
	if err != nil {
		return nil, nil, err
	}
	return flattenCopies(byObj), warns, nil
}

// flattenCopies lists the records of byObj, every copy, in Read's order.
func flattenCopies(byObj map[string][]Record) []Record {
	size := 0
	for _, recs := range byObj {
		size += len(recs)
	}
	out := make([]Record, 0, size)
	for _, recs := range byObj {
		out = append(out, recs...)
	}
	SortRecords(out)
	return out
}

// ReadByObject returns topic's records grouped by the object their note
// annotates. A record reattached to several commits appears under each.
// With WithRemotes, the fetched notes of the topic are added: on each
// object a record appears once, the local copy first.
func (n *NotesStore) ReadByObject(ctx context.Context, topic string) (map[string][]Record, []Warning, error) {
	ref := n.Ref(topic)
	head, err := n.r.ReadRef(ref)
	var out map[string][]Record
	var warns []Warning
	switch {
	case errors.Is(err, ErrNotFound):
		out = map[string][]Record{}
	case err != nil:
		return nil, nil, err
	default:
		if out, warns, err = n.ReadCommit(ctx, ref, head); err != nil {
			return nil, nil, err
		}
	}
	if !n.remotes {
		return out, warns, nil
	}
	tracked, err := n.r.trackedTopicsOf(topic)
	if err != nil {
		return nil, nil, err
	}
	read := map[string]bool{head: head != ""}
	for _, tr := range tracked {
		if tr.Topic != topic || read[tr.Commit] {
			continue // the same notes commit holds the same records
		}
		read[tr.Commit] = true
		byObj, ws, err := n.ReadCommit(ctx, tr.Ref, tr.Commit)
		if err != nil {
			return nil, nil, err
		}
		warns = append(warns, ws...)
		for obj, recs := range byObj {
			have := make(map[string]bool, len(out[obj]))
			for _, r := range out[obj] {
				have[r.ID] = true
			}
			for _, r := range recs {
				if !have[r.ID] {
					have[r.ID] = true
					r.Remote = tr.Remote
					out[obj] = append(out[obj], r)
				}
			}
		}
	}
	return out, warns, nil
}

// NotedObjects returns the ids of the objects notes commit id annotates:
// the paths of its notes tree, without reading a note.
func (n *NotesStore) NotedObjects(ctx context.Context, id string) ([]string, error) {
	n.r.mu.Lock()
	defer n.r.mu.Unlock()
	w := n.r.newTreeWriter()
	c, err := w.commit(plumbing.NewHash(id))
	if err != nil {
		return nil, fmt.Errorf("read notes commit %s: %w", text.ShortID(id), err)
	}
	notes, err := w.allNotes(c.TreeHash)
	if err != nil {
		return nil, fmt.Errorf("read notes commit %s: %w", text.ShortID(id), err)
	}
	objs := make([]string, 0, len(notes))
	for obj := range notes {
		objs = append(objs, obj)
	}
	sort.Strings(objs)
	return objs, ctx.Err()
}

// ReadCommit reads the notes tree of notes commit id (ref names it in
// warnings), with continuation notes read as notes on the object they
// continue.
func (n *NotesStore) ReadCommit(ctx context.Context, ref, id string) (map[string][]Record, []Warning, error) {
	n.r.mu.Lock()
	defer n.r.mu.Unlock()
	w := n.r.newTreeWriter()
	c, err := w.commit(plumbing.NewHash(id))
	if err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", ref, err)
	}
	notes, err := w.allNotes(c.TreeHash)
	if err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", ref, err)
	}
	out := make(map[string][]Record, len(notes))
	var warns []Warning
	for obj, blobs := range notes {
		// An object noted at several fan-out depths has several blobs;
		// git shows them joined. Their union is one note, so that a line
		// stored twice is one record.
		var parts [][]byte
		for _, bh := range blobs {
			if err := ctx.Err(); err != nil {
				return nil, nil, err
			}
			data, err := w.blob(bh)
			if err != nil {
				warns = append(warns, Warning{Ref: ref, Object: obj, Reason: "unreadable note: " + err.Error()})
				continue
			}
			parts = append(parts, data)
		}
		if len(parts) > 1 {
			parts = [][]byte{mergeLines(parts...)}
		}
		for _, data := range parts {
			recs, ws := ParseNote(data)
			for i := range ws {
				ws[i].Ref, ws[i].Object = ref, obj
			}
			warns = append(warns, ws...)
			// A continuation note's records are notes on the object it
			// continues (continuation.go).
			at := obj
			if hasMarker(data) {
				var base string
				if base, recs = splitContinuation(recs); base != "" {
					at = base
				}
			}
			for i := range recs {
				recs[i].NoteObject = at
			}
			out[at] = append(out[at], recs...)
		}
	}
	return out, warns, nil
}
