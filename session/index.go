package session

import (
	"bytes"
	"context"
	"fmt"
	"hash/fnv"
	"slices"
	"sort"
	"strings"

	"github.com/git-codex/git-codex/gitstore"
	"github.com/git-codex/git-codex/pricing"
)

// The session index: what list shows of every session and where each
// session's records are, kept in <common git dir>/codex/session-index so
// that list, reply and show cost what they show, not what the topics hold
// (SPEC §4.7).
//
// It is derived data only, and never consulted for writes:
//
//   - Per note blob (immutable, so what was learned of one is true for good):
//     the sessions whose records it holds, with their count and a digest of
//     their lines, the first and last of their session-opening records, and
//     the object a continuation note continues.
//   - Per topic: the notes commits of the refs the readers read (the local
//     topic ref and the fetched refs/notes/remotes/*/codex/<topic>: what
//     gitstore.NotesStore.Sources lists), every note of those commits, and
//     per session what list shows (Overview, and the usage of each answer
//     and summary to price) with the footprint it was computed from: the
//     notes (ref, object, blob) holding its records.
//
// A topic's entry is used only while its refs point where it was built from.
// When they moved, the notes trees are compared (DiffNotes: subtrees with
// equal ids are skipped), only new blobs are read, and only the sessions
// whose footprint changed are built again, from their own notes. A topic
// holding anything a reader would warn about (a malformed line, a record
// that does not decode, a session id written in a way the quick line filter
// would miss) is marked and always read in full, the way it was before the
// index, so that warnings stay the same. The file is keyed by its format
// and by the executable that wrote it, ignored when unreadable, and
// replaced whole (written to a temporary file and renamed): processes that
// update it at once only cost each other a later rebuild. Deleting it
// changes no output.

// indexFile is the index's file name under <common git dir>/codex/.
const indexFile = "session-index"

// indexStore is what the index needs of a store: the notes layout, one
// note at a time, and a place for derived files. gitstore.NotesStore
// implements it; a store without it (MemoryStore) is read in full.
type indexStore interface {
	gitstore.Store
	Sources(ctx context.Context, topics ...string) (map[string][]gitstore.NotesSource, error)
	DiffNotes(ctx context.Context, from, to string) (removed, added []gitstore.NoteBlob, err error)
	ReadNote(ctx context.Context, blob string, ids ...string) (gitstore.Note, error)
	ReadCache(name string) ([]byte, error)
	WriteCache(name string, data []byte) error
}

// sessionIndex is the index as loaded by one engine.
type sessionIndex struct {
	Binary string
	// lines keeps one session's lines of big note blobs (blobs never
	// change, so neither do they): reply and show read a session's
	// records from a note of megabytes without inflating it again. Use
	// linesCache; linesRaw is its encoded form until then.
	lines    *lineCache
	linesRaw []byte
	Topics   map[string]*topicIndex
	// read holds notes this command read in full (remember).
	read map[string]gitstore.Note
	// work counts what was read or built since the file was read (blobs,
	// sessions); size is the size of the file read. A little work in a
	// big file is done again by the next command rather than saved: writing
	// megabytes costs more than it saves.
	work, size int
	// changed: something was learned since the file was read.
	changed bool
}

// blobInfo is what one note blob holds.
type blobInfo struct {
	// Continues is the object a continuation note continues ("" for an
	// ordinary note).
	Continues string
	// Warn: a reader skips something in it, or the quick filter could miss
	// a line: its topics are read in full.
	Warn bool
	// Sessions are the sessions with records in it, sorted by id.
	Sessions []blobSession
}

// blobSession is one session's records in one blob.
type blobSession struct {
	ID    string
	Count int
	// Sum digests the lines (a sum of their hashes: order does not count).
	Sum uint64
	// First and Last are the earliest and the latest of its records of
	// kind session ("" when none), as time and id.
	First, Last recKey
}

// recKey orders records as readers do: by time, then id.
type recKey struct{ Time, ID string }

func (k recKey) less(o recKey) bool {
	if k.Time != o.Time {
		return k.Time < o.Time
	}
	return k.ID < o.ID
}

func (k recKey) zero() bool { return k == recKey{} }

