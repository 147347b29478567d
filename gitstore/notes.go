package gitstore

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"

	"sort"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/git-codex/git-codex/redact"
)

// fanoutThreshold is the number of notes in a flat notes tree above which a
// write converts it to git's 2/38 fan-out layout, so that each later append
// rewrites two small trees instead of one huge one. git reads any layout.
const fanoutThreshold = 256

// NotesStore stores records as git notes, one notes ref per topic. It
// implements Store.
type NotesStore struct {
	r *Repo
	// remotes: readers also see the notes fetched from remotes
	// (WithRemotes).
	remotes bool
}

// Notes returns the notes-backed Store of this repository: the local topic
// refs only, which are what git codex writes and sends.
func (r *Repo) Notes() *NotesStore { return &NotesStore{r: r} }

// WithRemotes returns a store that reads, besides the local topic refs, the
// notes fetched from remotes into refs/notes/remotes/<remote>/… (by sync, by
// the pre-push hook, or by a plain `git fetch` into that namespace, as a CI
// job does): Topics is the union of local and fetched topics, Read the union
// of their records (a record is one immutable line with a unique id, so a
// copy in several refs is one record). Records only the fetched notes hold
// carry the remote's name in Record.Remote. The fetched refs are never
// written: Append writes the local topic ref, which is how a teammate's
// session is continued here.
func (n *NotesStore) WithRemotes() *NotesStore { return &NotesStore{r: n.r, remotes: true} }

// Ref is the notes ref that stores topic.
func (n *NotesStore) Ref(topic string) string { return n.r.TopicRef(topic) }

// Topics lists topics with a notes ref (with WithRemotes, a local or a
// fetched one).
func (n *NotesStore) Topics(ctx context.Context) ([]string, error) {
	prefix := n.r.RefPrefix()
	refs, err := n.r.ListRefs(prefix)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var topics []string
	for name := range refs {
		enc := strings.TrimPrefix(name, prefix)
		if strings.Contains(enc, "/") {
			continue // not ours (hand-made refs below the prefix)
		}
		t, err := DecodeTopic(enc)
		if err != nil {
			continue
		}
		seen[t] = true
		topics = append(topics, t)
	}
	if n.remotes {
		tracked, err := n.r.TrackedTopics()
		if err != nil {
			return nil, err
		}
		for _, tr := range tracked {
			if !seen[tr.Topic] {
				seen[tr.Topic] = true
				topics = append(topics, tr.Topic)
			}
		}
	}
	sort.Strings(topics)
	return topics, nil
}

// Append adds recs to the note on target in topic's ref: under the ref's
// lock it reads the current notes commit, rewrites only the path to the one
// note, writes the new objects and renames the lock over the ref. Existing
// lines (including ones it cannot parse) are kept; the note's lines are
// sorted and deduplicated as `git notes merge -s cat_sort_uniq` would leave them.
func (n *NotesStore) Append(ctx context.Context, topic, target string, recs ...Record) error {
	if err := ValidateTopic(topic); err != nil {
		return err
	}
	target, err := normalizeTarget(topic, target)
	if err != nil {
		return err
	}
	lines, err := encodeRecords(recs, n.r.secrets)
	if err != nil || len(lines) == 0 {
		return err
	}
	n.r.mu.Lock()
	defer n.r.mu.Unlock()
	// Optimistic compare-and-swap: build the new notes commit from the
	// current one without holding the lock, then take the lock only to
	// check nothing moved and rename. A process killed while building
	// leaves only unreachable objects; the lock is held for microseconds.
	for attempt := 0; ; attempt++ {
		// A symbolic notes ref is written through, as git does.
		ref, err := n.r.notesRefTarget(n.Ref(topic))
		if err != nil {
			return fmt.Errorf("append to %s: %w", n.Ref(topic), err)
		}
		old, err := n.r.ReadRef(ref)
		if errors.Is(err, ErrNotFound) {
			old, err = "", nil
		}
		if err != nil {
			return fmt.Errorf("append to %s: %w", ref, err)
		}
		commit, err := n.r.noteCommit(old, target, lines)
		if err != nil {
			return fmt.Errorf("append to %s: %w", ref, err)
		}
		err = n.r.UpdateRef(ctx, ref, old, commit)
		if err == nil {
			return nil
		}
		if !errors.Is(err, ErrConflict) || attempt >= maxAttempts {
			return fmt.Errorf("append to %s: %w", ref, err)
		}
		if err := backoff(ctx, attempt); err != nil {
			return err
		}
	}
}

