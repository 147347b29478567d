package gitstore

import (
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/git-codex/git-codex/internal/text"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
)

// Continuation notes. A note stops growing once it holds NoteBound bytes:
// later records for the same object go to a continuation note, so that an
// append never rewrites megabytes. Continuation n of the notes on object
// X is an ordinary git note, on the made-up object id
//
//	ContinuationID(X, n) = SHA-1("git codex notes continuation <X> <n>")
//
// (no object has that id; none needs to exist), whose lines start with a
// marker record of kind "continuation" naming X in its "commit" field.
// Readers (Read, ReadCommit, ReadNote) take the records of a note holding a
// marker as notes on X and drop the marker; the records themselves still
// carry their own "commit" (the attachment). To git they are notes on
// another object:
//
//   - `git notes show X` shows the first megabyte of X's records, the oldest
//     (a note is never emptied); `git notes list` lists the continuation
//     notes too, and `git log --notes` shows X's first note only;
//   - git's own merges (cat_sort_uniq, and ours) merge each continuation
//     note with its counterpart as a union of lines, as any note: nothing is
//     lost, and two clones that both rolled over get one continuation note
//     holding both sides' lines (with two markers, which read the same);
//   - notes.rewriteRef copies X's note on amend and rebase, not its
//     continuations: their records stay on X, where readers find them by
//     session, and history by patch-id, as for any note of a commit that
//     was rewritten without its notes;
//   - `git notes prune` removes notes on objects that do not exist, and
//     so continuation notes too (as it removes the notes of commits that
//     were squashed away).

// NoteBound is the size a note grows to before new records go to a
// continuation note.
const NoteBound = 1 << 20

// noteBound is NoteBound, smaller in tests.
var noteBound int64 = NoteBound

// KindContinuation is the kind of the marker record that opens a
// continuation note. Readers of Store never see it.
const KindContinuation = "continuation"

// maxContinuations bounds the continuation notes of one object (1 GiB of
// records on one commit); past it the last one keeps growing.
const maxContinuations = 1024

// ContinuationID is the object id continuation note part (1, 2, …) of the
// notes on object is stored on.
func ContinuationID(object string, part int) string {
	sum := sha1.Sum([]byte("git codex notes continuation " + object + " " + strconv.Itoa(part)))
	return hex.EncodeToString(sum[:])
}

// continuationMarker is the line that opens continuation part of the notes
// on object.
func continuationMarker(object string, part int, now time.Time) []byte {
	return []byte(`{"v":1,"ts":"` + FormatTime(now) + `","id":"` + NewID(now) + `","kind":"` + KindContinuation +
		`","commit":"` + object + `","part":` + strconv.Itoa(part) + `}`)
}

// markerKind is how a marker line names its kind, in any record written by
// git codex; a line without it cannot be a marker.
var markerKind = []byte(`"kind":"` + KindContinuation + `"`)

// splitContinuation removes the marker records from recs and returns the
// object the note continues ("" for an ordinary note: no marker).
func splitContinuation(recs []Record) (string, []Record) {
	base := ""
	out := recs[:0]
	for _, r := range recs {
		if r.Kind == KindContinuation {
			if base == "" && isObjectID(r.Commit) {
				base = r.Commit
			}
			continue
		}
		out = append(out, r)
	}
	return base, out
}

// hasMarker reports whether note data may hold a marker line.
func hasMarker(data []byte) bool { return bytes.Contains(data, markerKind) }

// rollover picks the note new lines for target go to: target's own while it
// is smaller than NoteBound, else the first continuation note that is (the
// lines then start with its marker when it is new).
func (w *treeWriter) rollover(root plumbing.Hash, target string, lines [][]byte) (string, [][]byte, error) {
	size, err := w.noteSize(root, target)
	if err != nil || size < noteBound {
		return target, lines, err
	}
	for part := 1; ; part++ {
		id := ContinuationID(target, part)
		size, err := w.noteSize(root, id)
		switch {
		case err != nil:
			return "", nil, err
		case size == 0:
			return id, append([][]byte{continuationMarker(target, part, time.Now())}, lines...), nil
		case size < noteBound || part >= maxContinuations:
			return id, lines, nil
		}
	}
}

// noteSize is the size of the note on obj in the notes tree root (all its
// blobs, when it is noted at several fan-out depths), read from the object
// headers: no note is read.
func (w *treeWriter) noteSize(root plumbing.Hash, obj string) (int64, error) {
	var total int64
	h, depth := root, 0
	for !h.IsZero() {
		t, err := w.tree(h)
		if err != nil {
			return 0, err
		}
		next := plumbing.ZeroHash
		for _, e := range t.Entries {
			switch {
			case isNoteMode(e.Mode) && strings.EqualFold(e.Name, obj[depth:]):
				n, err := w.r.objects().EncodedObjectSize(e.Hash)
				if err != nil {
					return 0, fmt.Errorf("read note on %s: %w", text.ShortID(obj), err)
				}
				total += n
			case e.Mode == filemode.Dir && depth+2 < len(obj) && strings.EqualFold(e.Name, obj[depth:depth+2]):
				next = e.Hash
			}
		}
		h, depth = next, depth+2
	}
	return total, nil
}