// topicIndex is one topic's entry.
type topicIndex struct {
	Heads []gitstore.NotesSource
	// Notes are decoded from notesRaw on first use: use notes.
	Notes    []indexNote
	notesRaw []byte
	// blobs is what each note blob of Notes holds, decoded from blobsRaw
	// on first use: use blobTable. A topic untouched since the file was
	// read is written back from its raw parts, not decoded and encoded
	// again.
	blobs    map[string]*blobInfo
	blobsRaw []byte
	// bad: its notes or blob table did not decode. It is read in full and
	// not written back (built again next time).
	bad bool
	// Fresh: the summaries are those of every session the notes at Heads
	// hold, none of which a reader warns about (list checked), so list
	// shows them without working out the sessions' footprints again.
	Fresh bool
	// summaries holds what list shows, by session id, once decoded (or
	// built); raw is its encoded form, kept until summaries changes
	// (sumsChanged) so that the file is written back without encoding
	// them again.
	summaries   map[string]*sessionSummary
	raw         []byte
	sumsChanged bool
}

// indexNote is one note of a topic's refs.
type indexNote struct {
	Src    int // index into Heads
	Object string
	Blob   string
}

// sessionSummary is what list shows of a session, and what it was computed
// from.
type sessionSummary struct {
	Foot     uint64 // the footprint it was built from
	HasOpen  bool   // the topic holds its opening record: it is listed
	First    recKey // its earliest opening record: list's order
	Overview Overview
	// Costs are the usage of its answers and summaries (costItems), to
	// price with the prices of the day.
	Costs []costItem
}

// costItem is one answer's or summary's model and usage.
type costItem struct {
	Model string
	Usage Usage
}

// sessionFacts is what the notes of a topic say about one session without
// reading its records: where they are and when it was opened.
type sessionFacts struct {
	Foot        uint64
	First, Last recKey
	Notes       []int // indexes into topicIndex.Notes
}

// sessionIndex returns the engine's index and its store, loading the file
// on first use; ok is false when the store keeps no index.
func (e *Engine) sessionIndex() (*sessionIndex, indexStore, bool) {
	st, ok := e.Store.(indexStore)
	if !ok || gitstore.BuildID() == "" {
		return nil, nil, false
	}
	if e.idx == nil {
		e.idx = loadSessionIndex(st)
	}
	return e.idx, st, true
}

// loadIndexAsync starts reading the index file, when the engine has not
// read it yet, and returns what sessionIndex returns once it is read.
func (e *Engine) loadIndexAsync() func() (*sessionIndex, indexStore, bool) {
	st, ok := e.Store.(indexStore)
	if !ok || e.idx != nil || gitstore.BuildID() == "" {
		return e.sessionIndex
	}
	done := make(chan *sessionIndex, 1)
	go func() { done <- loadSessionIndex(st) }()
	return func() (*sessionIndex, indexStore, bool) {
		if ix := <-done; e.idx == nil {
			e.idx = ix
		}
		return e.sessionIndex()
	}
}

// saveIndex writes the index back when something was learned. It is best
// effort: a read-only repository goes without.
func (e *Engine) saveIndex() {
	if e.idx == nil || !e.idx.changed {
		return
	}
	if e.idx.size > saveFileBytes && e.idx.work < saveWork {
		return
	}
	if st, ok := e.Store.(indexStore); ok {
		if data, err := e.idx.encode(); err == nil {
			_ = st.WriteCache(indexFile, data)
		}
	}
	e.idx.changed = false
}

// updateIndex brings topic's index entry up to date with its notes and
// writes the index back: what the next command would do first, done
// earlier. A Codex turn calls it once its answer is stored, while Codex
// exits, so that the next reply finds the topic's entry current instead of
// reading the notes just written on its critical path. Best effort, as
// saveIndex. It returns the topic's notes refs it read (nil when it read
// none), for the turn's guess at the next one (saveCodexNext).
func (e *Engine) updateIndex(ctx context.Context, topic string) []gitstore.NotesSource {
	ix, st, ok := e.sessionIndex()
	if !ok {
		return nil
	}
	srcs, err := st.Sources(ctx, topic)
	if err != nil {
		return nil
	}
	if _, err := ix.topic(ctx, st, topic, srcs[topic]); err == nil {
		e.saveIndex()
	}
	return srcs[topic]
}

// An index file past saveFileBytes is written back only when the command
// read or built at least saveWork blobs or sessions (a line cache entry
// counts as saveWork: it saves a command the inflating of megabytes).
const (
	saveFileBytes = 1 << 20
	saveWork      = 64
)

