package gitstore

import (
	"context"
	"errors"
)

// Sentinel errors. Callers compare with errors.Is.
var (
	// ErrNotRepository is returned by Open outside a git repository.
	ErrNotRepository = errors.New("not a git repository")
	// ErrNotFound is returned when a topic, session or revision does not exist.
	ErrNotFound = errors.New("not found")
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

// Warning describes data a reader skipped (a malformed line in a note).
type Warning struct {
	Ref    string // the notes ref
	Object string // the annotated object the note belongs to
	Line   int    // 1-based line number within the note
	Reason string
}

func (w Warning) String() string {
	return w.Ref + ": note on " + shortHash(w.Object) + ": line " + itoa(w.Line) + ": " + w.Reason
}

// Store reads and writes session records. NotesStore (git notes) and
// MemoryStore (tests) implement it; storetest holds the conformance suite.
type Store interface {
	// Append adds recs to the note that annotates target (a commit id or the
	// empty tree id) in topic's notes ref. Secrets in text fields are redacted
	// before anything is written. Concurrent appends never lose a record.
	Append(ctx context.Context, topic, target string, recs ...Record) error
	// Read returns all records of topic sorted by time then id, each with
	// NoteObject set, plus warnings for lines it skipped. A topic without a
	// ref returns no records and no error.
	Read(ctx context.Context, topic string) ([]Record, []Warning, error)
	// Topics lists the topics that have a notes ref, sorted.
	Topics(ctx context.Context) ([]string, error)
}