// normalizeTarget checks that target is a full object id and returns it in
// lower case: go-git accepts upper-case hex, but a note path must be the
// id git prints, or readers (ours included) would not find it.
func normalizeTarget(topic, target string) (string, error) {
	if !plumbing.IsHash(target) {
		return "", fmt.Errorf("append to %s: target %q is not an object id", topic, target)
	}
	return strings.ToLower(target), nil
}

// maxAttempts bounds compare-and-swap retries; each failed attempt means
// another writer succeeded, so this is only reached under extreme load.
const maxAttempts = 1000

// backoff sleeps a short, growing, jittered time before retry attempt+1.
func backoff(ctx context.Context, attempt int) error {
	d := time.Duration(100+rand.IntN(400*(1+min(attempt, 20)))) * time.Microsecond
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

// noteCommit writes a notes commit that is old (a notes commit id, or "")
// with lines merged into the note on target, and returns its id.
func (r *Repo) noteCommit(old, target string, lines [][]byte) (string, error) {
	w := r.newTreeWriter()
	var oldTree plumbing.Hash
	var parents []plumbing.Hash
	if old != "" {
		c, err := w.commit(plumbing.NewHash(old))
		if err != nil {
			return "", fmt.Errorf("read notes commit: %w", err)
		}
		oldTree, parents = c.TreeHash, []plumbing.Hash{c.Hash}
	}
	newTree, err := w.addToNote(oldTree, target, lines)
	if err != nil {
		return "", err
	}
	commit, err := w.writeCommit(newTree, parents, "Notes added by 'git codex'\n")
	if err != nil {
		return "", err
	}
	return commit.String(), nil
}

// encodeRecords redacts and marshals recs into canonical lines; literals
// are values never to be written (see AddSecrets).
func encodeRecords(recs []Record, literals []string) ([][]byte, error) {
	lines := make([][]byte, 0, len(recs))
	for _, rec := range recs {
		redactRecord(&rec, literals)
		b, err := rec.Marshal()
		if err != nil {
			return nil, err
		}
		lines = append(lines, b)
	}
	return lines, nil
}

// AddSecrets names literal values (the configured API key) that records
// written through this repository's NotesStore must never contain, whatever
// their characters or length: they are replaced in every field, as written
// and JSON-escaped (see redact.Literal). Empty values are ignored.
func (r *Repo) AddSecrets(values ...string) {
	for _, v := range values {
		if v = strings.TrimSpace(v); v != "" {
			r.secrets = append(r.secrets, v)
		}
	}
}

// redactRecord removes secrets from a record before it is written: notes
// are pushed to shared remotes. The literals go from every string field;
// the free-text fields (title, text, error, context, decisions, next, tool
// calls) are redacted whole, and everything derived from them (a title cut
// from a task, a clipped tool result) was cut from redacted text already.
func redactRecord(r *Record, literals []string) {
	clean := func(s string) string {
		for _, v := range literals {
			s = redact.Literal(s, v)
		}
		return redact.String(s)
	}
	all := func(ss []string) []string {
		if ss == nil {
			return nil
		}
		out := make([]string, len(ss)) // the caller's record is never rewritten in place
		for i, s := range ss {
			out[i] = clean(s)
		}
		return out
	}
	if len(literals) > 0 {
		for _, f := range []*string{&r.Session, &r.Topic, &r.Commit, &r.PatchID, &r.Parent, &r.Turn,
			&r.Engine, &r.Model, &r.ResponseID, &r.Status, &r.Through, &r.Event} {
			for _, v := range literals {
				*f = redact.Literal(*f, v)
			}
		}
	}
	r.Title = clean(r.Title)
	r.Text = clean(r.Text)
	r.Error = clean(r.Error)
	r.Context = all(r.Context)
	r.Decisions = all(r.Decisions)
	r.Next = all(r.Next)
	if len(r.ToolCalls) > 0 {
		calls := make([]ToolCall, len(r.ToolCalls))
		for i, c := range r.ToolCalls {
			c.Name = clean(c.Name)
			c.Args = clean(c.Args)
			c.Result = clean(c.Result)
			c.Error = clean(c.Error)
			calls[i] = c
		}
		r.ToolCalls = calls
	}
}

// Read returns every record of topic, sorted by time then id.
func (n *NotesStore) Read(ctx context.Context, topic string) ([]Record, []Warning, error) {
	byObj, warns, err := n.ReadByObject(ctx, topic)
	if err != nil {
		return nil, nil, err
	}
	recs := flatten(byObj, n.r.commitOrder())
	if n.remotes {
		// flatten may pick a fetched copy of a record the local ref
		// also holds (on another commit): it is still a local record.
		local := map[string]bool{}
		for _, rs := range byObj {
			for _, r := range rs {
				if r.Remote == "" {
					local[r.ID] = true
				}
			}
		}
		for i := range recs {
			if local[recs[i].ID] {
				recs[i].Remote = ""
			}
		}
	}
	return recs, warns, nil
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
	tracked, err := n.r.TrackedTopics()
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
		return nil, fmt.Errorf("read notes commit %s: %w", shortHash(id), err)
	}
	notes, err := w.allNotes(c.TreeHash)
	if err != nil {
		return nil, fmt.Errorf("read notes commit %s: %w", shortHash(id), err)
	}
	objs := make([]string, 0, len(notes))
	for obj := range notes {
		objs = append(objs, obj)
	}
	sort.Strings(objs)
	return objs, ctx.Err()
}