// loadSessionIndex reads the index file, or starts an empty index when
// there is none, it does not decode, or another build wrote it.
func loadSessionIndex(st indexStore) *sessionIndex {
	empty := &sessionIndex{Binary: gitstore.BuildID(), Topics: map[string]*topicIndex{}}
	data, err := st.ReadCache(indexFile)
	if err != nil {
		return empty
	}
	ix, err := decodeIndex(data)
	if err != nil || ix.Binary != empty.Binary {
		return empty
	}
	ix.size = len(data)
	return ix
}

// blobTable returns the topic's blob table, decoding it on first use. A
// table that does not decode reads as empty: the topic is then read in
// full (a note the table does not know is one the index cannot vouch for).
func (te *topicIndex) blobTable() map[string]*blobInfo {
	if te.blobs == nil {
		b, err := decodeBlobTable(te.blobsRaw)
		if err != nil {
			b = map[string]*blobInfo{}
			te.Fresh, te.bad = false, true
		}
		te.blobs, te.blobsRaw = b, nil
	}
	return te.blobs
}

// notes returns the topic's notes, decoding them on first use (one that
// does not decode holds none: its sessions are then built again).
func (te *topicIndex) notes() []indexNote {
	if te.notesRaw != nil {
		n, err := decodeNotes(te.notesRaw, len(te.Heads))
		if err != nil {
			n = nil
			te.Fresh, te.bad = false, true
		}
		te.Notes, te.notesRaw = n, nil
	}
	return te.Notes
}

// topic returns the index entry of topic, brought up to date with srcs (the
// refs the readers read now). It reads only what changed.
func (ix *sessionIndex) topic(ctx context.Context, st indexStore, topic string, srcs []gitstore.NotesSource) (*topicIndex, error) {
	old := ix.Topics[topic]
	if old != nil && slices.Equal(old.Heads, srcs) {
		return old, nil
	}
	if old != nil {
		old.notes()
		old.blobTable()
		if old.bad {
			old = nil // undecodable: nothing to start from
		}
	}
	te := &topicIndex{Heads: srcs, blobs: map[string]*blobInfo{}}
	for i, src := range srcs {
		notes, err := ix.sourceNotes(ctx, st, old, src)
		if err != nil {
			return nil, fmt.Errorf("index notes of topic %q: %w", topic, err)
		}
		for _, n := range notes {
			te.Notes = append(te.Notes, indexNote{Src: i, Object: n.Object, Blob: n.Blob})
		}
	}
	for _, n := range te.notes() {
		if _, ok := te.blobs[n.Blob]; ok {
			continue
		}
		if old != nil {
			if info := old.blobTable()[n.Blob]; info != nil {
				te.blobs[n.Blob] = info
				continue
			}
		}
		ix.work++
		info, note, err := readBlobInfo(ctx, st, n.Blob)
		ix.remember(n.Blob, note)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			// A note that cannot be read (a missing or damaged object):
			// the readers skip it with a warning, so its topic is read
			// in full, as they read it.
			info = &blobInfo{Warn: true}
		}
		te.blobs[n.Blob] = info
	}
	// What list shows of a session is kept, as it is: it is used while
	// the notes holding the session's records are those it was built from
	// (its footprint), and built again when they are not.
	if old != nil {
		te.summaries, te.raw, te.sumsChanged = old.summaries, old.raw, old.sumsChanged
	}
	ix.Topics[topic] = te
	ix.changed = true
	ix.work++
	return te, nil
}

// sourceNotes lists the notes of one source: from the entry's notes of the
// same ref (or of a ref at the same commit) and what changed since, or in
// full.
func (ix *sessionIndex) sourceNotes(ctx context.Context, st indexStore, old *topicIndex, src gitstore.NotesSource) ([]gitstore.NoteBlob, error) {
	if old != nil {
		from := -1
		for i, h := range old.Heads {
			if h.Commit == src.Commit {
				from = i
				break
			}
			if h.Ref == src.Ref && from < 0 {
				from = i
			}
		}
		if from >= 0 {
			var have []gitstore.NoteBlob
			for _, n := range old.notes() {
				if n.Src == from {
					have = append(have, gitstore.NoteBlob{Object: n.Object, Blob: n.Blob})
				}
			}
			if old.Heads[from].Commit == src.Commit {
				return have, nil
			}
			removed, added, err := st.DiffNotes(ctx, old.Heads[from].Commit, src.Commit)
			if err == nil {
				return gitstore.ApplyNoteDiff(have, removed, added), nil
			}
			// The old commit may be gone (gc after a forced update):
			// list the new one in full.
		}
	}
	_, added, err := st.DiffNotes(ctx, "", src.Commit)
	return added, err
}

