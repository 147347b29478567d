package gitstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/git-codex/git-codex/internal/text"
)

// Sentinel errors. Callers compare with errors.Is.
var (
	// ErrNotRepository is returned by Open outside a git repository.
	ErrNotRepository = errors.New("not a git repository")
	// ErrNotFound is returned when a topic, session or revision does not exist.
	ErrNotFound = errors.New("not found")
	// ErrUnknownRevision is returned when a revision names no commit (a typo,
	// a branch of another clone, HEAD on an unborn branch). It is an
	// ErrNotFound, and reads the same.
	ErrUnknownRevision = fmt.Errorf("%w", ErrNotFound)
	// ErrUnborn is returned, as an ErrUnknownRevision too, when HEAD is a
	// branch without commits yet (a new repository): the error says so.
	ErrUnborn = errors.New("no commits yet")
	// ErrConflict is returned by a compare-and-swap whose expected old value
	// no longer matches; Append retries it internally.
	ErrConflict = errors.New("ref changed concurrently")
	// ErrLocked is returned when a ref lock file stays in place longer than
	// the retry budget; the error text names the lock file to remove.
	ErrLocked = errors.New("ref is locked")
	// ErrBareRepository is returned by operations that need a work tree.
	ErrBareRepository = errors.New("bare repository has no work tree")
	// ErrInvalidTopic is returned for a topic that cannot name a ref.
	ErrInvalidTopic = errors.New("invalid topic")
)

// Warning describes data a reader skipped (a malformed line in a note, or
// a record the layer above could not decode).
type Warning struct {
	Ref    string // the notes ref ("" when unknown)
	Object string // the annotated object the note belongs to
	Line   int    // 1-based line number within the note (0 when unknown)
	Record string // the record's id, when the line is a record
	Reason string
}

func (w Warning) String() string {
	s := "note on " + text.ShortID(w.Object)
	if w.Ref != "" {
		s = w.Ref + ": " + s
	}
	if w.Line > 0 {
		s += ": line " + itoa(w.Line)
	}
	if w.Record != "" {
		s += ": record " + w.Record
	}
	return s + ": " + w.Reason
}

// Store reads and writes records: opaque lines of JSON, one note per
// annotated object, one notes ref per topic. NotesStore (git notes) and
// MemoryStore (tests) implement it; storetest holds the conformance suite.
type Store interface {
	// Append adds recs (their Line; see ParseRecord) to the note that
	// annotates target (a commit id or the empty tree id) in topic's notes
	// ref. Every string value of every line is redacted before anything is
	// written. Concurrent appends never lose a record.
	Append(ctx context.Context, topic, target string, recs ...Record) error
	// Read returns every copy of every record of topic, one per note that
	// holds it, each with NoteObject set, sorted by time, id and note
	// object, plus warnings for lines it skipped. A topic without a ref
	// returns no records and no error.
	Read(ctx context.Context, topic string) ([]Record, []Warning, error)
	// Topics lists the topics that have a notes ref, sorted.
	Topics(ctx context.Context) ([]string, error)
}
