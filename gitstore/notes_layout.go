package gitstore

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/git-codex/git-codex/internal/text"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
)

// The layout of a notes tree, for readers that keep a derived index of the
// notes (session's): which blob is the note on which object, what changed
// between two notes commits, and one note read by itself. A blob is
// immutable, so what an index learned from one is true for good; only where
// the blobs are changes.

// NoteBlob is one note of a notes tree: the object its path names and the
// blob it holds. A continuation note is listed on its own object id (see
// ContinuationID); ReadNote tells which object it continues. An object noted
// at several fan-out depths has one NoteBlob per depth.
type NoteBlob struct {
	Object string
	Blob   string
}

// ListNotes returns every note of notes commit id.
func (n *NotesStore) ListNotes(ctx context.Context, id string) ([]NoteBlob, error) {
	_, added, err := n.DiffNotes(ctx, "", id)
	return added, err
}

// DiffNotes returns the notes of notes commit from that notes commit to
// lacks (removed: gone, or holding another blob) and those to has that from
// lacks (added). Subtrees with the same id on both sides are not read, so
// the cost is that of what changed. from == "" means no notes.
func (n *NotesStore) DiffNotes(ctx context.Context, from, to string) (removed, added []NoteBlob, err error) {
	n.r.mu.Lock()
	defer n.r.mu.Unlock()
	w := n.r.newTreeWriter()
	var a, b plumbing.Hash
	if from != "" {
		c, err := w.commit(plumbing.NewHash(from))
		if err != nil {
			return nil, nil, fmt.Errorf("read notes commit %s: %w", text.ShortID(from), err)
		}
		a = c.TreeHash
	}
	if to != "" {
		c, err := w.commit(plumbing.NewHash(to))
		if err != nil {
			return nil, nil, fmt.Errorf("read notes commit %s: %w", text.ShortID(to), err)
		}
		b = c.TreeHash
	}
	d := noteDiff{ctx: ctx, w: w}
	if err := d.trees(a, b, ""); err != nil {
		return nil, nil, fmt.Errorf("compare notes commits %s and %s: %w", text.ShortID(from), text.ShortID(to), err)
	}
	return d.removed, d.added, nil
}

// ApplyNoteDiff is the list of notes have without removed, with added: the
// notes of the commit DiffNotes compared have's commit with.
func ApplyNoteDiff(have, removed, added []NoteBlob) []NoteBlob {
	gone := make(map[NoteBlob]int, len(removed))
	for _, r := range removed {
		gone[r]++
	}
	out := make([]NoteBlob, 0, len(have)+len(added))
	for _, n := range have {
		if gone[n] > 0 {
			gone[n]--
			continue
		}
		out = append(out, n)
	}
	return append(out, added...)
}

type noteDiff struct {
	ctx            context.Context
	w              *treeWriter
	removed, added []NoteBlob
}

// trees compares two notes (sub)trees whose paths start with prefix.
func (d *noteDiff) trees(a, b plumbing.Hash, prefix string) error {
	if a == b {
		return nil
	}
	if err := d.ctx.Err(); err != nil {
		return err
	}
	ta, err := d.w.tree(a)
	if err != nil {
		return err
	}
	tb, err := d.w.tree(b)
	if err != nil {
		return err
	}
	byName := make(map[string]int, len(tb.Entries))
	for i, e := range tb.Entries {
		byName[e.Name] = i
	}
	matched := make([]bool, len(tb.Entries))
	for _, ea := range ta.Entries {
		i, ok := byName[ea.Name]
		if !ok {
			if err := d.collect(ea.Name, ea.Mode, ea.Hash, prefix, &d.removed); err != nil {
				return err
			}
			continue
		}
		matched[i] = true
		eb := tb.Entries[i]
		switch {
		case ea.Hash == eb.Hash && ea.Mode == eb.Mode:
		case isFanout(ea.Name, ea.Mode, prefix) && isFanout(eb.Name, eb.Mode, prefix):
			if err := d.trees(ea.Hash, eb.Hash, prefix+ea.Name); err != nil {
				return err
			}
		default:
			if err := d.collect(ea.Name, ea.Mode, ea.Hash, prefix, &d.removed); err != nil {
				return err
			}
			if err := d.collect(eb.Name, eb.Mode, eb.Hash, prefix, &d.added); err != nil {
				return err
			}
		}
	}
	for i, eb := range tb.Entries {
		if !matched[i] {
			if err := d.collect(eb.Name, eb.Mode, eb.Hash, prefix, &d.added); err != nil {
				return err
			}
		}
	}
	return nil
}