// ReadCommit reads the notes tree of notes commit id (ref names it in warnings).
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
			for i := range recs {
				recs[i].NoteObject = obj
			}
			out[obj] = append(out[obj], recs...)
		}
	}
	return out, warns, nil
}

// flatten merges per-object records into one list, unique by id, sorted by
// (time, id). A record found in several notes — git copies notes when a
// commit is amended or rebased, and reattach copies them on purpose — keeps
// the copy that is not on its original commit, and among several such the
// one newer says is newest (nil: the first in id order), so a transcript
// shows the commit the work lives on now.
func flatten(byObj map[string][]Record, newer func(a, b string) bool) []Record {
	objs := make([]string, 0, len(byObj))
	for o := range byObj {
		objs = append(objs, o)
	}
	sort.Strings(objs)
	at := map[string]int{}
	var out []Record
	for _, o := range objs {
		for _, r := range byObj[o] {
			i, seen := at[r.ID]
			if !seen {
				at[r.ID] = len(out)
				out = append(out, r)
				continue
			}
			if betterCopy(out[i], r, newer) {
				out[i] = r
			}
		}
	}
	SortRecords(out)
	return out
}

// betterCopy reports whether copy b of a record should be shown instead of a.
func betterCopy(a, b Record, newer func(a, b string) bool) bool {
	aMoved, bMoved := a.NoteObject != a.Commit, b.NoteObject != b.Commit
	if aMoved != bMoved {
		return bMoved
	}
	return newer != nil && newer(b.NoteObject, a.NoteObject)
}

// commitOrder returns the comparison flatten uses to pick between copies of
// a record: whether commit a has a later committer time than b, a commit
// that cannot be read being older than any that can, and — rewritten within
// the same second (amend, then rebase) — the copy on the current branch
// winning. Copies come per note, not per record, so every answer is
// remembered: a rebased session of a hundred records reads each commit once
// and asks git about ancestry at most once per commit.
func (r *Repo) commitOrder() func(a, b string) bool {
	type info struct {
		when time.Time
		ok   bool
	}
	commits := map[string]info{}
	commitInfo := func(id string) info {
		i, seen := commits[id]
		if !seen {
			c, err := r.Commit(id)
			i = info{c.CommitTime, err == nil}
			commits[id] = i
		}
		return i
	}
	onHead := map[string]bool{}
	var head *Head
	isOnHead := func(id string) bool {
		if v, seen := onHead[id]; seen {
			return v
		}
		if head == nil {
			h, _ := r.Head()
			head = &h
		}
		v := false
		if head.Commit != "" {
			v, _ = r.isAncestor(context.Background(), id, head.Commit)
		}
		onHead[id] = v
		return v
	}
	return func(a, b string) bool {
		ca, cb := commitInfo(a), commitInfo(b)
		switch {
		case !ca.ok:
			return false
		case !cb.ok:
			return true
		case !ca.when.Equal(cb.when):
			return ca.when.After(cb.when)
		}
		return isOnHead(a) && !isOnHead(b)
	}
}

