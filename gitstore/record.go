package gitstore

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/git-codex/git-codex/internal/text"
)

// TimeLayout is the fixed-width UTC timestamp layout of the "ts" field, so
// that sorting lines bytewise sorts records by time.
const TimeLayout = "2006-01-02T15:04:05.000000000Z"

// FormatTime formats t in the canonical record layout.
func FormatTime(t time.Time) string { return t.UTC().Format(TimeLayout) }

// Record is one line of a note as storage sees it: an opaque, immutable
// JSON object whose meaning belongs to the layer above (the session schema
// lives in package session). Storage reads only the few fields it needs —
// the envelope — and keeps the line's bytes as they are.
//
// A line is canonical one-line JSON whose first keys are "v", "ts" and
// "id", so that git's cat_sort_uniq merge (sort bytewise, drop duplicates)
// orders records by time and never merges two different records into one.
// Order must never be taken from line order.
type Record struct {
	// ID is the record's unique id ("id"); Time its timestamp ("ts",
	// TimeLayout); Kind what it describes ("kind", opaque here). A line
	// without an id or a kind is not a record.
	ID   string
	Time string
	Kind string
	// Commit is the object the record was attached to when written
	// ("commit"), and PatchID that commit's stable patch-id ("patch_id"),
	// so that records can be found again after cherry-picks and squash
	// merges.
	Commit  string
	PatchID string

	// Line is the record's canonical JSON, without a newline. Append
	// writes it (redacted); the fields above are read from it.
	Line []byte

	// NoteObject is the object the note holding this copy of the record
	// annotates. It is filled in by readers and never written.
	NoteObject string
	// Remote names the remote whose fetched notes alone hold this copy
	// ("" when the local topic ref holds it): see NotesStore.WithRemotes.
	// It is filled in by readers and never written.
	Remote string
}

// envelope is the part of a line storage reads.
type envelope struct {
	ID      string `json:"id"`
	Time    string `json:"ts"`
	Kind    string `json:"kind"`
	Commit  string `json:"commit"`
	PatchID string `json:"patch_id"`
}

// errNotRecord is the reason a line is no record: it lacks an id or a kind.
var errNotRecord = errors.New("line without id or kind")

// ParseRecord reads a record from one line of JSON: the envelope fields are
// filled in and Line holds the line itself. It fails for anything but a JSON
// object on one line, and for an object without "id" or "kind".
func ParseRecord(line []byte) (Record, error) {
	if bytes.ContainsAny(line, "\n\r") {
		return Record{}, fmt.Errorf("parse record: a record is one line")
	}
	r, err := parseLine(line)
	if err != nil {
		return Record{}, fmt.Errorf("parse record: %w", err)
	}
	return r, nil
}

// parseLine reads the envelope of one line of a note.
func parseLine(line []byte) (Record, error) {
	var env envelope
	if err := json.Unmarshal(line, &env); err != nil {
		return Record{}, err
	}
	if env.ID == "" || env.Kind == "" {
		return Record{}, errNotRecord
	}
	return Record{ID: env.ID, Time: env.Time, Kind: env.Kind, Commit: env.Commit, PatchID: env.PatchID, Line: line}, nil
}

// SortRecords orders records by time, then id, then the object their note
// annotates (copies of one record sit next to each other).
func SortRecords(recs []Record) {
	sort.SliceStable(recs, func(i, j int) bool {
		a, b := &recs[i], &recs[j]
		if a.Time != b.Time {
			return a.Time < b.Time
		}
		if a.ID != b.ID {
			return a.ID < b.ID
		}
		return a.NoteObject < b.NoteObject
	})
}

// ParseNote parses a note's JSON lines. Blank lines are skipped silently
// (`git notes append` adds them); malformed lines and records without id or
// kind are skipped with a warning (Line set, Ref/Object left to the caller).
// Unknown kinds and fields are kept, never an error.
func ParseNote(data []byte) ([]Record, []Warning) {
	var recs []Record
	var warns []Warning
	for i, line := range bytes.Split(data, []byte{'\n'}) {
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		r, err := parseLine(line)
		switch {
		case errors.Is(err, errNotRecord):
			warns = append(warns, Warning{Line: i + 1, Reason: "skipped line without id or kind"})
			continue
		case err != nil:
			warns = append(warns, Warning{Line: i + 1, Reason: "skipped malformed line: " + text.Cut(err.Error(), 81)})
			continue
		}
		recs = append(recs, r)
	}
	return recs, warns
}

// mergeLines returns the union of the lines of a and b: split into lines,
// empty lines dropped, sorted bytewise, duplicates removed, newline-terminated;
// exactly what `git notes merge -s cat_sort_uniq` produces.
func mergeLines(parts ...[]byte) []byte {
	var lines [][]byte
	for _, p := range parts {
		for _, l := range bytes.Split(p, []byte{'\n'}) {
			if len(bytes.TrimSpace(l)) > 0 {
				lines = append(lines, l)
			}
		}
	}
	sort.Slice(lines, func(i, j int) bool { return bytes.Compare(lines[i], lines[j]) < 0 })
	var out bytes.Buffer
	for i, l := range lines {
		if i > 0 && bytes.Equal(l, lines[i-1]) {
			continue
		}
		out.Write(l)
		out.WriteByte('\n')
	}
	return out.Bytes()
}
