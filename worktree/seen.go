package worktree

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"sync"

	udiff "github.com/aymanbagabas/go-udiff"
)

// SeenEntry is one thing the model saw of a file in a session: read_file's
// answer for a path and a line range, or the file as the model's own patch
// left it (Edited). Path is the slash path from the work tree root with the
// symlinks of its directories resolved; Lines is "" for the whole file or
// "start-end" as read_file was asked ("10-0": line 10 to the end); Blob is
// the git blob id of the whole file at that moment; Turn the session turn.
type SeenEntry struct {
	Path   string `json:"path"`
	Lines  string `json:"lines,omitempty"`
	Blob   string `json:"blob"`
	Turn   int    `json:"turn"`
	Edited bool   `json:"edited,omitempty"`
}

// Observation is a SeenEntry new in this process, with the file's content
// (the bytes of Blob), for the caller to keep: the session writes Content
// to the object database and records the entry with the turn, so that a
// later process can answer from it.
type Observation struct {
	SeenEntry
	Content []byte
}

// BlobLoader returns the content of a blob the model saw in an earlier
// process (from the object database).
type BlobLoader func(ctx context.Context, blob string) ([]byte, error)

// Seen remembers, for one session, what the model last saw of each file, so
// that read_file can answer a re-read with a few bytes: "unchanged since
// turn N" when the file's blob is the one the model read, a unified diff
// against what it read when the file changed and the diff is smaller than
// the file, else the file as usual. The editor uses it to refuse a patch to
// a file that changed since the model last saw it.
//
// A Seen is only right while what the model saw is still in its context:
// after the session's context is rebuilt or compacted, start a new Seen
// without the entries of the turns the model no longer sees. A Seen is safe
// for concurrent use.
type Seen struct {
	mu      sync.Mutex
	format  ObjectFormat
	turn    int
	load    BlobLoader
	seq     int
	views   map[viewKey]*view // what read_file answered, per path and range
	latest  map[string]*view  // per path: the last view or edit
	pending []Observation
}

type viewKey struct{ path, lines string }

type view struct {
	SeenEntry
	seq     int
	content []byte // nil until loaded, for entries of earlier processes
}

// NewSeen returns a tracker for a session whose current turn is turn, in a
// repository of the given object format, knowing the prior entries (in the
// order they happened: a later one replaces an earlier one for the same
// path and range). load reads earlier content back; it may be nil, and then
// a changed file is answered in full.
func NewSeen(format ObjectFormat, turn int, prior []SeenEntry, load BlobLoader) (*Seen, error) {
	f, err := checkFormat(format)
	if err != nil {
		return nil, fmt.Errorf("track what the model read: %w", err)
	}
	s := &Seen{format: f, turn: turn, load: load, views: map[viewKey]*view{}, latest: map[string]*view{}}
	for _, e := range prior {
		s.note(e, nil)
	}
	return s, nil
}

// SetTurn sets the turn that new entries belong to (a fix loop runs several
// turns in one process).
func (s *Seen) SetTurn(turn int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.turn = turn
}

// note records an entry (under the lock, or before the Seen is shared).
func (s *Seen) note(e SeenEntry, content []byte) {
	s.seq++
	v := &view{SeenEntry: e, seq: s.seq, content: content}
	if !e.Edited {
		s.views[viewKey{e.Path, e.Lines}] = v
	}
	s.latest[e.Path] = v
}

// Entries returns what the tracker knows, one entry per path and range
// read plus the edits that came after them, in the order they happened.
func (s *Seen) Entries() []SeenEntry {
	s.mu.Lock()
	defer s.mu.Unlock()
	var vs []*view
	for _, v := range s.views {
		vs = append(vs, v)
	}
	for _, v := range s.latest {
		if v.Edited {
			vs = append(vs, v)
		}
	}
	sort.Slice(vs, func(i, j int) bool { return vs[i].seq < vs[j].seq })
	out := make([]SeenEntry, len(vs))
	for i, v := range vs {
		out[i] = v.SeenEntry
	}
	return out
}

// Take returns the entries observed since the last Take, with the content
// of each, and forgets them.
func (s *Seen) Take() []Observation {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.pending
	s.pending = nil
	return p
}

// Last returns the last thing the model saw of path (a slash path from the
// root, directories resolved): a read of any range, or its own edit.
func (s *Seen) Last(path string) (SeenEntry, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if v, ok := s.latest[path]; ok {
		return v.SeenEntry, true
	}
	return SeenEntry{}, false
}

// Forget drops what the model saw of path (the file was deleted).
func (s *Seen) Forget(path string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k := range s.views {
		if k.path == path {
			delete(s.views, k)
		}
	}
	delete(s.latest, path)
}

// edited records the content the model's own patch left in path: later
// patches compare with it, while reads still compare with what was read, so
// that a re-read shows the model its change as a diff.
func (s *Seen) edited(path string, content []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := SeenEntry{Path: path, Blob: BlobID(s.format, content), Turn: s.turn, Edited: true}
	s.note(e, content)
	s.pending = append(s.pending, Observation{SeenEntry: e, Content: content})
}

// linesKey is the Lines of a read of [start, end] (0 meaning unset).
func linesKey(start, end int) string {
	if start == 0 && end == 0 {
		return ""
	}
	return fmt.Sprintf("%d-%d", max(start, 1), end)
}

// answer is read_file's answer for the whole content data of the file rel
// (inside: its resolved path), lines [start, end] asked, full being the
// answer read_file would give: a short note when the model saw this blob
// already, a diff against what it saw when that is shorter, else full. The
// read is recorded either way.
func (s *Seen) answer(ctx context.Context, rel, inside string, start, end int, data []byte, full string) string {
	blob := BlobID(s.format, data)
	key := viewKey{inside, linesKey(start, end)}
	s.mu.Lock()
	prev := s.views[key]
	e := SeenEntry{Path: inside, Lines: key.lines, Blob: blob, Turn: s.turn}
	s.note(e, data)
	s.pending = append(s.pending, Observation{SeenEntry: e, Content: data})
	s.mu.Unlock()
	if prev == nil {
		return full
	}
	what := rel
	if key.lines != "" {
		what = fmt.Sprintf("%s lines %s", rel, key.lines)
	}
	if prev.Blob == blob {
		return fmt.Sprintf("%s: unchanged since you read it in turn %d (blob %s, %d lines); what you read then still holds.\n",
			what, prev.Turn, shortBlob(blob), bytes.Count(data, []byte{'\n'}))
	}
	if key.lines != "" {
		return full
	}
	old := prev.content
	if old == nil && s.load != nil {
		var err error
		if old, err = s.load(ctx, prev.Blob); err != nil || BlobID(s.format, old) != prev.Blob {
			return full
		}
	}
	if old == nil {
		return full
	}
	d, err := unified("a/"+rel, "b/"+rel, old, data)
	if err != nil {
		return full
	}
	msg := fmt.Sprintf("%s changed since you read it in turn %d (blob %s, now %s); the diff from what you read:\n%s",
		rel, prev.Turn, shortBlob(prev.Blob), shortBlob(blob), d)
	if len(msg) >= len(full) {
		return full
	}
	return msg
}

// unified is the unified diff (three lines of context) from old to new,
// labelled with the two names; "" when they are equal.
func unified(from, to string, old, new []byte) (string, error) {
	o, n := string(old), string(new)
	return udiff.ToUnified(from, to, o, udiff.Lines(o, n), udiff.DefaultContextLines)
}