// collect adds the notes of one tree entry (a note, or a fan-out directory
// and everything below it) to out; non-notes are left out, as git does.
func (d *noteDiff) collect(name string, mode filemode.FileMode, h plumbing.Hash, prefix string, out *[]NoteBlob) error {
	full := prefix + name
	switch {
	case isFanout(name, mode, prefix):
		t, err := d.w.tree(h)
		if err != nil {
			return err
		}
		for _, e := range t.Entries {
			if err := d.collect(e.Name, e.Mode, e.Hash, full, out); err != nil {
				return err
			}
		}
	case isNoteMode(mode) && len(full) == 40 && isHex(name):
		*out = append(*out, NoteBlob{Object: strings.ToLower(full), Blob: h.String()})
	}
	return nil
}

// isFanout reports whether a tree entry below prefix is a fan-out directory.
func isFanout(name string, mode filemode.FileMode, prefix string) bool {
	return mode == filemode.Dir && len(name) == 2 && isHex(name) && len(prefix)+2 < 40
}

// Note is one note blob as ReadNote read it.
type Note struct {
	// Records are its records (every one, or those ReadNote kept), with
	// NoteObject left empty: a blob may be the note of several objects.
	Records []Record
	// Warnings are the lines skipped (Ref and Object left empty), with
	// their line numbers in the note.
	Warnings []Warning
	// Continues names the object whose notes this one continues ("" for an
	// ordinary note).
	Continues string
	// Size is the blob's size in bytes.
	Size int
}

// ReadNote reads note blob id. With ids, only the lines that contain one of
// them are parsed (a quick filter for readers that want some sessions'
// records; they check what they get) and their bytes are copied, so that
// the blob is not kept in memory; a note's continuation marker is always
// found.
func (n *NotesStore) ReadNote(ctx context.Context, id string, ids ...string) (Note, error) {
	if err := ctx.Err(); err != nil {
		return Note{}, err
	}
	n.r.mu.Lock()
	data, err := n.r.newTreeWriter().blob(plumbing.NewHash(id))
	n.r.mu.Unlock()
	if err != nil {
		return Note{}, fmt.Errorf("read note %s: %w", text.ShortID(id), err)
	}
	note := Note{Size: len(data)}
	if ids == nil {
		recs, warns := ParseNote(data)
		note.Continues, note.Records = splitContinuation(recs)
		note.Warnings = warns
		return note, nil
	}
	// Kept line k is the line of data at starts[k], whole (the last one may
	// have no newline).
	starts := linesContaining(data, ids, hasMarker(data))
	var keep []byte
	for _, start := range starts {
		end := len(data)
		if e := bytes.IndexByte(data[start:], '\n'); e >= 0 {
			end = start + e + 1
		}
		keep = append(keep, data[start:end]...)
	}
	recs, warns := ParseNote(keep)
	for i := range warns {
		// Line numbers of the whole note, as a full read reports them.
		if k := warns[i].Line - 1; k >= 0 && k < len(starts) {
			warns[i].Line = bytes.Count(data[:starts[k]], []byte{'\n'}) + 1
		}
	}
	note.Continues, note.Records = splitContinuation(recs)
	note.Warnings = warns
	return note, nil
}

// linesContaining returns the start offsets, in order and once each, of the
// lines of data that contain one of ids (and, with marker, the marker
// kind).
func linesContaining(data []byte, ids []string, marker bool) []int {
	found := map[int]bool{}
	var starts []int
	find := func(needle []byte) {
		for off := 0; off < len(data); {
			i := bytes.Index(data[off:], needle)
			if i < 0 {
				return
			}
			i += off
			start := bytes.LastIndexByte(data[:i], '\n') + 1
			if !found[start] {
				found[start] = true
				starts = append(starts, start)
			}
			end := bytes.IndexByte(data[i:], '\n')
			if end < 0 {
				return
			}
			off = i + end + 1
		}
	}
	for _, id := range ids {
		if id != "" {
			find([]byte(id))
		}
	}
	if marker {
		find(markerKind)
	}
	slices.Sort(starts)
	return starts
}

// readAllSized reads what r holds, size bytes expected (the buffer is
// allocated once).
func readAllSized(r io.Reader, size int64) ([]byte, error) {
	if size < 0 || size > 1<<31 {
		return io.ReadAll(r)
	}
	buf := make([]byte, size)
	n, err := io.ReadFull(r, buf)
	if err == io.ErrUnexpectedEOF {
		return buf[:n], nil
	}
	if err != nil {
		return nil, err
	}
	// More than the header said: read the rest too.
	rest, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	return append(buf, rest...), nil
}