// readBlobInfo reads one note blob in full and learns what it holds.
func readBlobInfo(ctx context.Context, st indexStore, blob string) (*blobInfo, gitstore.Note, error) {
	note, err := st.ReadNote(ctx, blob)
	if err != nil {
		return nil, note, err
	}
	info := &blobInfo{Continues: note.Continues, Warn: len(note.Warnings) > 0}
	at := map[string]int{}
	for _, g := range note.Records {
		r, err := Decode(g)
		if err != nil {
			info.Warn = true
			continue
		}
		if r.Session == "" {
			// Records of no session (a run's) count for no session; an
			// opening record without an id confuses readers: read in full.
			info.Warn = info.Warn || r.Kind == KindSession
			continue
		}
		if !bytes.Contains(g.Line, []byte(r.Session)) {
			info.Warn = true // written escaped: the quick filter would miss it
		}
		i, ok := at[r.Session]
		if !ok {
			i = len(info.Sessions)
			at[r.Session] = i
			info.Sessions = append(info.Sessions, blobSession{ID: r.Session})
		}
		bs := &info.Sessions[i]
		bs.Count++
		bs.Sum += lineHash(g.Line)
		if r.Kind == KindSession {
			k := recKey{r.Time, r.ID}
			if bs.First.zero() || k.less(bs.First) {
				bs.First = k
			}
			if bs.Last.zero() || bs.Last.less(k) {
				bs.Last = k
			}
		}
	}
	sort.Slice(info.Sessions, func(i, j int) bool { return info.Sessions[i].ID < info.Sessions[j].ID })
	return info, note, nil
}

func lineHash(line []byte) uint64 {
	h := fnv.New64a()
	h.Write(line)
	return h.Sum64()
}

// dirty reports whether a reader would warn about something in the topic:
// then it is read in full.
func (te *topicIndex) dirty() bool {
	notes, blobs := te.notes(), te.blobTable()
	if te.bad {
		return true
	}
	for _, n := range notes {
		if b := blobs[n.Blob]; b == nil || b.Warn {
			return true
		}
	}
	return false
}

// facts works out, from the notes alone, where each session's records are
// and when it was opened.
func (te *topicIndex) facts() map[string]*sessionFacts {
	out := map[string]*sessionFacts{}
	for i, n := range te.notes() {
		b := te.blobTable()[n.Blob]
		if b == nil {
			continue
		}
		h := te.Heads[n.Src]
		for _, bs := range b.Sessions {
			f := out[bs.ID]
			if f == nil {
				f = &sessionFacts{Foot: 14695981039346656037}
				out[bs.ID] = f
			}
			f.Notes = append(f.Notes, i)
			f.Foot = footStep(f.Foot, h.Ref, h.Remote, n.Object, n.Blob, bs.Sum, bs.Count)
			if !bs.First.zero() && (f.First.zero() || bs.First.less(f.First)) {
				f.First = bs.First
			}
			if !bs.Last.zero() && (f.Last.zero() || f.Last.less(bs.Last)) {
				f.Last = bs.Last
			}
		}
	}
	return out
}

// footStep adds one note holding a session's records (its ref, object,
// blob, and the session's records there) to the session's footprint digest
// (FNV-1a, order counts).
func footStep(h uint64, ref, remote, object, blob string, sum uint64, count int) uint64 {
	const prime = 1099511628211
	for _, s := range [...]string{ref, remote, object, blob} {
		for i := 0; i < len(s); i++ {
			h = (h ^ uint64(s[i])) * prime
		}
		h = (h ^ 0xff) * prime
	}
	for _, v := range [...]uint64{sum, uint64(count)} {
		for i := 0; i < 8; i++ {
			h = (h ^ (v & 0xff)) * prime
			v >>= 8
		}
	}
	return h
}

// latest is the session of the topic's newest opening record, which reply
// continues ("" when there is none).
func latest(facts map[string]*sessionFacts) string {
	id, last := "", recKey{}
	for s, f := range facts {
		if !f.Last.zero() && (id == "" || last.less(f.Last)) {
			id, last = s, f.Last
		}
	}
	return id
}