// SortRecords orders records by time, then id.
func SortRecords(recs []Record) {
	sort.SliceStable(recs, func(i, j int) bool {
		if recs[i].Time != recs[j].Time {
			return recs[i].Time < recs[j].Time
		}
		return recs[i].ID < recs[j].ID
	})
}

// ParseNote parses a note's JSON lines. Blank lines are skipped silently
// (`git notes append` adds them); malformed lines and records without id or
// kind are skipped with a warning (Line set, Ref/Object left to the caller).
// Unknown kinds and fields are kept/ignored, never an error.
func ParseNote(data []byte) ([]Record, []Warning) {
	var recs []Record
	var warns []Warning
	for i, line := range bytes.Split(data, []byte{'\n'}) {
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		var r Record
		if err := json.Unmarshal(line, &r); err != nil {
			warns = append(warns, Warning{Line: i + 1, Reason: "skipped malformed line: " + truncate(err.Error(), 80)})
			continue
		}
		if r.ID == "" || r.Kind == "" {
			warns = append(warns, Warning{Line: i + 1, Reason: "skipped line without id or kind"})
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

// treeWriter reads and writes notes trees through go-git's object storage.
type treeWriter struct {
	r *Repo
}

func (r *Repo) newTreeWriter() *treeWriter { return &treeWriter{r: r} }

func (w *treeWriter) commit(h plumbing.Hash) (*object.Commit, error) {
	c, err := object.GetCommit(w.r.objects(), h)
	if errors.Is(err, plumbing.ErrObjectNotFound) {
		return nil, fmt.Errorf("commit %s: %w", h, ErrNotFound)
	}
	return c, err
}

func (w *treeWriter) tree(h plumbing.Hash) (*object.Tree, error) {
	if h.IsZero() {
		return &object.Tree{}, nil
	}
	t, err := object.GetTree(w.r.objects(), h)
	if errors.Is(err, plumbing.ErrObjectNotFound) {
		return nil, fmt.Errorf("tree %s: %w", h, ErrNotFound)
	}
	return t, err
}

func (w *treeWriter) blob(h plumbing.Hash) ([]byte, error) {
	o, err := w.r.objects().EncodedObject(plumbing.BlobObject, h)
	if err != nil {
		return nil, err
	}
	rd, err := o.Reader()
	if err != nil {
		return nil, err
	}
	defer rd.Close()
	return io.ReadAll(rd)
}

func (w *treeWriter) writeBlob(data []byte) (plumbing.Hash, error) {
	o := w.r.objects().NewEncodedObject()
	o.SetType(plumbing.BlobObject)
	o.SetSize(int64(len(data)))
	wr, err := o.Writer()
	if err != nil {
		return plumbing.ZeroHash, err
	}
	if _, err := wr.Write(data); err != nil {
		return plumbing.ZeroHash, err
	}
	if err := wr.Close(); err != nil {
		return plumbing.ZeroHash, err
	}
	return w.r.objects().SetEncodedObject(o)
}

func (w *treeWriter) writeTree(entries []object.TreeEntry) (plumbing.Hash, error) {
	sortTreeEntries(entries)
	t := &object.Tree{Entries: entries}
	o := w.r.objects().NewEncodedObject()
	if err := t.Encode(o); err != nil {
		return plumbing.ZeroHash, fmt.Errorf("encode tree: %w", err)
	}
	return w.r.objects().SetEncodedObject(o)
}

func (w *treeWriter) writeCommit(tree plumbing.Hash, parents []plumbing.Hash, msg string) (plumbing.Hash, error) {
	sig := w.r.signature()
	c := &object.Commit{Author: sig, Committer: sig, Message: msg, TreeHash: tree, ParentHashes: parents}
	o := w.r.objects().NewEncodedObject()
	if err := c.Encode(o); err != nil {
		return plumbing.ZeroHash, fmt.Errorf("encode commit: %w", err)
	}
	return w.r.objects().SetEncodedObject(o)
}

// sortTreeEntries puts entries in git's tree order: bytewise by name, with
// directories compared as if their name ended in '/'.
func sortTreeEntries(es []object.TreeEntry) {
	key := func(e object.TreeEntry) string {
		if e.Mode == filemode.Dir {
			return e.Name + "/"
		}
		return e.Name
	}
	sort.Slice(es, func(i, j int) bool { return key(es[i]) < key(es[j]) })
}

// isNoteMode reports whether a tree entry with this mode can be a note:
// git takes regular (and executable) files only, never symbolic links.
func isNoteMode(m filemode.FileMode) bool {
	return m == filemode.Regular || m == filemode.Executable || m == filemode.Deprecated
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return len(s) > 0
}

// allNotes walks a notes tree of any layout (flat, 2/38, 2/2/36, mixed) and
// returns the note blobs per annotated object (lower-case id; git also reads
// upper-case hex paths). Entries whose path is not a hex object id, and
// non-blob entries, are non-notes and are ignored, as git does.
func (w *treeWriter) allNotes(root plumbing.Hash) (map[string][]plumbing.Hash, error) {
	out := map[string][]plumbing.Hash{}
	var walk func(h plumbing.Hash, prefix string) error
	walk = func(h plumbing.Hash, prefix string) error {
		t, err := w.tree(h)
		if err != nil {
			return err
		}
		for _, e := range t.Entries {
			name := prefix + e.Name
			switch {
			case e.Mode == filemode.Dir && len(e.Name) == 2 && isHex(e.Name) && len(name) < 40:
				if err := walk(e.Hash, name); err != nil {
					return err
				}
			case isNoteMode(e.Mode) && len(name) == 40 && isHex(e.Name):
				name = strings.ToLower(name)
				out[name] = append(out[name], e.Hash)
			}
		}
		return nil
	}
	return out, walk(root, "")
}

// addToNote returns the id of a tree that is root with lines merged into
// the note of target. Only the trees on the path to that note are rewritten.
// Notes for target at other fan-out depths are folded into one note.
func (w *treeWriter) addToNote(root plumbing.Hash, target string, lines [][]byte) (plumbing.Hash, error) {
	t, err := w.tree(root)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	entries := append([]object.TreeEntry(nil), t.Entries...)
	fanned, flatNotes := false, 0
	for _, e := range entries {
		if e.Mode == filemode.Dir && len(e.Name) == 2 && isHex(e.Name) {
			fanned = true
		} else if len(e.Name) == 40 {
			flatNotes++
		}
	}
	if !fanned && flatNotes+1 > fanoutThreshold {
		return w.fanOut(entries, target, lines)
	}
	var existing [][]byte
	// Fold a flat note for target, wherever the layout puts the new one.
	kept := entries[:0]
	for _, e := range entries {
		if strings.EqualFold(e.Name, target) && isNoteMode(e.Mode) {
			b, err := w.blob(e.Hash)
			if err != nil {
				return plumbing.ZeroHash, err
			}
			existing = append(existing, b)
			continue
		}
		kept = append(kept, e)
	}
	entries = kept
	if !fanned {
		data := mergeLines(append(existing, lines...)...)
		bh, err := w.writeBlob(data)
		if err != nil {
			return plumbing.ZeroHash, err
		}
		entries = append(entries, object.TreeEntry{Name: target, Mode: filemode.Regular, Hash: bh})
		return w.writeTree(entries)
	}
	// 2/38 (or deeper, as git may have written): recurse into target[:2].
	dir := target[:2]
	var sub plumbing.Hash
	kept = entries[:0]
	for _, e := range entries {
		if strings.EqualFold(e.Name, dir) && e.Mode == filemode.Dir {
			sub = e.Hash
			continue
		}
		kept = append(kept, e)
	}
	entries = kept
	newSub, err := w.addToSubtree(sub, target, 2, existing, lines)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	entries = append(entries, object.TreeEntry{Name: dir, Mode: filemode.Dir, Hash: newSub})
	return w.writeTree(entries)
}

// addToSubtree handles a fan-out subtree holding notes whose ids start with
// target[:depth].
func (w *treeWriter) addToSubtree(h plumbing.Hash, target string, depth int, existing, lines [][]byte) (plumbing.Hash, error) {
	t, err := w.tree(h)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	rest := target[depth:]
	var entries []object.TreeEntry
	var deeper plumbing.Hash
	deeperName := ""
	if len(rest) > 2 {
		deeperName = rest[:2]
	}
	hasDeeper := false
	for _, e := range t.Entries {
		switch {
		case strings.EqualFold(e.Name, rest) && isNoteMode(e.Mode):
			b, err := w.blob(e.Hash)
			if err != nil {
				return plumbing.ZeroHash, err
			}
			existing = append(existing, b)
		case e.Mode == filemode.Dir && len(e.Name) == 2 && isHex(e.Name):
			hasDeeper = true
			if strings.EqualFold(e.Name, deeperName) {
				deeper = e.Hash
				continue
			}
			entries = append(entries, e)
		default:
			entries = append(entries, e)
		}
	}
	if hasDeeper && depth < 38 {
		nh, err := w.addToSubtree(deeper, target, depth+2, existing, lines)
		if err != nil {
			return plumbing.ZeroHash, err
		}
		entries = append(entries, object.TreeEntry{Name: deeperName, Mode: filemode.Dir, Hash: nh})
		return w.writeTree(entries)
	}
	bh, err := w.writeBlob(mergeLines(append(existing, lines...)...))
	if err != nil {
		return plumbing.ZeroHash, err
	}
	entries = append(entries, object.TreeEntry{Name: rest, Mode: filemode.Regular, Hash: bh})
	return w.writeTree(entries)
}

// fanOut converts a flat notes tree into the 2/38 layout while adding lines
// to target's note. Non-note entries stay at the root.
func (w *treeWriter) fanOut(entries []object.TreeEntry, target string, lines [][]byte) (plumbing.Hash, error) {
	buckets := map[string][]object.TreeEntry{}
	var root []object.TreeEntry
	var existing [][]byte
	for _, e := range entries {
		if len(e.Name) != 40 || !isHex(e.Name) || !isNoteMode(e.Mode) {
			root = append(root, e)
			continue
		}
		if strings.EqualFold(e.Name, target) {
			b, err := w.blob(e.Hash)
			if err != nil {
				return plumbing.ZeroHash, err
			}
			existing = append(existing, b)
			continue
		}
		name := strings.ToLower(e.Name)
		buckets[name[:2]] = append(buckets[name[:2]], object.TreeEntry{Name: name[2:], Mode: e.Mode, Hash: e.Hash})
	}
	bh, err := w.writeBlob(mergeLines(append(existing, lines...)...))
	if err != nil {
		return plumbing.ZeroHash, err
	}
	buckets[target[:2]] = append(buckets[target[:2]], object.TreeEntry{Name: target[2:], Mode: filemode.Regular, Hash: bh})
	for dir, es := range buckets {
		sh, err := w.writeTree(es)
		if err != nil {
			return plumbing.ZeroHash, err
		}
		root = append(root, object.TreeEntry{Name: dir, Mode: filemode.Dir, Hash: sh})
	}
	return w.writeTree(root)
}

// signature is the identity notes commits are made with: git's committer
// environment, then user.name/user.email, then a fixed fallback.
func (r *Repo) signature() object.Signature {
	name, email := r.getenv("GIT_COMMITTER_NAME"), r.getenv("GIT_COMMITTER_EMAIL")
	if name == "" {
		name, _ = r.Config("user.name")
	}
	if email == "" {
		email, _ = r.Config("user.email")
	}
	if name == "" {
		name = "git codex"
	}
	if email == "" {
		email = "git-codex@localhost"
	}
	return object.Signature{Name: name, Email: email, When: time.Now()}
}