// readSessions reads the records of the sessions ids of topic entry te, one
// copy per note, as Store.Read and ReadByObject return them (local copies
// first; a fetched copy of a record on an object that has one already is
// left out), decoded. Only the notes holding them are read. With lean, the
// texts list does not need are dropped as soon as a record is decoded, so
// that building many sessions holds little more than their ids.
func readSessions(ctx context.Context, st indexStore, ix *sessionIndex, te *topicIndex, ids []string, facts map[string]*sessionFacts, lean bool) ([]Record, error) {
	want := make(map[string]bool, len(ids))
	needed := map[int]bool{}
	for _, id := range ids {
		want[id] = true
		if f := facts[id]; f != nil {
			for _, i := range f.Notes {
				needed[i] = true
			}
		}
	}
	filter := ids
	if len(ids) > 16 {
		filter = nil // reading whole notes is cheaper than searching them for each id
	}
	var out []Record
	byObject := map[string]map[string]bool{} // object → ids already there
	for src := range te.Heads {
		// The notes of this source holding wanted records, by object
		// (one object may be noted at several fan-out depths).
		parts := map[string][]string{}
		var objects []string
		for i, n := range te.notes() {
			if n.Src == src && needed[i] {
				if _, ok := parts[n.Object]; !ok {
					objects = append(objects, n.Object)
				}
				parts[n.Object] = append(parts[n.Object], n.Blob)
			}
		}
		sort.Strings(objects)
		remote := te.Heads[src].Remote
		local := src == 0 && remote == ""
		for _, obj := range objects {
			recs, at, err := readObjectNotes(ctx, st, ix, te, obj, parts[obj], filter)
			if err != nil {
				return nil, err
			}
			have := byObject[at]
			if have == nil {
				have = map[string]bool{}
				byObject[at] = have
			}
			var added []string
			for _, g := range recs {
				if !local && have[g.ID] {
					continue
				}
				added = append(added, g.ID)
				r, err := Decode(g)
				if err != nil || !want[r.Session] {
					continue
				}
				r.NoteObject, r.Remote = at, remote
				if lean {
					r = r.lean()
				}
				out = append(out, r)
			}
			for _, id := range added {
				have[id] = true
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := &out[i], &out[j]
		if a.Time != b.Time {
			return a.Time < b.Time
		}
		if a.ID != b.ID {
			return a.ID < b.ID
		}
		return a.NoteObject < b.NoteObject
	})
	return out, nil
}

// readObjectNotes reads the notes on one object of one ref (several blobs
// when it is noted at several fan-out depths: their lines are merged, as
// ReadCommit merges them), the lines holding one of filter (all with nil),
// and the object they are notes on (a continuation's, or obj).
func readObjectNotes(ctx context.Context, st indexStore, ix *sessionIndex, te *topicIndex, obj string, blobs, filter []string) ([]gitstore.Record, string, error) {
	at := obj
	for _, b := range blobs {
		if c := te.blobTable()[b]; c != nil && c.Continues != "" {
			at = c.Continues
			break
		}
	}
	if len(blobs) == 1 {
		note, err := ix.readNote(ctx, st, blobs[0], filter)
		return note.Records, at, err
	}
	var lines [][]byte
	for _, b := range blobs {
		note, err := ix.readNote(ctx, st, b, filter)
		if err != nil {
			return nil, "", err
		}
		for _, g := range note.Records {
			lines = append(lines, g.Line)
		}
	}
	recs, _ := gitstore.ParseNote(bytes.Join(lines, []byte{'\n'}))
	// Sorted and unique, as mergeLines leaves a note's lines.
	sort.SliceStable(recs, func(i, j int) bool { return bytes.Compare(recs[i].Line, recs[j].Line) < 0 })
	uniq := recs[:0]
	for i, g := range recs {
		if i > 0 && bytes.Equal(g.Line, recs[i-1].Line) {
			continue
		}
		uniq = append(uniq, g)
	}
	return uniq, at, nil
}

// lean returns r without the texts that what list shows never reads: a
// summary keeps its text (the closing one is shown), nothing else does.
func (r Record) lean() Record {
	l := Record{V: r.V, Time: r.Time, ID: r.ID, Kind: r.Kind, Session: r.Session, Topic: r.Topic, Commit: r.Commit,
		Parent: r.Parent, Turn: r.Turn, Engine: r.Engine, Model: r.Model, Title: r.Title, Usage: r.Usage,
		BytesSent: r.BytesSent, Status: r.Status, Through: r.Through, Event: r.Event, Undo: r.Undo,
		NoteObject: r.NoteObject, Remote: r.Remote}
	if r.Kind == KindSummary {
		l.Text = r.Text
	}
	return l
}

// summarize builds what list shows of the sessions ids of topic, from their
// own notes, and keeps it in the entry.
func (ix *sessionIndex) summarize(ctx context.Context, st indexStore, topic string, te *topicIndex, ids []string, facts map[string]*sessionFacts) error {
	// In batches, so that building every session of a big topic at once
	// (a new index) holds one batch's records at a time.
	const batch = 256
	for len(ids) > 0 {
		n := min(batch, len(ids))
		recs, err := readSessions(ctx, st, ix, te, ids[:n], facts, true)
		if err != nil {
			return fmt.Errorf("index sessions of topic %q: %w", topic, err)
		}
		chosen := chooseRecords(recs, nil)
		bySession := map[string][]Record{}
		for _, r := range chosen {
			bySession[r.Session] = append(bySession[r.Session], r)
		}
		for _, id := range ids[:n] {
			sum := &sessionSummary{Foot: facts[id].Foot, First: facts[id].First}
			if s, err := build(id, bySession[id]); err == nil {
				s.Topic = topic
				sum.HasOpen = true
				sum.Overview = overview(s, false)
				sum.Costs = costItems(s)
			}
			te.summaries[id] = sum
			te.sumsChanged = true
			ix.work++
		}
		ids = ids[n:]
		ix.changed = true
	}
	return nil
}

// costItems lists what a session's answers and summaries used, in order:
// what sessionCost and costOf price.
func costItems(s *Session) []costItem {
	var out []costItem
	for _, t := range s.Turns {
		if a := t.Answer; a != nil && a.Usage != nil {
			out = append(out, costItem{Model: a.Model, Usage: *a.Usage})
		}
	}
	for _, sum := range s.Summaries {
		if sum.Usage != nil {
			out = append(out, costItem{Model: summaryModel(s, sum), Usage: *sum.Usage})
		}
	}
	return out
}

// costOf prices a session's items (costItems), each as Engine.Cost prices
// it, with each model looked up once in prices.
func (e *Engine) costOf(items []costItem, prices map[string]*pricing.Price) (c pricing.Amount) {
	for _, it := range items {
		p, seen := prices[it.Model]
		if !seen {
			if v, ok := e.prices().Lookup(it.Model); ok {
				p = &v
			}
			prices[it.Model] = p
		}
		if p == nil {
			c = c.Add(pricing.Amount{Unpriced: 1})
			continue
		}
		u := it.Usage
		c = c.Add(pricing.Amount{USD: p.Cost(pricing.Usage{Input: u.Input, Cached: u.Cached, Output: u.Output}), Priced: 1})
	}
	return c
}

// indexedOverviews appends what list shows of topic, built from the
// index, to out: its sessions oldest first, the last one current. ok is
// false when the topic must be read in full.
func (e *Engine) indexedOverviews(ctx context.Context, ix *sessionIndex, st indexStore, topic string, srcs []gitstore.NotesSource, out []Overview, l *listing) ([]Overview, bool, error) {
	te, err := ix.topic(ctx, st, topic, srcs)
	if err != nil {
		return out, false, err
	}
	if te.Fresh {
		// Unchanged since list last checked it: as it was.
		if te.summaries == nil {
			// Straight from the file: no map of summaries to build.
			if more, err := e.rawOverviews(topic, te.raw, out, l); err == nil {
				return more, true, nil
			}
		} else if sums, err := te.decodedSummaries(); err == nil {
			return e.overviews(topic, sums, out, l.prices), true, nil
		}
		te.Fresh = false
	}
	if te.dirty() {
		return out, false, nil
	}
	sums, err := te.decodedSummaries()
	if err != nil {
		// Unreadable: build them again.
		te.summaries, te.raw, te.sumsChanged = map[string]*sessionSummary{}, nil, true
		sums = te.summaries
	}
	facts := te.facts()
	var todo []string
	for id, f := range facts {
		if s := sums[id]; s == nil || s.Foot != f.Foot {
			todo = append(todo, id)
		}
	}
	if len(todo) > 0 {
		// Oldest first: a batch then reads the notes of one stretch of
		// time, not every note.
		sort.Slice(todo, func(i, j int) bool {
			a, b := facts[todo[i]], facts[todo[j]]
			if a.First != b.First {
				return a.First.less(b.First)
			}
			return todo[i] < todo[j]
		})
		if err := ix.summarize(ctx, st, topic, te, todo, facts); err != nil {
			return out, false, err
		}
	}
	// Drop what the topic no longer holds.
	for id, s := range te.summaries {
		if facts[id] == nil {
			delete(te.summaries, id)
			te.sumsChanged = true
			ix.changed = true
		} else if s.First != facts[id].First {
			s.First = facts[id].First
			te.sumsChanged = true
			ix.changed = true
		}
	}
	if !te.Fresh {
		te.Fresh, ix.changed = true, true
	}
	return e.overviews(topic, te.summaries, out, l.prices), true, nil
}

// overviews appends what list shows of a topic's sessions to out: those
// it holds the opening record of, oldest first, the newest current.
func (e *Engine) overviews(topic string, sums map[string]*sessionSummary, out []Overview, prices map[string]*pricing.Price) []Overview {
	var ids []string
	for id, s := range sums {
		if s.HasOpen {
			ids = append(ids, id)
		}
	}
	sort.Slice(ids, func(i, j int) bool {
		a, b := sums[ids[i]].First, sums[ids[j]].First
		if a != b {
			return a.less(b)
		}
		return ids[i] < ids[j]
	})
	for i, id := range ids {
		s := sums[id]
		o := s.Overview
		o.Topic, o.Current = topic, i == len(ids)-1
		o.Cost = e.costOf(s.Costs, prices)
		out = append(out, o)
	}
	return out
}

// listing is what List keeps from one topic to the next: the models
// priced so far (costOf) and room to decode summaries into, so that
// listing ten thousand topics allocates little but what it returns.
type listing struct {
	prices  map[string]*pricing.Price
	summary sessionSummary
	firsts  []recKey
}

// rawOverviews is overviews of a topic's summaries block as the index file
// holds it, decoded straight into out (no map of summaries is built).
func (e *Engine) rawOverviews(topic string, raw []byte, out []Overview, l *listing) ([]Overview, error) {
	start := len(out)
	l.firsts = l.firsts[:0]
	err := eachSummary(raw, &l.summary, func(s *sessionSummary) {
		if s.HasOpen {
			out = append(out, s.Overview)
			out[len(out)-1].Cost = e.costOf(s.Costs, l.prices)
			l.firsts = append(l.firsts, s.First)
		}
	})
	if err != nil {
		return out[:start], err
	}
	listed := out[start:]
	if len(listed) > 1 {
		// As overviews orders them.
		order := make([]int, len(listed))
		for i := range order {
			order[i] = i
		}
		sort.Slice(order, func(i, j int) bool {
			a, b := l.firsts[order[i]], l.firsts[order[j]]
			if a != b {
				return a.less(b)
			}
			return listed[order[i]].ID < listed[order[j]].ID
		})
		sorted := make([]Overview, len(listed))
		for i, k := range order {
			sorted[i] = listed[k]
		}
		copy(listed, sorted)
	}
	for i := range listed {
		listed[i].Topic, listed[i].Current = topic, i == len(listed)-1
	}
	return out, nil
}

// indexedSession loads one session of topic through the index: the newest
// when id is "". ok is false when the topic must be read in full.
func (e *Engine) indexedSession(ctx context.Context, ix *sessionIndex, st indexStore, topic, id string, srcs []gitstore.NotesSource) (*Session, bool, error) {
	te, err := ix.topic(ctx, st, topic, srcs)
	if err != nil {
		return nil, false, err
	}
	if te.dirty() {
		return nil, false, nil
	}
	facts := te.facts()
	if id == "" {
		if id = latest(facts); id == "" {
			return nil, true, fmt.Errorf("find session of topic %q: %w", topic, ErrNoSession)
		}
	}
	recs, err := readSessions(ctx, st, ix, te, []string{id}, facts, false)
	if err != nil {
		return nil, false, fmt.Errorf("read sessions of topic %q: %w", topic, err)
	}
	var newer func(a, b string) bool
	if e.Repo != nil {
		newer = commitOrder(ctx, e.Repo)
	}
	s, err := build(id, chooseRecords(recs, newer))
	if err != nil {
		return nil, true, err
	}
	s.Topic = topic
	return s, true, nil
}

// upperPrefix reports whether id starts with prefix, case aside (as
// loadPrefix compares).
func upperPrefix(id, upper string) bool { return strings.HasPrefix(strings.ToUpper(id), upper) }

// forget drops the entries of topics that are gone (srcs lists them all).
func (ix *sessionIndex) forget(srcs map[string][]gitstore.NotesSource) {
	for t := range ix.Topics {
		if _, ok := srcs[t]; !ok {
			delete(ix.Topics, t)
			ix.changed = true
		}
	}
}

// The line cache: a session's lines of a note blob, for the blobs big
// enough that inflating them costs more than keeping their lines, within
// bounds (the most recently stored entries are kept).
const (
	lineCacheMinBlob = 256 << 10
	lineCacheEntries = 64
	lineCacheBytes   = 4 << 20
)

// lineCache maps "<blob> <session id>" to the lines of the session's
// records in the blob (markers left out), and orders the keys oldest
// first.
type lineCache struct {
	Lines map[string][]byte
	Order []string
	size  int
}

func (ix *sessionIndex) linesCache() *lineCache {
	if ix.lines == nil {
		c, err := decodeLineCache(ix.linesRaw)
		if err != nil {
			c = &lineCache{Lines: map[string][]byte{}}
		}
		ix.lines, ix.linesRaw = c, nil
	}
	return ix.lines
}

func (c *lineCache) put(key string, lines []byte) {
	if _, ok := c.Lines[key]; ok || len(lines) > lineCacheBytes/4 {
		return
	}
	c.Lines[key] = lines
	c.Order = append(c.Order, key)
	c.size += len(lines)
	for len(c.Order) > lineCacheEntries || c.size > lineCacheBytes {
		old := c.Order[0]
		c.Order = c.Order[1:]
		c.size -= len(c.Lines[old])
		delete(c.Lines, old)
	}
}

// readNote reads note blob with filter (ReadNote), through the line cache
// when filter is one session id.
func (ix *sessionIndex) readNote(ctx context.Context, st indexStore, blob string, filter []string) (gitstore.Note, error) {
	if note, ok := ix.read[blob]; ok {
		return filterNote(note, filter), nil
	}
	if len(filter) != 1 {
		return st.ReadNote(ctx, blob, filter...)
	}
	c := ix.linesCache()
	key := blob + " " + filter[0]
	if lines, ok := c.Lines[key]; ok {
		// A copy: the records' lines go to callers, and the cache's may
		// be the index file's bytes (see frozen).
		if recs, warns := gitstore.ParseNote(bytes.Clone(lines)); len(warns) == 0 {
			return gitstore.Note{Records: recs}, nil
		}
	}
	note, err := st.ReadNote(ctx, blob, filter...)
	if err != nil || len(note.Warnings) > 0 || note.Size < lineCacheMinBlob {
		return note, err
	}
	var lines []byte
	for _, g := range note.Records {
		lines = append(append(lines, g.Line...), '\n')
	}
	c.put(key, lines)
	ix.changed = true
	ix.work += saveWork
	return note, nil
}

// justRead bounds the notes a command keeps after learning what they hold
// (readBlobInfo read them in full): the reply that follows reads the same
// new note, and need not inflate and parse it again.
const justRead = 4

// remember keeps note, read in full, for readNote, within justRead notes.
func (ix *sessionIndex) remember(blob string, note gitstore.Note) {
	if len(note.Warnings) > 0 || note.Records == nil {
		return
	}
	if ix.read == nil {
		ix.read = map[string]gitstore.Note{}
	}
	if len(ix.read) >= justRead {
		clear(ix.read)
	}
	ix.read[blob] = note
}

// filterNote is what ReadNote(blob, filter...) returns, from the note read
// in full: the records whose lines name one of filter (all with none).
func filterNote(note gitstore.Note, filter []string) gitstore.Note {
	if len(filter) == 0 {
		return note
	}
	out := note
	out.Records = nil
	for _, g := range note.Records {
		for _, id := range filter {
			if id != "" && bytes.Contains(g.Line, []byte(id)) {
				out.Records = append(out.Records, g)
				break
			}
		}
	}
	return out
}
